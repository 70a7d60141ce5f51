"""Validation of the files uploaded to ``espass-geo app``, with the package's own readers.

Each kind of file goes through the reader the command line uses for it, so a file gets the same
French messages in the page as with ``espass-geo bilan`` (a configuration error lists all its
problems at once: :attr:`espass_geo.errors.ValidationError.problems`). Nothing uploaded is ever
executed: files are only read by GDAL/pandas/TOML readers. The stored name never comes from the
user's path (:func:`safe_name`).
"""

from __future__ import annotations

import re
import threading
import warnings
from pathlib import Path

from espass_geo.errors import EspassGeoError, EspassGeoWarning, ValidationError

#: the kinds of files a session accepts, with their French name and accepted suffixes
KINDS: dict[str, tuple[str, tuple[str, ...]]] = {
    "territory": ("territoire", (".gpkg", ".geojson", ".json", ".zip", ".fgb")),
    "landcover": ("occupation du sol", (".tif", ".tiff", ".gpkg", ".geojson", ".json", ".zip",
                                        ".fgb")),
    "landcover_before": ("occupation du sol de la première date",
                         (".tif", ".tiff", ".gpkg", ".geojson", ".json", ".zip", ".fgb")),
    "parcels": ("parcelles (RPG)", (".gpkg", ".geojson", ".json", ".zip", ".fgb")),
    "inventory": ("inventaire d'émissions", (".csv",)),
    "consumption": ("consommation d'espaces (Cerema)", (".csv",)),
    "scenario": ("scénario", (".toml", ".zip")),
}

#: warnings.catch_warnings() changes process-wide state: one validation at a time
_LOCK = threading.Lock()


class UploadRejected(Exception):
    """An uploaded file that cannot be used; ``problems`` are French messages for the page."""

    def __init__(self, problems: list[str]):
        super().__init__("\n".join(problems))
        self.problems = list(problems)


def _suffix(name: str) -> str:
    low = name.lower()
    return ".tar.gz" if low.endswith(".tar.gz") else Path(low).suffix


def safe_name(kind: str, filename: str | None) -> str:
    """The name a file of ``kind`` is stored under: ``<kind>-<cleaned stem><suffix>``.

    Only the last component of the user's name is looked at (``../../etc/x.tif`` → ``x``),
    every character outside ``A–Z a–z 0–9 _ -`` becomes ``_`` (``{{7*7}}.gpkg`` →
    ``territory-7_7.gpkg``), the stem is cut at 60 characters, and the suffix must be one the
    kind accepts (:data:`KINDS`), else :class:`UploadRejected`.
    """
    if kind not in KINDS:
        raise UploadRejected([f"type de fichier « {kind} » inconnu : attendu l'un de "
                              f"{', '.join(KINDS)}"])
    label, suffixes = KINDS[kind]
    base = re.split(r"[\\/]", filename or "")[-1].strip()
    suffix = _suffix(base)
    if not base or suffix not in suffixes:
        shown = base[:80] or "(sans nom)"
        raise UploadRejected([f"fichier de {label} « {shown} » : extension « {suffix or 'aucune'} "
                              f"» non acceptée ; donnez un fichier {', '.join(suffixes)}"])
    stem = base[: len(base) - len(suffix)]
    clean = re.sub(r"[^A-Za-z0-9_-]+", "_", stem).strip("_-")[:60] or "fichier"
    return f"{kind}-{clean}{suffix}"


_CODE_SPEC_RE = re.compile(r"^(cog20(18|26):)?(dep:|epci:)?[0-9A-Za-z]+(,[0-9A-Za-z]+)*$",
                           re.IGNORECASE)


def code_problem(spec: str) -> str | None:
    """French problem of a territory given by code in the page (``59183``, ``epci:SIREN``,
    ``dep:59``, ``cog2026:…``), or None. Never a path: a file must be uploaded."""
    from espass_geo.territory.resolve import check_territory_spec

    spec = (spec or "").strip()
    if not _CODE_SPEC_RE.match(spec.replace(" ", "")):
        return (f"territoire « {spec[:80]} » : donnez un code de commune (59183), d'EPCI "
                "(epci:245900428) ou de département (dep:59), ou déposez un fichier")
    return check_territory_spec(spec)


def _problems(exc: EspassGeoError) -> list[str]:
    if isinstance(exc, ValidationError) and exc.problems:
        return [str(p) for p in exc.problems]
    return [str(exc)]


#: the first bytes of each accepted binary format: GDAL recognises a format by its content,
#: so a file named .tif holding a VRT (XML that can point at other local files or URLs) would
#: be opened as such; only the format its suffix says is let through
_MAGIC = {".tif": (b"II*\x00", b"MM\x00*", b"II+\x00", b"MM\x00+"),
          ".tiff": (b"II*\x00", b"MM\x00*", b"II+\x00", b"MM\x00+"),
          ".gpkg": (b"SQLite format 3\x00",), ".zip": (b"PK\x03\x04",), ".fgb": (b"fgb\x03",)}
#: what a zipped shapefile may hold (no VRT, no other GDAL format)
_SHAPEFILE_PARTS = {".shp", ".shx", ".dbf", ".prj", ".cpg", ".qix", ".sbn", ".sbx", ".xml",
                    ".qmd", ".txt", ".pdf", ".html"}


#: at most this many members in an uploaded zip (a shapefile has fewer than ten parts)
ZIP_MAX_MEMBERS = 500


def unsafe_member(info) -> bool:
    """True for a zip member whose name is absolute, has ``..``, a backslash, a drive or a NUL,
    or which is a symbolic link (Unix mode in ``external_attr``)."""
    name = info.filename
    return (name.startswith(("/", "\\")) or "\\" in name or ".." in name.split("/")
            or ":" in name or "\0" in name or (info.external_attr >> 16) & 0o170000 == 0o120000)


_CRS_LINK_RE = re.compile(rb'"type"\s*:\s*"link"')


def _links_a_crs(path: Path) -> bool:
    """True when a GeoJSON holds a ``"type": "link"`` object: GDAL fetches the ``href`` of a
    linked ``crs`` (old GeoJSON 2008) over HTTP while reading the file — a file dropped in the
    page would make this computer request any address. Read through mmap, never loaded."""
    import mmap

    with open(path, "rb") as fh:
        try:
            with mmap.mmap(fh.fileno(), 0, access=mmap.ACCESS_READ) as mm:
                return _CRS_LINK_RE.search(mm) is not None
        except ValueError:  # empty file
            return False


def check_content(kind: str, path: Path, shown: str) -> None:
    """Refuse a file whose content is not the format its suffix names (see :data:`_MAGIC`);
    a zip (territory, land cover, parcels) must hold a shapefile and nothing GDAL would open
    otherwise. Raises :class:`UploadRejected`."""
    import zipfile

    label = KINDS[kind][0]
    suffix = _suffix(path.name)
    with open(path, "rb") as fh:
        head = fh.read(64)
    if not head:
        raise UploadRejected([f"fichier de {label} « {shown} » vide (0 octet) : envoi "
                              "interrompu ? déposez-le à nouveau"])
    magic = _MAGIC.get(suffix)
    # a text (XML: VRT, WMS…) under a binary suffix is refused here; other bytes go to the
    # reader, which says « illisible » as the command line does
    if magic and not head.startswith(magic) and b"\x00" not in head:
        raise UploadRejected([f"fichier de {label} « {shown} » : son contenu est du texte, pas "
                              f"un fichier {suffix} ; donnez le fichier tel qu'exporté par votre "
                              "SIG"])
    if suffix in (".geojson", ".json") and not head.lstrip(b"\xef\xbb\xbf \t\r\n"
                                                          ).startswith(b"{"):
        raise UploadRejected([f"fichier de {label} « {shown} » : ce n'est pas du GeoJSON "
                              "(un objet JSON est attendu)"])
    if suffix in (".geojson", ".json") and _links_a_crs(path):
        raise UploadRejected([f"fichier de {label} « {shown} » : son membre « crs » est un lien "
                              "(\"type\": \"link\") que GDAL irait chercher sur le réseau ; "
                              "enlevez-le ou nommez le système (\"name\": "
                              "\"urn:ogc:def:crs:EPSG::2154\"), ou exportez le fichier en "
                              "GeoJSON standard (WGS84)"])
    if suffix == ".zip" and kind != "scenario":
        try:
            with zipfile.ZipFile(path) as zf:
                infos = [i for i in zf.infolist() if not i.is_dir()]
        except (zipfile.BadZipFile, OSError) as exc:
            raise UploadRejected([f"archive de {label} « {shown} » illisible ({exc}) : donnez "
                                  "un .zip valide"]) from exc
        # GDAL reads the archive in place (/vsizip/, nothing extracted), but the archive is
        # kept in the session: no member a later « unzip » would put outside its folder or
        # turn into a link, and no archive of thousands of members (a shapefile has < 10)
        if len(infos) > ZIP_MAX_MEMBERS:
            raise UploadRejected([f"archive de {label} « {shown} » : {len(infos)} fichiers ; un "
                                  f"shapefile zippé en a moins de {ZIP_MAX_MEMBERS}"])
        bad = [i.filename for i in infos if unsafe_member(i)]
        if bad:
            raise UploadRejected([f"archive de {label} « {shown} » : chemin(s) refusé(s) "
                                  f"{', '.join(b[:80] for b in bad[:5])} (absolu, « .. » ou "
                                  "lien) ; zippez les fichiers du shapefile eux-mêmes"])
        names = [i.filename for i in infos]
        other = [n for n in names if _suffix(n) not in _SHAPEFILE_PARTS]
        if other or not any(_suffix(n) == ".shp" for n in names):
            raise UploadRejected([f"archive de {label} « {shown} » : un shapefile zippé est "
                                  "attendu (.shp, .shx, .dbf, .prj)"
                                  + (f" ; fichiers refusés : {', '.join(o[:60] for o in other[:5])}"
                                     if other else "")])


def validate_upload(kind: str, path: Path, *, display_name: str | None = None) -> dict:
    """Read ``path`` (a file of ``kind``) with the package's reader for it.

    Returns ``{"summary": "…", "warnings": [...]}`` (plus ``"geojson"`` for a territory: its
    zones in EPSG:4326); raises :class:`UploadRejected` with every problem found.
    ``display_name`` replaces the stored path in the messages (the user's own file name).
    """
    path = Path(path)
    check_content(kind, path, display_name or path.name)
    with _LOCK, warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", EspassGeoWarning)
        try:
            out = _READERS[kind](path)
        except EspassGeoError as exc:
            problems = _problems(exc)
        except (OSError, ValueError, UnicodeDecodeError) as exc:  # a reader's unforeseen case
            problems = [f"fichier « {path.name} » illisible ({type(exc).__name__} : {exc}) ; "
                        "vérifiez qu'il s'agit bien d'un fichier de ce type, complet"]
        else:
            problems = []
    notes = list(dict.fromkeys(str(w.message) for w in caught
                               if issubclass(w.category, EspassGeoWarning)))
    if display_name:
        problems = [p.replace(str(path), display_name).replace(path.name, display_name)
                    for p in problems]
        notes = [n.replace(str(path), display_name).replace(path.name, display_name)
                 for n in notes]
    if problems:
        raise UploadRejected(problems)
    out["warnings"] = notes
    return out


# ---------------------------------------------------------------- one reader per kind
def _territory(path: Path) -> dict:
    from espass_geo.present.fmt import fmt_area_ha
    from espass_geo.territory.resolve import resolve_territory

    t = resolve_territory(str(path))
    zones = t.zones
    if zones.geometry.isna().all():
        raise UploadRejected([f"territoire « {path.name} » : aucune géométrie utilisable"])
    return {"summary": f"{len(zones)} zone(s), {fmt_area_ha(t.area_ha)}",
            "geojson": zones_geojson(zones)}


def zones_geojson(zones, *, id_col: str = "zone_id", name_col: str = "zone_name",
                  tolerance_m: float = 5.0) -> dict:
    """A GeoJSON FeatureCollection (EPSG:4326, properties ``code``, ``name``) of Lambert-93
    zones, simplified to ``tolerance_m`` metres (display only), with its ``bbox``."""
    import json

    g = zones[[id_col, name_col, zones.geometry.name]].copy()
    g = g[g.geometry.notna() & ~g.geometry.is_empty]
    g[zones.geometry.name] = g.geometry.simplify(tolerance_m, preserve_topology=True)
    g = g.rename(columns={id_col: "code", name_col: "name"}).to_crs(4326)
    g["code"] = g["code"].astype(str)
    g["name"] = g["name"].astype(str)
    doc = json.loads(g.to_json(drop_id=True, to_wgs84=False))
    for feat in doc["features"]:  # 1e-6 degree ≈ 0.1 m: enough for the page, half the bytes
        if feat.get("geometry"):
            feat["geometry"]["coordinates"] = _rounded(feat["geometry"]["coordinates"])
    doc["bbox"] = [round(float(v), 6) for v in g.total_bounds]
    return doc


def _rounded(coords):
    if isinstance(coords, list | tuple) and coords and isinstance(coords[0], int | float):
        return [round(float(v), 6) for v in coords]
    return [_rounded(c) for c in coords]


def _landcover(path: Path) -> dict:
    from espass_geo.io.landcover_vectors import is_vector_landcover, read_landcover_vector
    from espass_geo.present.fmt import fmt_number as fmt_int

    if is_vector_landcover(path):
        lc = read_landcover_vector(path)
        return {"summary": f"couche vectorielle : {fmt_int(len(lc.gdf))} polygone(s), produit "
                           f"{lc.product}, champ(s) {', '.join(lc.fields)}"}
    from espass_geo.io.rasters import open_landcover
    from espass_geo.present.fmt import fmt_number

    src = open_landcover(path)
    try:
        res = abs(src.transform.a)
        return {"summary": f"raster {fmt_int(src.width)} × {fmt_int(src.height)} pixels de "
                           f"{fmt_number(res, 1 if res % 1 else 0)} m (Lambert-93)"}
    finally:
        src.close()


def _parcels(path: Path) -> dict:
    from espass_geo.io.parcels import read_parcels
    from espass_geo.present.fmt import fmt_area_ha
    from espass_geo.present.fmt import fmt_number as fmt_int

    p = read_parcels(path)
    return {"summary": f"{fmt_int(len(p))} parcelle(s), {fmt_area_ha(p.area.sum() / 1e4)}"}


def _inventory(path: Path) -> dict:
    from espass_geo.io.inventory import read_inventory
    from espass_geo.present.fmt import fmt_number as fmt_int

    df = read_inventory(path)
    return {"summary": f"{fmt_int(len(df))} ligne(s), "
                       f"{fmt_int(df['territory_code'].nunique())} territoire(s)"}


def _consumption(path: Path) -> dict:
    from espass_geo.io.consumption import read_consumption
    from espass_geo.present.fmt import fmt_number as fmt_int

    c = read_consumption(path)
    years = c.years
    span = f", années {years[0]}–{years[-1]}" if years else ""
    return {"summary": f"{fmt_int(len(c.communes))} commune(s){span}"
                       + (" (ESTIMATION de démonstration)" if c.estimate else "")}


def _scenario(path: Path) -> dict:
    from espass_geo.io.scenario_config import load_scenario_config

    cfg = load_scenario_config(path, in_bilan=True)
    # an uploaded scenario reads only its own folder (and the embedded demo data): no path to
    # another session's files, to the system's files or to a URL (/vsicurl/…)
    from espass_geo.reference import data

    inside = [path.parent.resolve(), data.data_dir("landcover").resolve()]
    named = [cfg.landcover, cfg.parcels, cfg.trend_before, cfg.trend_changes,
             cfg.zan_consumption,
             *(a.params.get("geometry") for sc in cfg.scenarios for a in sc.actions)]
    problems = []
    for value in named:
        if value is None or str(value) == "demo":
            continue
        p = Path(value)
        try:
            resolved = p.resolve()
        except (OSError, RuntimeError):
            resolved = None
        if resolved is None or not any(resolved.is_relative_to(d) for d in inside):
            problems.append(f"{path.name} : le fichier « {str(value)[:120]} » est hors du dossier "
                            "du scénario : déposez une archive .zip du dossier avec ses "
                            "géométries (chemins relatifs)")
        elif resolved.is_relative_to(inside[0]) and resolved.is_file():
            if _suffix(resolved.name) not in (".geojson", ".json", ".gpkg", ".fgb", ".shp",
                                              ".csv"):
                problems.append(f"{path.name} : « {resolved.name} » : une géométrie d'action "
                                "est un GeoJSON, un GeoPackage, un FlatGeobuf ou un shapefile")
                continue
            check_content("scenario", resolved, resolved.name)
    if problems:
        raise UploadRejected(problems)
    n = sum(len(s.actions) for s in cfg.scenarios)
    return {"summary": f"{len(cfg.scenarios)} scénario(s), {n} action(s), "
                       f"{cfg.start_year}–{cfg.horizon}"}


_READERS = {"territory": _territory, "landcover": _landcover, "landcover_before": _landcover,
            "parcels": _parcels, "inventory": _inventory, "consumption": _consumption,
            "scenario": _scenario}
