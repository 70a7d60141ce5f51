"""Territories: zones from codes, EPCI, départements or files, and their attributes."""
