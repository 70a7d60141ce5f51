"""Territories: zones from codes, EPCI, départements or files, and their attributes."""

from espass_geo.territory.resolve import Territory, resolve_territory

__all__ = ["Territory", "resolve_territory"]
