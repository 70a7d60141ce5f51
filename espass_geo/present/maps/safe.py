"""Rendering without template evaluation of data (issue #9): the page, its elements, escaping.

Every map of :mod:`espass_geo.present.maps` renders through :class:`_SafeFigure` and
:class:`_SafeMacroRender`: no string coming from a user's file is ever compiled by Jinja2, and
each is escaped for where it lands (:func:`_esc` for ``innerHTML`` text).
"""

from __future__ import annotations

import html as _html
from typing import Any, cast

import folium
from branca.element import Element, Figure, MacroElement
from folium.plugins import DualMap

#: What :func:`~espass_geo.present.maps.save_map` and the page helpers accept.
MapLike = folium.Map | DualMap

# --------------------------------------------------------------------------------------------
# Rendering without template evaluation of data (issue #9, item 1)
# --------------------------------------------------------------------------------------------
#
# branca's ``MacroElement.render`` wraps the *rendered* text of every element in
# ``Element(text)``, which compiles that text as a new Jinja2 template: a zone name
# ``{{7*7}}`` in a tooltip or in the embedded GeoJSON was evaluated (published as ``49``),
# ``{% bis`` crashed the run. Here no rendered text is ever compiled: every element of a map
# built by this module renders its macros into :class:`_LiteralElement` (text written as it
# is), the page (:class:`_SafeFigure`) turns any plain ``Element(text)`` left by folium into a
# literal before writing it, and user strings are escaped for their context (HTML text by
# :func:`_esc`, JSON inside ``<script>`` by folium's ``tojson``, which writes ``<``, ``>``,
# ``&``, ``'`` as ``\u003c``…).


def _esc(value: Any) -> str:
    """HTML text of ``value`` (``&``, ``<``, ``>`` escaped; quotes kept, as in « L'Île »): for
    strings that a browser writes with ``innerHTML`` as element text (tooltip cells, layer
    names), never into an attribute."""
    return _html.escape(str(value), quote=False)


class _LiteralElement(Element):
    """Text written into the page as it is: never compiled, never evaluated."""

    def __init__(self, text: str) -> None:
        super().__init__()
        self._name = "LiteralElement"
        self.text = str(text)

    def render(self, **kwargs: Any) -> str:
        return self.text


class _SafeMacroRender(MacroElement):
    """``MacroElement.render`` without the compilation of its output (see above).

    Mixed into the class of every element of a page by :func:`_make_safe`, so that the
    ``super().render()`` chain of folium's classes ends here rather than in branca's."""

    def render(self, **kwargs: Any) -> None:
        figure = self.get_root()
        if not isinstance(figure, Figure):
            raise TypeError("an element can only be rendered inside a page (Figure)")
        module = self._template.module.__dict__
        for part in ("header", "html", "script"):
            macro = module.get(part)
            if macro is not None:
                getattr(figure, part).add_child(_LiteralElement(str(macro(self, kwargs))),
                                                name=self.get_name())
        for element in list(self._children.values()):
            _make_safe(element).render(**kwargs)


_SAFE_CLASSES: dict[type, type] = {}


def _make_safe(element: Element) -> Element:
    """``element`` with :class:`_SafeMacroRender` mixed into its class (same instance)."""
    if isinstance(element, MacroElement) and not isinstance(element, _SafeMacroRender):
        cls = type(element)
        safe = _SAFE_CLASSES.get(cls)
        if safe is None:
            safe = type(cls.__name__, (cls, _SafeMacroRender), {"__module__": cls.__module__})
            if issubclass(cls, folium.map.Class):  # folium keys its "include" options by class
                folium.map.Class._includes[safe] = folium.map.Class._includes[cls]
            _SAFE_CLASSES[cls] = safe
        element.__class__ = safe
    return element


class _SafeFigure(Figure):
    """The page of a map: children rendered by :class:`_SafeMacroRender`, and every plain
    ``Element(text)`` of the head, body and script written literally (its source text), never
    evaluated. The page template itself is branca's (values inserted, nothing compiled)."""

    def render(self, **kwargs: Any) -> str:
        for child in list(self._children.values()):
            _make_safe(child).render(**kwargs)
        for part in (self.header, self.html, self.script):
            for name, child in list(part._children.items()):
                if type(child) is Element and child._template_str is not None:
                    literal = _LiteralElement(child._template_str)
                    literal._parent = part
                    part._children[name] = literal
        return cast(str, self._template.render(this=self, kwargs=kwargs))


def _protect(m: MapLike) -> MapLike:
    """Make the page of ``m`` render through :class:`_SafeFigure` (idempotent)."""
    root = m.get_root()
    if isinstance(root, Figure) and not isinstance(root, _SafeFigure):
        root.__class__ = _SafeFigure
    return m


class _LayerControl(folium.LayerControl):
    """folium's layer control with the layer names HTML-escaped: Leaflet writes them into the
    page with ``innerHTML`` (a scenario label ``<img onerror=…>`` would run)."""

    def render(self, **kwargs: Any) -> None:
        self.reset()
        for item in self._parent._children.values():
            if isinstance(item, folium.map.Layer) and item.control:
                target = self.overlays if item.overlay else self.base_layers
                target[_esc(item.layer_name)] = item.get_name()
        super(folium.LayerControl, self).render(**kwargs)
