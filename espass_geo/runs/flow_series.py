"""Flows over a series of land covers (issue #11, item 5): edge module.

A series of land covers (OCS GE 2015 / 2018 / 2021, OSO yearly, CLC 2000 / 2006 / 2012 /
2018…) gives one flow computation per pair of consecutive dates
(:func:`~espass_geo.runs.flows.compute_territory_flows`, used as it is), and the series per zone:

* each period is annualised over **its own** length (2012 → 2018: 6 years, 2018 → 2021:
  3 years): ``flux_tCO2e_an`` of a period is its flow per year, ``flux_tCO2e`` its flow over
  the period (``flux_tCO2e_an × n_years``);
* the whole series (``total``) is weighted by the lengths: the sum of the period flows divided
  by the total number of years, ``Σ flux_tCO2e / Σ n_years`` — not the mean of the yearly
  flows of the periods, which would give a 3-year period the weight of a 6-year one.

Sign convention (ALDO): positive = sequestration, negative = emission.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import geopandas as gpd
import pandas as pd

from espass_geo import __version__
from espass_geo.constants import LAMBERT93, SIGN_CONVENTION_FR
from espass_geo.core.flows import CONVENTION
from espass_geo.errors import ConfigError, InputFileError
from espass_geo.io.rasters import is_vsi_path
from espass_geo.io.toml import FIRST_LANDCOVER_YEAR  # land covers from 1985 to this year
from espass_geo.runs.flows import FlowsResult, compute_territory_flows, write_flow_outputs
from espass_geo.territory.resolve import Territory, resolve_territory

#: Per-year columns of a zone flow table averaged, length-weighted, over the whole series.
PER_YEAR_COLUMNS: tuple[str, ...] = (
    "flux_tCO2e_an",
    "flux_land_use_change_tCO2e_an",
    "flux_forest_growth_tCO2e_an",
    "flux_wood_products_tCO2e_an",
    "flux_n2o_tCO2e_an",
    "sealing_flux_tCO2e_an",
)
#: Columns of :attr:`FlowSeriesResult.series` and :attr:`FlowSeriesResult.total` (the cause
#: and sealing columns only when the period tables have them).
SERIES_COLUMNS: tuple[str, ...] = (
    "zone_id", "zone_name", "period", "year_from", "year_to", "n_years", "area_ha",
    "flux_tCO2e_an", "flux_tCO2e_ha_an", "flux_tCO2e", *PER_YEAR_COLUMNS[1:],
    "sealed_ha", "sealed_ha_an", "convention",
)
#: Columns put first in :attr:`FlowSeriesResult.flows` (then those of the flow records).
PERIOD_COLUMNS: tuple[str, ...] = ("period", "year_from", "year_to", "n_years")


def period_label(year_from: int, year_to: int) -> str:
    """``"2015-2018"``: the name of a period in the tables and on the map."""
    return f"{int(year_from)}-{int(year_to)}"


# --------------------------------------------------------------------------------------------
# Parsing the series
# --------------------------------------------------------------------------------------------

def _show(item: Any) -> str:
    if isinstance(item, str):
        return f"« {item} »"
    if isinstance(item, Mapping):
        inner = ", ".join(f"{k} = {v!r}" for k, v in item.items())
        return f"{{{inner}}}"
    return f"« {item!r} »"


def _year(value: Any) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, str) and value.strip().isdigit():
        return int(value.strip())
    return None


def _exists(path: Path) -> bool:
    """The file exists, or the part before ``:layer`` does (a vector layer of a GeoPackage)."""
    from espass_geo.io.toml import exists

    if exists(path):
        return True
    text = str(path)
    head, sep, layer = text.rpartition(":")
    return bool(sep and head and layer and "/" not in layer and "\\" not in layer
                and exists(Path(head)))


def parse_series(items: Iterable[Any], *, base_dir: str | Path | None = None,
                 source: str = "--landcover-series",
                 check_files: bool = True) -> list[tuple[int, Path]]:
    """The land covers of a series as ``[(year, path), …]`` sorted by year.

    ``items``: ``"2015=ocsge_2015.tif"`` strings (the command line, ``--landcover-series``
    repeated), ``{"year": 2015, "file": "ocsge_2015.tif"}`` tables (``bilan.toml``) or
    ``(year, file)`` pairs (Python; a ``file`` that is not a path, e.g. an
    ``xarray.DataArray``, is passed on as it is, unchecked). At least two dates (three or more
    is the point of a series), distinct, from :data:`FIRST_LANDCOVER_YEAR` to this year; a file
    whose name holds one year must be of that year.

    ``base_dir``: folder of relative paths (the folder of ``bilan.toml``; default: the current
    folder); ``"demo"`` and ``"demo-2012"`` name the embedded demo rasters. ``source``: how the
    user wrote the series, named in the messages (``"--landcover-series"``,
    ``"bilan.toml [landcover] series"``).

    Raises :class:`~espass_geo.errors.ConfigError` listing every malformed item (with the
    remedy), then :class:`~espass_geo.errors.InputFileError` for a file that does not exist.
    """
    from espass_geo.io.toml import landcover_date, resolve_path, this_year

    base = Path(base_dir) if base_dir is not None else Path()
    if isinstance(items, str | bytes | Mapping):
        items = [items]
    last = this_year()
    problems: list[str] = []
    parsed: list[tuple[int, Any, Any]] = []  # (year, file as written, path or object)
    example = f"{source} 2015=ocsge_2015.tif"
    for k, item in enumerate(items, start=1):
        where = f"{source}, date n° {k} {_show(item)}"
        if isinstance(item, str):
            year_text, sep, file = item.partition("=")
            if not sep or not year_text.strip() or not file.strip():
                problems.append(f"{where} : attendu ANNÉE=FICHIER, par ex. {example}")
                continue
            raw_year, file = year_text.strip(), file.strip()
        elif isinstance(item, Mapping):
            unknown = sorted(set(map(str, item)) - {"year", "file"})
            missing = [key for key in ("year", "file") if key not in item]
            if unknown or missing:
                what = []
                if missing:
                    what.append("clé(s) manquante(s) : " + ", ".join(missing))
                if unknown:
                    what.append("clé(s) inconnue(s) : " + ", ".join(unknown))
                problems.append(f"{where} : {' ; '.join(what)} ; écrivez "
                                "{ year = 2015, file = \"ocsge_2015.tif\" }")
                continue
            raw_year, file = item["year"], item["file"]
        elif isinstance(item, tuple | list) and len(item) == 2:
            raw_year, file = item
        else:
            problems.append(f"{where} : attendu ANNÉE=FICHIER (ligne de commande), "
                            "{ year = …, file = … } (fichier de configuration) ou un couple "
                            "(année, fichier)")
            continue
        year = _year(raw_year)
        if year is None:
            problems.append(f"{where} : l'année {raw_year!r} n'est pas un entier ; écrivez "
                            "par ex. 2015")
            continue
        if not FIRST_LANDCOVER_YEAR <= year <= last:
            problems.append(f"{where} : l'année {year} est hors de {FIRST_LANDCOVER_YEAR}–{last} "
                            "(une occupation du sol n'est pas du futur) ; corrigez l'année")
            continue
        if isinstance(file, str | os.PathLike):
            text = os.fspath(file)
            if not str(text).strip():
                problems.append(f"{where} : nom de fichier vide ; donnez le fichier de l'année "
                                f"{year}")
                continue
            known = landcover_date(str(text))
            if known is not None and known[0] != year:
                fix = " ou renommez le fichier" if "nom du fichier" in known[1] else ""
                problems.append(f"{where} : le fichier date de {known[0]} ({known[1]}), pas de "
                                f"{year} ; corrigez l'année{fix}")
                continue
            path = resolve_path(str(text), base, "landcover")
            parsed.append((year, text, path))
        elif file is None:
            problems.append(f"{where} : fichier manquant ; donnez le fichier de l'année {year}")
        else:
            parsed.append((year, file, file))
    years = [y for y, _, _ in parsed]
    dup = sorted({y for y in years if years.count(y) > 1})
    for y in dup:
        files = [str(f) for yy, f, _ in parsed if yy == y]
        problems.append(f"{source} : l'année {y} est donnée {len(files)} fois ("
                        + ", ".join(f"« {f} »" for f in files)
                        + ") ; une seule occupation du sol par année")
    if not problems and len(parsed) < 2:
        problems.append(f"{source} : {len(parsed)} date(s) seulement ; une série demande au moins "
                        "deux occupations du sol (trois ou plus pour plusieurs périodes), par "
                        f"ex. {source} 2015=ocsge_2015.tif {source} 2018=ocsge_2018.tif "
                        f"{source} 2021=ocsge_2021.tif")
    if problems:
        if len(problems) == 1:
            raise ConfigError(problems[0], problems)
        raise ConfigError(f"{source} : {len(problems)} problème(s) :\n  - "
                          + "\n  - ".join(problems), problems)
    parsed.sort(key=lambda t: t[0])
    if check_files:
        for y, written, p in parsed:
            if isinstance(p, Path) and not is_vsi_path(p) and not _exists(p):
                raise InputFileError(
                    f"{source} : l'occupation du sol de {y} « {written} » n'existe pas"
                    + (f" (cherchée dans « {base} »)" if not Path(str(written)).is_absolute()
                       and base_dir is not None else "")
                    + " ; vérifiez le chemin (un chemin relatif part du dossier courant, ou de "
                    "celui du fichier de configuration).")
    return [(y, p) for y, _, p in parsed]


# --------------------------------------------------------------------------------------------
# Result and assembly (pure)
# --------------------------------------------------------------------------------------------

def series_tables(periods: Sequence[tuple[int, int, pd.DataFrame]]
                  ) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The series per zone and period, and the whole series per zone (pure).

    ``periods``: ``(year_from, year_to, zones)`` with per zone ``zone_id, zone_name, area_ha,
    flux_tCO2e_an`` (+ the per-cause columns of :data:`PER_YEAR_COLUMNS` and ``sealed_ha``,
    ``sealed_ha_an`` when given), each annualised over its period.

    Returns ``(series, total)`` with the columns of :data:`SERIES_COLUMNS`. In ``series``
    ``flux_tCO2e = flux_tCO2e_an × n_years``. In ``total`` (one row per zone, period
    ``"first-last"``) a per-year column is ``Σ (x_an × n_years) / Σ n_years`` — e.g. periods of
    6 and 3 years at 10 and 40 tCO2e/an: (60 + 120) / 9 = 20 tCO2e/an — and ``sealed_ha``,
    ``flux_tCO2e`` are the sums. A zone missing from a period counts 0 there.
    """
    if not periods:
        raise ValueError("series_tables needs at least one period")
    parts = []
    for y0, y1, zones in periods:
        n = int(y1) - int(y0)
        if n <= 0:
            raise ValueError(f"period {y0}-{y1}: the second year must follow the first")
        cols = [c for c in ("zone_id", "zone_name", "area_ha", *PER_YEAR_COLUMNS, "sealed_ha",
                            "sealed_ha_an") if c in zones.columns]
        t = pd.DataFrame(zones[cols]).copy()
        t["period"] = period_label(y0, y1)
        t["year_from"], t["year_to"], t["n_years"] = int(y0), int(y1), n
        if "sealed_ha_an" in t and "sealed_ha" not in t:
            t["sealed_ha"] = t["sealed_ha_an"] * n
        parts.append(t)
    series = pd.concat(parts, ignore_index=True)
    series["flux_tCO2e"] = series["flux_tCO2e_an"] * series["n_years"]
    if "area_ha" in series:
        series["flux_tCO2e_ha_an"] = series["flux_tCO2e_an"] / series["area_ha"]
    series["convention"] = CONVENTION
    series = series.reindex(columns=[c for c in SERIES_COLUMNS if c in series.columns])

    first = min(int(y0) for y0, _, _ in periods)
    last = max(int(y1) for _, y1, _ in periods)
    n_total = sum(int(y1) - int(y0) for y0, y1, _ in periods)
    per_year = [c for c in PER_YEAR_COLUMNS if c in series.columns]
    weighted = series[per_year].multiply(series["n_years"], axis=0)  # flows over each period
    weighted["zone_id"] = series["zone_id"]
    sums = weighted.groupby("zone_id", sort=False)[per_year].sum()
    total = (sums / n_total).reset_index()
    keep = series.groupby("zone_id", sort=False)[
        [c for c in ("zone_name", "area_ha") if c in series.columns]].first().reset_index()
    total = keep.merge(total, on="zone_id", how="left")
    total["period"] = period_label(first, last)
    total["year_from"], total["year_to"], total["n_years"] = first, last, n_total
    total["flux_tCO2e"] = sums["flux_tCO2e_an"].to_numpy()
    if "area_ha" in total:
        total["flux_tCO2e_ha_an"] = total["flux_tCO2e_an"] / total["area_ha"]
    if "sealed_ha" in series:
        total["sealed_ha"] = series.groupby("zone_id", sort=False)["sealed_ha"].sum().to_numpy()
        total["sealed_ha_an"] = total["sealed_ha"] / n_total
    total["convention"] = CONVENTION
    total = total.reindex(columns=[c for c in SERIES_COLUMNS if c in total.columns])
    return series, total


def territory_series(series: pd.DataFrame, total: pd.DataFrame) -> pd.DataFrame:
    """The whole territory per period (``scope = "period"``) and over the whole series
    (``scope = "whole_series"``): sums over the zones, per hectare of the territory."""
    rows = []
    for scope, t in (("period", series), ("whole_series", total)):
        sums = [c for c in ("area_ha", *PER_YEAR_COLUMNS, "flux_tCO2e", "sealed_ha",
                            "sealed_ha_an") if c in t.columns]
        g = t.groupby(["period", "year_from", "year_to", "n_years"], sort=False)[sums].sum()
        g = g.reset_index()
        g.insert(0, "scope", scope)
        rows.append(g)
    out = pd.concat(rows, ignore_index=True)
    if "area_ha" in out:
        out["flux_tCO2e_ha_an"] = out["flux_tCO2e_an"] / out["area_ha"]
    out["convention"] = CONVENTION
    return out


@dataclass
class FlowSeriesResult:
    """Flows of a series of land covers: one :class:`FlowsResult` per pair of consecutive
    dates, and the series per zone."""

    territory: Territory
    #: ``[(year, land cover), …]`` sorted by year (3 dates → 2 periods)
    landcovers: list[tuple[int, Any]]
    #: one flow result per period (``landcovers[i]`` → ``landcovers[i + 1]``)
    periods: list[FlowsResult]
    #: zone × period (:data:`SERIES_COLUMNS`), each period annualised over its own length
    series: pd.DataFrame
    #: zone × whole series, length-weighted (Σ flows of the periods / Σ years)
    total: pd.DataFrame
    #: flow records of every period (zone × cause × transition × pool…), with the period
    flows: pd.DataFrame
    notes: list[str] = field(default_factory=list)
    files: dict[str, Path] = field(default_factory=dict)

    @property
    def years(self) -> list[int]:
        return [int(y) for y, _ in self.landcovers]

    @property
    def period_labels(self) -> list[str]:
        y = self.years
        return [period_label(a, b) for a, b in zip(y, y[1:])]

    @property
    def zones(self) -> gpd.GeoDataFrame:
        """The zones (``zone_id, zone_name, area_ha, geometry``, Lambert-93)."""
        z = self.periods[0].zones
        return gpd.GeoDataFrame(z[["zone_id", "zone_name", "area_ha", "geometry"]].copy(),
                                geometry="geometry", crs=LAMBERT93)

    @property
    def territory_series(self) -> pd.DataFrame:
        return territory_series(self.series, self.total)

    @property
    def net_flux_tCO2e_an(self) -> float:
        """Net flow of the territory per year over the whole series (length-weighted)."""
        return float(self.total["flux_tCO2e_an"].sum())


def assemble_series(territory: Territory, landcovers: Sequence[tuple[int, Any]],
                    periods: Sequence[FlowsResult]) -> FlowSeriesResult:
    """The :class:`FlowSeriesResult` of flow results already computed, one per period."""
    if len(periods) != len(landcovers) - 1:
        raise ValueError(f"{len(landcovers)} dates need {len(landcovers) - 1} periods, "
                         f"got {len(periods)}")
    years = [int(y) for y, _ in landcovers]
    spans = list(zip(years, years[1:]))
    series, total = series_tables([(a, b, pd.DataFrame(r.zones.drop(columns="geometry")))
                                   for (a, b), r in zip(spans, periods)])
    parts = []
    for (a, b), r in zip(spans, periods):
        fl = r.flows.copy()
        n = b - a
        for k, (col, v) in enumerate(zip(PERIOD_COLUMNS, (period_label(a, b), a, b, n))):
            fl.insert(k, col, v)
        fl["flux_tCO2e"] = fl["flux_tCO2e_an"].astype(float) * n
        parts.append(fl)
    flows = pd.concat(parts, ignore_index=True) if parts else pd.DataFrame()
    notes = list(dict.fromkeys(n for r in periods for n in r.notes))
    return FlowSeriesResult(territory=territory, landcovers=list(landcovers),
                            periods=list(periods), series=series, total=total, flows=flows,
                            notes=notes)


# --------------------------------------------------------------------------------------------
# Computation
# --------------------------------------------------------------------------------------------

_OWN_KEYWORDS = ("landcover_before", "landcover_after", "years", "changes")


def compute_flow_series(territory: Territory | str | gpd.GeoDataFrame,
                        landcovers: Iterable[Any], *, zpc: str | None = None,
                        base_dir: str | Path | None = None, id_field: str | None = None,
                        name_field: str | None = None, **kwargs: Any) -> FlowSeriesResult:
    """Carbon flows of each period of a series of land covers, and the series per zone.

    ``landcovers``: ``[(year, file), …]`` or anything :func:`parse_series` reads
    (``"2015=a.tif"``, ``{"year": 2015, "file": "a.tif"}``), at least two dates. The
    territory is resolved once (``zpc``, ``id_field``, ``name_field``: as
    :func:`~espass_geo.territory.resolve.resolve_territory`); each pair of consecutive dates
    is computed by :func:`~espass_geo.runs.flows.compute_territory_flows` with ``years`` set
    to the pair and every other keyword (``forest_areas``, ``method``, ``gwp_n2o``,
    ``wood_products``, ``engine``, ``max_nodata_share``, ``nomenclature``) passed on as it is.
    """
    bad = [k for k in _OWN_KEYWORDS if k in kwargs]
    if bad:
        raise TypeError(f"compute_flow_series() sets {', '.join(bad)} itself from the series "
                        "of land covers; give the dates and files in `landcovers`.")
    series = parse_series(landcovers, base_dir=base_dir)
    if isinstance(territory, Territory):
        terr = resolve_territory(territory, zpc=zpc)
    else:
        terr = resolve_territory(territory, zpc=zpc, id_field=id_field, name_field=name_field)
    # each date read once, even the middle ones shared by two periods
    from espass_geo.runs.landcover import resolve_landcover

    dates = [(y, resolve_landcover(f, zones=terr.zones, code_field=kwargs.get("code_field"),
                                   nomenclature=kwargs.get("nomenclature", "clc")))
             if isinstance(f, str | Path) else (y, f) for y, f in series]
    periods = [compute_territory_flows(terr, landcover_before=f0, landcover_after=f1,
                                       years=(y0, y1), **kwargs)
               for (y0, f0), (y1, f1) in zip(dates, dates[1:])]
    return assemble_series(terr, series, periods)


# --------------------------------------------------------------------------------------------
# Outputs
# --------------------------------------------------------------------------------------------

def period_folder(label: str) -> str:
    """Sub-folder of the detailed outputs of a period: ``periode_2012-2018``."""
    return f"periode_{label}"


def _readme(result: FlowSeriesResult, params: dict, *, period_details: bool,
            make_map: bool) -> str:
    y = result.years
    lc = [f"  {year} : {f if isinstance(f, str | Path) else type(f).__name__}"
          for year, f in result.landcovers]
    per = [f"  {p} : {n} an(s)" for p, n in zip(result.period_labels,
                                                  [b - a for a, b in zip(y, y[1:])])]
    lines = [
        "espass_geo — flux de carbone d'une série d'occupations du sol",
        f"Version : {__version__}",
        f"Territoire : {result.territory.label} ({len(result.total)} zones)",
        f"Dates : {', '.join(map(str, y))} ({len(y) - 1} périodes, {y[-1] - y[0]} ans en tout)",
        "Occupations du sol :", *lc,
        "Périodes :", *per,
        "Chaque période est annualisée sur SA durée : flux_tCO2e_an = flux de la période / "
        "nombre d'années de la période ; flux_tCO2e = flux sur la période.",
        f"L'ensemble {period_label(y[0], y[-1])} est pondéré par les durées : somme des flux des "
        "périodes / nombre total d'années (et non la moyenne des flux annuels des périodes).",
        SIGN_CONVENTION_FR,
        "Unités : tCO2e/an (flux annuel), tCO2e (flux sur la période), tCO2e/ha/an, ha et ha/an.",
        "",
        "Fichiers :",
        "  flows_series_zones.csv        zone × période : flux annuel, flux sur la période, "
        "par cause, artificialisation (ha, ha/an)",
        "  flows_series_zones_excel_fr.csv  le même tableau pour Excel en français (« ; », "
        "virgule décimale)",
        "  flows_series_ensemble.csv     zone × série entière (pondérée par les durées)",
        "  flows_series_territoire.csv   territoire × période et série entière "
        "(scope = period / whole_series)",
        "  flows_series.csv              enregistrements de flux de chaque période (période, "
        "zone, cause, de, vers, réservoir, gaz, flux tCO2e/an et tCO2e sur la période)",
        "  flows_series.gpkg             couches « zones_periodes » et « zones_ensemble »",
    ]
    if make_map:
        lines.append("  carte_flux_series.html        carte web avec sélecteur de période "
                     "(dossier lib/ à publier avec)")
    if period_details:
        lines.append("  periode_AAAA-AAAA/             sorties détaillées de chaque période "
                     "(comme espass-geo flows : transitions, ZAN, change.tif, carte)")
    lines += [
        "",
        "Avertissements :", *[f"  - {n}" for n in result.notes],
        "",
        "Paramètres : " + json.dumps(params, ensure_ascii=False, default=str),
    ]
    return "\n".join(lines) + "\n"


def write_flow_series_outputs(result: FlowSeriesResult, out_dir: str | Path, *,
                              params: dict | None = None, title: str | None = None,
                              make_map: bool = True, period_details: bool = True,
                              overwrite: bool = False, inputs: Iterable[object] = ()
                              ) -> dict[str, Path]:
    """Write the series into ``out_dir`` (one safe output folder with its manifest, as
    :func:`~espass_geo.runs.flows.write_flow_outputs`; nested into a run being written, e.g.
    the bilan's, it writes straight into it).

    ``params``: the run's parameters, recorded in ``LISEZ-MOI_flux_series.txt`` (JSON);
    ``period_details``: also the full outputs of each period in ``periode_AAAA-AAAA/``;
    ``inputs``: files read by the run (never replaced; the land covers of the series are
    added). Returns ``{file name: path}`` (also set as ``result.files``).
    """
    from espass_geo.io.outputs import atomic_output_dir, write_gpkg_layer
    from espass_geo.present.exports import write_csv, write_csv_fr

    params = params or {}
    inputs = [*inputs, *(f for _, f in result.landcovers if isinstance(f, str | Path))]
    with atomic_output_dir(out_dir, overwrite=overwrite, inputs=inputs) as tmp:
        files: dict[str, Path] = {}
        files["flows_series_zones.csv"] = write_csv(result.series, tmp / "flows_series_zones.csv")
        files["flows_series_zones_excel_fr.csv"] = write_csv_fr(
            result.series, tmp / "flows_series_zones_excel_fr.csv")
        files["flows_series_ensemble.csv"] = write_csv(result.total,
                                                       tmp / "flows_series_ensemble.csv")
        files["flows_series_territoire.csv"] = write_csv(result.territory_series,
                                                         tmp / "flows_series_territoire.csv")
        files["flows_series.csv"] = write_csv(result.flows, tmp / "flows_series.csv")
        geo = result.zones[["zone_id", "geometry"]]
        for layer, table in (("zones_periodes", result.series), ("zones_ensemble", result.total)):
            g = gpd.GeoDataFrame(geo.merge(table, on="zone_id", how="right"), geometry="geometry",
                                 crs=LAMBERT93)
            write_gpkg_layer(g, tmp / "flows_series.gpkg", layer)
        files["flows_series.gpkg"] = tmp / "flows_series.gpkg"
        if make_map:
            from espass_geo.present.maps.flow_series import flow_series_map

            y = result.years
            # two dates: the whole series is the one period, no second layer for it
            flow_series_map(result.zones, result.series,
                            total=result.total if len(result.periods) > 1 else None,
                            title=title or f"Flux de carbone {y[0]}–{y[-1]} par période — "
                            f"{result.territory.label}", notes=result.notes,
                            html_path=tmp / "carte_flux_series.html")
            files["carte_flux_series.html"] = tmp / "carte_flux_series.html"
        if period_details:
            for label, r in zip(result.period_labels, result.periods):
                sub = period_folder(label)
                write_flow_outputs(r, tmp / sub, params=params, make_map=make_map)
                files[sub] = tmp / sub
        (tmp / "LISEZ-MOI_flux_series.txt").write_text(
            _readme(result, params, period_details=period_details, make_map=make_map),
            encoding="utf-8")
        files["LISEZ-MOI_flux_series.txt"] = tmp / "LISEZ-MOI_flux_series.txt"
    out = Path(out_dir)
    result.files = {name: out / p.name for name, p in files.items()}
    # the period results point into their sub-folders of out_dir, not the temporary folder
    if period_details:
        for label, r in zip(result.period_labels, result.periods):
            r.files = {name: out / period_folder(label) / p.name for name, p in r.files.items()}
    return result.files
