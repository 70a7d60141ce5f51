"""The bilan table the report reads: its columns and themes, validation, territory rows and
the figures of the synthesis.
"""

from __future__ import annotations

import pandas as pd

from espass_geo.core.bilan_table import BILAN_COLUMNS, THEMES
from espass_geo.core.bilan_table import TOTAL as TOTAL_ZONE  # zone_id of the territory totals

__all__ = ["BILAN_COLUMNS", "THEMES", "TOTAL_ZONE", "ghg_rows", "synthesis_figures",
           "territory_rows", "validate_bilan", "zone_order"]


def validate_bilan(bilan: pd.DataFrame) -> pd.DataFrame:
    """Check the columns of a bilan table; return it with clean dtypes (a copy).

    ``zone_id``, ``theme``, ``category``, ``item`` as strings, ``value`` as float, ``estimate``
    as bool. Raises ``TypeError``/``ValueError`` naming what is wrong.
    """
    if not isinstance(bilan, pd.DataFrame):
        raise TypeError(f"bilan must be a pandas DataFrame, got {type(bilan).__name__}")
    missing = [c for c in ("zone_id", "theme", "category", "item", "value", "unit")
               if c not in bilan.columns]
    if missing:
        raise ValueError(f"bilan: missing column(s) {missing}; expected {list(BILAN_COLUMNS)} "
                         "(one row per value, see espass_geo.present.report).")
    b = bilan.copy()
    for col in ("zone_id", "theme", "category", "item", "unit"):
        b[col] = b[col].astype(str)
    if "zone_name" not in b.columns:
        b["zone_name"] = b["zone_id"]
    b["zone_name"] = b["zone_name"].where(b["zone_name"].notna(), b["zone_id"]).astype(str)
    b["value"] = pd.to_numeric(b["value"], errors="raise").astype(float)
    if "estimate" not in b.columns:
        b["estimate"] = False
    b["estimate"] = b["estimate"].fillna(False).astype(bool)
    for col in ("sign_convention", "source", "method"):
        if col not in b.columns:
            b[col] = ""
        b[col] = b[col].fillna("").astype(str)
    return b


def ghg_rows(df: pd.DataFrame) -> pd.DataFrame:
    """GHG rows of an emissions theme: ``item == "GES"`` if present, else the tCO2e rows."""
    if (df["item"] == "GES").any():
        return df[df["item"] == "GES"]
    return df[df["unit"].str.startswith("tCO2e")]


def territory_rows(bilan: pd.DataFrame, theme: str) -> pd.DataFrame:
    """Territory rows of one theme: the ``TOTAL`` rows, else the zones summed.

    Returns ``category, item, value, unit, estimate`` (one row per category × item).
    """
    t = bilan[bilan["theme"] == theme]
    total = t[t["zone_id"] == TOTAL_ZONE]
    src = total if len(total) else t
    if src.empty:
        return pd.DataFrame(columns=["category", "item", "value", "unit", "estimate"])
    est = src["estimate"] if "estimate" in src.columns else pd.Series(False, index=src.index)
    src = src.assign(estimate=est.fillna(False).astype(bool))
    out = (src.groupby(["category", "item"], sort=False, as_index=False)
           .agg(value=("value", "sum"), unit=("unit", "first"), estimate=("estimate", "any")))
    return out


def zone_order(bilan: pd.DataFrame) -> list[tuple[str, str]]:
    z = bilan[bilan["zone_id"] != TOTAL_ZONE][["zone_id", "zone_name"]].drop_duplicates("zone_id")
    return [(str(a), str(b)) for a, b in zip(z["zone_id"], z["zone_name"], strict=True)]


def _sum_or_none(values: pd.Series) -> float | None:
    return float(values.sum()) if len(values) else None


def synthesis_figures(bilan: pd.DataFrame) -> dict[str, float | None]:
    """Territory figures of the synthesis (tCO2e/an, tC), ``None`` when the theme is absent.

    * ``consumption``: consumption-based GHG, sum of the ESPASS posts except
      ``utilisation_terres`` (emission convention);
    * ``sequestration``: net carbon flow of soils and biomass (``flux_carbone``; ALDO convention,
      + = séquestration); without it, minus the ``utilisation_terres`` post;
    * ``net``: ``consumption − sequestration`` (+ = the territory emits more than it stores);
    * ``direct``: direct GHG of the PCAET sectors; ``stock``: carbon stock (tC).

    >>> import pandas as pd
    >>> b = pd.DataFrame({"zone_id": "TOTAL", "theme": ["emissions_poste", "flux_carbone"],
    ...                   "category": ["alimentation", "forest_growth"], "item": ["GES", "soil"],
    ...                   "value": [400_000.0, 50_000.0], "unit": ["tCO2e/an", "tCO2e/an"]})
    >>> synthesis_figures(validate_bilan(b))["net"]
    350000.0
    """
    posts = ghg_rows(territory_rows(bilan, "emissions_poste"))
    land_post = posts[posts["category"] == "utilisation_terres"]
    posts = posts[posts["category"] != "utilisation_terres"]
    consumption = _sum_or_none(posts["value"])
    flows = territory_rows(bilan, "flux_carbone")
    if len(flows):
        sequestration: float | None = float(flows["value"].sum())
    elif len(land_post):
        sequestration = -float(land_post["value"].sum())
    else:
        sequestration = None
    net = None
    if consumption is not None:
        net = consumption - (sequestration or 0.0)
    direct = _sum_or_none(ghg_rows(territory_rows(bilan, "emissions_secteur"))["value"])
    stock = _sum_or_none(territory_rows(bilan, "stocks")["value"])
    return {"consumption": consumption, "sequestration": sequestration, "net": net,
            "direct": direct, "stock": stock}


