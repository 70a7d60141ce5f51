"""``espass-geo app``: a local web application over the bilan (issue #16).

A planner picks a territory, drops files (validated with the command line's readers and
messages), draws a scenario on the map (saved as the TOML + GeoJSON the command line reads),
runs ``espass-geo bilan`` with its progress, browses the result and exports it as a zip.
:func:`espass_geo.app.server.create_app` builds the Flask application; sessions and runs are in
:mod:`espass_geo.app.sessions`, upload validation in :mod:`espass_geo.app.validate`.
"""

from __future__ import annotations


def create_app(*args, **kwargs):
    """:func:`espass_geo.app.server.create_app` (Flask imported only when called)."""
    from espass_geo.app.server import create_app as _create_app

    return _create_app(*args, **kwargs)


__all__ = ["create_app"]
