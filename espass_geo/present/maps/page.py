"""What every thematic map shares: the page (title, notes, sources, view), zone labels,
required columns, and the French formatting of signed values for the tooltips."""

from __future__ import annotations

import html as _html
import os
import re
from collections.abc import Callable, Iterable, Sequence
from typing import Any

import folium
import geopandas as gpd
import numpy as np
import pandas as pd
from branca.element import Figure

from espass_geo.present.charts import (
    ESTIMATE_NOTE_FR,
)
from espass_geo.present.fmt import fmt_area_ha, fmt_interval_t, fmt_mass_t, fmt_quantity
from espass_geo.present.maps.background import add_background
from espass_geo.present.maps.base import (
    _HtmlControl,
    make_map,
    save_map,
)
from espass_geo.present.maps.safe import (
    _LiteralElement,
)

DEFAULT_SOURCES_FR: str = (
    "Limites communales : IGN Admin Express COG 2018 ; facteurs : ADEME ALDO ; "
    "parcelles : RPG (IGN/ASP)"
)
_SOURCES_NO_PARCELS_FR: str = (
    "Limites communales : IGN Admin Express COG 2018 ; facteurs : ADEME ALDO"
)


#: A line of a tooltip: column of the values, key of their French text, label, formatter.
TooltipField = tuple[str, str, str, Callable[[Any], str]]


def add_fields(z: gpd.GeoDataFrame, tooltip: list[tuple[str, str]],
               fields: Iterable[TooltipField], *, numeric: bool = False) -> None:
    """Add to ``z`` the French text of each field whose column is present, and its line to
    ``tooltip``, in order (required columns are checked beforehand by :func:`_require`).
    ``numeric``: values read as numbers first (a text becomes NaN, written "–"). The key of
    each column's text is recorded in ``z.attrs["fr_keys"]`` (column → key, see
    :func:`fr_keys`)."""
    known = z.attrs.setdefault("fr_keys", {})
    for col, key, label, fmt in fields:
        if col in z.columns:
            values = pd.to_numeric(z[col], errors="coerce") if numeric else z[col]
            z[key] = [fmt(v) for v in values]
            tooltip.append((key, label))
            known[col] = key


def fr_keys(z: pd.DataFrame) -> dict[str, str]:
    """Column → key of its French text, for the columns added by :func:`add_fields` (read it
    right after, on the same frame)."""
    return dict(z.attrs.get("fr_keys", {}))


def first_varying(z: pd.DataFrame, columns: Sequence[str]) -> int:
    """Index in ``columns`` of the first column of ``z`` whose finite values are not all
    equal (relative tolerance 1e-9), 0 when none varies: the layer a map opens on."""
    for k, col in enumerate(columns):
        values = pd.to_numeric(z[col], errors="coerce").astype("float64")
        finite = values[np.isfinite(values)]
        if len(finite) > 1 and float(finite.max() - finite.min()) > 1e-9 * max(
                1.0, float(finite.abs().max())):
            return k
    return 0


#: Lines of a compact tooltip: the zone's name and four key figures (issue #15: the full list
#: of 27 lines hid the map; it is in the popup opened by a click).
TOOLTIP_MAX_LINES: int = 5


def compact_tooltip(tooltip: Sequence[tuple[str, str]], keys: Iterable[str | None], *,
                    limit: int = TOOLTIP_MAX_LINES) -> list[tuple[str, str]]:
    """The first line of ``tooltip`` (the zone's name) then its lines whose key is in
    ``keys``, in the order of ``keys`` (absent or None keys skipped, no line twice), at most
    ``limit`` lines."""
    labels = dict(tooltip)
    order = [tooltip[0][0], *(k for k in keys if k)] if tooltip else []
    return [(k, labels[k]) for k in dict.fromkeys(order) if k in labels][:limit]


#: Tooltip label of a 90 % interval line (issue #13 item 4).
INTERVAL_LABEL_FR: str = "Intervalle à 90\u00a0%"


def add_interval_field(z: gpd.GeoDataFrame, tooltip: list[tuple[str, str]], col: str,
                       after: str, unit: str, *, signed: bool = False) -> None:
    """When ``z`` has ``{col}_p05`` and ``{col}_p95``, add their French text
    (« 1 234 – 1 567 tC », :func:`~espass_geo.present.fmt.fmt_interval_t`) as the tooltip line
    « Intervalle à 90 % » right after the line of key ``after`` (at the end without it)."""
    lo, hi = f"{col}_p05", f"{col}_p95"
    if lo not in z.columns or hi not in z.columns:
        return
    key = f"{col}_interval_fr"
    z[key] = [fmt_interval_t(a, b, unit, signed=signed) for a, b in zip(
        pd.to_numeric(z[lo], errors="coerce"), pd.to_numeric(z[hi], errors="coerce"),
        strict=True)]
    keys = [k for k, _ in tooltip]
    pos = keys.index(after) + 1 if after in keys else len(tooltip)
    tooltip.insert(pos, (key, INTERVAL_LABEL_FR))


def _zone_base_fr(zones: gpd.GeoDataFrame, zone_label: str) -> tuple[gpd.GeoDataFrame,
                                                                     list[tuple[str, str]]]:
    """Copy of ``zones`` with the name, code and area tooltip columns (shared by the maps)."""
    z = zones.copy()
    z["zone_name_fr"] = z["zone_name"].astype("string")
    z["zone_id_fr"] = z["zone_id"].astype("string")
    z["area_fr"] = [fmt_area_ha(v) for v in z["area_ha"]]
    return z, [("zone_name_fr", zone_label), ("zone_id_fr", "Code"), ("area_fr", "Surface")]


_INSEE_RE = re.compile(r"^(\d{2}|2[AB])\d{3}$")
_SIREN_RE = re.compile(r"^\d{9}$")


def _infer_zone_label(zone_ids: pd.Series) -> str:
    """ "Commune" if every id is an INSEE code, "EPCI" if every id is a SIREN, else "Zone"."""
    ids = zone_ids.astype("string").fillna("")
    if ids.str.match(_INSEE_RE).all():
        return "Commune"
    if ids.str.match(_SIREN_RE).all():
        return "EPCI"
    return "Zone"


def _per_zone(zone_label: str) -> str:
    """ "par commune", "par EPCI", "par secteur"… (acronyms keep their capitals)."""
    label = zone_label if zone_label.isupper() else zone_label.lower()
    return f"par {label}"


def _require(gdf: gpd.GeoDataFrame, columns: Iterable[str], what: str) -> None:
    missing = [c for c in columns if c not in gdf.columns]
    if missing:
        raise KeyError(f"{what}: missing column(s) {missing}; expected at least {list(columns)} "
                       "(e.g. from espass_geo.core.stocks.zone_totals joined to the zone geometries).")


def _title_html(title: str, subtitle: str | None) -> str:
    sub = f"<p>{_html.escape(subtitle)}</p>" if subtitle else ""
    return (f'<div class="espass-title-wrap"><div class="espass-box espass-title">'
            f'<h1>{_html.escape(title)}</h1>{sub}</div></div>')


_SOURCES_PREFIXES = ("Sources", "Source :", "Limites communales")


#: Notes of a run meant for its author, not for the readers of a published map (they stay in
#: the run's LISEZ-MOI and logs): a shipped data file's ignored columns, etc.
INTERNAL_NOTE_PREFIXES: tuple[str, ...] = (
    "Colonnes ignorées dans",                  # io/change_tables: a shipped file's extra columns
    "Colonnes pluriannuelles ignorées",        # io: the Cerema file's multi-year columns
    "Fichier de consommation d'espaces au format du Cerema :",  # how the file was read
)
#: A parenthesis that only points to a file of the package (« (factors/zan_parameters.csv) »,
#: « (voir landcover/README.md) »): developer material, left out of a public map.
_REPO_PATH_RE = re.compile(r"\s*\((?:voir\s+)?(?:factors|landcover|boundaries|inventory|docs|"
                           r"benchmarks)/[^()]*\)")
#: « 1539 commune(s) demandée(s) » → « 1539 communes demandées » (« 1 commune demandée »).
_HEDGED_PLURAL_RE = re.compile(r"(\d[\d\u202f\u00a0]*) (\w+)\(s\)(?: (\w+)\(s\))?")
#: A number written with a decimal point inside French text (« 60.7 ha/an », « 1.1 ha »): not a
#: version, a file name or a date (digits on both sides, no letter or dot glued around it).
_DECIMAL_POINT_RE = re.compile(r"(?<![\w.])(\d+)\.(\d+)(?![\w.]*\.\w)(?=[\s\u00a0\u202f)%,;:]|$)")
_ONE_PLURAL_RE = re.compile(r"\b(sur|dans|de|pour) 1 (zone|commune|parcelle|maille|action|"
                            r"période|scénario|entité)s\b")


def public_note(note: str) -> str | None:
    """The French text of a map note as its readers see it, or None for a note meant for the
    run's author (:data:`INTERNAL_NOTE_PREFIXES`): decimal points of numbers become commas
    (« 60.7 ha/an » → « 60,7 ha/an »), « sur 1 zones » becomes « sur 1 zone », « 31
    parcelle(s) » « 31 parcelles », and a parenthesis that only names a file of the package
    (« (factors/zan_parameters.csv) ») is left out."""
    text = str(note)
    if text.startswith(INTERNAL_NOTE_PREFIXES):
        return None
    text = _REPO_PATH_RE.sub("", text)
    text = _DECIMAL_POINT_RE.sub(r"\1,\2", text)
    text = _HEDGED_PLURAL_RE.sub(_plural, text)
    return _ONE_PLURAL_RE.sub(r"\1 1 \2", text)


def _plural(match: re.Match[str]) -> str:
    number, noun, adjective = match.group(1), match.group(2), match.group(3)
    digits = re.sub(r"\D", "", number)
    s = "s" if digits and int(digits) > 1 else ""
    return f"{number} {noun}{s}" + (f" {adjective}{s}" if adjective else "")


def public_notes(notes: Iterable[str]) -> list[str]:
    """:func:`public_note` of each note, internal notes left out."""
    return [t for t in (public_note(n) for n in notes) if t is not None]


def _notes_html(notes: Sequence[str], sources: str | None) -> str:
    items = "".join(f"<li>{_html.escape(n)}</li>" for n in public_notes(notes))
    ul = f"<ul>{items}</ul>" if items else ""
    if not sources:
        return ul
    return f'{ul}<div class="espass-sources">Sources : {_html.escape(sources)}</div>'


def _default_sources(notes: Sequence[str], sources: str | None, default: str) -> str | None:
    """``default`` when ``sources`` is None and no note already gives the sources."""
    if sources is None and not any(str(n).startswith(_SOURCES_PREFIXES) for n in notes):
        return default
    return sources


def _new_map(title: str, *, basemap: bool | str, prefer_canvas: bool = False,
             **kwargs: Any) -> folium.Map:
    """:func:`make_map` with the page title set (HTML-escaped); ``kwargs`` go to
    :class:`folium.Map` (e.g. ``zoom_snap``)."""
    m = make_map(basemap=basemap, prefer_canvas=prefer_canvas, **kwargs)
    root = m.get_root()
    assert isinstance(root, Figure)
    root.title = _html.escape(title)
    return m


def _finish_map(m: folium.Map, web: gpd.GeoDataFrame, *, title: str, subtitle: str | None,
                notes_html: str, html_path: str | os.PathLike[str] | None,
                padding_top_left: tuple[int, int] | None = None,
                padding_bottom_right: tuple[int, int] | None = None) -> None:
    """Notes box (bottom left), title box, view fitted on ``web`` (EPSG:4326), save.

    ``padding_top_left``/``padding_bottom_right`` (pixels ``(x, y)``): room kept for the
    boxes along the edges when fitting the view; default 20 px all around."""
    _HtmlControl(notes_html, position="bottomleft", css_class="espass-notes").add_to(m)
    add_background(m, web)
    add_print_button(m)
    m.get_root().html.add_child(_LiteralElement(_title_html(title, subtitle)),
                                name="espass_title")
    minx, miny, maxx, maxy = (float(b) for b in web.total_bounds)
    if padding_top_left is None and padding_bottom_right is None:
        m.fit_bounds([[miny, minx], [maxy, maxx]], padding=(20, 20))
    else:
        m.fit_bounds([[miny, minx], [maxy, maxx]],
                     padding_top_left=padding_top_left or (20, 20),
                     padding_bottom_right=padding_bottom_right or (20, 20))
    if html_path is not None:
        save_map(m, html_path)


#: Label and hover text of the print button (the browser's print dialog also saves a PDF).
PRINT_BUTTON_FR: str = "Imprimer / PDF"
PRINT_TITLE_FR: str = ("Imprimer la carte telle qu'affichée (légende et notes comprises), ou "
                       "l'enregistrer en PDF depuis la fenêtre d'impression")


def add_print_button(m: folium.Map) -> None:
    """A button « Imprimer / PDF » (under the zoom buttons) that opens the browser's print
    dialog (``window.print()``, offline: the dialog also saves a PDF); the print stylesheet
    of ``templates/map.css`` hides the buttons and the layer list and keeps the map, title,
    legends and notes."""
    content = (f'<button type="button" class="espass-print" onclick="window.print()" '
               f'title="{_html.escape(PRINT_TITLE_FR, quote=True)}">'
               f'{_html.escape(PRINT_BUTTON_FR)}</button>')
    _HtmlControl(content, position="topleft", css_class="espass-print-box",
                 after_zoom=True).add_to(m)


def _has_nonzero_digit(text: str) -> bool:
    return any(ch in "123456789" for ch in text)


def _signed(value: Any, text: str) -> str:
    """``text`` (formatted ``value``) with a "+" for a positive value that does not round to
    0: flows always show their sign ("+1 235", "−5 000", "0")."""
    try:
        positive = float(value) > 0
    except (TypeError, ValueError):
        return text
    return f"+{text}" if positive and _has_nonzero_digit(text) else text


def _fmt_flux(value: Any, unit: str = "tCO₂e/an") -> str:
    """Signed flow, kt from 10 000 t on (:func:`fmt_mass_t`): ``"−5 000 tCO₂e/an"``."""
    return _signed(value, fmt_mass_t(value, unit))


def _fmt_flux_ha(value: Any) -> str:
    """Signed flow per hectare: ``"+3,09 tCO₂e/ha/an"``."""
    return _signed(value, fmt_quantity(value, "tCO₂e/ha/an"))


def _estimate_html() -> str:
    return (f'<div class="espass-estimate" style="font-weight:600;color:#b2182b;'
            f'margin-bottom:3px">{_html.escape(ESTIMATE_NOTE_FR)}</div>')
