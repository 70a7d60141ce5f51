"""Locks of output folders: one run at a time writes into a folder.

A lock file (``.espass_geo-lock.<name>``) beside the target folder (inside it for the working
folder or when its parent cannot be written) is held with ``flock`` (Windows: a file created
exclusively that holds the process id). A lock taken for a whole command
(:func:`espass_geo.io.outputs.hold_output_lock`) is registered with :func:`hold` so that the
output folder written by the same process uses it.
"""

from __future__ import annotations

import os
import threading
from pathlib import Path

from espass_geo.errors import OutputError
from espass_geo.io.files import within
from espass_geo.io.manifest import RESERVED_PREFIX

LOCK_PREFIX = RESERVED_PREFIX + "lock."

_HELD_GUARD = threading.Lock()


def pid_alive(pid: int) -> bool:
    if pid <= 0:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except (PermissionError, OSError):
        return True
    return True


class Lock:
    def __init__(self, path: Path, fd: int):
        self.path, self.fd = path, fd

    def release(self) -> None:
        try:
            self.path.unlink()  # while still holding the lock: the next run creates a new one
        except OSError:
            pass
        try:
            os.close(self.fd)
        except OSError:
            pass


def busy_error(target: Path, lock: Path) -> OutputError:
    return OutputError(
        f"un autre calcul espass_geo écrit déjà dans le dossier « {target} » (verrou "
        f"« {lock} ») : attendez qu'il se termine, ou choisissez un autre dossier avec --out.")


class HeldLock:
    """The lock of a folder this process already holds (:func:`~espass_geo.io.outputs.hold_output_lock`)."""

    def release(self) -> None:
        pass


#: Locks held for a whole command (lock path → lock), see :func:`~espass_geo.io.outputs.hold_output_lock`.
_HELD: dict[Path, Lock] = {}


def acquire_lock(path: Path, target: Path) -> Lock | HeldLock:
    with _HELD_GUARD:
        if path in _HELD:
            return HeldLock()
    try:
        import fcntl
    except ImportError:  # pragma: no cover - Windows
        fcntl = None
    for _ in range(50):
        if fcntl is not None:
            fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except OSError:
                os.close(fd)
                raise busy_error(target, path) from None
            try:
                same = os.stat(path).st_ino == os.fstat(fd).st_ino
            except FileNotFoundError:
                same = False
            if not same:  # the previous holder removed it meanwhile: take the new one
                os.close(fd)
                continue
        else:  # pragma: no cover - Windows: O_EXCL file holding the pid
            try:
                fd = os.open(path, os.O_RDWR | os.O_CREAT | os.O_EXCL, 0o644)
            except FileExistsError:
                try:
                    pid = int(path.read_text(encoding="ascii").strip() or 0)
                except (OSError, ValueError):
                    pid = 0
                if pid and pid_alive(pid):
                    raise busy_error(target, path) from None
                path.unlink(missing_ok=True)
                continue
        os.ftruncate(fd, 0)
        os.write(fd, f"{os.getpid()}\n".encode("ascii"))
        return Lock(path, fd)
    raise busy_error(target, path)  # pragma: no cover


def hold(path: Path, lock: Lock) -> None:
    """Register ``lock`` (of lock file ``path``) as held for the whole command."""
    with _HELD_GUARD:
        _HELD[path] = lock


def unhold(path: Path) -> None:
    with _HELD_GUARD:
        _HELD.pop(path, None)


def lock_path(target: Path) -> Path:
    """Where the lock of ``target`` lives (beside it; inside it for the working folder)."""
    inner = target.exists() and (within(Path.cwd().resolve(), target)
                                 or not os.access(target.parent, os.W_OK))
    return (target if inner else target.parent) / f"{LOCK_PREFIX}{target.name}"
