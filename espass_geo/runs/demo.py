"""The demo: the full bilan of the SCoT Flandre-Dunkerque and of the 37 EPCI of Nord/Pas-de-Calais.

Runs on the embedded data only: ``espass-geo demo``, or :func:`espass_geo.api.demo` then
:func:`espass_geo.api.write` (:func:`compute_demo`, :func:`write_demo_outputs`).
"""

from __future__ import annotations

import html
from dataclasses import dataclass, field
from pathlib import Path

from espass_geo.core.bilan_table import synthesis
from espass_geo.io.bilan_config import BilanConfig, load_bilan_config
from espass_geo.io.outputs import atomic_output_dir
from espass_geo.reference import data
from espass_geo.runs.bilan import BilanResult, compute_bilan, write_bilan_outputs

#: SCoT Flandre-Dunkerque = CU de Dunkerque + CC des Hauts de Flandre (SIREN, COG 2018 = 2026).
DEMO_TERRITORY = "epci:245900428,200040954"
DEMO_LABEL = "SCoT Flandre-Dunkerque"


def demo_configs() -> dict[str, BilanConfig]:
    """The two demo bilans, read from the embedded configuration files."""
    folder = data.data_path("landcover", "scenarios")
    return {"flandre_dunkerque": load_bilan_config(folder / "bilan_flandre_dunkerque.toml"),
            "region": load_bilan_config(folder / "bilan_region.toml")}


@dataclass
class DemoResult:
    """The demo bilans by name (``flandre_dunkerque``, ``region``)."""

    bilans: dict[str, BilanResult]
    files: dict[str, Path] = field(default_factory=dict)


def compute_demo(*, quiet: bool = True) -> DemoResult:
    """The two demo bilans, computed (nothing written)."""
    return DemoResult({name: compute_bilan(cfg, quiet=quiet)
                       for name, cfg in demo_configs().items()})


def write_demo_outputs(result: DemoResult, out_dir: str | Path = "maps/demo", *,
                       overwrite: bool = False) -> dict[str, Path]:
    """The demo bilans under ``out_dir`` (``flandre_dunkerque/``, ``region/``) + an index.

    The whole folder is one output (one manifest, swapped in whole: see
    :func:`espass_geo.io.outputs.atomic_output_dir`).
    """
    from espass_geo.reference.factor_set import use_factors

    out_dir = Path(out_dir)
    results = result.bilans
    with atomic_output_dir(out_dir, overwrite=overwrite) as tmp:
        for name, r in results.items():
            with use_factors(r.factors):
                write_bilan_outputs(r, tmp / name)
            r.files = {k: out_dir / name / Path(p).relative_to(tmp / name)
                       for k, p in r.files.items()}
        (tmp / "index.html").write_text(_index_html(results), encoding="utf-8")
    result.files = {f"{name}/{k}": p for name, r in results.items() for k, p in r.files.items()}
    result.files["index.html"] = out_dir / "index.html"
    return result.files


def _index_html(results: dict[str, BilanResult]) -> str:
    from espass_geo.present.fmt import fmt_mass_t

    items = []
    for name, r in results.items():
        sy = synthesis(r.table)
        items.append((f"{name}/index.html", r.config.title,
                      f"stock {fmt_mass_t(sy['stock_tC'])}, flux net "
                      f"{fmt_mass_t(sy['flux_tCO2e_an'], 'tCO₂e')}/an (positif = séquestration), "
                      f"empreinte {fmt_mass_t(sy['footprint_without_land_tCO2e_an'], 'tCO₂e')}/an",
                      [("rapport", f"{name}/rapport.html"), ("Excel", f"{name}/bilan.xlsx")]
                      + ([("scénario", f"{name}/scenarios/carte_scenarios.html")]
                         if r.scenario is not None else [])))
    lis = "\n".join(
        f'<li><a href="{html.escape(h)}">{html.escape(t)}</a> — '
        + " · ".join(f'<a href="{html.escape(u)}">{html.escape(lab)}</a>' for lab, u in links)
        + f"<br><small>{html.escape(d)}</small></li>" for h, t, d, links in items)
    return f"""<!doctype html>
<html lang="fr"><head><meta charset="utf-8"><title>espass_geo — démonstration</title>
<style>body{{font-family:system-ui,sans-serif;max-width:52em;margin:2em auto;line-height:1.5}}
li{{margin:1em 0}}</style></head>
<body><h1>espass_geo — démonstration</h1>
<p>Bilan ESPASS (stocks et flux de carbone des sols et de la biomasse selon la méthode ADEME
ALDO, émissions par secteur et par poste, polluants, scénarios) calculé sur les données
embarquées. Les rasters d'occupation du sol de Flandre-Dunkerque sont des substituts synthétiques
calibrés et l'inventaire d'émissions est une estimation de démonstration.</p>
<ul>
{lis}
</ul></body></html>
"""
