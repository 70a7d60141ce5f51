"""The technical annex of the report (run parameters) and the French clean-up of the notes
other modules hand to the report.

Run parameters are shown as a planner would write them in ``bilan.toml``: a French label and
the key, paths relative to the configuration file (a file shipped with espass_geo is named
« données d'exemple d'espass_geo : landcover/… », never by its installation path), values in
French (« oui »/« non », « 0,5 », years as « 2012, 2018 »), nothing for an unset option, no
hash.
"""

from __future__ import annotations

import math
import os
import re
from collections.abc import Mapping
from pathlib import Path, PurePath
from typing import Any

from espass_geo.present.fmt import MINUS, fmt_number

__all__ = ["PARAM_LABELS_FR", "french_text", "param_rows"]

#: Configuration keys → French label (the key is shown beside it, as typed in bilan.toml).
PARAM_LABELS_FR: dict[str, str] = {
    "path": "Fichier de configuration",
    "title": "Titre",
    "territory": "Territoire",
    "zpc": "Zone pédoclimatique imposée",
    "id_field": "Champ identifiant des zones",
    "name_field": "Champ nom des zones",
    "method": "Méthode de calcul du carbone",
    "gwp_n2o": "PRG du protoxyde d'azote",
    "landcover": "Occupation du sol (date récente)",
    "before": "Occupation du sol (date ancienne)",
    "years": "Années de l'occupation du sol",
    "parcels": "Parcelles agricoles (RPG)",
    "areas": "Table des surfaces",
    "changes": "Table des changements",
    "forest_areas": "Surfaces forestières",
    "forest": "Couche forestière (BD Forêt)",
    "hedges": "Haies",
    "code_field": "Champ du code d'occupation du sol",
    "nomenclature": "Nomenclature d'occupation du sol",
    "series": "Série d'occupation du sol",
    "boundaries": "Limites administratives",
    "region": "Région",
    "consumption": "Consommation d'espaces (ZAN)",
    "zan_guarantee": "Garantie communale ZAN",
    "territorialisation": "Répartition de l'enveloppe ZAN",
    "inventory": "Inventaire des émissions",
    "population": "Population",
    "footprint_adjustments": "Ajustements de l'empreinte",
    "scenario": "Fichier de scénarios",
    "max_nodata_share": "Part maximale sans donnée",
    "factors": "Tables de facteurs",
    "scheduler": "Calcul parallèle (Dask)",
    "horizon": "Horizon",
    "méthode": "Méthode",
}

_DATA_FOLDERS = ("landcover", "factors", "boundaries")


def _package_data_roots() -> list[Path]:
    from espass_geo.reference import data

    roots = []
    for folder in _DATA_FOLDERS:
        try:
            roots.append(data.data_dir(folder).resolve().parent)
        except Exception:  # noqa: BLE001 - a broken installation: no shortening
            continue
    return list(dict.fromkeys(roots))


def _path_text(value: str, config_dir: Path | None) -> str:
    """An absolute path as the report shows it (see the module docstring)."""
    p = Path(value)
    try:
        resolved = p.resolve()
    except OSError:
        resolved = p
    for root in _package_data_roots():
        try:
            rel = resolved.relative_to(root)
        except ValueError:
            continue
        if rel.parts and rel.parts[0] in _DATA_FOLDERS:
            return f"données d'exemple d'espass_geo : {PurePath(*rel.parts).as_posix()}"
    if "site-packages" in p.parts or "dist-packages" in p.parts:
        return p.name
    if config_dir is not None:
        try:
            return Path(os.path.relpath(resolved, config_dir.resolve())).as_posix()
        except ValueError:  # another drive (Windows)
            return p.name
    return p.name


def _looks_like_path(v: str) -> bool:
    return os.path.isabs(v) and ("/" in v or "\\" in v)


def _number(v: float) -> str:
    if math.isfinite(v) and float(v).is_integer():
        return fmt_number(v, 0) if abs(v) >= 10_000 else str(int(v)).replace("-", MINUS)
    text = repr(float(v))
    decimals = len(text.split(".")[1]) if "." in text and "e" not in text else 3
    return fmt_number(v, min(decimals, 6))


def _value_text(key: str, v: Any, config_dir: Path | None) -> str:
    if isinstance(v, bool):
        return "oui" if v else "non"
    if isinstance(v, int):
        return str(v).replace("-", MINUS)  # years and counts: as typed
    if isinstance(v, float):
        return _number(v)
    if isinstance(v, os.PathLike):
        return _path_text(os.fspath(v), config_dir)
    if isinstance(v, str):
        if _looks_like_path(v):
            return _path_text(v, config_dir)
        if v == "demo":
            return "demo (données de démonstration)"
        return french_text(v)
    if isinstance(v, Mapping):
        if key == "factors" or {"name", "sha256"} <= set(v):
            name = str(v.get("name", "")) or "tables embarquées"
            changes = [french_text(str(c)) for c in v.get("changes") or []]
            return name + (f" ; modifiées : {' ; '.join(changes)}" if changes else "")
        return " ; ".join(f"{k} : {_value_text(str(k), x, config_dir)}" for k, x in v.items()
                          if not _empty(x))
    if isinstance(v, list | tuple):
        if v and all(isinstance(x, list | tuple) and len(x) == 2 for x in v):  # (year, path)
            return " ; ".join(f"{_value_text(key, a, config_dir)} : "
                              f"{_value_text(key, b, config_dir)}" for a, b in v)
        return ", ".join(_value_text(key, x, config_dir) for x in v)
    return french_text(str(v))


def _empty(v: Any) -> bool:
    return v is None or (isinstance(v, str | list | tuple | dict) and len(v) == 0) or (
        isinstance(v, float) and math.isnan(v))


def param_rows(params: Mapping[str, Any] | None) -> list[dict[str, str]]:
    """``[{"label", "key", "value"}]`` of the run parameters, unset ones left out.

    ``params["path"]`` is the configuration file: shown by its name; other paths relative to
    its folder.

    >>> rows = param_rows({"path": "/x/bilan.toml", "landcover": "/x/data/clc.tif",
    ...                    "gwp_n2o": 273.0, "zpc": None, "years": [2012, 2018]})
    >>> [(r["key"], r["value"]) for r in rows]
    [('path', 'bilan.toml'), ('landcover', 'data/clc.tif'), ('gwp_n2o', '273'), ('years', '2012, 2018')]
    """
    params = dict(params or {})
    cfg = params.get("path")
    config_dir = Path(os.fspath(cfg)).parent if isinstance(cfg, str | os.PathLike) and \
        str(cfg) else None
    rows = []
    for key, v in params.items():
        if key == "raw" or _empty(v):
            continue
        if key == "path":
            text = Path(os.fspath(v)).name if config_dir is not None else str(v)
            if any(r in Path(os.fspath(v)).resolve().parents for r in _package_data_roots()):
                text += " (exemple fourni avec espass_geo)"
        else:
            text = _value_text(str(key), v, config_dir)
        if text:
            rows.append({"label": PARAM_LABELS_FR.get(str(key), ""), "key": str(key),
                         "value": text})
    return rows


_DECIMAL_POINT = re.compile(r"(?<![\w.])(\d+)\.(\d+)(?![\w.])")
_INSTALL_PATH = re.compile(r"\S*(?:site-packages|dist-packages)[/\\]espass_geo[/\\]_data[/\\]")
_BOOL = re.compile(r"\b(True|False)\b")


def french_text(text: str) -> str:
    """A note written by another module, made French for the report: decimal points between
    digits become commas (« 60.7 ha/an » → « 60,7 ha/an »; « 0.1.0 » or « clc12.csv » stay),
    ``True``/``False`` become « oui »/« non », an installation path is cut to the data file's
    name in the package (« landcover/… »).

    >>> french_text("prolongés chaque année (60.7 ha/an) ; version 0.1.0 ; True")
    'prolongés chaque année (60,7 ha/an) ; version 0.1.0 ; oui'
    """
    text = _INSTALL_PATH.sub("", str(text))
    text = _DECIMAL_POINT.sub(r"\1,\2", text)
    return _BOOL.sub(lambda m: "oui" if m.group(1) == "True" else "non", text)
