"""ZAN as the law counts it, with its carbon cost (issue #12): the edge of the package.

Reads the Cerema consumption file (:mod:`espass_geo.io.consumption`), computes per commune the
2011–2020 reference, the 2021–2030 budget, the consumption observed since 2021 and what it
cost in carbon (:mod:`espass_geo.core.zan`), the territory's trajectory to 2050, the SCoT
envelope shared among communes, and, from two OCS GE dates, net artificialisation with the
carbon released and regained (:mod:`espass_geo.core.artificialisation`). Writes the tables,
the map and the chart.

Signs: a carbon cost is an emission, written positive (``cost_tCO2e``); the flows of the rest
of the package keep the ALDO convention (positive = sequestration).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import geopandas as gpd
import pandas as pd

from espass_geo import __version__
from espass_geo.constants import LAMBERT93
from espass_geo.errors import FactorError, InputFileError, TerritoryError
from espass_geo.io.consumption import ConsumptionData, demo_consumption_path, read_consumption
from espass_geo.territory.resolve import Territory, resolve_territory

COST_CONVENTION_FR = ("Coût carbone : tCO₂e émises, compté positivement (à l'inverse des flux, "
                      "où positif = séquestration).")


@dataclass
class ZanResult:
    """Everything a ZAN run produced, in memory."""

    territory: Territory
    consumption: ConsumptionData
    #: per commune: reference, budget, consumed since 2021, remaining, carbon cost
    accounts: pd.DataFrame
    #: yearly, whole territory: observed, ZAN path, trend (ha)
    trajectory: pd.DataFrame
    #: commune × year × destination: hectares and tCO2e emitted
    carbon: pd.DataFrame
    #: commune × destination: tCO2e per hectare consumed (and its land-use basis)
    cost_per_ha: pd.DataFrame
    #: the SCoT envelope 2021–2030 shared among communes
    territorialisation: pd.DataFrame | None = None
    #: OCS GE at two dates: artificialised, renatured and net hectares per commune + carbon
    net: pd.DataFrame | None = None
    net_trajectory: pd.DataFrame | None = None
    zones: gpd.GeoDataFrame | None = None
    notes: list[str] = field(default_factory=list)
    files: dict[str, Path] = field(default_factory=dict)
    factors: Any = None

    @property
    def estimate(self) -> bool:
        return bool(self.consumption.estimate)


def consumption_path(value: str | Path | None) -> Path:
    """``"demo"`` (or nothing) → the embedded estimate; otherwise the path given."""
    if value is None or str(value) == "demo":
        return demo_consumption_path()
    return Path(value)


def _commune_zones(territory: Territory, source: str) -> gpd.GeoDataFrame:
    zones = territory.zones
    ids = zones["zone_id"].astype(str)
    bad = ids[~ids.str.fullmatch(r"\d{5}|2[AB]\d{3}")]
    if len(bad):
        raise TerritoryError(
            f"ZAN : la consommation d'espaces ({source}) est donnée par commune, mais les zones "
            f"du territoire « {territory.label} » ne sont pas des communes (identifiants "
            f"{', '.join(bad.head(5))}{' …' if len(bad) > 5 else ''}). Donnez le territoire par "
            "codes INSEE, epci:SIREN ou dep:59, ou un fichier de communes avec leur code INSEE "
            "(--id-field INSEE_COM).")
    return zones


def resolve_communes(territory, *, zpc: str | None = None, id_field: str | None = None,
                     name_field: str | None = None, source: str = "") -> Territory:
    """:func:`resolve_territory` for a ZAN run. Zones without a pedoclimatic zone are most
    often not communes at all (a file of sectors, of AU zones): that, the real problem of a ZAN
    run, is said first (:class:`TerritoryError`) rather than asking for ``--zpc``, which would
    not make them communes."""
    try:
        return resolve_territory(territory, zpc=zpc, id_field=id_field, name_field=name_field)
    except FactorError:
        if zpc is None and not isinstance(territory, Territory):
            _commune_zones(resolve_territory(territory, zpc="2_1", id_field=id_field,
                                             name_field=name_field), source)
        raise


def _default_mix(zone_ids: list[str]) -> tuple[pd.DataFrame, str]:
    """What each commune artificialised 2012→2018 (real ALDO CLC changes per commune, 59/62),
    with the fallbacks of :func:`espass_geo.core.zan.from_mix_from_changes`."""
    from espass_geo.core.zan import from_mix_from_changes
    from espass_geo.reference import data

    ch = data.read_csv(data.aldo_clc_change_communes_path(), dtype={"commune": str})
    tr = pd.DataFrame({"zone_id": ch["commune"].astype(str), "from_code": ch["code12"].astype(str),
                       "to_code": ch["code18"].astype(str),
                       "area_ha": ch["area"].astype(float)})
    tr = tr[tr["zone_id"].isin(zone_ids)]
    if tr.empty:
        raise InputFileError(
            "ZAN : pas de changements CLC 2012→2018 embarqués pour ces communes (hors Nord et "
            "Pas-de-Calais) : donnez l'occupation du sol du territoire (--landcover-before et "
            "--landcover-after, ou [landcover] dans bilan.toml) pour savoir ce que "
            "l'artificialisation a consommé.")
    mix = from_mix_from_changes(tr, zone_ids=zone_ids)
    return mix, ("ce que chaque commune a artificialisé entre 2012 et 2018 (changements CLC "
                 "d'ALDO par commune)")


def compute_zan(
    territory: Territory | str,
    *,
    consumption: str | Path | None = "demo",
    guarantee: bool = False,
    plu_communes: set[str] | None = None,
    territorialisation: str | Path = "consumption",
    landcover_before: str | Path | None = None,
    landcover_after: str | Path | None = None,
    years: tuple[int, int] | None = None,
    from_mix: pd.DataFrame | None = None,
    mix_source: str | None = None,
    method: str = "aldo",
    gwp_n2o: float | None = None,
    zpc: str | None = None,
    id_field: str | None = None,
    name_field: str | None = None,
) -> ZanResult:
    """The ZAN accounts of a territory of communes, and their carbon cost.

    ``consumption``: the Cerema file (``"demo"``: the embedded estimate built from ALDO's CLC
    changes). ``guarantee``: the communal guarantee of 1 ha for the communes of
    ``plu_communes`` (None: every commune). ``territorialisation``: how the territory's
    2021–2030 envelope is shared (``consumption``: like the 2011–2020 reference,
    ``population``, or a CSV ``zone_id, share``). ``landcover_before`` / ``landcover_after``
    (OCS GE layers dated ``years``): net artificialisation per commune. ``from_mix``
    (``zone_id, land_use, share``): what the consumed land was (default: what each commune
    artificialised 2012→2018 in ALDO's CLC changes).
    """
    from espass_geo.constants import DEFAULT_GWP_N2O
    from espass_geo.core.zan import (
        carbon_cost_indicator,
        carbon_cost_per_ha,
        consumption_carbon,
        territorialise,
        zan_accounts,
        zan_trajectory,
    )
    from espass_geo.territory.zones import zone_attributes

    gwp = DEFAULT_GWP_N2O if gwp_n2o is None else float(gwp_n2o)
    path = consumption_path(consumption)
    territory = resolve_communes(territory, zpc=zpc, id_field=id_field, name_field=name_field,
                                 source=str(path))
    zones = _commune_zones(territory, str(path))
    ids = zones["zone_id"].astype(str).tolist()
    cd = read_consumption(path, communes=ids)
    notes = list(territory.notes) + list(cd.notes)
    names = dict(zip(zones["zone_id"].astype(str), zones.get("zone_name", zones["zone_id"]),
                     strict=True))
    accounts = zan_accounts(cd.table, plu_communes=plu_communes, guarantee=guarantee,
                            names=names)
    trajectory = zan_trajectory(accounts, cd.table, first_year=2011)
    attrs = zone_attributes(zones, zpc_override=territory.zpc_override)
    if from_mix is None:
        from_mix, mix_source = _default_mix(ids)
    cost = carbon_cost_per_ha(from_mix, attrs, method=method, gwp_n2o=gwp,
                              zpc_override=territory.zpc_override)
    carbon = consumption_carbon(cd.table, cost)
    carbon = carbon[carbon["area_ha"] > 0].reset_index(drop=True)  # years with consumption
    indicator = carbon_cost_indicator(accounts, carbon)
    accounts = accounts.merge(indicator.drop(columns=["zone_name", "consumed_since_2021_ha"],
                                             errors="ignore"), on="zone_id", how="left")
    notes.append(f"Coût carbone par hectare consommé : d'après {mix_source or 'le mélange donné'}"
                 f" ; règles ALDO (pertes immédiates, gains sur 20 ans), {80} % "
                 "imperméabilisé par défaut (factors/zan_parameters.csv). " + COST_CONVENTION_FR)
    envelope = float(accounts["budget_2021_2030_ha"].sum())
    terr = _territorialise(envelope, cd, territorialisation, ids, territorialise)
    net = net_traj = None
    if (landcover_before is None) != (landcover_after is None):
        given, absent = (("--landcover-before", "--landcover-after")
                         if landcover_before is not None
                         else ("--landcover-after", "--landcover-before"))
        raise InputFileError(f"ZAN : {given} « {landcover_before or landcover_after} » est donnée "
                             f"sans {absent} : l'artificialisation nette demande deux dates "
                             "d'OCS GE ; donnez les deux couches et leurs années (--years 2018 "
                             "2021), ou aucune.")
    if landcover_before is not None:
        net, net_traj, net_notes = _net_artificialisation(zones, landcover_before,
                                                          landcover_after, years, attrs,
                                                          method=method, gwp=gwp,
                                                          zpc_override=territory.zpc_override)
        notes += net_notes
    zg = zones[["zone_id", "geometry"]].merge(accounts, on="zone_id", how="left")
    if terr is not None:
        zg = zg.merge(terr[["zone_id", "envelope_ha"]].rename(
            columns={"envelope_ha": "envelope_2021_2030_ha"}), on="zone_id", how="left")
    if net is not None:
        zg = zg.merge(net, on="zone_id", how="left")
    result = ZanResult(territory=territory, consumption=cd, accounts=accounts,
                       trajectory=trajectory, carbon=carbon, cost_per_ha=cost,
                       territorialisation=terr, net=net, net_trajectory=net_traj,
                       zones=gpd.GeoDataFrame(zg, geometry="geometry", crs=LAMBERT93),
                       notes=list(dict.fromkeys(notes)))
    return result


def _territorialise(envelope, cd, how, ids, territorialise) -> pd.DataFrame | None:
    if how is None:
        return None
    key = str(how)
    if key == "consumption":
        return territorialise(envelope, cd.table, by="consumption")
    if key == "population":
        from espass_geo.core.emissions import embedded_population

        pop = embedded_population(pd.Series(ids))
        pop = pd.DataFrame({"zone_id": ids, "population": pop["population"].to_numpy()
                            if "population" in pop else pop.iloc[:, -1].to_numpy()})
        return territorialise(envelope, cd.table, by="population", population=pop)
    return territorialise(envelope, cd.table, by="table",
                          table=read_territorialisation(Path(key), ids, envelope))


def read_territorialisation(path: Path, ids: list[str], envelope_ha: float) -> pd.DataFrame:
    """The user's share of the 2021–2030 envelope per commune (``zone_id`` and ``share``
    summing to 1, or ``envelope_ha`` summing to the envelope), checked against the territory:
    every commune once, no other; every problem named with the file, line and value."""
    import math

    from espass_geo.io.tables import (
        Number,
        _err,
        check_codes,
        check_duplicates,
        check_no_empty,
        numbers,
        read_table,
    )
    from espass_geo.present.fmt import fmt_number

    t = read_table(path, "table de territorialisation ZAN", required=["zone_id"],
                   error=InputFileError)
    col = next((c for c in ("share", "envelope_ha") if c in t.df.columns), None)
    if col is None:
        raise InputFileError(
            f"{t.label} : colonne share (part de l'enveloppe de chaque commune, somme 1) ou "
            f"envelope_ha (hectares) introuvable ; colonnes trouvées : "
            f"{', '.join(t.df.columns)}. Exemple : zone_id,share puis 59183,0.6.")
    check_no_empty(t, ["zone_id"])
    check_codes(t, ["zone_id"])
    codes = t.df["zone_id"].astype(str).str.strip()
    check_duplicates(t, ["zone_id"], frame=t.df.assign(zone_id=codes))
    known = set(ids)
    problems = [f"ligne {t.line(i)} : commune « {c} » hors du territoire"
                for i, c in codes.items() if c not in known]
    missing = [c for c in ids if c not in set(codes)]
    if missing:
        problems.append(f"{len(missing)} commune(s) du territoire absente(s) : "
                        f"{', '.join(missing[:10])}{' …' if len(missing) > 10 else ''}")
    if problems:
        raise _err(InputFileError, t.label, problems,
                   "La table répartit l'enveloppe entre les communes du territoire : une ligne "
                   "par commune (code INSEE sur 5 caractères), aucune autre ; une commune sans "
                   f"enveloppe s'écrit avec {col} = 0.")
    values = numbers(t, {col: Number(minimum=0)})[col]
    total = math.fsum(values)
    if col == "share" and abs(total - 1.0) > 1e-6:
        raise InputFileError(
            f"{t.label} : les parts (colonne share) somment à {fmt_number(total, 6)}, pas à 1 ; "
            "corrigez-les (tolérance 0,000001), ou donnez des hectares dans une colonne "
            "envelope_ha.")
    if col == "envelope_ha" and (abs(total - envelope_ha) > 1e-6 * max(1.0, envelope_ha)
                                 or not total > 0):
        raise InputFileError(
            f"{t.label} : les enveloppes (colonne envelope_ha) somment à "
            f"{fmt_number(total, 4)} ha, pas à l'enveloppe 2021-2030 du territoire "
            f"({fmt_number(envelope_ha, 4)} ha) ; corrigez-les ou donnez des parts (share).")
    return pd.DataFrame({"zone_id": codes.to_numpy(), col: values.to_numpy(float)})


def _net_artificialisation(zones, before, after, years, attrs, *, method, gwp, zpc_override):
    """Net artificialisation per commune from two OCS GE layers, with the carbon released by
    what was artificialised and regained by what was renatured."""
    from espass_geo.core.artificialisation import (
        artificialisation_transitions,
        net_from_transitions,
    )
    from espass_geo.core.zan import (
        carbon_cost_per_ha,
        from_mix_from_changes,
        renaturation_gain_per_ha,
    )
    from espass_geo.io.ocsge import read_ocsge
    from espass_geo.reference.factors import clc_mapping

    if years is None:
        raise InputFileError("ZAN : donnez les années des deux OCS GE (--years 2018 2021).")
    _check_layer_years(before, after, years)
    bbox = tuple(zones.total_bounds)
    b = read_ocsge(before, bbox=bbox)
    a = read_ocsge(after, bbox=bbox)
    tr = artificialisation_transitions(zones, b, a, years=years)
    net = net_from_transitions(tr, years=years, zone_ids=zones["zone_id"].tolist())
    notes = list(tr.attrs.get("notes", []))
    tr = tr.copy()
    tr.attrs = {}  # its summary DataFrame in attrs would break pandas' concat (attrs compared)
    lu = clc_mapping()
    t = tr.assign(from_land_use=tr["from_code"].astype(str).map(lu),
                  to_land_use=tr["to_code"].astype(str).map(lu))
    art = t[~t["from_artificialised"].astype(bool) & t["to_artificialised"].astype(bool)]
    ren = t[t["from_artificialised"].astype(bool) & ~t["to_artificialised"].astype(bool)]
    cost_t = pd.Series(0.0, index=net["zone_id"])
    if len(art):
        mix = from_mix_from_changes(art[["zone_id", "from_land_use", "to_land_use", "area_ha"]]
                                    .assign(to_land_use="artificial_sealed"),
                                    zone_ids=art["zone_id"].unique().tolist())
        # OCS GE says what became sealed (901) or vegetated (902, 141): its own share
        ha_all = art.groupby("zone_id")["area_ha"].sum()
        sealed = art[art["to_land_use"] == "artificial_sealed"].groupby("zone_id")[
            "area_ha"].sum().reindex(ha_all.index, fill_value=0.0) / ha_all
        kw = dict(method=method, gwp_n2o=gwp, zpc_override=zpc_override)
        mix_rows = lambda c: c[c["land_use_from"] == "mix"].set_index("zone_id")[  # noqa: E731
            "tCO2e_per_ha"]
        all_sealed = mix_rows(carbon_cost_per_ha(mix, attrs, to_sealed_share=1.0, **kw))
        all_grassed = mix_rows(carbon_cost_per_ha(mix, attrs, to_sealed_share=0.0, **kw))
        # the cost is linear in the sealed share: each zone its own
        per_ha = (sealed * all_sealed.reindex(sealed.index)
                  + (1.0 - sealed) * all_grassed.reindex(sealed.index))
        ha = art.groupby("zone_id")["area_ha"].sum()
        cost_t = cost_t.add(ha * per_ha.reindex(ha.index), fill_value=0.0)
    gain_t = pd.Series(0.0, index=net["zone_id"])
    for target, rows in ren.groupby("to_land_use"):
        if target is None or str(target).startswith("artificial") or target == "unmapped":
            continue
        g = renaturation_gain_per_ha(str(target), attrs, method=method, gwp_n2o=gwp,
                                     zpc_override=zpc_override)
        per_ha = g.set_index("zone_id")["gain_tCO2e_per_ha"]
        ha = rows.groupby("zone_id")["area_ha"].sum()
        gain_t = gain_t.add(ha * per_ha.reindex(ha.index).fillna(0.0), fill_value=0.0)
    net = net.assign(
        artificialisation_cost_tCO2e=net["zone_id"].map(cost_t).fillna(0.0).to_numpy(),
        renaturation_gain_tCO2e=net["zone_id"].map(gain_t).fillna(0.0).to_numpy())
    net["net_carbon_cost_tCO2e"] = (net["artificialisation_cost_tCO2e"]
                                    - net["renaturation_gain_tCO2e"])
    from espass_geo.core.artificialisation import net_trajectory

    traj = net_trajectory(net)
    notes.append(f"Artificialisation nette {years[0]}–{years[1]} d'après l'OCS GE (règle "
                 "couverture × usage du décret n° 2023-1096, factors/ocsge_artificialisation.csv)"
                 " ; carbone émis par ce qui a été artificialisé, regagné (sur 20 ans) par ce qui "
                 "a été renaturé. " + COST_CONVENTION_FR)
    return net, traj, notes


def _check_layer_years(before, after, years) -> None:
    """An OCS GE layer whose file name carries one year (``ocsge_2021.gpkg``) must be of the
    year given: a forgotten ``--years`` (default 2012 2018, CLC's dates) would otherwise divide
    the hectares by the wrong number of years, silently."""
    from espass_geo.io.toml import landcover_date

    wrong, fix = [], [int(years[0]), int(years[1])]
    for i, (layer, flag) in enumerate(((before, "première"), (after, "seconde"))):
        if not isinstance(layer, str | Path):
            continue
        known = landcover_date(Path(layer).name)
        if known is not None and known[0] != fix[i]:
            wrong.append(f"la couche OCS GE « {layer} » date de {known[0]} (année lue dans le "
                         f"nom du fichier), pas de {fix[i]} ({flag} année de --years)")
            fix[i] = known[0]
    if wrong:
        raise InputFileError(
            "ZAN : " + " ; ".join(wrong) + f". Donnez les années des deux couches : --years "
            f"{fix[0]} {fix[1]} (l'artificialisation annuelle divise les hectares par l'écart "
            "entre les deux dates).")


# ---------------------------------------------------------------------------------- outputs
def _readme(result: ZanResult, params: dict) -> str:
    acc = result.accounts
    lines = [
        "espass_geo — ZAN : consommation d'espaces, budget 2021-2030 et coût carbone",
        f"Version : {__version__}",
        f"Territoire : {result.territory.label} ({len(acc)} communes)",
        f"Consommation d'espaces : {result.consumption.source}"
        + (" — ESTIMATION de démonstration, pas la mesure du Cerema" if result.estimate
           else ""),
        "Référence : consommation d'espaces naturels, agricoles et forestiers du 1er janvier "
        "2011 au 31 décembre 2020 (dix années, convention de Mon Diagnostic Artificialisation) ; "
        "budget 2021-2030 = moitié de la référence (loi Climat et Résilience, art. 191).",
        COST_CONVENTION_FR,
        "Unités : hectares (ha), tCO2e ; Lambert-93 (EPSG:2154).",
        "",
        "Fichiers :",
        "  zan_communes.csv     par commune : référence, budget, consommé depuis 2021, reste, "
        "coût carbone",
        "  zan_trajectoire.csv  par année : consommation observée, trajectoire ZAN, tendance",
        "  zan_carbone.csv      par commune, année et destination : ha et tCO2e émises",
        "  zan_cout_par_ha.csv  tCO2e par hectare consommé, par commune et destination",
        "  zan_territorialisation.csv  l'enveloppe 2021-2030 du territoire répartie entre "
        "communes",
        "  zan_net_ocsge.csv    artificialisation nette d'après l'OCS GE (si deux dates)",
        "  zan.gpkg, carte_zan.html, graphiques/",
        "",
        "Avertissements :",
        *[f"  - {n}" for n in result.notes],
        "",
        "Paramètres : " + json.dumps(params, ensure_ascii=False, default=str),
    ]
    return "\n".join(lines) + "\n"


def write_zan_outputs(result: ZanResult, out_dir: str | Path, *, params: dict | None = None,
                      title: str | None = None, make_map: bool = True, overwrite: bool = False,
                      inputs=(), svg_charts: bool = True) -> dict[str, Path]:
    """Write the ZAN outputs into ``out_dir`` atomically (nothing partial on error);
    ``svg_charts=False``: the charts in PNG only (a bilan's ``zan/`` folder: #14 item 6)."""
    from espass_geo.io.outputs import atomic_output_dir, write_gpkg_layer
    from espass_geo.present.exports import write_csv, write_csv_fr

    params = params or {}
    title = title or f"ZAN et carbone — {result.territory.label}"
    with atomic_output_dir(out_dir, overwrite=overwrite, inputs=inputs) as tmp:
        files: dict[str, Path] = {}
        files["zan_communes.csv"] = write_csv(result.accounts, tmp / "zan_communes.csv")
        files["zan_communes_excel_fr.csv"] = write_csv_fr(result.accounts,
                                                          tmp / "zan_communes_excel_fr.csv")
        files["zan_trajectoire.csv"] = write_csv(result.trajectory, tmp / "zan_trajectoire.csv")
        files["zan_carbone.csv"] = write_csv(result.carbon, tmp / "zan_carbone.csv")
        files["zan_cout_par_ha.csv"] = write_csv(result.cost_per_ha, tmp / "zan_cout_par_ha.csv")
        if result.territorialisation is not None:
            files["zan_territorialisation.csv"] = write_csv(
                result.territorialisation, tmp / "zan_territorialisation.csv")
        if result.net is not None:
            files["zan_net_ocsge.csv"] = write_csv(result.net, tmp / "zan_net_ocsge.csv")
            if result.net_trajectory is not None:
                files["zan_net_trajectoire.csv"] = write_csv(result.net_trajectory,
                                                             tmp / "zan_net_trajectoire.csv")
        write_gpkg_layer(result.zones, tmp / "zan.gpkg", "communes")
        files["zan.gpkg"] = tmp / "zan.gpkg"
        from espass_geo.present.exports import write_zan_xlsx

        # the workbook stays light (a département: 10⁵ rows in zan_carbone.csv): carbon per
        # commune and year, the share-weighted cost per hectare; the CSV files have the detail
        carbon_year = (result.carbon.groupby(["zone_id", "year"], as_index=False)
                       [["area_ha", "tCO2e"]].sum())
        cost = result.cost_per_ha
        if "land_use_from" in cost:
            cost = cost[cost["land_use_from"] == "mix"]
        cost = cost[[c for c in ("zone_id", "destination", "sealed_share", "tC_per_ha",
                                 "tCO2e_per_ha", "convention") if c in cost.columns]]
        tables = {"zan_communes": result.accounts, "zan_trajectoire": result.trajectory,
                  "zan_carbone_par_an": carbon_year, "zan_cout_par_ha": cost}
        if result.territorialisation is not None:
            tables["zan_territorialisation"] = result.territorialisation
        if result.net is not None:
            tables["zan_net_ocsge"] = result.net
        files["zan.xlsx"] = write_zan_xlsx(tables, tmp / "zan.xlsx", title=title,
                                           notes=result.notes)
        from espass_geo.present.charts.zan import zan_destination_chart, zan_trajectory_chart

        charts = {**zan_trajectory_chart(result.trajectory, result.carbon, tmp / "graphiques",
                                         title=title, estimate=result.estimate,
                                         svg=svg_charts),
                  **zan_destination_chart(result.carbon, tmp / "graphiques", title=title,
                                          estimate=result.estimate, svg=svg_charts)}
        for p in charts.values():
            files[f"graphiques/{Path(p).name}"] = p
        if make_map:
            from espass_geo.present.maps.zan import zan_map

            zan_map(result.zones, title=title, notes=result.notes, estimate=result.estimate,
                    html_path=tmp / "carte_zan.html")
            files["carte_zan.html"] = tmp / "carte_zan.html"
        (tmp / "LISEZ-MOI_zan.txt").write_text(_readme(result, params), encoding="utf-8")
    out_dir = Path(out_dir)
    result.files = {name: out_dir / Path(p).relative_to(tmp) if str(p).startswith(str(tmp))
                    else out_dir / Path(p).name for name, p in files.items()}
    return result.files
