"""One reader for every table a user gives (CSV): separator, encoding, numbers, keys, checks.

Planners receive tables from many hands: comma-separated exports, French Excel files (``;``
separator, decimal comma, UTF-8 with BOM or Windows-1252), observatory extracts. A table is
read here, never with a bare ``pandas.read_csv``, so that nothing in it can become a silently
wrong number:

* the separator (``,`` ``;`` tab) and the encoding (UTF-8, UTF-8 with BOM, UTF-16 with BOM,
  Windows-1252) are detected; a binary or undecodable file is refused;
* every cell is kept as text (codes keep their leading zeros: INSEE ``01001``) and numeric
  columns are parsed by :func:`parse_number` with **one decimal mark per file**: ``.`` in a
  comma-separated file; in a ``;`` or tab file the mark is detected from the file itself
  (decimal commas → French; ``1 234,5`` with space groups of three digits is read as 1234.5);
* refused, each with file, column, line and value named: thousands separators that make a
  number ambiguous (``"1,234"`` in a file whose decimal mark is the point, ``1.234,5``,
  ``12 34``), a mix of decimal marks, empty or ``NaN`` cells where a number is required,
  ``inf`` / ``1e400`` (not finite), text where a number is expected, values below the
  column's minimum (negative areas, population ≤ 0);
* duplicate keys are refused naming the lines (a duplicated row must never be summed).

Line numbers are those of the file (the header is line 1).
"""

from __future__ import annotations

import csv
import io
import math
import re
import warnings
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from espass_geo.errors import EspassGeoError, EspassGeoWarning, InputFileError, os_reason
from espass_geo.present.fmt import fmt_area_ha, fmt_quantity

#: Problems listed in one error message (the count of the others is given).
MAX_LISTED = 8
#: Largest file read (a user table of the package is a few MB at most).
MAX_BYTES = 200 * 1024 * 1024
#: Cells meaning "no value"; refused where a number is required.
MISSING_WORDS = {"nan", "na", "n/a", "#n/a", "null", "none", "nd", "n.d.", "-", "#valeur!",
                 "#value!", "#div/0!", "#ref!", "#nom?", "#name?"}
_SPACES = "\u00a0\u202f\u2009 "  # space, no-break space, narrow no-break space, thin space
_PLAIN = re.compile(r"[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?")
_DOT_GROUPS = re.compile(r"[+-]?\d{1,3}(\.\d{3})+")          # 1.234 / 1.234.567
_COMMA_GROUPS = re.compile(r"[+-]?\d{1,3}(,\d{3})+(\.\d+)?")  # 1,234 / 1,234.5
_SPACE_GROUPS = re.compile(r"[+-]?\d{1,3}( \d{3})+([.,]\d+)?")  # 1 234 / 1 234,5
_COMMA_DECIMAL = re.compile(r"[+-]?(\d+,\d*|,\d+)([eE][+-]?\d+)?")
_DOT_DECIMAL = re.compile(r"[+-]?(\d+\.\d*|\.\d+)([eE][+-]?\d+)?")


class TableWarning(EspassGeoWarning):
    """A table is usable but something in it deserves the user's attention."""


@dataclass(frozen=True)
class Number:
    """How a numeric column is read.

    ``minimum``: smallest allowed value (``strict``: the minimum itself is refused);
    ``empty``: ``"error"`` (an empty cell is refused) or ``"zero"`` (an empty cell is 0, as in
    ALDO's wide tables; a written ``NaN`` / ``NA`` is refused all the same).
    """

    minimum: float | None = None
    strict: bool = False
    empty: str = "error"
    maximum: float | None = None


@dataclass
class Table:
    """A user table read as text, with the file line of each row and what was detected."""

    df: pd.DataFrame
    path: Path
    what: str
    sep: str
    decimal: str
    encoding: str
    lines: pd.Series = field(default_factory=lambda: pd.Series(dtype=int))

    @property
    def label(self) -> str:
        return f"{self.what} « {self.path} »"

    def line(self, idx) -> int:
        return int(self.lines.loc[idx])


def _err(error: type[EspassGeoError], label: str, problems: list[str], remedy: str = ""
         ) -> EspassGeoError:
    shown = problems[:MAX_LISTED]
    more = len(problems) - len(shown)
    body = "\n".join(f"  - {p}" for p in shown)
    if more:
        body += f"\n  - … et {more} autre(s) problème(s) du même genre"
    head = f"{label} : {len(problems)} problème(s)" if len(problems) > 1 else f"{label} :"
    text = f"{head}\n{body}" if len(problems) > 1 else f"{head} {problems[0]}"
    if remedy:
        text += f"\n{remedy}"
    return error(text)


# ----------------------------------------------------------------------------- decoding
def _decode(raw: bytes, label: str, error) -> tuple[str, str]:
    if raw.startswith(b"\xef\xbb\xbf"):
        try:
            return raw[3:].decode("utf-8"), "utf-8-sig"
        except UnicodeDecodeError as exc:
            raise error(f"{label} : le fichier annonce l'UTF-8 (BOM) mais l'octet {exc.start} "
                        "n'en est pas ; réenregistrez-le en « CSV UTF-8 ».") from None
    if raw.startswith((b"\xff\xfe", b"\xfe\xff")):
        try:
            return raw.decode("utf-16"), "utf-16"
        except UnicodeDecodeError:
            raise error(f"{label} : fichier UTF-16 illisible ; réenregistrez-le en "
                        "« CSV UTF-8 ».") from None
    if b"\x00" in raw:
        raise error(f"{label} : fichier binaire (octets nuls), pas un tableau CSV ; exportez "
                    "le tableau en CSV (UTF-8, séparateur virgule ou point-virgule).")
    try:
        return raw.decode("utf-8"), "utf-8"
    except UnicodeDecodeError:
        pass
    try:  # French Excel "CSV (séparateur : point-virgule)" is Windows-1252
        return raw.decode("cp1252"), "cp1252"
    except UnicodeDecodeError as exc:
        raise error(f"{label} : encodage inconnu (octet 0x{raw[exc.start]:02x} à la position "
                    f"{exc.start}, ni UTF-8 ni Windows-1252) ; réenregistrez le fichier en "
                    "« CSV UTF-8 ».") from None


def _detect_sep(header: str) -> str:
    """The separator of a header line: tab, then ``;``, then ``,`` (outside quotes)."""
    outside = re.sub(r'"[^"]*"', "", header)
    for sep in ("\t", ";", ","):
        if sep in outside:
            return sep
    return ","


# ----------------------------------------------------------------------------- numbers
def classify_number(text: str) -> str:
    """Kind of a numeric cell: ``plain`` (no separator), ``dot`` / ``comma`` (decimal mark),
    ``dot_groups`` (1.234), ``comma_groups`` (1,234), ``space_groups`` (1 234), ``dot_comma``
    (1.234,5 — both marks), ``empty``, ``missing`` (NaN, NA…), ``infinite`` or ``text``."""
    s = text.strip()
    if s == "":
        return "empty"
    if s.lower() in MISSING_WORDS:
        return "missing"
    if s.lower().lstrip("+-") in {"inf", "infinity", "infini", "∞"}:
        return "infinite"
    for ch in _SPACES:
        s = s.replace(ch, " ")
    if " " in s:
        return "space_groups" if _SPACE_GROUPS.fullmatch(s) else "text"
    if "." in s and "," in s:
        return "dot_comma" if re.fullmatch(r"[+-]?[\d.]+,\d*", s) or \
            re.fullmatch(r"[+-]?[\d,]+\.\d*", s) else "text"
    if _DOT_GROUPS.fullmatch(s):
        return "dot_groups"
    if _COMMA_GROUPS.fullmatch(s):
        return "comma_groups"
    if _PLAIN.fullmatch(s):
        return "dot" if "." in s else "plain"
    if _COMMA_DECIMAL.fullmatch(s):
        return "comma"
    return "text"


def parse_number(text: str, decimal: str) -> float:
    """The float of a cell written with decimal mark ``decimal`` (``.`` or ``,``).

    Raises :class:`ValueError` with a French reason (and remedy) when the cell is not an
    unambiguous finite number in that convention.
    """
    kind = classify_number(text)
    s = text.strip()
    for ch in _SPACES:
        s = s.replace(ch, " ")
    if kind == "empty":
        raise ValueError("cellule vide (une valeur numérique est attendue ; écrivez 0 si "
                         "c'est zéro)")
    if kind == "missing":
        raise ValueError("valeur manquante (NaN/NA) ; donnez le nombre, ou 0 si c'est zéro")
    if kind == "infinite":
        raise ValueError("nombre non fini (infini) ; donnez une valeur réelle")
    if kind == "text":
        raise ValueError("ce n'est pas un nombre ; écrivez un nombre (ex. 12.5)")
    if kind == "dot_comma":
        raise ValueError("séparateur de milliers et virgule décimale mêlés ; écrivez le "
                         "nombre sans séparateur de milliers (ex. 1234,5 ou 1234.5)")
    if kind == "comma_groups" and decimal == ".":
        raise ValueError("nombre ambigu : virgule de milliers ou virgule décimale ? Écrivez "
                         f"{s.replace(',', '')} (sans séparateur de milliers) ou "
                         f"{s.replace(',', '.')} (point décimal)")
    if kind == "dot_groups" and decimal == ",":
        raise ValueError("nombre ambigu dans un fichier à virgule décimale : point de "
                         f"milliers ? Écrivez {s.replace('.', '')} (sans séparateur de milliers) "
                         f"ou {s.replace('.', ',')} (virgule décimale)")
    if kind == "space_groups":
        if decimal == "." or "." in s:
            raise ValueError("espace de milliers dans un fichier à point décimal ; écrivez le "
                             "nombre sans séparateur de milliers (ex. 1234.5)")
        s = s.replace(" ", "")
    if kind in ("comma", "comma_groups", "space_groups") and decimal == ",":
        s = s.replace(",", ".")
    elif kind == "comma" and decimal == ".":
        raise ValueError("virgule décimale dans un fichier à point décimal ; utilisez le "
                         "point (ex. 12.5) ou enregistrez le fichier avec le séparateur « ; »")
    elif kind == "dot" and decimal == ",":
        raise ValueError("point décimal dans un fichier à virgule décimale ; utilisez une "
                         "seule convention dans le fichier")
    try:
        value = float(s)
    except ValueError:  # pragma: no cover - the patterns above only let numbers through
        raise ValueError("ce n'est pas un nombre ; écrivez un nombre (ex. 12.5)") from None
    if not math.isfinite(value):
        raise ValueError("nombre non fini (infini ou hors de portée, ex. 1e400) ; donnez une "
                         "valeur réelle")
    return value


def _file_decimal(df: pd.DataFrame, columns: list[str], sep: str) -> str:
    """One decimal mark per file: ``.`` for comma-separated files; otherwise from the cells."""
    if sep == ",":
        return "."
    kinds = set()
    for c in columns:
        for v in df[c]:
            kind = classify_number(v)
            if kind == "dot_comma":  # 1.234,5 (French) or 1,234.5 (English): the last mark
                kind = "comma" if v.rfind(",") > v.rfind(".") else "dot"
            kinds.add(kind)
    if kinds & {"comma", "space_groups"}:
        return ","
    return "."


# ----------------------------------------------------------------------------- reading
def read_table(
    path: str | Path,
    what: str,
    *,
    required: list[str] | tuple[str, ...] = (),
    error: type[EspassGeoError] = InputFileError,
) -> Table:
    """Read a user CSV as text: decode, detect the separator, keep the file line of each row.

    ``what`` names the table in messages (French, e.g. « table de surfaces »). Every row has
    the header's number of cells (fewer: padded with empty cells; more: refused). Entirely
    empty rows (blank lines, ``;;;`` rows Excel leaves) are skipped. Column names are stripped;
    empty names of empty columns are dropped; duplicate names are refused.
    """
    path = Path(path)
    label = f"{what} « {path} »"
    try:
        size = path.stat().st_size
        if path.is_dir():
            raise error(f"{label} est un dossier, pas un fichier CSV ; donnez le chemin du "
                        "fichier.")
        if size > MAX_BYTES:
            raise error(f"{label} : {size / 1e6:.0f} Mo, trop gros pour une table "
                        f"(limite {MAX_BYTES / 1e6:.0f} Mo) ; vérifiez qu'il s'agit du bon "
                        "fichier.")
        raw = path.read_bytes()
    except FileNotFoundError:
        raise error(f"{label} introuvable ; vérifiez le chemin.") from None
    except OSError as exc:
        raise error(f"{label} illisible ({os_reason(exc)}) ; vérifiez le chemin et les "
                    "droits.") from None
    text, encoding = _decode(raw, label, error)
    text = text.lstrip("\ufeff")
    if not text.strip():
        raise error(f"{label} est vide ; il faut une ligne d'en-tête puis au moins une ligne "
                    "de données.")
    first = text.splitlines()[0] if text.splitlines() else ""
    sep = _detect_sep(first)
    csv.field_size_limit(1 << 20)
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=sep, quotechar='"',
                        strict=False)
    rows: list[list[str]] = []
    lines: list[int] = []
    header: list[str] | None = None
    try:
        for rec in reader:
            if header is None:
                if not any(c.strip() for c in rec):
                    continue
                header = [c.strip().lstrip("\ufeff") for c in rec]
                continue
            rec = [c.strip() for c in rec]
            if not any(rec):
                continue
            rows.append(rec)
            lines.append(reader.line_num)
    except csv.Error as exc:
        raise error(f"{label} : ligne {reader.line_num} illisible ({exc}) ; vérifiez les "
                    "guillemets et le séparateur.") from None
    if header is None:
        raise error(f"{label} est vide ; il faut une ligne d'en-tête.")
    n = len(header)
    problems = []
    for rec, ln in zip(rows, lines, strict=True):
        if len(rec) > n and any(c.strip() for c in rec[n:]):
            problems.append(f"ligne {ln} : {len(rec)} valeurs pour {n} colonnes d'en-tête")
    if problems:
        raise _err(error, label, problems,
                   f"Séparateur détecté : « {_sep_name(sep)} ». Une virgule décimale dans un "
                   "fichier séparé par des virgules décale les colonnes : mettez les nombres "
                   "entre guillemets, utilisez le point décimal ou le séparateur « ; ».")
    rows = [(rec + [""] * n)[:n] for rec in rows]
    df = pd.DataFrame(rows, columns=range(n), dtype=object)
    keep = []
    for i, name in enumerate(header):
        if name == "":
            if df[i].astype(str).str.strip().ne("").any():
                raise error(f"{label} : la colonne {i + 1} a des valeurs mais pas de nom ; "
                            "donnez-lui un nom dans la ligne d'en-tête.")
            continue
        keep.append(i)
    df = df[keep]
    df.columns = [header[i] for i in keep]
    dups = sorted({c for c in df.columns if list(df.columns).count(c) > 1})
    if dups:
        raise error(f"{label} : colonne(s) en double dans l'en-tête : {', '.join(dups)} ; "
                    "gardez une "
                    "seule colonne de chaque nom.")
    df.index = range(len(df))
    t = Table(df=df, path=path, what=what, sep=sep, decimal=".", encoding=encoding,
              lines=pd.Series(lines, index=df.index, dtype=int))
    missing = [c for c in required if c not in df.columns]
    if missing:
        raise error(f"{label} : colonne(s) manquante(s) {missing} ; colonnes trouvées "
                    f"{list(df.columns)} (séparateur détecté : « {_sep_name(sep)} »).")
    if df.empty:
        raise error(f"{label} n'a aucune ligne de données ; donnez au moins une ligne sous "
                    "l'en-tête.")
    return t


def _sep_name(sep: str) -> str:
    return {"\t": "tabulation", ";": "point-virgule", ",": "virgule"}[sep]


def numbers(t: Table, columns: dict[str, Number], *, error: type[EspassGeoError] = InputFileError
            ) -> pd.DataFrame:
    """Parse the numeric ``columns`` of ``t`` (a copy of ``t.df`` with floats there).

    Every bad cell is listed (line, column, value, reason) in one error.
    """
    t.decimal = _file_decimal(t.df, list(columns), t.sep)
    out = t.df.copy()
    problems = []
    # plain integers and point decimals (the bulk of a large file) are read at once, the
    # rest cell by cell with parse_number; both give the same floats
    fast_pattern = r"[+-]?\d{1,15}(\.\d{1,15})?" if t.decimal == "." else r"[+-]?\d{1,15}"
    for col, rule in columns.items():
        cells = t.df[col].astype(object)
        fast = cells.str.fullmatch(fast_pattern).fillna(False).astype(bool).to_numpy()
        parsed = dict(zip(cells.index[fast], cells[fast].astype(float), strict=True))
        values = []
        for idx, cell in cells.items():
            if idx in parsed:
                v = parsed[idx]
                if (rule.minimum is None or v > rule.minimum) and \
                        (rule.maximum is None or v <= rule.maximum):
                    values.append(v)
                    continue
            elif cell == "" and rule.empty == "zero":
                values.append(0.0)
                continue
            else:
                try:
                    v = parse_number(cell, t.decimal)
                except ValueError as exc:
                    problems.append(f"ligne {t.line(idx)}, colonne {col} : « {cell} » — {exc}")
                    values.append(math.nan)
                    continue
            if rule.minimum is not None and (v < rule.minimum or (rule.strict
                                                                  and v == rule.minimum)):
                sign = ">" if rule.strict else "≥"
                neg = "valeur négative : " if v < 0 else ""
                problems.append(f"ligne {t.line(idx)}, colonne {col} : « {cell} » — {neg}la "
                                f"valeur doit être {sign} {rule.minimum:g}")
            elif rule.maximum is not None and v > rule.maximum:
                problems.append(f"ligne {t.line(idx)}, colonne {col} : « {cell} » — la valeur "
                                f"dépasse le maximum plausible {rule.maximum:g}")
            values.append(v)
        out[col] = pd.Series(values, index=t.df.index, dtype=float)
    if problems:
        conv = "virgule" if t.decimal == "," else "point"
        raise _err(error, t.label, problems,
                   f"(séparateur « {_sep_name(t.sep)} », décimale : {conv}, encodage "
                   f"{t.encoding}.)")
    return out


def check_no_empty(t: Table, columns: list[str], *, error: type[EspassGeoError] = InputFileError
                   ) -> None:
    """Refuse empty cells (or NaN/NA words) in key columns such as codes."""
    problems = []
    for col in columns:
        for idx, cell in t.df[col].items():
            if cell == "" or cell.lower() in MISSING_WORDS:
                problems.append(f"ligne {t.line(idx)}, colonne {col} : valeur vide ou "
                                f"manquante (« {cell} »)")
    if problems:
        raise _err(error, t.label, problems, "Chaque ligne doit donner ses codes ; supprimez "
                   "les lignes incomplètes ou complétez-les.")


def check_codes(t: Table, columns: list[str], *, error: type[EspassGeoError] = InputFileError
                ) -> None:
    """Codes are text: refuse codes turned into decimals by a spreadsheet (``59183.0``,
    ``5.9183E+04``)."""
    problems = []
    for col in columns:
        for idx, cell in t.df[col].items():
            if re.fullmatch(r"\d+[.,]0+|\d+([.,]\d+)?[eE][+-]?\d+", cell):
                problems.append(f"ligne {t.line(idx)}, colonne {col} : code « {cell} » écrit "
                                "comme un nombre décimal")
    if problems:
        raise _err(error, t.label, problems, "Un tableur a converti les codes en nombres : "
                   "formatez la colonne en texte (codes INSEE sur 5 caractères, SIREN sur 9, "
                   "zéros initiaux compris) puis réexportez.")


def check_duplicates(t: Table, key: list[str], *, error: type[EspassGeoError] = InputFileError,
                     frame: pd.DataFrame | None = None, allow_differing: bool = False
                     ) -> list[tuple[int, ...]]:
    """Refuse rows sharing a key (naming their lines); never sum a duplicated row.

    With ``allow_differing``, rows sharing the key but differing elsewhere are accepted (and
    returned as groups of lines, for a note); rows identical in every column are refused.
    """
    df = frame if frame is not None else t.df
    k = df[key].astype(str)
    dup = k.duplicated(keep=False)
    if not dup.any():
        return []
    problems, accepted = [], []
    for _, grp in df[dup].groupby([k.loc[dup, c] for c in key], sort=False):
        lines = [t.line(i) for i in grp.index]
        values = ", ".join(f"{c}={grp.iloc[0][c]}" for c in key)
        identical = grp.astype(str).duplicated(keep=False).any()
        if allow_differing and not identical:
            accepted.append(tuple(lines))
            continue
        what = "lignes identiques" if identical else "même clé"
        problems.append(f"lignes {', '.join(map(str, lines))} : {what} ({values})")
    if problems:
        raise _err(error, t.label, problems, "Une ligne en double serait comptée deux fois : "
                   "supprimez les doublons (gardez une seule ligne par "
                   f"{' × '.join(key)}).")
    return accepted


def missing_zones_message(t: Table, missing: list[str], present: set[str]) -> str:
    """French text listing zones of the territory absent from a table, with a hint when the
    table has the same codes without their leading zero (a spreadsheet dropped it)."""
    stripped = [m for m in missing if m.lstrip("0") in present and m.lstrip("0") != m]
    text = (f"{t.label} : {len(missing)} zone(s) du territoire absente(s) de la table : "
            f"{', '.join(missing[:10])}{' …' if len(missing) > 10 else ''}")
    if stripped:
        text += (f" (la table contient {stripped[0].lstrip('0')} : un tableur a retiré le zéro "
                 f"initial de {stripped[0]} ; formatez la colonne en texte)")
    return text


def warn(message: str) -> None:
    warnings.warn(message, TableWarning, stacklevel=3)


# ----------------------------------------------------------------------------- hedges
#: Hedge density per hectare of zone (all land, towns and woods included). ALDO's hedge
#: practice plants 60 m/ha on crops and 100 m/ha on grassland — the density of a dense
#: bocage on the farmland itself — so a whole zone above 100 m/ha is exceptional (warning)
#: and above twice that, 200 m/ha, the table is wrong (metres typed as km, wrong zone).
HEDGE_WARN_KM_PER_HA = 0.1
HEDGE_MAX_KM_PER_HA = 0.2


def read_hedges(path: str | Path, zones) -> pd.DataFrame:
    """Hedge lengths ``zone_id, length_km`` of the territory's ``zones`` (GeoDataFrame in
    EPSG:2154), validated: numbers finite ≥ 0, one row per zone, zones of the territory only
    (a row for another zone would add a stock to no zone), density per hectare of zone
    checked (:data:`HEDGE_MAX_KM_PER_HA`); zones without a row are warned about (no hedge
    stock counted there)."""
    from espass_geo.errors import AreaTableError

    t = read_table(path, "table de haies", required=["zone_id", "length_km"],
                   error=AreaTableError)
    check_no_empty(t, ["zone_id"], error=AreaTableError)
    check_codes(t, ["zone_id"], error=AreaTableError)
    df = numbers(t, {"length_km": Number(minimum=0)}, error=AreaTableError)
    check_duplicates(t, ["zone_id"], error=AreaTableError)
    area = pd.Series(zones.geometry.area.to_numpy() * 1e-4, index=zones["zone_id"].astype(str))
    unknown = [(t.line(i), z) for i, z in df["zone_id"].items() if z not in area.index]
    if unknown:
        raise AreaTableError(
            f"{t.label} : zone(s) absente(s) du territoire : "
            + ", ".join(f"{z} (ligne {ln})" for ln, z in unknown[:8])
            + f" ; utilisez les codes des zones du territoire (ex. {area.index[0]}).")
    dens = df["length_km"] / df["zone_id"].map(area)
    over = dens > HEDGE_MAX_KM_PER_HA
    if over.any():
        rows = [f"ligne {t.line(i)} : zone {df.at[i, 'zone_id']}, "
                f"{fmt_quantity(df.at[i, 'length_km'], 'km')} pour "
                f"{fmt_area_ha(area[df.at[i, 'zone_id']], 0)}, soit "
                f"{fmt_quantity(dens[i] * 1000, 'm/ha', 0)}"
                for i in df.index[over][:8]]
        raise _err(AreaTableError, t.label, rows,
                   f"Au-delà de {HEDGE_MAX_KM_PER_HA * 1000:.0f} m de haie par hectare de zone "
                   "(deux fois le bocage dense de la pratique ALDO, 100 m/ha de prairie), la "
                   "longueur n'est pas plausible : vérifiez l'unité (km, pas m) et le code de "
                   "zone.")
    high = dens > HEDGE_WARN_KM_PER_HA
    for i in df.index[high]:
        warn(f"Table de haies {Path(path).name}, ligne {t.line(i)} : {dens[i] * 1000:.0f} m de "
             f"haie par hectare dans la zone {df.at[i, 'zone_id']}, plus que le bocage dense de "
             "la pratique ALDO (100 m/ha de prairie) : vérifiez la longueur.")
    missing = [z for z in area.index if z not in set(df["zone_id"])]
    if missing:
        warn(missing_zones_message(t, missing, set(df["zone_id"]))
             + " ; aucun stock de haies n'y est compté (ajoutez une ligne à 0 si elles n'ont pas "
             "de haie).")
    return df[["zone_id", "length_km"]].reset_index(drop=True)
