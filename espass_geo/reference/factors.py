"""Factor look-ups: stock densities per land use and pool, for the ALDO and IPCC method sets.

Everything here is pure table work on the CSVs of ``factors/`` (see ``factors/README.md``).
The central function, :func:`stock_densities`, returns one row per
``zpc × region_code × land_use × pool`` with the density (tC/ha), its source and confidence.
"""

from __future__ import annotations

import pandas as pd

from espass_geo.constants import ARTIFICIAL_SPLIT_LAND_USES, FOREST_LAND_USES
from espass_geo.errors import FactorError, UnknownLandCoverClassError
from espass_geo.reference import data
from espass_geo.reference.factor_set import (  # noqa: F401 - re-exported: the factor sets live with the look-ups
    FactorSet,
    active_factor_set,
    factor_set_fingerprint,
    use_factors,
)

METHODS = ("aldo", "ipcc")
#: other names of a method (issue #13: « aldo-commune » is the default « aldo »); results say
#: the canonical name
METHOD_ALIASES = {"aldo-commune": "aldo"}


def canonical_method(method: str) -> str:
    """The canonical name of a soil method: ``"aldo-commune"`` -> ``"aldo"``, others unchanged."""
    return METHOD_ALIASES.get(method, method)
FOREST_CLASSES = FOREST_LAND_USES
ARTIFICIAL_SPLIT_CLASSES = ARTIFICIAL_SPLIT_LAND_USES


@data.factor_cache  # read-only for its callers; 5 000+ calls a demo (profile, #14 item 6)
def land_use_classes() -> pd.DataFrame:
    return data.factor_table("land_use_classes").set_index("land_use")


def clc_mapping() -> pd.Series:
    """CLC level-3 code (str) -> land_use id."""
    t = data.factor_table("clc_to_land_use")
    return t.set_index(t["code_clc"].astype(str))["land_use"]


def map_codes(codes: pd.Series, *, source: str = "occupation du sol") -> pd.Series:
    """Map land-cover codes to land-use ids; unknown codes raise with the full list."""
    mapping = clc_mapping()
    codes = codes.astype(str)
    unknown = sorted(set(codes) - set(mapping.index), key=lambda c: (len(c), c))
    if unknown:
        raise UnknownLandCoverClassError(
            f"{source} : code(s) d'occupation du sol {', '.join(unknown)} inconnu(s) : ce ne "
            "sont pas des "
            "codes CLC de niveau 3 de factors/clc_to_land_use.csv (44 codes, de 111 à 523). "
            "Recodez l'entrée en codes CLC de niveau 3 (un raster de l'AEE stocke GRID_CODE 1-44 : "
            "convertissez-le d'abord avec la nomenclature) ou ajoutez les codes à cette table.",
            unknown)
    return codes.map(mapping)


def inter_region(region_code: str) -> str:
    t = data.factor_table("region_interregion").set_index("region_code")["inter_region"]
    if region_code not in t.index:
        raise FactorError(
            f"code de région '{region_code}' absent de factors/region_interregion.csv ; utilisez "
            f"un code de région métropolitaine ({', '.join(t.index)})."
        )
    return str(t[region_code])


def _src(row) -> tuple[str, str]:
    return str(row["source"]), str(row["confidence"])


def _forest_rows(region_code: str, composition: str) -> pd.DataFrame:
    loc = data.factor_table("aldo_forest_location_by_region")
    pick = loc[(loc["region_code"] == region_code) & (loc["composition"] == composition)]
    if pick.empty:
        pick = loc[(loc["region_code"] == "*") & (loc["composition"] == composition)]
    if pick.empty:
        raise FactorError(
            f"pas de localisation forestière pour la région {region_code} et la composition "
            f"{composition} dans factors/aldo_forest_location_by_region.csv."
        )
    p = pick.iloc[0]
    ign = data.factor_table("ign_forest_carbon")
    rows = ign[(ign["location_type"] == p["location_type"])
               & (ign["location_code"].astype(str) == str(p["location_code"]))
               & (ign["composition"] == composition)]
    if rows.empty:
        raise FactorError(
            f"pas de ligne de carbone forestier IGN pour {p['location_type']} "
            f"{p['location_code']} {composition} dans factors/ign_forest_carbon.csv."
        )
    return rows.set_index("quantity")


@data.factor_cache  # 500+ calls a demo, each filtering two tables (profile, #14 item 6)
def forest_factor(region_code: str, composition: str, quantity: str) -> tuple[float, str, str]:
    """IGN forest carbon ``quantity`` (value, source label, confidence) of a region and
    composition, through ``aldo_forest_location_by_region`` (cached per factor set)."""
    rows = _forest_rows(region_code, composition)
    if quantity not in rows.index:
        raise FactorError(f"grandeur {quantity} absente pour la forêt {composition} "
                          f"({region_code}).")
    r = rows.loc[quantity]
    label = f"{r['source']} [{r['location_type']} {r['location_name']}]"
    return float(r["value"]), label, str(r["confidence"])


def _aldo_soil(zpc: str, soil_class: str) -> tuple[float, str, str]:
    t = data.factor_table("aldo_soil_stock_ref")
    r = t[(t["zpc"] == zpc) & (t["soil_class"] == soil_class)]
    if r.empty:
        raise FactorError(
            f"pas de stock de sol ALDO pour la ZPC '{zpc}' et la classe '{soil_class}' dans "
            "factors/aldo_soil_stock_ref.csv ; vérifiez la ZPC (ex. --zpc 2_1)."
        )
    r = r.iloc[0]
    return float(r["value"]), *_src(r)


def _ipcc_soil(zpc: str, land_use: str) -> tuple[float, str, str]:
    """IPCC Tier 1: SOC = SOC_REF × F_LU × F_MG × F_I (tC/ha, 0-30 cm)."""
    defaults = data.factor_table("ipcc_land_use_defaults").set_index("land_use")
    if land_use not in defaults.index:
        raise FactorError(f"occupation '{land_use}' absente de "
                          "factors/ipcc_land_use_defaults.csv.")
    d = defaults.loc[land_use]
    z = data.factor_table("zpc_to_ipcc").set_index("zpc")
    if zpc not in z.index:
        raise FactorError(f"ZPC '{zpc}' absente de factors/zpc_to_ipcc.csv ; vérifiez la ZPC "
                          "(ex. --zpc 2_1).")
    climate, soil_type, group = z.loc[zpc, ["ipcc_climate", "ipcc_soil_type", "ipcc_climate_group"]]
    ipcc_lu = str(d["ipcc_land_use"])
    if str(d.get("f_lu_level", "")) == "aldo_fallback" or ipcc_lu == "settlement":
        soil_class = land_use_classes().loc[land_use, "soil_class"]
        value, source, conf = _aldo_soil(zpc, soil_class)
        return value, f"ALDO (pas de valeur IPCC Tier 1 par défaut) : {source}", conf
    ref = data.factor_table("ipcc_soc_ref")
    st = "wetland" if ipcc_lu == "wetland" else soil_type
    r = ref[(ref["climate"] == climate) & (ref["soil_type"] == st)]
    if r.empty:
        raise FactorError(f"pas de SOC_ref GIEC pour {climate}/{st} dans "
                          "factors/ipcc_soc_ref.csv.")
    value = float(r.iloc[0]["value"])
    source = f"{r.iloc[0]['source']} (SOC_ref {climate}, {st})"
    if ipcc_lu in ("cropland", "grassland"):
        f = data.factor_table("ipcc_stock_change_factors")
        for factor, col in (("F_LU", "f_lu_level"), ("F_MG", "f_mg_level"), ("F_I", "f_i_level")):
            level = d.get(col)
            if not isinstance(level, str) or not level:
                continue
            rows = f[(f["ipcc_land_use"] == ipcc_lu) & (f["factor"] == factor)
                     & (f["level"] == level) & f["climate_group"].isin([group, "all"])]
            if rows.empty:
                raise FactorError(
                    f"pas de {factor} GIEC '{level}' pour {ipcc_lu}, {group} dans "
                    "factors/ipcc_stock_change_factors.csv."
                )
            value *= float(rows.iloc[0]["value"])
            source += f" × {factor} {level} {float(rows.iloc[0]['value']):g}"
    return value, source, "secondary"


def stock_densities(keys: pd.DataFrame, land_uses, *, method: str = "aldo") -> pd.DataFrame:
    """Densities (tC/ha) per ``zpc × region_code × land_use × pool``.

    ``keys`` has the columns ``zpc`` and ``region_code``; pools are soil, litter,
    live_biomass and dead_wood (hedges are per km, see :func:`hedge_factor`). Only pools that
    apply to a land use are returned (a zero density is kept for soil of unmapped land).
    """
    method = canonical_method(method)
    if method not in METHODS:
        raise ValueError(f"la méthode doit être l'une de {METHODS}, pas {method!r}")
    classes = land_use_classes()
    unknown = sorted(set(land_uses) - set(classes.index))
    if unknown:
        raise UnknownLandCoverClassError(
            f"occupation(s) {unknown} absente(s) de factors/land_use_classes.csv.", unknown)
    litter = data.factor_table("aldo_litter").set_index("land_use")
    nonforest = data.factor_table("aldo_biomass_nonforest")
    rows = []
    for zpc, region in keys[["zpc", "region_code"]].drop_duplicates().itertuples(index=False):
        ir = inter_region(region)
        for lu in land_uses:
            c = classes.loc[lu]
            soil_class = c["soil_class"] if isinstance(c["soil_class"], str) else ""
            if lu == "unmapped" or not soil_class:
                rows.append((zpc, region, lu, "soil", 0.0, "aucune classe ALDO : stock nul",
                             "derived"))
            elif method == "aldo":
                rows.append((zpc, region, lu, "soil", *_aldo_soil(zpc, soil_class)))
            else:
                rows.append((zpc, region, lu, "soil", *_ipcc_soil(zpc, lu)))
            if lu in litter.index:
                r = litter.loc[lu]
                rows.append((zpc, region, lu, "litter", float(r["value"]), *_src(r)))
            bclass = c["biomass_class"] if isinstance(c["biomass_class"], str) else ""
            if bclass == "forest":
                comp = c["forest_composition"]
                rows.append((zpc, region, lu, "live_biomass",
                             *forest_factor(region, comp, "live_biomass")))
                rows.append((zpc, region, lu, "dead_wood",
                             *forest_factor(region, comp, "dead_wood")))
            elif bclass:
                r = nonforest[(nonforest["inter_region"] == ir)
                              & (nonforest["biomass_class"] == bclass)]
                if r.empty:
                    raise FactorError(
                        f"pas de biomasse hors forêt pour {ir}/{bclass} dans "
                        "factors/aldo_biomass_nonforest.csv."
                    )
                r = r.iloc[0]
                if float(r["value"]) > 0:
                    rows.append((zpc, region, lu, "live_biomass", float(r["value"]), *_src(r)))
    return pd.DataFrame(rows, columns=["zpc", "region_code", "land_use", "pool",
                                       "density_tC_ha", "factor_source", "confidence"])


#: ALDO soil class (land_use_classes.csv) -> column of ALDO's per-EPCI soil table (Ref_Sols,
#: factors/aldo_epci/ground.csv.gz); the shrubby artificial land of aldo-epci reads
#: « sols artificiels enherbés » too (data/stocks.js)
EPCI_SOIL_COLUMNS = {
    "cultures": "cultures", "prairies": "prairies", "forets": "forêts",
    "zones_humides": "zones humides", "vergers": "vergers", "vignes": "vignes",
    "art_impermeabilises": "sols artificiels imperméabilisés",
    "art_enherbes": "sols artificiels enherbés",
    "art_arbores": "sols artificiels arborés et buissonants",
}
EPCI_SOIL_SOURCE = ("ALDO (ADEME) par EPCI, table Ref_Sols (factors/aldo_epci/ground.csv.gz, "
                    "commit 7ef0a6a) : stock de sol de référence de l'EPCI, chaque occupation "
                    "pondérée par son emplacement")


def aldo_epci_soil_sirens(zone_ids) -> list[str]:
    """The zone ids that are SIRENs of ALDO's per-EPCI soil table (order kept)."""
    from espass_geo.reference.aldo_epci_tables import aldo_epci_table

    known = set(aldo_epci_table("ground")["siren"].str.strip())
    return [z for z in map(str, zone_ids) if z in known]


def aldo_epci_soil_densities(sirens, land_uses) -> pd.DataFrame:
    """ALDO's per-EPCI soil reference stocks (tC/ha, 0–30 cm) per ``zone_id × land_use``.

    ``sirens``: EPCI SIRENs of ALDO's 2018 list (the first row of a repeated SIREN is read, as
    ALDO does). Columns ``zone_id, land_use, density_tC_ha, factor_source, confidence``; land
    uses without ALDO soil class get 0 (as :func:`stock_densities`). E.g. CC Flandre
    Lys (200040947): cultures 50.88 tC/ha, prairies 74.30 tC/ha, forêts 65.30 tC/ha.
    """
    from espass_geo.reference.aldo_epci_tables import aldo_epci_table

    ground = aldo_epci_table("ground")
    first = ground.assign(siren=ground["siren"].str.strip()).drop_duplicates("siren")
    first = first.set_index("siren")
    classes = land_use_classes()
    rows = []
    for siren in map(str, sirens):
        if siren not in first.index:
            raise FactorError(
                f"EPCI {siren!r} absent de la table de sols ALDO par EPCI "
                "(factors/aldo_epci/ground.csv.gz, EPCI au 1er janvier 2018) ; donnez les "
                "surfaces par commune, ou la ZPC (--zpc)."
            )
        rec = first.loc[siren]
        for lu in land_uses:
            soil_class = classes.loc[lu, "soil_class"] if lu in classes.index else None
            if lu == "unmapped" or not isinstance(soil_class, str) or not soil_class:
                rows.append((siren, lu, 0.0, "aucune classe ALDO : stock nul", "derived"))
                continue
            col = EPCI_SOIL_COLUMNS[soil_class]
            text = str(rec[col]).strip().replace(",", ".")
            try:
                value = float(text)
            except ValueError:
                raise FactorError(
                    f"stock de sol ALDO par EPCI illisible pour l'EPCI {siren}, colonne "
                    f"« {col} » : {text!r} (factors/aldo_epci/ground.csv.gz) ; réinstallez "
                    "espass-geo."
                ) from None
            rows.append((siren, lu, value, f"{EPCI_SOIL_SOURCE}, EPCI {siren} « {col} »",
                         "primary"))
    return pd.DataFrame(rows, columns=["zone_id", "land_use", "density_tC_ha", "factor_source",
                                       "confidence"])


def hedge_factor(departement: str) -> tuple[float, str, str]:
    """Total hedge carbon (tC/km) of a département, or the national default."""
    t = data.factor_table("aldo_hedge_carbon")
    t = t[t["quantity"] == "total"]
    r = t[t["departement"] == str(departement).zfill(2)]
    if r.empty:
        r = t[t["departement"] == "default"]
    r = r.iloc[0]
    return float(r["value"]), *_src(r)


def artificial_split_parameters() -> tuple[float, float]:
    t = data.factor_table("aldo_artificial_split").set_index("parameter")["value"].astype(float)
    return float(t["min_vegetated_share"]), float(t["sealed_share"])
