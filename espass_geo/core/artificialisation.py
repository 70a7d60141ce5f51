"""Net artificialisation from two OCS GE dates (ZAN, issue #12): pure computations.

The law counts net artificialisation from 2031 on OCS GE (décret n° 2023-1096 of 27 November
2023): a surface is artificialised or not according to its cover × use pair (the flag
``artificialised`` given by :func:`espass_geo.io.ocsge.read_ocsge`). Between two dates t0 < t1,
per zone:

* **artificialised** (ha) = area non-artificialised at t0 and artificialised at t1;
* **renatured** (désartificialisé, ha) = area artificialised at t0 and non-artificialised at t1;
* **net** = artificialised − renatured; the ``_an`` columns divide by the years between t0 and t1;
* ``artificial_before_ha`` / ``artificial_after_ha`` = artificialised area at t0 / t1, over the
  area covered at both dates, so that ``artificial_after − artificial_before = net`` per zone
  (checked).

The areas are exact: the two layers and the zones are overlaid polygon by polygon by
:func:`espass_geo.core.vector_areas.change_table_from_vectors` (before × after × zone, a polygon
crossing a zone boundary split exactly), the code overlaid being the pair « décret flag | CLC
code » so that the same overlay also gives, for each hectare, what it was and what it became
(:func:`artificialisation_transitions`, for its carbon). An OCS GE « différence » layer (only the
changed polygons) gives the flows directly (:func:`net_artificialisation_from_difference`), but
not the artificialised stock.

:func:`net_trajectory` draws the ceiling path from the observed net pace to net zero in 2050:
**linear** (the same decrement each year), a simplification — the law fixes the 2050 end point,
not the shape of the path; regional plans (SRADDET) may set intermediate steps.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import geopandas as gpd
import numpy as np
import pandas as pd

from espass_geo.constants import HA_PER_M2
from espass_geo.core.areas import MAX_NODATA_SHARE
from espass_geo.core.changes import check_dates
from espass_geo.errors import AreaTableError, CoverageError, CRSMismatchError

TRANSITION_COLUMNS = ["zone_id", "from_code", "to_code", "from_artificialised",
                      "to_artificialised", "area_ha"]
NET_COLUMNS = ["zone_id", "artificialised_ha", "renatured_ha", "net_ha", "artificialised_ha_an",
               "renatured_ha_an", "net_ha_an", "artificial_before_ha", "artificial_after_ha"]
TRAJECTORY_COLUMNS = ["year", "net_ha_an_observed", "target_net_ha_an"]
#: tolerance (ha) of the closure check artificial_after − artificial_before = net
CLOSURE_TOL_HA = 1e-6
_SEP = "|"


@dataclass
class _Layer:
    """What :func:`~espass_geo.core.vector_areas.change_table_from_vectors` reads from a layer
    (duck-typed like a VectorLandCover): the polygons with their overlay code, label, notes."""

    gdf: gpd.GeoDataFrame
    label: str
    notes: list[str] = field(default_factory=list)
    overlap_ha: float = 0.0


def _layer(lc: gpd.GeoDataFrame, default_label: str) -> _Layer:
    label = lc.attrs.get("label", default_label) if isinstance(lc, gpd.GeoDataFrame) \
        else default_label
    if not isinstance(lc, gpd.GeoDataFrame) or not {"artificialised", "code"} <= set(lc.columns):
        raise AreaTableError(
            f"OCS GE « {label} » : une GeoDataFrame avec les colonnes « artificialised » "
            "(booléen, décret n° 2023-1096) et « code » (code CLC / espass_geo) est attendue ; "
            "lisez la couche avec espass_geo.io.ocsge.read_ocsge().")
    flag = lc["artificialised"]
    if flag.isna().any():
        raise AreaTableError(f"OCS GE « {label} » : {int(flag.isna().sum())} polygone(s) sans "
                             "valeur « artificialised » ; relisez la couche avec read_ocsge().")
    combo = np.where(flag.astype(bool).to_numpy(), "1", "0").astype(object) + _SEP \
        + lc["code"].astype(str).to_numpy().astype(object)
    gdf = gpd.GeoDataFrame({"code": combo}, geometry=lc.geometry.values, crs=lc.crs)
    return _Layer(gdf, label, list(lc.attrs.get("notes", [])),
                  float(lc.attrs.get("overlap_ha", 0.0)))


def _split(codes: pd.Series) -> tuple[pd.Series, pd.Series]:
    parts = codes.astype(str).str.split(_SEP, n=1, expand=True)
    return parts[0] == "1", parts[1]


def artificialisation_transitions(zones: gpd.GeoDataFrame, before: gpd.GeoDataFrame,
                                  after: gpd.GeoDataFrame, *, years: tuple[int, int],
                                  max_nodata_share: float = MAX_NODATA_SHARE) -> pd.DataFrame:
    """Hectares of each (what it was → what it became) per zone between two OCS GE dates.

    ``zones``: GeoDataFrame ``zone_id, geometry`` (EPSG:2154); ``before`` / ``after``: the
    layers of :func:`espass_geo.io.ocsge.read_ocsge` (``artificialised``, ``code``, polygons).
    Returns ``zone_id, from_code, to_code`` (CLC / espass_geo codes of the OCS GE crosswalk, for
    the carbon), ``from_artificialised, to_artificialised`` (décret flags), ``area_ha`` (exact
    area of before ∩ after ∩ zone over the period, unchanged surfaces included). ``attrs``:
    ``notes`` (French), ``years``, ``summary`` (zone area, area covered at both dates). The
    coverage rule of the change tables applies (a zone too little covered at both dates is
    refused, :class:`~espass_geo.errors.CoverageError`).
    """
    from espass_geo.core.vector_areas import change_table_from_vectors

    n_years = check_dates(*years)
    b, a = _layer(before, f"OCS GE {years[0]}"), _layer(after, f"OCS GE {years[1]}")
    ct = change_table_from_vectors(zones, b, a, years=years, max_nodata_share=max_nodata_share,
                                   label=f"{b.label} → {a.label}")
    t = ct.table
    from_art, from_code = _split(t["from_code"])
    to_art, to_code = _split(t["to_code"])
    out = pd.DataFrame({"zone_id": t["zone_id"].to_numpy(), "from_code": from_code.to_numpy(),
                        "to_code": to_code.to_numpy(),
                        "from_artificialised": from_art.to_numpy(dtype=bool),
                        "to_artificialised": to_art.to_numpy(dtype=bool),
                        "area_ha": t["area_ha"].to_numpy(dtype=float)})
    out = out.groupby(TRANSITION_COLUMNS[:-1], as_index=False, sort=True)["area_ha"].sum()
    out.attrs.update({"notes": list(ct.notes), "years": (int(years[0]), int(years[1])),
                      "n_years": n_years, "summary": ct.summary,
                      "zone_ids": list(zones["zone_id"])})
    return out[TRANSITION_COLUMNS]


def net_from_transitions(transitions: pd.DataFrame, *, years: tuple[int, int],
                         zone_ids=None, stock: bool = True) -> pd.DataFrame:
    """The net artificialisation table (:data:`NET_COLUMNS`) of a transition table
    (:func:`artificialisation_transitions`). ``zone_ids``: every zone to report (zeros where
    nothing is covered); ``stock=False`` (a difference layer: only changes) leaves
    ``artificial_before_ha`` / ``artificial_after_ha`` empty (NaN)."""
    n_years = check_dates(*years)
    missing = set(TRANSITION_COLUMNS) - set(transitions.columns)
    if missing:
        raise AreaTableError(f"table des transitions sans colonne(s) {', '.join(sorted(missing))}"
                             " ; calculez-la avec artificialisation_transitions().")
    t = transitions
    fa = t["from_artificialised"].astype(bool).to_numpy()
    ta = t["to_artificialised"].astype(bool).to_numpy()
    area = t["area_ha"].to_numpy(dtype=float)
    parts = pd.DataFrame({"zone_id": t["zone_id"].to_numpy(),
                          "artificialised_ha": np.where(~fa & ta, area, 0.0),
                          "renatured_ha": np.where(fa & ~ta, area, 0.0),
                          "artificial_before_ha": np.where(fa, area, 0.0),
                          "artificial_after_ha": np.where(ta, area, 0.0)})
    g = parts.groupby("zone_id", sort=True).sum()
    if zone_ids is None:
        zone_ids = transitions.attrs.get("zone_ids")
    if zone_ids is not None:
        g = g.reindex(pd.Index(list(zone_ids), name="zone_id"), fill_value=0.0)
    out = g.reset_index()
    out["net_ha"] = out["artificialised_ha"] - out["renatured_ha"]
    if stock:
        gap = (out["artificial_after_ha"] - out["artificial_before_ha"] - out["net_ha"]).abs()
        if (gap > CLOSURE_TOL_HA).any():  # an identity on the transitions: a bug if it fails
            raise AssertionError(f"artificialisation : stock après − stock avant ≠ net pour les "
                                 f"zones {list(out.loc[gap > CLOSURE_TOL_HA, 'zone_id'])}")
    else:
        out["artificial_before_ha"] = np.nan
        out["artificial_after_ha"] = np.nan
    for c in ("artificialised_ha", "renatured_ha", "net_ha"):
        out[f"{c}_an"] = out[c] / n_years
    out = out[NET_COLUMNS].reset_index(drop=True)
    out.attrs.update({"years": (int(years[0]), int(years[1])), "n_years": n_years,
                      "notes": list(transitions.attrs.get("notes", []))})
    return out


def net_artificialisation(zones: gpd.GeoDataFrame, before: gpd.GeoDataFrame,
                          after: gpd.GeoDataFrame, *, years: tuple[int, int],
                          max_nodata_share: float = MAX_NODATA_SHARE) -> pd.DataFrame:
    """Artificialised, renatured and net hectares per zone between two OCS GE dates (décret
    n° 2023-1096 cover × use rule), totals and per year (``_an``: divided by ``years[1] −
    years[0]``), with the artificialised area at both dates; one row per zone of ``zones``
    (:data:`NET_COLUMNS`). ``artificial_after − artificial_before = net`` per zone is checked.
    ``attrs["notes"]``: the French notes of the layers and of the overlay."""
    tr = artificialisation_transitions(zones, before, after, years=years,
                                       max_nodata_share=max_nodata_share)
    return net_from_transitions(tr, years=years, zone_ids=list(zones["zone_id"]))


# ------------------------------------------------------------------ difference layer
def difference_transitions(zones: gpd.GeoDataFrame, diff: gpd.GeoDataFrame) -> pd.DataFrame:
    """Transitions per zone from an OCS GE « différence » layer
    (:func:`espass_geo.io.ocsge.read_ocsge_difference`): the exact area of each changed polygon
    ∩ zone, same columns as :func:`artificialisation_transitions` (only changed surfaces)."""
    from espass_geo.core.vector_areas import _check_zones, overlay_pairs

    need = {"artificialised_before", "artificialised_after", "code_before", "code_after"}
    label = diff.attrs.get("label", "différence OCS GE") if isinstance(diff, pd.DataFrame) \
        else "différence OCS GE"
    if not isinstance(diff, gpd.GeoDataFrame) or not need <= set(diff.columns):
        raise AreaTableError(f"OCS GE « {label} » : une couche lue par read_ocsge_difference() "
                             f"est attendue (colonnes {', '.join(sorted(need))}).")
    _check_zones(zones, 0.0)
    if diff.crs is None or diff.crs.to_epsg() != 2154:
        raise CRSMismatchError(f"la couche « {label} » est en {diff.crs}, pas en EPSG:2154 ; "
                               "lisez-la avec read_ocsge_difference().")
    iz, idf, area = overlay_pairs(zones.geometry.values, diff.geometry.values)
    raw = pd.DataFrame({
        "zone_id": zones["zone_id"].to_numpy()[iz],
        "from_code": diff["code_before"].astype(str).to_numpy()[idf],
        "to_code": diff["code_after"].astype(str).to_numpy()[idf],
        "from_artificialised": diff["artificialised_before"].astype(bool).to_numpy()[idf],
        "to_artificialised": diff["artificialised_after"].astype(bool).to_numpy()[idf],
        "area_ha": area * HA_PER_M2})
    raw = raw[raw["area_ha"] > 0]
    out = raw.groupby(TRANSITION_COLUMNS[:-1], as_index=False, sort=True)["area_ha"].sum()
    out = out[TRANSITION_COLUMNS].reset_index(drop=True)
    out.attrs.update({"notes": list(diff.attrs.get("notes", [])),
                      "zone_ids": list(zones["zone_id"])})
    return out


def net_artificialisation_from_difference(zones: gpd.GeoDataFrame, diff: gpd.GeoDataFrame, *,
                                          years: tuple[int, int] | None = None) -> pd.DataFrame:
    """:func:`net_artificialisation` from an OCS GE « différence » layer: the same flows
    (artificialised, renatured, net, per year); ``artificial_before_ha`` and
    ``artificial_after_ha`` are NaN (the layer holds only the changed polygons). ``years``
    defaults to the layer's (``diff.attrs["years"]``)."""
    years = years or diff.attrs.get("years")
    if years is None:
        raise AreaTableError("différence OCS GE : années inconnues ; donnez years=(2018, 2021) "
                             "par exemple.")
    tr = difference_transitions(zones, diff)
    if tr.empty and len(diff):
        zb = [round(v) for v in zones.total_bounds]
        raise CoverageError(f"la couche « {diff.attrs.get('label', 'différence OCS GE')} » n'a "
                            f"aucun polygone sur le territoire (emprise {zb}) : vérifiez la "
                            "couche et son emprise.")
    return net_from_transitions(tr, years=years, zone_ids=list(zones["zone_id"]), stock=False)


# ------------------------------------------------------------------ trajectory
def net_trajectory(net_table: pd.DataFrame, *, start: int = 2031,
                   horizon: int = 2050) -> pd.DataFrame:
    """The path from the observed net artificialisation pace to net zero at ``horizon``.

    ``net_table``: :func:`net_artificialisation` (its ``net_ha_an`` summed over the zones is
    the observed pace, ha/yr). Returns one row per year ``start … horizon``:
    ``net_ha_an_observed`` (the observed pace, held constant: the trend) and
    ``target_net_ha_an`` (the ceiling: **linear** from the observed pace in ``start`` to 0 in
    ``horizon``; an observed pace already ≤ 0 gives a ceiling of 0 every year).
    """
    if "net_ha_an" not in net_table.columns:
        raise AreaTableError("trajectoire ZAN : une table d'artificialisation nette avec la "
                             "colonne net_ha_an est attendue (net_artificialisation()).")
    start, horizon = int(start), int(horizon)
    if horizon <= start:
        raise AreaTableError(f"trajectoire ZAN : l'horizon ({horizon}) doit suivre l'année de "
                             f"départ ({start}) ; par ex. start=2031, horizon=2050.")
    pace = float(net_table["net_ha_an"].sum())
    yrs = np.arange(start, horizon + 1)
    target = max(pace, 0.0) * (horizon - yrs) / (horizon - start)
    return pd.DataFrame({"year": yrs, "net_ha_an_observed": pace,
                         "target_net_ha_an": target})[TRAJECTORY_COLUMNS]
