"""The net balance of the territory as a waterfall (bilan_cascade), from the bilan table.
"""

from __future__ import annotations

import os
from pathlib import Path

import matplotlib
import numpy as np
import pandas as pd
from matplotlib.patches import Patch

from espass_geo.core.bilan_table import TOTAL
from espass_geo.present.charts.base import (
    RC,
    footnote,
    french_formatter,
    new_figure,
    no_data,
    ordered,
    require,
    save,
)
from espass_geo.present.fmt import KILO_THRESHOLD_T, fmt_number
from espass_geo.present.vocabulary import CAUSE_LABELS_FR, POST_LABELS_FR

__all__ = ["WATERFALL_SIGN_FR", "bilan_waterfall", "waterfall_steps"]

WATERFALL_EMISSION_COLOR: str = "#c8553d"
WATERFALL_SINK_COLOR: str = "#1b7837"
WATERFALL_NET_COLOR: str = "#1d4e89"
WATERFALL_XLABEL_FR: str = "ktCO₂e/an"  # the unit from 10 000 t on (else tCO₂e/an)
#: The sign convention of the chart: the report's (emissions +, sequestration −).
WATERFALL_SIGN_FR: str = "positif = émission, négatif = séquestration"


def _bilan_territory(bilan: pd.DataFrame, theme: str) -> pd.DataFrame:
    """``category, value, estimate`` of one theme for the territory: the ``TOTAL`` rows, else
    the zones summed; emissions themes keep the GHG rows (``item == "GES"`` if present)."""
    t = bilan[bilan["theme"].astype(str) == theme]
    total = t[t["zone_id"].astype(str) == TOTAL]
    t = total if len(total) else t
    if theme.startswith("emissions") and len(t):
        item = t["item"].astype(str)
        t = t[item == "GES"] if (item == "GES").any() else t[
            t["unit"].astype(str).str.startswith("tCO2e")]
    est = (t["estimate"].fillna(False).astype(bool) if "estimate" in t.columns
           else pd.Series(False, index=t.index))
    d = pd.DataFrame({"category": t["category"].astype(str),
                      "value": pd.to_numeric(t["value"], errors="coerce"), "estimate": est})
    return d.groupby("category", sort=False, as_index=False).agg(
        value=("value", lambda s: s.sum(min_count=1)), estimate=("estimate", "any")).dropna(
        subset=["value"])


def waterfall_steps(bilan: pd.DataFrame) -> tuple[list[tuple[str, float, str]], bool, int]:
    """The bars of the waterfall in the report's convention (emission +, sequestration −).

    Returns ``[(label, tCO2e/an, kind)]`` (kind: emission | sink | net; the last is the net
    balance), the estimate flag and the number of post steps (the carbon-flow steps follow).

    >>> b = pd.DataFrame({"zone_id": "TOTAL", "theme": ["emissions_poste", "flux_carbone"],
    ...                   "category": ["alimentation", "forest_growth"], "item": ["GES", "x"],
    ...                   "value": [100.0, 30.0], "unit": "tCO2e/an"})
    >>> [(v, k) for _, v, k in waterfall_steps(b)[0]]
    [(100.0, 'emission'), (-30.0, 'sink'), (70.0, 'net')]
    """
    posts = _bilan_territory(bilan, "emissions_poste")
    land_post = posts[posts["category"] == "utilisation_terres"]
    posts = posts[posts["category"] != "utilisation_terres"]
    flows = _bilan_territory(bilan, "flux_carbone")
    steps: list[tuple[str, float, str]] = []
    by_post = posts.set_index("category")["value"]
    for post in ordered(list(by_post.index), POST_LABELS_FR):
        v = float(by_post[post])
        steps.append((POST_LABELS_FR.get(post, post), v, "emission" if v >= 0 else "sink"))
    n_posts = len(steps)
    if len(flows):
        by_cause = flows.set_index("category")["value"]
        for cause in ordered(list(by_cause.index), CAUSE_LABELS_FR):
            v = -float(by_cause[cause])  # ALDO: + = séquestration → reduces the balance
            steps.append((CAUSE_LABELS_FR.get(cause, cause), v,
                          "sink" if v < 0 else "emission"))
    elif len(land_post):
        v = float(land_post["value"].sum())  # already in the emission convention
        steps.append((POST_LABELS_FR.get("utilisation_terres", "Utilisation des terres"), v,
                      "sink" if v < 0 else "emission"))
    if steps:
        steps.append(("Bilan net", float(sum(s[1] for s in steps)), "net"))
    estimate = bool(pd.concat([posts, flows, land_post])["estimate"].any()) if steps else False
    return steps, estimate, n_posts


def _bar_text(value: float, decimals: int) -> str:
    """The label of a bar: the chart's decimals, more for a small non-zero bar (never a
    « 0 » that is not a zero: 0,068 kt → « 0,07 »)."""
    text = fmt_number(value, decimals)
    d = decimals
    while value != 0 and text.lstrip("\u2212").strip("0,") == "" and d < 4:
        d += 1
        text = fmt_number(value, d)
    return text


def bilan_waterfall(bilan: pd.DataFrame, out_dir: str | os.PathLike[str], *,
                    title: str) -> dict[str, Path]:
    """Write ``bilan_cascade`` (PNG 1200 × 700 px at 150 dpi, and SVG): the territory's net
    balance as a waterfall, in ktCO₂e/an (tCO₂e/an when every bar stays under 10 000 t).

    The consumption emissions of the ESPASS posts (``emissions_poste`` without
    ``utilisation_terres``) rise as positive bars; then the carbon flows of soils and biomass
    (``flux_carbone``, one bar per cause, sign flipped: a sequestration is a negative bar that
    lowers the balance; without flows, the ``utilisation_terres`` post); the last bar is the
    net balance (emission convention: positive = the territory emits more than it stores).
    Territory rows (``zone_id == "TOTAL"``) are used, else the zones are summed.

    Worked example: posts 300 + 100 ktCO₂e/an, forest growth +60 (séquestration) and land-use
    change −10 (emission) in the ALDO convention → bars +300, +100, −60, +10, net 350.

    Returns
    -------
    dict
        ``{"bilan_cascade.png": Path, "bilan_cascade.svg": Path}``.
    """
    require(bilan, ("zone_id", "theme", "category", "item", "value", "unit"), "bilan",
             "the tidy bilan table of espass_geo.present.report")
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    steps, estimate, n_posts = waterfall_steps(bilan)

    with matplotlib.rc_context(RC):
        fig, axes = new_figure()
        ax = axes[0, 0]
        if not steps:
            no_data(ax, "Ni émissions de consommation ni flux de carbone dans le bilan")
        else:
            # horizontal waterfall: the French labels stay readable on one line each
            running_ends = np.cumsum([v for _, v, k in steps if k != "net"])
            biggest = max([abs(v) for _, v, _ in steps] + [abs(float(x)) for x in running_ends])
            scale = 1000.0 if biggest >= KILO_THRESHOLD_T else 1.0
            unit = "ktCO₂e/an" if scale == 1000.0 else "tCO₂e/an"
            kt = [v / scale for _, v, _ in steps]
            top = max(abs(v) for v in kt) or 1.0
            decimals = 0 if top >= 100 else 1 if top >= 10 else 2
            colors = {"emission": WATERFALL_EMISSION_COLOR, "sink": WATERFALL_SINK_COLOR,
                      "net": WATERFALL_NET_COLOR}
            y = np.arange(len(steps), dtype=float)[::-1]
            ends = np.cumsum(kt[:-1])
            lo_x = min(float(ends.min()), kt[-1], 0.0)
            hi_x = max(float(ends.max()), kt[-1], 0.0)
            span = max(hi_x - lo_x, 1e-9)
            pad = 0.01 * span
            running = 0.0
            height = 0.62
            for i, ((_label, _v, kind), value) in enumerate(zip(steps, kt, strict=True)):
                start = 0.0 if kind == "net" else running
                ax.barh(y[i], value, left=start, height=height, color=colors[kind],
                        edgecolor="white", linewidth=0.6, zorder=3)
                end = start + value
                text = _bar_text(value, decimals)
                if kind != "net" and value > 0 and text.strip("0,") != "":
                    text = "+" + text
                right = value >= 0
                ax.text(max(start, end) + pad if right else min(start, end) - pad, y[i], text,
                        ha="left" if right else "right", va="center", fontsize=8,
                        fontweight="bold" if kind == "net" else "normal", color="#222222",
                        zorder=4)
                if kind != "net":
                    running = end
                    if i + 1 < len(steps):  # connector to the next bar
                        ax.plot([running, running], [y[i] - height / 2, y[i + 1] + height / 2],
                                color="#8a8a8a", linewidth=0.7, linestyle=(0, (2, 2)),
                                zorder=2)
            ax.axhline(y[-1] + 0.5, color="#bbbbbb", linewidth=0.8, zorder=1)
            ax.axvline(0.0, color="#222222", linewidth=0.8, zorder=1.5)
            ax.set_yticks(y, [label for label, _, _ in steps])
            for tick, (_, _, kind) in zip(ax.get_yticklabels(), steps, strict=True):
                if kind == "net":
                    tick.set_fontweight("bold")
            ax.tick_params(axis="y", length=0)
            ax.grid(axis="y", visible=False)
            ax.xaxis.set_major_formatter(french_formatter())
            ax.set_xlabel(unit)
            n_land = sum(1 for _, _, k in steps[:-1]) - n_posts
            if n_land > 0 and n_posts > 0:  # the carbon-flow rows, on a light green band
                y_top = y[n_posts] + 0.5
                ax.axhspan(y[-1] + 0.5, y_top, color="#eef6ee", zorder=0.5, linewidth=0)
                ax.text(0.008, y_top - 0.08, "Carbone des sols et forêts", ha="left",
                        va="top", fontsize=7.5, style="italic", color="#1b7837",
                        transform=ax.get_yaxis_transform(), zorder=4)
            ax.set_xlim(lo_x - (0.1 * span if lo_x < 0 else 0.0), hi_x + 0.1 * span)
            ax.set_ylim(-0.6, len(steps) - 0.4)
            handles = [Patch(facecolor=colors["emission"], label="Émission : s'ajoute au bilan"),
                       Patch(facecolor=colors["sink"],
                             label="Séquestration : se retranche du bilan"),
                       Patch(facecolor=colors["net"], label="Bilan net")]
            ax.legend(handles=handles, loc="upper right", frameon=True, framealpha=0.95)
        ax.set_title(f"{unit if steps else 'ktCO₂e/an'} — {WATERFALL_SIGN_FR}", loc="left",
                     fontsize=9)
        fig.suptitle(f"{title}\nBilan net : émissions de consommation − séquestration des sols "
                     "et forêts", fontsize=11, fontweight="bold")
        footnote(fig, ["Postes ESPASS : empreinte de consommation des habitants. Carbone des sols "
                        "et de la biomasse (méthode ALDO) : une séquestration",
                        "est comptée en négatif, elle réduit le bilan ; une perte de carbone "
                        "(artificialisation, retournement de prairies) l'augmente."],
                  estimate=estimate)
    return save(fig, out, "bilan_cascade")
