"""Access to the embedded default data (boundaries, factors, land cover).

In an installed wheel the three folders live in ``espass_geo/_data/``; in a source
checkout (editable install, tests) they are the top-level folders of the repository.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path
from typing import Any

import pandas as pd

from espass_geo.errors import InputFileError

_PKG = Path(__file__).resolve().parents[1]  # the espass_geo package
_FOLDERS = ("boundaries", "factors", "landcover")


def data_dir(folder: str) -> Path:
    """Folder of embedded data: ``boundaries``, ``factors`` or ``landcover``."""
    if folder not in _FOLDERS:
        raise ValueError(f"dossier de données inconnu {folder!r} ; attendu l'un de {_FOLDERS}")
    for candidate in (_PKG / "_data" / folder, _PKG.parent / folder):
        if candidate.is_dir():
            return candidate
    raise InputFileError(
        f"dossier de données embarquées '{folder}' introuvable à côté de {_PKG} ; "
        "réinstallez le paquet avec `pip install .` depuis une copie complète du dépôt."
    )


def data_path(folder: str, name: str) -> Path:
    path = data_dir(folder) / name
    if not path.exists():
        raise InputFileError(
            f"fichier de données embarquées '{path}' manquant ; réinstallez espass-geo depuis une "
            "copie complète du dépôt."
        )
    return path


# Columns read as strings wherever they appear (codes keep leading zeros).
_STR_COLUMNS = {
    "insee", "code", "commune", "siren", "epci", "epci_siren", "commune_code", "commune_siren",
    "departement", "region", "region_code", "zpc", "code_clc", "code12", "code18", "level",
    "location_code", "anciens_codes", "arrondissement", "chef_lieu", "codes_postaux",
}


def read_csv(path: str | Path, **kwargs) -> pd.DataFrame:
    """Read an embedded CSV (factor and boundary tables) with code columns as strings; wrap
    I/O errors in :class:`InputFileError`. User tables go through :mod:`espass_geo.io.tables`."""
    path = Path(path)
    try:
        head = pd.read_csv(path, nrows=0, **{k: v for k, v in kwargs.items() if k == "sep"})
        extra = kwargs.pop("dtype", None)
        dtype: Any
        if extra is str:
            dtype = str
        else:
            dtype = {c: str for c in head.columns if c in _STR_COLUMNS}
            dtype.update(extra or {})
        return pd.read_csv(path, dtype=dtype, keep_default_na=True, **kwargs)
    except FileNotFoundError as exc:
        raise InputFileError(f"fichier '{path}' introuvable ; vérifiez le chemin.") from exc
    except (pd.errors.ParserError, UnicodeDecodeError, pd.errors.EmptyDataError) as exc:
        raise InputFileError(
            f"fichier '{path}' illisible comme CSV ({exc}) ; enregistrez-le en CSV UTF-8 avec une "
            "ligne d'en-tête."
        ) from exc


def factor_table(name: str) -> pd.DataFrame:
    """The factor table ``name`` of the active factor set (the shipped ``factors/<name>.csv``
    unless a run chose another set with :func:`espass_geo.reference.factor_set.use_factors`); loaded and
    validated once per set; do not mutate the result."""
    from espass_geo.reference.factor_set import active_factor_set

    return active_factor_set().table(name)


def factor_cache(func):
    """:func:`functools.cache` with one cache per factor set (see
    :func:`espass_geo.reference.factor_set.factor_cache`): for values derived from the factor tables."""
    from espass_geo.reference.factor_set import factor_cache as _factor_cache

    return _factor_cache(func)


@cache
def communes_2018() -> pd.DataFrame:
    """Commune table of metropolitan France and Corsica, COG 2018 (35 066 communes):
    ``insee, nom, departement, region, epci, population`` (ALDO ``communes_17122018.csv``)."""
    return read_csv(data_path("boundaries", "communes_epci_2018_france.csv.gz"))


@cache
def epci_2018() -> pd.DataFrame:
    """EPCI list of ALDO, 2018 grid (1 248 rows, metropolitan France and Corsica):
    ``code, nom, nature, nombreCommunes, populationTotale`` (codes ``1``–``4``: isolated
    communes, see boundaries/README.md)."""
    return read_csv(data_path("boundaries", "epci_2018_france.csv"))


@cache
def embedded_geometry_codes() -> frozenset[str]:
    """INSEE codes (COG 2018) whose polygon is shipped: the communes of Nord and Pas-de-Calais."""
    return frozenset(read_csv(data_path("boundaries", "communes_epci_2018_59_62.csv"))["insee"])


@cache
def communes_2026() -> pd.DataFrame:
    return read_csv(data_path("boundaries", "cog2026_communes_59_62.csv"))


@cache
def epci_2026() -> pd.DataFrame:
    return read_csv(data_path("boundaries", "cog2026_epci_59_62.csv"))


@cache
def _commune_geometries_cached():
    import geopandas as gpd

    from espass_geo.constants import LAMBERT93

    gdf = gpd.read_file(data_path("boundaries", "communes_59_62.geojson"), engine="pyogrio")
    gdf["code"] = gdf["code"].astype(str)
    return gdf.to_crs(LAMBERT93)


def commune_geometries():
    """Commune polygons (Admin Express COG 2018), reprojected to Lambert-93 (a copy)."""
    return _commune_geometries_cached().copy()


def demo_landcover_path() -> Path:
    return data_path("landcover", "demo_flandre_dunkerque_clc2018_20m.tif")


def demo_parcels_path() -> Path:
    return data_path("landcover", "rpg/rpg_2021_flandre_dunkerque.gpkg")


def aldo_clc18_epci_path() -> Path:
    return data_path("landcover", "aldo/clc18_surfaces_ha_epci_59_62.csv")


def demo_landcover_2012_path() -> Path:
    return data_path("landcover", "demo_flandre_dunkerque_clc2012_20m.tif")


def aldo_clc_change_epci_path() -> Path:
    return data_path("landcover", "aldo/clc12_clc18_changements_ha_epci_59_62.csv")


def aldo_clc_change_communes_path() -> Path:
    return data_path("landcover", "aldo/clc12_clc18_changements_ha_communes_59_62.csv")


def aldo_bdforet_epci_path() -> Path:
    return data_path("landcover", "aldo/foret_surfaces_bdforet_ha_epci_59_62.csv")
