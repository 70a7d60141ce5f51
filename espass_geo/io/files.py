"""The one atomic file writer of espass_geo.

:func:`atomic_write` writes a file in one step: the content goes to a temporary file of the
target's folder, which is then moved over the target with :func:`os.replace`. A failed or
killed run never leaves a truncated file: the target holds its old content or the new one,
and the temporary file is removed on error. Every file espass_geo writes outside an output
folder being built (exports, example ``bilan.toml``, manifests) goes through it.
"""

from __future__ import annotations

import os
import secrets
from collections.abc import Callable
from pathlib import Path
from typing import Any

from espass_geo.errors import OutputError, os_reason


def atomic_write(path: str | os.PathLike[str], data: str | bytes | Callable[[Path], Any], *,
                 encoding: str = "utf-8", newline: str | None = None,
                 mode: int | None = None, mkdir: bool = True, fsync: bool = False,
                 tmp_name: str | None = None, os_errors: bool = False) -> Path:
    """Write ``data`` to ``path`` atomically and return ``path``.

    ``data``: a text (written with ``encoding`` and ``newline``), bytes, or a function that
    writes the temporary path it is given (``wb.save``, ``lambda p: df.to_csv(p)``…).

    The file gets the usual permissions (``0o666`` less the umask) unless ``mode`` is given.
    ``mkdir``: create the missing parent folders. ``fsync``: flush to disk before the move.
    ``tmp_name``: name of the temporary file (default ``.<stem>.<pid>.<token>.tmp<suffix>``,
    the suffix kept for writers that read it). An :class:`OSError` is raised as an
    :class:`~espass_geo.errors.OutputError` in French, unless ``os_errors`` (the caller
    names the failure itself).
    """
    target = Path(path)
    name = tmp_name or f".{target.stem}.{os.getpid()}.{secrets.token_hex(4)}.tmp{target.suffix}"
    tmp = target.with_name(name)
    try:
        if mkdir:
            target.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666)
    except OSError as exc:
        if os_errors:
            raise
        raise OutputError(f"le fichier « {target} » ne peut pas être écrit ({os_reason(exc)}) : "
                          "choisissez un dossier où vous pouvez écrire.") from exc
    try:
        if callable(data):
            os.close(fd)
            data(tmp)
            if fsync:
                fd = os.open(tmp, os.O_RDONLY)
                try:
                    os.fsync(fd)
                finally:
                    os.close(fd)
        else:
            binary = isinstance(data, bytes)
            with (open(fd, "wb") if binary
                  else open(fd, "w", encoding=encoding, newline=newline)) as f:
                f.write(data)
                if fsync:
                    f.flush()
                    os.fsync(f.fileno())
        if mode is not None:
            os.chmod(tmp, mode)
        os.replace(tmp, target)
    except OSError as exc:
        tmp.unlink(missing_ok=True)
        if os_errors:
            raise
        raise OutputError(f"le fichier « {target} » ne peut pas être écrit ({os_reason(exc)}) : "
                          "vérifiez qu'il n'est pas ouvert dans un autre programme (Excel le "
                          "verrouille) et que vous pouvez écrire dans son dossier.") from exc
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    return target


def within(path: Path, folder: Path) -> bool:
    """``path`` is ``folder`` or lies below it (both resolved by the caller)."""
    return path == folder or folder in path.parents
