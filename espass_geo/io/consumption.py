"""The Cerema file of consumption of natural, agricultural and forest land (ENAF), as published.

The Cerema measures, from the fichiers fonciers (DGFiP), the land that passed each year from
natural, agricultural or forest (NAF) to urbanised use, per commune, and publishes it as one CSV
row per commune (« consommation d'espaces », open data, editions 2009–2020 … 2009–2024).
Schema and sources: ``landcover/zan/README.md``. The columns read here:

* ``idcom`` (INSEE code of the commune) and ``idcomtxt`` (its name);
* ``nafYYartZZ``: m² consumed between 1 January 20YY and 1 January 20ZZ, ZZ = YY + 1, counted as
  the consumption of **year 20YY** (``naf11art12`` = 2011, as Mon Diagnostic Artificialisation);
* ``artYY{act,hab,mix,rou,fer,inc}ZZ``: the same m² by destination (activity, housing, mixed,
  roads, rail, unknown); Cerema's identity ``naf = act + hab + mix + rou + fer + inc`` is
  checked within :data:`CLOSURE_TOLERANCE_M2` (older editions have no ``rou``/``fer``);
* multi-year aggregates (``naf09art23``, ``art09hab23``, ``naf11art21``…), ``artcom0923``,
  population, households, jobs, ``surfcom2023`` and the other descriptive columns are ignored:
  every figure is rebuilt from the yearly columns.

:func:`read_consumption` returns the tidy table ``commune_id, commune_name, year, destination,
area_ha`` (hectares: m² / 10 000) in a :class:`ConsumptionData`. It also accepts a file already in
that tidy form. Everything a user can get wrong is refused with the file, column, line and value
named (via :mod:`espass_geo.io.tables`).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from espass_geo.errors import InputFileError
from espass_geo.io.tables import (
    Number,
    Table,
    _err,
    check_codes,
    check_duplicates,
    check_no_empty,
    numbers,
    read_table,
)
from espass_geo.present.fmt import fmt_number

#: French labels of the destinations (Cerema's six categories), in Cerema's column order.
DESTINATIONS: dict[str, str] = {
    "habitat": "Habitat",
    "activite": "Activité",
    "mixte": "Mixte",
    "route": "Routes",
    "ferroviaire": "Ferroviaire",
    "inconnu": "Inconnu",
}
#: Destination id of the ``nafYYartZZ`` rows (all destinations together).
TOTAL = "total"
TOTAL_LABEL = "Total (consommation d'ENAF)"
#: Cerema's three-letter codes in ``artYY…ZZ`` → destination ids.
CEREMA_CODES: dict[str, str] = {
    "act": "activite", "hab": "habitat", "mix": "mixte",
    "rou": "route", "fer": "ferroviaire", "inc": "inconnu",
}
#: The reference decade of the loi Climat et résilience: 1 Jan 2011 – 31 Dec 2020.
REFERENCE_YEARS = tuple(range(2011, 2021))
#: Destinations may differ from the total by this much (m²), Cerema rounding each to the m².
CLOSURE_TOLERANCE_M2 = 1.0
#: Negative destination values down to −this (m²) are Cerema's rounding adjustments (the
#: 2009–2023 edition has ``art10inc11 = -1`` where the other destinations were rounded up):
#: counted 0, with a note. Anything more negative, and any negative total, is refused.
ROUNDING_NEGATIVE_M2 = 5.0
#: The demo file (an ESTIMATE built from ALDO CLC 2012→2018 changes, not Cerema's data).
DEMO_CONSUMPTION_NAME = "zan/demo_conso_espaces_cerema_schema_ESTIMATION.csv"
#: Every file whose name contains this word is flagged as an estimate.
ESTIMATE_MARK = "ESTIMATION"
ESTIMATE_NOTE = (
    "ESTIMATION : fichier de démonstration au format Cerema construit à partir des changements "
    "CORINE Land Cover 2012→2018 d'ALDO (hectares passés d'une classe non artificielle à une "
    "classe artificielle, ÷ 6 ans, même valeur chaque année 2009–2022) ; ce n'est PAS la "
    "consommation d'espaces mesurée par le Cerema. Pour un document d'urbanisme, utilisez le "
    "fichier du Cerema (« consommation d'espaces naturels, agricoles et forestiers », "
    "data.gouv.fr)."
)

_WHAT = "fichier de consommation d'espaces (Cerema)"
_YEARLY = re.compile(r"naf(\d\d)art(\d\d)", re.IGNORECASE)
_BY_DEST = re.compile(r"art(\d\d)(hab|act|mix|rou|fer|inc)(\d\d)", re.IGNORECASE)
_INSEE = re.compile(r"\d{5}|2[AB]\d{3}", re.IGNORECASE)
_TIDY = ("commune_id", "year", "destination", "area_ha")
_ORDER = [TOTAL, *DESTINATIONS]


@dataclass
class ConsumptionData:
    """ENAF consumption per commune, year and destination.

    ``table``: ``commune_id`` (str, 5 chars), ``commune_name``, ``year`` (int, the year consumed),
    ``destination`` (``total`` or a key of :data:`DESTINATIONS`), ``area_ha`` (float ≥ 0).
    ``estimate``: the figures are not Cerema's measure (the demo file): every output must say so.
    ``notes``: French sentences for the report (what was read, adjusted or ignored).
    """

    table: pd.DataFrame
    source: str
    estimate: bool = False
    notes: list[str] = field(default_factory=list)

    @property
    def years(self) -> list[int]:
        """Years present, ascending."""
        return sorted(int(y) for y in self.table["year"].unique())

    @property
    def communes(self) -> list[str]:
        return sorted(self.table["commune_id"].unique())


def demo_consumption_path() -> Path:
    """Path of the embedded demo file (an estimate; see ``landcover/zan/README.md``)."""
    from espass_geo.reference.data import data_path

    return data_path("landcover", DEMO_CONSUMPTION_NAME)


def __getattr__(name: str):  # DEMO_CONSUMPTION resolved lazily (installed wheel or checkout)
    if name == "DEMO_CONSUMPTION":
        return demo_consumption_path()
    raise AttributeError(name)


def is_estimate_file(path: str | Path) -> bool:
    """True for the embedded demo file, or any file named with « ESTIMATION » (a copy of it)."""
    path = Path(path)
    if ESTIMATE_MARK.lower() in path.name.lower():
        return True
    try:
        return path.resolve() == demo_consumption_path().resolve()
    except Exception:  # noqa: BLE001 - no embedded data: not the demo file
        return False


# ----------------------------------------------------------------------------- reading
def read_consumption(path: str | Path, *, communes: Iterable[str] | None = None
                     ) -> ConsumptionData:
    """Read a Cerema consumption file (as distributed) or a tidy consumption table.

    ``communes``: INSEE codes of the territory; those absent from the file are refused (all
    listed), and only their rows are checked and returned. Without it, every row is.
    Raises :class:`InputFileError` naming file, column, line and value with the remedy.
    """
    path = Path(path)
    t = read_table(path, _WHAT, error=InputFileError)
    lower = {c.lower(): c for c in t.df.columns}
    wanted = None if communes is None else sorted({str(c) for c in communes})
    if all(c in t.df.columns for c in _TIDY):
        data = _read_tidy(t, wanted)
    elif "idcom" in lower:
        data = _read_cerema(t, lower, wanted)
    else:
        raise InputFileError(
            f"{t.label} : ni la colonne « idcom » (code INSEE de la commune, fichier du Cerema) "
            f"ni les colonnes {', '.join(_TIDY)} (table rangée) ; colonnes trouvées : "
            f"{', '.join(list(t.df.columns)[:12])}{' …' if len(t.df.columns) > 12 else ''}. "
            "Donnez le fichier communal « consommation d'espaces naturels, agricoles et "
            "forestiers » du Cerema tel que téléchargé (séparateur « ; »).")
    if is_estimate_file(path):
        data.estimate = True
        data.notes.insert(0, ESTIMATE_NOTE)
    return data


def _subset(t: Table, keep: pd.Series) -> Table:
    df = t.df[keep]
    return Table(df=df, path=t.path, what=t.what, sep=t.sep, decimal=t.decimal,
                 encoding=t.encoding, lines=t.lines[keep])


def _normalise_codes(t: Table, col: str, notes: list[str]) -> pd.Series:
    """INSEE codes as 5-char strings. A 4-digit code is a code of départements 01–09 whose
    leading zero a spreadsheet removed (no INSEE code has 4 characters): padded, with a note.
    Anything else that is not ``\\d{5}`` or Corsica's ``2A…``/``2B…`` is refused."""
    check_no_empty(t, [col])
    check_codes(t, [col])
    codes = t.df[col].astype(str).str.strip()
    short = codes.str.fullmatch(r"\d{4}")
    bad = [(t.line(i), c) for i, c in codes.items()
           if not short[i] and not _INSEE.fullmatch(c)]
    if bad:
        raise _err(InputFileError, t.label,
                   [f"ligne {ln}, colonne {col} : « {c} » n'est pas un code INSEE de commune "
                    "(5 caractères)" for ln, c in bad],
                   "Un code INSEE a 5 caractères (ex. 59183, 01001, 2A004) : formatez la "
                   "colonne en texte et réexportez le fichier du Cerema sans le modifier.")
    if short.any():
        ex = codes[short].iloc[0]
        notes.append(f"{int(short.sum())} code(s) INSEE à 4 chiffres (ex. {ex}) complété(s) par "
                     f"un zéro initial (0{ex}) : un tableur avait retiré le zéro des communes "
                     "des départements 01 à 09.")
        codes = codes.where(~short, "0" + codes)
    return codes.str.upper()


def _columns(t: Table) -> tuple[dict[int, str], dict[tuple[int, str], str], list[str]]:
    """Yearly total columns {year: col}, destination columns {(year, dest): col}, ignored."""
    totals: dict[int, str] = {}
    dests: dict[tuple[int, str], str] = {}
    ignored, bad = [], []
    for col in t.df.columns:
        m = _YEARLY.fullmatch(col)
        d = _BY_DEST.fullmatch(col)
        if not (m or d):
            continue
        y1, y2 = (int(m.group(1)), int(m.group(2))) if m else (int(d.group(1)), int(d.group(3)))
        if y2 > y1 + 1:  # Cerema's multi-year aggregates (naf09art23, art11hab21…)
            ignored.append(col)
            continue
        if y2 != y1 + 1:
            bad.append(f"colonne {col} : la seconde année ({2000 + y2}) devrait suivre la "
                       f"première ({2000 + y1}), soit "
                       f"{col[:-2]}{(y1 + 1) % 100:02d} — la consommation d'une année va du "
                       f"1er janvier 20{y1:02d} au 1er janvier 20{y1 + 1:02d}")
            continue
        if m:
            totals[2000 + y1] = col
        else:
            dests[(2000 + y1, CEREMA_CODES[d.group(2).lower()])] = col
    if bad:
        raise _err(InputFileError, t.label, bad,
                   "Renommez la colonne comme dans le fichier du Cerema (nafAAartBB avec "
                   "BB = AA + 1) ou supprimez-la.")
    orphans = sorted({y for y, _ in dests} - set(totals))
    if orphans:
        cols = [c for (y, _), c in dests.items() if y in orphans]
        raise InputFileError(
            f"{t.label} : colonnes par destination sans leur total annuel : "
            f"{', '.join(cols[:8])}{' …' if len(cols) > 8 else ''} ; il manque "
            + ", ".join(f"naf{y % 100:02d}art{(y + 1) % 100:02d}" for y in orphans)
            + ". Gardez toutes les colonnes du fichier du Cerema.")
    return totals, dests, ignored


def _check_reference_years(t: Table, years: Iterable[int]) -> None:
    years = set(years)
    missing = [y for y in REFERENCE_YEARS if y not in years]
    if len(missing) == len(REFERENCE_YEARS):
        raise InputFileError(
            f"{t.label} : aucune des dix années de référence 2011 à 2020 (colonnes naf11art12 à "
            f"naf20art21) ; années trouvées : "
            f"{', '.join(map(str, sorted(years))) or 'aucune'}. La référence de la loi Climat et "
            "résilience est la consommation du 1er janvier 2011 au 31 décembre 2020 : donnez le "
            "fichier du Cerema millésime 2009–2021 ou plus récent.")
    if missing:
        raise InputFileError(
            f"{t.label} : années de référence manquantes : {', '.join(map(str, missing))} "
            "(colonnes "
            + ", ".join(f"naf{y % 100:02d}art{(y + 1) % 100:02d}" for y in missing)
            + ") ; la référence 2011–2020 compte dix années : donnez le fichier complet du "
            "Cerema.")


def _missing_communes(t: Table, present: set[str], wanted: list[str] | None) -> None:
    if wanted is None:
        return
    missing = [c for c in wanted if c not in present]
    if not missing:
        return
    merged = _merged_into(missing, present)
    deps = sorted({c[:2] for c in missing})
    have = sorted({c[:2] for c in present})
    raise InputFileError(
        f"{t.label} : {len(missing)} commune(s) du territoire absente(s) du fichier : "
        f"{', '.join(missing[:12])}{' …' if len(missing) > 12 else ''} (département(s) "
        f"{', '.join(deps)} ; le fichier couvre {', '.join(have[:6])}"
        f"{' …' if len(have) > 6 else ''}). "
        + (f"Communes fusionnées depuis : {', '.join(merged[:6])} ; le fichier suit un code "
           "officiel géographique plus récent que le territoire. " if merged else "")
        + "Le fichier couvre-t-il le bon département ? "
        "Téléchargez le fichier national ou celui du département, au même code officiel "
        "géographique que le territoire (communes fusionnées : utilisez le code de la commune "
        "nouvelle).")


def _merged_into(missing: list[str], present: set[str]) -> list[str]:
    """« old → new » for missing codes absorbed by a commune present in the file (COG 2026
    ``anciens_codes`` of the embedded Nord / Pas-de-Calais list)."""
    try:
        from espass_geo.reference.data import data_path, read_csv

        cog = read_csv(data_path("boundaries", "cog2026_communes_59_62.csv"), dtype=str)
    except Exception:  # noqa: BLE001 - a hint only
        return []
    out = []
    for code, old in zip(cog["code"], cog["anciens_codes"].fillna(""), strict=True):
        out += [f"{o} → {code}" for o in old.split() if o in missing and code in present]
    return out


def _read_cerema(t: Table, lower: dict[str, str], wanted: list[str] | None) -> ConsumptionData:
    notes: list[str] = []
    id_col = lower["idcom"]
    name_col = lower.get("idcomtxt")
    totals, dests, ignored = _columns(t)
    _check_reference_years(t, totals)
    codes = _normalise_codes(t, id_col, notes)
    frame = t.df.assign(**{id_col: codes})
    check_duplicates(t, [id_col], frame=frame)
    _missing_communes(t, set(codes), wanted)
    if wanted is not None:
        t = _subset(t, codes.isin(wanted))
        codes = codes[t.df.index]
    rules = {c: Number(minimum=0) for c in totals.values()}
    rules.update({c: Number(minimum=-ROUNDING_NEGATIVE_M2) for c in dests.values()})
    df = numbers(t, rules)
    _check_closure(t, df, codes, totals, dests)
    negative = 0
    for c in dests.values():
        neg = df[c] < 0
        negative += int(neg.sum())
        df.loc[neg, c] = 0.0
    if negative:
        notes.append(f"{negative} valeur(s) de destination légèrement négative(s) (≥ "
                     f"−{ROUNDING_NEGATIVE_M2:g} m², ajustements d'arrondi du Cerema) "
                     "comptée(s) 0.")
    years = sorted(totals)
    present = sorted({d for _, d in dests}, key=list(DESTINATIONS).index)
    notes.append(f"Fichier de consommation d'espaces au format du Cerema : {len(df)} "
                 f"commune(s), années {years[0]} à {years[-1]} (colonne nafAAartBB = année "
                 f"20AA), en m² convertis en hectares ; destinations : "
                 f"{', '.join(DESTINATIONS[d] for d in present) or 'aucune'}.")
    absent = [DESTINATIONS[d] for d in DESTINATIONS if d not in present]
    if absent and present:
        notes.append(f"Destinations absentes de ce millésime : {', '.join(absent)} (comptées "
                     "0 ; dans les millésimes anciens, elles sont incluses dans « Inconnu »).")
    if ignored:
        notes.append(f"Colonnes pluriannuelles ignorées (recalculées à partir des années) : "
                     f"{', '.join(ignored[:6])}{' …' if len(ignored) > 6 else ''}.")
    names = (t.df[name_col].astype(str) if name_col else pd.Series("", index=t.df.index))
    parts = []
    for y, col in totals.items():
        cols = {TOTAL: col}
        cols.update({d: c for (yy, d), c in dests.items() if yy == y})
        for dest in _ORDER[1:]:
            cols.setdefault(dest, None)
        for dest, c in cols.items():
            parts.append(pd.DataFrame({
                "commune_id": codes.to_numpy(), "commune_name": names.to_numpy(),
                "year": y, "destination": dest,
                "area_ha": (df[c].to_numpy() / 10_000.0) if c else 0.0}))
    table = _tidy(pd.concat(parts, ignore_index=True))
    return ConsumptionData(table=table, source=str(t.path), estimate=False, notes=notes)


def _check_closure(t: Table, df: pd.DataFrame, codes: pd.Series, totals: dict[int, str],
                   dests: dict[tuple[int, str], str]) -> None:
    """Per commune and year, Cerema's identity naf = act + hab + mix + rou + fer + inc."""
    rows = []
    for y, tcol in totals.items():
        dcols = [c for (yy, _), c in dests.items() if yy == y]
        if not dcols:
            continue
        gap = df[tcol] - df[dcols].sum(axis=1)
        for idx in gap.index[gap.abs() > CLOSURE_TOLERANCE_M2]:
            rows.append((abs(gap[idx]), t.line(idx), codes[idx], y, tcol, df.at[idx, tcol],
                         df.at[idx, tcol] - gap[idx], "+".join(c[5:8] for c in dcols)))
    if not rows:
        return
    rows.sort(key=lambda r: (-r[0], r[1]))
    raise _err(InputFileError, t.label,
               [f"ligne {ln}, commune {code}, année {y} : {tcol} = {fmt_number(tot)} m² mais "
                f"{parts} = {fmt_number(s)} m² (écart {fmt_number(g)} m²)"
                for g, ln, code, y, tcol, tot, s, parts in rows],
               f"Le total annuel doit égaler la somme des destinations (règle du Cerema : naf = "
               f"act + hab + mix + rou + fer + inc, à {CLOSURE_TOLERANCE_M2:g} m² près ; les "
               "pires écarts d'abord). Le fichier a-t-il été modifié ? Reprenez-le tel que "
               "publié par le Cerema.")


def _tidy(table: pd.DataFrame) -> pd.DataFrame:
    table["year"] = table["year"].astype(int)
    table["area_ha"] = table["area_ha"].astype(float)
    order = {d: i for i, d in enumerate(_ORDER)}
    table = table.assign(_o=table["destination"].map(order))
    table = table.sort_values(["commune_id", "year", "_o"], kind="stable").drop(columns="_o")
    return table[["commune_id", "commune_name", "year", "destination", "area_ha"]
                 ].reset_index(drop=True)


# ----------------------------------------------------------------------------- tidy form
def _read_tidy(t: Table, wanted: list[str] | None) -> ConsumptionData:
    """A table already in the shape returned (``commune_id, year, destination, area_ha`` and
    optionally ``commune_name``), in hectares."""
    notes: list[str] = []
    codes = _normalise_codes(t, "commune_id", notes)
    check_no_empty(t, ["year", "destination"])
    dest = t.df["destination"].astype(str).str.strip().str.lower()
    bad = [f"ligne {t.line(i)}, colonne destination : « {t.df.at[i, 'destination']} »"
           for i, d in dest.items() if d not in _ORDER]
    years = t.df["year"].astype(str).str.strip()
    bad += [f"ligne {t.line(i)}, colonne year : « {y} » n'est pas une année (ex. 2011)"
            for i, y in years.items() if not re.fullmatch(r"(19|20)\d\d", y)]
    if bad:
        raise _err(InputFileError, t.label, bad,
                   f"Destinations admises : {', '.join(_ORDER)} ; années sur 4 chiffres.")
    frame = t.df.assign(commune_id=codes, destination=dest, year=years)
    check_duplicates(t, ["commune_id", "year", "destination"], frame=frame)
    _missing_communes(t, set(codes), wanted)
    keep = codes.isin(wanted) if wanted is not None else pd.Series(True, index=codes.index)
    t = _subset(t, keep)
    frame = frame[keep]
    df = numbers(t, {"area_ha": Number(minimum=0)})
    table = pd.DataFrame({
        "commune_id": frame["commune_id"], "year": frame["year"].astype(int),
        "destination": frame["destination"], "area_ha": df["area_ha"],
        "commune_name": (t.df["commune_name"].astype(str) if "commune_name" in t.df.columns
                         else ""),
    })
    _check_reference_years(t, table.loc[table["destination"] == TOTAL, "year"])
    totals = table[table["destination"] == TOTAL].set_index(["commune_id", "year"])["area_ha"]
    parts = (table[table["destination"] != TOTAL].groupby(["commune_id", "year"])["area_ha"]
             .sum())
    gap = (totals - parts).dropna()
    bad_gap = gap[gap.abs() > CLOSURE_TOLERANCE_M2 / 10_000.0]
    if len(bad_gap):
        worst = bad_gap.abs().sort_values(ascending=False)
        raise _err(InputFileError, t.label,
                   [f"commune {c}, année {y} : total {fmt_number(totals[(c, y)], 4)} ha, somme "
                    f"des destinations {fmt_number(parts[(c, y)], 4)} ha" for c, y in worst.index],
                   "Le total doit égaler la somme des destinations (à 1 m² près).")
    orphan = parts.index.difference(totals.index)
    if len(orphan):
        raise _err(InputFileError, t.label,
                   [f"commune {c}, année {y} : des destinations sans ligne « total »"
                    for c, y in orphan],
                   "Chaque commune et année a une ligne destination=total (la consommation "
                   "d'ENAF de l'année) ; ajoutez-la.")
    # complete: every (commune, year) with a total has all destinations (absent = 0)
    names = table.groupby("commune_id")["commune_name"].first()
    grid = pd.MultiIndex.from_tuples(
        [(c, y, d) for c, y in totals.index for d in _ORDER],
        names=["commune_id", "year", "destination"])
    table = (table.set_index(["commune_id", "year", "destination"])["area_ha"]
             .reindex(grid, fill_value=0.0).reset_index())
    table["commune_name"] = table["commune_id"].map(names)
    notes.append(f"Table de consommation rangée (hectares) : {table['commune_id'].nunique()} "
                 f"commune(s), années {table['year'].min()} à {table['year'].max()}.")
    return ConsumptionData(table=_tidy(table), source=str(t.path), estimate=False, notes=notes)
