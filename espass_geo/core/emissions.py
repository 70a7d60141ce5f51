"""Emissions: direct inventory by PCAET sector, consumption footprint by ESPASS post, pollutants.

Pure functions on DataFrames (reading and validating an inventory file is
:func:`espass_geo.io.inventory.read_inventory`).

Views of one tidy long table (:data:`EMISSION_COLUMNS`):

* ``sector``: direct (cadastral) emissions by PCAET sector, from an inventory;
* ``post_direct``: the same emissions allocated to the seven ESPASS posts with the documented
  shares of ``factors/sector_post_crosswalk.csv`` (totals are conserved);
* ``post``: consumption-based GHG per post = per-capita footprint × population, and
  ``utilisation_terres`` = the land-use carbon flows of the carbon module with the sign flipped
  (emission convention: a sequestering territory has a negative land-use post).

Emissions are positive numbers (inventory convention); carbon flows keep the ALDO convention
(positive = sequestration) and change sign only when they become the ``utilisation_terres`` post.
Worked example: 1 000 inhabitants × 1.80 tCO2e/hab/an (alimentation, 2.2 × 9.2/12.2) = 1 659 tCO2e.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from espass_geo.errors import InventoryError
from espass_geo.reference import data

EMISSION_COLUMNS = ["zone_id", "view", "category", "substance", "emission_t", "emission_tCO2e",
                    "source", "estimate"]
#: Largest local footprint multiplier accepted (per-capita footprints of French territories
#: differ from the national mean by well under a factor 3; 10 catches percentages typed as
#: factors, e.g. 120 for +20 %).
MAX_ADJUSTMENT = 10.0
UNIT_TO_T = {"t": 1.0, "kg": 1e-3, "kt": 1e3, "tco2e": 1.0, "ktco2e": 1e3, "teqco2": 1.0,
             "kteqco2": 1e3}
GHG_UNITS = {"tco2e", "ktco2e", "teqco2", "kteqco2"}


def sectors() -> pd.DataFrame:
    return data.factor_table("pcaet_sectors").set_index("sector")


def substances() -> pd.DataFrame:
    return data.factor_table("substances").set_index("substance")


def posts() -> pd.DataFrame:
    return data.factor_table("espass_posts").set_index("post")


def gwp(substance: str, edition: str = "ar6") -> float:
    s = substances()
    v = s.loc[substance, f"gwp_{edition}"]
    return float(v) if pd.notna(v) else np.nan


def validate_inventory(inv: pd.DataFrame, source: str = "inventory",
                       lines: pd.Series | None = None) -> pd.DataFrame:
    """Normalise and check an inventory table; every problem is listed in one error.

    Accepts sector ids or their French labels, substance ids, units t/kg/kt (masses) and
    tCO2e/ktCO2e (GES only). Returns columns ``territory_code, territory_level, sector,
    substance, year, value_t`` (tonnes, or tCO2e for GES). One row per territory × sector ×
    substance: a repeated row, or the same emission for two years, would be summed and is
    refused (``lines``: the file line of each row, for the message).
    """
    required = {"territory_code", "sector", "substance", "year", "value", "unit"}
    missing = sorted(required - set(inv.columns))
    if missing:
        raise InventoryError(f"{source} : colonne(s) manquante(s) {missing} ; attendu "
                             "territory_code, territory_level, sector, substance, year, value, "
                             "unit (factors/README.md, « Schéma d'inventaire »).")
    df = inv.copy()
    problems = []
    sec = sectors()
    by_label = {str(v).strip().lower(): k for k, v in sec["label_fr"].items()}
    raw_sector = df["sector"].astype(str).str.strip()
    df["sector"] = raw_sector.where(raw_sector.isin(sec.index),
                                    raw_sector.str.lower().map(by_label))
    bad = sorted(set(raw_sector[df["sector"].isna()]))
    if bad:
        problems.append(f"secteur(s) inconnu(s) {bad} ({_rows(df.index[df['sector'].isna()], lines)})"
                        f" ; les secteurs PCAET sont {list(sec.index)}")
    sub = substances()
    df["substance"] = df["substance"].astype(str).str.strip()
    bad = sorted(set(df["substance"]) - set(sub.index))
    if bad:
        where = _rows(df.index[~df["substance"].isin(sub.index)], lines)
        problems.append(f"substance(s) inconnue(s) {bad} ({where}) ; attendu {list(sub.index)}")
    unit = df["unit"].astype(str).str.strip().str.lower().str.replace("₂", "2")
    bad = sorted(set(unit) - set(UNIT_TO_T))
    if bad:
        where = _rows(df.index[~unit.isin(UNIT_TO_T)], lines)
        problems.append(f"unité(s) inconnue(s) {bad} ({where}) ; utilisez t, kg, kt (masses) ou "
                        "tCO2e, ktCO2e (GES)")
    is_ges = df["substance"] == "GES"
    wrong = df[(is_ges & ~unit.isin(GHG_UNITS)) | (~is_ges & unit.isin(GHG_UNITS)
                                                   & (df["substance"] != "CO2"))]
    if len(wrong):
        ex = wrong.iloc[0]
        problems.append(f"unités incohérentes avec les substances (ex. {ex['substance']} en "
                        f"{ex['unit']}, {_rows(wrong.index, lines)}) : GES en tCO2e, gaz et "
                        "polluants en t (masse)")
    values = pd.to_numeric(df["value"], errors="coerce")
    values = values.where(np.isfinite(values.astype(float)))
    if values.isna().any():
        where = _rows(values.index[values.isna()], lines)
        problems.append(f"valeur(s) non numérique(s), vides ou infinies ({where})")
    neg = df[values < 0]
    if len(neg):
        ex = neg.iloc[0]
        problems.append(f"émission(s) négative(s) ({len(neg)} ligne(s), ex. "
                        f"{ex['territory_code']} {ex['sector']} {ex['substance']} {ex['value']}) ;"
                        " les émissions sont ≥ 0 (la séquestration relève du module carbone)")
    years = pd.to_numeric(df["year"], errors="coerce")
    bad_year = years.isna() | (years != years.round()) | (years < 1990) | (years > 2100)
    if bad_year.any():
        ex = df.loc[bad_year, "year"].iloc[0]
        problems.append(f"année(s) invalide(s) (ex. « {ex} », {_rows(df.index[bad_year], lines)}) ;"
                        " une année entière entre 1990 et 2100")
    if not problems:
        key = df["territory_code"].astype(str).str.strip() + "|" + df["sector"] + "|" + \
            df["substance"]
        dup = key.duplicated(keep=False)
        for _, grp in df[dup].groupby(key[dup], sort=False):
            ys = sorted(set(grp["year"].astype(str)))
            what = (f"plusieurs années ({', '.join(ys)}) pour la même émission : gardez une seule "
                    "année" if len(ys) > 1 else "lignes en double : une ligne compterait deux fois")
            r0 = grp.iloc[0]
            problems.append(f"{_rows(grp.index, lines)} : {r0['territory_code']} {r0['sector']} "
                            f"{r0['substance']} — {what}")
            if len(problems) >= 8:
                break
    if problems:
        raise InventoryError(f"{source} : " + " ; ".join(problems) + ".")
    df["value_t"] = values * unit.map(UNIT_TO_T)
    df["territory_code"] = df["territory_code"].astype(str).str.strip()
    if "territory_level" not in df:
        df["territory_level"] = np.where(df["territory_code"].str.len() == 9, "epci", "commune")
    df["year"] = pd.to_numeric(df["year"], errors="coerce").astype("Int64")
    return df[["territory_code", "territory_level", "sector", "substance", "year", "value_t"]]


def _rows(index, lines: pd.Series | None) -> str:
    """« lignes 3, 7 » (file lines) or « rangs 0, 4 » (DataFrame rows)."""
    idx = list(index)[:8]
    if lines is not None:
        return "ligne(s) " + ", ".join(str(int(lines.loc[i])) for i in idx)
    return "rang(s) " + ", ".join(str(i) for i in idx)


def inventory_for_zones(inv: pd.DataFrame, zones: pd.DataFrame, *, source: str = "inventory",
                        notes: list[str] | None = None) -> pd.DataFrame:
    """Inventory rows per zone: communes as given, or commune rows summed to EPCI zones.

    Zones absent from the inventory are refused with the list of the missing ones. With
    ``notes`` (the demo estimate, built for Nord and Pas-de-Calais only), the member communes
    of an EPCI outside 59/62 (an EPCI across a departmental border, such as the CC des 7
    Vallées with Vitz-sur-Authie in the Somme) are left out with a note instead.
    """
    ids = set(zones["zone_id"])
    codes = set(inv["territory_code"])
    if ids <= codes:
        out = inv[inv["territory_code"].isin(ids)].rename(columns={"territory_code": "zone_id"})
        return out
    com = data.communes_2018().set_index("insee")["epci"]
    if all(len(z) == 9 for z in ids):  # EPCI zones: sum their communes
        sub = inv[inv["territory_level"] == "commune"].copy()
        sub["zone_id"] = sub["territory_code"].map(com)
        members = com[com.isin(ids)]
        missing_c = sorted(set(members.index) - set(sub["territory_code"]))
        outside = [c for c in missing_c if not c.startswith(("59", "62"))]
        if notes is not None and outside:
            notes.append(f"Inventaire de démonstration (Nord et Pas-de-Calais seulement) : "
                         f"{len(outside)} commune(s) membre(s) des EPCI hors de ces départements "
                         f"({', '.join(outside[:5])}) non comptée(s).")
            missing_c = [c for c in missing_c if c not in outside]
        if missing_c:
            raise InventoryError(f"{source} : {len(missing_c)} commune(s) des EPCI absente(s) "
                                 f"de l'inventaire, ex. {missing_c[:5]} ; donnez toutes les "
                                 "communes.")
        sub = sub[sub["zone_id"].isin(ids)]
        return sub.groupby(["zone_id", "sector", "substance", "year"], as_index=False)[
            "value_t"].sum()
    missing = sorted(ids - codes)
    zero = next((m for m in missing if m.lstrip("0") != m and m.lstrip("0") in codes), None)
    raise InventoryError(f"{source} : {len(missing)} zone(s) absente(s) de l'inventaire, ex. "
                         f"{missing[:5]} ; l'inventaire doit couvrir chaque commune du territoire "
                         "(ou donnez un territoire d'EPCI pour un inventaire par EPCI)"
                         + (f" ; l'inventaire contient {zero.lstrip('0')} : un tableur a retiré "
                            f"le zéro initial de {zero}, formatez la colonne en texte"
                            if zero else "") + ".")


def direct_emissions(inv_zone: pd.DataFrame, *, gwp_edition: str = "ar6") -> pd.DataFrame:
    """Direct emissions per zone × sector × substance with their tCO2e (GES and gases).

    The GES total of a sector is its ``GES`` row when given, otherwise the sum of the gases ×
    GWP100 (``factors/substances.csv``); gases keep their mass in ``emission_t``.
    """
    g = inv_zone.groupby(["zone_id", "sector", "substance"], as_index=False)["value_t"].sum()
    g["emission_t"] = np.where(g["substance"] == "GES", np.nan, g["value_t"])
    g["emission_tCO2e"] = np.nan
    ghg = g["substance"].isin(["CO2", "CH4", "N2O"])
    if ghg.any():
        factors = g.loc[ghg, "substance"].map(lambda s: gwp(s, gwp_edition)).astype(float)
        g.loc[ghg, "emission_tCO2e"] = g.loc[ghg, "value_t"] * factors
    gases = g[ghg].groupby(["zone_id", "sector"])["emission_tCO2e"].sum()
    ges = g[g["substance"] == "GES"].set_index(["zone_id", "sector"])["value_t"]
    have = set(ges.index)
    add = [(z, s, "GES", np.nan, v) for (z, s), v in gases.items() if (z, s) not in have]
    g.loc[g["substance"] == "GES", "emission_tCO2e"] = g.loc[g["substance"] == "GES", "value_t"]
    if add:
        g = pd.concat([g, pd.DataFrame(add, columns=["zone_id", "sector", "substance",
                                                     "emission_t", "emission_tCO2e"])],
                      ignore_index=True)
    out = g.rename(columns={"sector": "category"}).drop(columns="value_t")
    out["view"] = "sector"
    return out


def allocate_to_posts(direct: pd.DataFrame) -> pd.DataFrame:
    """Direct emissions by sector -> ESPASS posts with the crosswalk shares (totals conserved)."""
    cw = data.factor_table("sector_post_crosswalk")[["sector", "post", "share"]]
    cw = cw.assign(share=cw["share"].astype(float))
    m = direct.merge(cw, left_on="category", right_on="sector", how="inner")
    m["emission_t"] = m["emission_t"] * m["share"]
    m["emission_tCO2e"] = m["emission_tCO2e"] * m["share"]
    out = m.groupby(["zone_id", "post", "substance"], as_index=False)[
        ["emission_t", "emission_tCO2e"]].sum(min_count=1)
    out = out.rename(columns={"post": "category"})
    out["view"] = "post_direct"
    return out


def per_capita_footprint() -> pd.Series:
    """tCO2e per person per year by ESPASS post (scaled CGDD split; no land-use value)."""
    t = data.factor_table("consumption_per_capita")
    t = t[pd.to_numeric(t["scaled_value"], errors="coerce").notna()]
    return t.set_index("post")["scaled_value"].astype(float)


def validate_adjustments(adj: pd.DataFrame, source: str = "adjustments") -> pd.DataFrame:
    """Local footprint adjustments ``zone_id (or *), post, factor > 0, driver``."""
    need = {"zone_id", "post", "factor", "driver"}
    if not need <= set(adj.columns):
        raise InventoryError(f"{source} : colonnes {sorted(need)} requises (zone_id peut être "
                             f"*) ; trouvé {list(adj.columns)}.")
    a = adj.copy()
    a["zone_id"] = a["zone_id"].astype(str).str.strip()
    bad = sorted(set(a["post"]) - set(per_capita_footprint().index))
    if bad:
        raise InventoryError(f"{source} : poste(s) inconnu(s) {bad} ; les postes ajustables "
                             f"sont {list(per_capita_footprint().index)}.")
    a["factor"] = pd.to_numeric(a["factor"], errors="coerce")
    a["factor"] = a["factor"].where(np.isfinite(a["factor"].astype(float)))
    if a["factor"].isna().any() or (a["factor"] <= 0).any():
        raise InventoryError(f"{source} : les facteurs doivent être des nombres > 0 "
                             "(multiplicateurs).")
    if (a["factor"] > MAX_ADJUSTMENT).any():
        v = float(a.loc[a["factor"] > MAX_ADJUSTMENT, "factor"].iloc[0])
        raise InventoryError(f"{source} : facteur {v:g} > {MAX_ADJUSTMENT:g} ; un ajustement "
                             "local multiplie l'empreinte nationale moyenne, dont les écarts "
                             "locaux documentés restent dans un facteur 3 : vérifiez la valeur "
                             "(un facteur, pas un pourcentage).")
    if a["driver"].astype(str).str.strip().eq("").any():
        raise InventoryError(f"{source} : chaque ajustement doit donner sa justification "
                             "(colonne driver).")
    key = a["zone_id"] + "|" + a["post"].astype(str)
    if key.duplicated().any():
        k = key[key.duplicated()].iloc[0].replace("|", " × ")
        raise InventoryError(f"{source} : ajustement en double pour {k} ; gardez une seule "
                             "ligne par zone × poste.")
    return a


def consumption_emissions(population: pd.DataFrame,
                          land_flows: pd.DataFrame | None = None,
                          adjustments: pd.DataFrame | None = None) -> pd.DataFrame:
    """Consumption-based GHG per zone × post: footprint × population; land use from the flows.

    ``population``: ``zone_id, population``; ``land_flows``: ``zone_id, flux_tCO2e_an`` (ALDO
    convention, + = sequestration) → ``utilisation_terres`` = −flux (emission convention);
    ``adjustments`` (see :func:`validate_adjustments`): local multipliers of a post's
    per-capita footprint (a zone row wins over a ``*`` row).
    """
    fp = per_capita_footprint()
    factor: dict[tuple[str, str], tuple[float, str]] = {}
    if adjustments is not None and len(adjustments):
        adj = validate_adjustments(adjustments)
        for r in adj.sort_values("zone_id", key=lambda z: z != "*").itertuples(index=False):
            factor[(r.zone_id, r.post)] = (float(r.factor), str(r.driver))
    rows = []
    for z, p in population[["zone_id", "population"]].itertuples(index=False):
        for post, v in fp.items():
            f, driver = factor.get((z, post), factor.get(("*", post), (1.0, "")))
            rows.append((z, post, "GES", np.nan, float(p) * v * f, driver))
    out = pd.DataFrame(rows, columns=["zone_id", "category", "substance", "emission_t",
                                      "emission_tCO2e", "adjustment"])
    if land_flows is not None and len(land_flows):
        lf = land_flows.groupby("zone_id")["flux_tCO2e_an"].sum()
        lf = lf.reindex(population["zone_id"]).fillna(0.0)
        out = pd.concat([out, pd.DataFrame({
            "zone_id": lf.index, "category": "utilisation_terres", "substance": "GES",
            "emission_t": np.nan, "emission_tCO2e": 0.0 - lf.to_numpy()})], ignore_index=True)
    out["view"] = "post"
    return out


def import_export_balance(table: pd.DataFrame) -> pd.DataFrame:
    """Per zone × post: consumption-based vs direct-allocated GES; positive = imported."""
    ges = table[table["substance"] == "GES"]
    c = ges[ges["view"] == "post"].groupby(["zone_id", "category"])["emission_tCO2e"].sum()
    d = ges[ges["view"] == "post_direct"].groupby(["zone_id", "category"])[
        "emission_tCO2e"].sum()
    b = pd.DataFrame({"consumption_tCO2e": c, "direct_tCO2e": d}).fillna(0.0)
    b["balance_tCO2e"] = b["consumption_tCO2e"] - b["direct_tCO2e"]
    b["balance_fr"] = np.where(b["balance_tCO2e"] >= 0, "importées", "exportées")
    return b.reset_index()


def emissions_table(inv_zone: pd.DataFrame, population: pd.DataFrame,
                    land_flows: pd.DataFrame | None = None, *, estimate: bool = False,
                    source: str = "", gwp_edition: str = "ar6",
                    adjustments: pd.DataFrame | None = None) -> pd.DataFrame:
    """The tidy emission table of a territory (views sector, post_direct, post)."""
    direct = direct_emissions(inv_zone, gwp_edition=gwp_edition)
    parts = [direct, allocate_to_posts(direct),
             consumption_emissions(population, land_flows, adjustments)]
    out = pd.concat(parts, ignore_index=True)
    out["source"] = np.where(out["view"] == "post",
                             "empreinte par habitant (consumption_per_capita.csv) × population",
                             source or "inventaire")
    if "adjustment" in out:
        adj = out["adjustment"].fillna("").astype(str)
        out.loc[adj != "", "source"] = out.loc[adj != "", "source"] + " × ajustement local (" \
            + adj[adj != ""] + ")"
    out.loc[(out["view"] == "post") & (out["category"] == "utilisation_terres"), "source"] = \
        "flux de carbone de l'occupation des sols (espass_geo, ALDO), signe inversé"
    out["estimate"] = estimate
    return out[EMISSION_COLUMNS].reset_index(drop=True)


def per_capita(table: pd.DataFrame, population: pd.DataFrame) -> pd.DataFrame:
    pop = population.set_index("zone_id")["population"].astype(float)
    t = table.copy()
    t["population"] = t["zone_id"].map(pop)
    t["emission_tCO2e_hab"] = t["emission_tCO2e"] / t["population"]
    t["emission_t_hab"] = t["emission_t"] / t["population"]
    return t


def embedded_population(zone_ids: pd.Series) -> pd.DataFrame:
    """Population (COG 2018, ALDO commune table) of commune zones, or of EPCI zones as the sum
    of their communes (so that per-capita figures agree between the two levels)."""
    com = data.communes_2018()
    by_commune = com.set_index("insee")["population"].astype(float)
    by_epci = com.assign(p=com["population"].astype(float)).groupby("epci")["p"].sum()
    pop = zone_ids.map(by_commune).fillna(zone_ids.map(by_epci))
    if pop.isna().any():
        missing = zone_ids[pop.isna()].tolist()[:5]
        raise InventoryError(f"pas de population embarquée pour les zones {', '.join(missing)} ; donnez "
                             "--population (zone_id, population, cog).")
    return pd.DataFrame({"zone_id": zone_ids.to_numpy(), "population": pop.to_numpy()})


def synergy_table() -> pd.DataFrame:
    return data.factor_table("ghg_air_synergies")
