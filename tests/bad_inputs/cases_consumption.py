"""Bad Cerema consumption files (« consommation d'espaces NAF », issue #12).

Each bad file is written once as a :class:`ReaderCase` and runs twice: against the Python
reader (``espass_geo.io.consumption.read_consumption``) in ``tests/test_consumption.py``, and
through the command line as a :class:`Case` of ``CASES`` (``espass-geo zan -t COMMUNES
--consumption FILE --out out``, run by ``test_bad_inputs.py``) with the same ``match`` patterns:
exit 2, « Erreur », no traceback, nothing written. The territory of the command is the case's
``communes`` or, without them, every commune the file must be read for (:data:`CLI_TERRITORY`).

:func:`cerema_file` writes a file in the exact Cerema layout (2009–2023 edition, ``;``,
Windows-1252 like a French Excel export by default): every yearly column 2009–2022, the
multi-year aggregates and the descriptive columns.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .common import Case

DEST = ["act", "hab", "mix", "rou", "fer", "inc"]
YEARS = range(2009, 2023)
HEAD = ["idcom", "idcomtxt", "idreg", "idregtxt", "iddep", "iddeptxt", "epci23", "epci23txt",
        "scot", "aav2020", "aav2020txt", "aav2020_typo"]
TAIL = ["naf09art23", "art09act23", "art09hab23", "art09mix23", "art09inc23", "art09rou23",
        "art09fer23", "artcom0923", "pop14", "pop20", "pop1420", "surfcom2023"]


def yearly_columns(year: int) -> list[str]:
    a, b = year % 100, (year + 1) % 100
    return [f"naf{a:02d}art{b:02d}"] + [f"art{a:02d}{d}{b:02d}" for d in DEST]


def cerema_file(path: Path, communes: list[dict[str, Any]], *, encoding: str = "cp1252",
                sep: str = ";", drop: tuple[str, ...] = (), rename: dict[str, str] | None = None
                ) -> Path:
    """Write ``communes`` in Cerema's layout.

    Each commune: ``idcom``, ``name`` and ``years``: {year: {dest: m²}} (missing year or
    destination: 0; the ``naf`` total is the sum unless ``"naf"`` is given); ``cells``:
    {column: raw text} written as is (to plant a bad value).
    """
    cols = HEAD + [c for y in YEARS for c in yearly_columns(y)] + TAIL
    cols = [(rename or {}).get(c, c) for c in cols if c not in drop]
    lines = [sep.join(cols)]
    for com in communes:
        row = {"idcom": com["idcom"], "idcomtxt": com.get("name", ""), "idreg": "32",
               "idregtxt": "Hauts-de-France", "iddep": com["idcom"][:2], "iddeptxt": "Nord",
               "epci23": "245900428", "epci23txt": "CU de Dunkerque", "scot": "",
               "aav2020": "", "aav2020txt": "N/A - hors champ", "aav2020_typo": "",
               "artcom0923": "0.43", "pop14": "100", "pop20": "110", "pop1420": "10",
               "surfcom2023": "15619934"}
        total_all = 0
        for y in YEARS:
            v = com.get("years", {}).get(y, {})
            naf = v["naf"] if "naf" in v else sum(v.get(d, 0) for d in DEST)
            total_all += naf if isinstance(naf, int) else 0
            names = yearly_columns(y)
            row[names[0]] = str(naf)
            for d, name in zip(DEST, names[1:]):
                row[name] = str(v.get(d, 0))
        row["naf09art23"] = str(total_all)
        for c in TAIL[1:7]:
            row[c] = "0"
        row.update(com.get("cells", {}))
        values = []
        for c in cols:
            orig = next((k for k, v in (rename or {}).items() if v == c), c)
            values.append(str(row.get(orig, row.get(c, ""))))
        lines.append(sep.join(values))
    path.write_bytes(("\r\n".join(lines) + "\r\n").encode(encoding))
    return path


@dataclass
class ReaderCase:
    """A bad consumption file: ``build(tmp)`` writes it and returns its path; reading it with
    ``read_consumption(path, communes=communes)`` must raise ``InputFileError`` whose message
    matches every ``match`` pattern (file named, value named, remedy)."""

    id: str
    build: Callable[[Path], Path]
    match: tuple[str, ...]
    communes: tuple[str, ...] | None = None
    extra: dict = field(default_factory=dict)


def _one(idcom: str = "59183", **kw: Any) -> dict[str, Any]:
    return {"idcom": idcom, "name": "Dunkerque", "years": {2011: {"hab": 1000}}, **kw}


READER_CASES: list[ReaderCase] = [
    ReaderCase("conso-year-not-consecutive",
               lambda tmp: cerema_file(tmp / "c.csv", [_one()],
                                       rename={"naf12art13": "naf12art12"}),
               (r"naf12art12", r"naf12art13", r"c\.csv")),
    ReaderCase("conso-dest-year-backwards",
               lambda tmp: cerema_file(tmp / "c.csv", [_one()],
                                       rename={"art12hab13": "art13hab12"}),
               (r"art13hab12", r"seconde année")),
    ReaderCase("conso-dest-without-total",
               lambda tmp: cerema_file(tmp / "c.csv", [_one()], drop=("naf21art22",)),
               (r"art21\w+22", r"naf21art22")),
    ReaderCase("conso-no-reference-years",
               lambda tmp: cerema_file(tmp / "c.csv", [_one()], drop=tuple(
                   c for y in range(2011, 2021) for c in yearly_columns(y))),
               (r"aucune des dix années de référence", r"2011", r"naf11art12")),
    ReaderCase("conso-some-reference-years-missing",
               lambda tmp: cerema_file(tmp / "c.csv", [_one()],
                                       drop=tuple(yearly_columns(2015))),
               (r"manquantes : 2015", r"naf15art16")),
    ReaderCase("conso-no-idcom",
               lambda tmp: cerema_file(tmp / "c.csv", [_one()], rename={"idcom": "code"}),
               (r"idcom", r"colonnes trouvées", r"code")),
    ReaderCase("conso-code-as-decimal",
               lambda tmp: cerema_file(tmp / "c.csv", [_one("59183.0")]),
               (r"59183\.0", r"texte")),
    ReaderCase("conso-code-six-digits",
               lambda tmp: cerema_file(tmp / "c.csv", [_one("591830")]),
               (r"ligne 2", r"591830", r"5 caractères")),
    ReaderCase("conso-duplicate-commune",
               lambda tmp: cerema_file(tmp / "c.csv", [_one(), _one("59359"), _one()]),
               (r"lignes 2, 4", r"59183", r"doublons")),
    ReaderCase("conso-duplicate-after-padding",
               lambda tmp: cerema_file(tmp / "c.csv", [_one("01001"), _one("1001")]),
               (r"lignes 2, 3", r"01001")),
    ReaderCase("conso-negative-total",
               lambda tmp: cerema_file(tmp / "c.csv", [_one(cells={"naf15art16": "-20"})]),
               (r"ligne 2, colonne naf15art16", r"« -20 »", r"négative")),
    ReaderCase("conso-negative-destination",
               lambda tmp: cerema_file(tmp / "c.csv", [_one(cells={"art15hab16": "-6"})]),
               (r"colonne art15hab16", r"« -6 »", r"≥ -5")),
    ReaderCase("conso-nan",
               lambda tmp: cerema_file(tmp / "c.csv", [_one(cells={"naf16art17": "NaN"})]),
               (r"ligne 2, colonne naf16art17", r"« NaN »", r"manquante")),
    ReaderCase("conso-empty-cell",
               lambda tmp: cerema_file(tmp / "c.csv", [_one(cells={"art16act17": ""})]),
               (r"colonne art16act17", r"vide")),
    ReaderCase("conso-text",
               lambda tmp: cerema_file(tmp / "c.csv", [_one(cells={"naf17art18": "n.c."})]),
               (r"colonne naf17art18", r"« n\.c\. »", r"pas un nombre")),
    ReaderCase("conso-destinations-do-not-close",
               lambda tmp: cerema_file(tmp / "c.csv", [
                   _one(years={2011: {"naf": 1000, "hab": 900}}),
                   _one("59359", years={2013: {"naf": 5000, "act": 4998}})]),
               (r"ligne 2, commune 59183, année 2011", r"écart 100 m²",
                r"ligne 3, commune 59359, année 2013", r"naf = act \+ hab")),
    ReaderCase("conso-commune-missing",
               lambda tmp: cerema_file(tmp / "c.csv", [_one("62001")]),
               (r"2 commune\(s\) du territoire absente\(s\)", r"59183, 59359",
                r"bon département"),
               communes=("59183", "59359", "62001")),
    ReaderCase("conso-not-a-file",
               lambda tmp: tmp,
               (r"dossier",)),
    ReaderCase("conso-empty-file",
               lambda tmp: (tmp / "c.csv", (tmp / "c.csv").write_bytes(b""))[0],
               (r"vide",)),
]

#: The territory of the command-line run when the reader case reads the whole file
#: (``communes=None``): the communes whose rows hold the fault (the reader checks the rows of
#: the territory's communes only, after the file-wide checks: columns, codes, duplicates).
CLI_TERRITORY: dict[str, str] = {
    "conso-destinations-do-not-close": "59183,59359",
}


def _cli(rc: ReaderCase) -> Case:
    territory = (",".join(rc.communes) if rc.communes
                 else CLI_TERRITORY.get(rc.id, "59183"))

    def build(tmp: Path) -> list[str]:
        path = rc.build(tmp)
        return ["zan", "-t", territory, "--consumption", str(path), "--out", str(tmp / "out")]
    return Case(rc.id, build, "error", rc.match)


#: Every reader case through ``espass-geo zan --consumption``.
CASES: list[Case] = [_cli(rc) for rc in READER_CASES]
