"""Reading a user area table (CSV, ALDO style) and checking it against the territory; forest
areas by composition (long or BD Forêt wide)."""

from __future__ import annotations

import warnings
from pathlib import Path

import numpy as np
import pandas as pd

from espass_geo.constants import HA_PER_M2
from espass_geo.core.areas import AREA_COLUMNS, CLOSURE_RTOL, AreaTable
from espass_geo.errors import AreaTableError, InconsistentAreasWarning
from espass_geo.io import tables
from espass_geo.io.tables import Number
from espass_geo.present.fmt import fmt_area_ha, fmt_percent
from espass_geo.reference import data

REQUIRED_CSV_COLUMNS = {"zone_id", "code", "area_ha"}


def area_table_from_csv(path: str | Path, *, zone_col: str | None = None) -> AreaTable:
    """Read a user area table (ALDO style) in long or wide form, validated (:mod:`~.tables`).

    Long form: columns ``zone_id, code, area_ha`` (``insee``/``siren`` accepted for
    ``zone_id``, ``code_clc`` for ``code``). Wide form (the ALDO ``clc18.csv`` per EPCI): a zone
    column (``siren``, ``insee`` or ``zone_id``) and one column per CLC code, empty = 0.
    Refused: duplicate zone × code rows (never summed), empty, NaN, infinite, negative or
    ambiguous numbers (thousands separators), codes turned into decimals by a spreadsheet.
    The closure against the zone geometry is :func:`check_csv_closure` (needs the territory).
    """
    path = Path(path)
    t = tables.read_table(path, "table de surfaces", error=AreaTableError)
    df = t.df
    cols = {c.lower(): c for c in df.columns}
    zcol = zone_col or next((cols[c] for c in ("zone_id", "insee", "siren", "code_insee", "epci")
                             if c in cols), None)
    if zcol is None or zcol not in df.columns:
        raise AreaTableError(
            f"table de surfaces « {path} » : pas de colonne de zone ; attendu zone_id, insee ou "
            f"siren (trouvé {list(df.columns)}). Colonnes requises (forme longue) : zone_id, "
            "code, area_ha."
        )
    code_like = [c for c in df.columns if c.strip().isdigit()]
    tables.check_no_empty(t, [zcol], error=AreaTableError)
    tables.check_codes(t, [zcol], error=AreaTableError)
    if code_like:  # wide form: one row per zone, empty cell = 0 ha
        num = tables.numbers(t, {c: Number(minimum=0, empty="zero") for c in code_like},
                             error=AreaTableError)
        tables.check_duplicates(t, [zcol], error=AreaTableError)
        long = num.melt(id_vars=[zcol], value_vars=code_like, var_name="code",
                        value_name="area_ha")
    else:
        ccol = next((cols[c] for c in ("code", "code_clc", "clc") if c in cols), None)
        acol = next((cols[c] for c in ("area_ha", "surface_ha", "area") if c in cols), None)
        missing = [n for n, c in (("code", ccol), ("area_ha", acol)) if c is None]
        if missing:
            raise AreaTableError(
                f"table de surfaces « {path} » : colonne(s) manquante(s) {missing} ; colonnes "
                f"requises : zone_id, code, area_ha (trouvé {list(df.columns)}, séparateur "
                f"détecté « {t.sep if t.sep != chr(9) else 'tabulation'} »)."
            )
        tables.check_no_empty(t, [ccol], error=AreaTableError)
        tables.check_codes(t, [ccol], error=AreaTableError)
        num = tables.numbers(t, {acol: Number(minimum=0)}, error=AreaTableError)
        tables.check_duplicates(t, [zcol, ccol], error=AreaTableError)
        long = num[[zcol, ccol, acol]].rename(columns={ccol: "code", acol: "area_ha"})
    long = long.rename(columns={zcol: "zone_id"})
    long["code"] = long["code"].astype(str).str.strip()
    long["zone_id"] = long["zone_id"].astype(str).str.strip()
    long = long[long["area_ha"] > 0].copy()
    if long.empty:
        raise AreaTableError(f"table de surfaces « {path} » : toutes les surfaces sont nulles ; "
                             "donnez au moins une surface > 0 ha.")
    long["area_source"] = "user"
    table = long[AREA_COLUMNS].sort_values(["zone_id", "code"]).reset_index(drop=True)
    table["area_ha"] = table["area_ha"].astype(float)
    tot = table.groupby("zone_id")["area_ha"].sum()
    summary = pd.DataFrame({"zone_id": tot.index, "polygon_area_ha": np.nan,
                            "classified_area_ha": tot.to_numpy(), "nodata_area_ha": np.nan,
                            "parcel_area_ha": 0.0, "disagreement_ha": 0.0})
    return AreaTable(table=table, summary=summary)


#: Closure of a CSV area table on the zone geometry: a user's own polygons (0.5 %, as for
#: rasters) or the embedded boundaries, simplified by their publisher (mapshaper 25 %): their
#: area per EPCI differs from ALDO's CLC totals by 0.95–1.03 (boundaries/README.md), hence 5 %.
CSV_CLOSURE_RTOL = {"polygons": CLOSURE_RTOL, "embedded": 0.05}


def check_csv_closure(summary: pd.DataFrame, path, *, rtol: float) -> list[str]:
    """Class areas of a CSV against the zone polygons (``summary.polygon_area_ha``).

    Above the polygon by more than ``rtol``: error (the table cannot be right: 1 000 ha in a
    512 ha zone). Below by more than ``rtol``: a warning giving the uncovered share (that part
    of the zone has no stock). Returns the French notes of the warnings.
    """
    s = summary.dropna(subset=["polygon_area_ha"])
    over = s[s["classified_area_ha"] > s["polygon_area_ha"] * (1 + rtol)]
    if len(over):
        lines = [f"zone {r.zone_id} : {fmt_area_ha(r.classified_area_ha)} dans la table pour "
                 f"{fmt_area_ha(r.polygon_area_ha)} de surface de zone "
                 f"(+{fmt_percent(r.classified_area_ha / r.polygon_area_ha - 1)})"
                 for r in over.head(8).itertuples(index=False)]
        raise AreaTableError(
            f"table de surfaces « {path} » : les surfaces dépassent la surface de "
            f"{len(over)} zone(s) de plus de {fmt_percent(rtol)} :\n  - " + "\n  - ".join(lines)
            + "\nVérifiez l'unité (hectares, pas m² ni ares), les doublons et que les codes de "
            "zone sont ceux du territoire.")
    notes = []
    under = s[s["classified_area_ha"] < s["polygon_area_ha"] * (1 - rtol)]
    for r in under.itertuples(index=False):
        share = 1 - r.classified_area_ha / r.polygon_area_ha
        msg = (f"Table de surfaces {Path(str(path)).name} : la zone {r.zone_id} n'est couverte "
               f"qu'à {fmt_percent(1 - share)} ({fmt_area_ha(r.classified_area_ha)} sur "
               f"{fmt_area_ha(r.polygon_area_ha)}) ; {fmt_percent(share)} de sa surface n'a "
               "pas de stock.")
        warnings.warn(msg, InconsistentAreasWarning, stacklevel=3)
        notes.append(msg)
    return notes


def validate_csv_zones(territory, summary: pd.DataFrame, used: list[str], path) -> list[str]:
    """Check a CSV area table against the territory; fills ``summary.polygon_area_ha``.

    * every zone of the territory must have areas (at the level matched: communes, or their
      EPCI for a per-EPCI table): a missing zone is an **error**, since it would silently get
      no stock at all;
    * per-EPCI table on a commune territory: the polygon area is that of the whole EPCI (the
      results cover whole EPCI);
    * closure (:func:`check_csv_closure`): 0.5 % on the user's polygons, 5 % on the embedded
      simplified boundaries.
    """
    z = territory.zones
    ids = set(summary["zone_id"])
    if set(used) & set(z["zone_id"]):
        expected = list(z["zone_id"])
        level = "zone"
    else:
        expected = sorted(set(z["epci"].dropna())) if "epci" in z else []
        level = "EPCI"
        members = data.communes_2018()
        members = members[members["epci"].isin(used)]
        geo = data.commune_geometries()
        geo = geo[geo["code"].isin(set(members["insee"]))]
        area = (geo.geometry.area * HA_PER_M2).groupby(
            geo["code"].map(members.set_index("insee")["epci"])).sum()
        summary["polygon_area_ha"] = summary["zone_id"].map(area)
    missing = [e for e in expected if e not in ids]
    if missing:
        hint = next((m for m in missing if m.lstrip("0") in ids and m.lstrip("0") != m), None)
        raise AreaTableError(
            f"table de surfaces « {path} » : {len(missing)} {level}(s) du territoire sans "
            f"aucune surface : {', '.join(missing[:10])}{' …' if len(missing) > 10 else ''}"
            + (f" (la table contient {hint.lstrip('0')} : un tableur a retiré le zéro initial de "
               f"{hint} ; formatez la colonne en texte)" if hint else "")
            + ". Leur stock serait compté nul : ajoutez leurs surfaces ou retirez-les de "
            "--territory.")
    kind = "polygons" if territory.kind == "polygons" else "embedded"
    return check_csv_closure(summary, path, rtol=CSV_CLOSURE_RTOL[kind])


def read_forest_areas(path: str | Path) -> pd.DataFrame:
    """Forest areas: long ``zone_id, composition, area_ha`` or ALDO/BD Forêt wide
    (``siren, feuillus, coniferes, mixtes, peupleraies``), validated with :mod:`.tables`
    (duplicate zones or zone × composition refused, areas finite ≥ 0)."""
    path = Path(path)
    t = tables.read_table(path, "table de surfaces forestières", error=AreaTableError)
    df = t.df
    comps = ["feuillus", "coniferes", "mixtes", "peupleraies"]
    if set(comps) <= set(df.columns):
        z = "siren" if "siren" in df.columns else "zone_id" if "zone_id" in df.columns else None
        if z is None:
            raise AreaTableError(f"table de surfaces forestières « {path} » : pas de colonne de "
                                 f"zone (siren ou zone_id) ; colonnes trouvées {list(df.columns)}.")
        tables.check_no_empty(t, [z], error=AreaTableError)
        tables.check_codes(t, [z], error=AreaTableError)
        num = tables.numbers(t, {c: Number(minimum=0, empty="zero") for c in comps},
                             error=AreaTableError)
        # ALDO's own BD Forêt file repeats two EPCI with identical rows (landcover/README.md)
        if path.resolve() == data.aldo_bdforet_epci_path().resolve():
            keep = ~df.duplicated()
            t.df, t.lines, num = df[keep], t.lines[keep], num[keep]
        tables.check_duplicates(t, [z], error=AreaTableError)
        long = num.melt(id_vars=[z], value_vars=comps, var_name="composition",
                        value_name="area_ha").rename(columns={z: "zone_id"})
    elif {"zone_id", "composition", "area_ha"} <= set(df.columns):
        tables.check_no_empty(t, ["zone_id", "composition"], error=AreaTableError)
        tables.check_codes(t, ["zone_id"], error=AreaTableError)
        bad = sorted(set(df["composition"]) - set(comps))
        if bad:
            raise AreaTableError(f"table de surfaces forestières « {path} » : composition(s) "
                                 f"inconnue(s) {', '.join(bad)} ; utilisez {', '.join(comps)}.")
        num = tables.numbers(t, {"area_ha": Number(minimum=0)}, error=AreaTableError)
        tables.check_duplicates(t, ["zone_id", "composition"], error=AreaTableError)
        long = num[["zone_id", "composition", "area_ha"]].copy()
    else:
        raise AreaTableError(f"table de surfaces forestières « {path} » : colonnes zone_id, "
                             "composition, area_ha attendues (ou la forme large BD Forêt siren, "
                             f"feuillus, coniferes, mixtes, peupleraies) ; trouvé "
                             f"{list(df.columns)}.")
    long["area_ha"] = long["area_ha"].astype(float)
    return long.reset_index(drop=True)
