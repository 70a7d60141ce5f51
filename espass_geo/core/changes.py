"""Change tables: hectares from land-cover class A to class B between two dates, per zone.

A change table is an area table with a "from" and a "to" code:
``zone_id, from_code, to_code, area_ha`` (hectares over the whole period, CLC level-3 codes as
strings). Pure functions only: the tables are read from CSV by
:mod:`espass_geo.io.change_tables` (long, or ALDO's wide CLC 2012→2018 tables per EPCI and per
commune) and built from two land-cover rasters by :mod:`espass_geo.io.change_rasters`.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from espass_geo.errors import AreaTableError
from espass_geo.present.fmt import fmt_area_ha

CHANGE_COLUMNS = ["zone_id", "from_code", "to_code", "area_ha"]
PAIR = _PAIR = 100_000  # combined code = from × 100 000 + to (codes < 100 000)


@dataclass
class ChangeTable:
    """A change table (over ``years``) plus notes and, for rasters, the zone summary."""

    table: pd.DataFrame
    years: float
    date_from: int | None = None
    date_to: int | None = None
    summary: pd.DataFrame | None = None
    notes: list[str] = field(default_factory=list)

    @property
    def changed(self) -> pd.DataFrame:
        return self.table[self.table["from_code"] != self.table["to_code"]]

    def margins(self) -> tuple[pd.DataFrame, pd.DataFrame]:
        """Area tables at the first and second date (``zone_id, code, area_ha``)."""
        t = self.table
        before = t.groupby(["zone_id", "from_code"], as_index=False)["area_ha"].sum().rename(
            columns={"from_code": "code"})
        after = t.groupby(["zone_id", "to_code"], as_index=False)["area_ha"].sum().rename(
            columns={"to_code": "code"})
        return before, after


def check_dates(date_from: int, date_to: int) -> float:
    """Years between two dates; refuses reversed or equal dates."""
    try:
        y0, y1 = int(date_from), int(date_to)
    except (TypeError, ValueError):
        raise AreaTableError(f"les dates doivent être des années comme 2012 2018, pas "
                             f"{date_from!r} {date_to!r}.") from None
    if y1 == y0:
        raise AreaTableError(f"les deux dates sont égales ({y0}) ; donnez les années des deux "
                             "cartes d'occupation du sol, par ex. --years 2012 2018.")
    if y1 < y0:
        raise AreaTableError(f"dates inversées ({y0} → {y1}) : donnez d'abord l'année la plus "
                             f"ancienne, --years {y1} {y0}, et les rasters dans le même ordre.")
    return float(y1 - y0)


#: Compact pair multiplier when every code is below it (CLC, extension codes, most products):
#: pair codes then stay below 2²⁰, which the hybrid engine indexes with a bincount table
#: instead of sorting every pixel (``hybrid_areas._small_codes``).
SMALL_PAIR = 1024


def _distinct(values: np.ndarray) -> set[int]:
    """Distinct values, by a bincount for small non-negative integers (no sort)."""
    if values.size == 0:
        return set()
    if values.min() >= 0 and values.max() < 1 << 16:
        return set(np.flatnonzero(np.bincount(values)).tolist())
    return set(np.unique(values).tolist())


def pair_codes(a: np.ndarray, b: np.ndarray, nodata_from=None, nodata_to=None, *,
               multiplier: int = _PAIR) -> tuple[np.ndarray, set[int], set[int]]:
    """Combine two blocks of codes into pair codes ``from × multiplier + to`` (uint32, 0 where
    either date is no-data), with the codes met at each date. Codes must be below
    ``multiplier`` (:data:`SMALL_PAIR` when they all are, else the default 100 000)."""
    valid = np.ones(a.shape, bool)
    if nodata_from is not None:
        valid &= a != nodata_from
    if nodata_to is not None:
        valid &= b != nodata_to
    codes_from = _distinct(a[valid])
    codes_to = _distinct(b[valid])
    return np.where(valid, a * multiplier + b, 0).astype("uint32"), codes_from, codes_to


def split_pairs(areas: pd.DataFrame, *, multiplier: int = _PAIR) -> pd.DataFrame:
    """An area table of pair codes (``zone_id, code, area_ha``) as a change table."""
    pair = areas["code"].astype(np.int64)
    return pd.DataFrame({"zone_id": areas["zone_id"],
                         "from_code": (pair // multiplier).astype(str),
                         "to_code": (pair % multiplier).astype(str),
                         "area_ha": areas["area_ha"]})


def check_changes_within_zones(changes: pd.DataFrame, zone_area_ha: pd.Series, path) -> None:
    """Refuse a change table whose changed area exceeds the zone area."""
    changed = changes[changes["from_code"] != changes["to_code"]].groupby("zone_id")[
        "area_ha"].sum()
    area = zone_area_ha.reindex(changed.index)
    bad = changed[(area.notna()) & (changed > area * 1.005)]
    if len(bad):
        z = bad.index[0]
        raise AreaTableError(
            f"table de changements « {path} » : {fmt_area_ha(bad.iloc[0])} changés dans la zone "
            f"{z}, plus que sa surface ({fmt_area_ha(area[z])}) ; vérifiez l'unité (ha sur la "
            "période), "
            "les doublons et les codes de zone."
        )
