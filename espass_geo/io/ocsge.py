"""Reading OCS GE (IGN) layers for net artificialisation (ZAN, issue #12).

Every OCS GE polygon carries a cover code (``CODE_CS``, e.g. ``CS2.2.1``) and a use code
(``CODE_US``, e.g. ``US1.1``). Whether a (cover, use) pair counts as **artificialised** is
fixed by the décret n° 2023-1096 of 27 November 2023 (annex: nomenclature of artificialised
and non-artificialised surfaces); the pairs are tabulated in
``factors/ocsge_artificialisation.csv`` (as Mon Diagnostic Artificialisation implements the
décret). The carbon side needs what the land *is*: the same pair is also recoded to the CLC
level-3 / espass_geo code of the OCS GE crosswalk (``factors/crosswalk_ocsge.csv``).

* :func:`read_ocsge` reads one OCS GE « occupation du sol » layer (one date):
  ``code_cs, code_us, artificialised, code, geometry`` in Lambert-93.
* :func:`read_ocsge_difference` reads an OCS GE « différence » layer (the polygons that
  changed between two dates, fields ``CS_<year0>, US_<year0>, CS_<year1>, US_<year1>`` or
  ``cs_avant, us_avant, cs_apres, us_apres`` — the two forms IGN publishes, as recognised by
  Mon Diagnostic Artificialisation's ingestion, MTES-MCT/sparte
  ``airflow/include/domain/data/ocsge/normalization.py``).

Both refuse, with a French message listing them, the (cover, use) pairs the décret table does
not know. The layer reading (layers, CRS, bbox filter, reprojection, geometry repair, overlap
check) reuses the helpers of :mod:`espass_geo.io.landcover_vectors`. The notes, the label and
the overlap found are kept in ``gdf.attrs`` (``notes``, ``label``, ``overlap_ha``, ``fields``,
and ``years`` for a difference layer).
"""

from __future__ import annotations

import re
import warnings
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd

from espass_geo.constants import HA_PER_M2, LAMBERT93
from espass_geo.errors import (
    FactorError,
    InputFileError,
    MissingCRSError,
    UnknownLandCoverClassError,
)
from espass_geo.io.landcover_vectors import (
    SAMPLE_ROWS,
    _have_arrow,
    _layer_bbox,
    _layer_name,
    _overlap_check,
    clean_polygons,
    pyogrio_crs,
)
from espass_geo.io.vectors import _gdal_detail, split_layer
from espass_geo.present.fmt import fmt_area_ha

#: factor table of the décret's (cover, use) flags
ARTIFICIALISATION_TABLE = "ocsge_artificialisation"
_TABLE_FILE = f"factors/{ARTIFICIALISATION_TABLE}.csv"
_MAX_SHOWN = 20
_EMPTY = frozenset({"", "NULL", "NONE", "NAN", "NA", "<NA>"})
#: difference layers: the cover/use fields of the two dates
_DIFF_YEAR = {k: re.compile(rf"{k}_((?:19|20)\d\d)", re.IGNORECASE) for k in ("cs", "us")}
_DIFF_WORDS = {("cs", 0): "cs_avant", ("us", 0): "us_avant", ("cs", 1): "cs_apres",
               ("us", 1): "us_apres"}


# ------------------------------------------------------------------ the décret's table
def artificialisation_table() -> pd.DataFrame:
    """``factors/ocsge_artificialisation.csv`` (``code_cs, code_us, artificialised,
    impermeable`` 0/1 and provenance): from the active factor set once registered there
    (amendable like every factor table), else read from the file."""
    from espass_geo.reference import data

    return data.factor_table(ARTIFICIALISATION_TABLE)


def artificialisation_flags() -> dict[tuple[str, str], bool]:
    """(cover, use) → artificialised in the sense of the décret of 27 November 2023."""
    t = artificialisation_table()
    flags = pd.to_numeric(t["artificialised"], errors="coerce")
    bad = ~flags.isin([0, 1])
    if bad.any():
        rows = ", ".join(f"ligne {i + 2} ({t['code_cs'].iloc[i]} × {t['code_us'].iloc[i]} : "
                         f"{t['artificialised'].iloc[i]!r})" for i in np.flatnonzero(bad)[:10])
        raise FactorError(f"{_TABLE_FILE} : la colonne artificialised doit valoir 0 ou 1 ; "
                          f"{rows}. Corrigez la table (1 = artificialisé selon le décret).")
    return {(str(cs).strip().upper(), str(us).strip().upper()): bool(a)
            for cs, us, a in zip(t["code_cs"], t["code_us"], flags, strict=True)}


def _norm(v) -> str | None:
    if v is None or v is pd.NA or (isinstance(v, float) and np.isnan(v)):
        return None
    s = str(v).strip().upper()
    return None if s in _EMPTY else s


def _norm_all(values) -> np.ndarray:
    """:func:`_norm` of every value, computed once per distinct value."""
    values = np.asarray(values, dtype=object)
    if not len(values):
        return np.zeros(0, dtype=object)
    inv, uniq = pd.factorize(pd.Series(values), use_na_sentinel=False)
    return np.array([_norm(v) for v in uniq], dtype=object)[inv]


def artificialised_flags(cover, use, *, source: str) -> np.ndarray:
    """The décret flag (bool array) of each (cover, use) row. Unknown pairs raise
    :class:`UnknownLandCoverClassError` listing every one of them with its polygon count.
    Vectorised on the unique pairs."""
    flags = artificialisation_flags()
    pairs = pd.DataFrame({"cs": _norm_all(cover), "us": _norm_all(use)})
    key = pairs["cs"].fillna("") + "|" + pairs["us"].fillna("")
    codes, uniq = pd.factorize(key)
    counts = np.bincount(codes, minlength=len(uniq))
    lut = np.zeros(len(uniq), bool)
    unknown: dict[str, int] = {}
    for i, k in enumerate(uniq):
        cs, us = k.split("|")
        if (cs, us) in flags:
            lut[i] = flags[(cs, us)]
        else:
            unknown[f"{cs or '(vide)'} × {us or '(vide)'}"] = int(counts[i])
    if unknown:
        vals = sorted(unknown, key=lambda v: (len(v), v))
        shown = ", ".join(f"{v} ({unknown[v]} polygone{'s' if unknown[v] > 1 else ''})"
                          for v in vals[:_MAX_SHOWN])
        more = f" … et {len(vals) - _MAX_SHOWN} autre(s)" if len(vals) > _MAX_SHOWN else ""
        raise UnknownLandCoverClassError(
            f"{source} : couple(s) couverture × usage absent(s) de la nomenclature de "
            f"l'artificialisation ({_TABLE_FILE}, décret n° 2023-1096) : {shown}{more}. Les "
            "fichiers OCS GE portent les codes terminaux (ex. CS2.2.1 × US1.1) ; vérifiez que la "
            "couche est bien l'OCS GE de l'IGN et les champs de code (code_field), ou complétez "
            "la table.", vals)
    return lut[codes]


# ------------------------------------------------------------------ reading a layer
def _open(path, label: str | None):
    import pyogrio

    file, layer = split_layer(path)
    label = label or str(path)
    layer = _layer_name(file, layer, label)
    try:
        info = pyogrio.read_info(file, layer=layer)
    except Exception as exc:  # noqa: BLE001
        raise InputFileError(f"couche OCS GE « {label} » illisible ; donnez un fichier valide. "
                             f"Détail GDAL : {_gdal_detail(exc)}") from None
    if not info.get("crs"):
        raise MissingCRSError(
            f"couche OCS GE « {label} » sans système de coordonnées : définissez-le (ex. "
            "`ogr2ogr -a_srs EPSG:2154 sortie.gpkg entree.shp`, l'OCS GE est livrée en "
            "Lambert-93) puis relancez.")
    gtype = str(info.get("geometry_type") or "")
    if gtype and "Polygon" not in gtype and any(k in gtype for k in ("Point", "LineString")):
        raise InputFileError(f"couche OCS GE « {label} » : ses entités sont des {gtype}, pas des "
                             "polygones ; donnez la couche « occupation du sol » de l'OCS GE.")
    columns = [str(c) for c in info.get("fields", [])]
    return file, layer, label, info, columns


def _sample(file, layer) -> pd.DataFrame:
    import pyogrio

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        return pyogrio.read_dataframe(file, layer=layer, read_geometry=False,
                                      max_features=SAMPLE_ROWS)


def _read(file, layer, label: str, info, fields: list[str], bbox) -> tuple[gpd.GeoDataFrame,
                                                                          list[str]]:
    """The fields and polygons of the layer within ``bbox``, in Lambert-93, cleaned as
    :func:`~espass_geo.io.landcover_vectors.read_landcover_vector` does (points/lines refused,
    empty geometries dropped, collections reduced to their polygons, reprojected, invalid
    geometries repaired)."""
    import pyogrio

    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)
            gdf = pyogrio.read_dataframe(file, layer=layer, columns=fields,
                                         bbox=_layer_bbox(bbox, info["crs"]),
                                         use_arrow=_have_arrow())
    except Exception as exc:  # noqa: BLE001
        raise InputFileError(f"couche OCS GE « {label} » illisible ; donnez un fichier valide. "
                             f"Détail GDAL : {_gdal_detail(exc)}") from None
    return clean_polygons(gdf, label, pyogrio_crs(info["crs"]), what="couche OCS GE",
                          note="OCS GE", remedy="donnez la couche de polygones.")


def _match(columns: list[str], name: str) -> str | None:
    low = {c.lower(): c for c in columns}
    return low.get(name.strip().lower())


def _difference_fields(columns: list[str]) -> tuple[dict[tuple[str, int], str], tuple | None]:
    """The cover/use fields of the two dates of a difference layer ({(kind, 0|1): field})
    and the years read from their names (``None`` for ``cs_avant``…), or ({}, None)."""
    words = {k: _match(columns, w) for k, w in _DIFF_WORDS.items()}
    if all(words.values()):
        return words, None
    found: dict[str, dict[int, str]] = {"cs": {}, "us": {}}
    for c in columns:
        for kind, rx in _DIFF_YEAR.items():
            m = rx.fullmatch(c.strip())
            if m:
                found[kind][int(m.group(1))] = c
    years = sorted(set(found["cs"]) & set(found["us"]))
    if len(years) >= 2:
        y0, y1 = years[0], years[-1]
        return ({("cs", 0): found["cs"][y0], ("us", 0): found["us"][y0],
                 ("cs", 1): found["cs"][y1], ("us", 1): found["us"][y1]}, (y0, y1))
    return {}, None


def _codes_and_flags(df: pd.DataFrame, cs: str, us: str, label: str):
    """CLC/espass_geo code (crosswalk) and décret flag of each row; rows without a cover or use
    code are no-data (``code`` NA)."""
    from espass_geo.reference.crosswalks import vector_codes

    codes, notes = vector_codes(pd.DataFrame(df[[cs, us]]), fields=(cs, us), product="ocsge",
                                source=label)
    codes = pd.Series(codes.to_numpy(), index=df.index)
    keep = codes.notna().to_numpy()
    flags = np.zeros(len(df), bool)
    if keep.any():
        flags[keep] = artificialised_flags(df[cs].to_numpy()[keep], df[us].to_numpy()[keep],
                                           source=label)
    return codes, flags, keep, notes


def _finish(out: gpd.GeoDataFrame, label: str, notes: list[str], fields, **attrs):
    overlap, msg = _overlap_check(out, label)
    if msg:
        notes.append(msg)
    out = out.reset_index(drop=True)
    out.attrs.update({"label": label, "notes": notes, "overlap_ha": overlap,
                      "fields": tuple(fields), **attrs})
    return out


def read_ocsge(path: str | Path, *, bbox=None, code_field: str | None = None,
               label: str | None = None) -> gpd.GeoDataFrame:
    """Read an OCS GE « occupation du sol » layer (one date) into Lambert-93.

    Returns a GeoDataFrame ``code_cs, code_us`` (the codes, upper case), ``artificialised``
    (bool: the pair is artificialised in the sense of the décret n° 2023-1096,
    ``factors/ocsge_artificialisation.csv``), ``code`` (str: the CLC level-3 / espass_geo code
    of the OCS GE crosswalk ``factors/crosswalk_ocsge.csv``, for the carbon) and ``geometry``;
    ``attrs``: ``label``, ``notes`` (French), ``overlap_ha``, ``fields``.

    ``path``: ``.gpkg .shp .geojson .fgb…`` (``file.gpkg:layer`` selects a layer); ``bbox``:
    ``(minx, miny, maxx, maxy)`` in Lambert-93, only the features it touches are read;
    ``code_field``: the cover and use fields (``"CODE_CS,CODE_US"``, ``"cs+us"``), found from the
    field names by default. Refused with a French error: missing/unreadable file, no CRS, points
    or lines, no cover × use fields, a difference layer (use :func:`read_ocsge_difference`),
    unknown cover, use or (cover, use) pair (all listed). Polygons without a cover or use code
    are dropped (noted).
    """
    from espass_geo.reference.crosswalks import detect_vector_product, parse_code_field

    file, layer, label, info, columns = _open(path, label)
    where = f"couche OCS GE « {label} »"
    if code_field:
        wanted = parse_code_field(code_field)
        if len(wanted) != 2:
            raise InputFileError(f"{where} : code_field « {code_field} » doit nommer deux champs, "
                                 "couverture et usage (ex. CODE_CS,CODE_US).")
        fields = [_match(columns, f) for f in wanted]
        if None in fields:
            missing = [w for w, f in zip(wanted, fields, strict=True) if f is None]
            raise InputFileError(
                f"{where} : champ(s) {', '.join(missing)} absent(s) ; champs présents : "
                f"{', '.join(columns[:20]) or '(aucun)'}. Corrigez code_field.")
    else:
        diff, _ = _difference_fields(columns)
        if diff:
            raise InputFileError(
                f"{where} : c'est une couche « différence » de l'OCS GE (champs "
                f"{', '.join(diff.values())}) qui ne contient que les polygones changés ; lisez-la "
                "avec read_ocsge_difference(), ou donnez la couche « occupation du sol » de "
                "chaque date.")
        try:
            product, found = detect_vector_product(columns, _sample(file, layer),
                                                   product="ocsge", source=where)
        except UnknownLandCoverClassError as exc:
            raise InputFileError(
                f"{where} : champs de couverture et d'usage (CODE_CS, CODE_US) introuvables "
                f"({exc}) ; nommez-les avec code_field (ex. \"CODE_CS,CODE_US\").") from None
        if len(found) != 2:
            raise InputFileError(
                f"{where} : pas de champs couverture × usage (champ {', '.join(found)} trouvé : "
                "ce n'est pas une couche OCS GE) ; donnez la couche « occupation du sol » de "
                "l'OCS GE ou nommez les champs avec code_field (ex. \"CODE_CS,CODE_US\").")
        fields = list(found)
    cs, us = fields
    gdf, notes = _read(file, layer, label, info, list(dict.fromkeys(fields)), bbox)
    codes, flags, keep, cnotes = _codes_and_flags(gdf, cs, us, label)
    notes.extend(cnotes)
    if not keep.all():
        ha = float(gdf.geometry.values[~keep].area.sum()) * HA_PER_M2
        notes.append(f"OCS GE « {label} » : {int((~keep).sum())} polygone(s) sans code de "
                     f"couverture ou d'usage ({fmt_area_ha(ha)}) écarté(s) ; leur surface compte "
                     "comme sans donnée.")
    out = gpd.GeoDataFrame({
        "code_cs": _norm_all(gdf[cs].to_numpy()[keep]),
        "code_us": _norm_all(gdf[us].to_numpy()[keep]),
        "artificialised": flags[keep],
        "code": codes[keep].astype(str).to_numpy()},
        geometry=np.asarray(gdf.geometry.values, dtype=object)[keep], crs=LAMBERT93)
    notes.insert(0, f"OCS GE « {label} » : champs {cs} × {us}, {len(out)} polygone(s) lus"
                    + (" dans l'emprise du territoire" if bbox is not None else "")
                    + f" ; artificialisation selon {_TABLE_FILE} (décret n° 2023-1096).")
    return _finish(out, label, notes, fields)


def read_ocsge_difference(path: str | Path, *, bbox=None, years: tuple[int, int] | None = None,
                          label: str | None = None) -> gpd.GeoDataFrame:
    """Read an OCS GE « différence » layer (the polygons whose cover or use changed between two
    dates) into Lambert-93.

    Fields recognised: ``CS_<y0>, US_<y0>, CS_<y1>, US_<y1>`` (years read from the names) or
    ``cs_avant, us_avant, cs_apres, us_apres`` (then ``years`` must be given). Returns
    ``code_cs_before, code_us_before, code_cs_after, code_us_after, artificialised_before,
    artificialised_after`` (bool, décret), ``code_before, code_after`` (crosswalk codes) and
    ``geometry``; ``attrs["years"] = (y0, y1)``. ``years`` given and different from the field
    names' is refused. Polygons lacking a code at either date are dropped (noted).
    """
    file, layer, label, info, columns = _open(path, label)
    where = f"couche OCS GE « {label} »"
    fields, found_years = _difference_fields(columns)
    if not fields:
        raise InputFileError(
            f"{where} : ce n'est pas une couche « différence » de l'OCS GE : champs CS_<année>, "
            "US_<année> des deux dates (ex. CS_2018, US_2018, CS_2021, US_2021) ou cs_avant, "
            f"us_avant, cs_apres, us_apres attendus ; champs présents : "
            f"{', '.join(columns[:20]) or '(aucun)'}. Pour une couche « occupation du sol », "
            "utilisez read_ocsge().")
    if found_years is None and years is None:
        raise InputFileError(
            f"{where} : les champs cs_avant/cs_apres ne disent pas les années ; donnez "
            "years=(année_avant, année_après), ex. (2018, 2021).")
    if years is not None and found_years is not None and tuple(map(int, years)) != found_years:
        raise InputFileError(
            f"{where} : les champs {fields[('cs', 0)]}, {fields[('cs', 1)]} disent "
            f"{found_years[0]} → {found_years[1]}, pas {years[0]} → {years[1]} ; corrigez years.")
    yrs = tuple(int(y) for y in (found_years or years))
    gdf, notes = _read(file, layer, label, info, list(dict.fromkeys(fields.values())), bbox)
    parts = {}
    keep = np.ones(len(gdf), bool)
    for d, when in ((0, "before"), (1, "after")):
        cs, us = fields[("cs", d)], fields[("us", d)]
        codes, flags, ok, cnotes = _codes_and_flags(gdf, cs, us, f"{label} ({yrs[d]})")
        notes.extend(cnotes)
        keep &= ok
        parts[when] = (cs, us, codes, flags)
    if not keep.all():
        ha = float(gdf.geometry.values[~keep].area.sum()) * HA_PER_M2
        notes.append(f"OCS GE « {label} » : {int((~keep).sum())} polygone(s) sans code à l'une "
                     f"des deux dates ({fmt_area_ha(ha)}) écarté(s).")
    data = {}
    for when, (cs, us, codes, flags) in parts.items():
        data[f"code_cs_{when}"] = _norm_all(gdf[cs].to_numpy()[keep])
        data[f"code_us_{when}"] = _norm_all(gdf[us].to_numpy()[keep])
    for when, (_, _, codes, flags) in parts.items():
        data[f"artificialised_{when}"] = flags[keep]
    for when, (_, _, codes, _) in parts.items():
        data[f"code_{when}"] = codes[keep].astype(str).to_numpy()
    out = gpd.GeoDataFrame(data, geometry=np.asarray(gdf.geometry.values, dtype=object)[keep],
                           crs=LAMBERT93)
    notes.insert(0, f"OCS GE différence « {label} » ({yrs[0]} → {yrs[1]}) : champs "
                    f"{', '.join(fields.values())}, {len(out)} polygone(s) changé(s) lus"
                    + (" dans l'emprise du territoire" if bbox is not None else "")
                    + f" ; artificialisation selon {_TABLE_FILE} (décret n° 2023-1096).")
    return _finish(out, label, notes, tuple(fields.values()), years=yrs)
