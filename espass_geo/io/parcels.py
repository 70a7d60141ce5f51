"""Reading RPG-style parcels: declared land-cover class and practice attributes per parcel."""

from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd

from espass_geo.constants import LAMBERT93
from espass_geo.errors import InputFileError, UnknownLandCoverClassError
from espass_geo.io.vectors import read_vector
from espass_geo.reference import data


def read_parcels(path: str | Path) -> gpd.GeoDataFrame:
    """Read RPG-style parcels and give each a declared CLC code from ``factors/rpg_to_clc.csv``.

    Needs ``CODE_GROUP`` or ``CODE_CULTU`` (RPG); a crop-level mapping row wins over the group.
    Returns columns ``parcel_id, code_cultu, code_group, code (declared CLC), geometry``.
    """
    gdf = read_vector(path, what="parcels", polygons=True)
    cols = {c.upper(): c for c in gdf.columns}
    if "CODE_GROUP" not in cols and "CODE_CULTU" not in cols:
        fields = [c for c in gdf.columns if c != gdf.geometry.name]
        raise InputFileError(
            f"fichier de parcelles « {path} » sans champ CODE_GROUP ni CODE_CULTU (champs du "
            f"RPG) ; champs présents : {fields[:20]}. Donnez une couche du RPG (IGN) ou "
            "ajoutez la culture déclarée dans un champ CODE_CULTU."
        )
    mapping = data.factor_table("rpg_to_clc")
    by_crop = mapping[mapping["level"] == "crop"].set_index("code")["code_clc"]
    by_group = mapping[mapping["level"] == "group"].set_index("code")["code_clc"]
    cultu = _text(gdf[cols["CODE_CULTU"]]) if "CODE_CULTU" in cols else pd.Series(
        "", index=gdf.index)
    group = _text(gdf[cols["CODE_GROUP"]]).str.replace(r"\.0$", "", regex=True) \
        if "CODE_GROUP" in cols else pd.Series("", index=gdf.index)
    code = cultu.map(by_crop).fillna(group.map(by_group))
    unknown = sorted((set(group[code.isna()]) | set(cultu[code.isna()])) - {""})
    if code.isna().any():
        shown = unknown[:20] or ["(vide)"]
        raise UnknownLandCoverClassError(
            f"fichier de parcelles « {path} » : {int(code.isna().sum())} parcelle(s) dont la "
            f"culture ou le groupe ({', '.join(shown)}) n'a pas de classe d'occupation du sol "
            "dans factors/rpg_to_clc.csv ; ajoutez une ligne (level, code, code_clc) pour "
            "chacun, ou corrigez CODE_CULTU / CODE_GROUP.", unknown)
    pid_col = cols.get("ID_PARCEL")
    pid = _text(gdf[pid_col]).str.replace(r"\.0$", "", regex=True) if pid_col else pd.Series(
        [f"p{i + 1}" for i in range(len(gdf))], index=gdf.index)
    if (pid == "").any():
        raise InputFileError(
            f"fichier de parcelles « {path} » : {int((pid == '').sum())} parcelle(s) sans "
            "identifiant ID_PARCEL ; remplissez-le pour chaque parcelle (ou retirez le champ : "
            "les parcelles sont alors numérotées p1, p2…)."
        )
    dup = pid[pid.duplicated(keep=False)]
    if len(dup):
        raise InputFileError(
            f"fichier de parcelles « {path} » : identifiants ID_PARCEL en double "
            f"({', '.join(sorted(set(dup))[:10])}) ; chaque parcelle doit avoir le sien "
            "(une parcelle comptée deux fois doublerait ses stocks)."
        )
    out = gpd.GeoDataFrame(
        {"parcel_id": pid.values, "code_cultu": cultu.values, "code_group": group.values,
         "code": code.astype(int).values}, geometry=gdf.geometry.values, crs=LAMBERT93)
    out = _practice_attributes(gdf, out, path)
    return out


#: Optional per-parcel practice attributes (current state) and their allowed values.
PRACTICE_ATTRIBUTES = {
    "tillage": {"conventional", "reduced", "no_till"},
    "cover_crops": {True, False},
    "residues": {"exported", "returned"},
    "temp_grassland_rotation": {True, False},
    "hedges_m_ha": None,   # metres of hedge per hectare (number ≥ 0)
    "agroforestry": {True, False},
}
_TRUE = {"1", "true", "oui", "yes", "vrai", "o", "y"}
_FALSE = {"0", "false", "non", "no", "faux", "n", ""}


def _text(values: pd.Series) -> pd.Series:
    """Cells as stripped text, missing cells as "" (pandas 3 keeps NaN through astype(str))."""
    return values.astype(object).where(values.notna(), "").astype(str).str.strip()


def _practice_attributes(src: gpd.GeoDataFrame, out: gpd.GeoDataFrame, path) -> gpd.GeoDataFrame:
    """Carry the practice attributes present in the parcel layer, validated (current state)."""
    problems = []
    lower = {c.lower(): c for c in src.columns}
    for attr, allowed in PRACTICE_ATTRIBUTES.items():
        if attr not in lower:
            continue
        raw = src[lower[attr]]
        if allowed is None:
            values = pd.to_numeric(raw, errors="coerce")
            bad = values.isna() | (values < 0) | np.isinf(values)
            if bad.any():
                problems.append(f"{attr} : {int(bad.sum())} valeur(s) vide(s), négative(s) ou "
                                f"non numérique(s) ({_text(raw[bad]).head(5).tolist()}) ; "
                                "nombres finis ≥ 0 attendus (mètres de haie par ha)")
        elif allowed == {True, False}:
            txt = _text(raw).str.lower().str.replace(r"^([01])\.0$", r"\1", regex=True)
            bad = sorted(set(txt) - _TRUE - _FALSE)
            if bad:
                problems.append(f"{attr} : {bad[:5]} ne sont pas des valeurs oui/non")
            values = txt.isin(_TRUE)
        else:
            values = _text(raw).str.lower()  # empty: not known, left as ""
            bad = sorted(set(values) - allowed - {""})
            if bad:
                problems.append(f"{attr} : {bad[:5]} hors des valeurs permises {sorted(allowed)}")
        out[attr] = values.to_numpy()
    if problems:
        raise InputFileError(f"fichier de parcelles « {path} » : attribut(s) de pratique "
                             "invalide(s) — " + " ; ".join(problems) + ".")
    return out
