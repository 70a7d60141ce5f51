"""Scenario files (TOML): parsing and validation that reports every problem at once.

A scenario file names the territory, the start state (land cover, parcels), the observed trend,
and named scenarios made of dated actions. Paths are relative to the file; ``"demo"`` names the
embedded demo data. See ``landcover/scenarios/flandre_dunkerque.toml`` for a complete example.

```toml
title = "…"
territory = "epci:245900428,200040954"
start_year = 2025
horizon = 2050
method = "aldo"            # or "ipcc" (soil pool and practices)

[data]
landcover = "demo"         # start state (GeoTIFF, CLC codes, EPSG:2154)
parcels = "demo"           # RPG parcels (practices)
trend_landcover_before = "demo-2012"   # earlier land cover: the observed trend
trend_years = [2012, 2018]

[baseline]
trend = true               # continue the observed yearly land-use change

[[scenario]]
name = "transition"
label = "Transition"

[[scenario.action]]
type = "convert"           # convert | seal | practice | hedges
to = "forest_broadleaf"    # land-use id or CLC code
geometry = "actions/boisement.geojson"
year = 2027
```
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass, field
from pathlib import Path

from . import data
from .errors import ScenarioError

TOP_KEYS = {"title", "territory", "start_year", "horizon", "method", "gwp_n2o", "zpc", "data",
            "baseline", "scenario"}
DATA_KEYS = {"landcover", "parcels", "trend_landcover_before", "trend_years", "trend_changes"}
BASELINE_KEYS = {"trend"}
SCENARIO_KEYS = {"name", "label", "trend", "action"}
ACTION_KEYS = {
    "convert": {"type", "id", "label", "to", "geometry", "year"},
    "seal": {"type", "id", "label", "geometry", "year", "sealed_share"},
    "practice": {"type", "id", "label", "practice", "year", "crop_groups", "crop_codes",
                 "geometry", "share"},
    "hedges": {"type", "id", "label", "length_km", "host", "year", "zones"},
}
REQUIRED = {"convert": {"to", "geometry", "year"}, "seal": {"geometry", "year"},
            "practice": {"practice", "year"}, "hedges": {"length_km", "year"}}
DEMO_FILES = {"demo": "demo_flandre_dunkerque_clc2018_20m.tif",
              "demo-2012": "demo_flandre_dunkerque_clc2012_20m.tif"}


@dataclass
class Action:
    id: str
    type: str
    year: int
    params: dict
    line: int | None = None
    label: str = ""


@dataclass
class Scenario:
    name: str
    label: str
    trend: bool
    actions: list[Action] = field(default_factory=list)


@dataclass
class ScenarioConfig:
    path: Path
    title: str
    territory: str
    start_year: int
    horizon: int
    method: str
    gwp_n2o: float
    zpc: str | None
    landcover: Path
    parcels: Path | None
    trend_before: Path | None
    trend_years: tuple[int, int] | None
    trend_changes: Path | None
    baseline_trend: bool
    scenarios: list[Scenario]
    raw: dict

    @property
    def years(self) -> range:
        return range(self.start_year, self.horizon + 1)


def _line_index(text: str, needle: str) -> list[int]:
    """1-based line numbers of the lines that start with ``needle`` (after spaces)."""
    return [i for i, line in enumerate(text.splitlines(), start=1)
            if line.strip().startswith(needle)]


def resolve_path(value, base: Path, kind: str) -> Path | None:
    if value is None:
        return None
    if kind == "landcover" and value in DEMO_FILES:
        return data.data_path("landcover", DEMO_FILES[value])
    if kind == "parcels" and value == "demo":
        return data.demo_parcels_path()
    if kind == "changes" and value == "demo":
        return data.aldo_clc_change_epci_path()
    if kind == "geometry" and isinstance(value, str) and value.startswith("demo:"):
        return data.data_path("landcover", "scenarios/" + value[5:])
    p = Path(value)
    return p if p.is_absolute() else (base / p)


def read_toml(path: Path, error: type[Exception], what: str) -> tuple[str, dict]:
    """The text and the parsed content of a TOML file; ``error`` when unreadable or invalid."""
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise error(f"{what} '{path}' cannot be read ({exc.strerror}).") from exc
    try:
        return text, tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise error(f"{what} '{path}' is not valid TOML: {exc}.", [str(exc)]) from exc


def load_scenario_config(path: str | Path) -> ScenarioConfig:
    """Read and validate a scenario file; raise :class:`ScenarioError` listing every problem."""
    path = Path(path)
    problems: list[str] = []
    text, raw = read_toml(path, ScenarioError, "scenario file")
    base = path.parent

    def where(line: int | None) -> str:
        return f"{path.name}:{line}" if line else path.name

    for key in sorted(set(raw) - TOP_KEYS):
        problems.append(f"{where(_first_line(text, key))} : clé inconnue « {key} » (clés "
                        f"possibles : {', '.join(sorted(TOP_KEYS))})")
    for key in ("territory", "start_year", "horizon"):
        if key not in raw:
            problems.append(f"{path.name} : clé obligatoire « {key} » absente")
    start, horizon = raw.get("start_year"), raw.get("horizon", 2050)
    for key, val in (("start_year", start), ("horizon", horizon)):
        if val is not None and not (isinstance(val, int) and 1990 <= val <= 2100):
            problems.append(f"{where(_first_line(text, key))} : « {key} » doit être une année "
                            f"(entier), pas {val!r}")
    if isinstance(start, int) and isinstance(horizon, int) and horizon <= start:
        problems.append(f"{where(_first_line(text, 'horizon'))} : l'horizon {horizon} doit être "
                        f"après l'année de départ {start}")
    method = raw.get("method", "aldo")
    if method not in ("aldo", "ipcc"):
        problems.append(f"{where(_first_line(text, 'method'))} : méthode « {method} » inconnue "
                        "(aldo ou ipcc)")
    gwp = raw.get("gwp_n2o", 273.0)
    if not isinstance(gwp, int | float) or gwp <= 0:
        problems.append(f"{where(_first_line(text, 'gwp_n2o'))} : gwp_n2o doit être un nombre > 0")
    d = raw.get("data", {})
    if not isinstance(d, dict):
        problems.append(f"{path.name} : [data] doit être une table")
        d = {}
    for key in sorted(set(d) - DATA_KEYS):
        problems.append(f"{where(_first_line(text, key))} : clé inconnue « data.{key} » (clés "
                        f"possibles : {', '.join(sorted(DATA_KEYS))})")
    landcover = resolve_path(d.get("landcover"), base, "landcover")
    if landcover is None:
        problems.append(f"{path.name} : [data] landcover (raster de l'état initial) est "
                        "obligatoire pour spatialiser les actions")
    parcels = resolve_path(d.get("parcels"), base, "parcels")
    trend_before = resolve_path(d.get("trend_landcover_before"), base, "landcover")
    trend_changes = resolve_path(d.get("trend_changes"), base, "changes")
    for key, p in (("landcover", landcover), ("parcels", parcels),
                   ("trend_landcover_before", trend_before), ("trend_changes", trend_changes)):
        if p is not None and not p.exists():
            problems.append(f"{where(_first_line(text, key))} : fichier introuvable « {p} »")
    ty = d.get("trend_years")
    trend_years = None
    if ty is not None:
        if not (isinstance(ty, list) and len(ty) == 2 and all(isinstance(v, int) for v in ty)):
            problems.append(f"{where(_first_line(text, 'trend_years'))} : trend_years doit être "
                            "[année1, année2]")
        elif ty[1] <= ty[0]:
            problems.append(f"{where(_first_line(text, 'trend_years'))} : trend_years "
                            f"{ty} : dates inversées ou égales")
        else:
            trend_years = (ty[0], ty[1])
    if (trend_before is not None or trend_changes is not None) and trend_years is None \
            and ty is None:
        trend_years = (2012, 2018)
    bl = raw.get("baseline", {})
    for key in sorted(set(bl) - BASELINE_KEYS):
        problems.append(f"{where(_first_line(text, key))} : clé inconnue « baseline.{key} »")
    baseline_trend = bool(bl.get("trend", trend_before is not None or trend_changes is not None))
    if baseline_trend and trend_before is None and trend_changes is None:
        problems.append(f"{path.name} : baseline.trend = true demande une tendance observée "
                        "(data.trend_landcover_before ou data.trend_changes)")
    scenarios = []
    sc_lines = _line_index(text, "[[scenario]]")
    act_lines = _line_index(text, "[[scenario.action]]")
    act_i = 0
    raw_sc = raw.get("scenario", [])
    if not isinstance(raw_sc, list) or not raw_sc:
        problems.append(f"{path.name} : aucun scénario ([[scenario]] avec name et des "
                        "[[scenario.action]])")
        raw_sc = []
    names = set()
    practices = set(data.factor_table("practices_aldo")["practice"])
    land_uses = set(data.factor_table("land_use_classes")["land_use"]) - {
        "artificial_unsplit", "unmapped"}
    clc = set(data.factor_table("clc_to_land_use")["code_clc"].astype(str))
    for si, sc in enumerate(raw_sc):
        sl = sc_lines[si] if si < len(sc_lines) else None
        for key in sorted(set(sc) - SCENARIO_KEYS):
            problems.append(f"{where(sl)} : clé inconnue « {key} » dans un scénario (clés "
                            f"possibles : {', '.join(sorted(SCENARIO_KEYS))})")
        name = sc.get("name")
        if not isinstance(name, str) or not name:
            problems.append(f"{where(sl)} : scénario sans « name »")
            name = f"scenario_{si + 1}"
        if name == "baseline" or name in names:
            problems.append(f"{where(sl)} : nom de scénario « {name} » réservé ou en double")
        names.add(name)
        scen = Scenario(name=name, label=str(sc.get("label", name)),
                        trend=bool(sc.get("trend", baseline_trend)))
        for ai, act in enumerate(sc.get("action", [])):
            al = act_lines[act_i] if act_i < len(act_lines) else None
            act_i += 1
            loc = where(al)
            typ = act.get("type")
            if typ not in ACTION_KEYS:
                problems.append(f"{loc} : type d'action « {typ} » inconnu (convert, seal, "
                                "practice, hedges)")
                continue
            for key in sorted(set(act) - ACTION_KEYS[typ]):
                problems.append(f"{loc} : clé « {key} » inconnue pour une action {typ} (clés "
                                f"possibles : {', '.join(sorted(ACTION_KEYS[typ]))})")
            for key in sorted(REQUIRED[typ] - set(act)):
                problems.append(f"{loc} : action {typ} sans « {key} »")
            year = act.get("year")
            if "year" in act:
                if not isinstance(year, int):
                    problems.append(f"{loc} : « year » doit être une année entière, pas {year!r}")
                elif isinstance(start, int) and isinstance(horizon, int) and not (
                        start <= year <= horizon):
                    problems.append(f"{loc} : année {year} hors de l'horizon {start}–{horizon}")
            params = {k: v for k, v in act.items() if k not in {"type", "id", "label", "year"}}
            if typ == "convert" and "to" in act:
                to = str(act["to"])
                if to not in land_uses and to not in clc:
                    problems.append(f"{loc} : classe cible « {to} » inconnue (classes : "
                                    f"{', '.join(sorted(land_uses))}, ou un code CLC)")
            if typ == "practice" and "practice" in act and act["practice"] not in practices:
                problems.append(f"{loc} : pratique « {act['practice']} » inconnue (pratiques : "
                                f"{', '.join(sorted(practices))})")
            if typ == "practice" and method == "ipcc" and act.get("practice") in practices:
                ip = set(data.factor_table("practices_ipcc")["practice"])
                if act["practice"] not in ip:
                    problems.append(f"{loc} : la pratique « {act['practice']} » n'a pas "
                                    "d'équivalent GIEC Tier 1 (method = \"ipcc\")")
            if typ == "practice":
                share = act.get("share", 1.0)
                if not isinstance(share, int | float) or not 0 < share <= 1:
                    problems.append(f"{loc} : « share » doit être dans ]0, 1], pas {share!r}")
                if not any(k in act for k in ("crop_groups", "crop_codes", "geometry")):
                    problems.append(f"{loc} : une pratique sélectionne des parcelles par "
                                    "crop_groups, crop_codes ou geometry")
                if parcels is None:
                    problems.append(f"{loc} : une pratique demande des parcelles "
                                    "([data] parcels)")
            if typ == "seal":
                s = act.get("sealed_share", 0.8)
                if not isinstance(s, int | float) or not 0 <= s <= 1:
                    problems.append(f"{loc} : « sealed_share » doit être dans [0, 1]")
            if typ == "hedges":
                km = act.get("length_km")
                if "length_km" in act and (not isinstance(km, int | float) or km <= 0):
                    problems.append(f"{loc} : « length_km » doit être un nombre > 0")
                host = act.get("host", "cultures")
                if host not in ("cultures", "prairies"):
                    problems.append(f"{loc} : « host » doit être cultures ou prairies")
                params["host"] = host
            if "geometry" in act:
                g = resolve_path(act["geometry"], base, "geometry")
                if g is None or not g.exists():
                    problems.append(f"{loc} : fichier de géométrie introuvable « {g} »")
                params["geometry"] = g
            scen.actions.append(Action(id=str(act.get("id", f"{name}-{ai + 1}")), type=typ,
                                       year=year if isinstance(year, int) else 0,
                                       params=params, line=al, label=str(act.get("label", ""))))
        scenarios.append(scen)
    if problems:
        raise ScenarioError(
            f"scenario file '{path}': {len(problems)} problem(s):\n  - " + "\n  - ".join(problems),
            problems)
    return ScenarioConfig(
        path=path, title=str(raw.get("title", path.stem)), territory=str(raw["territory"]),
        start_year=int(start), horizon=int(horizon), method=method, gwp_n2o=float(gwp),
        zpc=raw.get("zpc"), landcover=landcover, parcels=parcels, trend_before=trend_before,
        trend_years=trend_years, trend_changes=trend_changes, baseline_trend=baseline_trend,
        scenarios=scenarios, raw=raw)


def _first_line(text: str, key: str) -> int | None:
    for i, line in enumerate(text.splitlines(), start=1):
        s = line.strip()
        if s.startswith((f"{key} ", f"{key}=")):
            return i
    return None
