"""Build a commune emission estimate from regional totals: large point sources placed in their
commune, the remainder spread by proxies (population, land cover), totals conserved exactly.

Pure functions on DataFrames (no file is read here): the shipped inputs are loaded by
:func:`espass_geo.io.inventory.load_demo_inputs`, a user's point-source table is read by
:func:`espass_geo.io.inventory.read_point_sources`, and ``factors/build_demo_inventory.py``
writes the demo file with :func:`demo_inventory_table`.

Method, for one sector × substance with regional total ``R`` (for instance Hauts-de-France
industry GES), point sources ``p_i`` located in the communes (point in polygon) and ``share``
the part of the region's diffuse emissions that falls in the communes (the population share):

* every ``p_i`` goes to the commune that contains it;
* the remainder ``(R − Σ p_i) × share`` is spread over the communes by the sector's proxy
  weights (which sum to 1);
* ``R − Σ p_i < 0`` is refused (the points would exceed the regional total).

Amounts are integers of ``10**-decimals`` (0.001 tCO2e for GES, 0.0001 t for pollutants): each
point is rounded to that step, the remainder is shared with the largest-remainder method, so
the communes add up *exactly* to ``Σ p_i + round((R − Σ p_i) × share)`` in those units.
Worked example (1 decimal): R = 100, one point of 30 in commune A, share 0.5, weights A 0.2,
B 0.8: remainder (100 − 30) × 0.5 = 35 → A 7 + 30 = 37, B 28; total 65 = 30 + 35.
"""

from __future__ import annotations

from collections.abc import Mapping

import geopandas as gpd
import numpy as np
import pandas as pd
from pyproj import CRS
from pyproj.exceptions import CRSError

from espass_geo.constants import LAMBERT93
from espass_geo.errors import InventoryError
from espass_geo.present.fmt import fmt_number

#: PCAET sectors and substances of the demo (``factors/regional_inventory_hdf.csv``)
SECTORS = ("residentiel", "tertiaire", "transport_routier", "autres_transports", "agriculture",
           "dechets", "industrie", "branche_energie")
SUBSTANCES = ("GES", "NOx", "PM10", "PM2.5", "COVNM", "SO2", "NH3")
POP_SECTORS = frozenset({"residentiel", "tertiaire", "transport_routier", "autres_transports",
                         "dechets"})
AGRI_CODES = range(211, 245)  # CLC 211-244: arable land, permanent crops, 231 pastures, mosaics
INDUSTRY_CODE = "121"  # CLC 121: industrial or commercial units
#: decimals of the rounding step per substance (others: :data:`DEFAULT_DECIMALS`)
DECIMALS = {"GES": 3}
DEFAULT_DECIMALS = 4
#: sector of a point source whose table has no ``sector`` column
DEFAULT_POINT_SECTOR = "industrie"
#: ``source`` / ``source_year`` columns of the demo estimate (its label in every output)
DEMO_SOURCE = "espass_geo demo estimate, NOT an inventory (factors/README.md)"
DEMO_SOURCE_YEAR = 2024
#: the proxies of steps 1|2|3 (region → 59/62 → EPCI → commune), the ``proxy`` column
PROXY_LABEL = {"pop": "pop|pop|pop", "agri": "pop|clc18_211-244|area",
               "clc121": "pop|clc18_121|area"}
#: substances accepted in a point-source table as another name of a substance of the totals
SUBSTANCE_ALIASES = {"CO2": "GES"}  # a CO2 mass is tCO2e (GWP 1): counted in GES
#: a point in no commune polygon but within this distance (m) of one goes to the nearest: the
#: shipped boundaries are simplified (~300 m between vertices) and leave slivers between
#: neighbouring communes and along the coast
SNAP_M = 500.0


def decimals_of(substance: str) -> int:
    return DECIMALS.get(substance, DEFAULT_DECIMALS)


def proxy_of(sector: str) -> str:
    """The proxy (key of :func:`proxy_weights`) spreading a sector of the demo."""
    if sector in POP_SECTORS:
        return "pop"
    return "agri" if sector == "agriculture" else "clc121"


def largest_remainder(weights, total_units: int) -> np.ndarray:
    """Integer units per commune, proportional to ``weights`` (≥ 0, summing to 1), adding up to
    ``total_units`` exactly: floors, then one more unit to the largest fractions (ties: first
    position, i.e. the smallest INSEE code when communes are sorted)."""
    w = np.asarray(weights, dtype=float)
    if total_units == 0:
        return np.zeros(len(w), dtype=np.int64)
    raw = w * total_units
    units = np.floor(raw).astype(np.int64)
    short = int(total_units) - int(units.sum())
    if short:
        frac = raw - units
        order = np.lexsort((np.arange(len(frac)), -frac))
        units[order[:short]] += 1
    if units.sum() != total_units or (units < 0).any():  # pragma: no cover - guarded above
        raise AssertionError("largest remainder: units do not add up")
    return units


def proxy_weights(communes: pd.DataFrame, epci_agri: pd.Series, epci_ind: pd.Series
                  ) -> dict[str, pd.Series]:
    """Weights of the communes (sum 1) for each proxy, indexed by INSEE code.

    ``communes``: ``insee, epci, population, area_ha``; ``epci_agri`` / ``epci_ind``: the
    agricultural (CLC 211-244) and CLC 121 areas of each EPCI (ha). ``pop``: the commune's
    population share; ``agri`` / ``clc121``: the EPCI's share of the proxy area × the commune's
    share of its EPCI's land area (no land cover per commune is shipped).
    """
    c = communes.set_index("insee")
    pop_w = c["population"] / c["population"].sum()
    area_in_epci = c["area_ha"] / c.groupby("epci")["area_ha"].transform("sum")

    def by_epci(epci_proxy: pd.Series) -> pd.Series:
        e = epci_proxy / epci_proxy.sum()
        return c["epci"].map(e).fillna(0.0) * area_in_epci

    w = {"pop": pop_w, "agri": by_epci(epci_agri), "clc121": by_epci(epci_ind)}
    for k, s in w.items():
        if (s < 0).any() or abs(s.sum() - 1) > 1e-9:
            raise InventoryError(f"poids de répartition « {k} » : somme {s.sum():.9f} au lieu "
                                 "de 1 ; vérifiez les tables de communes et de surfaces.")
    return w


def _where(p: pd.Series) -> str:
    where = f"ligne {int(p['line'])}" if "line" in p and pd.notna(p.get("line")) else "site"
    return f"{where} « {p['name']} »"


def locate_points(points: pd.DataFrame, communes: gpd.GeoDataFrame, *, label: str = "sources "
                  "ponctuelles") -> pd.Series:
    """INSEE code of the commune containing each point (``x, y, crs``), by point in polygon on
    ``communes`` (``code`` + polygons) after reprojecting every point to EPSG:2154.

    A point on the common border of two communes goes to the first one (sorted by code); a
    point in no polygon but within :data:`SNAP_M` of one goes to the nearest commune. An
    unknown CRS, or a point farther from every commune, is refused (French message naming the
    rows).
    """
    com = communes.to_crs(LAMBERT93)[["code", "geometry"]].sort_values("code")
    xs = np.full(len(points), np.nan)
    ys = np.full(len(points), np.nan)
    problems = []
    for crs_text, grp in points.groupby(points["crs"].astype(str).str.strip(), sort=False):
        try:
            crs = CRS.from_user_input(crs_text)
        except (CRSError, TypeError, ValueError):
            problems.append(f"{', '.join(_where(p) for _, p in grp.head(3).iterrows())} : "
                            f"système de coordonnées « {crs_text} » inconnu ; écrivez "
                            "EPSG:2154 (Lambert-93, x y en mètres) ou EPSG:4326 (WGS84, x = "
                            "longitude, y = latitude en degrés)")
            continue
        g = gpd.GeoSeries(gpd.points_from_xy(grp["x"], grp["y"]), crs=crs).to_crs(LAMBERT93)
        pos = points.index.get_indexer(grp.index)
        xs[pos] = g.x.to_numpy()
        ys[pos] = g.y.to_numpy()
    if problems:
        raise InventoryError(f"{label} : " + " ; ".join(problems) + ".")
    pts = gpd.GeoDataFrame({"_i": np.arange(len(points))},
                           geometry=gpd.points_from_xy(xs, ys), crs=LAMBERT93)
    hit = gpd.sjoin(pts, com, how="left", predicate="intersects")
    hit = hit.sort_values(["_i", "code"]).drop_duplicates("_i")
    codes = pd.Series(hit.sort_values("_i")["code"].to_numpy(), index=points.index)
    finite = np.isfinite(xs) & np.isfinite(ys)
    for k in np.flatnonzero(codes.isna().to_numpy() & finite):  # in a gap of the simplified
        d = com.distance(pts.geometry.iloc[k])                    # boundaries: nearest commune
        if d.min() <= SNAP_M:
            codes.iloc[k] = com["code"].iloc[int(np.argmin(d.to_numpy()))]
    outside = codes.isna() | ~finite
    if outside.any():
        rows = [f"{_where(points.loc[i])} (x = {points.at[i, 'x']}, y = {points.at[i, 'y']}, "
                f"{points.at[i, 'crs']})" for i in points.index[outside][:8]]
        raise InventoryError(
            f"{label} : {int(outside.sum())} site(s) hors des communes couvertes (Nord et "
            "Pas-de-Calais) : " + " ; ".join(rows) + " ; vérifiez les coordonnées (en "
            "EPSG:4326, x est la longitude ≈ 1,5 à 4,3 et y la latitude ≈ 49,9 à 51,1 ; en "
            "EPSG:2154, x ≈ 580 000 à 740 000 m et y ≈ 6 900 000 à 7 120 000 m) et leur système.")
    return codes.astype(str)


def _totals(inventory: pd.DataFrame) -> pd.DataFrame:
    """``sector, substance, value[, year, unit]`` per sector × substance (a commune inventory
    is summed first)."""
    if "value" not in inventory and "value_t" in inventory:  # a validated inventory
        inventory = inventory.rename(columns={"value_t": "value"})
    keep = [c for c in ("year", "unit") if c in inventory]
    agg = {"value": "sum", **{c: "first" for c in keep}}
    return inventory.groupby(["sector", "substance"], as_index=False, sort=False).agg(agg)


def allocate_point_sources(
    inventory: pd.DataFrame,
    point_sources: pd.DataFrame,
    communes: gpd.GeoDataFrame,
    *,
    weights: Mapping[str, pd.Series],
    proxy: Mapping[str, str] | None = None,
    share: float = 1.0,
    label: str = "sources ponctuelles",
) -> pd.DataFrame:
    """Commune emissions: the point sources in their commune, the remainder by proxy.

    ``inventory``: regional totals ``sector, substance, value`` (or a commune inventory, summed
    per sector × substance); ``point_sources``: ``name, x, y, crs, substance, emission_t`` and
    optionally ``sector`` (default :data:`DEFAULT_POINT_SECTOR`) and ``line`` (file line, for
    messages); ``communes``: polygons with an INSEE ``code``; ``weights``: the proxy weights of
    :func:`proxy_weights` (indexed by INSEE code, each summing to 1; their index is the list of
    communes of the result); ``proxy``: sector → key of ``weights`` (default :func:`proxy_of`);
    ``share``: part of the regional remainder falling in these communes.

    Returns ``territory_code, sector, substance, value, point_value, proxy[, year, unit]`` (one
    row per commune × sector × substance of the totals; ``point_value`` is the part placed from
    point sources; values rounded to :func:`decimals_of`) and ``_units, _decimals``: the value
    as an integer number of rounding steps. Σ ``_units`` per sector × substance =
    Σ points + round((total − Σ points) × share) exactly.
    """
    totals = _totals(inventory)
    codes = next(iter(weights.values())).index.astype(str)
    codes = pd.Index(sorted(codes))
    pts = point_sources.copy()
    if "sector" not in pts:
        pts["sector"] = DEFAULT_POINT_SECTOR
    pts["sector"] = pts["sector"].astype(str).str.strip().replace("", DEFAULT_POINT_SECTOR)
    pts["substance"] = pts["substance"].astype(str).str.strip().replace(SUBSTANCE_ALIASES)
    known = set(zip(totals["sector"], totals["substance"], strict=True))
    unknown = [p for _, p in pts.iterrows() if (p["sector"], p["substance"]) not in known]
    if unknown:
        sec = sorted(set(totals["sector"]))
        sub = sorted(set(totals["substance"]))
        raise InventoryError(
            f"{label} : secteur ou substance sans total régional : "
            + " ; ".join(f"{_where(p)} ({p['sector']}, {p['substance']})" for p in unknown[:8])
            + f" ; secteurs possibles {sec}, substances {sub} (CO2 est compté en GES).")
    pts["territory_code"] = locate_points(pts, communes, label=label) if len(pts) else []
    strays = sorted(set(pts["territory_code"]) - set(codes))
    if strays:  # pragma: no cover - communes and weights come from the same table
        raise InventoryError(f"{label} : commune(s) {strays} sans poids de répartition.")
    parts = []
    for r in totals.itertuples(index=False):
        sector, sub = r.sector, r.substance
        d = decimals_of(sub)
        scale = 10 ** d
        total_units = int(round(float(r.value) * scale))
        here = pts[(pts["sector"] == sector) & (pts["substance"] == sub)]
        p_units = (here["emission_t"].astype(float) * scale).round().astype(np.int64)
        by_commune = p_units.groupby(here["territory_code"]).sum().reindex(codes, fill_value=0)
        s_units = int(p_units.sum())
        if s_units > total_units:
            unit = "tCO2e" if sub == "GES" else "t"
            names = ", ".join(f"{_where(p)} : {fmt_number(v / scale)} {unit}"
                              for (_, p), v in zip(here.iterrows(), p_units, strict=True))
            raise InventoryError(
                f"{label} : {sector} × {sub} : les sources ponctuelles totalisent "
                f"{fmt_number(s_units / scale)} {unit}, plus que le total régional "
                f"{fmt_number(float(r.value))} {unit} ({names}) ; le reste à répartir serait "
                "négatif : vérifiez l'unité (t, pas kg), le secteur et la substance de ces "
                "sites, et qu'ils sont bien dans la région de l'inventaire.")
        rest_units = int(round((total_units - s_units) * share))
        key = (proxy or {}).get(sector) or proxy_of(sector)
        w = weights[key].reindex(codes).fillna(0.0).to_numpy()
        units = largest_remainder(w, rest_units) + by_commune.to_numpy()
        label_proxy = PROXY_LABEL.get(key, key)
        has_point = by_commune.to_numpy() > 0
        part = pd.DataFrame({
            "territory_code": codes, "sector": sector, "substance": sub,
            "value": units / scale, "point_value": by_commune.to_numpy() / scale,
            "proxy": np.where(has_point, "points+" + label_proxy, label_proxy),
            "_units": units, "_decimals": d,
        })
        for c in ("year", "unit"):
            if c in totals:
                part[c] = getattr(r, c)
        parts.append(part)
    return pd.concat(parts, ignore_index=True)


def demo_inventory_table(regional: pd.DataFrame, pop_region: float, communes: pd.DataFrame,
                         epci_agri: pd.Series, epci_ind: pd.Series,
                         geometries: gpd.GeoDataFrame, point_sources: pd.DataFrame, *,
                         source: str, source_year: int, label: str = "sources ponctuelles"
                         ) -> pd.DataFrame:
    """The demo commune inventory (schema of factors/README.md « Schéma d'inventaire » plus
    ``source_year, confidence, proxy, point_value``), sorted by commune, sector, substance.

    ``regional``: ``sector, substance, year, value, unit`` (the regional totals, « total » rows
    excluded); ``pop_region``: the region's population (same vintage as ``communes``);
    ``communes``: ``insee, epci, population, area_ha``; ``geometries``: commune polygons
    (``code``); ``point_sources``: as for :func:`allocate_point_sources`. The diffuse part of
    each sector (regional total − points) reaches the communes by their population share.
    """
    share = float(communes["population"].sum()) / float(pop_region)
    weights = proxy_weights(communes, epci_agri, epci_ind)
    out = allocate_point_sources(regional, point_sources, geometries, weights=weights,
                                 share=share, label=label)
    order = {s: i for i, s in enumerate(SECTORS)}
    subs = {s: i for i, s in enumerate(SUBSTANCES)}
    out = out.assign(_s=out["sector"].map(order), _b=out["substance"].map(subs))
    out = out.sort_values(["territory_code", "_s", "_b"], kind="stable").reset_index(drop=True)
    return pd.DataFrame({
        "territory_code": out["territory_code"], "territory_level": "commune",
        "sector": out["sector"], "substance": out["substance"], "year": out["year"].astype(int),
        "value": out["value"], "unit": out["unit"], "source": source,
        "source_year": source_year, "confidence": "derived", "proxy": out["proxy"],
        "point_value": out["point_value"], "_units": out["_units"],
        "_decimals": out["_decimals"],
    })


def format_units(units, decimals) -> list[str]:
    """Fixed-point text of integer ``units`` of ``10**-decimals`` (``1234`` at 3 → ``1.234``),
    without float rounding."""
    out = []
    for u, d in zip(np.asarray(units).tolist(), np.asarray(decimals).tolist(), strict=True):
        scale = 10 ** d
        out.append(f"{u // scale}.{u % scale:0{d}d}")
    return out


__all__ = ["allocate_point_sources", "demo_inventory_table", "largest_remainder",
           "locate_points", "proxy_weights", "proxy_of", "format_units"]
