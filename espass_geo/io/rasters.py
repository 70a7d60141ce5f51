"""Opening land-cover rasters safely and reading only the window the zones cover.

:func:`open_landcover` refuses, with a French message naming the remedy, what cannot be
cross-tabulated (no CRS, rotated grid, several bands, non-integer pixels,
impossible no-data value); :func:`raster_read_errors` turns a truncated file into an
:class:`~espass_geo.errors.InputFileError`; :func:`raster_window` and
:func:`windowed_dataset` restrict reading to the zones' window.

A land cover may also be a path of GDAL's virtual file systems (``/vsis3/bucket/clc.tif``,
``/vsicurl/https://…``, ``/vsizip//abs/archive.zip/clc.tif``, ``/vsimem/…``): it is handed to
GDAL as it is (:func:`gdal_path` undoes what ``pathlib.Path`` did to it on the way), and a
failure to open it names the credentials or settings to check (:func:`vsi_remedy`).
"""

from __future__ import annotations

import os
import re
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING

import geopandas as gpd
import numpy as np
import pandas as pd

from espass_geo.errors import (
    EspassGeoError,
    InputFileError,
    MissingCRSError,
    NoOverlapError,
)
from espass_geo.present.fmt import fmt_area_ha

if TYPE_CHECKING:
    from rasterio.windows import Window


#: archive handlers: ``/vsizip/`` + the archive path (+ the path inside it)
_VSI_ARCHIVES = ("vsizip", "vsitar", "vsigzip", "vsi7z", "vsirar")
#: ``pathlib.Path`` merges the ``//`` of a URL: ``/vsicurl/https:/host`` -> ``https://host``
_COLLAPSED_URL = re.compile(r"(/vsicurl(?:_streaming)?/)(https?|ftps?|file):/(?=[^/])")


def is_vsi_path(path) -> bool:
    """Whether ``path`` is on one of GDAL's virtual file systems (``/vsis3/``, ``/vsicurl/``,
    ``/vsizip/``, ``/vsimem/``…): no local file to check, GDAL opens it."""
    return path is not None and os.fspath(path).startswith("/vsi")


def gdal_path(path) -> str:
    """The path to give GDAL: ``str(path)``, with a GDAL virtual path repaired if it went
    through ``pathlib.Path`` (the CLI's and the runs' path type), which merges double slashes:

    * ``/vsicurl/https:/host/x.tif`` -> ``/vsicurl/https://host/x.tif``;
    * ``/vsizip/tmp/a.zip/x.tif`` (from ``/vsizip//tmp/a.zip/x.tif``) -> the absolute form
      when ``tmp/a.zip`` is not an archive relative to the current folder but ``/tmp/a.zip``
      is (or, neither existing, when its first folder is the root's and not a local one);
      ``/vsizip/vsicurl/…`` -> ``/vsizip//vsicurl/…``. Same for ``/vsitar/``,
      ``/vsigzip/``, ``/vsi7z/``, ``/vsirar/``.
    """
    s = os.fspath(path)
    if not s.startswith("/vsi"):
        return s
    s = _COLLAPSED_URL.sub(r"\1\2://", s)
    out, rest = "", s
    while True:  # chained handlers: /vsizip//vsicurl/… , /vsitar//vsizip/…
        m = re.match(r"^/(vsi[a-z0-9_]+)/(.*)$", rest)
        if not m or m.group(1) not in _VSI_ARCHIVES:
            return out + rest
        handler, inner = m.groups()
        out += f"/{handler}/"
        if inner.startswith(("/", "{")):
            rest = inner
            if inner.startswith("{"):
                return out + rest
            continue
        if inner.startswith("vsi") or (_archive_in(inner) is None and (
                _archive_in("/" + inner) is not None or _absolute_only(inner))):
            rest = "/" + inner
            continue
        return out + inner


def _absolute_only(path: str) -> bool:
    """No archive either way: is ``path``'s first folder one of the root's, not a local one
    (``tmp/missing.zip``: ``/tmp`` exists, ``./tmp`` does not)?"""
    first = path.split("/", 1)[0]
    return bool(first) and os.path.isdir("/" + first) and not os.path.exists(first)


def _archive_in(path: str) -> str | None:
    """The leading part of ``path`` that is an existing file (the archive), if any."""
    parts = path.split("/")
    for i in range(1, len(parts) + 1):
        head = "/".join(parts[:i])
        if head and head != "/" and os.path.isfile(head):
            return head
    return None


def vsi_remedy(path: str) -> str:
    """What to check when GDAL cannot open a virtual path: credentials of the object store,
    network settings, the path inside an archive (French)."""
    handlers = re.findall(r"/(vsi[a-z0-9_]+)/", path)
    tips = []
    for h in dict.fromkeys(handlers):
        if h == "vsis3":
            tips.append("stockage S3 : donnez les identifiants dans l'environnement "
                        "(AWS_ACCESS_KEY_ID et AWS_SECRET_ACCESS_KEY, ou AWS_PROFILE ; AWS_REGION ; "
                        "AWS_S3_ENDPOINT pour un stockage compatible S3 hors AWS) ou, pour un seau "
                        "public, AWS_NO_SIGN_REQUEST=YES ; vérifiez le nom du seau et la clé")
        elif h == "vsigs":
            tips.append("Google Cloud Storage : GOOGLE_APPLICATION_CREDENTIALS (ou "
                        "GS_ACCESS_KEY_ID et GS_SECRET_ACCESS_KEY), ou GS_NO_SIGN_REQUEST=YES "
                        "pour un seau public")
        elif h in ("vsiaz", "vsiadls"):
            tips.append("Azure : AZURE_STORAGE_CONNECTION_STRING (ou AZURE_STORAGE_ACCOUNT et "
                        "AZURE_STORAGE_ACCESS_KEY), ou AZURE_NO_SIGN_REQUEST=YES pour un "
                        "conteneur public")
        elif h.startswith("vsicurl"):
            tips.append("HTTP : vérifiez l'adresse (`curl -I` doit répondre 200) et l'accès au "
                        "réseau (proxy : GDAL_HTTP_PROXY) ; GDAL_HTTP_TIMEOUT et "
                        "GDAL_HTTP_MAX_RETRY pour une connexion lente")
        elif h in _VSI_ARCHIVES:
            tips.append("archive : vérifiez le chemin de l'archive et celui du raster à "
                        "l'intérieur (`unzip -l archive.zip`) ; un chemin absolu s'écrit "
                        "/vsizip//chemin/absolu/archive.zip/raster.tif")
        elif h == "vsimem":
            tips.append("fichier en mémoire : il n'existe que dans le processus qui l'a créé")
    if not tips:
        tips.append("vérifiez le chemin et les réglages GDAL du système de fichiers virtuel "
                    f"({', '.join('/' + h + '/' for h in handlers) or '/vsi…/'})")
    return " ; ".join(tips)


def open_landcover(path: str | Path, like=None):
    """Open a land-cover raster with rasterio and check that it can be cross-tabulated.

    Refused, each with a French :class:`InputFileError` (or CRS error) naming the file and the
    remedy: a missing or unreadable file, a raster without CRS or not in EPSG:2154, a rotated
    grid, more than one band (a land cover is one band of class codes: an RGB picture of a map,
    or the two-band ``change.tif`` of ``espass-geo flows``, would give wrong classes, so no band
    is picked silently) and non-integer pixels. A raster in another CRS is warped on the fly
    into Lambert-93 (nearest neighbour, :func:`warp_to_lambert93`; onto ``like``'s grid when
    given): the dataset returned is then that VRT, its note in :data:`WARP_NOTES`.
    """
    import rasterio

    if is_vsi_path(path):
        return _open_vsi(gdal_path(path), like)
    path = Path(path)
    name = path.name
    if not path.exists():
        raise InputFileError(f"raster d'occupation du sol « {path} » introuvable ; vérifiez le "
                             "chemin.")
    if path.is_dir():
        raise InputFileError(f"« {path} » est un dossier, pas un raster d'occupation du sol ; "
                             "donnez le chemin d'un fichier GeoTIFF.")
    if path.stat().st_size == 0:
        raise InputFileError(f"le raster d'occupation du sol « {path} » est un fichier vide "
                             "(0 octet) : copie ou téléchargement interrompu ? Copiez-le ou "
                             "téléchargez-le à nouveau (un GeoTIFF valide).")
    try:
        src = rasterio.open(path)
    except Exception as exc:  # noqa: BLE001 - RasterioIOError, or a corrupt header (e.g. UnicodeDecodeError in the CRS)
        detail = str(exc).split(";")[0].replace(f"'{path}'", "").strip().rstrip(".")[:120]
        raise InputFileError(
            f"le raster d'occupation du sol « {path} » ne peut pas être ouvert : ce n'est pas un "
            f"raster lisible ; donnez un GeoTIFF valide (vérifiez-le avec `gdalinfo {name}`). "
            f"Détail GDAL : {detail}."
        ) from exc
    return _checked(src, path, like)


def _checked(src, path, like):
    """``src`` checked (:func:`_check_landcover`), or its Lambert-93 warped VRT."""
    import rasterio

    try:
        _check_landcover(src, path)
        if src.crs.to_epsg() == 2154 and like is None:
            return src
        vrt, note = warp_to_lambert93(src, like=like)
    except BaseException:
        src.close()
        raise
    src.close()
    wsrc = rasterio.open(vrt)
    WARP_NOTES[wsrc.name] = note
    return wsrc


def _open_vsi(path: str, like=None):
    """Open a GDAL virtual path (no local file to check); a failure names what to check."""
    import rasterio

    try:
        src = rasterio.open(path)
    except Exception as exc:  # noqa: BLE001 - RasterioIOError: missing object, no credentials, network
        detail = str(exc).split(";")[0].replace(f"'{path}'", "").strip().rstrip(".")[:160]
        raise InputFileError(
            f"le raster d'occupation du sol « {path} » ne peut pas être ouvert par GDAL "
            f"(système de fichiers virtuel) : {vsi_remedy(path)}. Testez l'accès avec "
            f"`gdalinfo {path}`. Détail GDAL : {detail or 'aucun'}."
        ) from exc
    return _checked(src, path, like)


#: French note per warped VRT path (``src.name`` of what :func:`open_landcover` returned).
WARP_NOTES: dict[str, str] = {}
_WARP_DIR: list[str] = []


def warp_note(crs: str, res: float) -> str:
    """The one note text for a raster warped to Lambert-93 (CLI and API alike)."""
    return (f"raster reprojeté de {crs} vers Lambert-93 (EPSG:2154) au plus proche voisin, "
            f"pixel de {res:g} m")


def _round_res(res: float) -> float:
    """``res`` snapped to a round size (100, 50, 25, 20, 10, 5, 2, 1, 0.5 … m) within 2 %."""
    for step in (100, 50, 25, 20, 10, 5, 2, 1, 0.5, 0.2, 0.1, 0.05, 0.01):
        cand = round(res / step) * step
        if cand > 0 and abs(cand - res) <= 0.02 * res:
            return float(cand)
    return float(res)


#: error of GDAL's approximate transformer, in pixels: the default 0.125 let a pixel take a
#: different class depending on the window that reads it (1 620 pixels of the demo raster
#: warped from EPSG:3035 differed between a whole read and 256-pixel windows; 0 at 1e-6,
#: measured); 0 itself is refused by GDAL's warped VRT
WARP_TOLERANCE_PX = 1e-6


def warp_to_lambert93(src, like=None) -> tuple[str, str]:
    """A warped VRT of ``src`` in Lambert-93 (nearest neighbour), written to a temporary folder.

    The grid is ``like``'s (transform, width, height) when given, otherwise ``src``'s native
    resolution in Lambert-93 (:func:`rasterio.warp.calculate_default_transform`, snapped to a
    round size), aligned on multiples of the pixel size. No pixel is read here: the VRT warps
    window by window, so memory stays bounded. Returns the VRT path and the French note.
    """
    import math
    import tempfile

    import rasterio
    import rasterio.shutil
    from rasterio.enums import Resampling
    from rasterio.transform import from_origin
    from rasterio.vrt import WarpedVRT
    from rasterio.warp import calculate_default_transform, transform_bounds

    if like is not None:
        transform, width, height = like.transform, like.width, like.height
    else:
        t, _, _ = calculate_default_transform(src.crs, "EPSG:2154", src.width, src.height,
                                              *src.bounds)
        res = _round_res(math.sqrt(abs(t.a * t.e)))
        left, bottom, right, top = transform_bounds(src.crs, "EPSG:2154", *src.bounds,
                                                    densify_pts=21)
        left, bottom = math.floor(left / res) * res, math.floor(bottom / res) * res
        right, top = math.ceil(right / res) * res, math.ceil(top / res) * res
        width, height = round((right - left) / res), round((top - bottom) / res)
        transform = from_origin(left, top, res, res)
    if not _WARP_DIR:
        import atexit
        import shutil

        _WARP_DIR.append(tempfile.mkdtemp(prefix="espass_warp_"))
        atexit.register(shutil.rmtree, _WARP_DIR[0], True)
    out = os.path.join(_WARP_DIR[0], f"{Path(src.name).stem}_{len(WARP_NOTES)}_l93.vrt")
    source = os.path.abspath(src.name) if os.path.exists(src.name) else src.name
    with rasterio.open(source) as s, WarpedVRT(s, crs="EPSG:2154", transform=transform, width=width, height=height,
                   resampling=Resampling.nearest, nodata=src.nodata,
                   tolerance=WARP_TOLERANCE_PX) as vrt:
        rasterio.shutil.copy(vrt, out, driver="VRT")
    crs = src.crs.to_string()
    note = warp_note(crs, abs(transform.a))
    if like is not None:
        note += " (sur la grille du premier raster)"
    return out, note


def _check_landcover(src, path) -> None:
    name, stem = Path(path).name, Path(path).stem
    if src.crs is None:
        raise MissingCRSError(
            f"le raster d'occupation du sol « {path} » n'a pas de système de coordonnées ; "
            f"attribuez-le avec `gdal_edit.py -a_srs EPSG:2154 {name}` (si ses coordonnées sont "
            "en Lambert-93)."
        )
    t = src.transform
    if t.b != 0 or t.d != 0:
        raise InputFileError(
            f"le raster d'occupation du sol « {path} » a une grille tournée (géotransformation "
            f"{tuple(round(v, 6) for v in t[:6])}) ; ramenez-le sur une grille nord-sud : "
            f"`gdalwarp -t_srs EPSG:2154 -r near {name} {stem}_nord.tif`."
        )
    lo = 1e-9 if src.crs.is_geographic else 1e-3  # degrees: 1 mm is ~1e-8°
    if (not all(np.isfinite(v) for v in t[:6]) or t.a <= 0 or t.e >= 0
            or not lo <= t.a <= 1e5 or not lo <= -t.e <= 1e5):
        raise InputFileError(
            f"le raster d'occupation du sol « {path} » a une géotransformation inutilisable "
            f"(taille de pixel {t.a:g} × {t.e:g}, origine {t.c:g}, {t.f:g}) : pixels de taille "
            "nulle ou invraisemblable (hors de 1 mm à 100 km), ou grille retournée. Réécrivez-le "
            "sur une grille nord-sud en Lambert-93 : "
            f"`gdalwarp -t_srs EPSG:2154 -r near {name} {stem}_l93.tif`."
        )
    if src.count != 1:
        raise InputFileError(
            f"le raster d'occupation du sol « {path} » a {src.count} bandes ; il faut un raster "
            "à une seule bande de codes d'occupation du sol (CLC niveau 3). Extrayez la bande "
            f"des codes : `gdal_translate -b 1 {name} {stem}_bande1.tif` (une image en "
            "couleurs d'une carte ne convient pas)."
        )
    dtype = src.dtypes[0]
    if not np.issubdtype(np.dtype(dtype), np.integer):
        raise InputFileError(
            f"le raster d'occupation du sol « {path} » est de type {dtype} ; les codes "
            "d'occupation du sol doivent être des entiers. Si ses valeurs sont des codes "
            f"entiers, convertissez-le : `gdal_translate -ot UInt16 {name} {stem}_int.tif`."
        )
    nodata = src.nodata
    info = np.iinfo(np.dtype(dtype))
    if nodata is not None and not (np.isfinite(nodata) and float(nodata).is_integer()
                                   and info.min <= nodata <= info.max):
        raise InputFileError(
            f"le raster d'occupation du sol « {path} » déclare la valeur « sans donnée » "
            f"{nodata:g}, impossible pour des codes entiers ({dtype}) : les moteurs de calcul "
            "ne la liraient pas de la même façon. Déclarez la vraie valeur, par exemple "
            f"`gdal_edit.py -a_nodata 0 {name}` (ou `-unsetnodata` s'il n'y en a pas)."
        )


@contextmanager
def raster_read_errors(path, what: str = "raster d'occupation du sol"):
    """Turn a failure while reading pixels (truncated or corrupt file) into an InputFileError.

    A GeoTIFF or COG cut short (interrupted download or copy) opens fine and fails only when a
    missing block is read.
    """
    import rasterio

    try:
        yield
    except EspassGeoError:
        raise
    except rasterio.errors.RasterioError as exc:
        name = Path(str(path)).name
        detail = str(exc.__cause__ or exc)[:200]  # GDAL's own message is the cause
        if is_vsi_path(path):  # remote or archived: the network or the rights, as often
            raise InputFileError(
                f"le {what} « {gdal_path(path)} » est illisible à la lecture des pixels "
                f"({detail}) : lecture distante interrompue, droits insuffisants ou fichier "
                f"tronqué ; {vsi_remedy(gdal_path(path))}. Vérifiez-le avec "
                f"`gdalinfo -checksum {gdal_path(path)}`."
            ) from exc
        raise InputFileError(
            f"le {what} « {path} » est illisible à la lecture des pixels ({detail}) : fichier "
            "tronqué ou corrompu (téléchargement ou copie interrompus ?). Vérifiez-le avec "
            f"`gdalinfo -checksum {name}` et copiez-le ou téléchargez-le à nouveau."
        ) from exc


def raster_window(src, bounds) -> Window | None:
    """Pixel window of ``src`` covering ``bounds`` (whole pixels, clipped to the raster).

    ``None`` when the bounds and the raster do not overlap. Only this window is ever read, so
    the cost of a cross-tab depends on the zones, not on the size of the raster.
    """
    import math

    from rasterio.windows import Window, from_bounds

    w = from_bounds(*bounds, transform=src.transform)
    eps = 1e-9  # float noise of from_bounds; a sliver narrower than this is < 1e-9 pixel
    col0 = max(0, math.floor(w.col_off + eps))
    row0 = max(0, math.floor(w.row_off + eps))
    col1 = min(src.width, math.ceil(w.col_off + w.width - eps))
    row1 = min(src.height, math.ceil(w.row_off + w.height - eps))
    if col1 <= col0 or row1 <= row0:
        return None
    return Window(col0, row0, col1 - col0, row1 - row0)


_GDAL_INT_TYPES = {"uint8": "Byte", "int8": "Int8", "uint16": "UInt16", "int16": "Int16",
                   "uint32": "UInt32", "int32": "Int32", "uint64": "UInt64", "int64": "Int64"}


@contextmanager
def windowed_dataset(src, window):
    """``src`` seen through ``window``: a GDAL VRT of that window (same grid, same pixels).

    exactextract then never reads, nor iterates over, the rest of a huge raster.
    """
    import rasterio
    from rasterio.windows import transform as window_transform

    if (window.col_off, window.row_off, window.width, window.height) == (
            0, 0, src.width, src.height):
        yield src
        return
    from xml.sax.saxutils import escape

    t = window_transform(window, src.transform)
    w, h = int(window.width), int(window.height)
    source = os.path.abspath(src.name) if os.path.exists(src.name) else src.name
    # the source's tiles (each then read once); at least 256 for a striped file (1-row blocks)
    by, bx = (max(256, b) for b in src.block_shapes[0])
    nodata = "" if src.nodata is None else f"<NoDataValue>{src.nodata!r}</NoDataValue>"
    vrt = (
        f'<VRTDataset rasterXSize="{w}" rasterYSize="{h}">'
        f"<SRS>{escape(src.crs.to_wkt())}</SRS>"
        f"<GeoTransform>{t.c!r}, {t.a!r}, {t.b!r}, {t.f!r}, {t.d!r}, {t.e!r}</GeoTransform>"
        f'<VRTRasterBand dataType="{_GDAL_INT_TYPES[src.dtypes[0]]}" band="1" '
        f'blockXSize="{min(bx, w)}" blockYSize="{min(by, h)}">{nodata}'
        f'<SimpleSource><SourceFilename relativeToVRT="0">{escape(source)}</SourceFilename>'
        f"<SourceBand>1</SourceBand>"
        f'<SrcRect xOff="{int(window.col_off)}" yOff="{int(window.row_off)}" xSize="{w}" '
        f'ySize="{h}"/><DstRect xOff="0" yOff="0" xSize="{w}" ySize="{h}"/>'
        "</SimpleSource></VRTRasterBand></VRTDataset>"
    )
    with rasterio.open(vrt) as vsrc:
        yield vsrc


def check_overlap(src, zones: gpd.GeoDataFrame, path) -> None:
    from shapely.geometry import box

    rb = box(*src.bounds)
    # a zone that only touches the raster's edge does not overlap it (no pixel window)
    if not zones.geometry.intersects(rb).any() or raster_window(src, zones.total_bounds) is None:
        zb = [round(v) for v in zones.total_bounds]
        raise NoOverlapError(
            f"le territoire (emprise {zb}, EPSG:2154) et le raster d'occupation du sol « {path} » "
            f"(emprise {[round(v) for v in src.bounds]}) ne se recouvrent pas ; vérifiez que "
            "les deux couvrent la même région (et que le territoire est le bon)."
        )


def check_undeclared_nodata(src, raw: pd.DataFrame, label: str) -> None:
    """A raster without a declared no-data value whose pixels hold 0 (or the largest value of
    its type, another usual fill): those pixels are no-data that GDAL was not told about."""
    if src.nodata is not None or raw.empty:
        return
    fills = {0, int(np.iinfo(np.dtype(src.dtypes[0])).max)}
    hit = raw[raw["code"].isin(fills)]
    if hit.empty:
        return
    value = int(hit["code"].iloc[0])
    name = Path(str(label)).name
    raise InputFileError(
        f"le raster d'occupation du sol « {label} » ne déclare pas de valeur « sans donnée » et "
        f"{fmt_area_ha(float(hit['area_ha'].sum()))} du territoire y valent {value}, qui n'est "
        f"pas un code d'occupation du sol : déclarez-la (`gdal_edit.py -a_nodata {value} "
        f"{name}`) puis relancez."
    )
