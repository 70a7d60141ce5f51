"""Land cover in every form (issue #11): vector layers, nomenclatures, BD Forêt, BD Haie, series.

Hostile and sloppy inputs of the new options (``--landcover`` as a vector layer,
``--code-field``, ``--nomenclature``, ``--forest``, ``--hedges``, ``--landcover-series``), run
through the command line like every case of the suite: an error exits 2 with « Erreur », no
traceback, nothing written, and the message names the file and the value at fault.

Geometry (that of :mod:`bad_inputs.common`): zone A = x 700 000–700 200, zone B = x 700 200–
700 400, both y 6 600 000–6 600 400 (8 ha each). The vector land covers below are drawn over
those boxes by hand.
"""

from __future__ import annotations

import csv
import warnings
from pathlib import Path

import geopandas as gpd
import numpy as np
from shapely.geometry import LineString, Point, box

from .common import TINY, X0, Y0, Case, stocks_args, tiny_raster, write_raster, write_zones

HOSTILE_TEMPLATE = "{{7*7}}"
HOSTILE_HTML = "<script>alert(1)</script>"
HOSTILE_FORMULA = "=cmd|' /C calc'!A0"
HOSTILE_IMG = "<img src=x onerror=alert(1)>"

#: the two zones' halves, each 200 m × 400 m = 8 ha
LEFT = box(X0, Y0 - 400, X0 + 200, Y0)
RIGHT = box(X0 + 200, Y0 - 400, X0 + 400, Y0)


# ----------------------------------------------------------------------------- builders
def _layer(tmp: Path, name: str, columns: dict[str, list], geoms: list, *,
           crs: str | None = "EPSG:2154", layer: str | None = None) -> Path:
    path = tmp / name
    gdf = gpd.GeoDataFrame(columns, geometry=geoms, crs=crs)
    kwargs = {"layer": layer} if layer else {}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # geopandas: « 'crs' was not provided »
        gdf.to_file(path, engine="pyogrio", **kwargs)
    return path


def _clc(tmp: Path, codes=("211", "311"), name: str = "clc.gpkg", geoms=None,
         field: str = "CODE_18", **kw) -> Path:
    """A CLC vector layer: zone A's box coded codes[0], zone B's codes[1] (16 ha in all)."""
    geoms = geoms if geoms is not None else [LEFT, RIGHT][: len(codes)]
    return _layer(tmp, name, {field: list(codes)}, geoms, **kw)


def _ocs(tmp: Path, cs: list[str], us: list[str], name: str = "ocsge.gpkg") -> Path:
    return _layer(tmp, name, {"ID": [f"P{i}" for i in range(len(cs))], "CODE_CS": cs,
                              "CODE_US": us}, [LEFT, RIGHT][: len(cs)])


def _stocks(tmp: Path, lc: Path, *extra: str) -> list[str]:
    return stocks_args(tmp, *extra, raster=lc)


def _flows(tmp: Path, before: Path | None, after: Path | None, *extra: str) -> list[str]:
    args = ["flows", "--territory", str(write_zones(tmp)), "--zpc", "2_1", "--out",
            str(tmp / "out")]
    if before is not None:
        args += ["--landcover-before", str(before)]
    if after is not None:
        args += ["--landcover-after", str(after)]
    return args + list(extra)


def _series(tmp: Path, *items: str, extra: tuple[str, ...] = ()) -> list[str]:
    args = ["flows", "--territory", str(write_zones(tmp)), "--zpc", "2_1", "--out",
            str(tmp / "out")]
    for item in items:
        args += ["--landcover-series", item]
    return args + list(extra)


def _bdforet(tmp: Path, codes=("FF1-00-00",), name: str = "bdforet.gpkg",
             field: str = "CODE_TFV") -> Path:
    # forest polygons inside zone B (right half): 100 m × 100 m = 1 ha each
    geoms = [box(X0 + 200 + 100 * i, Y0 - 100, X0 + 300 + 100 * i, Y0) for i in range(len(codes))]
    return _layer(tmp, name, {field: list(codes), "TFV": ["forêt"] * len(codes)}, geoms)


def _csv(tmp: Path, name: str, rows: list[list[str]]) -> Path:
    path = tmp / name
    with path.open("w", encoding="utf-8", newline="") as f:
        csv.writer(f).writerows(rows)
    return path


def _two_layers(tmp: Path) -> list[str]:
    path = _clc(tmp, name="deux.gpkg", layer="clc2018")
    _clc(tmp, codes=("112", "231"), name="deux.gpkg", layer="clc2012")
    return _stocks(tmp, path)


def _empty_layer(tmp: Path) -> list[str]:
    return _stocks(tmp, _layer(tmp, "vide.gpkg", {"CODE_18": []}, [], crs="EPSG:2154"))


def _partial(share_covered: float):
    """Zone A fully covered, zone B covered on its top ``share_covered`` (the rest no data)."""
    def build(tmp: Path, *extra: str) -> list[str]:
        top = Y0 - 400 * share_covered
        geoms = [LEFT, box(X0 + 200, top, X0 + 400, Y0)]
        return _stocks(tmp, _clc(tmp, name=f"partiel{int(share_covered * 100)}.gpkg",
                                 geoms=geoms), *extra)
    return build


def _hostile_file(tmp: Path, path: Path) -> Path:
    """``path`` renamed ``<img src=x onerror=alert(1)>.gpkg`` (GDAL refuses such a layer name,
    not such a file name)."""
    return path.rename(tmp / f"{HOSTILE_IMG}.gpkg")


def _hedge_lines(tmp: Path, n: int, name: str = "haies.gpkg") -> Path:
    # n horizontal hedges of 200 m across zone A (x 700 000–700 200), 10 m apart
    lines = [LineString([(X0, Y0 - 5 - 10 * i), (X0 + 200, Y0 - 5 - 10 * i)]) for i in range(n)]
    return _layer(tmp, name, {"ID": [f"H{i}" for i in range(n)]}, lines)


# ----------------------------------------------------------------------------- checks
def _notes(tmp: Path) -> str:
    return (tmp / "out" / "LISEZ-MOI_stocks.txt").read_text(encoding="utf-8")


def _check_vector_note(tmp: Path, result) -> None:
    text = _notes(tmp)
    assert "Occupation du sol vectorielle" in text, text


def _check_hostile_outputs(tmp: Path, result) -> None:
    """The hostile names reach the outputs as text: no CSV cell starts a formula, no raw
    ``<script>`` in the HTML."""
    out = tmp / "out"
    for f in out.rglob("*.csv"):
        with f.open(encoding="utf-8-sig", newline="") as fh:
            for row in csv.reader(fh):
                for cell in row:
                    assert not cell.startswith(("=", "+", "@")), (f.name, cell)
    for f in out.rglob("*.html"):
        text = f.read_text(encoding="utf-8")
        assert HOSTILE_HTML not in text and HOSTILE_IMG not in text, f.name
    # the file name reaches the map's notes, escaped
    assert "&lt;img src=x onerror=alert(1)&gt;.gpkg" in (out / "carte_stocks.html").read_text(
        encoding="utf-8")


# ----------------------------------------------------------------------------- cases
CASES = [
    # --- vector layers: CRS, geometry, layers
    Case("lcv-without-crs",
         lambda tmp: _stocks(tmp, _clc(tmp, name="sans_crs.gpkg", crs=None)),
         "error", (r"sans_crs\.gpkg", r"sans système de coordonnées", r"ogr2ogr -a_srs")),
    Case("lcv-line-layer",
         lambda tmp: _stocks(tmp, _layer(tmp, "lignes.gpkg", {"CODE_18": ["211"]},
                                         [LineString([(X0, Y0 - 10), (X0 + 300, Y0 - 10)])])),
         "error", (r"lignes\.gpkg", r"LineString", r"polygones")),
    Case("lcv-point-layer",
         lambda tmp: _stocks(tmp, _layer(tmp, "points.geojson", {"CODE_18": ["211"]},
                                         [Point(X0 + 50, Y0 - 50)])),
         "error", (r"points\.geojson", r"Point", r"polygones")),
    Case("lcv-no-code-field",
         lambda tmp: _stocks(tmp, _layer(tmp, "sans_code.gpkg", {"NATURE": ["champ", "bois"],
                                                                "SURF": [8.0, 8.0]},
                                         [LEFT, RIGHT])),
         "error", (r"sans_code\.gpkg", r"NATURE", r"SURF", r"--code-field")),
    Case("lcv-code-field-missing",
         lambda tmp: _stocks(tmp, _clc(tmp, name="clc_champ.gpkg"), "--code-field", "CODE_99"),
         "error", (r"clc_champ\.gpkg", r"champ\(s\) CODE_99 absent", r"présents : CODE_18",
                   r"Corrigez --code-field")),
    Case("lcv-code-field-on-raster",
         lambda tmp: _stocks(tmp, tiny_raster(tmp, "occ.tif"), "--code-field", "CODE_18"),
         "error", (r"occ\.tif", r"--code-field CODE_18", r"Retirez --code-field")),
    Case("lcv-code-field-three-fields",
         lambda tmp: _stocks(tmp, _clc(tmp, name="clc3.gpkg"), "--code-field", "A+B+C"),
         "error", (r"A\+B\+C", r"CODE_CS\+CODE_US")),
    # --- CLC vector codes
    Case("lcv-clc-code-decimal",
         lambda tmp: _stocks(tmp, _clc(tmp, codes=("211", "999.5"), name="clc_dec.gpkg")),
         "error", (r"clc_dec\.gpkg", r"CODE_18", r"999\.5")),
    Case("lcv-clc-code-text",
         lambda tmp: _stocks(tmp, _clc(tmp, codes=("abc", "311"), name="clc_txt.gpkg")),
         "error", (r"clc_txt\.gpkg", r"abc")),
    Case("lcv-clc-code-1000",
         lambda tmp: _stocks(tmp, _clc(tmp, codes=("211", "1000"), name="clc_1000.gpkg")),
         "error", (r"clc_1000\.gpkg", r"1000", r"--nomenclature")),
    Case("lcv-clc-code-template",
         # a template-looking code is echoed as written, never evaluated (no « 49 »)
         lambda tmp: _stocks(tmp, _clc(tmp, codes=("211", HOSTILE_TEMPLATE), name="clc_tpl.gpkg")),
         "error", (r"clc_tpl\.gpkg", r"\{\{7\*7\}\}",)),
    # --- OCS GE / OCS2D cover × use
    Case("lcv-ocsge-unknown-cover",
         lambda tmp: _stocks(tmp, _ocs(tmp, ["CS1.1.1.1", "CS9"], ["US1.1", "US1.1"])),
         "error", (r"ocsge\.gpkg", r"CS9", r"OCS GE")),
    Case("lcv-ocsge-non-leaf-cover",
         lambda tmp: _stocks(tmp, _ocs(tmp, ["CS1.1.1.1", "CS1.1"], ["US1.1", "US1.1"])),
         "error", (r"ocsge\.gpkg", r"CS1\.1\b", r"non terminal")),
    Case("lcv-ocs-ambiguous",
         # CS2.2.1 and US4.1.1 are codes of both OCS GE and OCS2D
         lambda tmp: _stocks(tmp, _ocs(tmp, ["CS2.2.1", "CS2.1.2"], ["US4.1.1", "US4.1.2"],
                                       name="ocs_ambigu.gpkg")),
         "error", (r"ocs_ambigu\.gpkg", r"--nomenclature ocsge", r"ocs2d")),
    Case("lcv-ocs-ambiguous-code-field",
         lambda tmp: _stocks(tmp, _ocs(tmp, ["CS2.2.1", "CS2.1.2"], ["US4.1.1", "US4.1.2"],
                                       name="ocs_ambigu.gpkg"), "--code-field", "CODE_CS+CODE_US"),
         "error", (r"ocs_ambigu\.gpkg", r"CODE_CS\+CODE_US", r"--nomenclature ocsge")),
    Case("lcv-ocs-ambiguous-resolved",
         lambda tmp: _stocks(tmp, _ocs(tmp, ["CS2.2.1", "CS2.1.2"], ["US4.1.1", "US4.1.2"],
                                       name="ocs_ambigu.gpkg"), "--nomenclature", "ocsge"),
         "ok", (r"stock total",), check=_check_vector_note),
    # --- GeoPackage layers and coverage
    Case("lcv-empty-layer", _empty_layer, "error", (r"vide\.gpkg",)),
    Case("lcv-multi-layer-gpkg", _two_layers, "error",
         (r"deux\.gpkg", r"2 couches", r"clc2018", r"deux\.gpkg:clc20")),
    Case("lcv-missing-layer-name",
         lambda tmp: _stocks(tmp, Path(str(_clc(tmp, name="une.gpkg", layer="clc")) + ":autre")),
         "error", (r"une\.gpkg", r"« autre »", r"une\.gpkg:clc")),
    Case("lcv-no-overlap",
         lambda tmp: _stocks(tmp, _clc(tmp, name="loin.gpkg", geoms=[
             box(X0 + 50_000, Y0, X0 + 50_200, Y0 + 400), box(X0 + 50_200, Y0, X0 + 50_400,
                                                              Y0 + 400)])),
         "error", (r"loin\.gpkg",)),
    # zone B covered on 70 % of its 8 ha: 2,4 ha of no data = 30 %, warned, below 50 %
    Case("lcv-zone-30pct-missing",
         lambda tmp: _partial(0.7)(tmp), "ok", (r"Zone B", r"30,0\s%")),
    # zone B covered on 30 %: 70 % no data, refused at the default threshold (50 %)…
    Case("lcv-zone-30pct-covered",
         lambda tmp: _partial(0.3)(tmp), "error", (r"partiel30\.gpkg", r"Zone B", r"70,0\s%",
                                                  r"--max-nodata-share")),
    # … and accepted, warned, when the threshold is raised to 0.8
    Case("lcv-zone-30pct-covered-allowed",
         lambda tmp: _partial(0.3)(tmp, "--max-nodata-share", "0.8"), "ok",
         (r"Zone B", r"70,0\s%")),
    # zone B covered on 10 % (0,8 ha of 8): 90 % no data > 50 %
    Case("lcv-zone-10pct-covered",
         lambda tmp: _partial(0.1)(tmp, "--max-nodata-share", "0.5"), "error",
         (r"partiel10\.gpkg", r"Zone B", r"90,0\s%")),
    # --- mixed raster + vector dates
    Case("lcv-mixed-raster-vector-eea",
         # an EEA raster (legend indices 1-44) and an EEA vector layer (GRID_CODE 12 = 211,
         # 23 = 311): the layer is recoded at reading, the raster would not be
         lambda tmp: _flows(tmp, write_raster(tmp / "eea2012.tif", np.where(
             TINY == 0, 0, 12).astype("uint16")), _clc(tmp, codes=("12", "23"), field="GRID_CODE",
                                                      name="eea2018.gpkg"),
                            "--years", "2012", "2018", "--nomenclature", "eea"),
         "error", (r"eea2012\.tif", r"eea2018\.gpkg", r"--nomenclature eea")),
    Case("lcv-mixed-raster-clc-vector-eea-field",
         # a CLC raster and an EEA vector layer (GRID_CODE recognised): mixed, accepted
         lambda tmp: _flows(tmp, tiny_raster(tmp, "clc2012.tif"), _clc(
             tmp, codes=("12", "23"), field="GRID_CODE", name="eea2018.gpkg"),
             "--years", "2012", "2018"),
         "ok", (r"flux net",)),
    # --- BD Forêt
    Case("forest-with-areas",
         lambda tmp: stocks_args(tmp, "--areas", str(_csv(tmp, "surfaces.csv", [
             ["zone_id", "code", "area_ha"], ["A", "211", "8"], ["B", "311", "8"]])),
             "--forest", str(_bdforet(tmp)), raster=False),
         "error", (r"bdforet\.gpkg", r"--landcover", r"Retirez --forest")),
    Case("forest-unknown-tfv",
         lambda tmp: _stocks(tmp, tiny_raster(tmp), "--forest",
                             str(_bdforet(tmp, codes=("FF1-00-00", "ZZ9-99")))),
         "error", (r"bdforet\.gpkg", r"CODE_TFV", r"ZZ9-99", r"crosswalk_bdforet_tfv")),
    Case("forest-without-tfv",
         lambda tmp: _stocks(tmp, tiny_raster(tmp), "--forest",
                             str(_bdforet(tmp, field="ESSENCE"))),
         "error", (r"bdforet\.gpkg", r"sans champ CODE_TFV", r"ESSENCE")),
    Case("forest-with-forest-areas",
         lambda tmp: _flows(tmp, tiny_raster(tmp, "clc2012.tif"), tiny_raster(tmp, "clc2018.tif"),
                            "--years", "2012", "2018", "--forest", str(_bdforet(tmp)),
                            "--forest-areas", str(_csv(tmp, "foret.csv", [
                                ["zone_id", "composition", "area_ha"], ["B", "feuillus", "1"]]))),
         "error", (r"bdforet\.gpkg", r"foret\.csv", r"pas les deux")),
    # --- hedges
    Case("hedges-polygon-layer",
         lambda tmp: _stocks(tmp, tiny_raster(tmp), "--hedges", str(_layer(
             tmp, "haies_surf.gpkg", {"ID": ["H1"]}, [box(X0, Y0 - 10, X0 + 200, Y0)]))),
         "error", (r"haies_surf\.gpkg", r"Polygon", r"couche linéaire")),
    # 20 lines of 200 m in zone A = 4 km over 8 ha = 500 m/ha > 200 m/ha
    Case("hedges-density-too-high",
         lambda tmp: _stocks(tmp, tiny_raster(tmp), "--hedges", str(_hedge_lines(tmp, 20))),
         "error", (r"haies\.gpkg", r"zone A", r"500\sm/ha", r"200 m")),
    # 5 lines = 1 km / 8 ha = 125 m/ha: warned (> 100 m/ha), accepted
    Case("hedges-density-warned",
         lambda tmp: _stocks(tmp, tiny_raster(tmp), "--hedges", str(_hedge_lines(tmp, 5))),
         "ok", (r"125 m de haie par hectare",)),
    # --- series of land covers
    Case("series-one-date",
         lambda tmp: _series(tmp, f"2018={tiny_raster(tmp, 'clc2018.tif')}"),
         "error", (r"--landcover-series", r"deux")),
    Case("series-duplicate-year",
         lambda tmp: _series(tmp, f"2018={tiny_raster(tmp, 'a.tif')}",
                             f"2018={tiny_raster(tmp, 'b.tif')}"),
         "error", (r"--landcover-series", r"2018", r"b\.tif")),
    Case("series-without-equals",
         lambda tmp: _series(tmp, "2018", f"2012={tiny_raster(tmp, 'clc2012.tif')}"),
         "error", (r"« 2018 »", r"ANNÉE=FICHIER")),
    Case("series-missing-file",
         lambda tmp: _series(tmp, f"2012={tiny_raster(tmp, 'clc2012.tif')}",
                             f"2018={tmp / 'absent2018.tif'}"),
         "error", (r"absent2018\.tif",)),
    Case("series-year-1800",
         lambda tmp: _series(tmp, f"1800={tiny_raster(tmp, 'vieux.tif')}",
                             f"2018={tiny_raster(tmp, 'clc2018.tif')}"),
         "error", (r"1800", r"1985")),
    Case("series-three-vector-dates",
         # three CLC vector layers, zone B's 8 ha of forest cleared to cropland in 2015 then
         # sealed in 2018: two periods and the whole series
         lambda tmp: _series(tmp, f"2018={_clc(tmp, codes=('211', '112'), name='c2018.gpkg')}",
                             f"2012={_clc(tmp, codes=('211', '311'), name='c2012.gpkg')}",
                             f"2015={_clc(tmp, codes=('211', '211'), name='c2015.gpkg')}"),
         "ok", (r"période 2012-2015", r"période 2015-2018", r"ensemble 2012-2018")),
    Case("series-with-before",
         lambda tmp: _series(tmp, f"2012={tiny_raster(tmp, 'clc2012.tif')}",
                             f"2018={tiny_raster(tmp, 'clc2018.tif')}",
                             extra=("--landcover-before", str(tiny_raster(tmp, 'avant.tif')))),
         "error", (r"--landcover-series", r"--landcover-before")),
    # --- user crosswalk tables
    Case("crosswalk-csv-duplicate-and-non-clc",
         lambda tmp: _stocks(tmp, tiny_raster(tmp), "--nomenclature", str(_csv(
             tmp, "ma_table.csv", [["code", "code_clc"], ["211", "211"], ["211", "231"],
                                   ["231", "999"], ["311", "311"], ["112", "112"]]))),
         "error", (r"ma_table\.csv", r"ligne 3", r"211 en double", r"ligne 4", r"999")),
    Case("crosswalk-csv-vector-duplicate-and-non-clc",
         lambda tmp: _stocks(tmp, _clc(tmp, codes=("blé", "bois"), field="CLASSE",
                                       name="classes.gpkg"),
                             "--code-field", "CLASSE", "--nomenclature", str(_csv(
                                 tmp, "classes.csv", [["code", "code_clc"], ["blé", "211"],
                                                      ["blé", "231"], ["bois", "abc"]]))),
         "error", (r"classes\.csv", r"ligne 3", r"blé en double", r"ligne 4", r"abc")),
    Case("crosswalk-csv-formula-target",
         lambda tmp: _stocks(tmp, _clc(tmp, codes=("blé", "bois"), field="CLASSE",
                                       name="classes.gpkg"),
                             "--code-field", "CLASSE", "--nomenclature", str(_csv(
                                 tmp, "classes_f.csv", [["code", "code_clc"], ["blé", "211"],
                                                        ["bois", HOSTILE_FORMULA]]))),
         "error", (r"classes_f\.csv", r"ligne 3", r"calc")),
    Case("nomenclature-unknown-name",
         lambda tmp: _stocks(tmp, tiny_raster(tmp), "--nomenclature", "corine"),
         "error", (r"« corine » inconnue", r"eea", r"ocsge")),
    Case("nomenclature-unknown-name-vector",
         lambda tmp: _stocks(tmp, _clc(tmp), "--nomenclature", HOSTILE_TEMPLATE),
         "error", (r"« \{\{7\*7\}\} » inconnue", r"ocsge")),
    Case("nomenclature-csv-missing",
         lambda tmp: _stocks(tmp, _clc(tmp), "--nomenclature", str(tmp / "absente.csv")),
         "error", (r"absente\.csv",)),
    # --- hostile strings in field names and codes
    Case("lcv-code-field-html",
         lambda tmp: _stocks(tmp, _clc(tmp, name="clc_h.gpkg"), "--code-field", HOSTILE_HTML),
         "error", (r"clc_h\.gpkg", r"<script>alert\(1\)</script>")),
    Case("lcv-code-value-formula",
         lambda tmp: _stocks(tmp, _clc(tmp, codes=("211", HOSTILE_FORMULA), name="clc_f.gpkg")),
         "error", (r"clc_f\.gpkg", r"calc")),
    # a layer with an HTML file name, a code field with a formula name and classes that come
    # through a user table with hostile codes: accepted, and the outputs keep the text harmless
    Case("lcv-hostile-names-accepted",
         lambda tmp: _stocks(tmp, _hostile_file(tmp, _clc(
             tmp, codes=(HOSTILE_FORMULA, HOSTILE_HTML), field="=classe", name="h.gpkg",
             layer="occupation")),
                             "--code-field", "=classe", "--nomenclature", str(_csv(
                                 tmp, "hostile.csv", [["code", "code_clc"],
                                                      [HOSTILE_FORMULA, "211"],
                                                      [HOSTILE_HTML, "311"]]))),
         "ok", (r"stock total",), check=_check_hostile_outputs),
]
