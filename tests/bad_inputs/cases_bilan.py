"""The bilan command: its coverage threshold and the copy of its configuration.

Zone B (8 ha, right half of the 4×4 raster of 1 ha pixels) holds 5 no-data pixels in this
raster, so 5 / 8 = 62,5 % of it is not covered: above the default threshold (50 %) the bilan
stops, and it runs when the threshold is raised to 0.7 by the command line or by the key
``[landcover] max_nodata_share`` of bilan.toml.
"""

from __future__ import annotations

import json
import tomllib
from pathlib import Path
from typing import Any

import numpy as np

from .cases_html import BOX_IDS, box_emission_inputs
from .common import Case, write_raster, write_zones


def _toml(text: str) -> str:
    """A TOML basic string (JSON's escapes are TOML's)."""
    return json.dumps(text, ensure_ascii=False)


HOLED = np.array([[211, 211, 231, 0],
                  [211, 211, 0, 0],
                  [112, 112, 311, 0],
                  [112, 112, 311, 0]], dtype="uint16")


def bilan(*, title: str = "Bilan test", landcover_extra: str = "", cli: tuple[str, ...] = (),
          raster: np.ndarray = HOLED):
    def build(tmp: Path) -> list[str]:
        write_zones(tmp, ids=BOX_IDS)
        write_raster(tmp / "occupation.tif", raster)
        emissions = box_emission_inputs(tmp)
        (tmp / "bilan.toml").write_text(
            f"title = {_toml(title)}\nterritory = \"zones.geojson\"\nzpc = \"2_1\"\n"
            f"[landcover]\nafter = \"occupation.tif\"\n{landcover_extra}{emissions}",
            encoding="utf-8")
        return ["bilan", "--config", str(tmp / "bilan.toml"), "--out", str(tmp / "out"), "-q",
                *cli]
    return build


def config_copy_title(title: str):
    """The configuration written beside the results parses back to the same title."""
    def check(tmp: Path, result: Any) -> None:
        copy = tomllib.loads((tmp / "out" / "bilan.toml").read_text(encoding="utf-8"))
        assert copy["title"] == title
        assert copy["territory"] == "zones.geojson" or copy["territory"].endswith("zones.geojson")
    return check


HOSTILE_TITLE = 'Bilan "test"\nterritory = "dep:59" \\ fin'

CASES = [
    Case("bilan-coverage-default-threshold", bilan(), "error",
         (r"62,5", r"Zone B", r"bilan")),
    Case("bilan-coverage-threshold-cli", bilan(cli=("--max-nodata-share", "0.7")), "ok",
         (r"Avertissement : 1 zone\(s\) en partie hors du raster", r"Zone B.*62,5\s%")),
    Case("bilan-coverage-threshold-toml", bilan(landcover_extra="max_nodata_share = 0.7\n"),
         "ok"),
    Case("bilan-coverage-threshold-bool",
         bilan(landcover_extra="max_nodata_share = true\n"), "error",
         (r"bilan\.toml:6", r"max_nodata_share", r"booléen")),
    Case("bilan-coverage-threshold-above-one",
         bilan(landcover_extra="max_nodata_share = 1.5\n"), "error",
         (r"bilan\.toml:6", r"entre 0 et 1")),
    Case("bilan-config-copy-hostile-title",
         bilan(title=HOSTILE_TITLE, cli=("--max-nodata-share", "0.7")), "ok",
         check=config_copy_title(HOSTILE_TITLE)),
]
