"""Land-cover nomenclatures as data: crosswalks from a product's codes to CLC level-3 codes.

One table per product in ``factors/`` (``crosswalk_<product>_clc.csv``: ``code, libelle_fr,
code_clc, source, source_year, confidence, note``; an empty ``code_clc`` is the product's
no-data code). ``"clc"`` is the identity. A user crosswalk is a CSV ``code,code_clc``
(:func:`read_user_crosswalk`).

:func:`recode_area_table` turns an area table (``zone_id, code, area_ha, …``) in a product's
codes into CLC codes (areas summed per zone × CLC code); it runs right after the raster
cross-tab, before any code is mapped to a land use.

Vector layers (:func:`vector_codes`): CLC polygons (``CODE_18``… = CLC codes; ``GRID_CODE`` =
EEA legend index), and the cover × use products OCS GE (IGN) and OCS2D Hauts-de-France, recoded
by the rules of ``factors/crosswalk_ocsge.csv`` / ``factors/crosswalk_ocs2d.csv`` (``code_cs,
code_us, code_clc, …``; ``code_us`` is a use code, a prefix ``US4*`` or ``*``: the exact use
wins, then the longest prefix, then ``*``) into CLC level-3 codes and the espass_geo codes 901
(sealed), 902 (grassed), 903 (poplars). :func:`detect_vector_product` finds the product and its
field(s) from the field names and a sample of values; :func:`parse_code_field` reads
``--code-field``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

import numpy as np
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
    if product in VECTOR_PRODUCTS:
        raise _vector_error(product)
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
    if str(nomenclature) in VECTOR_PRODUCTS:
        raise _vector_error(str(nomenclature))
    if str(nomenclature).lower().endswith(".csv") or Path(nomenclature).is_file():
        return read_user_crosswalk(nomenclature)
    raise UnknownLandCoverClassError(
        f"nomenclature « {nomenclature} » inconnue ; utilisez clc, eea, oso ou un fichier CSV "
        "code,code_clc (ocsge et ocs2d : pour une couche vecteur).")


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


# ============================================================================ vector products
# Vector land-cover layers (one code, or a cover × use pair, per polygon) recoded to the CLC
# level-3 codes (and the espass_geo codes 901-903) used everywhere downstream.
#
# Leaf codes of the two cover × use nomenclatures (the codes real files hold):
# - OCS GE (IGN): the 14 leaf covers × 19 leaf uses of the 266 pairs of
#   ``ocsge_artificialisation_cs_us.csv`` (Mon Diagnostic Artificialisation, MTES-MCT/sparte
#   seeds couverture.csv / usage.csv and macros is_artificial.sql @baa21373, MIT, nomenclature
#   IGN), plus US2 (secondary production): sparte nests US235 under US2, but IGN's OCS GE
#   nomenclature lists US2 as a use of its own, found in the files.
# - OCS2D Hauts-de-France 2021 (Geo2France, geo2france/ocs2d nomenclature/ @8f2d9bd5, GPL-3.0:
#   the codes only): 33 level-3 covers, 53 level-3 uses.
OCSGE_COVERS: tuple[str, ...] = (
    "CS1.1.1.1", "CS1.1.1.2", "CS1.1.2.1", "CS1.1.2.2", "CS1.2.1", "CS1.2.2", "CS1.2.3",
    "CS2.1.1.1", "CS2.1.1.2", "CS2.1.1.3", "CS2.1.2", "CS2.1.3", "CS2.2.1", "CS2.2.2")
OCSGE_USES: tuple[str, ...] = (
    "US1.1", "US1.2", "US1.3", "US1.4", "US1.5", "US2", "US235", "US3", "US4.1.1", "US4.1.2",
    "US4.1.3", "US4.1.4", "US4.1.5", "US4.2", "US4.3", "US5", "US6.1", "US6.2", "US6.3", "US6.6")
OCS2D_COVERS: tuple[str, ...] = (
    "CS1.1.1", "CS1.1.2", "CS1.2.1", "CS1.2.2", "CS2.1.1", "CS2.1.2", "CS2.1.3", "CS2.2.1",
    "CS2.2.2", "CS3.1.1", "CS3.1.2", "CS3.2.1", "CS3.2.2", "CS4.1.1", "CS4.1.2", "CS4.1.3",
    "CS4.2.1", "CS4.2.2", "CS4.3.1", "CS4.3.2", "CS4.4.0", "CS5.1.1", "CS5.1.2", "CS5.1.3",
    "CS5.2.0", "CS6.1.1", "CS6.1.2", "CS6.2.0", "CS6.3.0", "CS6.4.1", "CS6.4.2", "CS6.5.0",
    "CS6.6.0")
OCS2D_USES: tuple[str, ...] = (
    "US1.1.1", "US1.1.2", "US1.1.3", "US1.1.4", "US1.1.5", "US1.1.6", "US1.1.7", "US1.2.1",
    "US1.2.2", "US1.2.3", "US1.2.4", "US1.3.1", "US1.3.2", "US1.4.0", "US2.1.1", "US2.1.2",
    "US2.1.3", "US2.1.4", "US2.1.5", "US2.2.0", "US3.1.1", "US3.1.2", "US3.1.3", "US3.1.4",
    "US3.1.5", "US3.1.6", "US3.2.1", "US3.2.2", "US3.2.3", "US3.2.4", "US3.2.5", "US4.1.1",
    "US4.1.2", "US4.2.1", "US4.2.2", "US4.3.0", "US4.4.0", "US4.5.0", "US5.1.1", "US5.1.2",
    "US5.1.3", "US5.2.1", "US5.2.2", "US5.2.3", "US5.3.1", "US5.3.2", "US5.4.0", "US6.1.1",
    "US6.1.2", "US6.2.1", "US6.2.2", "US6.2.3", "US7.0.0")

#: vector products with a shipped cover × use rule table (``factors/crosswalk_<product>.csv``)
VECTOR_PRODUCTS: dict[str, str] = {"ocsge": "crosswalk_ocsge", "ocs2d": "crosswalk_ocs2d"}
LABELS.update({"ocsge": "OCS GE de l'IGN (couverture CODE_CS × usage CODE_US)",
               "ocs2d": "OCS2D Hauts-de-France (couverture × usage)"})
_NOMENCLATURES: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {
    "ocsge": (OCSGE_COVERS, OCSGE_USES), "ocs2d": (OCS2D_COVERS, OCS2D_USES)}
_PRODUCT_NAMES = {"clc": "CLC", "eea": "CLC de l'AEE (GRID_CODE)", "ocsge": "OCS GE",
                  "ocs2d": "OCS2D"}
#: no-data codes of CLC vector layers (EEA vector legend: 999 NODATA, 990 and 995 unclassified)
CLC_VECTOR_NODATA: frozenset[int] = frozenset({990, 995, 999})
_MAX_SHOWN = 20
_EMPTY_TEXT = frozenset({"", "NULL", "NONE", "NAN", "NA", "<NA>"})


def _vector_error(product: str) -> UnknownLandCoverClassError:
    name = _PRODUCT_NAMES[product]
    return UnknownLandCoverClassError(
        f"{name} est une couche vecteur (un code de couverture et un code d'usage par polygone) : "
        "elle n'a pas de table de correspondance raster. Donnez la couche vecteur (.gpkg, .shp) "
        f"avec --nomenclature {product}, ou un raster CLC, AEE (eea) ou OSO.")


def _parents(codes) -> frozenset[str]:
    return frozenset(".".join(c.split(".")[:k]) for c in codes for k in range(1, c.count(".") + 1))


@dataclass(frozen=True)
class VectorCrosswalk:
    """Recoding of a vector layer's code field(s) to CLC codes (strings).

    One field: ``mapping`` (normalised code → CLC code) and ``nodata``. Two fields (cover ×
    use): ``rules`` (cover → {use pattern → CLC code}; a pattern is a use code, a prefix
    ``US4*`` or ``*``); ``covers``/``uses`` are the nomenclature's leaf codes (``None`` for a
    user table: any code with a rule is accepted)."""

    label: str
    table: str
    n_fields: int
    mapping: dict[str, str] | None = None
    nodata: frozenset[str] = frozenset()
    rules: dict[str, dict[str, str]] | None = None
    covers: frozenset[str] | None = None
    uses: frozenset[str] | None = None
    #: one-field codes must be integers (CLC, EEA GRID_CODE); a user table may hold text
    integer_codes: bool = False

    def rule(self, cover: str, use: str) -> str | None:
        """The CLC code of (cover, use): the exact use rule, else the longest matching prefix
        rule, else the cover's ``*`` rule; ``None`` when the cover has no rule."""
        pats = (self.rules or {}).get(cover)
        if pats is None:
            return None
        if use in pats:
            return pats[use]
        best = ""
        for p in pats:
            if p != "*" and p.endswith("*") and use.startswith(p[:-1]) and len(p) > len(best):
                best = p
        return pats[best] if best else pats.get("*")


def _strict_int(v) -> int | None:
    """An integer code: an int, an integral float, or digits with an optional ``.0``
    (``"112"``, ``"112.0"``); anything else (``"1.0e3"``, ``"11a"``) is ``None``."""
    if isinstance(v, bool):
        return None
    if isinstance(v, int | np.integer):
        return int(v)
    if isinstance(v, float | np.floating):
        return int(v) if np.isfinite(v) and float(v).is_integer() else None
    m = _INT_RE.fullmatch(str(v).strip())
    return int(m.group(1)) if m else None


_INT_RE = re.compile(r"([0-9]+)(?:\.0*)?")


def _is_empty(v) -> bool:
    if v is None or v is pd.NA:
        return True
    if isinstance(v, float | np.floating) and np.isnan(v):
        return True
    return isinstance(v, str) and v.strip().upper() in _EMPTY_TEXT


def _text_code(v) -> str:
    """A code as text: integers written plainly (``112.0`` → ``"112"``), text stripped."""
    k = _strict_int(v)
    return str(k) if k is not None else str(v).strip()


def _check_rules(t: pd.DataFrame, where: str, lines, covers, uses) -> dict[str, dict[str, str]]:
    clc = {str(c) for c in _clc_codes()}
    problems: list[str] = []
    rules: dict[str, dict[str, str]] = {}
    for cs, us, target, line in zip(t["code_cs"], t["code_us"], t["code_clc"], lines,
                                    strict=True):
        cs, us, k = _text_code(cs).upper(), _text_code(us).upper(), _text_code(target)
        if covers is not None and cs not in covers:
            problems.append(f"ligne {line} : code_cs {cs!r} n'est pas un code de couverture "
                            "terminal de la nomenclature")
        if us != "*" and not us.endswith("*") and uses is not None and us not in uses:
            problems.append(f"ligne {line} : code_us {us!r} n'est pas un code d'usage terminal "
                            "de la nomenclature (ni *, ni un préfixe terminé par *)")
        if k not in clc:
            problems.append(f"ligne {line} : code_clc {target!r} n'est pas un code de "
                            "factors/clc_to_land_use.csv (CLC 111 à 523 ou 901-903)")
        if us in rules.get(cs, {}):
            problems.append(f"ligne {line} : règle ({cs}, {us}) en double")
        rules.setdefault(cs, {})[us] = k
    if problems:
        raise UnknownLandCoverClassError(
            f"table de correspondance « {where} » invalide :\n"
            + "\n".join(f"  - {p}" for p in problems[:_MAX_SHOWN])
            + (f"\n  - … et {len(problems) - _MAX_SHOWN} autre(s)"
               if len(problems) > _MAX_SHOWN else "")
            + "\nUne règle par ligne : code_cs (couverture), code_us (usage, préfixe US4* ou * "
              "pour tout usage), code_clc (code CLC de niveau 3 ou 901-903).")
    return rules


def _factor_rules(name: str) -> pd.DataFrame:
    from espass_geo.reference.factor_set import TABLES

    if name in TABLES:  # registered in the factor set: amendable like every factor table
        return data.factor_table(name)
    return data.read_csv(data.data_path("factors", f"{name}.csv"), dtype=str)


def vector_crosswalk(product: str | Path) -> VectorCrosswalk:
    """The recoding of a vector product: ``"clc"``, ``"eea"`` (one code field), ``"ocsge"``,
    ``"ocs2d"`` (cover × use rules of ``factors/crosswalk_<product>.csv``) or a user CSV (see
    :func:`read_user_vector_crosswalk`)."""
    p = str(product)
    if p == "clc":
        codes = {str(c): str(c) for c in sorted(_clc_codes())}
        return VectorCrosswalk("CLC niveau 3 (codes CODE_yy)", "factors/clc_to_land_use.csv", 1,
                               codes, frozenset(str(c) for c in CLC_VECTOR_NODATA),
                               integer_codes=True)
    if p == "eea":
        cw = _shipped("eea")
        return VectorCrosswalk(LABELS["eea"], f"factors/{PRODUCTS['eea']}.csv", 1,
                               {str(k): str(v) for k, v in cw.mapping.items()},
                               frozenset(str(c) for c in cw.nodata), integer_codes=True)
    if p in VECTOR_PRODUCTS:
        name = VECTOR_PRODUCTS[p]
        covers, uses = (frozenset(c) for c in _NOMENCLATURES[p])
        t = _factor_rules(name)
        rules = _check_rules(t, f"factors/{name}.csv", range(2, len(t) + 2), covers, uses)
        return VectorCrosswalk(LABELS[p], f"factors/{name}.csv", 2, rules=rules, covers=covers,
                               uses=uses)
    if p in PRODUCTS:
        raise UnknownLandCoverClassError(
            f"{LABELS[p]} est un produit raster : il n'a pas de version vecteur reconnue ; "
            "utilisez --nomenclature clc, eea, ocsge, ocs2d ou un fichier CSV de correspondance.")
    if p.lower().endswith(".csv") or Path(p).is_file():
        return read_user_vector_crosswalk(p)
    raise UnknownLandCoverClassError(
        f"nomenclature « {p} » inconnue pour une couche vecteur ; utilisez clc, eea, ocsge, "
        "ocs2d ou un fichier CSV code,code_clc (ou code_cs,code_us,code_clc).")


def read_user_vector_crosswalk(path: str | Path) -> VectorCrosswalk:
    """A user crosswalk for a vector layer: ``code,code_clc`` (one code field; codes may be
    text, an empty ``code_clc`` marks a no-data code) or ``code_cs,code_us,code_clc`` (cover ×
    use rules matched like the shipped tables: exact use, then the longest ``US…*`` prefix,
    then ``*``). Targets are CLC level-3 codes or 901-903. Errors are French and name the
    line."""
    from espass_geo.io.tables import read_table

    what = "table de correspondance de nomenclature"
    head = read_table(path, what, error=UnknownLandCoverClassError)
    cols = {str(c).strip().lower() for c in head.df.columns}
    if {"code_cs", "code_us"} <= cols:
        t = read_table(path, what, required=["code_cs", "code_us", "code_clc"],
                       error=UnknownLandCoverClassError)
        rules = _check_rules(t.df, str(path), t.lines, None, None)
        return VectorCrosswalk(f"table de correspondance {Path(path).name}", Path(path).name, 2,
                               rules=rules)
    t = read_table(path, what, required=["code", "code_clc"], error=UnknownLandCoverClassError)
    clc = {str(c) for c in _clc_codes()}
    problems: list[str] = []
    mapping: dict[str, str] = {}
    nodata: set[str] = set()
    first: dict[str, int] = {}
    for code, target, line in zip(t.df["code"], t.df["code_clc"], t.lines, strict=True):
        if _is_empty(code):
            problems.append(f"ligne {line} : code vide")
            continue
        c = _text_code(code)
        if c in first:
            problems.append(f"ligne {line} : code {c} en double (déjà ligne {first[c]})")
            continue
        first[c] = int(line)
        if _is_empty(target):
            nodata.add(c)
        elif _text_code(target) in clc:
            mapping[c] = _text_code(target)
        else:
            problems.append(f"ligne {line} : code_clc {target!r} n'est pas un code de "
                            "factors/clc_to_land_use.csv (CLC 111 à 523 ou 901-903)")
    if problems:
        raise UnknownLandCoverClassError(
            f"table de correspondance « {path} » invalide :\n"
            + "\n".join(f"  - {p}" for p in problems)
            + "\nUne ligne par code du produit, code_clc = un code CLC de niveau 3 ou 901-903 "
              "(vide = sans donnée).")
    return VectorCrosswalk(f"table de correspondance {Path(path).name}", Path(path).name, 1,
                           mapping, frozenset(nodata))


def parse_code_field(text: str) -> tuple[str, ...]:
    """The field(s) named by ``--code-field``: ``"CODE_18"`` → ``("CODE_18",)``;
    ``"CODE_CS+CODE_US"`` or ``"CODE_CS,CODE_US"`` → cover field, use field."""
    parts = tuple(p.strip() for p in re.split(r"[+,]", str(text)))
    if not parts or any(not p for p in parts) or len(parts) > 2:
        raise UnknownLandCoverClassError(
            f"--code-field « {text} » invalide : donnez un champ (ex. CODE_18) ou deux champs "
            "couverture+usage (ex. CODE_CS+CODE_US).")
    return parts


_CLC_FIELD = re.compile(r"code_(\d\d)", re.IGNORECASE)
#: cover/use fields: CODE_CS, cs, code_cs_2021, cs_2021, cs21 (OCS2D regional base: cs05 …
#: cs21 / us05 … us21, geo2france/ocs2d indicateurs/calcul_4p_21p_2021.sql)
_PAIR_FIELD = {kind: re.compile(rf"(?:code_?)?{kind}(?:_?((?:19|20)\d\d|\d\d))?", re.IGNORECASE)
               for kind in ("cs", "us")}


def _year(yy: str) -> int:
    return 2000 + int(yy) if int(yy) < 50 else 1900 + int(yy)


def _field_year(text: str | None) -> int:
    """The year in a cover/use field name (``21`` → 2021, ``2015``), -1 without one."""
    if not text:
        return -1
    return int(text) if len(text) == 4 else _year(text)


def _pick(columns: list[str], kind: str) -> tuple[str | None, int]:
    """The cover (``cs``) or use (``us``) field among ``columns`` and its year (-1 if none):
    the most recent one when several carry a year."""
    best, year = None, -2
    for c in columns:
        m = _PAIR_FIELD[kind].fullmatch(str(c).strip())
        if m:
            y = _field_year(m.group(1))
            if y > year:
                best, year = c, y
    return best, year


def _normalise_codes(values) -> set[str]:
    return {str(v).strip().upper() for v in values if not _is_empty(v)}


def _pair_product(cover_values, use_values, fields) -> str:
    covers, uses = _normalise_codes(cover_values), _normalise_codes(use_values)
    codes = covers | uses
    ge = set(OCSGE_COVERS) | set(OCSGE_USES)
    d2 = set(OCS2D_COVERS) | set(OCS2D_USES)
    only_ge, only_2d = sorted(codes & (ge - d2)), sorted(codes & (d2 - ge))
    if only_ge and not only_2d:
        return "ocsge"
    if only_2d and not only_ge:
        return "ocs2d"
    why = (f"des codes des deux (OCS GE : {', '.join(only_ge[:5])} ; OCS2D : "
           f"{', '.join(only_2d[:5])})" if only_ge else
           "seulement des codes communs aux deux nomenclatures ou inconnus"
           + (f" ({', '.join(sorted(codes)[:8])})" if codes else " (aucune valeur lue)"))
    raise UnknownLandCoverClassError(
        f"champs {' et '.join(fields)} : couverture × usage, mais impossible de dire si c'est "
        f"OCS GE ou OCS2D : les valeurs contiennent {why}. Précisez --nomenclature ocsge ou "
        "--nomenclature ocs2d.")


def detect_vector_product(columns: list[str],
                          sample: pd.DataFrame | None = None, *,
                          product: str | None = None,
                          source: str | None = None) -> tuple[str, tuple[str, ...]]:
    """The product of a vector land-cover layer from its field names (and, for cover × use
    layers, the code values of ``sample``) and the field(s) to read: ``("clc", ("CODE_18",))``
    (the most recent ``CODE_yy``), ``("eea", ("GRID_CODE",))``, ``("ocsge", ("CODE_CS",
    "CODE_US"))`` or ``("ocs2d", (cover, use))``. Field names are matched case-insensitively;
    the names returned are those of ``columns``. Raises :class:`UnknownLandCoverClassError`
    (French, naming the fields found and the remedy ``--code-field``) when nothing is
    recognised, or when OCS GE and OCS2D cannot be told apart (remedy ``--nomenclature``).

    ``product``: the nomenclature the user gave (``"ocsge"``, ``"ocs2d"``, a CSV…): the
    cover × use fields are then taken as that product's, without telling OCS GE from OCS2D by
    the values. ``source``: the layer, named at the head of the messages."""
    cols = [str(c) for c in columns]
    head = f"{source} : " if source else ""
    years = {}
    for c in cols:
        m = _CLC_FIELD.fullmatch(c.strip())
        if m:
            years[c] = _year(m.group(1))
    if years:
        return "clc", (max(years, key=years.__getitem__),)
    grid = [c for c in cols if c.strip().lower() == "grid_code"]
    if grid:
        return "eea", (grid[0],)
    (cs, ycs), (us, yus) = _pick(cols, "cs"), _pick(cols, "us")
    if cs is not None and us is not None:
        if ycs != yus:  # pair the use field of the cover field's year when there is one
            same = [c for c in cols if (m := _PAIR_FIELD["us"].fullmatch(c.strip()))
                    and _field_year(m.group(1)) == ycs]
            us = same[0] if same else us
        fields = (cs, us)
        if product is not None:
            return str(product), fields
        if sample is None or cs not in sample.columns or us not in sample.columns:
            raise UnknownLandCoverClassError(
                f"{head}champs {cs} et {us} : couverture × usage, mais sans valeurs lues "
                "impossible de dire si c'est OCS GE ou OCS2D. Précisez --nomenclature ocsge ou "
                "--nomenclature ocs2d.")
        try:
            return _pair_product(sample[cs].unique(), sample[us].unique(), fields), fields
        except UnknownLandCoverClassError as exc:
            if not source:
                raise
            raise UnknownLandCoverClassError(f"{head}{exc}") from None
    shown = ", ".join(cols) if cols else "(aucun champ)"
    where = source or "couche d'occupation du sol"
    raise UnknownLandCoverClassError(
        f"{where} : aucun champ de code reconnu parmi {shown}. Champs reconnus "
        ": CODE_18 (ou CODE_12, CODE_06, CODE_00, CODE_90 : CLC), GRID_CODE (CLC de "
        "l'AEE), CODE_CS et CODE_US (OCS GE, OCS2D). Nommez le champ avec --code-field (ex. "
        "--code-field CODE_18, ou --code-field CS+US pour couverture et usage) et la "
        "nomenclature avec --nomenclature.")


def _field(df: pd.DataFrame, name: str, source: str) -> str:
    if name in df.columns:
        return name
    same = [c for c in df.columns if str(c).strip().lower() == name.strip().lower()]
    if same:
        return same[0]
    raise UnknownLandCoverClassError(
        f"{source} : champ « {name} » absent ; champs présents : "
        f"{', '.join(map(str, df.columns))}. Corrigez --code-field.")


def _listing(values: list[str], counts: dict[str, int]) -> str:
    shown = [f"{v} ({counts[v]} polygone{'s' if counts[v] > 1 else ''})"
             for v in values[:_MAX_SHOWN]]
    more = len(values) - len(shown)
    return ", ".join(shown) + (f" … et {more} autre(s) ({len(values)} valeurs)" if more else "")


def _order(v: str):
    return (len(v), v)


def vector_codes(df: pd.DataFrame, *, fields: tuple[str, ...], product: str | Path,
                 source: str) -> tuple[pd.Series, list[str]]:
    """The CLC code (text, e.g. ``"211"`` or ``"901"``) of every row of ``df`` read from
    ``fields`` (one code field, or cover and use fields) in the nomenclature ``product``
    (``"clc"``, ``"eea"``, ``"ocsge"``, ``"ocs2d"`` or a user CSV), and French notes. Rows
    with an empty code or the product's no-data code get ``pd.NA`` (counted in a note).
    Unknown codes raise :class:`UnknownLandCoverClassError` listing every one of them (20
    shown). Vectorised on the unique values."""
    cw = product if isinstance(product, VectorCrosswalk) else vector_crosswalk(product)
    fields = tuple(fields)
    if len(fields) != cw.n_fields:
        want = "un champ de code" if cw.n_fields == 1 else "deux champs (couverture+usage)"
        raise UnknownLandCoverClassError(
            f"{source} : la nomenclature {cw.label} demande {want}, reçu "
            f"{' + '.join(fields) or 'aucun'} ; corrigez --code-field (ex. "
            f"{'CODE_18' if cw.n_fields == 1 else 'CODE_CS+CODE_US'}).")
    names = [_field(df, f, source) for f in fields]
    facts = [pd.factorize(df[n], use_na_sentinel=True) for n in names]
    n = len(df)
    if cw.n_fields == 1:
        codes, uniq = facts[0]
        result, bad = _single(cw, uniq)
        counts = np.bincount(codes[codes >= 0], minlength=len(uniq))
        is_nodata = np.array([v is None for v in result], dtype=bool)
        if bad:
            per = {}
            for i, txt in bad:
                per[txt] = per.get(txt, 0) + int(counts[i])
            vals = sorted(per, key=_order)
            raise UnknownLandCoverClassError(
                f"{source} ({names[0]}) : code(s) {_listing(vals, per)} absent(s) de la "
                f"nomenclature {cw.label} ({cw.table}). Vérifiez --nomenclature et "
                "--code-field, ou donnez une table de correspondance CSV code,code_clc.", vals)
        lut = np.array([pd.NA if v is None else v for v in result] + [pd.NA], dtype=object)
        out = lut[codes]  # code -1 (NA) → the last entry
        nodata_rows = int((codes < 0).sum() + counts[is_nodata].sum())
    else:
        (c1, u1), (c2, u2) = facts
        key = (c1.astype(np.int64) + 1) * (len(u2) + 1) + (c2.astype(np.int64) + 1)
        kcodes, kuniq = pd.factorize(key)
        i1, i2 = kuniq // (len(u2) + 1) - 1, kuniq % (len(u2) + 1) - 1
        counts = np.bincount(kcodes, minlength=len(kuniq))
        lut_list, unknown = _pairs(cw, u1, u2, i1, i2, counts)
        if unknown:
            raise _pair_error(cw, source, names, unknown)
        lut = np.array([pd.NA if v is None else v for v in lut_list], dtype=object)
        out = lut[kcodes]
        nodata_rows = int(counts[np.array([v is None for v in lut_list], dtype=bool)].sum())
    series = pd.Series(out, index=df.index, name="code_clc", dtype=object)
    notes = []
    if nodata_rows:
        nod = (f" ou code sans donnée {', '.join(sorted(cw.nodata, key=_order))}"
               if cw.nodata else "")
        notes.append(f"{source} : {nodata_rows} polygone(s) sur {n} sans code d'occupation du "
                     f"sol (champ vide{nod}) laissé(s) sans classe.")
    if cw.n_fields == 2:
        notes.append(f"{source} : occupation du sol {cw.label} recodée en codes CLC de niveau 3 "
                     f"et codes espass_geo 901-903 par {cw.table} (règles couverture × usage : "
                     "l'usage exact l'emporte sur un préfixe d'usage, qui l'emporte sur *).")
    elif str(product) != "clc":
        notes.append(f"{source} : occupation du sol {cw.label} recodée en codes CLC de niveau 3 "
                     f"par {cw.table}.")
    return series, notes


def _single(cw: VectorCrosswalk, uniq) -> tuple[list[str | None], list[tuple[int, str]]]:
    """Per unique raw value: its CLC code (``None`` = no data) and the unknown ones."""
    out: list[str | None] = []
    bad: list[tuple[int, str]] = []
    for i, v in enumerate(uniq):
        if _is_empty(v):
            out.append(None)
            continue
        k = _strict_int(v)
        if cw.integer_codes and k is None:
            out.append(None)
            bad.append((i, str(v).strip()))
            continue
        c = str(k) if k is not None else str(v).strip()
        if c in cw.nodata:
            out.append(None)
        elif c in (cw.mapping or {}):
            out.append(cw.mapping[c])
        else:
            out.append(None)
            bad.append((i, c))
    return out, bad


def _pairs(cw: VectorCrosswalk, u1, u2, i1, i2, counts):
    """Per unique (cover, use) pair: its CLC code (``None`` = no data) and the unknowns as
    {kind: {value: rows}}."""
    n1 = [None if _is_empty(v) else str(v).strip().upper() for v in u1]
    n2 = [None if _is_empty(v) else str(v).strip().upper() for v in u2]
    out: list[str | None] = []
    unknown: dict[str, dict[str, int]] = {}

    def flag(kind, value, rows):
        unknown.setdefault(kind, {})
        unknown[kind][value] = unknown[kind].get(value, 0) + rows

    for a, b, rows in zip(i1, i2, counts, strict=True):
        cs = n1[a] if a >= 0 else None
        us = n2[b] if b >= 0 else None
        if cs is None or us is None:
            out.append(None)
            continue
        ok = True
        if cw.covers is not None and cs not in cw.covers:
            flag("cover", cs, int(rows))
            ok = False
        if cw.uses is not None and us not in cw.uses:
            flag("use", us, int(rows))
            ok = False
        clc = cw.rule(cs, us) if ok else None
        if ok and clc is None:
            flag("pair", f"{cs} × {us}", int(rows))
        out.append(clc)
    return out, unknown


def _pair_error(cw: VectorCrosswalk, source: str, names: list[str],
                unknown: dict[str, dict[str, int]]) -> UnknownLandCoverClassError:
    parts, values = [], []
    parents = _parents((cw.covers or frozenset()) | (cw.uses or frozenset()))
    for kind, field, what in (("cover", names[0], "couverture"), ("use", names[1], "usage"),
                              ("pair", f"{names[0]} × {names[1]}", "couple sans règle")):
        per = unknown.get(kind)
        if not per:
            continue
        vals = sorted(per, key=_order)
        values += vals
        inner = [v for v in vals if v in parents]
        text = f"{what} ({field}) : {_listing(vals, per)}"
        if inner:
            text += (f" — {', '.join(inner[:_MAX_SHOWN])} : code(s) non terminal(aux) de la "
                     "nomenclature, les fichiers portent les codes les plus détaillés")
        parts.append(text)
    known = ""
    if cw.covers is not None:
        known = (f" Codes attendus : couvertures {', '.join(sorted(cw.covers))} ; usages "
                 f"{', '.join(sorted(cw.uses or ()))}.")
    return UnknownLandCoverClassError(
        f"{source} : code(s) absent(s) de la nomenclature {cw.label} ({cw.table}) :\n"
        + "\n".join(f"  - {p}" for p in parts)
        + f"\n{known} Vérifiez --nomenclature (ocsge ou ocs2d) et --code-field, ou donnez une "
          "table de correspondance CSV code_cs,code_us,code_clc.", values)
