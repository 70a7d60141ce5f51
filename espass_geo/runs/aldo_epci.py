"""Method « aldo-epci » as a first-class run (issue #13): a territory of whole EPCI -> the
usual :class:`~espass_geo.runs.stocks.StocksResult` / :class:`~espass_geo.runs.flows.FlowsResult`
computed by the port of ALDO's per-EPCI web app (:mod:`espass_geo.core.aldo_epci`) on ALDO's
own per-EPCI tables (``factors/aldo_epci/``), so that ``espass-geo stocks|flows --method
aldo-epci`` and ``api.stocks|flows(..., method="aldo-epci")`` write the usual files.

Zones are the EPCI (``zone_id`` = SIREN), their geometry the union of their communes when the
communes have polygons (tables-only otherwise, with the territory's note). ALDO works per EPCI:
a territory that is not made of whole EPCI is refused (French message with the remedy).
Optional user tables replace ALDO's land cover of an EPCI: ``areas`` (CLC 2018-like areas per
EPCI, same forms as ``--areas``) and ``changes`` (CLC changes per EPCI, same forms as
``--changes``). Rasters, parcels, BD Forêt, hedges and ``--zpc`` are refused: the method uses
ALDO's per-EPCI tables for them.

Sign of flows: positive = sequestration (ALDO's and espass_geo's).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd

from espass_geo.constants import HA_PER_M2, LAMBERT93
from espass_geo.core import aldo_epci as port
from espass_geo.core.areas import AreaTable
from espass_geo.core.changes import ChangeTable
from espass_geo.errors import AreaTableError, InputFileError
from espass_geo.reference import data
from espass_geo.territory.resolve import Territory, resolve_territory

METHOD = port.METHOD

#: French labels of the ALDO group types and pools that are not land-use classes
_EXTRA_LABELS_FR = {
    "forest": "Forêts", "grassland": "Prairies", "artificial": "Sols artificiels",
    "hedges": "Haies", "wood_products": "Produits bois",
}

NOT_WHOLE_EPCI_FR = (
    "la méthode aldo-epci est le calcul par EPCI d'ALDO (ADEME) : elle ne s'applique qu'à des "
    "EPCI entiers. Donnez le territoire sous la forme epci:SIREN (plusieurs : "
    "epci:SIREN1,SIREN2) ou la liste complète des communes de chaque EPCI, ou utilisez "
    "--method aldo (calcul par commune) pour ce territoire.")


def _labels_fr() -> dict[str, str]:
    from espass_geo.reference.factors import land_use_classes

    labels = dict(land_use_classes()["label_fr"])
    for k, v in _EXTRA_LABELS_FR.items():
        labels.setdefault(k, v)
    return labels


# ------------------------------------------------------------------------------ territory
def epci_of_territory(territory: Territory) -> list[str]:
    """The SIRENs (2018) of the EPCI making up ``territory``; refuses a territory that is not
    made of whole EPCI (:data:`NOT_WHOLE_EPCI_FR`)."""
    from espass_geo.reference.aldo_epci_tables import known_sirens

    z = territory.zones
    ids = [str(i) for i in z["zone_id"]]
    known = set(known_sirens())
    if territory.kind != "communes" or "epci" not in z:
        if ids and all(i in known for i in ids):  # an EPCI layer: zone ids are SIRENs
            return list(dict.fromkeys(ids))
        raise InputFileError(f"territoire « {territory.label} » : ses zones ne sont pas des "
                             f"communes ni des EPCI connus d'ALDO ; {NOT_WHOLE_EPCI_FR}")
    com = data.communes_2018()
    sirens = [str(s) for s in dict.fromkeys(z["epci"]) if isinstance(s, str) and s]
    if z["epci"].isna().any():
        missing = z.loc[z["epci"].isna(), "zone_id"].astype(str).tolist()
        raise InputFileError(f"territoire « {territory.label} » : commune(s) "
                             f"{', '.join(missing[:5])} sans EPCI ; {NOT_WHOLE_EPCI_FR}")
    have = set(ids)
    partial = []
    for s in sirens:
        members = set(com.loc[com["epci"].astype(str) == s, "insee"].astype(str))
        lacking = sorted(members - have)
        if lacking:
            partial.append(f"{s} ({len(members) - len(lacking)} commune(s) sur {len(members)}, "
                           f"manquent {', '.join(lacking[:5])}{' …' if len(lacking) > 5 else ''})")
    if partial:
        raise InputFileError(f"territoire « {territory.label} » : EPCI incomplet(s) "
                             f"{' ; '.join(partial)} ; {NOT_WHOLE_EPCI_FR}")
    unknown = [s for s in sirens if s not in known]
    if unknown:
        raise InputFileError(f"territoire « {territory.label} » : EPCI {', '.join(unknown)} "
                             "absent(s) des tables ALDO 2018 (factors/aldo_epci/epci.csv.gz) ; "
                             "la méthode aldo-epci ne connaît que les EPCI du 1er janvier 2018 : "
                             "utilisez --method aldo pour ce territoire.")
    return sirens


def _epci_zones(territory: Territory, sirens: list[str]) -> gpd.GeoDataFrame:
    """One zone per EPCI: SIREN, ALDO's name, the union of its communes (None when the
    territory has no polygons)."""
    from espass_geo.reference.aldo_epci_tables import epci_rows

    z = territory.zones
    names = {s: epci_rows(s).name or s for s in sirens}
    geoms: dict[str, Any] = {s: None for s in sirens}
    if territory.kind == "communes" and "epci" in z and not territory.tables_only:
        for s, part in z.groupby(z["epci"].astype(str)):
            if s in geoms:
                geoms[s] = part.geometry.union_all()
    elif territory.kind != "communes" and not territory.tables_only:
        for s, g in zip(z["zone_id"].astype(str), z.geometry, strict=True):
            geoms[s] = g
    out = gpd.GeoDataFrame({"zone_id": sirens, "zone_name": [names[s] for s in sirens]},
                           geometry=[geoms[s] for s in sirens], crs=LAMBERT93)
    return out


def _refuse(method_inputs: dict[str, Any]) -> None:
    given = [flag for flag, v in method_inputs.items() if v is not None and v is not False
             and v != ()]
    if given:
        raise InputFileError(
            f"{', '.join(given)} : sans objet avec --method aldo-epci, qui prend l'occupation "
            "du sol, la BD Forêt, les haies et les zones pédoclimatiques dans les tables par EPCI "
            "d'ALDO (factors/aldo_epci/) ; retirez ces options, donnez des surfaces CLC par EPCI "
            "(--areas, --changes), ou utilisez --method aldo.")


# ------------------------------------------------------------------------------ user tables
def _user_areas(areas, sirens: list[str]) -> tuple[pd.DataFrame, list[str]]:
    """A user area table (CSV path or DataFrame ``zone_id|siren, code, area_ha``) -> the port's
    ``areas`` (``siren, clc_code, area_ha``), zone ids checked against the EPCI."""
    from espass_geo.io.area_tables import area_table_from_csv

    if isinstance(areas, pd.DataFrame):
        t = areas.rename(columns={"siren": "zone_id", "code_clc": "code"})
        notes: list[str] = []
        name = "(DataFrame)"
    else:
        at = area_table_from_csv(areas)
        t, notes, name = at.table, list(at.notes), Path(str(areas)).name
    _check_zone_ids(set(t["zone_id"].astype(str)), sirens, name, "--areas")
    t = t[t["zone_id"].astype(str).isin(sirens)]
    return pd.DataFrame({"siren": t["zone_id"].astype(str), "clc_code": t["code"].astype(str),
                         "area_ha": t["area_ha"].astype(float)}), notes


def _user_changes(changes, sirens: list[str], years) -> tuple[pd.DataFrame, float, ChangeTable]:
    from espass_geo.io.change_tables import change_table_from_csv

    ct = change_table_from_csv(changes, years=tuple(years))
    _check_zone_ids(set(ct.table["zone_id"].astype(str)), sirens, Path(str(changes)).name,
                    "--changes")
    t = ct.table[ct.table["zone_id"].astype(str).isin(sirens)]
    t = t[t["from_code"].astype(str) != t["to_code"].astype(str)]
    df = pd.DataFrame({"siren": t["zone_id"].astype(str), "clc_from": t["from_code"].astype(str),
                       "clc_to": t["to_code"].astype(str), "area_ha": t["area_ha"].astype(float)})
    return df, float(ct.years), ct


def _check_zone_ids(ids: set[str], sirens: list[str], name: str, option: str) -> None:
    if not ids & set(sirens):
        raise AreaTableError(
            f"{option} « {name} » : aucune ligne pour les EPCI du territoire "
            f"({', '.join(sirens[:5])}) ; avec --method aldo-epci la table est par EPCI (colonne "
            f"siren ou zone_id = SIREN de l'EPCI, codes CLC de niveau 3), comme les tables "
            f"d'ALDO (exemples : {sorted(ids)[:3]}).")


# ------------------------------------------------------------------------------ stocks
def aldo_epci_stock_rows(sirens: list[str], *, areas: pd.DataFrame | None = None,
                         options: Any = None) -> pd.DataFrame:
    """The port's stock table in the shape of :func:`espass_geo.core.stocks.compute_stocks`
    (``zone_id`` = SIREN, ``land_use_fr``, ``zpc`` empty) plus ALDO's ``ground_type`` and
    ``detail`` columns."""
    st = port.aldo_epci_stocks(sirens, areas=areas, options=options)
    labels = _labels_fr()
    return pd.DataFrame({
        "zone_id": st["siren"], "zone_name": st["epci_name"], "zpc": "",
        "land_use": st["land_use"], "land_use_fr": st["land_use"].map(labels).fillna(
            st["ground_type"]),
        "pool": st["pool"], "area_ha": st["area_ha"], "density_tC_ha": st["density_tC_ha"],
        "stock_tC": st["stock_tC"], "stock_tCO2e": st["stock_tCO2e"], "method": METHOD,
        "factor_source": st["factor_source"], "confidence": "",
        "ground_type": st["ground_type"], "detail": st["detail"]})


def compute_aldo_epci_stocks(territory: Territory | str, *, areas=None, options: Any = None,
                             **refused: Any) -> Any:
    """Stocks of a territory of whole EPCI by the aldo-epci method, as a ``StocksResult``.

    ``areas``: optional CLC areas per EPCI (CSV path or DataFrame), else ALDO's CLC 2018 table.
    ``refused``: the other inputs of a stock run by their option flag (``--landcover``…), each
    refused when given."""
    from espass_geo.runs.stocks import StocksResult

    _refuse(refused)
    t = territory if isinstance(territory, Territory) else resolve_territory(territory)
    sirens = epci_of_territory(t)
    notes = list(t.notes)
    user_areas = None
    if areas is not None:
        user_areas, area_notes = _user_areas(areas, sirens)
        notes += area_notes
    stocks = aldo_epci_stock_rows(sirens, areas=user_areas, options=options)
    zones = _epci_zones(t, sirens)
    # areas: the CLC areas the port priced (user's or ALDO's), one row per EPCI × code
    area_rows = []
    for s in sirens:
        if user_areas is not None:
            sub = user_areas[user_areas["siren"] == s]
            clc = dict(zip(sub["clc_code"], sub["area_ha"], strict=True))
        else:
            from espass_geo.reference.aldo_epci_tables import epci_rows

            clc = {k: port._pf(v) for k, v in epci_rows(s).clc.items()
                   if k.isdigit() and port._truthy(v)}
        area_rows += [{"zone_id": s, "code": str(k), "area_ha": float(v),
                       "source": "table fournie" if user_areas is not None
                       else "ALDO clc18 (par EPCI)"} for k, v in clc.items()]
    at_table = pd.DataFrame(area_rows, columns=["zone_id", "code", "area_ha", "source"])
    classified = at_table.groupby("zone_id")["area_ha"].sum()
    poly = {s: (g.area * HA_PER_M2 if g is not None and not g.is_empty else np.nan)
            for s, g in zip(zones["zone_id"], zones.geometry, strict=True)}
    summary = pd.DataFrame({"zone_id": sirens,
                            "polygon_area_ha": [poly[s] for s in sirens],
                            "classified_area_ha": [float(classified.get(s, 0.0)) for s in sirens],
                            "nodata_area_ha": np.nan, "parcel_area_ha": 0.0,
                            "disagreement_ha": 0.0})
    tot = stocks.groupby("zone_id")["stock_tC"].sum()
    zones["stock_tC"] = zones["zone_id"].map(tot).astype(float)
    zones["stock_tCO2e"] = zones["stock_tC"] * port.C_TO_CO2
    zones["area_ha"] = zones["zone_id"].map(classified).astype(float)
    zones["density_tC_ha"] = zones["stock_tC"] / zones["area_ha"]
    for pool in ("soil", "litter", "live_biomass", "hedges", "wood_products"):
        p = stocks[stocks["pool"] == pool].groupby("zone_id")["stock_tC"].sum()
        zones[f"stock_{pool}_tC"] = zones["zone_id"].map(p).fillna(0.0)
    s = summary.set_index("zone_id")
    for col in ("polygon_area_ha", "nodata_area_ha", "parcel_area_ha", "disagreement_ha"):
        zones[col] = zones["zone_id"].map(s[col])
    notes.append(_method_note(sirens))
    return StocksResult(territory=t, zones=zones, areas=AreaTable(at_table, summary, []),
                        stocks=stocks, method=METHOD, notes=list(dict.fromkeys(notes)))


def _method_note(sirens: list[str]) -> str:
    return (f"Méthode aldo-epci : calcul par EPCI de l'application web ALDO (ADEME, "
            f"incubateur-ademe/aldo @7ef0a6a) sur ses propres tables par EPCI ({len(sirens)} "
            "EPCI : CLC 2018 et changements 2012-2018, sols Ref_Sols, biomasse IGN par EPCI "
            "dont peupleraies, haies, récolte de bois) ; pas d'intervalle d'incertitude ; "
            "flux : positif = séquestration.")


# ------------------------------------------------------------------------------ flows
_GAS = {"C": "CO2", "CO2": "CO2", "N2O": "N2O"}
_CAUSE = {"forest_growth": "forest_growth", "wood_products": "wood_products",
          "agricultural_practice": "agricultural_practice"}


def aldo_epci_flow_rows(sirens: list[str], *, changes: pd.DataFrame | None = None,
                        options: Any = None, period_years: float = port.CHANGE_PERIOD_YEARS
                        ) -> pd.DataFrame:
    """The port's flow table in the shape of :func:`espass_geo.core.flows.compute_flows`
    (``zone_id`` = SIREN, ``cause``: land_use_change / forest_growth / wood_products /
    agricultural_practice; ``pool`` soil_litter_n2o for N2O) plus ALDO's ``category`` and
    ground types. Positive = sequestration."""
    fl = port.aldo_epci_flows(sirens, changes=changes, options=options,
                              period_years=period_years)
    pool = fl["pool"].replace({"soil_litter": "soil_litter_n2o"})
    return pd.DataFrame({
        "zone_id": fl["siren"], "zone_name": fl["epci_name"], "zpc": "",
        "cause": fl["category"].map(_CAUSE).fillna("land_use_change"),
        "from_land_use": fl["land_use_from"], "to_land_use": fl["land_use_to"],
        "pool": pool, "gas": fl["gas"].map(_GAS).fillna(fl["gas"]),
        "mode": fl["years"].map(lambda y: "kinetic_20y" if y == port.KINETIC_YEARS else ""),
        "area_ha_an": fl["area_ha_an"], "unit_flux_tC_ha": fl["unit_flux_tC_ha"],
        "flux_tC_an": fl["flux_tC_an"], "flux_tCO2e_an": fl["flux_tCO2e_an"],
        "method": METHOD, "factor_source": fl["factor_source"],
        "convention": fl["convention"], "category": fl["category"],
        "ground_type_from": fl["ground_type_from"], "ground_type_to": fl["ground_type_to"],
        "detail": fl["detail"]})


def flow_options(gwp_n2o: float | None, wood_products: str, options: Any = None) -> Any:
    """The port's options for a flow run: ``gwp_n2o`` (None: ALDO's 298) and
    ``wood_products`` (harvest -> recolte, consumption -> consommation; none -> recolte,
    rows dropped by the caller)."""
    from dataclasses import replace

    opt = port._options(options)
    kw: dict[str, Any] = {"wood_calculation": "consommation" if wood_products == "consumption"
                          else "recolte"}
    if gwp_n2o is not None:
        kw["gwp_n2o"] = float(gwp_n2o)
    return replace(opt, **kw)


def compute_aldo_epci_flows(territory: Territory | str, *, changes=None,
                            years: tuple[int, int] = (2012, 2018), gwp_n2o: float | None = None,
                            wood_products: str = "harvest", options: Any = None,
                            **refused: Any) -> Any:
    """Flows of a territory of whole EPCI by the aldo-epci method, as a ``FlowsResult``.

    ``changes``: optional CLC changes per EPCI (CSV path), else ALDO's CLC 2012→2018 table.
    ``gwp_n2o``: None = ALDO's 298. ``wood_products``: harvest (ALDO's default), consumption,
    or none (no wood-product flow)."""
    from espass_geo.core.flows import (
        land_use_transitions,
        sealing_summary,
        zan_view,
        zone_flow_totals,
    )
    from espass_geo.runs.flows import FlowsResult

    _refuse(refused)
    t = territory if isinstance(territory, Territory) else resolve_territory(territory)
    sirens = epci_of_territory(t)
    notes = list(t.notes)
    opt = flow_options(gwp_n2o, wood_products, options)
    if changes is not None:
        user, period, ct = _user_changes(changes, sirens, years)
        notes += ct.notes
        flows = aldo_epci_flow_rows(sirens, changes=user, options=opt, period_years=period)
        ct_table = ct.table[ct.table["zone_id"].astype(str).isin(sirens)].reset_index(drop=True)
        ct = ChangeTable(ct_table, ct.years, ct.date_from, ct.date_to, notes=[])
    else:
        from espass_geo.reference.aldo_epci_tables import epci_rows

        flows = aldo_epci_flow_rows(sirens, options=opt)
        rows = []
        for s in sirens:
            for k, v in epci_rows(s).changes.items():
                a, _, b = k.partition("-")
                if a.isdigit() and b.isdigit() and port._truthy(v):
                    rows.append({"zone_id": s, "from_code": a, "to_code": b,
                                 "area_ha": port._pf(v)})
        ct = ChangeTable(pd.DataFrame(rows, columns=["zone_id", "from_code", "to_code",
                                                     "area_ha"]),
                         float(port.CHANGE_PERIOD_YEARS), 2012, 2018)
    if wood_products == "none":
        flows = flows[flows["cause"] != "wood_products"].reset_index(drop=True)
        notes.append("Produits bois : aucun (--wood-products none), le calcul ALDO les compte.")
    if gwp_n2o is None:
        notes.append("PRG du N2O : 298 (GIEC AR4), la convention d'ALDO (méthode aldo-epci).")
    zones = _epci_zones(t, sirens)
    tr = land_use_transitions(ct.table) if len(ct.table) else pd.DataFrame(
        columns=["zone_id", "from_land_use", "to_land_use", "area_ha"])
    tr["area_ha_an"] = tr["area_ha"] / ct.years
    seal = sealing_summary(tr, ct.years) if len(tr) else pd.DataFrame(
        {"zone_id": sirens, "sealed_ha": 0.0, "sealed_ha_an": 0.0})
    missing = [s for s in sirens if s not in set(seal["zone_id"])]
    if missing:
        seal = pd.concat([seal, pd.DataFrame({"zone_id": missing, "sealed_ha": 0.0,
                                              "sealed_ha_an": 0.0})], ignore_index=True)
    zan, traj = zan_view(seal)
    totals = zone_flow_totals(flows)
    zg = zones.merge(totals, on="zone_id", how="left")
    zg = zg.merge(zan.drop(columns=["reference_source"]), on="zone_id", how="left")
    area = pd.Series([g.area * HA_PER_M2 if g is not None and not g.is_empty else np.nan
                      for g in zg.geometry], index=zg.index)
    if area.isna().any():  # tables-only: the CLC area of the EPCI
        from espass_geo.reference.aldo_epci_tables import epci_rows

        clc_area = {s: sum(port._pf(v) for k, v in epci_rows(s).clc.items()
                           if k.isdigit() and port._truthy(v)) for s in sirens}
        area = area.fillna(zg["zone_id"].map(clc_area))
    zg["area_ha"] = area.astype(float)
    num = zg.columns.difference(["zone_id", "zone_name", "geometry", "area_ha"])
    zg[num] = zg[num].fillna(0.0)
    zg["flux_tCO2e_ha_an"] = zg["flux_tCO2e_an"] / zg["area_ha"]
    notes.append(_method_note(sirens))
    notes.append("Transitions, artificialisation et vue ZAN : changements CLC lus avec la "
                 "correspondance d'espass_geo (répartition 80/20 des sols artificiels) ; les flux "
                 "sont ceux d'ALDO.")
    return FlowsResult(territory=t, zones=gpd.GeoDataFrame(zg, geometry="geometry",
                                                           crs=LAMBERT93),
                       changes=ct, transitions=tr, flows=flows, zan=zan, zan_trajectory=traj,
                       method=METHOD, notes=list(dict.fromkeys(notes)))


# ------------------------------------------------------------------------------ reconciliation
@dataclass
class ReconciliationResult:
    """The default method beside aldo-epci on the same inputs, and the bridge
    (:mod:`espass_geo.core.reconciliation`)."""

    sirens: list[str]
    label: str
    stocks: pd.DataFrame  # reconciliation_stocks
    flows: pd.DataFrame  # reconciliation_flows
    totals: pd.DataFrame  # aldo_epci / default / gap, stocks and flows
    gwp_n2o: float
    notes: list[str] = field(default_factory=list)
    files: dict[str, Path] = field(default_factory=dict)


def _aldo_input_tables(sirens: list[str], folder: Path) -> dict[str, Path]:
    """ALDO's per-EPCI CLC 2018 areas, CLC 2012→2018 changes and BD Forêt areas of ``sirens``,
    written as the wide CSV files the default method reads (``--areas``, ``--changes``,
    ``--forest-areas``)."""
    from espass_geo.reference.aldo_epci_tables import epci_rows

    areas, changes, forest = [], [], []
    for s in sirens:
        r = epci_rows(s)
        areas.append({"siren": s, **{k: port._pf(v) for k, v in r.clc.items()
                                     if k.isdigit() and port._truthy(v)}})
        changes.append({"siren": s, **{k: port._pf(v) for k, v in r.changes.items()
                                       if "-" in k and k.replace("-", "").isdigit()
                                       and port._truthy(v)}})
        forest.append({"siren": s, **{k: port._pf(r.bdforet.get(k)) for k in
                                      ("feuillus", "coniferes", "mixtes", "peupleraies")}})
    paths = {}
    for name, rows in (("areas", areas), ("changes", changes), ("forest_areas", forest)):
        df = pd.DataFrame(rows)
        df = df[["siren", *sorted(c for c in df.columns if c != "siren")]] if name != \
            "forest_areas" else df
        paths[name] = folder / f"aldo_{name}.csv"
        df.to_csv(paths[name], index=False)
    return paths


def _default_flows_tables_only(t: Territory, paths: dict[str, Path], gwp: float
                               ) -> pd.DataFrame:
    """The default method's flows of a tables-only territory of EPCI (no polygons), the same
    calculation as :func:`espass_geo.runs.flows.compute_territory_flows` with a change table
    and forest areas (tests/test_reconciliation.py checks both give the same flows on the CU de
    Dunkerque) without the check of the changed area against the zone polygon, which a
    territory without polygons cannot make."""
    from espass_geo.core.flows import compute_flows
    from espass_geo.io.area_tables import read_forest_areas
    from espass_geo.io.change_tables import change_table_from_csv
    from espass_geo.runs.stocks import match_zones

    ct = change_table_from_csv(paths["changes"])
    _, attrs, used = match_zones(t, set(epci_of_territory(t)), paths["changes"], [])
    table = ct.table[ct.table["zone_id"].isin(used)].reset_index(drop=True)
    fa = read_forest_areas(paths["forest_areas"])
    fa = fa[fa["zone_id"].isin(set(used))]
    return compute_flows(table, attrs, years=ct.years, forest_areas=fa, method="aldo",
                         gwp_n2o=gwp, wood_products="harvest", sealed_share=None,
                         population=None, zpc_override=t.zpc_override)


def reconcile_with_aldo(territory: Territory | str, *, gwp_n2o: float | None = None
                        ) -> ReconciliationResult:
    """The default method (« aldo ») and aldo-epci on ALDO's per-EPCI inputs for a territory of
    whole EPCI, and the bridge that explains their gap cause by cause (sums exactly).

    ``gwp_n2o``: the default method's GWP of N2O (None: espass_geo's default); aldo-epci keeps
    ALDO's 298 and 44/25, the bridge's « n2o » cause switches both."""
    import tempfile
    import warnings
    from dataclasses import replace

    from espass_geo import spec
    from espass_geo.core.reconciliation import flow_bridge, stock_bridge
    from espass_geo.runs.flows import compute_territory_flows
    from espass_geo.runs.stocks import compute_territory_stocks

    t = territory if isinstance(territory, Territory) else resolve_territory(territory)
    sirens = epci_of_territory(t)
    gwp = float(spec.DEFAULTS["gwp_n2o"] if gwp_n2o is None else gwp_n2o)
    spec_text = "epci:" + ",".join(sirens)
    with tempfile.TemporaryDirectory(prefix="espass_aldo_") as tmp:
        paths = _aldo_input_tables(sirens, Path(tmp))
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # small territories, missing zones: said below
            d_st = compute_territory_stocks(spec_text, areas=paths["areas"], method="aldo")
            if t.tables_only:
                d_flows = _default_flows_tables_only(t, paths, gwp)
            else:
                d_flows = compute_territory_flows(spec_text, changes=paths["changes"],
                                                  forest_areas=paths["forest_areas"],
                                                  method="aldo", gwp_n2o=gwp).flows
    a_st = aldo_epci_stock_rows(sirens)
    ap_parts = []
    for s in sirens:
        sub = a_st[(a_st["zone_id"] == s) & (a_st["pool"] == "soil")]
        area = sub.groupby("land_use")["area_ha"].sum()
        ov = {"forêt peupleraie": 0.0, "forêt feuillu": float(
            area.get("forest_broadleaf", 0.0) + area.get("forest_poplar", 0.0))}
        ap_parts.append(aldo_epci_stock_rows([s], options=port.AldoEpciOptions(
            area_overrides=ov)))
    a_st_pop = pd.concat(ap_parts, ignore_index=True)
    opt = port.AldoEpciOptions()
    a_fl = aldo_epci_flow_rows(sirens, options=opt)
    a_fl_n2o = aldo_epci_flow_rows(sirens, options=replace(opt, n2o_ratio=44 / 28,
                                                           gwp_n2o=gwp))
    st_bridge, st_tot = stock_bridge(d_st.stocks, a_st, a_st_pop)
    fl_bridge, fl_tot = flow_bridge(d_flows, a_fl, a_fl_n2o)
    names = {s: port.epci_rows(s).name for s in sirens}
    totals = pd.concat([st_tot, fl_tot], ignore_index=True)
    for df in (st_bridge, fl_bridge, totals):
        df.insert(1, "epci_name", df["siren"].map(names).fillna("ensemble"))
    notes = [
        "Écart = méthode par défaut d'espass_geo (« aldo », par commune) − méthode aldo-epci "
        "(calcul par EPCI d'ALDO), sur les mêmes données : surfaces CLC 2018, changements CLC "
        "2012-2018 et surfaces BD Forêt par EPCI d'ALDO.",
        "Attribution séquentielle : partant du chiffre d'aldo-epci, chaque ingrédient est "
        "remplacé par celui de la méthode par défaut, dans un ordre fixe ; « Autres » est le "
        "reste, si bien que la somme des causes est exactement l'écart.",
        f"PRG du N2O : 298 et N→N2O 44/25 (ALDO) contre {gwp:g} et 44/28 (méthode par défaut).",
    ]
    return ReconciliationResult(sirens=sirens, label=t.label, stocks=st_bridge, flows=fl_bridge,
                                totals=totals, gwp_n2o=gwp, notes=notes)


def write_reconciliation_outputs(result: ReconciliationResult, out_dir: str | Path, *,
                                 overwrite: bool = False, inputs=()) -> dict[str, Path]:
    """``ecart_aldo.csv`` (stocks and flows bridges, long), ``ecart_aldo.xlsx`` (formula-safe:
    bridges and totals) and ``ecart_aldo.html`` (« Écart avec ALDO, expliqué »)."""
    from espass_geo.io.outputs import atomic_output_dir
    from espass_geo.present.exports import write_csv
    from espass_geo.present.report.reconciliation import reconciliation_html

    with atomic_output_dir(out_dir, overwrite=overwrite, inputs=inputs) as tmp:
        files: dict[str, Path] = {}
        long = reconciliation_long(result)
        files["ecart_aldo.csv"] = write_csv(long, tmp / "ecart_aldo.csv")
        files["ecart_aldo.xlsx"] = _write_xlsx(result, tmp / "ecart_aldo.xlsx")
        (tmp / "ecart_aldo.html").write_text(reconciliation_html(result, standalone=True),
                                             encoding="utf-8")
        files["ecart_aldo.html"] = tmp / "ecart_aldo.html"
    out_dir = Path(out_dir)
    result.files = {name: out_dir / p.name for name, p in files.items()}
    return result.files


def reconciliation_long(result: ReconciliationResult) -> pd.DataFrame:
    """Both bridges in one long table: ``what`` (stocks / flows), ``unit``, ``delta``."""
    st = result.stocks.rename(columns={"delta_tC": "delta"}).assign(what="stocks", unit="tC")
    fl = result.flows.rename(columns={"delta_tCO2e_an": "delta"}).assign(
        what="flows", unit="tCO2e/an")
    cols = ["what", "siren", "epci_name", "step", "cause", "cause_fr", "delta", "unit",
            "share_of_gap"]
    return pd.concat([st[cols], fl[cols]], ignore_index=True)


def _write_xlsx(result: ReconciliationResult, path: Path) -> Path:
    """The bridges and totals as an XLSX workbook; text never a formula
    (:func:`espass_geo.present.exports._put`), numbers stay numbers."""
    from openpyxl import Workbook
    from openpyxl.styles import Font

    from espass_geo.present.exports import _put

    wb = Workbook()
    ws = wb.active
    ws.title = "Lisez-moi"
    lines = [f"Écart avec ALDO, expliqué — {result.label}", "",
             "delta_tC : tC (stocks) ; delta_tCO2e_an : tCO2e/an (flux, positif = "
             "séquestration) ; share_of_gap : part de l'écart (1 = 100 %).", *result.notes]
    for r, text in enumerate(lines, start=1):
        _put(ws, r, 1, text)
    ws.cell(row=1, column=1).font = Font(bold=True, size=14)
    ws.column_dimensions["A"].width = 120
    for name, df in (("Écart stocks (tC)", result.stocks),
                     ("Écart flux (tCO2e par an)", result.flows), ("Totaux", result.totals)):
        wst = wb.create_sheet(name[:31])
        for j, head in enumerate(df.columns, start=1):
            _put(wst, 1, j, str(head)).font = Font(bold=True)
        for i, rec in enumerate(df.itertuples(index=False, name=None), start=2):
            for j, v in enumerate(rec, start=1):
                _put(wst, i, j, v)
    wb.save(path)
    return path


def aldo_gap_sections(bilan_result: Any, folder: str | Path | None = None) -> list[dict]:
    """For a bilan whose territory is made of whole EPCI known to ALDO: ``[section]``, the
    part « Écart avec ALDO, expliqué » for ``meta["extra_sections"]`` of the bilan report
    (:func:`espass_geo.present.report.reconciliation.reconciliation_report_section`), the
    default method's GWP of N2O being the bilan's; ``[]`` for any other territory (the
    bridge is per EPCI). With ``folder`` (inside the bilan's output folder), also writes
    ``ecart_aldo.csv`` and ``ecart_aldo.xlsx`` there."""
    from espass_geo.errors import EspassGeoError
    from espass_geo.present.exports import write_csv
    from espass_geo.present.report.reconciliation import reconciliation_report_section

    stocks = getattr(bilan_result, "stocks", None)
    territory = getattr(stocks, "territory", None)
    if territory is None:
        return []
    try:
        epci_of_territory(territory)
    except EspassGeoError:
        return []
    cfg = getattr(bilan_result, "config", None)
    result = reconcile_with_aldo(territory, gwp_n2o=getattr(cfg, "gwp_n2o", None))
    if folder is not None:
        folder = Path(folder)
        folder.mkdir(parents=True, exist_ok=True)
        write_csv(reconciliation_long(result), folder / "ecart_aldo.csv")
        _write_xlsx(result, folder / "ecart_aldo.xlsx")
    return [reconciliation_report_section(result)]
