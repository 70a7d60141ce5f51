"""Building blocks of the bad-input suite.

A :class:`Case` builds its input files in an empty folder (``tmp``), returns the ``espass-geo``
arguments, and says what must happen:

* ``expect="error"``: exit status 2, a French message (``Erreur``) matching every ``match``
  pattern, no traceback, and **nothing written or changed** in ``tmp`` (every file that existed
  before the run has the same bytes after it, no new file or folder appears);
* ``expect="ok"``: exit status 0 and every ``match`` pattern in the output (the CLI prints the
  package's warnings there too, prefixed « Avertissement : », also under pytest).

``check(tmp, result)`` adds case-specific assertions (e.g. the literal hostile text is in the
published HTML). Helpers below write the small inputs most cases need: two 8 ha box zones on a
4×4 raster of 1 ha pixels (the test fixtures of ``tests/conftest.py``).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import geopandas as gpd
import numpy as np
import rasterio
from rasterio.transform import from_origin
from shapely.geometry import box

X0, Y0, RES = 700000.0, 6600400.0, 100.0

#: 4×4 raster, 1 ha pixels; 0 = no-data (2 pixels, both in zone B).
TINY = np.array([[211, 211, 231, 231],
                 [211, 211, 311, 311],
                 [112, 112, 311, 0],
                 [112, 112, 311, 0]], dtype="uint16")


@dataclass
class Case:
    id: str
    build: Callable[[Path], list[str]]
    expect: Literal["error", "ok"] = "error"
    match: tuple[str, ...] = ()
    check: Callable[[Path, Any], None] | None = None
    marks: tuple = field(default_factory=tuple)


def write_raster(path: Path, array: np.ndarray, *, crs: str | None = "EPSG:2154",
                 nodata: float | None = 0, res: float = RES, x0: float = X0, y0: float = Y0,
                 count: int = 1) -> Path:
    with rasterio.open(path, "w", driver="GTiff", width=array.shape[-1],
                       height=array.shape[-2], count=count, dtype=array.dtype, crs=crs,
                       transform=from_origin(x0, y0, res, res), nodata=nodata) as dst:
        for band in range(1, count + 1):
            dst.write(array if array.ndim == 2 else array[band - 1], band)
    return path


def zones_gdf(names: tuple[str, str] = ("Zone A", "Zone B"),
              ids: tuple[str, str] = ("A", "B")) -> gpd.GeoDataFrame:
    """Zones A (left half, 8 ha) and B (right half, 8 ha) of the tiny raster, EPSG:2154."""
    return gpd.GeoDataFrame(
        {"zone_id": list(ids), "zone_name": list(names)},
        geometry=[box(X0, Y0 - 400, X0 + 200, Y0), box(X0 + 200, Y0 - 400, X0 + 400, Y0)],
        crs="EPSG:2154")


def write_zones(tmp: Path, name: str = "zones.geojson", **kwargs: Any) -> Path:
    path = tmp / name
    zones_gdf(**kwargs).to_file(path, engine="pyogrio")
    return path


def tiny_raster(tmp: Path, name: str = "occupation.tif") -> Path:
    return write_raster(tmp / name, TINY)


def stocks_args(tmp: Path, *extra: str, zones: Path | None = None,
                raster: Path | None = None) -> list[str]:
    """``stocks`` on the two box zones and the tiny raster, into ``tmp/out``."""
    zones = zones or write_zones(tmp)
    args = ["stocks", "--territory", str(zones), "--zpc", "2_1", "--out", str(tmp / "out")]
    if raster is not False:
        args += ["--landcover", str(raster or tiny_raster(tmp))]
    return args + list(extra)


def snapshot(root: Path) -> dict[str, bytes | None]:
    """Every path below ``root`` with its bytes (``None`` for folders)."""
    out: dict[str, bytes | None] = {}
    for p in sorted(root.rglob("*")):
        rel = str(p.relative_to(root))
        out[rel] = None if p.is_dir() else p.read_bytes()
    return out
