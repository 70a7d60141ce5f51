"""Raster blocks computed on a thread pool and consumed in order.

GDAL reads and most numpy work release the GIL, so the blocks of a window are computed on
threads while the calling thread consumes them in order (writes them to one dataset, sums
them): :func:`ordered_blocks` keeps at most a few blocks in flight (memory of a few blocks
whatever the raster's size), :class:`ThreadDatasets` gives each thread its own rasterio handles
(a dataset is not shared across threads).
"""

from __future__ import annotations

import os
import threading
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any, TypeVar

T = TypeVar("T")
R = TypeVar("R")


def default_workers() -> int:
    return min(4, os.cpu_count() or 1)


def ordered_blocks(fn: Callable[[T], R], jobs: Iterable[T], *, workers: int | None = None,
                   per_worker: int = 2) -> Iterator[R]:
    """``fn(job)`` for each job, in the jobs' order, computed on ``workers`` threads with at
    most ``per_worker × workers`` results in flight. Closing the iterator early cancels the
    jobs not started and waits for the running ones."""
    n = workers or default_workers()
    pending: list = []
    with ThreadPoolExecutor(n) as pool:
        try:
            for job in jobs:
                pending.append(pool.submit(fn, job))
                if len(pending) >= per_worker * n:
                    yield pending.pop(0).result()
            while pending:
                yield pending.pop(0).result()
        finally:
            for f in pending:
                f.cancel()


class ThreadDatasets:
    """Rasterio datasets opened once per thread (``get()`` → a tuple, one per name), all
    closed by :meth:`close` (or the ``with`` block)."""

    def __init__(self, *names: str) -> None:
        self._names = names
        self._local = threading.local()
        self._opened: list[Any] = []
        self._lock = threading.Lock()

    def get(self) -> tuple:
        import rasterio

        if not hasattr(self._local, "ds"):
            self._local.ds = tuple(rasterio.open(n) for n in self._names)
            with self._lock:
                self._opened.extend(self._local.ds)
        return self._local.ds

    def close(self) -> None:
        for ds in self._opened:
            ds.close()

    def __enter__(self) -> ThreadDatasets:
        return self

    def __exit__(self, *exc) -> None:
        self.close()


#: Creation options of the intermediate tiled GeoTIFFs written block by block (density, change
#: grid, pair raster): fast ZSTD, sparse (tiles never written read as no-data), threaded.
STAGING_PROFILE: dict[str, Any] = {"driver": "GTiff", "tiled": True, "blockxsize": 512,
                                   "blockysize": 512, "compress": "zstd", "zstd_level": 1,
                                   "bigtiff": "YES", "sparse_ok": True,
                                   "num_threads": "ALL_CPUS"}


def open_staging(path, *, width: int, height: int, count: int, dtype: str, nodata, crs,
                 transform, tile: int = 512):
    """A tiled GeoTIFF opened for writing block by block with :data:`STAGING_PROFILE`."""
    import rasterio

    return rasterio.open(path, "w", **{**STAGING_PROFILE, "blockxsize": tile,
                                       "blockysize": tile}, width=width, height=height,
                         count=count, dtype=dtype, nodata=nodata, crs=crs, transform=transform)
