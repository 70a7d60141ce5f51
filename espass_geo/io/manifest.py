"""The manifest of an output folder: the files a run wrote (size, SHA-256), command and date.

Every output folder written by espass_geo holds :data:`MANIFEST_NAME`; a folder is replaced or
merged only with files its manifest lists (:mod:`espass_geo.io.outputs`).
"""

from __future__ import annotations

import contextvars
import datetime as _dt
import hashlib
import json
import os
import secrets
import shlex
import sys
from pathlib import Path

from espass_geo.io.files import atomic_write

#: Name of the manifest written in every output folder.
MANIFEST_NAME = ".espass_geo_manifest.json"
#: Start of the names espass_geo gives its own entries (lock, temporary folders and files).
RESERVED_PREFIX = ".espass_geo-"
#: Start of the name of a manifest being written (removed by the next run if left behind).
WRITE_PREFIX = RESERVED_PREFIX + "write."

#: The command line recorded in the manifest (set by the CLI).
RUN_COMMAND: contextvars.ContextVar[str | None] = contextvars.ContextVar("espass_geo_command",
                                                                          default=None)


def file_sha256(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def list_tree(root: Path) -> tuple[list[str], list[str]]:
    """Files (symlinks included) and folders below ``root``, relative POSIX paths.

    Skips the manifest and the top-level ``.espass_geo-*`` entries (lock, temporary folders).
    """
    files: list[str] = []
    dirs: list[str] = []

    def rec(d: Path, rel: str) -> None:
        for p in sorted(d.iterdir(), key=lambda q: q.name):
            r = f"{rel}{p.name}"
            if not rel and (p.name == MANIFEST_NAME or p.name.startswith(RESERVED_PREFIX)):
                continue
            if p.is_dir() and not p.is_symlink():
                dirs.append(r)
                rec(p, r + "/")
            else:
                files.append(r)

    rec(root, "")
    return files, dirs


def _valid_rel(rel: object) -> bool:
    if not isinstance(rel, str) or not rel or "\\" in rel or rel.startswith("/"):
        return False
    parts = rel.split("/")
    return all(p not in ("", ".", "..") for p in parts) and ":" not in parts[0]


def read_manifest(folder: str | Path) -> dict | None:
    """The manifest of an output folder (``files``: path → size, sha256), or None."""
    path = Path(folder) / MANIFEST_NAME
    try:
        doc = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError, UnicodeDecodeError):
        return None
    if not isinstance(doc, dict) or not isinstance(doc.get("files"), dict):
        return None
    files = {k: v for k, v in doc["files"].items() if _valid_rel(k) and isinstance(v, dict)}
    if len(files) != len(doc["files"]):
        return None
    doc["files"] = files
    return doc


def unchanged(path: Path, entry: dict) -> bool:
    try:
        if path.is_symlink() or not path.is_file() or path.stat().st_size != entry.get("size"):
            return False
        return file_sha256(path) == entry.get("sha256")
    except OSError:
        return False


def default_command() -> str:
    cmd = RUN_COMMAND.get()
    if cmd:
        return cmd
    return "python " + shlex.join(sys.argv) if sys.argv and sys.argv[0] else "python (API)"


def manifest_doc(files: dict[str, dict], command: str, complete: bool = True) -> str:
    from espass_geo import __version__
    from espass_geo.reference.factor_set import factor_set_fingerprint

    doc = {"espass_geo_manifest": 1, "complete": complete, "version": __version__,
           "command": command,
           # the factor set of the run (written inside use_factors(result.factors))
           "factors": factor_set_fingerprint(),
           "date": _dt.datetime.now(_dt.UTC).replace(microsecond=0).isoformat(),
           "files": dict(sorted(files.items()))}
    return json.dumps(doc, ensure_ascii=False, indent=1) + "\n"


def write_manifest(path: Path, files: dict[str, dict], command: str,
                   complete: bool = True) -> None:
    """Write the manifest ``path`` atomically (an :class:`OSError` is the caller's to name)."""
    atomic_write(path, manifest_doc(files, command, complete), mkdir=False, fsync=True,
                 tmp_name=f"{WRITE_PREFIX}{os.getpid()}.{secrets.token_hex(4)}.{path.name}",
                 os_errors=True)
