"""The static map of the synthesis: a PNG of the bilan's zones (no tile, no network), so that
the report and its PDF show the territory on their first page.

The layer is the first one of the interactive map that the zones carry: carbon stock density
(``density_tC_ha``), else the net carbon flow per hectare (``flux_tCO2e_ha_an``, shown in the
report's convention: sequestration negative), else the direct emissions per inhabitant
(``ges_direct_hab_tCO2e``). Five classes of equal counts (quantiles), a French legend
(:mod:`espass_geo.present.fmt`), the territory's outline. No zone name is drawn (a name is
user data; it stays in the interactive map).
"""

from __future__ import annotations

import io
import math
from typing import Any

import numpy as np

from espass_geo.present.fmt import fmt_number

__all__ = ["MAP_LAYERS_FR", "synthesis_map_png"]

#: column → (title, unit, colormap, sign): the candidates, in order.
MAP_LAYERS_FR: tuple[tuple[str, str, str, str, float], ...] = (
    ("density_tC_ha", "Carbone stocké dans les sols et la biomasse", "tC/ha", "YlGn", 1.0),
    ("flux_tCO2e_ha_an", "Flux des sols et forêts (négatif = séquestration)", "tCO₂e/ha/an",
     "RdYlGn_r", -1.0),
    ("ges_direct_hab_tCO2e", "Émissions directes par habitant", "tCO₂e/hab/an", "OrRd", 1.0),
)


def _decimals(values: np.ndarray) -> int:
    top = float(np.nanmax(np.abs(values))) if values.size else 0.0
    return 0 if top >= 100 else 1 if top >= 10 else 2


def synthesis_map_png(zones: Any, *, width_cm: float = 16.0,
                      height_cm: float = 8.0) -> tuple[bytes, str] | None:
    """``(png bytes, caption)`` of the synthesis map, or None (no geometry, no layer).

    ``zones``: a GeoDataFrame of the bilan's zones (any CRS; Lambert-93 in the package).
    """
    try:
        import geopandas as gpd
    except ImportError:  # pragma: no cover - geopandas is a dependency
        return None
    if not isinstance(zones, gpd.GeoDataFrame) or zones.empty:
        return None
    layer = next(((c, t, u, cm, s) for c, t, u, cm, s in MAP_LAYERS_FR if c in zones.columns
                  and np.isfinite(np.asarray(zones[c], dtype=float)).any()), None)
    if layer is None:
        return None
    col, title, unit, cmap_name, sign = layer
    import matplotlib
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure
    from matplotlib.patches import Patch

    from espass_geo.present.charts.base import RC

    z = zones[zones.geometry.notna() & ~zones.geometry.is_empty].copy()
    values = np.asarray(z[col], dtype=float) * sign
    finite = values[np.isfinite(values)]
    edges = np.unique(np.quantile(finite, np.linspace(0, 1, 6)))
    if len(edges) < 2:
        edges = np.array([finite.min(), finite.max() + (1e-9 if finite.max() == 0 else
                                                         abs(finite.max()) * 1e-9)])
    n = len(edges) - 1
    cmap = matplotlib.colormaps[cmap_name].resampled(max(n, 2))
    colors = [matplotlib.colors.to_hex(cmap(i / max(n - 1, 1))) for i in range(n)]
    idx = np.clip(np.searchsorted(edges, values, side="right") - 1, 0, n - 1)
    face = [colors[i] if math.isfinite(v) else "#dddddd" for i, v in zip(idx, values,
                                                                           strict=True)]
    d = _decimals(edges)
    with matplotlib.rc_context(RC):
        fig = Figure(figsize=(width_cm / 2.54, height_cm / 2.54), dpi=150, layout="constrained")
        FigureCanvasAgg(fig)
        ax = fig.add_subplot(1, 1, 1)
        z.plot(ax=ax, color=face, edgecolor="#ffffff", linewidth=0.3)
        try:
            outline = z.geometry.union_all()
        except AttributeError:  # pragma: no cover - older shapely/geopandas
            outline = z.geometry.unary_union
        gpd.GeoSeries([outline], crs=z.crs).boundary.plot(ax=ax, color="#1f2933",
                                                           linewidth=0.8)
        ax.set_axis_off()
        ax.set_aspect("equal")
        handles = [Patch(facecolor=colors[i], edgecolor="#888888", linewidth=0.4,
                         label=f"{fmt_number(edges[i], d)} à {fmt_number(edges[i + 1], d)}")
                   for i in range(n)]
        if not np.isfinite(values).all():
            handles.append(Patch(facecolor="#dddddd", edgecolor="#888888", linewidth=0.4,
                                 label="sans donnée"))
        ax.legend(handles=handles, title=unit, loc="center left", bbox_to_anchor=(1.0, 0.5),
                  frameon=False, fontsize=7.5, title_fontsize=8)
        ax.set_title(f"{title} ({unit}), par zone", loc="left", fontsize=9)
        buf = io.BytesIO()
        fig.savefig(buf, format="png", dpi=150, metadata={"Software": None},
                    bbox_inches="tight", pad_inches=0.04)
    caption = (f"{title}, par zone ({len(z)} zone{'s' if len(z) > 1 else ''}) ; classes "
               "d'effectifs égaux. Carte interactive : index.html.")
    return buf.getvalue(), caption
