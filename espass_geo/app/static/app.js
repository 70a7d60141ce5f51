/* espass_geo — application web locale (issue #16).
 *
 * One page, no framework, no CDN: Leaflet and Leaflet.draw are served by the local server.
 * Everything that comes from the user or the server (names, summaries, problems, territory
 * labels, the scenario TOML) is written with textContent / DOM APIs, never innerHTML, so a
 * hostile file name such as <img src=x onerror=alert(1)> shows literally.
 * The JSON API is described in the package (espass_geo/app/server.py).
 */
(function () {
  "use strict";

  // ------------------------------------------------------------------ constants (French UI)
  var DATA_KINDS = [
    {kind: "landcover", label: "Occupation du sol (date récente)",
     help: "Raster GeoTIFF aux codes Corine Land Cover, ou couche vectorielle (GeoPackage, " +
       "GeoJSON, shapefile zippé)",
     accept: ".tif,.tiff,.gpkg,.geojson,.json,.zip,.fgb"},
    {kind: "landcover_before", label: "Occupation du sol (date antérieure, pour les flux)",
     help: "Même forme que la date récente ; donne les changements observés (tendance)",
     accept: ".tif,.tiff,.gpkg,.geojson,.json,.zip,.fgb"},
    {kind: "parcels", label: "Parcelles agricoles (RPG)",
     help: "GeoPackage, GeoJSON ou shapefile zippé",
     accept: ".gpkg,.geojson,.json,.zip,.fgb"},
    {kind: "inventory", label: "Inventaire d'émissions",
     help: "Table CSV par commune et secteur", accept: ".csv"},
    {kind: "consumption", label: "Consommation d'espaces",
     help: "Table CSV au format des fichiers fonciers du Cerema", accept: ".csv"}
  ];
  var KIND_LABELS = {commune: "Commune", epci: "EPCI", dep: "Département"};
  var STATE_LABELS = {
    idle: "aucun calcul lancé", running: "calcul en cours", done: "terminé",
    failed: "échec", cancelled: "annulé"
  };
  var ACTION_TYPES = {
    reforest: {type: "convert", title: "Boisement", color: "#2e7d32", shape: "polygon"},
    seal: {type: "seal", title: "Imperméabilisation / zone d'activités", color: "#b71c1c",
           shape: "polygon"},
    renature: {type: "renature", title: "Renaturation", color: "#6a1b9a", shape: "polygon"},
    practice: {type: "practice", title: "Pratique agricole sur les parcelles RPG",
               color: "#f9a825", shape: "polygon"},
    hedge: {type: "hedge", title: "Haies", color: "#1b5e20", shape: "line"}
  };
  var FOREST_CLASSES = [
    ["forest_broadleaf", "Forêts de feuillus"], ["forest_conifer", "Forêts de conifères"],
    ["forest_mixed", "Forêts mixtes"], ["forest_poplar", "Peupleraies"]
  ];
  var RENATURE_CLASSES = [
    ["forest_broadleaf", "Forêts de feuillus"], ["forest_mixed", "Forêts mixtes"],
    ["grassland_herbaceous", "Prairies zones herbacées"],
    ["grassland_shrubby", "Prairies zones arbustives"],
    ["grassland_wooded", "Prairies zones arborées"], ["wetland", "Zones humides et eau"],
    ["artificial_grassed", "Sols artificiels enherbés et arbustifs"],
    ["artificial_wooded", "Sols artificiels arborés et buissonnants"]
  ];
  // factors/practices_aldo.csv (ids and French labels)
  var PRACTICES = [
    ["catchCrops", "Cultures intermédiaires (CIPAN, couverts)"],
    ["directSowingContinuous", "Semis direct continu (non-labour)"],
    ["directSowingFiveYearWork", "Semis direct avec labour 1 an sur 5"],
    ["prairieExtension", "Allongement des prairies temporaires (≤ +5 ans) dans les rotations"],
    ["prairieIntensification", "Intensification modérée des prairies peu productives"],
    ["cropsAgroforestry", "Agroforesterie en grandes cultures (30 à 200 arbres/ha)"],
    ["prairiesAgroforestry", "Agroforesterie en prairies"],
    ["cropsHedges", "Haies en grandes cultures (60 m/ha)"],
    ["prairiesHedges", "Haies en prairies (100 m/ha)"],
    ["grassyStrips", "Bandes enherbées"],
    ["vineyardsInterCoverCropping", "Enherbement inter-rang des vignes"],
    ["orchardsInterCoverCropping", "Enherbement inter-rang des vergers"]
  ];
  var HEDGE_HOSTS = [["cultures", "Cultures (60 m/ha)"], ["prairies", "Prairies (100 m/ha)"]];
  var RESULT_FILES = [
    ["index.html", "Carte du bilan (index.html)"],
    ["rapport.html", "Rapport (HTML)"],
    ["rapport.pdf", "Rapport (PDF)"],
    ["bilan.xlsx", "Tableur (bilan.xlsx)"],
    ["bilan.gpkg", "Données géographiques (bilan.gpkg)"],
    ["bilan.csv", "Table du bilan (bilan.csv)"],
    ["bilan_excel_fr.csv", "Table du bilan pour Excel français (bilan_excel_fr.csv)"],
    ["scenarios/carte_scenarios.html", "Comparaison tendanciel / scénario"]
  ];

  // ------------------------------------------------------------------ helpers
  function $(id) { return document.getElementById(id); }

  function el(tag, attrs, text) {
    var node = document.createElement(tag);
    if (attrs) {
      Object.keys(attrs).forEach(function (k) { node.setAttribute(k, attrs[k]); });
    }
    if (text !== undefined && text !== null) { node.textContent = String(text); }
    return node;
  }

  function clear(node) { while (node.firstChild) { node.removeChild(node.firstChild); } }

  function fmtNumber(x, digits) {
    return Number(x).toLocaleString("fr-FR", {maximumFractionDigits: digits || 0});
  }

  /** Fetch JSON; resolves {status, body}; never throws on HTTP errors. */
  function api(method, url, body, isForm) {
    var opts = {method: method, headers: {}};
    if (body !== undefined) {
      if (isForm) { opts.body = body; } else {
        opts.body = JSON.stringify(body);
        opts.headers["Content-Type"] = "application/json";
      }
    }
    return fetch(url, opts).then(function (resp) {
      return resp.text().then(function (text) {
        var data;
        try { data = text ? JSON.parse(text) : {}; } catch (e) {
          data = {ok: false, problems: [resp.status === 413
            ? "Fichier trop volumineux pour l'application (limite de taille dépassée)."
            : "Réponse inattendue du serveur (HTTP " + resp.status + ")."]};
        }
        return {status: resp.status, body: data};
      });
    }, function () {
      return {status: 0, body: {ok: false, problems: [
        "Le serveur local ne répond pas : relancez « espass-geo app »."]}};
    });
  }

  function showProblems(listId, problems) {
    var list = $(listId);
    clear(list);
    (problems || []).forEach(function (p) { list.appendChild(el("li", null, p)); });
  }

  function problemsOf(res, fallback) {
    var p = res.body && res.body.problems;
    if (p && p.length) { return p; }
    return [fallback + " (HTTP " + res.status + ")."];
  }

  // ------------------------------------------------------------------ state
  var state = {
    sid: null,
    territory: null,        // "epci:…", "59183", "dep:59" or "upload"
    territoryLabel: "",
    actions: [],            // {id, key, layer, props}
    nextId: 1,
    pendingKind: null,
    drawer: null,
    polling: null,
    scenarioSaved: false
  };

  // ------------------------------------------------------------------ map
  var map = L.map("map", {zoomControl: true, preferCanvas: false}).setView([50.8, 2.4], 9);
  var osm = L.tileLayer("https://{s}.tile.openstreetmap.org/{z}/{x}/{y}.png", {
    maxZoom: 19, attribution: "© contributeurs OpenStreetMap"
  });
  var territoryLayer = L.featureGroup().addTo(map);
  var actionLayer = L.featureGroup().addTo(map);
  L.control.layers(null, {
    "Fond : OpenStreetMap (en ligne)": osm,
    "Territoire": territoryLayer,
    "Actions du scénario": actionLayer
  }, {collapsed: false}).addTo(map);
  L.control.scale({imperial: false}).addTo(map);
  map.attributionControl.setPrefix("Leaflet");

  // French texts of Leaflet.draw
  if (L.drawLocal) {
    var d = L.drawLocal.draw;
    d.toolbar.actions = {title: "Annuler le dessin", text: "Annuler"};
    d.toolbar.finish = {title: "Terminer le dessin", text: "Terminer"};
    d.toolbar.undo = {title: "Supprimer le dernier point", text: "Supprimer le dernier point"};
    d.handlers.polygon.tooltip = {
      start: "Cliquez pour placer le premier sommet.",
      cont: "Cliquez pour continuer le polygone.",
      end: "Cliquez sur le premier point (ou double-cliquez) pour terminer."
    };
    d.handlers.polyline.tooltip = {
      start: "Cliquez pour commencer la ligne.",
      cont: "Cliquez pour continuer la ligne.",
      end: "Cliquez sur le dernier point (ou double-cliquez) pour terminer."
    };
    d.handlers.polyline.error = "<strong>Erreur :</strong> les côtés ne peuvent pas se croiser.";
  }

  // edit / delete toolbar of the drawn actions (Leaflet.draw's sprites, served offline)
  if (L.drawLocal) {
    var e = L.drawLocal.edit;
    e.toolbar.actions.save = {title: "Enregistrer les modifications", text: "Valider"};
    e.toolbar.actions.cancel = {title: "Annuler les modifications", text: "Annuler"};
    e.toolbar.actions.clearAll = {title: "Supprimer toutes les actions", text: "Tout supprimer"};
    e.toolbar.buttons = {
      edit: "Modifier les géométries des actions", editDisabled: "Aucune action à modifier",
      remove: "Supprimer des actions", removeDisabled: "Aucune action à supprimer"
    };
    e.handlers.edit.tooltip = {
      text: "Déplacez les sommets pour modifier l'action.",
      subtext: "Annuler pour revenir à la géométrie d'avant."
    };
    e.handlers.remove.tooltip = {text: "Cliquez sur une action pour la supprimer."};
  }
  map.addControl(new L.Control.Draw({
    position: "topleft", draw: false, edit: {featureGroup: actionLayer}
  }));

  function tooltipNode(text) { return el("span", null, text); }

  function showTerritory(geojson, label) {
    territoryLayer.clearLayers();
    var gj = L.geoJSON(geojson, {
      style: {color: "#37474f", weight: 1.2, fillColor: "#90a4ae", fillOpacity: 0.25},
      onEachFeature: function (f, layer) {
        var p = f.properties || {};
        var name = p.name !== undefined && p.name !== null ? String(p.name) : "";
        var code = p.code !== undefined && p.code !== null ? String(p.code) : "";
        var text = name && code ? name + " (" + code + ")" : (name || code);
        if (text) { layer.bindTooltip(tooltipNode(text), {sticky: true}); }
      }
    });
    gj.addTo(territoryLayer);
    var n = (geojson.features || []).length;
    var bounds = gj.getBounds();
    if (bounds.isValid()) { map.fitBounds(bounds, {padding: [20, 20]}); }
    var chosen = $("territory-chosen");
    clear(chosen);
    chosen.appendChild(document.createTextNode("Territoire choisi : "));
    chosen.appendChild(el("strong", null, label));
    chosen.appendChild(document.createTextNode(
      " — " + fmtNumber(n) + (n > 1 ? " communes ou zones" : " commune ou zone")));
    chosen.classList.add("ok");
  }

  // ------------------------------------------------------------------ 1. territory
  var searchTimer = null;
  var searchSeq = 0;
  $("territory-search").addEventListener("input", function () {
    clearTimeout(searchTimer);
    searchTimer = setTimeout(runSearch, 250);
  });
  $("territory-search").addEventListener("keydown", function (ev) {
    if (ev.key === "Enter") {
      ev.preventDefault();
      clearTimeout(searchTimer);
      runSearch();
    }
  });

  function runSearch() {
    var q = $("territory-search").value.trim();
    var list = $("territory-results");
    var seq = ++searchSeq;
    if (q.length < 2) { clear(list); return; }
    api("GET", "/api/territories?q=" + encodeURIComponent(q)).then(function (res) {
      if (seq !== searchSeq) { return; }
      clear(list);
      var results = (res.body && res.body.results) || [];
      if (res.status !== 200) {
        list.appendChild(el("li", {"class": "problem"},
          problemsOf(res, "Recherche impossible").join(" ")));
        return;
      }
      if (!results.length) {
        list.appendChild(el("li", {"class": "empty"}, "Aucun territoire ne correspond."));
        return;
      }
      results.forEach(function (r) {
        var li = el("li", {"data-code": r.code, tabindex: "0", role: "button"});
        li.appendChild(el("span", {"class": "rlabel"}, r.label));
        li.appendChild(el("span", {"class": "rkind"},
          KIND_LABELS[r.kind] || r.kind));
        li.addEventListener("click", function () { chooseTerritory(r.code, r.label, li); });
        li.addEventListener("keydown", function (ev) {
          if (ev.key === "Enter") { chooseTerritory(r.code, r.label, li); }
        });
        list.appendChild(li);
      });
    });
  }

  function chooseTerritory(code, label, li) {
    Array.prototype.forEach.call($("territory-results").children, function (c) {
      c.classList.toggle("selected", c === li);
    });
    var chosen = $("territory-chosen");
    chosen.textContent = "Chargement de « " + label + " »…";
    api("GET", "/api/territory?code=" + encodeURIComponent(code)).then(function (res) {
      if (res.status !== 200 || !res.body || !res.body.features) {
        chosen.textContent = problemsOf(res, "Territoire introuvable").join(" ");
        chosen.classList.remove("ok");
        return;
      }
      state.territory = code;
      state.territoryLabel = label;
      showTerritory(res.body, label);
    });
  }

  // ------------------------------------------------------------------ 2. uploads
  function buildDataFields() {
    var box = $("data-fields");
    DATA_KINDS.forEach(function (k) {
      var field = el("div", {"class": "field", id: "field-" + k.kind});
      var lab = el("label", {"for": "file-" + k.kind}, k.label);
      field.appendChild(lab);
      field.appendChild(el("div", {"class": "help"}, k.help));
      var input = el("input", {type: "file", id: "file-" + k.kind, accept: k.accept,
                               "class": "file-input"});
      field.appendChild(input);
      field.appendChild(el("label", {"for": "file-" + k.kind, "class": "filebtn"},
        "Choisir un fichier…"));
      field.appendChild(el("div", {"class": "fname", id: "name-" + k.kind},
        "Aucun fichier déposé"));
      field.appendChild(el("ul", {"class": "problems", id: "problems-" + k.kind}));
      field.appendChild(el("div", {"class": "summary", id: "summary-" + k.kind},
        "Donnée intégrée (par défaut)"));
      box.appendChild(field);
    });
  }

  function upload(kind) {
    var input = $("file-" + kind);
    var file = input.files && input.files[0];
    if (!file) { return Promise.resolve(null); }
    var nameBox = $("name-" + kind);
    var summary = $("summary-" + kind);
    var field = $("field-" + kind);
    nameBox.textContent = "Fichier : " + file.name + " — vérification…";
    summary.textContent = "";
    showProblems("problems-" + kind, []);
    field.classList.remove("valid", "invalid");
    var form = new FormData();
    form.append("file", file, file.name);
    return ensureSession().then(function () {
      return api("POST", "/api/sessions/" + state.sid + "/files/" + kind, form, true);
    }).then(function (res) {
      nameBox.textContent = "Fichier : " + file.name;
      if (res.status === 200 && res.body && res.body.ok) {
        field.classList.add("valid");
        summary.textContent = "✓ " + (res.body.summary || "Fichier valide.");
        if (kind === "territory" && res.body.geojson) {
          state.territory = "upload";
          state.territoryLabel = file.name;
          showTerritory(res.body.geojson, "contour déposé (" + file.name + ")");
        }
        if (kind === "scenario") { loadScenario(); }
      } else {
        field.classList.add("invalid");
        showProblems("problems-" + kind, problemsOf(res, "Fichier refusé"));
        summary.textContent = kind === "territory" || kind === "scenario" ? ""
          : (document.getElementById("use-demo").checked
            ? "Fichier refusé : la donnée intégrée reste utilisée." : "Fichier refusé.");
      }
      input.value = "";
      return res;
    });
  }

  // ------------------------------------------------------------------ 3. scenario
  function optionSelect(options, value) {
    var s = el("select");
    options.forEach(function (o) {
      var opt = el("option", {value: o[0]}, o[1]);
      if (o[0] === value) { opt.selected = true; }
      s.appendChild(opt);
    });
    return s;
  }

  function lineLengthKm(layer) {
    var parts = layer.getLatLngs();
    if (!parts.length || !Array.isArray(parts[0])) { parts = [parts]; }
    var m = 0;
    parts.forEach(function (pts) {
      for (var i = 1; i < pts.length; i++) { m += pts[i - 1].distanceTo(pts[i]); }
    });
    return Math.round(m / 10) / 100;   // km, 2 decimals
  }

  function ringAreaM2(ring) {
    // spherical approximation (good enough for a label; the server computes in Lambert-93)
    var R = 6378137, area = 0, rad = Math.PI / 180;
    for (var i = 0; i < ring.length; i++) {
      var p1 = ring[i], p2 = ring[(i + 1) % ring.length];
      area += (p2[0] - p1[0]) * rad * (2 + Math.sin(p1[1] * rad) + Math.sin(p2[1] * rad));
    }
    return Math.abs(area * R * R / 2);
  }

  function polygonAreaHa(layer) {
    var g = layer.toGeoJSON().geometry || {};
    var polys = g.type === "Polygon" ? [g.coordinates]
      : (g.type === "MultiPolygon" ? g.coordinates : []);
    var m2 = 0;
    polys.forEach(function (rings) {
      rings.forEach(function (ring, i) { m2 += (i === 0 ? 1 : -1) * ringAreaM2(ring); });
    });
    return m2 / 10000;
  }

  function defaultProps(key) {
    var start = parseInt($("scenario-start").value, 10) || 2025;
    var year = start + 5;
    var t = ACTION_TYPES[key];
    if (key === "reforest") { return {type: t.type, year: year, to: "forest_broadleaf"}; }
    if (key === "seal") { return {type: t.type, year: year, sealed_share: 0.8}; }
    if (key === "renature") { return {type: t.type, year: year, to: "grassland_herbaceous"}; }
    if (key === "practice") {
      return {type: t.type, year: year, practice: "catchCrops", share: 1.0};
    }
    return {type: t.type, year: year, host: "cultures", length_km: 0};
  }

  function keyOfProps(p) {
    if (p.type === "convert") { return "reforest"; }
    if (p.type === "hedge" || p.type === "hedges") { return "hedge"; }
    return ACTION_TYPES[p.type] ? p.type : "reforest";
  }

  function addAction(key, layer, props) {
    var t = ACTION_TYPES[key];
    if (layer && layer.setStyle) {
      layer.setStyle({color: t.color, weight: t.shape === "line" ? 4 : 2, opacity: 0.9,
                      fillColor: t.color, fillOpacity: 0.35});
    }
    var a = {id: state.nextId++, key: key, layer: layer, props: props,
             lengthEdited: key === "hedge" && Boolean(props.length_km)};
    if (layer) {   // an action without geometry (practice on crop groups, hedges by length)
      if (key === "hedge" && !props.length_km) { props.length_km = lineLengthKm(layer); }
      layer.bindTooltip(tooltipNode(t.title + " n° " + a.id), {sticky: true});
      actionLayer.addLayer(layer);
    }
    state.actions.push(a);
    state.scenarioSaved = false;
    renderActions();
    return a;
  }

  function removeAction(a) {
    if (a.layer) { actionLayer.removeLayer(a.layer); }
    state.actions = state.actions.filter(function (x) { return x !== a; });
    state.scenarioSaved = false;
    renderActions();
  }

  function numberInput(value, attrs, onChange) {
    var i = el("input", Object.assign({type: "number"}, attrs));
    i.value = value;
    i.addEventListener("change", function () { onChange(parseFloat(i.value)); });
    return i;
  }

  function labelled(text, control) {
    var l = el("label", {"class": "inline"});
    l.appendChild(document.createTextNode(text + " "));
    l.appendChild(control);
    return l;
  }

  function renderActions() {
    var list = $("action-list");
    clear(list);
    $("no-action").hidden = state.actions.length > 0;
    state.actions.forEach(function (a) {
      var t = ACTION_TYPES[a.key];
      var p = a.props;
      var li = el("li", {"class": "action", "data-type": p.type, "data-id": String(a.id)});
      var head = el("div", {"class": "action-head"});
      var sw = el("span", {"class": "swatch"});
      sw.style.background = t.color;
      head.appendChild(sw);
      var size = !a.layer ? "sans géométrie sur la carte"
        : (t.shape === "line" ? fmtNumber(lineLengthKm(a.layer), 2) + " km"
          : fmtNumber(polygonAreaHa(a.layer), 1) + " ha");
      head.appendChild(el("strong", null, t.title + " n° " + a.id));
      head.appendChild(el("span", {"class": "muted"}, " — " + size));
      var rm = el("button", {type: "button", "class": "remove",
                             title: "Supprimer cette action"}, "Supprimer");
      rm.addEventListener("click", function () { removeAction(a); });
      head.appendChild(rm);
      var zoom = el("button", {type: "button", "class": "zoom", title: "Voir sur la carte"},
        "Voir");
      zoom.addEventListener("click", function () {
        map.fitBounds(a.layer.getBounds(), {maxZoom: 15});
      });
      if (a.layer) { head.appendChild(zoom); }
      li.appendChild(head);

      var form = el("div", {"class": "action-form"});
      form.appendChild(labelled("Année", numberInput(p.year, {min: "2000", max: "2100",
        step: "1", "class": "year"}, function (v) { p.year = v; state.scenarioSaved = false; })));
      if (p.type === "convert" || p.type === "renature") {
        var s = optionSelect(p.type === "convert" ? FOREST_CLASSES : RENATURE_CLASSES, p.to);
        s.addEventListener("change", function () { p.to = s.value; state.scenarioSaved = false; });
        form.appendChild(labelled(p.type === "convert" ? "Vers" : "Rendu à", s));
      } else if (p.type === "seal") {
        form.appendChild(labelled("Part imperméabilisée", numberInput(p.sealed_share,
          {min: "0", max: "1", step: "0.05"},
          function (v) { p.sealed_share = v; state.scenarioSaved = false; })));
      } else if (p.type === "practice") {
        var sp = optionSelect(PRACTICES, p.practice);
        sp.addEventListener("change", function () {
          p.practice = sp.value; state.scenarioSaved = false;
        });
        form.appendChild(labelled("Pratique", sp));
        form.appendChild(labelled("Part des parcelles", numberInput(p.share === undefined
          ? 1 : p.share, {min: "0", max: "1", step: "0.05"},
          function (v) { p.share = v; state.scenarioSaved = false; })));
      } else {
        var sh = optionSelect(HEDGE_HOSTS, p.host);
        sh.addEventListener("change", function () { p.host = sh.value; state.scenarioSaved = false; });
        form.appendChild(labelled("Milieu", sh));
        form.appendChild(labelled("Longueur (km)", numberInput(p.length_km,
          {min: "0", step: "0.1"},
          function (v) { p.length_km = v; a.lengthEdited = true; state.scenarioSaved = false; })));
      }
      li.appendChild(form);
      list.appendChild(li);
    });
  }

  function startDraw(key) {
    if (state.drawer) { state.drawer.disable(); }
    var t = ACTION_TYPES[key];
    var shapeOpts = {shapeOptions: {color: t.color, weight: t.shape === "line" ? 4 : 2}};
    if (t.shape === "line") {
      state.drawer = new L.Draw.Polyline(map, shapeOpts);
    } else {
      shapeOpts.allowIntersection = false;
      shapeOpts.showArea = false;
      state.drawer = new L.Draw.Polygon(map, shapeOpts);
    }
    state.pendingKind = key;
    document.querySelectorAll(".draw-buttons button").forEach(function (b) {
      b.classList.toggle("active", b.getAttribute("data-kind") === key);
    });
    $("draw-hint").textContent = "Dessin en cours : " + t.title + ". " +
      (t.shape === "line" ? "Un clic par point, double-clic pour terminer."
        : "Un clic par sommet, clic sur le premier point (ou double-clic) pour terminer.") +
      " Échap pour annuler.";
    state.drawer.enable();
  }

  map.on(L.Draw.Event.CREATED, function (ev) {
    var key = state.pendingKind || "reforest";
    addAction(key, ev.layer, defaultProps(key));
  });
  map.on(L.Draw.Event.EDITED, function () {
    state.actions.forEach(function (a) {
      if (a.key === "hedge" && a.layer && !a.lengthEdited) {
        a.props.length_km = lineLengthKm(a.layer);
      }
    });
    state.scenarioSaved = false;
    renderActions();   // areas and lengths again
  });
  map.on(L.Draw.Event.DELETED, function (ev) {
    var gone = ev.layers.getLayers();
    state.actions = state.actions.filter(function (a) { return gone.indexOf(a.layer) < 0; });
    state.scenarioSaved = false;
    renderActions();
  });
  map.on(L.Draw.Event.DRAWSTOP, function () {
    state.pendingKind = null;
    document.querySelectorAll(".draw-buttons button").forEach(function (b) {
      b.classList.remove("active");
    });
    $("draw-hint").textContent = "Cliquez sur un bouton pour dessiner une autre action.";
  });
  document.querySelectorAll(".draw-buttons button").forEach(function (b) {
    b.addEventListener("click", function () {
      if (state.pendingKind === b.getAttribute("data-kind") && state.drawer) {
        state.drawer.disable();
        return;
      }
      startDraw(b.getAttribute("data-kind"));
    });
  });

  function scenarioBody() {
    var features = state.actions.map(function (a) {
      var f = a.layer ? a.layer.toGeoJSON() : {type: "Feature", geometry: null};
      var props = {};
      Object.keys(a.props).forEach(function (k) {
        var v = a.props[k];
        if (v !== undefined && v !== null && !(typeof v === "number" && isNaN(v))) {
          props[k] = v;
        }
      });
      // a drawn hedge's length is measured by the server in Lambert-93 unless typed here
      if (a.key === "hedge" && a.layer && !a.lengthEdited) { delete props.length_km; }
      if (!props.label) { props.label = ACTION_TYPES[a.key].title + " n° " + a.id; }
      f.properties = props;
      return f;
    });
    return {
      name: $("scenario-name").value.trim(),
      label: $("scenario-label").value.trim(),
      start_year: parseInt($("scenario-start").value, 10),
      horizon: parseInt($("scenario-horizon").value, 10),
      actions: {type: "FeatureCollection", features: features}
    };
  }

  function saveScenario() {
    showProblems("problems-save", []);
    $("summary-save").textContent = "Enregistrement…";
    return ensureSession().then(function () {
      return api("PUT", "/api/sessions/" + state.sid + "/scenario", scenarioBody());
    }).then(function (res) {
      if (res.status === 200 && res.body && res.body.ok) {
        state.scenarioSaved = true;
        $("summary-save").textContent = "✓ Scénario enregistré (" +
          fmtNumber(state.actions.length) + " action" + (state.actions.length > 1 ? "s" : "") +
          ") : le même fichier TOML + GeoJSON que lit la commande « espass-geo bilan ».";
        $("scenario-toml").textContent = res.body.toml || "";
        $("toml-details").hidden = !res.body.toml;
      } else {
        $("summary-save").textContent = "";
        showProblems("problems-save", problemsOf(res, "Scénario refusé"));
      }
      return res;
    });
  }

  function loadScenario() {
    return ensureSession().then(function () {
      return api("GET", "/api/sessions/" + state.sid + "/scenario");
    }).then(function (res) {
      if (res.status !== 200 || !res.body || !res.body.actions) {
        showProblems("problems-save", problemsOf(res, "Aucun scénario enregistré"));
        return res;
      }
      showProblems("problems-save", []);
      var b = res.body;
      if (b.name) { $("scenario-name").value = b.name; }
      if (b.label) { $("scenario-label").value = b.label; }
      if (b.start_year) { $("scenario-start").value = b.start_year; }
      if (b.horizon) { $("scenario-horizon").value = b.horizon; }
      actionLayer.clearLayers();
      state.actions = [];
      var skipped = 0;
      (b.actions.features || []).forEach(function (f) {
        var props = Object.assign({}, f.properties || {});
        if (props.type === "hedges") { props.type = "hedge"; }
        var key = keyOfProps(props);
        if (!f.geometry) {   // kept in the list (and saved again), not drawn
          skipped += 1;
          addAction(key, null, props);
          return;
        }
        L.geoJSON(f).eachLayer(function (layer) { addAction(key, layer, props); });
      });
      state.scenarioSaved = true;
      renderActions();
      if (actionLayer.getLayers().length) {
        map.fitBounds(actionLayer.getBounds(), {padding: [30, 30], maxZoom: 14});
      }
      $("summary-save").textContent = "Scénario rechargé : " +
        fmtNumber(state.actions.length) + " action(s)" +
        (skipped ? ", dont " + fmtNumber(skipped) + " sans géométrie (gardées, non dessinées)"
          : "") + ".";
      if (b.toml) {
        $("scenario-toml").textContent = b.toml;
        $("toml-details").hidden = false;
      }
      return res;
    });
  }

  // ------------------------------------------------------------------ 4. run
  function setRunState(s) {
    var st = s.state || "idle";
    var node = $("run-state");
    node.setAttribute("data-state", st);
    node.textContent = STATE_LABELS[st] || st;
    var prog = $("run-progress");
    var progress = typeof s.progress === "number" ? s.progress : (st === "done" ? 1 : 0);
    prog.value = Math.max(0, Math.min(1, progress));
    prog.textContent = fmtNumber(prog.value * 100) + " %";
    $("run-step").textContent = s.step && st === "running"
      ? "— " + s.step + " (" + fmtNumber(prog.value * 100) + " %)" : "";
    $("run-log").textContent = (s.log || []).join("\n");
    showProblems("problems-run", s.problems || []);
    $("run").disabled = st === "running";
    $("cancel").disabled = st !== "running";
    if (st === "done") { showResult(s); } else if (st === "running") { hideResult(); }
    if (st === "failed" || st === "cancelled") { hideResult(); }
  }

  function poll() {
    if (!state.sid) { return; }
    api("GET", "/api/sessions/" + state.sid + "/run").then(function (res) {
      if (res.status === 200) { setRunState(res.body); }
      var st = res.body && res.body.state;
      clearTimeout(state.polling);
      if (st === "running") { state.polling = setTimeout(poll, 700); }
    });
  }

  function startRun() {
    showProblems("problems-run", []);
    if (!state.territory) {
      showProblems("problems-run", [
        "Choisissez d'abord un territoire (recherche ou contour déposé, section 1)."]);
      return;
    }
    var withScenario = $("run-with-scenario").checked && state.actions.length > 0;
    var ready = Promise.resolve();
    if (withScenario && !state.scenarioSaved) {
      ready = saveScenario().then(function (res) {
        if (!(res.status === 200 && res.body && res.body.ok)) { throw new Error("scenario"); }
      });
    }
    ready.then(function () {
      var body = {territory: state.territory, use_demo_data: $("use-demo").checked,
                  scenario: withScenario};
      return api("POST", "/api/sessions/" + state.sid + "/run", body);
    }).then(function (res) {
      if (res.status === 202 || (res.body && res.body.ok)) {
        setRunState({state: "running", progress: 0, step: "démarrage"});
        state.polling = setTimeout(poll, 300);
      } else {
        showProblems("problems-run", problemsOf(res, "Calcul refusé"));
      }
    }, function () {
      showProblems("problems-run", [
        "Le scénario n'a pas pu être enregistré (voir section 3) : corrigez-le ou décochez "
        + "« Inclure le scénario enregistré »."]);
    });
  }

  function cancelRun() {
    api("DELETE", "/api/sessions/" + state.sid + "/run").then(function () { poll(); });
  }

  // ------------------------------------------------------------------ 5. result
  function resultUrl(path) {
    return "/sessions/" + state.sid + "/resultat/" +
      path.split("/").map(encodeURIComponent).join("/");
  }

  function hideResult() {
    clear($("result-links"));
    $("run-summary").textContent = "";
    var frame = $("result-frame");
    frame.hidden = true;
    frame.removeAttribute("src");
    resizeMap(false);
  }

  function resizeMap(small) {
    var node = $("map");
    if (node.classList.contains("small") === small) { return; }
    node.classList.toggle("small", small);
    map.invalidateSize();
    var b = territoryLayer.getBounds();
    if (b.isValid()) { map.fitBounds(b, {padding: [10, 10]}); }
  }

  function showResult(s) {
    var links = $("result-links");
    if (links.getAttribute("data-shown") === state.sid + String(s.files || "")) { return; }
    links.setAttribute("data-shown", state.sid + String(s.files || ""));
    clear(links);
    var files = s.files || [];
    var known = {};
    RESULT_FILES.forEach(function (r) {
      if (files.indexOf(r[0]) >= 0) {
        known[r[0]] = true;
        var li = el("li");
        li.appendChild(el("a", {href: resultUrl(r[0]), target: "_blank", rel: "noopener"},
          r[1]));
        links.appendChild(li);
      }
    });
    var gpkg = files.filter(function (f) { return /\.gpkg$/.test(f) && !known[f]; });
    gpkg.slice(0, 4).forEach(function (f) {
      var li = el("li");
      li.appendChild(el("a", {href: resultUrl(f), download: ""}, "GeoPackage : " + f));
      links.appendChild(li);
    });
    var zip = el("li", {"class": "zip"});
    zip.appendChild(el("a", {href: "/api/sessions/" + state.sid + "/export.zip",
                             download: "bilan_espass.zip"},
      "Tout le dossier en zip (site statique prêt à publier)"));
    links.appendChild(zip);
    var others = files.filter(function (f) { return !known[f] && !/\.gpkg$/.test(f); });
    if (others.length) {
      var det = el("details");
      det.appendChild(el("summary", null, "Tous les fichiers (" + fmtNumber(files.length) + ")"));
      var ul = el("ul");
      others.forEach(function (f) {
        var li = el("li");
        li.appendChild(el("a", {href: resultUrl(f), target: "_blank", rel: "noopener"}, f));
        ul.appendChild(li);
      });
      det.appendChild(ul);
      var li2 = el("li");
      li2.appendChild(det);
      links.appendChild(li2);
    }
    $("run-summary").textContent = s.summary || "Bilan terminé.";
    var frame = $("result-frame");
    if (files.indexOf("index.html") >= 0) {
      frame.src = resultUrl("index.html");
      frame.hidden = false;
      resizeMap(true);
    }
  }

  // ------------------------------------------------------------------ session
  var sessionPromise = null;
  function ensureSession() {
    if (state.sid) { return Promise.resolve(state.sid); }
    if (!sessionPromise) {
      sessionPromise = api("POST", "/api/sessions", {}).then(function (res) {
        if (res.body && res.body.session) {
          state.sid = res.body.session;
          $("session-line").textContent = "Session de travail : " + state.sid;
          return state.sid;
        }
        sessionPromise = null;
        $("session-line").textContent = problemsOf(res, "Session impossible").join(" ");
        throw new Error("session");
      });
    }
    return sessionPromise;
  }

  // ------------------------------------------------------------------ wiring
  buildDataFields();
  ["territory", "scenario"].concat(DATA_KINDS.map(function (k) { return k.kind; }))
    .forEach(function (kind) {
      $("file-" + kind).addEventListener("change", function () { upload(kind); });
    });
  $("use-demo").addEventListener("change", function () {
    $("defaults-line").classList.toggle("off", !$("use-demo").checked);
  });
  $("save-scenario").addEventListener("click", saveScenario);
  $("load-scenario").addEventListener("click", loadScenario);
  $("run").addEventListener("click", startRun);
  $("cancel").addEventListener("click", cancelRun);
  ["scenario-name", "scenario-label", "scenario-start", "scenario-horizon"].forEach(function (id) {
    $(id).addEventListener("change", function () { state.scenarioSaved = false; });
  });
  renderActions();
  ensureSession().then(function () {
    document.body.setAttribute("data-session", state.sid);
  }, function () { /* message already shown */ });

  // for the browser test and the curious: read-only view of the state
  window.espassApp = {
    map: map,
    state: function () {
      return {sid: state.sid, territory: state.territory, actions: state.actions.length,
              saved: state.scenarioSaved};
    }
  };
})();
