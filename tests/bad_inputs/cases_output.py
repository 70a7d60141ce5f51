"""Output folders, ``init`` and spreadsheet safety through the command line (issue #9, item 3).

An error case must leave the work folder byte for byte as it was (the suite checks it), so a
refused ``--out`` also proves that nothing of the user's was deleted or replaced.
"""

from __future__ import annotations

import csv
import fcntl
import json
import os
import subprocess
import sys
from pathlib import Path

from click.testing import CliRunner

from espass_geo.cli import main

from .common import Case, write_zones

MANIFEST = ".espass_geo_manifest.json"


def _areas(tmp: Path, name: str = "surfaces.csv") -> Path:
    path = tmp / name
    path.write_text("zone_id,code,area_ha\nA,211,4\nA,112,4\nB,311,8\n", encoding="utf-8")
    return path


def _stocks(tmp: Path, out: Path | str, *extra: str, areas: Path | None = None,
            **zone_kwargs) -> list[str]:
    """``stocks`` on the two box zones from an area table (no raster), into ``out``."""
    zones = tmp / "zones.geojson"
    if not zones.exists():
        write_zones(tmp, **zone_kwargs)
    areas = areas or (tmp / "surfaces.csv" if (tmp / "surfaces.csv").exists() else _areas(tmp))
    return ["stocks", "--territory", str(zones), "--zpc", "2_1", "--areas", str(areas),
            "--out", str(out), *extra]


def _previous_run(tmp: Path, *extra: str) -> Path:
    """A first, successful run into ``tmp/out`` (the state the case starts from)."""
    r = CliRunner().invoke(main, _stocks(tmp, tmp / "out", *extra))
    assert r.exit_code == 0, r.output
    return tmp / "out"


def _user_folder(tmp: Path) -> Path:
    out = tmp / "out"
    (out / "scenarios").mkdir(parents=True)
    (out / "scenarios" / "actions.geojson").write_text('{"type": "FeatureCollection"}',
                                                        encoding="utf-8")
    (out / "notes.txt").write_text("mes notes", encoding="utf-8")
    return out


def _manifest(out: Path) -> dict:
    return json.loads((out / MANIFEST).read_text(encoding="utf-8"))


def _check_user_files_kept(tmp: Path, result) -> None:
    out = tmp / "out"
    assert (out / "scenarios" / "actions.geojson").read_text(encoding="utf-8") == \
        '{"type": "FeatureCollection"}'
    assert (out / "notes.txt").read_text(encoding="utf-8") == "mes notes"
    files = _manifest(out)["files"]
    assert "stocks.csv" in files and "notes.txt" not in files
    assert not any(k.startswith("scenarios/") for k in files)


def _check_rerun(tmp: Path, result) -> None:
    out = tmp / "out"
    assert not (out / "carte_stocks.html").exists()  # written by the first run only
    on_disk = sorted(p.relative_to(out).as_posix() for p in out.rglob("*")
                     if p.is_file() and p.name != MANIFEST)
    assert on_disk == sorted(_manifest(out)["files"])


_HELD: list[int] = []


def _locked(tmp: Path) -> list[str]:
    fd = os.open(tmp / ".espass_geo-lock.out", os.O_RDWR | os.O_CREAT)
    fcntl.flock(fd, fcntl.LOCK_EX)
    _HELD.append(fd)
    return _stocks(tmp, tmp / "out")


def _release(tmp: Path, result) -> None:
    while _HELD:
        os.close(_HELD.pop())
    assert (tmp / ".espass_geo-lock.out").exists()  # the other run's lock is left alone


def _dead_pid() -> int:
    proc = subprocess.Popen([sys.executable, "-c", "pass"])
    proc.wait()
    return proc.pid


def _stale(tmp: Path) -> list[str]:
    stale = tmp / f".espass_geo-tmp.{_dead_pid()}.0bad.out"
    (stale / "lib").mkdir(parents=True)
    (stale / "lib" / "leaflet.js").write_text("x", encoding="utf-8")
    return _stocks(tmp, tmp / "out")


def _check_stale(tmp: Path, result) -> None:
    assert not [p for p in tmp.iterdir() if p.name.startswith(".espass_geo-")]
    assert (tmp / "out" / MANIFEST).exists()


def _orphan_backup(tmp: Path) -> list[str]:
    """A run killed between "old → backup" and "new → target": only the backup is left."""
    backup = tmp / f".espass_geo-old.{_dead_pid()}.0bad.out"
    r = CliRunner().invoke(main, _stocks(tmp, backup, "--no-map"))
    assert r.exit_code == 0, r.output
    return _stocks(tmp, tmp / "out")


def _modified(tmp: Path) -> list[str]:
    out = _previous_run(tmp)
    with open(out / "stocks.csv", "a", encoding="utf-8") as f:
        f.write("# ma note\n")
    return _stocks(tmp, out)


def _check_modified_overwritten(tmp: Path, result) -> None:
    assert "# ma note" not in (tmp / "out" / "stocks.csv").read_text(encoding="utf-8")


def _input_in_out(tmp: Path) -> list[str]:
    out = tmp / "out"
    out.mkdir()
    own = _areas(out, "areas.csv")  # the user's table, named like an output of stocks
    return _stocks(tmp, out, "--overwrite", areas=own)


def _formula_names(tmp: Path) -> list[str]:
    return _stocks(tmp, tmp / "out", names=("=HYPERLINK(\"http://x\",\"clic\")", "@SUM(1+1)"))


def _check_formula_names(tmp: Path, result) -> None:
    for name in ("stocks_zones.csv", "stocks.csv"):
        with open(tmp / "out" / name, encoding="utf-8", newline="") as f:
            rows = list(csv.DictReader(f))
        names = {r["zone_name"] for r in rows}
        assert names == {"'=HYPERLINK(\"http://x\",\"clic\")", "'@SUM(1+1)"}, (name, names)
        float(rows[0]["stock_tC"])  # numbers stay numbers


def _check_init(tmp: Path, result) -> None:
    from espass_geo.io.bilan_config import EXAMPLE_CONFIG

    assert (tmp / "bilan.toml").read_text(encoding="utf-8") == EXAMPLE_CONFIG


def _existing_init(tmp: Path, *extra: str) -> list[str]:
    (tmp / "bilan.toml").write_text("# mon bilan\n", encoding="utf-8")
    return ["init", str(tmp / "bilan.toml"), *extra]


def _foreign(tmp: Path) -> Path:
    out = tmp / "out"
    out.mkdir()
    (out / "rapport_du_maire.docx").write_bytes(b"PK\x03\x04")
    return out


_OVERWRITE = (r"--overwrite", r"rapport_du_maire\.docx", r"pas de manifeste")

CASES = [
    Case("out-is-a-file",
         lambda tmp: _stocks(tmp, _areas(tmp, "sortie.csv")), "error",
         (r"sortie\.csv", r"est un fichier", r"--out")),
    Case("out-parent-is-a-file",
         lambda tmp: _stocks(tmp, _areas(tmp, "fichier.csv") / "sortie"), "error",
         (r"fichier\.csv", r"ne peut pas être créé \(un élément du chemin", r"--out")),
    Case("out-foreign-folder-refused",
         lambda tmp: _stocks(tmp, _user_folder(tmp)), "error",
         (r"--overwrite", r"notes\.txt", r"scenarios", r"pas de manifeste")),
    Case("out-foreign-folder-overwrite-keeps-user-files",
         lambda tmp: _stocks(tmp, _user_folder(tmp), "--overwrite"), "ok", (r"stock total",),
         check=_check_user_files_kept),
    Case("out-input-named-like-an-output",
         _input_in_out, "error", (r"fichier d'entrée", r"areas\.csv", r"jamais écrasé")),
    Case("out-rerun-replaces-previous-run",
         lambda tmp: _stocks(tmp, _previous_run(tmp), "--no-map"), "ok", (r"stock total",),
         check=_check_rerun),
    Case("out-modified-output-refused",
         _modified, "error", (r"stocks\.csv", r"a été modifié", r"--overwrite")),
    Case("out-modified-output-overwrite",
         lambda tmp: [*_modified(tmp), "--overwrite"], "ok", (r"stock total",),
         check=_check_modified_overwritten),
    Case("out-concurrent-run-refused",
         _locked, "error", (r"un autre calcul espass_geo écrit déjà", r"attendez"),
         check=_release),
    Case("out-stale-temporary-folder-cleaned",
         _stale, "ok", (r"stock total",), check=_check_stale),
    Case("out-orphaned-backup-restored-then-replaced",
         _orphan_backup, "ok", (r"stock total",), check=_check_stale),
    Case("out-formula-zone-names-neutralised",
         _formula_names, "ok", (r"stock total",), check=_check_formula_names),
    Case("out-flows-foreign-folder",
         lambda tmp: ["flows", "--territory", str(write_zones(tmp)), "--changes",
                      str(_areas(tmp)), "--out", str(_foreign(tmp))], "error", _OVERWRITE),
    Case("out-emissions-foreign-folder",
         lambda tmp: ["emissions", "--territory", "59183", "--out", str(_foreign(tmp))],
         "error", _OVERWRITE),
    Case("out-scenario-foreign-folder",
         lambda tmp: ["scenario", "--config", str(_areas(tmp, "s.toml")), "--out",
                      str(_foreign(tmp))], "error", _OVERWRITE),
    Case("out-bilan-foreign-folder",
         lambda tmp: ["bilan", "--territory", "59183", "--out", str(_foreign(tmp))], "error",
         _OVERWRITE),
    Case("out-demo-foreign-folder",
         lambda tmp: ["demo", "--out", str(_foreign(tmp))], "error", _OVERWRITE),
    Case("init-missing-folder",
         lambda tmp: ["init", str(tmp / "absent" / "bilan.toml")], "error",
         (r"absent", r"n'existe pas", r"créez-le")),
    Case("init-existing-file-kept",
         _existing_init, "error", (r"bilan\.toml", r"existe déjà", r"--overwrite")),
    Case("init-existing-file-overwrite",
         lambda tmp: _existing_init(tmp, "--overwrite"), "ok", (r"Écrit",), check=_check_init),
    Case("init-into-a-folder",
         lambda tmp: ["init", str(tmp)], "error", (r"est un dossier", r"bilan\.toml")),
]
