"""Output folders: never delete or overwrite what espass_geo did not write (issue #9, item 3).

The rules of :func:`espass_geo.io.outputs.atomic_output_dir`: a folder is new or carries the manifest
of a previous run; anything else needs ``overwrite`` and even then only files of the previous
manifest are replaced; inputs are never replaced; the new run is swapped in whole (a kill
leaves the old or the new complete set); stale temporary folders are cleaned; a lock refuses a
concurrent run.
"""

from __future__ import annotations

import fcntl
import hashlib
import json
import os
import signal
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from click.testing import CliRunner

from espass_geo.cli import main
from espass_geo.errors import OutputError
from espass_geo.io import outputs as io
from espass_geo.io.manifest import MANIFEST_NAME, read_manifest
from espass_geo.io.outputs import atomic_output_dir, cleanup_stale

pytestmark = pytest.mark.slow  # kills child runs at every step: excluded by -m "not slow" (#14)


def _run(out: Path, files: dict[str, str], **kwargs) -> None:
    with atomic_output_dir(out, **kwargs) as tmp:
        for rel, text in files.items():
            (tmp / rel).parent.mkdir(parents=True, exist_ok=True)
            (tmp / rel).write_text(text, encoding="utf-8")


def _tree(root: Path) -> dict[str, str]:
    """Every file below ``root`` (manifest excluded) with its text."""
    return {p.relative_to(root).as_posix(): p.read_text(encoding="utf-8", errors="replace")
            for p in sorted(root.rglob("*")) if p.is_file() and p.name != MANIFEST_NAME}


def _leftovers(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir() if p.name.startswith(".espass_geo-"))


def _dead_pid() -> int:
    proc = subprocess.Popen([sys.executable, "-c", "pass"])
    proc.wait()
    return proc.pid


# ------------------------------------------------------------------------ manifest, re-runs
def test_new_folder_gets_a_manifest_of_every_file(tmp_path):
    out = tmp_path / "a" / "b" / "sortie"  # missing parents are created
    _run(out, {"x.csv": "1,2\n", "sub/y.txt": "été"}, command="espass-geo test")
    doc = json.loads((out / MANIFEST_NAME).read_text(encoding="utf-8"))
    assert doc["complete"] is True and doc["command"] == "espass-geo test"
    assert doc["date"][:2] == "20"
    assert doc["files"] == {
        # "été": é is 2 bytes in UTF-8, so 2 + 1 + 2 = 5 bytes
        "sub/y.txt": {"size": 5, "sha256": hashlib.sha256("été".encode()).hexdigest()},
        "x.csv": {"size": 4, "sha256": hashlib.sha256(b"1,2\n").hexdigest()},
    }
    assert _leftovers(tmp_path / "a" / "b") == []  # no lock, no temporary folder


def test_rerun_replaces_the_previous_run_whole(tmp_path):
    out = tmp_path / "sortie"
    _run(out, {"a.csv": "old", "carte.html": "old", "lib/x.js": "old"})
    _run(out, {"a.csv": "new"})
    assert _tree(out) == {"a.csv": "new"}  # no stale file of the first run
    assert sorted(read_manifest(out)["files"]) == ["a.csv"]
    assert not (out / "lib").exists()
    assert _leftovers(tmp_path) == []


def test_failed_run_changes_nothing(tmp_path):
    out = tmp_path / "sortie"
    _run(out, {"a.csv": "old"})
    before = (out / MANIFEST_NAME).read_bytes()
    with pytest.raises(RuntimeError, match="boum"):
        with atomic_output_dir(out) as tmp:
            (tmp / "a.csv").write_text("new", encoding="utf-8")
            raise RuntimeError("boum")
    assert _tree(out) == {"a.csv": "old"} and (out / MANIFEST_NAME).read_bytes() == before
    assert _leftovers(tmp_path) == []


def test_failed_run_removes_the_parents_it_created(tmp_path):
    with pytest.raises(RuntimeError):
        with atomic_output_dir(tmp_path / "x" / "y" / "sortie"):
            raise RuntimeError("boum")
    assert list(tmp_path.iterdir()) == []


# ------------------------------------------------------------------------ foreign folders
def test_folder_not_written_by_espass_geo_is_refused(tmp_path):
    out = tmp_path / "projet"
    (out / "scenarios").mkdir(parents=True)
    (out / "scenarios" / "mes_actions.geojson").write_text("{}", encoding="utf-8")
    with pytest.raises(OutputError, match=r"--overwrite") as err:
        _run(out, {"a.csv": "x"})
    assert "scenarios/mes_actions.geojson" in str(err.value)
    assert "pas de manifeste" in str(err.value)
    assert _tree(out) == {"scenarios/mes_actions.geojson": "{}"}
    assert _leftovers(tmp_path) == []


def test_overwrite_keeps_user_files_and_replaces_only_ours(tmp_path):
    out = tmp_path / "projet"
    _run(out, {"a.csv": "old", "ancien.csv": "old", "scenarios/t.csv": "old"})
    (out / "scenarios" / "mes_actions.geojson").write_text("{\"user\": 1}", encoding="utf-8")
    (out / "notes.txt").write_text("à garder", encoding="utf-8")
    with pytest.raises(OutputError, match="notes.txt"):  # user files: --overwrite needed
        _run(out, {"a.csv": "new"})
    _run(out, {"a.csv": "new", "scenarios/t.csv": "new"}, overwrite=True)
    assert _tree(out) == {"a.csv": "new", "notes.txt": "à garder",
                          "scenarios/mes_actions.geojson": "{\"user\": 1}",
                          "scenarios/t.csv": "new"}  # ancien.csv (ours, stale) removed
    doc = read_manifest(out)
    assert doc["complete"] is True and sorted(doc["files"]) == ["a.csv", "scenarios/t.csv"]
    # the next run is again refused without --overwrite (the user files are still there)
    with pytest.raises(OutputError, match="notes.txt"):
        _run(out, {"a.csv": "newer"})


def test_a_file_we_did_not_write_is_never_replaced(tmp_path):
    out = tmp_path / "projet"
    out.mkdir()
    (out / "a.csv").write_text("à moi", encoding="utf-8")
    with pytest.raises(OutputError, match=r"même avec --overwrite"):
        _run(out, {"a.csv": "new", "b.csv": "new"}, overwrite=True)
    assert _tree(out) == {"a.csv": "à moi"}
    assert not (out / MANIFEST_NAME).exists()
    # identical bytes: nothing to write, the user's file is left alone and not claimed
    _run(out, {"a.csv": "à moi", "b.csv": "new"}, overwrite=True)
    assert _tree(out) == {"a.csv": "à moi", "b.csv": "new"}
    assert sorted(read_manifest(out)["files"]) == ["b.csv"]


def test_file_changed_since_the_run_needs_overwrite(tmp_path):
    out = tmp_path / "sortie"
    _run(out, {"a.csv": "old", "b.csv": "old"})
    (out / "a.csv").write_text("modifié à la main", encoding="utf-8")
    with pytest.raises(OutputError, match=r"« a.csv » a été modifié"):
        _run(out, {"a.csv": "new", "b.csv": "new"})
    assert (out / "a.csv").read_text(encoding="utf-8") == "modifié à la main"
    _run(out, {"a.csv": "new", "b.csv": "new"}, overwrite=True)
    assert _tree(out) == {"a.csv": "new", "b.csv": "new"}


def test_out_is_a_file(tmp_path):
    f = tmp_path / "sortie"
    f.write_text("x", encoding="utf-8")
    with pytest.raises(OutputError, match="est un fichier"):
        _run(f, {"a.csv": "x"})
    assert f.read_text(encoding="utf-8") == "x"


def test_tampered_manifest_cannot_reach_outside(tmp_path):
    out = tmp_path / "sortie"
    _run(out, {"a.csv": "old"})
    victim = tmp_path / "victime.txt"
    victim.write_text("x", encoding="utf-8")
    doc = json.loads((out / MANIFEST_NAME).read_text(encoding="utf-8"))
    doc["files"]["../victime.txt"] = {"size": 1, "sha256": "0"}
    (out / MANIFEST_NAME).write_text(json.dumps(doc), encoding="utf-8")
    assert read_manifest(out) is None  # invalid: the folder counts as not ours
    with pytest.raises(OutputError, match="--overwrite"):
        _run(out, {"a.csv": "new"})
    _run(out, {"b.csv": "new"}, overwrite=True)
    assert victim.read_text(encoding="utf-8") == "x"
    assert _tree(out) == {"a.csv": "old", "b.csv": "new"}


# ------------------------------------------------------------------------ inputs
def test_input_in_the_output_folder_is_never_replaced(tmp_path):
    out = tmp_path / "sortie"
    _run(out, {"areas.csv": "table 1", "stocks.csv": "s1"})
    areas = out / "areas.csv"  # now used as an input of the next run
    for overwrite in (False, True):
        with pytest.raises(OutputError, match=r"fichier d'entrée .*areas\.csv"):
            _run(out, {"areas.csv": "table 2", "stocks.csv": "s2"}, inputs=[areas],
                 overwrite=overwrite)
        assert _tree(out) == {"areas.csv": "table 1", "stocks.csv": "s1"}
    # an output that does not collide: the input stays (not removed with the previous run)
    _run(out, {"stocks.csv": "s2"}, inputs=[areas])
    assert _tree(out) == {"areas.csv": "table 1", "stocks.csv": "s2"}
    assert sorted(read_manifest(out)["files"]) == ["stocks.csv"]


# ------------------------------------------------------------------------ lock
def test_concurrent_run_into_the_same_folder_is_refused(tmp_path):
    out = tmp_path / "sortie"
    with atomic_output_dir(out) as tmp:
        (tmp / "a.csv").write_text("1", encoding="utf-8")
        with pytest.raises(OutputError, match="un autre calcul espass_geo écrit déjà"):
            _run(out, {"a.csv": "2"})
        _run(tmp_path / "autre", {"a.csv": "3"})  # another folder is not locked
    assert _tree(out) == {"a.csv": "1"}
    _run(out, {"a.csv": "4"})  # the lock is released
    assert _tree(out) == {"a.csv": "4"} and _leftovers(tmp_path) == []


def test_lock_held_by_another_process_is_refused(tmp_path):
    out = tmp_path / "sortie"
    lock = tmp_path / ".espass_geo-lock.sortie"
    holder = subprocess.Popen(
        [sys.executable, "-c", textwrap.dedent(f"""
            import fcntl, os, sys, time
            fd = os.open({str(lock)!r}, os.O_RDWR | os.O_CREAT)
            fcntl.flock(fd, fcntl.LOCK_EX)
            print("ok", flush=True)
            time.sleep(60)
        """)], stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline().strip() == "ok"
        with pytest.raises(OutputError, match="attendez qu'il se termine"):
            _run(out, {"a.csv": "x"})
        assert not out.exists() and lock.exists()  # the other run's lock is left alone
    finally:
        holder.kill()
        holder.wait()
        holder.stdout.close()
    _run(out, {"a.csv": "x"})  # a killed holder releases its lock
    assert _tree(out) == {"a.csv": "x"} and _leftovers(tmp_path) == []


def test_cli_refuses_a_concurrent_run(tmp_path):
    lock = tmp_path / ".espass_geo-lock.sortie"
    fd = os.open(lock, os.O_RDWR | os.O_CREAT)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)  # another run holds the folder
        r = _stocks(tmp_path, str(tmp_path / "sortie"))
        assert r.exit_code == 2, (r.output, r.exception)
        assert "un autre calcul espass_geo écrit déjà" in r.output and "Traceback" not in r.output
        assert not (tmp_path / "sortie").exists() and lock.exists()
    finally:
        os.close(fd)
    r = _stocks(tmp_path, str(tmp_path / "sortie"))
    assert r.exit_code == 0, r.output


# ------------------------------------------------------------------------ stale folders
def test_stale_temporary_folders_of_killed_runs_are_removed(tmp_path):
    dead = _dead_pid()
    stale = tmp_path / f".espass_geo-tmp.{dead}.abcd.sortie"
    (stale / "lib").mkdir(parents=True)
    (stale / "lib" / "x.js").write_text("x", encoding="utf-8")
    live = tmp_path / f".espass_geo-tmp.{os.getppid()}.abcd.autre"  # a live process: kept
    live.mkdir()
    user = tmp_path / ".espass_geo-tmp.notes"  # no pid marker: not ours, kept
    user.mkdir()
    _run(tmp_path / "x", {"a.csv": "1"})
    assert not stale.exists()
    # a manifest half-written by a killed run (merge into a folder with user files)
    half = tmp_path / "x" / f".espass_geo-write.{dead}.abcd.{MANIFEST_NAME}"
    half.write_text("{", encoding="utf-8")
    busy = tmp_path / "x" / f".espass_geo-write.{os.getppid()}.abcd.{MANIFEST_NAME}"
    busy.write_text("{", encoding="utf-8")
    cleanup_stale(tmp_path / "x")
    assert not half.exists() and busy.exists()
    assert live.exists() and user.exists()


def test_orphaned_backup_is_restored_or_removed(tmp_path):
    dead = _dead_pid()
    # killed between "old → backup" and "new → target": the target is missing
    backup = tmp_path / f".espass_geo-old.{dead}.beef.sortie"
    _run(backup, {"a.csv": "old"})
    cleanup_stale(tmp_path)
    assert _tree(tmp_path / "sortie") == {"a.csv": "old"} and not backup.exists()
    # killed after the swap, before the backup was removed: the backup goes
    backup2 = tmp_path / f".espass_geo-old.{dead}.cafe.sortie"
    _run(backup2, {"a.csv": "older"})
    cleanup_stale(tmp_path)
    assert not backup2.exists() and _tree(tmp_path / "sortie") == {"a.csv": "old"}


# ------------------------------------------------------------------------ kills
_KILL_SCRIPT = """
import os, signal, sys
from pathlib import Path
from espass_geo.io import outputs as io

out, point = Path(sys.argv[1]), sys.argv[2]

def die():
    os.kill(os.getpid(), signal.SIGKILL)

if point.startswith("fallback"):
    io._exchange = lambda a, b: False
real_rename, real_rmtree = os.rename, io.shutil.rmtree
renames = []

def rename(a, b):
    real_rename(a, b)
    renames.append((a, b))
    if point == "fallback-after-backup" and len(renames) == 1:
        die()
    if point == "fallback-after-target" and len(renames) == 2:
        die()

def rmtree(p, *args, **kwargs):
    if point == "after-exchange" and ".espass_geo-tmp." in str(p):
        die()
    return real_rmtree(p, *args, **kwargs)

os.rename = rename
io.shutil.rmtree = rmtree
with io.atomic_output_dir(out) as tmp:
    for k in range(20):
        (tmp / f"f{k:02d}.csv").write_text("new", encoding="utf-8")
        if point == "build" and k == 10:
            die()
    (tmp / "sub").mkdir()
    (tmp / "sub" / "g.csv").write_text("new", encoding="utf-8")
"""


def _complete_set(folder: Path) -> str:
    """"old" or "new" when ``folder`` holds exactly one run's complete set (checked by hash)."""
    doc = read_manifest(folder)
    assert doc is not None and doc["complete"]
    files = _tree(folder)
    assert sorted(files) == sorted(doc["files"])
    for rel, entry in doc["files"].items():
        data = (folder / rel).read_bytes()
        assert hashlib.sha256(data).hexdigest() == entry["sha256"], rel
    (state,) = set(files.values())
    return state


@pytest.mark.parametrize("point", ["build", "after-exchange", "fallback-after-backup",
                                   "fallback-after-target"])
def test_kill_at_any_step_leaves_the_old_or_the_new_complete_set(tmp_path, point):
    out = tmp_path / "sortie"
    _run(out, {f"f{k:02d}.csv": "old" for k in range(25)})  # 25 old files, 21 new ones
    proc = subprocess.run([sys.executable, "-c", _KILL_SCRIPT, str(out), point],
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == -signal.SIGKILL, proc.stderr
    if point == "fallback-after-backup":
        assert not out.exists()  # the one window of the fallback: restored by the next run
        cleanup_stale(tmp_path)
    state = _complete_set(out)
    assert state == {"build": "old", "after-exchange": "new", "fallback-after-backup": "old",
                     "fallback-after-target": "new"}[point]
    assert len(_tree(out)) == (25 if state == "old" else 21)
    # the next run cleans what the killed one left and swaps in its own complete set
    _run(out, {"f00.csv": "next"})
    assert _complete_set(out) == "next" and _tree(out) == {"f00.csv": "next"}
    assert _leftovers(tmp_path) == []


def test_renameat2_exchange_is_used_on_linux(tmp_path, monkeypatch):
    if not sys.platform.startswith("linux"):
        pytest.skip("renameat2 is Linux only")
    a, b = tmp_path / "a", tmp_path / "b"
    a.mkdir()
    b.mkdir()
    (a / "x").write_text("a", encoding="utf-8")
    (b / "x").write_text("b", encoding="utf-8")
    if not io._exchange(a, b):
        pytest.skip("renameat2 not supported by this kernel or file system")
    assert (a / "x").read_text(encoding="utf-8") == "b"
    assert (b / "x").read_text(encoding="utf-8") == "a"


# ------------------------------------------------------------------------ through the CLI
def _areas_csv(folder: Path, name: str = "surfaces.csv") -> Path:
    path = folder / name
    path.write_text("zone_id,code,area_ha\nA,211,4\nA,112,4\nB,311,8\n", encoding="utf-8")
    return path


def _stocks(tmp: Path, out: str, *extra: str, areas: Path | None = None):
    from bad_inputs.common import write_zones

    zones = tmp / "zones.geojson"
    if not zones.exists():
        write_zones(tmp)
    areas = areas or _areas_csv(tmp)
    return CliRunner().invoke(main, ["stocks", "--territory", str(zones), "--zpc", "2_1",
                                     "--areas", str(areas), "--out", out, *extra])


def test_cli_rerun_without_map_leaves_no_stale_map(tmp_path):
    out = tmp_path / "sortie"
    r = _stocks(tmp_path, str(out))
    assert r.exit_code == 0, r.output
    assert (out / "carte_stocks.html").exists()
    doc = read_manifest(out)
    assert doc["command"].startswith("espass-geo stocks --territory")
    assert "--out" in doc["command"]
    r = _stocks(tmp_path, str(out), "--no-map")
    assert r.exit_code == 0, r.output
    assert not (out / "carte_stocks.html").exists()
    assert sorted(_tree(out)) == sorted(read_manifest(out)["files"])


def test_cli_out_dot_keeps_the_user_scenarios_folder(tmp_path, monkeypatch):
    """``--out .`` in a project folder: refused without --overwrite, user files kept with it."""
    monkeypatch.chdir(tmp_path)
    (tmp_path / "scenarios").mkdir()
    (tmp_path / "scenarios" / "actions.geojson").write_text('{"type": "x"}', encoding="utf-8")
    r = _stocks(tmp_path, ".")
    assert r.exit_code == 2 and "--overwrite" in r.output and "Traceback" not in r.output
    assert not (tmp_path / "stocks.csv").exists()
    r = _stocks(tmp_path, ".", "--overwrite")
    assert r.exit_code == 0, r.output
    assert (tmp_path / "scenarios" / "actions.geojson").read_text(encoding="utf-8") == \
        '{"type": "x"}'
    assert (tmp_path / "stocks.csv").exists() and (tmp_path / "zones.geojson").exists()
    assert Path.cwd() == tmp_path  # the working folder itself is never swapped away
    # input named like an output (areas.csv): never replaced, even with --overwrite
    own = _areas_csv(tmp_path, "areas.csv")
    before = own.read_bytes()
    r = _stocks(tmp_path, ".", "--overwrite", areas=own)
    assert r.exit_code == 2 and "fichier d'entrée" in r.output, r.output
    assert own.read_bytes() == before


def test_cli_init_never_overwrites_without_the_flag(tmp_path):
    from espass_geo.io.bilan_config import EXAMPLE_CONFIG

    path = tmp_path / "bilan.toml"
    path.write_text("# à moi\n", encoding="utf-8")
    r = CliRunner().invoke(main, ["init", str(path)])
    assert r.exit_code == 2 and "existe déjà" in r.output and "--overwrite" in r.output
    assert path.read_text(encoding="utf-8") == "# à moi\n"
    r = CliRunner().invoke(main, ["init", str(path), "--overwrite"])
    assert r.exit_code == 0 and path.read_text(encoding="utf-8") == EXAMPLE_CONFIG
    r = CliRunner().invoke(main, ["init", str(tmp_path / "absent" / "bilan.toml")])
    assert r.exit_code == 2 and "n'existe pas" in r.output and "Traceback" not in r.output
    assert not (tmp_path / "absent").exists()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["bilan.toml"]


def test_console_entry_point_hides_tracebacks_of_bugs(monkeypatch, capsys):
    from espass_geo import cli

    def boom(*_a, **_k):
        raise KeyError("bogue")

    monkeypatch.setattr(sys, "argv", ["espass-geo", "versions"])
    monkeypatch.setattr("espass_geo._show_versions.show_versions", boom)
    monkeypatch.delenv("ESPASS_GEO_DEBUG", raising=False)
    with pytest.raises(SystemExit) as exit_:
        cli.console_main()
    assert exit_.value.code == 1
    err = capsys.readouterr().err
    assert "Erreur inattendue (KeyError)" in err and "signalez-le" in err
    assert "Traceback" not in err
    # tests (and ESPASS_GEO_DEBUG=1) see the real exception
    r = CliRunner().invoke(main, ["versions"])
    assert isinstance(r.exception, KeyError)
    monkeypatch.setenv("ESPASS_GEO_DEBUG", "1")
    with pytest.raises(KeyError):
        cli.console_main()


def test_full_disk_while_writing_is_a_package_error(tmp_path):
    import errno

    out = tmp_path / "sortie"
    _run(out, {"a.csv": "old"})
    with pytest.raises(OutputError, match="libérez de la place"):
        with atomic_output_dir(out) as tmp:
            raise OSError(errno.ENOSPC, "No space left on device", str(tmp / "carte.html"))
    with pytest.raises(PermissionError):  # an input that cannot be read is not an output error
        with atomic_output_dir(out):
            raise PermissionError(errno.EACCES, "Permission denied", str(tmp_path / "in.tif"))
    assert _tree(out) == {"a.csv": "old"} and _leftovers(tmp_path) == []


def test_edited_config_copy_run_again_from_the_output_folder(tmp_path):
    """``bilan --config out/bilan.toml --out out``: the edited copy is an input, kept as is."""
    from espass_geo.io.outputs import check_output_dir

    out = tmp_path / "sortie"
    _run(out, {"bilan.toml": "v1", "bilan.csv": "r1"})
    cfg = out / "bilan.toml"
    cfg.write_text("v2", encoding="utf-8")  # the user edits the copy, then runs from it
    with pytest.raises(OutputError, match="a été modifié"):
        check_output_dir(out)  # as any file changed since the run…
    check_output_dir(out, inputs=[cfg])  # …unless it is an input of this run
    _run(out, {"bilan.toml": "v2", "bilan.csv": "r2"}, inputs=[cfg])  # the run copies it
    assert _tree(out) == {"bilan.toml": "v2", "bilan.csv": "r2"}
    assert read_manifest(out)["files"]["bilan.toml"]["sha256"] == \
        hashlib.sha256(b"v2").hexdigest()


def test_cli_holds_the_lock_from_the_start(tmp_path, monkeypatch):
    """The folder is locked while the command computes, not only while it writes."""
    from espass_geo import api

    real = api.compute_territory_stocks
    probes = []

    def compute(*args, **kwargs):
        fd = os.open(tmp_path / ".espass_geo-lock.sortie", os.O_RDWR)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            probes.append("free")
        except BlockingIOError:
            probes.append("held")
        finally:
            os.close(fd)
        return real(*args, **kwargs)

    monkeypatch.setattr(api, "compute_territory_stocks", compute)  # what the CLI calls
    r = _stocks(tmp_path, str(tmp_path / "sortie"))
    assert r.exit_code == 0, r.output
    assert probes == ["held"]
    assert _leftovers(tmp_path) == [] and read_manifest(tmp_path / "sortie") is not None


_MERGE_KILL = """
import os, signal, sys
from pathlib import Path
from espass_geo.io import outputs as io

out = Path(sys.argv[1])
real_replace, moves = os.replace, []

def replace(a, b):
    real_replace(a, b)
    if ".espass_geo-tmp." in str(a):
        moves.append(b)
        if len(moves) == 3:
            os.kill(os.getpid(), signal.SIGKILL)

os.replace = replace
with io.atomic_output_dir(out, overwrite=True) as tmp:
    for k in range(6):
        (tmp / f"f{k}.csv").write_text("new", encoding="utf-8")
"""


def test_kill_during_a_merge_is_marked_and_completed_by_the_next_run(tmp_path):
    """With user files the run is merged file by file (not atomic): the manifest says so."""
    out = tmp_path / "projet"
    _run(out, {f"f{k}.csv": "old" for k in range(8)})
    (out / "notes.txt").write_text("à moi", encoding="utf-8")
    proc = subprocess.run([sys.executable, "-c", _MERGE_KILL, str(out)], capture_output=True,
                          text=True, timeout=120)
    assert proc.returncode == -signal.SIGKILL, proc.stderr
    doc = read_manifest(out)
    assert doc["complete"] is False  # interrupted: old and new files both listed as ours
    assert sorted(doc["files"]) == [f"f{k}.csv" for k in range(8)]
    assert sorted(_tree(out).values()).count("new") == 3
    _run(out, {"f0.csv": "next"}, overwrite=True)
    assert _tree(out) == {"f0.csv": "next", "notes.txt": "à moi"}
    assert read_manifest(out)["complete"] is True and _leftovers(tmp_path) == []
