"""Land-cover nomenclatures as data: crosswalks from a product's codes to CLC level-3 codes.

One table per product in ``factors/`` (``crosswalk_<product>_clc.csv``: ``code, libelle_fr,
code_clc, source, source_year, confidence, note``; an empty ``code_clc`` is the product's
no-data code). ``"clc"`` is the identity. A user crosswalk is a CSV ``code,code_clc``
(:func:`read_user_crosswalk`).

:func:`recode_area_table` turns an area table (``zone_id, code, area_ha, …``) in a product's
codes into CLC codes (areas summed per zone × CLC code); it runs right after the raster
cross-tab, before any code is mapped to a land use.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from espass_geo.errors import UnknownLandCoverClassError
from espass_geo.reference import data

#: products with a shipped crosswalk (``clc`` = CLC level-3 codes, no recoding)
PRODUCTS: dict[str, str] = {"eea": "crosswalk_eea_clc", "oso": "crosswalk_oso_clc"}
LABELS: dict[str, str] = {"clc": "CLC niveau 3", "eea": "raster CLC de l'AEE (GRID_CODE 1-44)",
                          "oso": "Theia OSO (23 classes)"}


@dataclass(frozen=True)
class Crosswalk:
    """Product code → CLC code, the no-data codes and how to name it in notes."""

    mapping: dict[int, int]
    nodata: frozenset[int]
    label: str


def _clc_codes() -> set[int]:
    return {int(c) for c in data.factor_table("clc_to_land_use")["code_clc"]}


def _int(v) -> int | None:
    try:
        f = float(str(v).strip())
    except ValueError:
        return None
    return int(f) if f.is_integer() else None


def _shipped(product: str) -> Crosswalk:
    t = data.factor_table(PRODUCTS[product])
    mapping, nodata = {}, set()
    for code, clc in zip(t["code"], t["code_clc"], strict=True):
        target = None if pd.isna(clc) or str(clc).strip() == "" else _int(clc)
        if target is None:
            nodata.add(_int(code))
        else:
            mapping[_int(code)] = target
    return Crosswalk(mapping, frozenset(nodata),
                     f"{LABELS[product]} (factors/{PRODUCTS[product]}.csv)")


def crosswalk(product: str) -> dict[int, int]:
    """The code → CLC level-3 code mapping of ``product`` (``"clc"``, ``"eea"``, ``"oso"``)."""
    if product == "clc":
        return {c: c for c in sorted(_clc_codes())}
    if product not in PRODUCTS:
        raise UnknownLandCoverClassError(
            f"nomenclature « {product} » inconnue ; utilisez clc, eea, oso ou un fichier CSV "
            "code,code_clc.")
    return dict(_shipped(product).mapping)


def read_user_crosswalk(path: str | Path) -> Crosswalk:
    """A user crosswalk CSV ``code,code_clc`` (one line per product code; an empty
    ``code_clc`` marks a no-data code), validated: integer codes, no duplicate code, CLC
    level-3 targets only. Errors are French and name the line."""
    from espass_geo.io.tables import read_table

    t = read_table(path, "table de correspondance de nomenclature", required=["code", "code_clc"],
                   error=UnknownLandCoverClassError)
    clc = _clc_codes()
    problems: list[str] = []
    mapping: dict[int, int] = {}
    nodata: set[int] = set()
    first: dict[int, int] = {}
    for code, target, line in zip(t.df["code"], t.df["code_clc"], t.lines, strict=True):
        c = _int(code)
        if c is None:
            problems.append(f"ligne {line} : code {code!r} n'est pas un entier")
            continue
        if c in first:
            problems.append(f"ligne {line} : code {c} en double (déjà ligne {first[c]})")
            continue
        first[c] = int(line)
        if str(target).strip() == "":
            nodata.add(c)
            continue
        k = _int(target)
        if k is None or k not in clc:
            problems.append(f"ligne {line} : code_clc {target!r} n'est pas un code CLC de niveau "
                            "3 de factors/clc_to_land_use.csv (111 à 523)")
            continue
        mapping[c] = k
    if problems:
        raise UnknownLandCoverClassError(
            f"table de correspondance « {path} » invalide :\n"
            + "\n".join(f"  - {p}" for p in problems)
            + "\nUne ligne par code du produit, code_clc = un code CLC de niveau 3 (vide = sans "
              "donnée).")
    return Crosswalk(mapping, frozenset(nodata), f"table de correspondance {Path(path).name}")


def resolve(nomenclature: str | Path | None) -> Crosswalk | None:
    """The crosswalk of ``nomenclature`` (``None`` for ``"clc"``: no recoding)."""
    if nomenclature is None or str(nomenclature) == "clc":
        return None
    if str(nomenclature) in PRODUCTS:
        return _shipped(str(nomenclature))
    if str(nomenclature).lower().endswith(".csv") or Path(nomenclature).is_file():
        return read_user_crosswalk(nomenclature)
    raise UnknownLandCoverClassError(
        f"nomenclature « {nomenclature} » inconnue ; utilisez clc, eea, oso ou un fichier CSV "
        "code,code_clc.")


def _apply(table: pd.DataFrame, cw: Crosswalk, source: str,
           code_cols: tuple[str, ...]) -> tuple[pd.DataFrame, list[str]]:
    out = table.copy()
    codes = {c: out[c].map(_int) for c in code_cols}
    known = set(cw.mapping) | set(cw.nodata)
    unknown: set[str] = set()
    for c, s in codes.items():
        bad = s.isna() | ~s.isin(known)
        unknown |= set(out.loc[bad, c].astype(str))
    unknown = sorted(unknown, key=lambda v: (len(v), v))
    if unknown:
        raise UnknownLandCoverClassError(
            f"{source} : code(s) {', '.join(map(str, unknown))} absent(s) de la nomenclature "
            f"{cw.label} ; vérifiez --nomenclature ou complétez la table de correspondance.",
            unknown)
    drop = pd.Series(False, index=out.index)
    for s in codes.values():
        drop |= s.isin(cw.nodata)
    notes = []
    if drop.any():
        notes.append(f"{source} : {out.loc[drop, 'area_ha'].sum():.2f} ha de code(s) sans donnée "
                     f"({', '.join(map(str, sorted(cw.nodata)))}) de la nomenclature {cw.label} "
                     "retirés des surfaces.")
    out = out[~drop]
    for c, s in codes.items():
        out[c] = s[~drop].map(cw.mapping).astype(int).astype(str)
    keys = [c for c in out.columns if c != "area_ha"]
    out = out.groupby(keys, as_index=False, sort=False, dropna=False)["area_ha"].sum()
    notes.append(f"Occupation du sol recodée de la nomenclature {cw.label} en codes CLC de niveau "
                 "3 (une classe CLC représentative par code).")
    return out.reset_index(drop=True), notes


def recode_area_table(table: pd.DataFrame, product: str | Path | Crosswalk, *,
                      source: str = "occupation du sol") -> tuple[pd.DataFrame, list[str]]:
    """``table`` (``zone_id, code, area_ha`` and other key columns) with its codes recoded to
    CLC level-3 codes (areas summed per zone × CLC code) and French notes. Unknown codes raise
    :class:`UnknownLandCoverClassError` listing them; the product's no-data codes are dropped
    (noted)."""
    cw = product if isinstance(product, Crosswalk) else resolve(product)
    if cw is None:
        return table, []
    return _apply(table, cw, source, ("code",))


def recode_change_table(table: pd.DataFrame, product: str | Path | Crosswalk, *,
                        source: str = "occupation du sol") -> tuple[pd.DataFrame, list[str]]:
    """Like :func:`recode_area_table` for a change table (``from_code`` and ``to_code``)."""
    cw = product if isinstance(product, Crosswalk) else resolve(product)
    if cw is None:
        return table, []
    return _apply(table, cw, source, ("from_code", "to_code"))


def looks_like_eea(codes) -> bool:
    """All codes within 1–48 and none ≥ 111: very likely EEA ``GRID_CODE`` legend indices."""
    vals = [v for v in (_int(c) for c in codes) if v is not None]
    return bool(vals) and all(1 <= v <= 48 for v in vals)


def _unknown_clc_error(codes, source: str) -> UnknownLandCoverClassError:
    clc = {str(c) for c in _clc_codes()}
    unknown = sorted({str(c) for c in codes} - clc, key=lambda v: (len(v), v))
    return UnknownLandCoverClassError(
        f"{source} : code(s) d'occupation du sol {', '.join(unknown)} inconnu(s) : ce ne sont pas "
        "des codes CLC de niveau 3 de factors/clc_to_land_use.csv (44 codes, de 111 à 523)."
        + EEA_HINT, unknown)


def recode_areas(at, nomenclature: str | Path | None, *, source: str):
    """An :class:`~espass_geo.core.areas.AreaTable` of a raster recoded to CLC codes: the
    product's no-data area moves to ``summary.nodata_area_ha``; notes appended. Without a
    nomenclature (``"clc"``), a raster whose values all lie within 1–48 is refused with a
    French error suggesting ``--nomenclature eea`` (never guessed silently)."""
    from espass_geo.core.areas import AreaTable

    cw = resolve(nomenclature)
    if cw is None:
        if looks_like_eea(at.table["code"]):
            raise _unknown_clc_error(at.table["code"], source)
        return at
    table = at.table
    nod = table[table["code"].map(_int).isin(cw.nodata)]
    new, notes = _apply(table, cw, source, ("code",))
    summary = at.summary
    if len(nod):
        lost = nod.groupby("zone_id")["area_ha"].sum()
        summary = summary.copy()
        extra = summary["zone_id"].map(lost).fillna(0.0)
        summary["nodata_area_ha"] = summary["nodata_area_ha"] + extra
        if "classified_area_ha" in summary:
            summary["classified_area_ha"] = summary["classified_area_ha"] - extra
    return AreaTable(new, summary, [*at.notes, *notes])


def recode_changes(ct, nomenclature: str | Path | None, *, source: str) -> None:
    """Recode in place the ``from_code``/``to_code`` of a raster
    :class:`~espass_geo.core.changes.ChangeTable` to CLC codes (notes appended); without a
    nomenclature, refuse EEA-looking codes as :func:`recode_areas` does."""
    cw = resolve(nomenclature)
    codes = pd.concat([ct.table["from_code"], ct.table["to_code"]])
    if cw is None:
        if looks_like_eea(codes):
            raise _unknown_clc_error(codes, source)
        return
    ct.table, notes = _apply(ct.table, cw, source, ("from_code", "to_code"))
    ct.notes.extend(notes)


EEA_HINT = (" Les valeurs du raster sont toutes entre 1 et 48 : c'est très probablement un "
            "raster CLC de l'AEE (index de légende GRID_CODE) ; relancez avec "
            "--nomenclature eea.")
