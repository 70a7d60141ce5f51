"""Change tables given as CSV: long (``zone_id, from_code, to_code, area_ha``) or ALDO's wide
CLC 2012→2018 tables per EPCI (``siren`` + ``code12-code18`` columns) and per commune (long,
``code12, code18, commune, area``), read and validated through :mod:`espass_geo.io.tables`.
"""

from __future__ import annotations

from pathlib import Path

from espass_geo import spec
from espass_geo.core.changes import CHANGE_COLUMNS, ChangeTable, check_dates
from espass_geo.errors import AreaTableError
from espass_geo.io import tables
from espass_geo.io.tables import Number


def change_table_from_csv(path: str | Path, *,
                          years: tuple[int, int] = spec.DEFAULTS["years"]
                          ) -> ChangeTable:
    """Read a change table: long (``zone_id|commune, from_code|code12, to_code|code18,
    area_ha|area``) or wide (``siren`` + ``code12-code18`` columns, as ALDO's per-EPCI file).

    Validated with :mod:`.tables`: empty/NaN/infinite/negative/ambiguous areas refused with
    their line; a zone repeated in a wide table, or a long row repeated identically, refused.
    Long rows with the same zone and codes but different areas are ALDO's per-commune layout
    (one row per changed polygon): they are added, and a note says how many.
    """
    n_years = check_dates(*years)
    path = Path(path)
    t = tables.read_table(path, "table de changements", error=AreaTableError)
    df = t.df
    cols = {c.lower(): c for c in df.columns}
    notes: list[str] = []
    pair_cols = [c for c in df.columns if "-" in c and all(p.strip().isdigit()
                                                           for p in c.split("-", 1))]
    if pair_cols:
        zcol = next((cols[c] for c in ("zone_id", "siren", "insee", "epci") if c in cols), None)
        if zcol is None:
            raise AreaTableError(f"table de changements « {path} » : pas de colonne de zone "
                                 f"(zone_id ou siren) ; colonnes trouvées {list(df.columns)}.")
        ignored = [c for c in df.columns if c not in pair_cols and c != zcol]
        if ignored:
            notes.append(f"Colonnes ignorées dans {path.name} : {', '.join(ignored)} "
                         "(le déboisement est déduit des transitions forêt → autre).")
        tables.check_no_empty(t, [zcol], error=AreaTableError)
        tables.check_codes(t, [zcol], error=AreaTableError)
        num = tables.numbers(t, {c: Number(minimum=0, empty="zero") for c in pair_cols},
                             error=AreaTableError)
        tables.check_duplicates(t, [zcol], error=AreaTableError)
        long = num.melt(id_vars=[zcol], value_vars=pair_cols, var_name="pair",
                        value_name="area_ha")
        long[["from_code", "to_code"]] = long["pair"].str.split("-", n=1, expand=True)
        long = long.rename(columns={zcol: "zone_id"})
    else:
        zcol = next((cols[c] for c in ("zone_id", "commune", "insee", "siren") if c in cols), None)
        fcol = next((cols[c] for c in ("from_code", "code12", "code_from") if c in cols), None)
        tcol = next((cols[c] for c in ("to_code", "code18", "code_to") if c in cols), None)
        acol = next((cols[c] for c in ("area_ha", "area", "surface_ha") if c in cols), None)
        missing = [n for n, c in (("zone_id", zcol), ("from_code", fcol), ("to_code", tcol),
                                  ("area_ha", acol)) if c is None]
        if missing:
            raise AreaTableError(f"table de changements « {path} » : colonne(s) manquante(s) "
                                 f"{missing} ; attendu zone_id, from_code, to_code, area_ha "
                                 f"(ou la table large ALDO siren, 211-112, …) ; trouvé "
                                 f"{list(df.columns)}.")
        tables.check_no_empty(t, [zcol, fcol, tcol], error=AreaTableError)
        tables.check_codes(t, [zcol, fcol, tcol], error=AreaTableError)
        num = tables.numbers(t, {acol: Number(minimum=0)}, error=AreaTableError)
        summed = tables.check_duplicates(t, [zcol, fcol, tcol], error=AreaTableError,
                                         allow_differing=True)
        if summed:
            notes.append(f"{path.name} : {sum(len(g) for g in summed)} lignes de même zone et "
                         f"mêmes codes ({len(summed)} couples) additionnées (une ligne par "
                         "polygone changé, comme la table ALDO par commune).")
        long = num[[zcol, fcol, tcol, acol]].set_axis(CHANGE_COLUMNS, axis=1)
    long = long[long["area_ha"] > 0].copy()
    for c in ("zone_id", "from_code", "to_code"):
        long[c] = long[c].astype(str).str.strip()
    table = long.groupby(["zone_id", "from_code", "to_code"], as_index=False)["area_ha"].sum()
    return ChangeTable(table=table[CHANGE_COLUMNS], years=n_years, date_from=int(years[0]),
                       date_to=int(years[1]), notes=notes)
