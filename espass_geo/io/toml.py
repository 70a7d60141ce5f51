"""TOML configuration files: reading, lines of keys, value checks shared by both loaders.

:func:`read_toml` reads a file (UTF-8, valid TOML) and turns the parser's errors into French
messages with their line; :class:`TomlLines` gives the line of every key so that each problem
of a configuration names it; :func:`show` writes a value as the user wrote it, with its type.
The bilan (:mod:`espass_geo.io.bilan_config`) and scenario (:mod:`espass_geo.io.scenario_config`)
loaders share these helpers and the meaning of their values: ``"demo"`` paths
(:func:`resolve_path`), land-cover dates (:func:`landcover_date`), the territory
(:func:`check_territory_value`).
"""

from __future__ import annotations

import datetime
import math
import re
import tomllib
from pathlib import Path

from espass_geo.errors import os_reason
from espass_geo.reference import data
from espass_geo.spec import BY_NAME

#: files of the embedded demo land covers ("demo" paths)
DEMO_FILES = {"demo": "demo_flandre_dunkerque_clc2018_20m.tif",
              "demo-2012": "demo_flandre_dunkerque_clc2012_20m.tif",
              "demo-ocsge": "demo_flandre_dunkerque_ocsge2018_synthetic.gpkg",
              "demo-ocsge-2012": "demo_flandre_dunkerque_ocsge2012_synthetic.gpkg"}
#: dates of the embedded demo land covers
DEMO_YEARS = {"demo": 2018, "demo-2012": 2012, "demo-ocsge": 2018, "demo-ocsge-2012": 2012}

# ------------------------------------------------------------------ dates and values
#: land-cover dates accepted (Corine Land Cover starts in 1990; a land cover is never from
#: the future)
FIRST_LANDCOVER_YEAR = 1985
#: plausible GWP100 of N2O (IPCC: SAR 310, AR4 298, AR5 265, AR6 273)
GWP_N2O_RANGE = BY_NAME["gwp_n2o"].range  # from the one specification of the inputs
#: date of the embedded demo land cover ("demo")
DEMO_LANDCOVER_YEAR = 2018

# ------------------------------------------------------------------ TOML lines and types
_KEY_RE = re.compile(r"""^((?:[A-Za-z0-9_\-]+|"[^"]*"|'[^']*')(?:\s*\.\s*(?:[A-Za-z0-9_\-]+|"[^"]*"|'[^']*'))*)\s*=(.*)$""")


def _split_key(key: str) -> list[str]:
    parts = re.findall(r'"[^"]*"|\'[^\']*\'|[^.\s]+', key)
    return [p[1:-1] if p[:1] in "\"'" else p for p in parts]


class TomlLines:
    """Line of every key and table header of a TOML text, by path.

    A path is a tuple of keys and array indexes, e.g. ``("scenario", 0, "action", 2, "year")``
    for ``year`` in the third ``[[scenario.action]]`` of the first ``[[scenario]]``.
    :meth:`line` falls back to the nearest enclosing table or key found (inline tables and
    arrays give the line of their key).
    """

    def __init__(self, text: str):
        self.lines: dict[tuple, int] = {}
        arrays: dict[tuple, int] = {}
        current: tuple = ()
        closing: str | None = None

        def resolve(names: list[str]) -> tuple:
            p: tuple = ()
            for name in names:
                p = p + (name,)
                if p in arrays:
                    p = p + (arrays[p] - 1,)
            return p

        for i, line in enumerate(text.splitlines(), start=1):
            s = line.strip()
            if closing is not None:
                if s.count(closing) % 2 == 1:
                    closing = None
                continue
            if not s or s.startswith("#"):
                continue
            m = re.match(r"^\[\[\s*(.+?)\s*\]\]", s)
            if m:
                names = _split_key(m.group(1))
                ap = resolve(names[:-1]) + (names[-1],)
                arrays[ap] = arrays.get(ap, 0) + 1
                current = ap + (arrays[ap] - 1,)
                self.lines.setdefault(ap, i)
                self.lines.setdefault(current, i)
                continue
            m = re.match(r"^\[\s*(.+?)\s*\]", s)
            if m:
                current = resolve(_split_key(m.group(1)))
                self.lines.setdefault(current, i)
                continue
            m = _KEY_RE.match(s)
            if m:
                self.lines.setdefault(current + tuple(_split_key(m.group(1))), i)
                value = m.group(2).strip()
                for delim in ('"""', "'''"):
                    if value.startswith(delim) and value.count(delim) % 2 == 1:
                        closing = delim

    def line(self, *path) -> int | None:
        p = tuple(path)
        while p:
            if p in self.lines:
                return self.lines[p]
            p = p[:-1]
        return None


def is_int(value) -> bool:
    """A TOML integer (``true`` is not one, although Python's bool is an int)."""
    return isinstance(value, int) and not isinstance(value, bool)


def is_number(value) -> bool:
    """A finite TOML integer or float (not a boolean, not ``nan`` or ``inf``)."""
    return isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)


def show(value) -> str:
    """A TOML value as the user wrote it, with its type in French (for messages)."""
    if isinstance(value, bool):
        return f"le booléen {str(value).lower()}"
    if isinstance(value, str):
        v = value if len(value) <= 60 else value[:57] + "…"
        return f"le texte « {v} »"
    if isinstance(value, float) and not math.isfinite(value):
        return f"la valeur non finie {value}"
    if isinstance(value, int | float):
        return f"le nombre {value:g}" if isinstance(value, float) else f"le nombre {value}"
    if isinstance(value, dict):
        return "une table"
    if isinstance(value, list):
        text = _toml_repr(value)
        return f"la liste {text if len(text) <= 60 else text[:57] + '…'}"
    return f"la valeur {str(value)[:60]}"


def _toml_repr(value) -> str:
    if isinstance(value, bool):
        return str(value).lower()
    if isinstance(value, str):
        return '"' + value[:30] + '"'
    if isinstance(value, list):
        return "[" + ", ".join(_toml_repr(v) for v in value[:8]) + (", …]" if len(value) > 8
                                                                    else "]")
    if isinstance(value, dict):
        return "{…}"
    return str(value)


def landcover_date(value) -> tuple[int, str] | None:
    """Date of a land cover named in a configuration, and how it is known: the embedded demo
    rasters (2018, 2012), or the only year written in the file name (``clc2018_l93.tif``)."""
    if not isinstance(value, str):
        return None
    if value in DEMO_YEARS:
        return DEMO_YEARS[value], "données de démonstration"
    found = {int(y) for y in re.findall(r"(?<!\d)(19[89]\d|20\d\d)(?!\d)", Path(value).name)}
    found = {y for y in found if FIRST_LANDCOVER_YEAR <= y <= this_year()}
    if len(found) == 1:
        return found.pop(), "année lue dans le nom du fichier"
    return None


def demo_year(value) -> int | None:
    """Date of an embedded demo land cover named in a configuration (``"demo"``: 2018)."""
    return DEMO_YEARS.get(value) if isinstance(value, str) else None


def exists(path: Path) -> bool:
    """``path.exists()`` that says False for impossible names (NUL byte, too long)."""
    try:
        return path.exists()
    except (OSError, ValueError):
        return False


def this_year() -> int:
    return datetime.date.today().year


def by_line(problems: list[str], first_file: str) -> list[str]:
    """Problems sorted by file (``first_file`` first) then line (``name:line : …``)."""
    def key(problem: str):
        m = re.match(r"^(.*?)(?::(\d+))? : ", problem)
        name, line = (m.group(1), int(m.group(2) or 0)) if m else ("", 0)
        return (name != first_file, name, line)

    return sorted(problems, key=key)


def resolve_path(value, base: Path, kind: str) -> Path | None:
    if value is None:
        return None
    if kind == "landcover" and value in DEMO_FILES:
        return data.data_path("landcover", DEMO_FILES[value])
    if kind == "parcels" and value == "demo":
        return data.demo_parcels_path()
    if kind == "changes" and value == "demo":
        return data.aldo_clc_change_epci_path()
    if kind == "areas" and value == "demo":
        return data.aldo_clc18_epci_path()
    if kind == "forest_areas" and value == "demo":
        return data.aldo_bdforet_epci_path()
    if kind == "scenario" and value == "demo":
        return data.data_path("landcover", "scenarios/flandre_dunkerque.toml")
    if kind == "geometry" and isinstance(value, str) and value.startswith("demo:"):
        return data.data_dir("landcover") / "scenarios" / value[5:]
    p = Path(value)
    return p if p.is_absolute() else (base / p)


#: tomllib's reasons in French (the others are shown as they are)
_TOML_REASONS = [
    (r"^Cannot overwrite a value$", "valeur déjà donnée : une clé écrite deux fois"),
    (r"^Cannot declare (.+) twice$", r"table \1 déclarée deux fois"),
    (r"^Cannot (?:mutate immutable namespace|redefine namespace) (.+)$",
     r"\1 est déjà défini autrement (table, liste ou valeur)"),
    (r"^Duplicate inline table key (.+)$", r"clé \1 en double dans une table en ligne"),
    (r"^Expected '=' after a key in a key/value pair$", "« = » attendu après la clé"),
    (r"^Expected '\]' at the end of a table declaration$", "« ] » attendu à la fin de la table"),
    (r"^Expected '\]\]' at the end of an array declaration$",
     "« ]] » attendu à la fin de la déclaration"),
    (r"^Expected newline or end of document after a statement$",
     "fin de ligne attendue après la valeur (texte sans guillemets ?)"),
    (r"^Invalid value$", "valeur invalide (texte sans guillemets ?)"),
    (r"^Invalid statement$", "instruction invalide"),
    (r"^Invalid date or datetime$", "date invalide"),
    (r"^Unclosed array$", "liste non fermée (« ] » manquant)"),
    (r"^Unclosed inline table$", "table en ligne non fermée (« } » manquant)"),
    (r"^Unterminated string$", "texte non fermé (guillemet manquant)"),
    (r"^Invalid initial character for a key part$", "caractère invalide au début d'une clé"),
    (r"^Illegal character '\\n'$", "texte non fermé (guillemet manquant en fin de ligne)"),
    (r"^(?:Illegal|Found invalid) character (.+)$", r"caractère interdit \1"),
]


def _reason_fr(reason: str) -> str:
    for pattern, french in _TOML_REASONS:
        if re.match(pattern, reason):
            return re.sub(pattern, french, reason)
    return reason


def read_toml(path: Path, error: type[Exception], what: str) -> tuple[str, dict]:
    """The text and the parsed content of a TOML file; ``error`` (French message, with the line)
    when it cannot be read, is not UTF-8 or is not valid TOML."""
    if not path.exists():
        raise error(f"{what} « {path} » introuvable : vérifiez le chemin (ou créez-en un avec "
                    "espass-geo init).", [f"{path} : introuvable"])
    if path.is_dir():
        raise error(f"{what} « {path} » est un dossier : donnez le chemin du fichier TOML "
                    "lui-même.", [f"{path} : dossier"])
    try:
        raw_bytes = path.read_bytes()
    except OSError as exc:
        raise error(f"{what} « {path} » illisible ({os_reason(exc)}) : donnez un fichier "
                    "texte TOML lisible.", [f"{path} : illisible"]) from exc
    try:
        text = raw_bytes.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = raw_bytes[:exc.start].count(b"\n") + 1
        msg = (f"{path.name}:{line} : octet 0x{raw_bytes[exc.start]:02x} non UTF-8 ; enregistrez "
               "le fichier en UTF-8 (éditeur : « Enregistrer sous », encodage UTF-8)")
        raise error(f"{what} « {path} » n'est pas en UTF-8 :\n  - {msg}", [msg]) from None
    text = text.removeprefix("\ufeff")
    try:
        return text, tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        detail = str(exc)
        m = re.search(r"\(at line (\d+), column (\d+)\)", detail)
        if m is None and "(at end of document)" in detail:
            m = re.search(r"\(at (end of document)\)", detail)
            last = text.rstrip("\n").count("\n") + 1
            msg = (f"{path.name}:{last} : syntaxe TOML invalide en fin de fichier "
                   f"({_reason_fr(detail[:m.start()].strip())}) ; une valeur, un crochet ou un "
                   "guillemet "
                   "n'est pas fermé")
        elif m:
            reason = _reason_fr(detail[:m.start()].strip())
            msg = (f"{path.name}:{m.group(1)} : syntaxe TOML invalide colonne {m.group(2)} "
                   f"({reason}) ; vérifiez les guillemets des textes, les crochets des listes "
                   "et qu'une clé n'est pas écrite deux fois")
        else:
            msg = (f"{path.name} : syntaxe TOML invalide ({detail}) ; vérifiez les guillemets "
                   "des textes, les crochets des listes et les clés en double")
        raise error(f"{what} « {path} » n'est pas un TOML valide :\n  - {msg}", [msg]) from None


def check_territory_value(value, base: Path) -> tuple[str | None, str | None]:
    """The territory of a configuration file, checked for syntax only (no data is read).

    Returns ``(spec, problem)``: a vector file path is made relative to the configuration file
    (``base``); ``problem`` is a French sentence or ``None``.
    """
    from espass_geo.io.vectors import VECTOR_SUFFIXES
    from espass_geo.territory.resolve import check_territory_spec

    if not isinstance(value, str) or not value.strip():
        return None, (f"« territory » doit être un texte non vide, pas {show(value)} ; écrivez "
                      'par exemple territory = "epci:245900428" ou territory = "zones.gpkg"')
    spec = value.strip()
    file_part = spec.rsplit(":", 1)[0] if re.search(r"\.[A-Za-z0-9]+:[^:/\\]+$", spec) else spec
    if Path(file_part).suffix.lower() in VECTOR_SUFFIXES:
        p = Path(file_part)
        full = p if p.is_absolute() else base / p
        if not exists(full) and exists(p):
            full = p
        if not exists(full):
            return None, (f"fichier de territoire introuvable « {full} » : le chemin est "
                          "relatif au fichier de configuration")
        return str(full) + spec[len(file_part):], None
    problem = check_territory_spec(spec)
    return (None, problem) if problem else (spec, None)
