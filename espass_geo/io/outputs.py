"""Safe output folders and GeoPackage layers (manifest: manifest.py, locks: locks.py).

An output folder is either **new** or **written by espass_geo**: every run leaves a manifest,
:data:`MANIFEST_NAME`, that lists each file it wrote (size, SHA-256), the command and the date.
:func:`atomic_output_dir` builds the new run in a temporary sibling folder and then

* renames it to the target when the target does not exist;
* swaps it with the target in one step when the target holds only files of its manifest
  (Linux ``renameat2(RENAME_EXCHANGE)``; elsewhere rename old → backup, new → target, remove the
  backup, and a backup left with no target by a killed run is restored by the next run), so a
  kill at any moment leaves either the old complete set or the new complete set, and a re-run
  leaves no file of the previous run behind;
* otherwise (files the manifest does not list, a folder without manifest, a file changed since
  it was written) refuses unless ``overwrite=True``; even then only files of the previous
  manifest are replaced or removed, file by file: a file espass_geo did not write is never
  touched, and an input of the run is never replaced.

A lock file next to the target refuses a second concurrent run into the same folder; the
temporary and backup folders of killed runs (named with their process id) are cleaned up by the
next run into the same parent folder.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import errno
import os
import secrets
import shutil
import sys
import threading
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path

import geopandas as gpd

from espass_geo.errors import OutputError, os_reason
from espass_geo.io.files import within
from espass_geo.io.locks import (
    LOCK_PREFIX,
    HeldLock,
    acquire_lock,
    busy_error,
    hold,
    lock_path,
    pid_alive,
    unhold,
)
from espass_geo.io.manifest import (
    MANIFEST_NAME,
    RESERVED_PREFIX,
    WRITE_PREFIX,
    default_command,
    file_sha256,
    list_tree,
    read_manifest,
    unchanged,
    write_manifest,
)

_TMP = RESERVED_PREFIX + "tmp."
_OLD = RESERVED_PREFIX + "old."

#: Temporary folders being built by this process (nested writers write straight into them).
_ACTIVE: set[Path] = set()
_ACTIVE_GUARD = threading.Lock()

#: OS errors that mean "this folder cannot be written" (not a bug).
_WRITE_ERRNOS = {errno.ENOSPC, errno.EACCES, errno.EPERM, errno.EROFS, errno.EDQUOT,
                 errno.EFBIG, errno.ENAMETOOLONG}


# --------------------------------------------------------------------------------- swap
_RENAME_EXCHANGE = 2
_AT_FDCWD = -100


def _exchange(a: Path, b: Path) -> bool:
    """Swap two paths in one step (Linux ``renameat2``); False when not available."""
    if not sys.platform.startswith("linux"):
        return False
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6", use_errno=True)
        fn = libc.renameat2
    except (OSError, AttributeError):
        return False
    fn.argtypes = [ctypes.c_int, ctypes.c_char_p, ctypes.c_int, ctypes.c_char_p, ctypes.c_uint]
    fn.restype = ctypes.c_int
    if fn(_AT_FDCWD, os.fsencode(a), _AT_FDCWD, os.fsencode(b), _RENAME_EXCHANGE) == 0:
        return True
    err = ctypes.get_errno()
    if err in (errno.ENOSYS, errno.EINVAL, errno.ENOTSUP, errno.EOPNOTSUPP, errno.EXDEV):
        return False
    raise OSError(err, os.strerror(err), str(b))


# --------------------------------------------------------------------------------- stale
def _marker(name: str, prefix: str) -> tuple[int, str] | None:
    """``(pid, target name)`` of a temporary/backup folder name, else None."""
    if not name.startswith(prefix):
        return None
    parts = name[len(prefix):].split(".", 2)
    if len(parts) != 3 or not parts[0].isdigit():
        return None
    return int(parts[0]), parts[2]


def _is_stale(path: Path, pid: int) -> bool:
    if pid == os.getpid():
        with _ACTIVE_GUARD:
            return path not in _ACTIVE
    return not pid_alive(pid)


def cleanup_stale(folder: Path) -> None:
    """Remove the temporary folders of killed runs in ``folder``; restore orphaned backups.

    A backup (``.espass_geo-old.<pid>.<token>.<name>``) whose process is gone is renamed back to
    ``<name>`` when that folder is missing (a run killed between the two renames of a swap),
    else removed (the swap completed). A temporary folder (``.espass_geo-tmp.…``) or a
    half-written manifest (``.espass_geo-write.…``) whose process is gone is removed.
    """
    try:
        entries = list(folder.iterdir())
    except OSError:
        return
    for p in entries:
        old = _marker(p.name, _OLD)
        if old is not None and _is_stale(p, old[0]) and p.is_dir() and not p.is_symlink():
            target = folder / old[1]
            try:
                if not target.exists():
                    os.rename(p, target)
                else:
                    shutil.rmtree(p)
            except OSError:
                pass
    for p in entries:
        tmp = _marker(p.name, _TMP)
        if tmp is not None and _is_stale(p, tmp[0]) and p.is_dir() and not p.is_symlink():
            shutil.rmtree(p, ignore_errors=True)
        part = _marker(p.name, WRITE_PREFIX)  # a manifest being written when the run was killed
        if part is not None and not pid_alive(part[0]) and p.is_file():
            p.unlink(missing_ok=True)


# --------------------------------------------------------------------------------- main API
def _created_parents(folder: Path) -> list[Path]:
    missing = []
    p = folder
    while not p.exists() and p != p.parent:
        missing.append(p)
        p = p.parent
    return missing


def _short(items: Iterable[str], n: int = 5) -> str:
    items = list(items)
    text = ", ".join(f"« {x} »" for x in items[:n])
    return text + (f" et {len(items) - n} autre(s)" if len(items) > n else "")


@contextmanager
def atomic_output_dir(out_dir: str | Path, *, overwrite: bool = False,
                      inputs: Iterable[object] = (), command: str | None = None
                      ) -> Iterator[Path]:
    """Yield a temporary folder; on success make it the content of ``out_dir`` safely.

    See the module documentation for the rules. ``inputs``: paths read by the run (any value
    that is not an existing file is ignored); an input inside ``out_dir`` is never replaced.
    On any error the temporary folder, the lock and the parent folders this call created are
    removed and ``out_dir`` is left as it was: no partial output.
    """
    shown = Path(out_dir)
    target = shown.resolve()
    with _ACTIVE_GUARD:
        nested = any(within(target, a) for a in _ACTIVE)
    if nested:  # a sub-folder of a run being built: the outer run commits it
        target.mkdir(parents=True, exist_ok=True)
        yield target
        return

    if target.exists() and not target.is_dir():
        raise OutputError(f"« {shown} » est un fichier, pas un dossier : choisissez un dossier "
                          "de sortie avec --out.")
    parent = target.parent
    created = _created_parents(parent)
    try:
        parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        _remove_created(created)
        raise OutputError(
            f"le dossier de sortie « {shown} » ne peut pas être créé ({os_reason(exc)}) : "
            "choisissez un dossier où vous pouvez écrire avec --out.") from exc
    cwd = Path.cwd().resolve()
    inner = target.exists() and (within(cwd, target) or not os.access(parent, os.W_OK))
    work = target if inner else parent
    lock = None
    tmp = None
    ok = False
    try:
        try:
            lock = acquire_lock(work / f"{LOCK_PREFIX}{target.name}", shown)
            cleanup_stale(work)
            if not inner and target.is_dir():
                cleanup_stale(target)
            tmp = work / f"{_TMP}{os.getpid()}.{secrets.token_hex(4)}.{target.name}"
            tmp.mkdir()
        except OutputError:
            raise
        except OSError as exc:
            raise OutputError(
                f"le dossier de sortie « {shown} » ne peut pas être préparé ({os_reason(exc)}) : "
                "choisissez un dossier où vous pouvez écrire avec --out.") from exc
        with _ACTIVE_GUARD:
            _ACTIVE.add(tmp)
        try:
            yield tmp
        except OSError as exc:
            # a full disk or a read-only folder while writing the results (not an input)
            if exc.errno in _WRITE_ERRNOS and (exc.filename is None
                                               or within(Path(str(exc.filename)).absolute(),
                                                          tmp)):
                raise OutputError(
                    f"écriture impossible pour le dossier de sortie « {shown} » "
                    f"({os_reason(exc)}) : libérez de la place ou choisissez un autre dossier "
                    "avec --out.") from exc
            raise
        try:
            _commit(tmp, target, shown, overwrite=overwrite, inputs=_input_paths(inputs),
                    command=command or default_command())
        except OSError as exc:
            raise OutputError(
                f"les résultats ne peuvent pas être placés dans « {shown} » ({os_reason(exc)}) : "
                "vérifiez qu'aucun de ses fichiers n'est ouvert dans un autre programme, ou "
                "choisissez un autre dossier avec --out.") from exc
        ok = True
    finally:
        if tmp is not None:
            with _ACTIVE_GUARD:
                _ACTIVE.discard(tmp)
            shutil.rmtree(tmp, ignore_errors=True)
        if lock is not None:
            lock.release()
        if not ok:
            _remove_created(created)


def _remove_created(created: list[Path]) -> None:
    for p in created:  # deepest first
        try:
            p.rmdir()
        except OSError:
            break


def _input_paths(inputs: Iterable[object]) -> set[Path]:
    out: set[Path] = set()
    for v in inputs:
        if isinstance(v, str | os.PathLike):
            try:
                p = Path(v)
                if p.is_file():
                    out.add(p.resolve())
            except (OSError, ValueError):
                continue
    return out


def _commit(tmp: Path, target: Path, shown: Path, *, overwrite: bool, inputs: set[Path],
            command: str) -> None:
    new_files, _ = list_tree(tmp)
    entries = {}
    for rel in new_files:
        p = tmp / rel
        entries[rel] = {"size": p.stat().st_size, "sha256": file_sha256(p)}

    # 1. an input of the run is never replaced by an output of the same name
    for rel in new_files:
        dst = target / rel
        if dst.resolve() in inputs and dst.is_file() and not unchanged(dst, entries[rel]):
            raise OutputError(
                f"le fichier d'entrée « {shown / rel} » serait remplacé par une sortie du même "
                "nom : un fichier d'entrée n'est jamais écrasé. Déplacez-le hors du dossier de "
                "sortie, ou choisissez un autre dossier avec --out.")

    if not target.exists():
        write_manifest(tmp / MANIFEST_NAME, entries, command)
        os.rename(tmp, target)
        return

    prev, ours, foreign, modified = _state(target, inputs)
    has_inputs = any(within(i, target) for i in inputs)
    if (not foreign and not modified and not has_inputs
            and not within(Path.cwd().resolve(), target)
            and os.access(target.parent, os.W_OK)):
        _swap(tmp, target, entries, command)
        return
    if (foreign or modified) and not overwrite:
        raise _refusal(shown, prev, foreign, modified)
    _merge(tmp, target, shown, entries, ours, inputs, command)


def _state(target: Path, inputs: set[Path] = frozenset()
           ) -> tuple[dict | None, dict, list[str], list[str]]:
    """Manifest, files it lists, entries it does not list, listed files changed since.

    A listed file that is an input of the run (e.g. the copy of ``bilan.toml`` edited and run
    again) is not "changed": it is read, never replaced.
    """
    prev = read_manifest(target)
    ours = dict(prev["files"]) if prev else {}
    complete = bool(prev and prev.get("complete", True))
    files, dirs = list_tree(target)
    our_dirs = {"/".join(f.split("/")[:k]) for f in ours for k in range(1, f.count("/") + 1)}
    foreign = [f for f in files if f not in ours]
    # a folder not ours is named only when no file of its own is (an empty folder)
    foreign += [d for d in dirs if d not in our_dirs
                and not any(f.startswith(d + "/") for f in foreign)]
    modified = [f for f in files if f in ours and complete
                and (target / f).resolve() not in inputs
                and not unchanged(target / f, ours[f])]
    return prev, ours, foreign, modified


def _refusal(shown: Path, prev: dict | None, foreign: list[str],
             modified: list[str]) -> OutputError:
    what = []
    if prev is None:
        what.append(f"il n'a pas été écrit par espass_geo (pas de manifeste {MANIFEST_NAME})")
    if foreign:
        what.append(f"il contient {_short(foreign)} que espass_geo n'a pas écrit"
                    + ("s" if len(foreign) > 1 else ""))
    if modified:
        what.append(f"{_short(modified)} "
                    + ("ont été modifiés" if len(modified) > 1 else "a été modifié")
                    + " depuis le calcul précédent")
    return OutputError(
        f"le dossier de sortie « {shown} » n'est pas vide : " + " ; ".join(what)
        + ". Ajoutez --overwrite pour y écrire quand même (seuls les fichiers du calcul "
        "espass_geo précédent sont remplacés, les vôtres ne sont jamais touchés), ou "
        "choisissez un autre dossier avec --out.")


def hold_output_lock(out_dir: str | Path) -> Callable[[], None]:
    """Take the lock of ``out_dir`` for a whole command (computation included).

    A second run into the same folder is then refused at once, not after its computation.
    Returns the function that releases it; :func:`atomic_output_dir` in the same process
    uses the held lock. Nothing is locked (nor created) when the parent folder is missing.
    """
    shown = Path(out_dir)
    target = shown.resolve()
    if not target.parent.is_dir() or (target.exists() and not target.is_dir()):
        return lambda: None
    path = lock_path(target)
    try:
        lock = acquire_lock(path, shown)
    except OutputError:
        raise
    except OSError:
        return lambda: None  # unwritable: atomic_output_dir reports it
    if isinstance(lock, HeldLock):
        return lambda: None
    hold(path, lock)
    cleanup_stale(path.parent)  # at startup: a backup left with no target is restored now

    def release() -> None:
        unhold(path)
        lock.release()

    return release


def check_output_dir(out_dir: str | Path, *, overwrite: bool = False,
                     inputs: Iterable[object] = ()) -> None:
    """Refuse early, before any computation, what :func:`atomic_output_dir` would refuse.

    ``out_dir`` is a file; a folder not written by espass_geo (or changed since) without
    ``overwrite``; a folder another run is writing. Writes nothing. The final checks (inputs,
    files that would be replaced) are made again when the results are moved in.
    """
    shown = Path(out_dir)
    target = shown.resolve()
    if target.exists() and not target.is_dir():
        raise OutputError(f"« {shown} » est un fichier, pas un dossier : choisissez un dossier "
                          "de sortie avec --out.")
    if not target.is_dir():
        return
    if not overwrite:
        prev, _, foreign, modified = _state(target, _input_paths(inputs))
        if foreign or modified:
            raise _refusal(shown, prev, foreign, modified)
    work = target if (within(Path.cwd().resolve(), target)
                      or not os.access(target.parent, os.W_OK)) else target.parent
    lock = work / f"{LOCK_PREFIX}{target.name}"
    try:
        import fcntl

        fd = os.open(lock, os.O_RDWR)  # no O_CREAT: only look at an existing lock
    except (ImportError, OSError):
        return
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError:
        raise busy_error(shown, lock) from None
    finally:
        os.close(fd)  # also releases the probe's lock


def _swap(tmp: Path, target: Path, entries: dict, command: str) -> None:
    write_manifest(tmp / MANIFEST_NAME, entries, command)
    if _exchange(tmp, target):
        shutil.rmtree(tmp, ignore_errors=True)  # now the previous run's files
        return
    old = target.parent / f"{_OLD}{os.getpid()}.{secrets.token_hex(4)}.{target.name}"
    os.rename(target, old)
    try:
        os.rename(tmp, target)
    except BaseException:
        os.rename(old, target)
        raise
    shutil.rmtree(old, ignore_errors=True)


def _merge(tmp: Path, target: Path, shown: Path, entries: dict, ours: dict,
           inputs: set[Path], command: str) -> None:
    """Move the new files in one by one; replace or remove only files of the manifest."""
    move: list[str] = []
    keep_identical: list[str] = []
    conflicts: list[str] = []
    for rel, entry in entries.items():
        dst = target / rel
        blocked = next((a for a in _ancestors(rel) if (target / a).is_symlink()
                        or ((target / a).exists() and not (target / a).is_dir())), None)
        if blocked is not None:
            conflicts.append(blocked)
        elif dst.is_symlink() or dst.is_dir():
            conflicts.append(rel)
        elif not dst.exists() or (rel in ours and dst.resolve() not in inputs):
            move.append(rel)
        elif unchanged(dst, entry):
            keep_identical.append(rel)
        else:
            conflicts.append(rel)
    if conflicts:
        raise OutputError(
            f"dans le dossier de sortie « {shown} », {_short(conflicts)}"
            + (" existent déjà et espass_geo ne les a pas écrits" if len(conflicts) > 1
               else " existe déjà et espass_geo ne l'a pas écrit")
            + " : un fichier que espass_geo n'a pas écrit "
            "n'est jamais remplacé, même avec --overwrite. Déplacez-le, ou choisissez un autre "
            "dossier avec --out."
            + ("" if ours else " (Un dossier écrit par une version d'espass_geo antérieure au "
               f"manifeste {MANIFEST_NAME} est dans ce cas : supprimez-le vous-même si vous "
               "n'en avez plus besoin.)"))
    remove = [rel for rel in ours if rel not in entries and (target / rel).resolve() not in inputs
              and (target / rel).is_file() and not (target / rel).is_symlink()]
    # journal: while files move, the manifest lists old and new files (both are ours)
    journal = {**{k: v for k, v in ours.items() if (target / k).exists()}, **entries}
    write_manifest(target / MANIFEST_NAME, journal, command, complete=False)
    for rel in move:
        dst = target / rel
        dst.parent.mkdir(parents=True, exist_ok=True)
        os.replace(tmp / rel, dst)
    for rel in remove:
        (target / rel).unlink(missing_ok=True)
        for a in reversed(_ancestors(rel)):
            if any(f.startswith(a + "/") for f in entries):
                break
            try:
                (target / a).rmdir()
            except OSError:
                break
    final = {rel: entries[rel] for rel in move}
    final.update({rel: entries[rel] for rel in keep_identical if rel in ours})
    write_manifest(target / MANIFEST_NAME, final, command)


def _ancestors(rel: str) -> list[str]:
    parts = rel.split("/")
    return ["/".join(parts[:k]) for k in range(1, len(parts))]


def write_gpkg_layer(gdf: gpd.GeoDataFrame, path: Path, layer: str) -> Path:
    gdf.to_file(path, layer=layer, driver="GPKG", engine="pyogrio")
    return path
