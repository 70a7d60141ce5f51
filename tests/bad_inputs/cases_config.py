"""Configuration files (scenario TOML, bilan.toml) and territories through the command line.

Issue #9, items 4 and 6: booleans where numbers are expected, dates outside the land-cover
period, magnitudes impossible for the territory, keys of the wrong structural type, non-UTF-8
files, and every kind of broken territory (GeometryCollection, points, lines, no CRS, no
feature, duplicate ids, layers, incomplete shapefiles and zips, badly written code lists). Each
error names the file (with the line for a TOML file), the value and the remedy.

Scenario and bilan files use the embedded demo data (``"demo"``) on one commune (59183) so that
the failures detected at load time cost nothing and those that need the territory stay fast.
"""

from __future__ import annotations

import zipfile
from pathlib import Path

import geopandas as gpd
from shapely.geometry import GeometryCollection, LineString, Point, box

from .common import X0, Y0, Case, stocks_args, tiny_raster, zones_gdf

# ------------------------------------------------------------------ scenario files
# line numbers:      1              2                    3                4
SC_HEAD = 'title = "essai"\nterritory = "59183"\nstart_year = 2025\nhorizon = 2050\n'
# 5 blank, 6 [data], 7 landcover, 8 parcels, 9 blank, 10 [[scenario]], 11 name, 12 blank
SC_DATA = '\n[data]\nlandcover = "demo"\nparcels = "demo"\n\n[[scenario]]\nname = "s"\n\n'
# 13 [[scenario.action]], 14 type, 15 length_km, 16 year
SC_HEDGES = '[[scenario.action]]\ntype = "hedges"\nlength_km = 30\nyear = 2030\n'
SC_PRACTICE = ('[[scenario.action]]\ntype = "practice"\npractice = "catchCrops"\n'
               'crop_groups = ["2"]\nshare = 0.5\nyear = 2030\n')  # 13 … 18, share on 17
SC_SEAL = ('[[scenario.action]]\ntype = "seal"\ngeometry = "zae.geojson"\nsealed_share = 0.8\n'
           'year = 2030\n')  # 13 … 17, sealed_share on 16


def _scenario(text: str, name: str = "scénario.toml"):
    def build(tmp: Path) -> list[str]:
        (tmp / name).write_text(text, encoding="utf-8")
        return ["scenario", "--config", str(tmp / name), "--out", str(tmp / "out")]
    return build


def _scenario_bytes(raw: bytes):
    def build(tmp: Path) -> list[str]:
        (tmp / "scénario.toml").write_bytes(raw)
        return ["scenario", "--config", str(tmp / "scénario.toml"), "--out", str(tmp / "out")]
    return build


def _with_geometry(text: str, geom, name: str = "zae.geojson", crs: int = 2154):
    def build(tmp: Path) -> list[str]:
        gpd.GeoDataFrame({"n": [1]}, geometry=[geom], crs=crs).to_file(tmp / name,
                                                                        engine="pyogrio")
        return _scenario(text)(tmp)
    return build


def _commune_59183_corner():
    """A 10 km square (10 000 ha) from a point of Dunkerque (59183, about 4 300 ha): more than
    half of it lies outside the commune."""
    from espass_geo.reference import data

    p = data.commune_geometries().set_index("code").loc["59183"].geometry.representative_point()
    return box(p.x - 100, p.y - 100, p.x + 9900, p.y + 9900)


def _outside_action(tmp: Path) -> list[str]:
    return _with_geometry(SC_HEAD + SC_DATA + SC_SEAL, _commune_59183_corner())(tmp)


# ------------------------------------------------------------------ bilan.toml
# 1 title, 2 territory, 3 method, 4 gwp_n2o, 6 [landcover], 7 after, 8 before, 9 years,
# 11 [emissions], 12 inventory
BILAN = ('title = "b"\nterritory = "59183"\nmethod = "aldo"\ngwp_n2o = 273\n\n'
         '[landcover]\nafter = "demo"\nbefore = "demo-2012"\nyears = [2012, 2018]\n\n'
         '[emissions]\ninventory = "demo"\n')


def _bilan(text: str, extra: dict[str, str] | None = None):
    def build(tmp: Path) -> list[str]:
        (tmp / "bilan.toml").write_text(text, encoding="utf-8")
        for name, content in (extra or {}).items():
            (tmp / name).write_text(content, encoding="utf-8")
        return ["bilan", "--config", str(tmp / "bilan.toml"), "--out", str(tmp / "out"), "-q"]
    return build


def _init_then_edit(tmp: Path) -> list[str]:
    from espass_geo.io.bilan_config import write_example_config

    path = write_example_config(tmp / "bilan.toml")
    path.write_text(path.read_text(encoding="utf-8").replace("gwp_n2o = 273", "gwp_n2o = true"),
                    encoding="utf-8")
    return ["bilan", "--config", str(path), "--out", str(tmp / "out")]


# ------------------------------------------------------------------ territories
def _codes(spec: str):
    def build(tmp: Path) -> list[str]:
        return ["stocks", "--territory", spec, "--zpc", "2_1", "--out", str(tmp / "out"),
                "--landcover", str(tiny_raster(tmp))]
    return build


def _zones_file(geoms, name="zones.gpkg", ids=("A", "B"), **kw):
    def build(tmp: Path) -> list[str]:
        gdf = gpd.GeoDataFrame({"zone_id": list(ids), "zone_name": [f"Zone {i}" for i in ids]},
                               geometry=list(geoms), crs=2154)
        gdf.to_file(tmp / name, engine="pyogrio", **kw)
        return stocks_args(tmp, zones=tmp / name)
    return build


A, B = (box(X0, Y0 - 400, X0 + 200, Y0), box(X0 + 200, Y0 - 400, X0 + 400, Y0))


def _collection(tmp: Path) -> list[str]:
    gc = GeometryCollection([B, Point(X0 + 300, Y0 - 200), LineString([(X0, Y0), (X0 + 1, Y0)])])
    return _zones_file([A, gc])(tmp)


def _check_16_ha(tmp: Path, result) -> None:
    import pandas as pd

    z = pd.read_csv(tmp / "out" / "stocks_zones.csv", dtype={"zone_id": str})
    # two 200 m × 400 m boxes = 8 ha each; the point and the line of the collection add nothing
    assert sorted(z["zone_id"]) == ["A", "B"]
    assert abs(z["polygon_area_ha"].sum() - 16.0) < 1e-6, z


def _empty_geometries(tmp: Path) -> list[str]:
    path = tmp / "vides.geojson"
    path.write_text('{"type": "FeatureCollection", "features": [{"type": "Feature", '
                    '"properties": {"zone_id": "A"}, "geometry": null}]}', encoding="utf-8")
    return stocks_args(tmp, zones=path)


def _no_feature(tmp: Path) -> list[str]:
    gpd.GeoDataFrame({"zone_id": []}, geometry=[], crs=2154).to_file(tmp / "vide.gpkg",
                                                                     engine="pyogrio")
    return stocks_args(tmp, zones=tmp / "vide.gpkg")


def _shapefile(tmp: Path, drop: tuple[str, ...] = ()) -> Path:
    shp = tmp / "zones.shp"
    zones_gdf().to_file(shp, engine="pyogrio")
    for ext in drop:
        shp.with_suffix(ext).unlink()
    return shp


def _zip(tmp: Path, exts: tuple[str, ...]) -> Path:
    src = tmp / "src"
    src.mkdir()
    shp = _shapefile(src)
    archive = tmp / "zones.zip"
    with zipfile.ZipFile(archive, "w") as z:
        for ext in exts:
            z.write(shp.with_suffix(ext), "zones" + ext)
    for p in src.iterdir():
        p.unlink()
    src.rmdir()
    return archive


def _layers(tmp: Path, layer: str | None) -> list[str]:
    path = tmp / "couches.gpkg"
    zones_gdf().to_file(path, layer="zones", engine="pyogrio")
    zones_gdf(ids=("C", "D")).to_file(path, layer="autres", engine="pyogrio")
    spec = str(path) if layer is None else f"{path}:{layer}"
    return ["stocks", "--territory", spec, "--zpc", "2_1", "--out", str(tmp / "out"),
            "--landcover", str(tiny_raster(tmp))]


def _l93_without_crs(tmp: Path) -> list[str]:
    path = tmp / "zones_l93.geojson"
    path.write_text('{"type": "FeatureCollection", "features": [{"type": "Feature", '
                    '"properties": {"zone_id": "A"}, "geometry": {"type": "Polygon", '
                    f'"coordinates": [[[{X0}, {Y0 - 400}], [{X0 + 200}, {Y0 - 400}], '
                    f'[{X0 + 200}, {Y0}], [{X0}, {Y0 - 400}]]]}}}}]}}', encoding="utf-8")
    return stocks_args(tmp, zones=path)


def _missing_ids(tmp: Path) -> list[str]:
    gdf = zones_gdf()
    gdf["zone_id"] = ["A", None]
    gdf.to_file(tmp / "ids.gpkg", engine="pyogrio")
    return stocks_args(tmp, zones=tmp / "ids.gpkg")


def _check_hedges_50_km(tmp: Path, result) -> None:
    import pandas as pd

    d = pd.read_csv(tmp / "out" / "ecarts.csv")
    last = d[(d["lever"] == "hedges") & (d["year"] == 2050)]
    # 50 km on crops at 60 m/ha = 50 000 / 60 = 833.33 ha × (0.06 + 0.09) tC/ha/an for 20 years
    # (2030…2049) × 44/12 = 9 166.67 tCO2e
    assert abs(last["cumulative_delta_tCO2e"].iloc[0] - 50_000 / 60 * 0.15 * 20 * 44 / 12) < 0.01


LINE = r"scénario\.toml:{}"

CASES = [
    # ---- scenario files: types (booleans are not numbers), with their line
    Case("config-scenario-length-true",
         _scenario(SC_HEAD + SC_DATA + SC_HEDGES.replace("= 30", "= true")), "error",
         (LINE.format(15), r"length_km", r"booléen true")),
    Case("config-scenario-share-true",
         _scenario(SC_HEAD + SC_DATA + SC_PRACTICE.replace("= 0.5", "= true")), "error",
         (LINE.format(17), r"share", r"booléen true")),
    Case("config-scenario-gwp-true",
         _scenario(SC_HEAD.replace("horizon = 2050", "horizon = 2050\ngwp_n2o = true")
                   + SC_DATA + SC_HEDGES), "error", (LINE.format(5), r"gwp_n2o", r"true")),
    Case("config-scenario-year-float",
         _scenario(SC_HEAD + SC_DATA + SC_HEDGES.replace("2030", "2030.5")), "error",
         (LINE.format(16), r"année entière", r"2030\.5")),
    Case("config-scenario-length-nan",
         _scenario(SC_HEAD + SC_DATA + SC_HEDGES.replace("= 30", "= nan")), "error",
         (LINE.format(15), r"non finie")),
    Case("config-scenario-share-above-one",
         _scenario(SC_HEAD + SC_DATA + SC_PRACTICE.replace("= 0.5", "= 1.5")), "error",
         (LINE.format(17), r"\]0, 1\]", r"1\.5")),
    Case("config-scenario-sealed-share-negative",
         _with_geometry(SC_HEAD + SC_DATA + SC_SEAL.replace("= 0.8", "= -0.2"),
                        box(650000, 7050000, 650100, 7050100)), "error",
         (LINE.format(16), r"sealed_share", r"-0\.2")),
    # ---- dates
    Case("config-scenario-start-before-landcover",
         _scenario(SC_HEAD.replace("2025", "1995") + SC_DATA + SC_HEDGES), "error",
         (LINE.format(3), r"1995", r"\(2018, données de démonstration\)",
          r"start_year = 2018")),
    Case("config-scenario-negative-start",
         _scenario(SC_HEAD.replace("2025", "-2025") + SC_DATA + SC_HEDGES), "error",
         (LINE.format(3), r"-2025", r"entre 1990 et 2100")),
    Case("config-scenario-horizon-before-start",
         _scenario(SC_HEAD.replace("2050", "2020") + SC_DATA + SC_HEDGES), "error",
         (LINE.format(4), r"horizon 2020 doit être après", r"2025",
          r"année 2030 hors de l'horizon 2025–2020 \(start_year–horizon\) ; corrigez d'abord "
          r"l'horizon")),
    Case("config-scenario-trend-years-vs-demo",
         _scenario(SC_HEAD + SC_DATA.replace(
             'parcels = "demo"', 'parcels = "demo"\ntrend_landcover_before = "demo-2012"\n'
             'trend_years = [2012, 2021]') + SC_HEDGES), "error",
         (LINE.format(10), r"2021", r"date de 2018")),
    # ---- magnitudes against the territory
    Case("config-scenario-start-at-landcover-date-hedges-below-limit-ok",
         lambda tmp: [*_scenario(SC_HEAD.replace("2025", "2018") + SC_DATA
                                 + SC_HEDGES.replace("= 30", "= 50"))(tmp), "--no-map"], "ok",
         (r"Scénario s",), check=_check_hedges_50_km),
    Case("config-scenario-hedges-1e9-km",
         _scenario(SC_HEAD + SC_DATA + SC_HEDGES.replace("= 30", "= 1e9")), "error",
         (LINE.format(13), r"km de haies", r"au plus")),
    Case("config-scenario-hedges-more-than-the-crops",
         _scenario(SC_HEAD + SC_DATA + SC_HEDGES.replace("= 30", "= 200")), "error",
         (LINE.format(13), r"de cultures, les zones n'en ont que", r"au plus")),
    Case("config-scenario-action-mostly-outside", _outside_action, "error",
         (LINE.format(13), r"hors du territoire", r"découpez")),
    Case("config-scenario-action-points",
         _with_geometry(SC_HEAD + SC_DATA + SC_SEAL, Point(650000, 7050000)), "error",
         (LINE.format(13), r"zae\.geojson", r"pas des polygones")),
    # ---- structure
    Case("config-scenario-baseline-yes",
         _scenario(SC_HEAD + 'baseline = "yes"\n' + SC_DATA + SC_HEDGES), "error",
         (LINE.format(5), r"\[baseline\], pas le texte « yes »")),
    Case("config-scenario-scenario-string",
         _scenario(SC_HEAD + 'scenario = "transition"\n\n[data]\nlandcover = "demo"\n'),
         "error", (LINE.format(5), r"\[\[scenario\]\]")),
    Case("config-scenario-action-single-brackets",
         _scenario(SC_HEAD + SC_DATA + SC_HEDGES.replace("[[scenario.action]]",
                                                         "[scenario.action]")), "error",
         (LINE.format(13), r"double crochets")),
    Case("config-scenario-type-list",
         _scenario(SC_HEAD + SC_DATA + SC_HEDGES.replace('"hedges"', '["hedges"]')), "error",
         (LINE.format(14), r"type d'action la liste")),
    Case("config-scenario-non-utf8",
         _scenario_bytes((SC_HEAD + SC_DATA).encode("utf-8")
                         + 'label = "Forêt"\n'.encode("latin-1")), "error",
         (LINE.format(13), r"non UTF-8", r"Enregistrer sous")),
    Case("config-scenario-syntax",
         _scenario(SC_HEAD + SC_DATA + SC_HEDGES.replace("= 30", "= [30")), "error",
         (r"scénario\.toml:\d+ : syntaxe TOML invalide",)),
    Case("config-scenario-duplicate-key",
         _scenario(SC_HEAD + "start_year = 2026\n" + SC_DATA + SC_HEDGES), "error",
         (LINE.format(5), r"syntaxe TOML invalide")),
    Case("config-scenario-missing-file",
         lambda tmp: ["scenario", "--config", str(tmp / "absent.toml"), "--out",
                      str(tmp / "out")], "error", (r"absent\.toml", r"introuvable")),
    Case("config-scenario-is-a-folder",
         lambda tmp: ["scenario", "--config", str(tmp), "--out", str(tmp / "out")], "error",
         (r"est un dossier",)),
    Case("config-scenario-every-problem-at-once",
         _scenario(SC_HEAD.replace("2025", "1995") + SC_DATA
                   + SC_HEDGES.replace("= 30", "= true").replace("2030", "2060")), "error",
         (r"3 problème", LINE.format(3), LINE.format(15), LINE.format(16),
          r"année 2060 hors de l'horizon 1995–2050 \(start_year–horizon\) ; placez l'action "
          r"entre 1995 et 2050 \(ex\. year = 2050\) ou changez l'horizon")),
    # ---- territory written in a configuration file
    Case("config-scenario-territory-semicolons",
         _scenario(SC_HEAD.replace('"59183"', '"59183;59350"') + SC_DATA + SC_HEDGES), "error",
         (LINE.format(2), r"points-virgules", r"virgules")),
    Case("config-scenario-territory-four-digits",
         _scenario(SC_HEAD.replace('"59183"', '"5918"') + SC_DATA + SC_HEDGES), "error",
         (LINE.format(2), r"« 5918 »", r"zéro initial")),
    Case("config-scenario-territory-unknown-epci",
         _scenario(SC_HEAD.replace('"59183"', '"epci:245900429"') + SC_DATA + SC_HEDGES),
         "error", (LINE.format(2), r"245900429", r"Codes proches : 245900428, 245900410[,.]")),
    Case("config-scenario-territory-number",
         _scenario(SC_HEAD.replace('"59183"', '59183') + SC_DATA + SC_HEDGES), "error",
         (LINE.format(2), r"pas le nombre 59183")),
    # ---- bilan.toml
    Case("config-bilan-gwp-true", _bilan(BILAN.replace("= 273", "= true")), "error",
         (r"bilan\.toml:4", r"booléen true")),
    Case("config-bilan-years-bool",
         _bilan(BILAN.replace("[2012, 2018]", "[true, 2018]")), "error",
         (r"bilan\.toml:9", r"\[true, 2018\]")),
    Case("config-bilan-years-future",
         _bilan(BILAN.replace("[2012, 2018]", "[2012, 2090]")), "error",
         (r"bilan\.toml:9", r"les dates d'occupation du sol doivent être comprises entre "
          r"1985 et \d{4} ; corrigez years = \[2012, \d{4}\]")),
    Case("config-bilan-demo-date-mismatch",
         _bilan(BILAN.replace("[2012, 2018]", "[2012, 2020]")), "error",
         (r"bilan\.toml:9", r"date de 2018 \(données de démonstration\), pas de 2020")),
    Case("config-bilan-landcover-string",
         _bilan('title = "b"\nterritory = "59183"\nlandcover = "demo"\n'), "error",
         (r"bilan\.toml:3", r"\[landcover\], pas le texte « demo »")),
    Case("config-bilan-after-and-areas",
         _bilan(BILAN.replace('before = "demo-2012"', 'areas = "demo"')), "error",
         (r"bilan\.toml:8", r"s'excluent")),
    Case("config-bilan-non-utf8",
         lambda tmp: ((tmp / "bilan.toml").write_bytes(b'title = "R\xe9gion"\n'),
                      ["bilan", "--config", str(tmp / "bilan.toml"), "--out",
                       str(tmp / "out")])[1], "error",
         (r"bilan\.toml:1", r"non UTF-8")),
    Case("config-bilan-territory-garbage",
         _bilan(BILAN.replace('"59183"', '"59183;59350"')), "error",
         (r"bilan\.toml:2", r"points-virgules")),
    Case("config-bilan-bad-scenario-file",
         _bilan(BILAN + '\n[scenario]\nfile = "sc.toml"\n',
                {"sc.toml": SC_HEAD.replace("2025", "1995") + SC_DATA + SC_HEDGES}), "error",
         (r"sc\.toml:3", r"start_year 1995")),
    Case("config-bilan-territory-option-semicolons",
         lambda tmp: ["bilan", "--territory", "59183;59350", "--out", str(tmp / "out")],
         "error", (r"59183;59350", r"virgules")),
    Case("config-bilan-scenario-on-another-territory",  # its actions outside: refused
         _bilan(BILAN + '\n[scenario]\nfile = "sc.toml"\n',
                {"sc.toml": SC_HEAD.replace('"59183"', '"59350"') + SC_DATA
                 + SC_HEDGES.replace("year", 'zones = ["59350"]\nyear')}),
         "error", (r"sc\.toml:13", r"« 59350 »", r"hors du territoire", r"Retirez")),
    Case("config-scenario-practice-geometry-unreadable",
         lambda tmp: ((tmp / "secteur.geojson").write_text("pas du GeoJSON", encoding="utf-8"),
                      _scenario(SC_HEAD + SC_DATA + SC_PRACTICE.replace(
                          'crop_groups = ["2"]', 'geometry = "secteur.geojson"'))(tmp))[1],
         "error", (LINE.format(13), r"secteur\.geojson", r"illisible : il ne peut pas être "
                   r"lu comme couche vectorielle \(GeoPackage, GeoJSON, shapefile\)",
                   r"Détail GDAL : not recognized[^;']*\.$")),
    Case("config-bilan-init-then-true", _init_then_edit, "error",
         (r"bilan\.toml:\d+", r"gwp_n2o", r"booléen true")),
    # ---- territories given to --territory
    Case("territory-geometry-collection-ok", _collection, "ok", (r"stock total",),
         check=_check_16_ha),
    Case("territory-points", _zones_file([A, Point(X0 + 300, Y0 - 200)]), "error",
         (r"zones\.gpkg", r"pas des polygones \(Point\)")),
    Case("territory-lines", _zones_file([A, LineString([(X0, Y0), (X0 + 400, Y0 - 400)])]),
         "error", (r"pas des polygones \(LineString\)",)),
    Case("territory-only-empty-geometries", _empty_geometries, "error",
         (r"vides\.geojson", r"aucune de ses 1 entités")),
    Case("territory-no-feature", _no_feature, "error", (r"vide\.gpkg", r"aucun polygone")),
    Case("territory-duplicate-ids", _zones_file([A, B], ids=("A", "A")), "error",
         (r"en double", r"« zone_id »")),
    Case("territory-missing-id", _missing_ids, "error", (r"entité\(s\) n° 2 sans identifiant",)),
    Case("territory-shapefile-without-prj",
         lambda tmp: stocks_args(tmp, zones=_shapefile(tmp, (".prj",))), "error",
         (r"zones\.shp", r"zones\.prj", r"EPSG:2154")),
    Case("territory-shapefile-without-shx",
         lambda tmp: stocks_args(tmp, zones=_shapefile(tmp, (".shx",))), "error",
         (r"il manque zones\.shx",)),
    Case("territory-zip-ok",
         lambda tmp: stocks_args(tmp, zones=_zip(tmp, (".shp", ".shx", ".dbf", ".prj"))), "ok",
         (r"stock total",)),
    Case("territory-zip-without-shp",
         lambda tmp: stocks_args(tmp, zones=_zip(tmp, (".shx", ".dbf", ".prj"))), "error",
         (r"zones\.zip", r"\.shp")),
    Case("territory-missing-zip",
         lambda tmp: stocks_args(tmp, zones=tmp / "absent.zip"), "error",
         (r"absent\.zip", r"introuvable")),
    Case("territory-two-layers", lambda tmp: _layers(tmp, None), "error",
         (r"2 couches", r"couches\.gpkg:zones")),
    Case("territory-layer-ok", lambda tmp: _layers(tmp, "autres"), "ok", (r"stock total",)),
    Case("territory-unknown-layer", lambda tmp: _layers(tmp, "communes"), "error",
         (r"couche « communes » absente", r"zones, autres")),
    Case("territory-l93-coordinates-without-crs", _l93_without_crs, "error",
         (r"zones_l93\.geojson", r"EPSG:2154")),
    Case("territory-insee-semicolons", _codes("59183;59350"), "error",
         (r"59183;59350", r"virgules")),
    Case("territory-insee-spaces", _codes("59183 59350"), "error", (r"espaces",)),
    Case("territory-insee-four-digits", _codes("5918"), "error",
         (r"« 5918 »", r"zéro initial")),
    Case("territory-insee-garbage", _codes("59183,abc"), "error", (r"« abc »",)),
    Case("territory-epci-unknown", _codes("epci:245900429"), "error",
         (r"245900429", r"Codes proches : 245900428, 245900410[,.]")),
    Case("territory-dep-not-embedded", _codes("dep:971"), "error", (r"971",)),
]
