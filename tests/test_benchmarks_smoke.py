"""Smoke test of benchmarks/bench_peers.py --quick (issue #14, item 5): it runs, with
rasterstats present or absent, exits 0 and prints its consistency verdict. No timing is
asserted (performance figures belong to the benchmark's own output)."""

from __future__ import annotations

import importlib.util
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow

BENCH = Path(__file__).resolve().parents[1] / "benchmarks" / "bench_peers.py"

# run the script with rasterstats made unimportable (sys.modules[name] = None → ImportError)
_WITHOUT = ("import runpy, sys; sys.modules['rasterstats'] = None; "
            "sys.argv = [sys.argv[1], '--quick', '--layers', 'parcels']; "
            "runpy.run_path(sys.argv[0], run_name='__main__')")


def _run(cmd: list[str]) -> subprocess.CompletedProcess:
    return subprocess.run(cmd, capture_output=True, text=True, timeout=600)


@pytest.mark.skipif(importlib.util.find_spec("rasterstats") is None,
                    reason="rasterstats not installed (benchmark environment only)")
def test_bench_peers_quick_with_rasterstats():
    p = _run([sys.executable, str(BENCH), "--quick"])
    assert p.returncode == 0, p.stdout[-2000:] + p.stderr[-2000:]
    assert "CONSISTENCY OK" in p.stdout
    # both zone layers and every peer have a row (the table's first column is the case)
    for layer in ("communes", "parcels"):
        assert f"consistency {layer}: OK" in p.stdout
    for case in ("hybrid", "exact", "exactextract", "rasterstats", "rasterstats_nb", "numpy"):
        assert f"\n| {case} |" in p.stdout


def test_bench_peers_quick_without_rasterstats():
    p = _run([sys.executable, "-c", _WITHOUT, str(BENCH)])
    assert p.returncode == 0, p.stdout[-2000:] + p.stderr[-2000:]
    assert "rasterstats absent: its row is skipped" in p.stdout
    assert "pip install rasterstats" in p.stdout
    assert "\n| rasterstats |" not in p.stdout
    assert "consistency parcels: OK" in p.stdout
    assert "CONSISTENCY OK" in p.stdout
