"""Embedded reference data and factor sets."""
