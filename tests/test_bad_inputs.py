"""The bad-input suite: every bad or hostile input gives a correct result or a clear error.

Cases live in ``tests/bad_inputs/cases_*.py`` (one module per area, each a list ``CASES`` of
:class:`bad_inputs.common.Case`); this module runs each through the real command line
(``click`` in process) and checks the contract of the developers' guide: an error exits with
status 2, says « Erreur » in French with the file/value and remedy, prints no traceback and
writes or changes nothing; an accepted input exits 0.
"""

from __future__ import annotations

import importlib
import pkgutil
import re
import shutil

import bad_inputs
import pytest
from bad_inputs.common import Case, snapshot
from click.testing import CliRunner

from espass_geo.cli import main

pytestmark = pytest.mark.slow  # 314 end-to-end cases of 1 to 8 s: excluded by -m "not slow" (#14)


def _collect() -> list[Case]:
    cases: list[Case] = []
    for info in sorted(pkgutil.iter_modules(bad_inputs.__path__), key=lambda i: i.name):
        if info.name.startswith("cases_"):
            mod = importlib.import_module(f"bad_inputs.{info.name}")
            cases.extend(mod.CASES)
    return cases


CASES = _collect()


def test_suite_size():
    """The issue asks for at least 80 cases across all commands."""
    ids = [c.id for c in CASES]
    assert len(ids) == len(set(ids)), "case ids must be unique"
    assert len(CASES) >= 80, len(CASES)


@pytest.mark.parametrize("case", [pytest.param(c, id=c.id, marks=c.marks) for c in CASES])
def test_bad_input(case: Case, tmp_path):
    work = tmp_path / "w"
    work.mkdir()
    args = case.build(work)
    before = snapshot(work)
    result = CliRunner().invoke(main, args, catch_exceptions=True)
    output = result.output
    assert "Traceback" not in output, output
    if case.expect == "error":
        assert result.exit_code == 2, (result.exit_code, output, result.exception)
        assert "Erreur" in output, output
        after = snapshot(work)
        assert after == before, sorted(set(after) ^ set(before)) or "a file was changed"
    else:
        assert result.exit_code == 0, (result.exit_code, output, result.exception)
    for pattern in case.match:
        assert re.search(pattern, output), (pattern, output)
    if case.check is not None:
        case.check(work, result)
    shutil.rmtree(work, ignore_errors=True)
