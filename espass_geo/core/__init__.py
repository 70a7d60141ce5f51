"""The computing core: pure functions, DataFrames and arrays in and out (no file I/O)."""
