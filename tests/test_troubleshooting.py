"""The troubleshooting page (README, « Dépannage : messages d'erreur et remèdes ») stays true.

* every error class a user can meet (each ``EspassGeoError`` subclass of ``espass_geo.errors``,
  and of any other module of the package) is named in the section;
* every ``--option`` the section quotes as a remedy exists in the ``--help`` of some
  ``espass-geo`` command.
"""

from __future__ import annotations

import importlib
import inspect
import pkgutil
import re
from pathlib import Path

import pytest
from click.testing import CliRunner

import espass_geo
from espass_geo import errors
from espass_geo.cli import main
from espass_geo.errors import EspassGeoError

README = Path(__file__).resolve().parents[1] / "README.md"
HEADING = "## Dépannage : messages d'erreur et remèdes"


@pytest.fixture(scope="module")
def section() -> str:
    text = README.read_text(encoding="utf-8")
    assert HEADING in text, f"README.md has no section « {HEADING} »"
    body = text.split(HEADING, 1)[1]
    match = re.search(r"^## ", body, flags=re.MULTILINE)  # next top-level section
    return body[:match.start()] if match else body


def _named(section: str, name: str) -> bool:
    return re.search(rf"(?<![A-Za-z0-9_]){re.escape(name)}(?![A-Za-z0-9_])", section) is not None


def test_every_error_class_of_errors_module_is_documented(section):
    classes = sorted(name for name, obj in inspect.getmembers(errors, inspect.isclass)
                     if issubclass(obj, EspassGeoError) and obj.__module__ == errors.__name__)
    assert "CoverageError" in classes  # the walk found the hierarchy
    missing = [name for name in classes if not _named(section, name)]
    assert not missing, f"error classes missing from the Dépannage section: {missing}"


def _all_subclasses(cls: type) -> set[type]:
    out: set[type] = set()
    for sub in cls.__subclasses__():
        out |= {sub} | _all_subclasses(sub)
    return out


def test_every_error_class_of_the_package_is_documented(section):
    """Error classes defined elsewhere in the package (e.g. ``maps.RemoteAssetError``)."""
    for info in pkgutil.walk_packages(espass_geo.__path__, "espass_geo."):
        importlib.import_module(info.name)
    classes = sorted(c.__name__ for c in _all_subclasses(EspassGeoError)
                     if c.__module__.startswith("espass_geo"))
    missing = [name for name in classes if not _named(section, name)]
    assert not missing, f"error classes missing from the Dépannage section: {missing}"


def _help(*args: str) -> str:
    result = CliRunner().invoke(main, [*args, "--help"])
    assert result.exit_code == 0, result.output
    return result.output


def test_quoted_options_exist(section):
    runner_help = _help()
    commands = sorted(main.commands)
    helps = {"espass-geo": runner_help, **{c: _help(c) for c in commands}}
    quoted = set()
    for span in re.findall(r"`([^`\n]+)`", section):
        quoted |= set(re.findall(r"(?<![\w-])--[a-z][a-z0-9-]*", span))
    assert {"--overwrite", "--max-nodata-share", "--zpc"} <= quoted, sorted(quoted)
    unknown = sorted(opt for opt in quoted
                     if not any(re.search(rf"(?<![\w-]){re.escape(opt)}(?![\w-])", h)
                                for h in helps.values()))
    assert not unknown, f"options quoted in the Dépannage section but in no --help: {unknown}"
