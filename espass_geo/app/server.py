"""The Flask application of ``espass-geo app`` (a local web page over the bilan).

:func:`create_app` serves the page (``espass_geo/app/static``), the vendored Leaflet
(``espass_geo/present/static/leaflet``) and the JSON API of the shared contract: territory
search and boundaries, sessions, validated uploads, the scenario as TOML + GeoJSON, the run of
``espass-geo bilan`` with its progress, the result folder and its zip. Every error is JSON
``{"ok": false, "problems": ["… en français …"]}``.

Safety: requests from another host than the loopback, or whose ``Host`` header is not
``localhost``/``127.0.0.1``/``[::1]`` (DNS rebinding), are refused (403) unless
``allow_remote``; uploads are limited in size (413) and validated, never executed; result files
are served from the session's result folder only.
"""

from __future__ import annotations

import ipaddress
import re
import tempfile
import unicodedata
import zipfile
from functools import cache
from pathlib import Path

from flask import Flask, Response, abort, jsonify, request, send_file, send_from_directory

from espass_geo.app.sessions import RESULT_DIR, RunConflict, SessionStore
from espass_geo.app.validate import KINDS, UploadRejected

STATIC = Path(__file__).resolve().parent / "static"
LEAFLET = Path(__file__).resolve().parents[1] / "present" / "static" / "leaflet"
LOCAL_HOSTS = {"localhost", "127.0.0.1", "::1"}
MAX_RESULTS = 20

#: names of the 96 départements of metropolitan France (INSEE, COG 2018): the search by name;
#: the codes and their communes come from the shipped COG 2018 commune table
DEPARTEMENTS = {
    "01": "Ain", "02": "Aisne", "03": "Allier", "04": "Alpes-de-Haute-Provence",
    "05": "Hautes-Alpes", "06": "Alpes-Maritimes", "07": "Ardèche", "08": "Ardennes",
    "09": "Ariège", "10": "Aube", "11": "Aude", "12": "Aveyron", "13": "Bouches-du-Rhône",
    "14": "Calvados", "15": "Cantal", "16": "Charente", "17": "Charente-Maritime", "18": "Cher",
    "19": "Corrèze", "2A": "Corse-du-Sud", "2B": "Haute-Corse", "21": "Côte-d'Or",
    "22": "Côtes-d'Armor", "23": "Creuse", "24": "Dordogne", "25": "Doubs", "26": "Drôme",
    "27": "Eure", "28": "Eure-et-Loir", "29": "Finistère", "30": "Gard", "31": "Haute-Garonne",
    "32": "Gers", "33": "Gironde", "34": "Hérault", "35": "Ille-et-Vilaine", "36": "Indre",
    "37": "Indre-et-Loire", "38": "Isère", "39": "Jura", "40": "Landes", "41": "Loir-et-Cher",
    "42": "Loire", "43": "Haute-Loire", "44": "Loire-Atlantique", "45": "Loiret", "46": "Lot",
    "47": "Lot-et-Garonne", "48": "Lozère", "49": "Maine-et-Loire", "50": "Manche",
    "51": "Marne", "52": "Haute-Marne", "53": "Mayenne", "54": "Meurthe-et-Moselle",
    "55": "Meuse", "56": "Morbihan", "57": "Moselle", "58": "Nièvre", "59": "Nord", "60": "Oise",
    "61": "Orne", "62": "Pas-de-Calais", "63": "Puy-de-Dôme", "64": "Pyrénées-Atlantiques",
    "65": "Hautes-Pyrénées", "66": "Pyrénées-Orientales", "67": "Bas-Rhin", "68": "Haut-Rhin",
    "69": "Rhône", "70": "Haute-Saône", "71": "Saône-et-Loire", "72": "Sarthe", "73": "Savoie",
    "74": "Haute-Savoie", "75": "Paris", "76": "Seine-Maritime", "77": "Seine-et-Marne",
    "78": "Yvelines", "79": "Deux-Sèvres", "80": "Somme", "81": "Tarn", "82": "Tarn-et-Garonne",
    "83": "Var", "84": "Vaucluse", "85": "Vendée", "86": "Vienne", "87": "Haute-Vienne",
    "88": "Vosges", "89": "Yonne", "90": "Territoire de Belfort", "91": "Essonne",
    "92": "Hauts-de-Seine", "93": "Seine-Saint-Denis", "94": "Val-de-Marne", "95": "Val-d'Oise",
}

_PLACEHOLDER = """<!doctype html>
<html lang="fr"><head><meta charset="utf-8"><title>espass_geo</title></head>
<body><h1>espass_geo — application locale</h1>
<p>La page de l'application n'est pas installée (espass_geo/app/static/index.html absent) ;
l'API répond sous <code>/api/</code>.</p></body></html>
"""

_CSP = ("default-src 'self'; img-src 'self' data: blob: https:; style-src 'self' "
        "'unsafe-inline'; script-src 'self'; object-src 'none'; base-uri 'none'; "
        "frame-ancestors 'self'")

#: the published bilan (its maps and report, scripts and popups included) in a sandbox: an
#: opaque origin, never the app's
_RESULT_CSP = ("sandbox allow-scripts allow-popups allow-popups-to-escape-sandbox "
               "allow-downloads allow-forms allow-modals; frame-ancestors 'self'")


# ------------------------------------------------------------------ territory search
def _norm(text: str) -> str:
    """Lower case, no accent, ``-``/``'`` as spaces: « Saint-Pol » and « st pol » compare."""
    text = unicodedata.normalize("NFKD", str(text)).encode("ascii", "ignore").decode()
    text = re.sub(r"[-'’_.,/]+", " ", text.lower())
    return re.sub(r"\s+", " ", text).strip()


@cache
def _catalogue() -> list[tuple[str, str, str, str, str]]:
    """(kind, code, label, normalised name, searchable code) of every commune, EPCI and
    département of the shipped COG 2018 tables, plus the COG 2026 communes and EPCI of Nord
    and Pas-de-Calais that have no 2018 code."""
    from espass_geo.reference import data

    rows: list[tuple[str, str, str, str, str]] = []
    deps = sorted(set(data.communes_2018()["departement"]))
    for d in deps:
        name = DEPARTEMENTS.get(d, d)
        rows.append(("dep", f"dep:{d}", f"{name} ({d})", _norm(name), d.lower()))
    e18 = data.epci_2018()
    e18 = e18[e18["code"].str.len() == 9]  # codes 1–4: isolated communes, no EPCI
    for code, name in zip(e18["code"], e18["nom"], strict=True):
        rows.append(("epci", f"epci:{code}", f"{name} ({code})", _norm(name), code))
    known_epci = set(e18["code"])
    e26 = data.epci_2026()
    for code, name in zip(e26["siren"], e26["nom"], strict=True):
        if code not in known_epci:
            rows.append(("epci", f"epci:{code}", f"{name} ({code}, 2026)", _norm(name), code))
    com = data.communes_2018()
    for code, name, dep in zip(com["insee"], com["nom"], com["departement"], strict=True):
        rows.append(("commune", code, f"{name} ({code})", _norm(name), code))
    known = set(com["insee"])
    c26 = data.communes_2026()
    c26 = c26[c26["type"] == "commune-actuelle"]
    for code, name in zip(c26["code"], c26["nom"], strict=True):
        if code not in known:
            rows.append(("commune", f"cog2026:{code}", f"{name} ({code}, 2026)", _norm(name),
                         code))
    return rows


_KIND_ORDER = {"dep": 0, "epci": 1, "commune": 2}


def search_territories(query: str, limit: int = MAX_RESULTS) -> list[dict]:
    """Communes, EPCI and départements whose name (accents and case ignored) or code matches
    ``query`` (``dep:59``, ``epci:245900428``, ``59183`` or a name), best first: exact name or
    code, then names starting with the query, then words starting with it, then containing it."""
    q = _norm(query or "")
    raw = (query or "").strip().lower()
    code_q = re.sub(r"^(dep|epci|cog2026|cog2018)\s*:\s*", "", raw)
    kind_q = raw.split(":", 1)[0] if ":" in raw else None
    if not q and not code_q:
        return []
    scored = []
    for kind, code, label, name, searchable in _catalogue():
        if kind_q in ("dep", "epci") and kind != kind_q:
            continue
        if code_q and searchable == code_q:
            rank = 0
        elif code_q.isdigit() and len(code_q) >= 2 and searchable.startswith(code_q) and \
                kind != "dep":
            rank = 3
        elif q and name == q:
            rank = 1
        elif q and name.startswith(q + " "):
            rank = 2
        elif q and name.startswith(q):
            rank = 2.5
        elif q and f" {q}" in f" {name}":
            rank = 4
        elif q and len(q) >= 3 and q in name:
            rank = 5
        else:
            continue
        scored.append((rank, _KIND_ORDER[kind], len(name), label, kind, code))
    scored.sort()
    return [{"code": code, "label": label, "kind": kind}
            for _, _, _, label, kind, code in scored[:limit]]


def territory_geojson(code: str) -> dict:
    """The communes of a territory code (``epci:``, ``dep:``, INSEE codes, ``cog2026:``) as a
    GeoJSON FeatureCollection in EPSG:4326 with its ``bbox``; :class:`UploadRejected` (404)
    when the code is unknown or no commune of it has a shipped boundary."""
    from espass_geo.app.validate import code_problem, zones_geojson
    from espass_geo.errors import EspassGeoError
    from espass_geo.reference import data
    from espass_geo.territory.resolve import territory_key

    code = (code or "").strip()
    problem = code_problem(code)  # codes only, never a path
    if problem:
        raise UploadRejected([problem])
    try:
        kind, codes = territory_key(code)
    except EspassGeoError as exc:
        raise UploadRejected([str(exc)]) from exc
    geoms = data.commune_geometries()
    geoms = geoms[geoms["code"].isin(codes)]
    if geoms.empty:
        raise UploadRejected([f"territoire « {code} » : pas de limites communales embarquées "
                              "(elles couvrent le Nord et le Pas-de-Calais) ; le calcul reste "
                              "possible par tableaux, ou déposez un fichier de territoire"])
    name_col = "nom" if "nom" in geoms.columns else "name" if "name" in geoms.columns else "code"
    doc = zones_geojson(geoms, id_col="code", name_col=name_col, tolerance_m=10.0)
    missing = len(set(codes)) - len(geoms)
    if missing > 0:
        doc["note"] = (f"{missing} commune(s) sans limites embarquées (hors Nord et "
                       "Pas-de-Calais) ne sont pas dessinées")
    return doc


# ------------------------------------------------------------------ the application
def _problem(status: int, *problems: str):
    return jsonify({"ok": False, "problems": list(problems)}), status


def _is_loopback(addr: str | None) -> bool:
    if not addr:
        return False
    try:
        return ipaddress.ip_address(addr.split("%")[0]).is_loopback
    except ValueError:
        return False


def _host_name(host: str) -> str:
    host = (host or "").strip().lower()
    if host.startswith("["):
        return host[1:].split("]")[0]
    return host.rsplit(":", 1)[0] if host.count(":") == 1 else host


def _cross_site(req) -> bool:
    """True when the browser says the request comes from another origin than the app's
    (``Sec-Fetch-Site``, else ``Origin``, which must name the host the request was sent to);
    tools that send neither (curl, tests) pass."""
    site = req.headers.get("Sec-Fetch-Site", "")
    if site and site not in ("same-origin", "none"):
        return True
    origin = req.headers.get("Origin")
    if not origin:
        return False
    from urllib.parse import urlsplit

    parts = urlsplit(origin)
    return parts.scheme not in ("http", "https") or parts.netloc.lower() != req.host.lower()


def create_app(workdir: Path, *, max_upload_mb: int = 200, allow_remote: bool = False) -> Flask:
    """The Flask application of ``espass-geo app``: sessions under ``workdir``, requests of
    more than ``max_upload_mb`` Mo refused (413), other hosts refused unless ``allow_remote``."""
    app = Flask("espass_geo.app", static_folder=None)
    app.config["MAX_CONTENT_LENGTH"] = int(max_upload_mb) * 1024 * 1024
    app.config["JSON_AS_ASCII"] = False
    app.json.ensure_ascii = False
    store = SessionStore(Path(workdir))
    app.extensions["espass_sessions"] = store

    @app.before_request
    def _guard():
        if not allow_remote and not _is_loopback(request.remote_addr):
            return _problem(403, "connexion refusée : l'application n'accepte que les "
                                 "connexions de cet ordinateur (lancez espass-geo app "
                                 "--allow-remote pour l'ouvrir au réseau)")
        if not allow_remote and _host_name(request.host) not in LOCAL_HOSTS:
            return _problem(403, f"nom d'hôte « {request.host[:80]} » refusé : ouvrez "
                                 "l'application par http://127.0.0.1 ou http://localhost")
        # also with --allow-remote: a page of another site opened by someone of the network
        # must not drive the app
        if request.method not in ("GET", "HEAD", "OPTIONS") and _cross_site(request):
            # a page of another site may POST a form to 127.0.0.1 (no CORS preflight for
            # multipart): requests that change something must come from the app's own page
            return _problem(403, "requête refusée : elle vient d'une autre page que celle de "
                                 "l'application (ouvrez http://127.0.0.1 dans le navigateur)")
        return None

    @app.after_request
    def _headers(resp: Response):
        resp.headers.setdefault("X-Content-Type-Options", "nosniff")
        resp.headers.setdefault("Referrer-Policy", "no-referrer")
        if not request.path.startswith("/sessions/"):  # the app, not the published bilan
            resp.headers.setdefault("Content-Security-Policy", _CSP)
            resp.headers.setdefault("X-Frame-Options", "SAMEORIGIN")
        else:
            # the bilan's pages show names the user typed: they run in an origin of their own
            # (a sandbox without allow-same-origin), so a flaw in their escaping could not
            # call this API (sessions, uploads, runs) with the app's origin
            resp.headers.setdefault("Content-Security-Policy", _RESULT_CSP)
        if request.path.startswith("/api/"):
            resp.headers.setdefault("Cache-Control", "no-store")
        return resp

    @app.errorhandler(413)
    def _too_large(_exc):
        return _problem(413, f"fichier trop gros : la limite est de {max_upload_mb} Mo par "
                             "envoi (espass-geo app --max-upload-mb pour la changer) ; "
                             "découpez le fichier à l'emprise du territoire")

    @app.errorhandler(404)
    def _not_found(_exc):
        return _problem(404, "adresse introuvable")

    @app.errorhandler(405)
    def _not_allowed(_exc):
        return _problem(405, "méthode non permise sur cette adresse")

    @app.errorhandler(500)
    def _server_error(_exc):
        return _problem(500, "erreur inattendue du serveur : c'est un défaut d'espass_geo, "
                             "signalez-le avec les étapes suivies")

    def session_or_404(sid: str):
        s = store.get(sid)
        if s is None:
            resp = jsonify({"ok": False, "problems": ["session inconnue (ou expirée) : "
                                                      "rechargez la page"]})
            resp.status_code = 404
            abort(resp)
        return s

    def json_body() -> dict:
        body = request.get_json(silent=True)
        return body if isinstance(body, dict) else {}

    # ---------------------------------------------------------------- page and static
    @app.get("/")
    def index():
        if (STATIC / "index.html").is_file():
            return send_from_directory(STATIC, "index.html")
        return Response(_PLACEHOLDER, mimetype="text/html")

    @app.get("/static/<path:filename>")
    def static_files(filename: str):
        if filename.startswith("leaflet/"):
            return send_from_directory(LEAFLET, filename[len("leaflet/"):])
        return send_from_directory(STATIC, filename)

    # ---------------------------------------------------------------- territories
    @app.get("/api/territories")
    def territories():
        q = request.args.get("q", "")[:100]
        return jsonify({"results": search_territories(q)})

    @app.get("/api/territory")
    def territory():
        try:
            return jsonify(territory_geojson(request.args.get("code", "")[:2000]))
        except UploadRejected as exc:
            return _problem(404, *exc.problems)

    # ---------------------------------------------------------------- sessions and files
    @app.post("/api/sessions")
    def new_session():
        return jsonify({"session": store.create().id})

    @app.post("/api/sessions/<sid>/files/<kind>")
    def upload(sid: str, kind: str):
        s = session_or_404(sid)
        if kind not in KINDS:
            return _problem(404, f"type de fichier « {kind[:40]} » inconnu : "
                                 f"{', '.join(KINDS)}")
        f = request.files.get("file")
        if f is None:
            return _problem(400, "aucun fichier reçu (champ « file » du formulaire)")
        busy = ("un calcul est en cours : attendez sa fin ou annulez-le avant de changer les "
                "fichiers")
        if s.run.state == "running":
            return _problem(409, busy)
        try:
            out = s.store_upload(kind, f.filename, f.stream)
        except RunConflict:  # a run started while the file was being received
            return _problem(409, busy)
        except UploadRejected as exc:
            return _problem(400, *exc.problems)
        return jsonify({"ok": True, "kind": kind, **out})

    @app.get("/api/sessions/<sid>/files")
    def list_files(sid: str):
        return jsonify({"files": session_or_404(sid).files()})

    # ---------------------------------------------------------------- scenario
    @app.put("/api/sessions/<sid>/scenario")
    def put_scenario(sid: str):
        s = session_or_404(sid)
        if s.run.state == "running":
            return _problem(409, "un calcul est en cours : attendez sa fin ou annulez-le avant "
                                 "de changer le scénario")
        body = request.get_json(silent=True)
        if not isinstance(body, dict):
            return _problem(400, "scénario : un objet JSON est attendu")
        try:
            text = s.save_scenario(body)
        except RunConflict:  # a run started meanwhile
            return _problem(409, "un calcul est en cours : attendez sa fin ou annulez-le avant "
                                 "de changer le scénario")
        except UploadRejected as exc:
            return _problem(400, *exc.problems)
        return jsonify({"ok": True, "toml": text})

    @app.get("/api/sessions/<sid>/scenario")
    def get_scenario(sid: str):
        from espass_geo.errors import EspassGeoError

        s = session_or_404(sid)
        try:
            out = s.load_scenario()
        except EspassGeoError as exc:
            return _problem(400, *(getattr(exc, "problems", None) or [str(exc)]))
        if out is None:
            return _problem(404, "aucun scénario enregistré dans cette session")
        return jsonify({"ok": True, **out})

    # ---------------------------------------------------------------- run
    @app.post("/api/sessions/<sid>/run")
    def start_run(sid: str):
        s = session_or_404(sid)
        try:
            s.start_run(json_body())
        except RunConflict:
            return _problem(409, "un calcul est déjà en cours dans cette session : attendez sa "
                                 "fin ou annulez-le")
        except UploadRejected as exc:
            return _problem(400, *exc.problems)
        return jsonify({"ok": True}), 202

    @app.get("/api/sessions/<sid>/run")
    def run_state(sid: str):
        return jsonify(session_or_404(sid).run.as_json())

    @app.delete("/api/sessions/<sid>/run")
    def cancel_run(sid: str):
        s = session_or_404(sid)
        return jsonify({"ok": True, **s.cancel().as_json()})

    # ---------------------------------------------------------------- results
    @app.get("/sessions/<sid>/resultat/")
    @app.get("/sessions/<sid>/resultat/<path:path>")
    def result_file(sid: str, path: str = "index.html"):
        s = session_or_404(sid)
        if s.run.state == "running" or not s.result_dir.is_dir():
            return _problem(404, "pas de résultat : lancez le calcul")
        parts = Path(path).parts
        if any(p.startswith(".") for p in parts):  # manifest, lock: not published
            return _problem(404, "fichier introuvable")
        return send_from_directory(s.result_dir, path)

    @app.get("/api/sessions/<sid>/export.zip")
    def export_zip(sid: str):
        s = session_or_404(sid)
        if s.run.state != "done" or not s.result_dir.is_dir():
            return _problem(404, "pas de résultat à exporter : lancez le calcul")
        # on disk past 32 Mo (a bilan's rasters can weigh hundreds of Mo), removed when sent
        buf = tempfile.SpooledTemporaryFile(max_size=32 * 2**20)
        with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
            for p in sorted(s.result_dir.rglob("*")):
                rel = p.relative_to(s.result_dir)
                if p.is_file() and not p.is_symlink() and \
                        not any(part.startswith(".") for part in rel.parts):
                    zf.write(p, f"{RESULT_DIR}/{rel.as_posix()}")
        buf.seek(0)
        return send_file(buf, mimetype="application/zip", as_attachment=True,
                         download_name="bilan_espass.zip")

    return app
