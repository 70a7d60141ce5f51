"""The demo: SCoT Flandre-Dunkerque stocks per commune and parcel, and the 37 EPCI of the region.

Runs on the embedded data only: ``espass-geo demo`` or :func:`run_demo`.
"""

from __future__ import annotations

import html
from pathlib import Path

from . import data
from .emissions_pipeline import EmissionsResult, run_emissions
from .flows_pipeline import FlowsResult, run_flows
from .io import atomic_output_dir
from .pipeline import StocksResult, run_stocks
from .scenario_pipeline import ScenarioResult, run_scenario
from .territory import epci_territory

#: SCoT Flandre-Dunkerque = CU de Dunkerque + CC des Hauts de Flandre (SIREN, COG 2018 = 2026).
DEMO_TERRITORY = "epci:245900428,200040954"
DEMO_LABEL = "SCoT Flandre-Dunkerque"


def run_demo(out_dir: str | Path = "maps/demo", *, method: str = "aldo"
             ) -> dict[str, StocksResult | FlowsResult | ScenarioResult
                                 | EmissionsResult]:
    """Run the demo jobs under ``out_dir``: stocks and flows of the SCoT Flandre-Dunkerque
    (``flandre_dunkerque/``) and of the 37 EPCI of Nord/Pas-de-Calais (``region/``)."""
    out_dir = Path(out_dir)
    results: dict[str, StocksResult | FlowsResult | ScenarioResult
                                 | EmissionsResult] = {}
    results["flandre_dunkerque"] = run_stocks(
        DEMO_TERRITORY, out_dir=out_dir / "flandre_dunkerque",
        landcover=data.demo_landcover_path(), parcels=data.demo_parcels_path(), method=method,
        title=f"Stocks de carbone — {DEMO_LABEL} (57 communes)")
    results["region"] = run_stocks(
        "dep:59,62", out_dir=out_dir / "region", areas=data.aldo_clc18_epci_path(), method=method,
        title="Stocks de carbone — Nord et Pas-de-Calais, 37 EPCI (CLC 2018)")
    results["flandre_dunkerque_flux"] = run_flows(
        DEMO_TERRITORY, out_dir=out_dir / "flandre_dunkerque",
        landcover_before=data.demo_landcover_2012_path(),
        landcover_after=data.demo_landcover_path(), years=(2012, 2018), method=method,
        title=f"Flux de carbone 2012–2018 — {DEMO_LABEL}")
    results["region_flux"] = run_flows(
        "dep:59,62", out_dir=out_dir / "region", changes=data.aldo_clc_change_epci_path(),
        forest_areas=data.aldo_bdforet_epci_path(), years=(2012, 2018), method=method,
        title="Flux de carbone 2012–2018 — Nord et Pas-de-Calais, 37 EPCI (CLC, BD Forêt)")
    fdf, regf = results["flandre_dunkerque_flux"], results["region_flux"]
    results["flandre_dunkerque_emissions"] = run_emissions(
        DEMO_TERRITORY, out_dir=out_dir / "flandre_dunkerque",
        land_flows=fdf.zones[["zone_id", "flux_tCO2e_an"]],
        title=f"Émissions et empreinte — {DEMO_LABEL}")
    results["region_emissions"] = run_emissions(
        epci_territory("dep:59,62"), out_dir=out_dir / "region",
        land_flows=regf.zones[["zone_id", "flux_tCO2e_an"]],
        title="Émissions et empreinte — Nord et Pas-de-Calais, 37 EPCI")
    results["scenarios"] = run_scenario(
        data.data_path("landcover", "scenarios/flandre_dunkerque.toml"),
        out_dir=out_dir / "scenarios")
    with atomic_output_dir(out_dir) as tmp:
        (tmp / "index.html").write_text(_index_html(results), encoding="utf-8")
    return results


def _scenario_gain(r: ScenarioResult) -> float:
    d = r.delta
    last = d[(d["lever"] == "total") & (d["year"] == r.config.horizon)]
    return float(last["cumulative_delta_tCO2e"].iloc[0]) if len(last) else 0.0


def _index_html(results: dict[str, StocksResult]) -> str:
    from .fmt import fmt_mass_t

    fd, reg = results["flandre_dunkerque"], results["region"]
    fdf, regf = results["flandre_dunkerque_flux"], results["region_flux"]
    items = [
        ("flandre_dunkerque/carte_stocks.html", f"{DEMO_LABEL} — stocks par commune et par parcelle",
         f"{len(fd.zones)} communes, stock total {fmt_mass_t(fd.total_stock_tC)} "
         "(occupation du sol : raster de démonstration synthétique calibré)"),
        ("region/carte_stocks.html", "Nord et Pas-de-Calais — stocks des 37 EPCI",
         f"{len(reg.zones)} EPCI, stock total {fmt_mass_t(reg.total_stock_tC)} "
         "(surfaces Corine Land Cover 2018 réelles, tables ALDO)"),
        ("flandre_dunkerque/carte_flux.html", f"{DEMO_LABEL} — flux de carbone 2012–2018",
         f"flux net {fmt_mass_t(fdf.net_flux_tCO2e_an, 'tCO₂e')}/an (positif = séquestration), "
         "artificialisation et points chauds (rasters de démonstration synthétiques)"),
        ("scenarios/carte_scenarios.html", f"{DEMO_LABEL} — scénario 2025–2050 face au tendanciel",
         f"boisement, zone d'activités, semis direct et couverts sur les parcelles RPG, haies : "
         f"écart cumulé en 2050 {fmt_mass_t(_scenario_gain(results['scenarios']), 'tCO₂e')} "
         "(graphiques : scenarios/ecart_cumule.png)"),
        ("region/carte_flux.html", "Nord et Pas-de-Calais — flux de carbone des 37 EPCI",
         f"flux net {fmt_mass_t(regf.net_flux_tCO2e_an, 'tCO₂e')}/an (changements CLC 2012–2018 "
         "réels, BD Forêt, tables ALDO)"),
    ]
    lis = "\n".join(f'<li><a href="{html.escape(h)}">{html.escape(t)}</a><br><small>'
                    f"{html.escape(d)}</small></li>" for h, t, d in items)
    return f"""<!doctype html>
<html lang="fr"><head><meta charset="utf-8"><title>espass_geo — démonstration</title>
<style>body{{font-family:system-ui,sans-serif;max-width:50em;margin:2em auto;line-height:1.5}}
li{{margin:1em 0}}</style></head>
<body><h1>espass_geo — démonstration</h1>
<p>Stocks de carbone des sols et de la biomasse (méthode ADEME ALDO) calculés sur les données
embarquées dans le paquet.</p>
<ul>
{lis}
</ul></body></html>
"""
