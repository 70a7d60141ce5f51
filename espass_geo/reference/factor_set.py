"""Factor sets: the factor tables of one run, validated once, replaceable and amendable from CSV.

A :class:`FactorSet` holds every table of ``factors/`` by name (``aldo_soil_stock_ref``, …).
``FactorSet.default()`` is the shipped set (loaded and validated once per process);
``FactorSet.from_dir(path)`` reads a complete copy of the folder; ``fs.amend(name, csv)``
returns a new set where the rows of ``csv`` replace the rows with the same key and new keys are
added; ``fs.replace(name, csv)`` swaps a whole table. Every table is validated on load: the
columns of the shipped table (``note`` is optional), provenance (``source``, ``source_year``,
``confidence``), ``unit`` where the table has one (and the same unit as the shipped row it
replaces), no duplicate key, finite numbers. Errors are :class:`FactorError` in French, naming
the file, the line, the value and the remedy.

The engines read factors through :func:`espass_geo.reference.data.factor_table`, which looks in the
*active* set: the shipped one unless a run switched it with ``with use_factors(fs): ...``. The
active set is context-local (:mod:`contextvars`): two threads or two asyncio tasks each see their
own set, and a thread started inside the block starts again from the shipped set (run it with
``contextvars.copy_context().run`` to keep the set). :func:`factor_set_fingerprint` gives the
name and a SHA-256 of the active tables for the outputs.
"""

from __future__ import annotations

import contextvars
import functools
import hashlib
import math
import threading
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from types import MappingProxyType
from typing import Any, TypeVar

import numpy as np
import pandas as pd

from espass_geo.errors import FactorError
from espass_geo.reference import data

#: Provenance columns required in every factor table (factors/README.md, common conventions).
PROVENANCE_COLUMNS: tuple[str, ...] = ("source", "source_year", "confidence")
CONFIDENCE_LEVELS: tuple[str, ...] = ("primary", "secondary", "derived", "unverified")
#: Columns a replacement or amendment may leave out.
OPTIONAL_COLUMNS: frozenset[str] = frozenset({"note"})
DEFAULT_NAME = "tables embarquées (factors/)"
AMENDED_NAME = "tables embarquées (factors/), modifiées"


@dataclass(frozen=True)
class TableSpec:
    """Key columns of a factor table and the numeric columns that may be empty."""

    keys: tuple[str, ...]
    optional_numbers: tuple[str, ...] = ()


#: Every factor table of ``factors/`` and its key (one row per key).
TABLES: dict[str, TableSpec] = {
    "aldo_artificial_split": TableSpec(("parameter",)),
    "aldo_biomass_nonforest": TableSpec(("inter_region", "biomass_class")),
    "aldo_biomass_nonforest_flux": TableSpec(("inter_region", "from_class", "to_class")),
    "aldo_commune_zpc": TableSpec(("insee",)),
    "aldo_forest_location_by_region": TableSpec(("region_code", "composition")),
    "aldo_hedge_carbon": TableSpec(("departement", "quantity")),
    "aldo_litter": TableSpec(("land_use",)),
    "aldo_soil_flux": TableSpec(("zpc", "from_class", "to_class")),
    "aldo_soil_stock_ref": TableSpec(("zpc", "soil_class")),
    "clc_to_land_use": TableSpec(("code_clc",)),
    "crosswalk_eea_clc": TableSpec(("code",), ("code_clc",)),
    "crosswalk_oso_clc": TableSpec(("code",), ("code_clc",)),
    "crosswalk_bdforet_tfv": TableSpec(("code_tfv",), ("code",)),
    "crosswalk_ocsge": TableSpec(("code_cs", "code_us")),
    "crosswalk_ocs2d": TableSpec(("code_cs", "code_us")),
    "ocsge_artificialisation": TableSpec(("code_cs", "code_us")),
    "zan_parameters": TableSpec(("parameter",)),
    "uncertainty": TableSpec(("table", "quantity")),
    "consumption_per_capita": TableSpec(("post",),
                                        ("value_2007", "scaled_value", "reference_year")),
    "espass_posts": TableSpec(("post",)),
    "ghg_air_synergies": TableSpec(("scope", "item")),
    "ign_forest_carbon": TableSpec(("location_type", "location_code", "composition", "quantity")),
    "ipcc_land_use_defaults": TableSpec(("land_use",)),
    "ipcc_soc_ref": TableSpec(("climate", "soil_type")),
    "ipcc_stock_change_factors": TableSpec(("ipcc_land_use", "factor", "level", "climate_group")),
    "land_use_classes": TableSpec(("land_use",)),
    "n2o_soil_loss": TableSpec(("parameter",)),
    "pcaet_sectors": TableSpec(("sector",)),
    "population_hdf": TableSpec(("region_code", "year")),
    "practices_aldo": TableSpec(("practice",), ("hedge_m_per_ha",)),
    "practices_ipcc": TableSpec(("practice",)),
    "region_interregion": TableSpec(("region_code",)),
    "regional_inventory_hdf": TableSpec(("region_code", "sector", "substance")),
    "rpg_to_clc": TableSpec(("level", "code")),
    "sector_post_crosswalk": TableSpec(("sector", "post")),
    "sources_rapport": TableSpec(("id",)),
    "substances": TableSpec(("substance",), ("gwp_ar6", "gwp_ar5")),
    "wood_products_bo_bi_share": TableSpec(("region_code", "quantity")),
    "wood_products_france": TableSpec(("parameter",)),
    "zpc_to_ipcc": TableSpec(("zpc",)),
}

#: Shipped CSVs of factors/ that are reference data read as they are, not factor tables a run
#: can amend (mappings of the exports, the demo inventory's point sources): a complete copy of
#: factors/ given to ``--factors`` may hold them; they are not read from it.
REFERENCE_FILES = frozenset({"mapping_aldo_export.csv", "mapping_territoires_en_transitions.csv",
                             "point_sources_demo_59_62.csv"})

_MAX_PROBLEMS = 12


def _is_number_dtype(s: pd.Series) -> bool:
    return pd.api.types.is_numeric_dtype(s) and not pd.api.types.is_bool_dtype(s)


def _line(i: int) -> int:
    """CSV line of the row at position ``i`` (line 1 is the header)."""
    return i + 2


def _show(v: Any) -> str:
    return "(vide)" if v is None or (isinstance(v, float) and math.isnan(v)) else repr(str(v))


def _key_text(keys: tuple[str, ...], values: tuple) -> str:
    return ", ".join(f"{k}={v}" for k, v in zip(keys, values, strict=True))


def _key_tuples(df: pd.DataFrame, keys: tuple[str, ...]) -> list[tuple[str, ...]]:
    cols = [df[k].astype(object).map(lambda v: "" if pd.isna(v) else str(v).strip()) for k in keys]
    return list(zip(*cols, strict=True)) if cols else []


def _fail(name: str, path: Path | str, problems: list[str], remedy: str) -> None:
    shown = problems[:_MAX_PROBLEMS]
    more = len(problems) - len(shown)
    text = "\n".join(f"  - {p}" for p in shown) + (f"\n  - … et {more} autre(s)" if more else "")
    raise FactorError(f"table de facteurs « {name} » ('{path}') invalide :\n{text}\n{remedy}")


def _check_table(name: str, df: pd.DataFrame, path: Path | str, reference: pd.DataFrame) -> None:
    """Raise :class:`FactorError` listing every problem of ``df`` (table ``name`` read from
    ``path``), checked against the shipped table ``reference`` (its columns, numbers, units)."""
    spec = TABLES[name]
    problems: list[str] = []
    cols = list(df.columns)
    required = [c for c in reference.columns if c not in OPTIONAL_COLUMNS]
    missing = [c for c in required if c not in cols]
    unknown = [c for c in cols if c not in reference.columns]
    if missing:
        problems.append(f"colonne(s) manquante(s) : {', '.join(missing)}")
    if unknown:
        problems.append(f"colonne(s) inconnue(s) : {', '.join(map(str, unknown))} (colonnes "
                        f"attendues : {', '.join(reference.columns)})")
    if problems:
        _fail(name, path, problems, "Reprenez la ligne d'en-tête de la table embarquée "
              f"factors/{name}.csv (seule la colonne note est facultative).")
    numbers = [c for c in reference.columns if _is_number_dtype(reference[c])]
    non_empty = [*spec.keys, *PROVENANCE_COLUMNS,
                 *(["unit"] if "unit" in cols else []),
                 *(c for c in numbers if c not in spec.optional_numbers)]
    for c in dict.fromkeys(non_empty):
        s = df[c]
        empty = s.isna() | s.astype(object).map(lambda v: isinstance(v, str) and not v.strip())
        for i in np.flatnonzero(empty.to_numpy()):
            problems.append(f"ligne {_line(int(i))}, colonne {c} : valeur manquante")
    for c in numbers:
        s = df[c]
        num = pd.to_numeric(s, errors="coerce")
        bad = s.notna() & num.isna()
        for i in np.flatnonzero(bad.to_numpy()):
            problems.append(f"ligne {_line(int(i))}, colonne {c} : {_show(s.iloc[i])} n'est pas "
                            "un nombre (séparateur décimal : le point)")
        inf = np.isinf(num.to_numpy(dtype=float, na_value=np.nan))
        for i in np.flatnonzero(inf):
            problems.append(f"ligne {_line(int(i))}, colonne {c} : {_show(s.iloc[i])} n'est pas "
                            "un nombre fini")
    year = pd.to_numeric(df["source_year"], errors="coerce")
    for i in np.flatnonzero((year.notna() & (year % 1 != 0)).to_numpy()):
        problems.append(f"ligne {_line(int(i))}, colonne source_year : "
                        f"{_show(df['source_year'].iloc[i])} n'est pas une année")
    conf = df["confidence"]
    for i in np.flatnonzero((conf.notna() & ~conf.isin(CONFIDENCE_LEVELS)).to_numpy()):
        problems.append(f"ligne {_line(int(i))}, colonne confidence : {_show(conf.iloc[i])} n'est "
                        f"pas l'une de {', '.join(CONFIDENCE_LEVELS)}")
    if "unit" in cols:
        units = set(reference["unit"].dropna().astype(str))
        u = df["unit"]
        for i in np.flatnonzero((u.notna() & ~u.astype(str).isin(units)).to_numpy()):
            problems.append(f"ligne {_line(int(i))}, colonne unit : unité {_show(u.iloc[i])} "
                            f"inconnue dans cette table (unités attendues : "
                            f"{', '.join(sorted(units))}) ; convertissez la valeur")
    seen: dict[tuple[str, ...], int] = {}
    for row, key in enumerate(_key_tuples(df, spec.keys)):
        if key in seen:
            problems.append(f"ligne {_line(row)} : clé en double ({_key_text(spec.keys, key)}), "
                            f"déjà ligne {_line(seen[key])}")
        else:
            seen[key] = row
    if problems:
        _fail(name, path, problems, "Corrigez ces lignes : une ligne par clé "
              f"({', '.join(spec.keys)}), des nombres finis, la provenance (source, source_year, "
              "confidence) et l'unité de la table embarquée.")


def _read(path: Path, name: str, reference: pd.DataFrame | None) -> pd.DataFrame:
    """Read a factor CSV; columns that are text in the shipped table stay text."""
    if reference is None:
        return data.read_csv(path)
    text = {c: str for c in reference.columns
            if not _is_number_dtype(reference[c]) and not pd.api.types.is_bool_dtype(reference[c])}
    df = data.read_csv(path, dtype=text)
    return df


def _conform(name: str, df: pd.DataFrame, path: Path | str,
             reference: pd.DataFrame) -> pd.DataFrame:
    """Columns in the shipped order and dtypes (numbers as numbers, true/false as booleans)."""
    out = {}
    for c in reference.columns:
        s = df[c] if c in df.columns else pd.Series(np.nan, index=df.index)
        ref = reference[c]
        if _is_number_dtype(ref):
            s = pd.to_numeric(s)
            if pd.api.types.is_integer_dtype(ref) and s.notna().all() and (s % 1 == 0).all():
                s = s.astype(ref.dtype)
        elif pd.api.types.is_bool_dtype(ref):
            if not pd.api.types.is_bool_dtype(s):
                words = {"true": True, "vrai": True, "1": True,
                         "false": False, "faux": False, "0": False}
                low = s.astype(object).map(lambda v: str(v).strip().lower())
                bad = ~low.isin(list(words))
                if bad.any():
                    i = int(np.flatnonzero(bad.to_numpy())[0])
                    _fail(name, path, [f"ligne {_line(i)}, colonne {c} : {_show(s.iloc[i])} n'est "
                                       "pas un booléen"], "Écrivez True ou False.")
                s = low.map(words).astype(bool)
        else:
            s = s.astype(ref.dtype)
        out[c] = s
    return pd.DataFrame(out, index=df.index)


_Fn = TypeVar("_Fn", bound=Callable[..., Any])


@dataclass(frozen=True, eq=False)
class FactorSet:
    """The factor tables of a run, by name (see :data:`TABLES`), validated on load.

    Do not mutate the tables; derive a new set with :meth:`amend` or :meth:`replace`.
    """

    name: str
    tables: Mapping[str, pd.DataFrame]
    #: French descriptions of the changes to the shipped tables, in order.
    changes: tuple[str, ...] = ()
    _memo: dict = field(default_factory=dict, repr=False, compare=False)

    # ------------------------------------------------------------------ constructors
    @classmethod
    def default(cls) -> FactorSet:
        """The shipped tables of ``factors/`` (loaded and validated once per process)."""
        global _DEFAULT
        if _DEFAULT is None:
            with _DEFAULT_LOCK:
                if _DEFAULT is None:
                    tables = {}
                    for name in TABLES:
                        path = data.data_path("factors", f"{name}.csv")
                        df = _read(path, name, None)
                        _check_table(name, df, path, df)
                        tables[name] = df
                    _DEFAULT = cls(DEFAULT_NAME, MappingProxyType(tables))
        return _DEFAULT

    @classmethod
    def from_dir(cls, path: str | Path, *, name: str | None = None) -> FactorSet:
        """A complete set from a folder holding one ``<table>.csv`` per table of ``factors/``
        (a copy of the shipped folder, edited). Every table is validated."""
        folder = Path(path)
        if not folder.is_dir():
            raise FactorError(f"dossier de facteurs '{folder}' introuvable ; donnez un dossier qui "
                              "contient une copie des tables de factors/.")
        base = cls.default()
        missing = [n for n in TABLES if not (folder / f"{n}.csv").is_file()]
        if missing:
            raise FactorError(
                f"dossier de facteurs '{folder}' incomplet : table(s) {', '.join(missing)} "
                "absente(s). Copiez le dossier factors/ embarqué avant de le modifier, ou gardez "
                "les tables embarquées et changez quelques lignes avec FactorSet.default().amend()."
            )
        unknown = sorted(p.name for p in folder.glob("*.csv")
                         if p.stem not in TABLES and p.name not in REFERENCE_FILES)
        if unknown:
            raise FactorError(
                f"dossier de facteurs '{folder}' : fichier(s) {', '.join(unknown)} inconnu(s) ; "
                f"les tables attendues sont {', '.join(f'{n}.csv' for n in TABLES)}."
            )
        tables = {}
        for n in TABLES:
            file = folder / f"{n}.csv"
            df = _read(file, n, base.tables[n])
            _check_table(n, df, file, base.tables[n])
            tables[n] = _conform(n, df, file, base.tables[n])
        return cls(name or f"tables de {folder}", MappingProxyType(tables),
                   (f"toutes les tables lues dans {folder}",))

    def replace(self, table: str, csv: str | Path, *, name: str | None = None) -> FactorSet:
        """A new set where the whole table ``table`` is read from ``csv`` (validated)."""
        ref = self._reference(table)
        path = Path(csv)
        df = _read(path, table, ref)
        _check_table(table, df, path, ref)
        df = _conform(table, df, path, ref)
        return self._with(table, df, f"{table} remplacée par {path}", name)

    def amend(self, table: str, csv: str | Path, *, name: str | None = None) -> FactorSet:
        """A new set where the rows of ``csv`` replace the rows of ``table`` with the same key
        (same unit required) and rows with a new key are added (validated like the shipped
        tables)."""
        ref = self._reference(table)
        path = Path(csv)
        df = _read(path, table, ref)
        _check_table(table, df, path, ref)
        df = _conform(table, df, path, ref)
        base = self.tables[table]
        keys = TABLES[table].keys
        position = {k: i for i, k in enumerate(_key_tuples(base, keys))}
        order = []
        problems = []
        replaced = added = 0
        for i, key in enumerate(_key_tuples(df, keys)):
            if key in position:
                j = position[key]
                replaced += 1
                order.append(j)
                if "unit" in base.columns and str(base["unit"].iloc[j]) != str(df["unit"].iloc[i]):
                    problems.append(
                        f"ligne {_line(i)} : unité {_show(df['unit'].iloc[i])} au lieu de "
                        f"{_show(base['unit'].iloc[j])} pour {_key_text(keys, key)} ; convertissez "
                        "la valeur dans l'unité de la table")
            else:
                added += 1
                order.append(len(base) + i)
        if problems:
            _fail(table, path, problems, "Une ligne qui remplace une ligne embarquée garde son "
                  "unité.")
        replaced_at = {position[k] for k in _key_tuples(df, keys) if k in position}
        kept_at = [j for j in range(len(base)) if j not in replaced_at]
        merged = pd.concat([base.iloc[kept_at].assign(_order=kept_at), df.assign(_order=order)],
                           ignore_index=True)
        merged = merged.sort_values("_order", kind="stable").drop(columns="_order")
        merged = _conform(table, merged.reset_index(drop=True), path, ref)
        return self._with(table, merged, f"{table} amendée par {path} ({replaced} ligne(s) "
                                         f"remplacée(s), {added} ajoutée(s))", name)

    # ------------------------------------------------------------------ access
    def table(self, name: str) -> pd.DataFrame:
        """The table ``name`` (do not mutate it)."""
        try:
            return self.tables[name]
        except KeyError:
            raise FactorError(f"table de facteurs inconnue « {name} » ; tables connues : "
                              f"{', '.join(sorted(self.tables))}.") from None

    @cached_property
    def sha256(self) -> str:
        """SHA-256 of the tables' content (name, then CSV text, in name order)."""
        h = hashlib.sha256()
        for n in sorted(self.tables):
            h.update(f"{n}\n".encode())
            h.update(self.tables[n].to_csv(index=False, lineterminator="\n").encode())
        return h.hexdigest()

    def fingerprint(self) -> dict[str, Any]:
        """``{"name", "sha256", "changes"}`` to record with the outputs of a run."""
        return {"name": self.name, "sha256": self.sha256, "changes": list(self.changes)}

    # ------------------------------------------------------------------ helpers
    def _reference(self, table: str) -> pd.DataFrame:
        if table not in TABLES:
            raise FactorError(f"table de facteurs inconnue « {table} » ; tables connues : "
                              f"{', '.join(TABLES)}.")
        return FactorSet.default().tables[table]

    def _with(self, table: str, df: pd.DataFrame, change: str, name: str | None) -> FactorSet:
        tables = dict(self.tables)
        tables[table] = df
        if name is None:
            name = AMENDED_NAME if self.name == DEFAULT_NAME else self.name
        return FactorSet(name, MappingProxyType(tables), (*self.changes, change))


_DEFAULT: FactorSet | None = None
_DEFAULT_LOCK = threading.Lock()
_ACTIVE: contextvars.ContextVar[FactorSet | None] = contextvars.ContextVar(
    "espass_geo_factor_set", default=None)


def active_factor_set() -> FactorSet:
    """The factor set of the current context (the shipped one unless :func:`use_factors`)."""
    return _ACTIVE.get() or FactorSet.default()


@contextmanager
def use_factors(factors: FactorSet | str | Path | None) -> Iterator[FactorSet]:
    """Use ``factors`` (a :class:`FactorSet`, or a folder for :meth:`FactorSet.from_dir`) for
    every factor look-up inside the block, in this context only; ``None`` keeps the active
    set."""
    if factors is None:
        yield active_factor_set()
        return
    if isinstance(factors, str | Path):
        factors = FactorSet.from_dir(factors)
    if not isinstance(factors, FactorSet):
        raise TypeError(f"factors doit être un FactorSet ou un dossier, pas {type(factors)!r}")
    token = _ACTIVE.set(factors)
    try:
        yield factors
    finally:
        _ACTIVE.reset(token)


def factor_set_fingerprint() -> dict[str, Any]:
    """Name, SHA-256 and changes of the active factor set (for manifests and run notes)."""
    return active_factor_set().fingerprint()


def factor_cache(func: _Fn) -> _Fn:
    """Like :func:`functools.cache`, but one cache per factor set: a value derived from the
    factor tables is recomputed when another set is active (arguments must be hashable)."""

    @functools.wraps(func)
    def wrapper(*args, **kwargs):
        memo = active_factor_set()._memo
        key = (func, args, tuple(sorted(kwargs.items())))
        try:
            return memo[key]
        except KeyError:
            pass
        value = func(*args, **kwargs)
        memo[key] = value
        return value

    return wrapper  # type: ignore[return-value]


def load_factor_set(factors: FactorSet | str | Path | None) -> FactorSet | None:
    """The factor set of a run: a :class:`FactorSet` as it is, ``None`` (the active set), or a
    folder of factor CSVs: a complete copy of ``factors/`` (:meth:`FactorSet.from_dir`) or only
    the tables to change, each amending the shipped table (:meth:`FactorSet.amend`: rows with
    a shipped key replace it, new keys are added)."""
    if factors is None or isinstance(factors, FactorSet):
        return factors
    if not isinstance(factors, str | Path):
        raise FactorError(f"factors doit être un FactorSet ou un dossier, pas {type(factors)!r}")
    folder = Path(factors)
    if not folder.is_dir():
        raise FactorError(f"dossier de facteurs '{folder}' introuvable ; donnez un dossier qui "
                          "contient des tables de factors/ (toutes, ou celles à modifier).")
    present = [n for n in TABLES if (folder / f"{n}.csv").is_file()]
    if len(present) == len(TABLES):
        return FactorSet.from_dir(folder)
    unknown = sorted(p.name for p in folder.glob("*.csv") if p.stem not in TABLES)
    if unknown or not present:
        raise FactorError(
            f"dossier de facteurs '{folder}' : "
            + (f"fichier(s) {', '.join(unknown)} inconnu(s)" if unknown else "aucune table")
            + f" ; les tables attendues sont {', '.join(f'{n}.csv' for n in TABLES)}.")
    fs = FactorSet.default()
    for n in present:
        fs = fs.amend(n, folder / f"{n}.csv", name=f"tables embarquées modifiées par {folder}")
    return fs
