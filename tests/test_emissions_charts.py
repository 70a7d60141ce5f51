"""Emission charts (espass_geo.present.charts): files, PNG sizes, French labels and numbers in the SVG.

Synthetic territory: GHG by PCAET sector (an industrial territory: direct emissions far above
the footprint), GHG footprint by ESPASS post with a land-use sink (negative post), pollutants
by sector, a small synergy table. The SVG keeps its text as ``<text>`` (``svg.fonttype =
"none"``, one element per line): labels and numbers are searched as plain UTF-8 strings
(U+202F thousands separator, U+00A0 before a unit, U+2212 minus).
"""
from __future__ import annotations

import re

import pandas as pd
import pytest
from matplotlib import image as mpimg
from matplotlib._pylab_helpers import Gcf

from espass_geo.present.charts import (
    ESTIMATE_NOTE_FR,
    emissions_charts,
    pollutant_charts,
    synergy_chart,
)
from espass_geo.present.vocabulary import POST_LABELS_FR, SECTOR_LABELS_FR, SUBSTANCE_LABELS_FR

NNBSP, NBSP, MINUS = "\u202f", "\u00a0", "\u2212"
POLLUTANTS = ["NOx", "PM10", "PM2.5", "COVNM", "SO2", "NH3"]
#: One-to-one allocation of the sectors to the posts (explicit: no dependency on the factor
#: table), so that the differences below can be computed by hand.
CROSSWALK = pd.DataFrame({
    "sector": ["residentiel", "tertiaire", "transport_routier", "autres_transports",
               "agriculture", "dechets", "industrie", "branche_energie"],
    "post": ["residentiel", "services", "deplacements", "deplacements", "alimentation",
             "services", "biens_consommation", "biens_consommation"],
    "share": 1.0,
})


@pytest.fixture
def by_sector() -> pd.DataFrame:
    return pd.DataFrame({
        "category": list(SECTOR_LABELS_FR),
        "emission_tCO2e": [420_000.0, 180_000.0, 610_000.0, 95_000.0, 140_000.0, 35_000.0,
                           12_400_000.0, 2_100_000.0],
    })


@pytest.fixture
def by_post() -> pd.DataFrame:
    return pd.DataFrame({
        "category": list(POST_LABELS_FR),
        "emission_tCO2e": [560_000.0, 430_000.0, 640_000.0, 480_000.0, 310_000.0, 150_000.0,
                           -42_000.0],
    })


def _svg_texts(path) -> list[str]:
    return re.findall(r"<text[^>]*>([^<]*)</text>", path.read_text(encoding="utf-8"))


def _check_files(paths, out, stems, shape=(700, 1200, 4)):
    assert set(paths) == {f"{s}.{e}" for s in stems for e in ("png", "svg")}
    for name, path in paths.items():
        assert path == out / name
        assert path.is_file() and path.stat().st_size > 1000
    for stem in stems:
        img = mpimg.imread(paths[f"{stem}.png"])
        if shape is None:
            assert img.shape[1] == 1200 and img.shape[2] == 4
        else:
            assert img.shape == shape
    assert not list(out.glob(".*.tmp.*"))  # temporary files renamed


def test_emissions_charts_files_and_labels(tmp_path, by_sector, by_post):
    before = Gcf.get_num_fig_managers()
    out = tmp_path / "graphiques é"
    paths = emissions_charts(by_sector, by_post, out, title="Territoire test", estimate=True,
                             crosswalk=CROSSWALK)
    _check_files(paths, out, ("emissions_secteurs_postes", "imports_exports"))
    assert Gcf.get_num_fig_managers() == before  # no pyplot figure created or left open

    texts = _svg_texts(paths["emissions_secteurs_postes.svg"])
    joined = "\n".join(texts)
    assert "Par secteur (PCAET, émissions directes)" in texts
    assert "Par poste (ESPASS, consommation)" in texts
    assert f"Transport routier{NBSP}: 610{NBSP}ktCO₂e (4{NBSP}%)" in texts
    assert f"Biens de consommation{NBSP}: 430{NBSP}ktCO₂e (17{NBSP}%)" in texts
    # the land-use sink, negative, and the totals: 15 980 kt direct, 2 570 − 42 = 2 528 net
    assert (f"Utilisation des terres{NBSP}: {MINUS}42,0{NBSP}ktCO₂e (séquestration nette)"
            in texts)
    assert f"Total{NBSP}: 15{NNBSP}980{NBSP}ktCO₂e/an" in texts
    assert f"Total net{NBSP}: 2{NNBSP}528{NBSP}ktCO₂e/an" in texts
    # a share below 1 % keeps a decimal: 35 / 15 980 = 0,22 %
    assert f"Déchets{NBSP}: 35,0{NBSP}ktCO₂e (0,2{NBSP}%)" in texts
    assert "Industrie hors branche énergie" in joined
    assert f"12{NNBSP}500" in texts  # French tick of the kt axis
    assert ESTIMATE_NOTE_FR in " ".join(texts)  # the note wrapped to the figure's width

    texts = _svg_texts(paths["imports_exports.svg"])
    # alimentation 560 − 140 = 420 imported; biens 430 − 14 500 = −14 070 exported;
    # déplacements 640 − 705 = −65 exported; services 310 − 215 = 95 imported;
    # travaux: no sector → 150 imported
    assert f"420{NBSP}ktCO₂e importées" in texts
    assert f"14{NNBSP}070{NBSP}ktCO₂e exportées" in texts
    assert f"65,0{NBSP}ktCO₂e exportées" in texts
    assert f"95,0{NBSP}ktCO₂e importées" in texts
    assert f"150{NBSP}ktCO₂e importées" in texts
    assert "Biens de consommation" in texts and "Utilisation des terres" not in texts
    assert "Émissions directes réparties entre postes\u00a0: table de correspondance fournie." \
        in texts
    assert ESTIMATE_NOTE_FR in " ".join(texts)  # the note wrapped to the figure's width


def test_emissions_charts_default_crosswalk_and_no_estimate(tmp_path, by_sector, by_post):
    paths = emissions_charts(by_sector, by_post.iloc[:-1], tmp_path, title="Sans estimation")
    for name in ("emissions_secteurs_postes.svg", "imports_exports.svg"):
        texts = _svg_texts(paths[name])
        assert "ESTIMATION" not in " ".join(texts)
    texts = _svg_texts(paths["emissions_secteurs_postes.svg"])
    assert not any(t.startswith("Total net") for t in texts)  # no negative post
    joined = "\n".join(_svg_texts(paths["imports_exports.svg"]))
    assert "importées" in joined or "exportées" in joined
    # whole territory: footprint and direct emissions are both written, in kt
    assert f"empreinte 2{NNBSP}570{NBSP}ktCO₂e" in joined


def test_emissions_charts_missing_column(tmp_path, by_sector, by_post):
    with pytest.raises(KeyError, match="emission_tCO2e"):
        emissions_charts(by_sector.rename(columns={"emission_tCO2e": "t"}), by_post, tmp_path,
                         title="x")


def test_synergy_chart(tmp_path):
    table = pd.DataFrame(
        [("post", "residentiel", "Isolation des logements", 1, 1, 1, 1, 1, 1, 0),
         ("post", "deplacements", "Report modal vers le vélo", 1, 1, 1, 1, 1, 0, 0),
         ("lever", "energy:residentiel:wood", "Chauffage au bois à la place du fioul",
          1, 0, -1, -1, -1, 1, 0),
         ("lever", "seal", "Artificialisation", -1, -1, -1, -1, 0, 0, 0)],
        columns=["scope", "item", "lever_fr", "ghg_effect", *POLLUTANTS])
    paths = synergy_chart(table, tmp_path / "syn", title="Synergies climat – air")
    _check_files(paths, tmp_path / "syn", ("synergies_ges_air",), shape=None)
    texts = _svg_texts(paths["synergies_ges_air.svg"])
    for header in ["Climat", *(SUBSTANCE_LABELS_FR[p] for p in POLLUTANTS)]:
        assert header in texts
    assert "PM₂,₅" in texts and "NOₓ" in texts
    assert "Résidentiel — Isolation des logements" in texts
    assert "Résidentiel — Chauffage au bois à la place du fioul" in texts  # from the item
    assert "Artificialisation" in texts
    assert "Postes ESPASS" in texts and "Leviers" in texts  # two scopes: grouped
    assert "+1 = bénéfique pour le climat / améliore la qualité de l'air" in texts
    # cells: 4 levers × 7 columns = 13 "+", 8 "0", 7 "−" (U+2212)
    assert texts.count("+") == 13
    assert texts.count("0") == 8
    assert texts.count(MINUS) == 7


def test_pollutant_charts(tmp_path):
    rows = []
    for k, sector in enumerate(SECTOR_LABELS_FR):
        for j, pollutant in enumerate(POLLUTANTS):
            rows.append((sector, pollutant, 10.0 * (k + 1) + j))
    rows.append(("agriculture", "NH3", 4_000.0))
    rows.append(("industrie", "GES", 1e7))  # greenhouse gas: left out
    df = pd.DataFrame(rows, columns=["category", "substance", "emission_t"])
    paths = pollutant_charts(df, tmp_path, title="Territoire test")
    _check_files(paths, tmp_path, ("polluants_secteurs",))
    texts = _svg_texts(paths["polluants_secteurs.svg"])
    for pollutant in POLLUTANTS:
        assert SUBSTANCE_LABELS_FR[pollutant] in texts
    assert "GES" not in texts
    # NOx total: 10 + 20 + … + 80 = 360 t; NH3: 360 + 8 × 5 + 4 000 = 4 400 t
    assert f"360{NBSP}t/an" in texts
    assert f"4{NNBSP}400{NBSP}t/an" in texts
    assert "Transport routier" in texts and "Industrie hors branche énergie" in texts
    assert f"100{NBSP}%" in texts and f"50{NBSP}%" in texts  # axis of shares
