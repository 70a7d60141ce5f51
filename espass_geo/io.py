"""File output helpers: atomic output directories and GeoPackage layers (CSV: exports.py)."""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import geopandas as gpd

from .errors import OutputError


@contextmanager
def atomic_output_dir(out_dir: str | Path) -> Iterator[Path]:
    """Yield a temporary directory; on success move its files into ``out_dir``.

    On any error the temporary directory is removed and ``out_dir`` is left as it was: no
    partial output. Files already in ``out_dir`` with other names are kept.
    """
    out_dir = Path(out_dir)
    parent = out_dir.resolve().parent
    try:
        parent.mkdir(parents=True, exist_ok=True)
        tmp = Path(tempfile.mkdtemp(prefix=f".{out_dir.name}.tmp-", dir=parent))
    except OSError as exc:
        raise OutputError(
            f"output directory '{out_dir}' cannot be created ({exc.strerror}); choose a writable "
            "folder with --out."
        ) from exc
    try:
        yield tmp
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    try:
        out_dir.mkdir(parents=True, exist_ok=True)
        for item in sorted(tmp.iterdir()):
            target = out_dir / item.name
            if target.is_dir() and not target.is_symlink():
                shutil.rmtree(target)
            os.replace(item, target)
    except OSError as exc:
        raise OutputError(
            f"cannot move results into '{out_dir}' ({exc.strerror}); choose a writable folder."
        ) from exc
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def write_gpkg_layer(gdf: gpd.GeoDataFrame, path: Path, layer: str) -> Path:
    gdf.to_file(path, layer=layer, driver="GPKG", engine="pyogrio")
    return path
