"""Sources of the factor tables used by a run (the report's footer and the workbook)."""

from __future__ import annotations

import math
from collections.abc import Iterable
from typing import Any


def year_text(v: Any) -> str:
    if v is None or (isinstance(v, float) and math.isnan(v)):
        return ""
    if isinstance(v, float) and v.is_integer():
        return str(int(v))
    return str(v).strip()


def collect_sources(names: Iterable[str]) -> list[dict[str, str]]:
    """Sources of the factor tables ``factors/<name>.csv`` used by a run.

    One dict per distinct (``source``, ``source_year``, ``confidence``) of each table, in order:
    ``{"name": <table>, "source": ..., "year": ..., "confidence": ...}``. A table without a
    ``source_year`` or ``confidence`` column gives empty strings there.

    >>> collect_sources(["aldo_litter"])[0]["name"]
    'aldo_litter'
    """
    from espass_geo.reference import data

    out: list[dict[str, str]] = []
    for name in dict.fromkeys(str(n) for n in names):
        table = data.factor_table(name)
        if "source" not in table.columns:
            out.append({"name": name, "source": "(source non renseignée)", "year": "",
                        "confidence": ""})
            continue
        cols = [c for c in ("source", "source_year", "confidence") if c in table.columns]
        seen: set[tuple[str, str, str]] = set()
        for rec in table[cols].to_dict("records"):
            key = (str(rec.get("source") or "").strip(), year_text(rec.get("source_year")),
                   str(rec.get("confidence") or "").strip()
                   if not (isinstance(rec.get("confidence"), float)
                           and math.isnan(rec["confidence"])) else "")
            if key in seen or not key[0] or key[0] == "nan":
                continue
            seen.add(key)
            out.append({"name": name, "source": key[0], "year": key[1], "confidence": key[2]})
    return out

