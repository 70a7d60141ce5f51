"""Sessions of ``espass-geo app``: one folder per session, its uploads, its scenario, its run.

A session is a folder ``<workdir>/s-<32 random hex>`` (the id is never chosen by the user)::

    fichiers/           uploaded files, validated, under sanitised names (fichiers.json: kind → name)
    scenario/           scenario.toml + one GeoJSON per action (the files the CLI reads)
    bilan.toml          the configuration of the last run (written by the app)
    resultat/           the bilan folder written by ``espass-geo bilan`` (the CLI, unchanged)

A run is ``python -m espass_geo.cli bilan --config bilan.toml --out resultat`` in a subprocess
of its own process group (cancel kills the whole group), with ``ESPASS_GEO_PROGRESS=json`` so
that :func:`espass_geo.runs.bilan.report_progress` gives the steps; its output is read line by
line into a :class:`RunState`.
"""

from __future__ import annotations

import json
import os
import re
import secrets
import shutil
import signal
import subprocess
import sys
import threading
import warnings
import zipfile
from collections import deque
from dataclasses import dataclass, field, replace
from pathlib import Path

from espass_geo.app.validate import (
    KINDS,
    UploadRejected,
    code_problem,
    safe_name,
    validate_upload,
)

SESSION_RE = re.compile(r"^s-[0-9a-f]{32}$")
RESULT_DIR = "resultat"
UPLOAD_DIR = "fichiers"
SCENARIO_DIR = "scenario"
SCENARIO_FILE = "scenario.toml"
#: at most this many members and bytes in an uploaded scenario zip (no zip bomb)
ZIP_MAX_MEMBERS = 500
ZIP_MAX_BYTES = 500 * 1024 * 1024
#: French labels of the run states
STATE_FR = {"idle": "aucun calcul", "running": "calcul en cours", "done": "terminé",
            "failed": "échec", "cancelled": "annulé"}
#: the main files of a bilan folder, listed first
_MAIN_FILES = ("index.html", "rapport.html", "rapport.pdf", "bilan.xlsx", "bilan.csv",
               "bilan_excel_fr.csv", "bilan.gpkg")
_TQDM_RE = re.compile(r"^\s*Bilan:\s+\d+%")


class RunConflict(Exception):
    """A run is already going on in this session."""


@dataclass
class RunState:
    state: str = "idle"
    step: str = ""
    progress: float = 0.0
    log: deque = field(default_factory=lambda: deque(maxlen=300))
    problems: list[str] = field(default_factory=list)
    summary: str = ""
    files: list[str] = field(default_factory=list)
    proc: subprocess.Popen | None = None
    thread: threading.Thread | None = None
    cancelled: bool = False

    def as_json(self) -> dict:
        return {"state": self.state, "state_fr": STATE_FR[self.state], "step": self.step,
                "progress": round(self.progress, 4), "log": list(self.log),
                "problems": list(self.problems), "summary": self.summary,
                "files": list(self.files)}


class Session:
    """One session folder (see the module docstring)."""

    def __init__(self, sid: str, folder: Path):
        self.id = sid
        self.folder = folder
        self.lock = threading.RLock()
        self.run = RunState()
        if (folder / RESULT_DIR / "index.html").is_file():  # a session of an earlier server
            self.run.state = "done"
            self.run.progress = 1.0
            self.run.files = result_files(folder / RESULT_DIR)

    # ------------------------------------------------------------------ files
    @property
    def result_dir(self) -> Path:
        return self.folder / RESULT_DIR

    @property
    def scenario_path(self) -> Path:
        return self.folder / SCENARIO_DIR / SCENARIO_FILE

    def files(self) -> dict[str, str]:
        """The stored uploads, kind → stored name."""
        index = self.folder / UPLOAD_DIR / "fichiers.json"
        try:
            stored = json.loads(index.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            stored = {}
        out = {k: v for k, v in stored.items()
               if k in KINDS and (self.folder / UPLOAD_DIR / v).is_file()}
        if self.scenario_path.is_file():
            out["scenario"] = f"{SCENARIO_DIR}/{SCENARIO_FILE}"
        return out

    def file_path(self, kind: str) -> Path | None:
        name = self.files().get(kind)
        if name is None:
            return None
        return self.scenario_path if kind == "scenario" else self.folder / UPLOAD_DIR / name

    def store_upload(self, kind: str, filename: str | None, stream) -> dict:
        """Save an uploaded file, validate it with the package's reader, keep it only if valid.

        Returns the validation answer with the stored ``name``; raises :class:`UploadRejected`.
        """
        name = safe_name(kind, filename)
        shown = re.split(r"[\\/]", filename or "")[-1][:120] or name
        with self.lock:
            if self.run.state == "running":  # checked under the lock start_run takes
                raise RunConflict()
            staging = self.folder / f".envoi-{secrets.token_hex(8)}"
            staging.mkdir()
            try:
                target = staging / name
                with open(target, "wb") as fh:
                    shutil.copyfileobj(stream, fh, 1024 * 1024)
                if kind == "scenario":
                    folder = _scenario_folder(target, staging / "scenario", shown)
                    out = validate_upload(kind, folder / SCENARIO_FILE, display_name=shown)
                    self._replace_scenario(folder)
                    out["name"] = f"{SCENARIO_DIR}/{SCENARIO_FILE}"
                    return out
                out = validate_upload(kind, target, display_name=shown)
                uploads = self.folder / UPLOAD_DIR
                uploads.mkdir(exist_ok=True)
                previous = self.files().get(kind)
                if previous and previous != name:
                    (uploads / previous).unlink(missing_ok=True)
                os.replace(target, uploads / name)
                stored = {k: v for k, v in self.files().items() if k != "scenario"}
                stored[kind] = name
                (uploads / "fichiers.json").write_text(json.dumps(stored, indent=1),
                                                       encoding="utf-8")
                out["name"] = name
                return out
            finally:
                shutil.rmtree(staging, ignore_errors=True)

    def _replace_scenario(self, folder: Path) -> None:
        dest = self.folder / SCENARIO_DIR
        old = self.folder / f".ancien-scenario-{secrets.token_hex(4)}"
        if dest.exists():
            os.replace(dest, old)
        os.replace(folder, dest)
        shutil.rmtree(old, ignore_errors=True)

    # ------------------------------------------------------------------ scenario
    def save_scenario(self, body: dict) -> str:
        """Write scenario.toml + one GeoJSON per action from the page's JSON (see
        :func:`scenario_files`), validated by :mod:`espass_geo.io.scenario_config`; returns the
        TOML text. Raises :class:`UploadRejected` with every problem."""
        with self.lock:
            if self.run.state == "running":
                raise RunConflict()
            staging = self.folder / f".scenario-{secrets.token_hex(8)}"
            staging.mkdir()
            try:
                text = scenario_files(body, staging)
                validate_upload("scenario", staging / SCENARIO_FILE)
                self._replace_scenario(staging)
                return text
            finally:
                shutil.rmtree(staging, ignore_errors=True)

    def load_scenario(self) -> dict | None:
        if not self.scenario_path.is_file():
            return None
        return scenario_json(self.scenario_path)

    # ------------------------------------------------------------------ run
    def start_run(self, options: dict) -> None:
        """Write bilan.toml from ``options`` (see :func:`bilan_config`) and start the run.

        Raises :class:`RunConflict` if a run is going on, :class:`UploadRejected` with the
        French problems of the configuration (before anything is started)."""
        with self.lock:
            if self.run.state == "running":
                raise RunConflict()
            config = bilan_config(self, options)
            _remove_partial(self.folder)
            if self.result_dir.exists():  # the previous result of this session (app-written)
                shutil.rmtree(self.result_dir)
            cmd = [sys.executable, "-m", "espass_geo.cli", "bilan", "--config", str(config),
                   "--out", str(self.result_dir)]
            env = {**os.environ, "ESPASS_GEO_PROGRESS": "json", "PYTHONUNBUFFERED": "1",
                   "PYTHONIOENCODING": "utf-8"}
            kwargs: dict = {}
            if os.name == "posix":
                kwargs["start_new_session"] = True  # its own process group: killed whole
            else:  # pragma: no cover - Windows
                kwargs["creationflags"] = subprocess.CREATE_NEW_PROCESS_GROUP
            proc = subprocess.Popen(cmd, cwd=self.folder, env=env, stdin=subprocess.DEVNULL,
                                    stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                                    text=True, encoding="utf-8", errors="replace", **kwargs)
            self.run = RunState(state="running", step="Démarrage du calcul", proc=proc)
            self.run.log.append(f"Configuration : {config.name} ; résultat : {RESULT_DIR}/")
            self.run.thread = threading.Thread(target=self._follow, args=(self.run,),
                                               daemon=True, name=f"run-{self.id[:10]}")
            self.run.thread.start()

    def public_text(self, text: str) -> str:
        """``text`` of the run (a problem, a log line) without the server's paths: an uploaded
        file is named by its stored name (``inventory-emissions.csv``), the rest of the session
        folder by its path inside it (``resultat/…``)."""
        for prefix in (self.folder.resolve() / UPLOAD_DIR, self.folder / UPLOAD_DIR,
                       self.folder.resolve(), self.folder):
            text = text.replace(str(prefix) + os.sep, "")
        return text

    def _follow(self, run: RunState) -> None:
        from espass_geo.present.fmt import fmt_number
        from espass_geo.runs.bilan import PROGRESS_PREFIX

        proc = run.proc
        in_error = False
        for raw in proc.stdout:
            line = self.public_text(raw.rstrip("\n"))
            if not line.strip() or _TQDM_RE.match(line):
                continue
            if line.startswith(PROGRESS_PREFIX):
                try:
                    p = json.loads(line[len(PROGRESS_PREFIX):])
                    done, total = float(p["done"]), max(1, int(p["total"]))
                    run.step = str(p["step"])
                    if p.get("chunks"):  # the blocks of the step's raster work
                        k, n = (int(v) for v in p["chunks"])
                        done += min(1.0, k / max(1, n)) * 0.99
                        run.step += f" — blocs {fmt_number(k)} / {fmt_number(n)}"
                    run.progress = min(1.0, max(run.progress, done / total))
                except (ValueError, KeyError, TypeError):
                    pass
                continue
            if line.startswith(("Erreur", "Error")):
                in_error = True
                run.problems.append(re.sub(r"^Erreur( \(\w+\))?( inattendue \(\w+\))? : ", "",
                                           line))
            elif in_error and line.startswith("  - "):
                run.problems.append(line[4:])
            else:
                in_error = False
                if " : empreinte " in line and not run.summary:
                    run.summary = line
            run.log.append(line)
        proc.stdout.close()
        rc = proc.wait()
        with self.lock:
            if run.cancelled:
                _remove_partial(self.folder)
                shutil.rmtree(self.result_dir, ignore_errors=True)
                run.state, run.step = "cancelled", "Calcul annulé"
            elif rc == 0 and (self.result_dir / "index.html").is_file():
                run.state, run.step, run.progress = "done", "Terminé", 1.0
                run.files = result_files(self.result_dir)
            else:
                _remove_partial(self.folder)
                run.state = "failed"
                run.step = "Échec du calcul"
                if not run.problems and rc < 0:  # killed: no message of its own
                    sig = -rc
                    why = (" : souvent le manque de mémoire (le système arrête le plus gros "
                           "programme)" if sig == getattr(signal, "SIGKILL", 9) else "")
                    run.problems = [f"le calcul a été arrêté de l'extérieur (signal {sig}){why} ; "
                                    "relancez-le, en fermant d'autres programmes ou sur un "
                                    "territoire plus petit"]
                elif not run.problems:
                    run.problems = [f"le calcul s'est arrêté sans message d'erreur (code {rc}) ; "
                                    "dernières lignes du journal :", *list(run.log)[-5:]]
            run.proc = None

    def cancel(self, timeout: float = 20.0) -> RunState:
        """Kill the run's process group, wait for it, remove its partial output."""
        with self.lock:
            run = self.run
            if run.state != "running" or run.proc is None:
                return run
            run.cancelled = True
            _kill_group(run.proc)
        if run.thread is not None:
            run.thread.join(timeout)
        return run

    def shutdown(self) -> None:
        if self.run.proc is not None:
            self.run.cancelled = True
            _kill_group(self.run.proc)


def _kill_group(proc: subprocess.Popen) -> None:
    try:
        if os.name == "posix":
            os.killpg(proc.pid, signal.SIGTERM)
            try:
                proc.wait(5)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
        else:  # pragma: no cover - Windows
            proc.kill()
    except ProcessLookupError:
        pass


def _remove_partial(folder: Path) -> None:
    """Remove what a killed ``espass-geo bilan`` leaves in the session folder: its temporary
    output folder and its lock (both named by :mod:`espass_geo.io.outputs`)."""
    from espass_geo.io.manifest import RESERVED_PREFIX

    for p in folder.iterdir():
        if p.name.startswith(RESERVED_PREFIX):
            if p.is_dir() and not p.is_symlink():
                shutil.rmtree(p, ignore_errors=True)
            else:
                p.unlink(missing_ok=True)


def result_files(folder: Path) -> list[str]:
    """The files of a bilan folder, paths relative to it (main files first, no hidden file)."""
    if not folder.is_dir():
        return []
    names = sorted(p.relative_to(folder).as_posix() for p in folder.rglob("*")
                   if p.is_file() and not any(part.startswith(".")
                                              for part in p.relative_to(folder).parts))
    first = [n for n in _MAIN_FILES if n in names]
    return first + [n for n in names if n not in first]


# ---------------------------------------------------------------------- session store
class SessionStore:
    """The sessions under ``workdir`` (folders), with their runs in memory."""

    def __init__(self, workdir: Path):
        self.workdir = Path(workdir)
        self.workdir.mkdir(parents=True, exist_ok=True)
        self._sessions: dict[str, Session] = {}
        self._lock = threading.Lock()

    def create(self) -> Session:
        with self._lock:
            sid = f"s-{secrets.token_hex(16)}"
            folder = self.workdir / sid
            folder.mkdir()
            s = self._sessions[sid] = Session(sid, folder)
            return s

    def get(self, sid: str) -> Session | None:
        """The session ``sid``, or None (wrong form, or no such folder)."""
        if not isinstance(sid, str) or not SESSION_RE.match(sid):
            return None
        with self._lock:
            s = self._sessions.get(sid)
            if s is None:
                folder = self.workdir / sid
                if not folder.is_dir() or folder.is_symlink():
                    return None
                s = self._sessions[sid] = Session(sid, folder)
            return s

    def shutdown(self) -> None:
        for s in list(self._sessions.values()):
            s.shutdown()


# ---------------------------------------------------------------------- scenario files
_TYPES = {"convert": "convert", "seal": "seal", "renature": "renature", "practice": "practice",
          "hedge": "hedges", "hedges": "hedges"}
_NAME_RE = re.compile(r"^[A-Za-z0-9_-]{1,40}$")
#: properties of a drawn action handed to the TOML as they are (checked by scenario_config)
_PASSED = {"convert": ("to",), "renature": ("to",), "seal": ("sealed_share",),
           "practice": ("practice", "share", "crop_groups", "crop_codes"),
           "hedges": ("length_km", "host", "zones")}


def scenario_files(body: dict, folder: Path) -> str:
    """Write ``scenario.toml`` and ``action_<n>.geojson`` into ``folder`` from the page's JSON
    (``name``, ``label``, ``start_year``, ``horizon``, ``actions``: a FeatureCollection in
    EPSG:4326 whose properties are ``type``, ``year`` and the action's keys). Drawn hedge lines
    give ``length_km`` (measured in Lambert-93) when the page does not; their line is kept in
    its GeoJSON (the TOML of a hedge action has no geometry) to be drawn again.
    Returns the TOML text; raises :class:`UploadRejected` for a malformed body (the values
    themselves are checked by :mod:`espass_geo.io.scenario_config`)."""
    import tomli_w
    from shapely.geometry import mapping, shape

    problems: list[str] = []
    if not isinstance(body, dict):
        raise UploadRejected(["scénario : un objet JSON est attendu"])
    name = body.get("name", "scenario")
    if not isinstance(name, str) or not _NAME_RE.match(name) or name == "baseline":
        problems.append(f"scénario : nom « {str(name)[:60]} » refusé : lettres sans accent, "
                        "chiffres, _ ou - (40 au plus), et pas « baseline »")
        name = "scenario"
    label = body.get("label") or name
    if not isinstance(label, str):
        problems.append("scénario : « label » doit être un texte")
        label = name
    doc: dict = {"title": label[:200]}
    for key in ("start_year", "horizon"):
        if key in body and body[key] is not None:
            doc[key] = body[key]
    actions = body.get("actions") or {"type": "FeatureCollection", "features": []}
    feats = actions.get("features") if isinstance(actions, dict) else None
    if not isinstance(feats, list):
        raise UploadRejected([*problems, "scénario : « actions » doit être une FeatureCollection "
                                         "GeoJSON (EPSG:4326)"])
    if len(feats) > ZIP_MAX_MEMBERS:  # one GeoJSON file per action, as many as in a zip
        raise UploadRejected([*problems, f"scénario : {len(feats)} actions ; {ZIP_MAX_MEMBERS} "
                                         "au plus (regroupez les polygones d'une même action "
                                         "en un multipolygone)"])
    rows = []
    for n, feat in enumerate(feats, start=1):
        where = f"action {n}"
        props = feat.get("properties") if isinstance(feat, dict) else None
        props = props if isinstance(props, dict) else {}
        typ = _TYPES.get(props.get("type")) if isinstance(props.get("type"), str) else None
        if typ is None:
            problems.append(f"{where} : type « {str(props.get('type'))[:40]} » inconnu (convert, "
                            "seal, renature, practice, hedge)")
            continue
        aid = f"action_{n}"
        row: dict = {"type": typ, "id": aid}
        if isinstance(props.get("label"), str) and props["label"].strip():
            row["label"] = props["label"][:200]
        for key in _PASSED[typ]:
            if props.get(key) is not None:
                row[key] = props[key]
        if props.get("year") is not None:
            row["year"] = props["year"]
        geom = None
        if feat.get("geometry") is not None:
            try:
                geom = shape(feat["geometry"])
            except Exception:  # noqa: BLE001 - any malformed GeoJSON geometry
                problems.append(f"{where} : géométrie GeoJSON illisible")
                continue
            if geom.is_empty:
                geom = None
        if geom is not None:
            gj = {"type": "FeatureCollection", "features": [
                {"type": "Feature", "properties": {"id": aid}, "geometry": mapping(geom)}]}
            (folder / f"{aid}.geojson").write_text(json.dumps(gj), encoding="utf-8")
            if typ == "hedges":
                if "length_km" not in row:
                    row["length_km"] = round(_length_km(geom), 3)
            else:
                row["geometry"] = f"{aid}.geojson"
        elif typ in ("convert", "seal", "renature"):
            problems.append(f"{where} ({typ}) : dessinez un polygone sur la carte")
        rows.append(row)
    if problems:
        raise UploadRejected(problems)
    doc["scenario"] = [{"name": name, "label": label[:200], "action": rows}]
    try:
        body_text = tomli_w.dumps(doc)
    except (TypeError, ValueError) as exc:  # a null in a list, an object where a value goes
        raise UploadRejected(["scénario : une valeur vide (null) ou un objet à la place d'un "
                              "nombre ou d'un texte dans les propriétés d'une action ; "
                              "corrigez-la"]) from exc
    text = ("# Scénario écrit par espass-geo app (format de « Writing a scenario file » du "
            "README)\n" + body_text)
    (folder / SCENARIO_FILE).write_text(text, encoding="utf-8")
    return text


def _length_km(geom) -> float:
    import geopandas as gpd

    from espass_geo.constants import LAMBERT93

    return float(gpd.GeoSeries([geom], crs=4326).to_crs(LAMBERT93).length.sum() / 1000)


def scenario_json(path: Path) -> dict:
    """The first scenario of a scenario file as the page's JSON (the inverse of
    :func:`scenario_files`): geometries read back in EPSG:4326."""
    import geopandas as gpd
    from shapely.geometry import mapping

    from espass_geo.io.scenario_config import load_scenario_config
    from espass_geo.io.vectors import read_vector

    cfg = load_scenario_config(path, in_bilan=True)
    sc = cfg.scenarios[0] if cfg.scenarios else None
    feats = []
    for a in (sc.actions if sc else []):
        props: dict = {"type": "hedge" if a.type == "hedges" else a.type, "year": a.year,
                       "id": a.id}
        if a.label:
            props["label"] = a.label
        geom = None
        gpath = a.params.get("geometry")
        if gpath is None and a.type == "hedges" and (path.parent / f"{a.id}.geojson").is_file():
            gpath = path.parent / f"{a.id}.geojson"
        for k, v in a.params.items():
            if k != "geometry" and isinstance(v, str | int | float | bool | list):
                props[k] = v
        if gpath is not None:
            g = read_vector(gpath, "géométrie d'action")
            g = gpd.GeoSeries(g.geometry, crs=g.crs).to_crs(4326)
            geom = mapping(g.union_all()) if len(g) else None
        feats.append({"type": "Feature", "properties": props, "geometry": geom})
    return {"name": sc.name if sc else "", "label": sc.label if sc else "",
            "start_year": cfg.start_year, "horizon": cfg.horizon,
            "actions": {"type": "FeatureCollection", "features": feats}}


def _scenario_folder(upload: Path, dest: Path, shown: str) -> Path:
    """The folder of an uploaded scenario, with its TOML as ``scenario.toml``: a lone TOML, or a
    zip of a scenario folder extracted safely (no absolute path, no ``..``, no link, at most
    :data:`ZIP_MAX_MEMBERS` members and :data:`ZIP_MAX_BYTES` bytes)."""
    dest.mkdir()
    if upload.suffix.lower() == ".toml":
        os.replace(upload, dest / SCENARIO_FILE)
        return dest
    try:
        zf = zipfile.ZipFile(upload)
    except (zipfile.BadZipFile, OSError) as exc:
        raise UploadRejected([f"archive de scénario « {shown} » illisible ({exc}) : donnez un "
                              "fichier .zip valide ou le fichier .toml"]) from exc
    with zf:
        infos = [i for i in zf.infolist() if not i.is_dir()]
        if len(infos) > ZIP_MAX_MEMBERS or sum(i.file_size for i in infos) > ZIP_MAX_BYTES:
            raise UploadRejected([f"archive de scénario « {shown} » trop grosse (plus de "
                                  f"{ZIP_MAX_MEMBERS} fichiers ou de "
                                  f"{ZIP_MAX_BYTES // 2**20} Mo décompressés)"])
        bad = [i.filename for i in infos
               if i.filename.startswith(("/", "\\")) or "\\" in i.filename
               or ".." in i.filename.split("/") or ":" in i.filename or "\0" in i.filename
               or (i.external_attr >> 16) & 0o170000 == 0o120000]
        if bad:
            raise UploadRejected([f"archive de scénario « {shown} » : chemin(s) refusé(s) "
                                  f"{', '.join(b[:80] for b in bad[:5])} (absolu, « .. » ou lien) "
                                  "; archivez le dossier du scénario tel quel"])
        allowed = {".toml", ".geojson", ".json", ".gpkg", ".fgb", ".csv", ".md", ".txt",
                   ".shp", ".shx", ".dbf", ".prj", ".cpg", ".qix", ".sbn", ".sbx", ".xml"}
        other = [i.filename for i in infos
                 if Path(i.filename).suffix.lower() not in allowed]
        if other:
            raise UploadRejected([f"archive de scénario « {shown} » : fichier(s) refusé(s) "
                                  f"{', '.join(o[:60] for o in other[:5])} ; une archive de "
                                  "scénario contient le .toml et ses géométries (GeoJSON, "
                                  "GeoPackage, shapefile)"])
        tomls = [i for i in infos if i.filename.lower().endswith(".toml")
                 and not i.filename.split("/")[-1].startswith(".")]
        if len(tomls) != 1:
            raise UploadRejected([f"archive de scénario « {shown} » : {len(tomls)} fichier(s) "
                                  ".toml ; l'archive doit contenir un seul fichier de scénario "
                                  "et ses géométries"])
        root = dest.resolve()
        for i in infos:
            target = (dest / i.filename).resolve()
            if not target.is_relative_to(root):
                raise UploadRejected([f"archive de scénario « {shown} » : chemin refusé "
                                      f"{i.filename[:80]}"])
            target.parent.mkdir(parents=True, exist_ok=True)
            with zf.open(i) as src, open(target, "wb") as out:
                shutil.copyfileobj(src, out, 1024 * 1024)
    toml = dest / tomls[0].filename
    if toml.name != SCENARIO_FILE:
        os.replace(toml, toml.parent / SCENARIO_FILE)
    return toml.parent


# ---------------------------------------------------------------------- run configuration
def bilan_config(session: Session, options: dict) -> Path:
    """Write ``bilan.toml`` of a run into the session and check it with
    :func:`espass_geo.io.bilan_config.load_bilan_config` (every problem at once).

    ``options``: ``territory`` (a code such as ``epci:245900428``, or ``"upload"`` for the
    uploaded territory file), ``use_demo_data`` (embedded defaults of ``espass-geo bilan
    --territory``, :func:`espass_geo.io.bilan_config.default_config`), ``scenario`` (the
    session's scenario), optional ``years`` [first, second] of the land covers. Each uploaded
    file replaces its embedded default; an uploaded land cover drops the embedded tables and the
    embedded first-date raster (use landcover_before for the trend).
    """
    from espass_geo.errors import EspassGeoError, EspassGeoWarning, ValidationError
    from espass_geo.io.bilan_config import (
        BilanConfig,
        config_as_toml,
        default_config,
        load_bilan_config,
    )
    if not isinstance(options, dict):
        raise UploadRejected(["calcul : un objet JSON est attendu"])
    files = {k: session.file_path(k) for k in KINDS}
    spec = options.get("territory")
    if spec == "upload":
        if files["territory"] is None:
            raise UploadRejected(["aucun fichier de territoire déposé : déposez-en un, ou "
                                  "choisissez une commune, un EPCI ou un département"])
        spec = str(files["territory"])
    elif not isinstance(spec, str) or not spec.strip():
        raise UploadRejected(["choisissez un territoire (commune, EPCI, département) ou "
                              "déposez un fichier de territoire"])
    else:
        spec = spec.strip()
        problem = code_problem(spec)  # codes only: never a path on the server
        if problem:
            raise UploadRejected([problem])
    use_demo = options.get("use_demo_data", True) is not False
    try:
        if use_demo:
            with warnings.catch_warnings():  # the run itself says them, in its log
                warnings.simplefilter("ignore", EspassGeoWarning)
                cfg = default_config(spec)
        else:
            if files["landcover"] is None:
                raise UploadRejected(["sans les données embarquées, déposez une occupation du "
                                      "sol (raster ou couche vectorielle)"])
            cfg = BilanConfig(path=None, title="Bilan ESPASS", territory=spec)
    except EspassGeoError as exc:
        raise UploadRejected(list(getattr(exc, "problems", None) or [str(exc)])) from exc
    changes: dict = {}
    if files["landcover"] is not None:
        changes.update(landcover=files["landcover"], areas=None, changes=None,
                       forest_areas=None, before=files["landcover_before"])
    elif files["landcover_before"] is not None:
        raise UploadRejected(["occupation du sol de la première date déposée sans celle de la "
                              "seconde date : déposez aussi l'occupation du sol (après)"])
    for kind in ("parcels", "inventory", "consumption"):
        if files[kind] is not None:
            changes[kind] = files[kind]
    years = options.get("years")
    if years is not None:
        if not (isinstance(years, list) and len(years) == 2
                and all(isinstance(y, int) and not isinstance(y, bool) for y in years)):
            raise UploadRejected([f"années des occupations du sol : [première, seconde] "
                                  f"attendues, pas {str(years)[:40]}"])
        changes["years"] = (years[0], years[1])
    if options.get("scenario"):
        if files["scenario"] is None:
            raise UploadRejected(["aucun scénario enregistré : dessinez des actions et "
                                  "enregistrez le scénario, ou décochez le scénario"])
        changes["scenario"] = files["scenario"]
    if options.get("territory") == "upload":
        changes["title"] = "Bilan ESPASS — " + files["territory"].stem.removeprefix("territory-")
    cfg = replace(cfg, path=None, **changes)
    if cfg.landcover is None and "parcels" in changes:
        changes.pop("parcels")
        cfg = replace(cfg, parcels=None)
    path = session.folder / "bilan.toml"
    path.write_text(config_as_toml(cfg), encoding="utf-8")
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", EspassGeoWarning)
            load_bilan_config(path)
    except ValidationError as exc:
        raise UploadRejected([session.public_text(str(p))
                              for p in exc.problems or [str(exc)]]) from exc
    except EspassGeoError as exc:
        raise UploadRejected([session.public_text(str(exc))]) from exc
    return path
