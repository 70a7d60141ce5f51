"""Runs that join the core: inputs resolved once, results complete, then written."""
