"""A first few cases (the rest are in the other ``cases_*`` modules)."""

from __future__ import annotations

from .common import TINY, Case, stocks_args, write_raster

CASES = [
    Case("stocks-ok", lambda tmp: stocks_args(tmp), "ok", (r"stock total",)),
    Case("stocks-missing-raster",
         lambda tmp: stocks_args(tmp, raster=tmp / "absent.tif"), "error", (r"absent\.tif",)),
    Case("stocks-float-raster",
         lambda tmp: stocks_args(tmp, raster=write_raster(tmp / "f.tif", TINY.astype("float32"))),
         "error", (r"f\.tif",)),
]
