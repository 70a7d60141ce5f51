"""Presentation: maps, charts, report, exports and French formatting."""
