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



# ------------------------------------------------------------------ the sources annex (#15)
#: ``confidence`` of a factor table row → how the report words it (share of the values).
_CONFIDENCE_SHARE_FR: dict[str, str] = {
    "primary": "reprises telles quelles de la source",
    "secondary": "reprises d'une publication qui cite la source",
    "derived": "adaptées ou calculées par espass_geo à partir de la source",
    "unverified": "à confirmer",
}
#: ``confidence`` of a source row without factor table → one French sentence.
_CONFIDENCE_ROW_FR: dict[str, str] = {
    "primary": "Donnée de référence publiée par le producteur.",
    "secondary": "Valeurs reprises d'une publication qui cite la source.",
    "derived": "Valeurs adaptées par espass_geo à partir de la source.",
    "unverified": "Donnée publique ; conditions de réutilisation à confirmer auprès du "
                  "producteur.",
}


def confidence_summary(tables: Iterable[str], row_confidence: str = "") -> str:
    """One French sentence on the reliability of a source: the shares of the values of its
    factor tables by ``confidence`` (« 90 % des valeurs reprises telles quelles de la source,
    10 % à confirmer. »), else the sentence of the source row's own ``confidence``.

    >>> confidence_summary([], "primary")
    'Donnée de référence publiée par le producteur.'
    """
    from espass_geo.present.fmt import fmt_percent
    from espass_geo.reference import data

    counts: dict[str, int] = {}
    for name in tables:
        try:
            t = data.factor_table(name)
        except Exception:  # noqa: BLE001 - a table a user's factor set lacks: no summary
            continue
        if "confidence" not in t.columns:
            continue
        for c in t["confidence"].astype(str).str.strip():
            counts[c] = counts.get(c, 0) + 1
    total = sum(counts.values())
    if not total:
        return _CONFIDENCE_ROW_FR.get(row_confidence.strip(), "")
    parts = []
    for key, words in _CONFIDENCE_SHARE_FR.items():
        n = counts.get(key, 0)
        if n:
            share = fmt_percent(n / total, 0)
            if n / total < 0.005:
                share = "moins de 1\u00a0%"
            parts.append((n, f"{share} {words}"))
    if len(parts) == 1:
        return f"Toutes les valeurs utilisées sont {parts[0][1].split(' ', 1)[1]}."
    text = ", ".join(p for _, p in parts)
    return f"Valeurs utilisées : {text}."


def _used(when: str, themes: set[str], params: dict[str, Any], extra_ids: set[str]) -> bool:
    when = when.strip()
    if when in ("", "toujours"):
        return True
    if when == "emissions":
        return any(t.startswith("emissions") for t in themes)
    if when in ("stocks", "flux_carbone", "polluants", "scenario"):
        return when in themes
    if when == "zan":
        return "zan" in extra_ids or bool(params.get("consumption"))
    if when == "parcels":
        return bool(params.get("parcels"))
    if when == "forest":
        return bool(params.get("forest"))
    return True


def report_sources(themes: Iterable[str], params: dict[str, Any] | None = None,
                   extra_ids: Iterable[str] = ()) -> list[dict[str, str]]:
    """The data sources of a bilan for the report's annex, from ``factors/sources_rapport.csv``
    (the active factor set): the rows whose ``utilise_si`` matches the bilan (its ``themes``,
    its run ``params`` — parcels, BD Forêt, ZAN — and its extra parts ``extra_ids``).

    Each: ``{"id", "nom", "producteur", "millesime", "licence", "url", "note", "confiance"}``
    (French text; ``url`` as text, no link needed; ``confiance`` from
    :func:`confidence_summary`).
    """
    from espass_geo.reference import data

    table = data.factor_table("sources_rapport")
    themes = {str(t) for t in themes}
    params = dict(params or {})
    extra = {str(x) for x in extra_ids}
    out = []
    for rec in table.fillna("").astype(str).to_dict("records"):
        if not _used(rec.get("utilise_si", ""), themes, params, extra):
            continue
        tables = rec.get("tables", "").split()
        out.append({"id": rec["id"], "nom": rec["nom"], "producteur": rec["producteur"],
                    "millesime": rec["millesime"], "licence": rec["licence"],
                    "url": rec.get("url", ""), "note": rec.get("note_fr", ""),
                    "confiance": confidence_summary(tables, rec.get("confidence", ""))})
    return out
