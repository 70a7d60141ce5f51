"""Command-line interface ``espass-geo``: a thin layer over the public API."""

from __future__ import annotations

import logging
import os
import shlex
import sys
import warnings
from pathlib import Path

import click

from espass_geo import _click_fr, spec
from espass_geo.errors import EspassGeoError, EspassGeoWarning

_click_fr.install()  # click's own messages (wrong option, usage, help headings) in French


def _format_warning(message, category, filename, lineno, line=None):  # noqa: ARG001
    return f"Avertissement : {message}\n"


def _command_line() -> str:
    """The command as typed, for the manifest of the output folder."""
    ctx = click.get_current_context(silent=True)
    if ctx is None:
        return "espass-geo"
    words = ["espass-geo", ctx.info_name or ""]
    for name, value in ctx.params.items():
        flag = "--" + name.replace("_", "-")
        if name == "out_dir":
            flag = "--out"
        if value is None or value is False or value == ():
            continue
        if name == "path":
            words.append(str(value))
        elif value is True:
            words.append(flag)
        elif isinstance(value, tuple | list) and name in spec.BY_NAME and \
                spec.BY_NAME[name].type == "series":  # a repeated option
            for v in value:
                words += [flag, str(v)]
        elif isinstance(value, tuple | list):
            words += [flag, *map(str, value)]
        else:
            words += [flag, str(value)]
    return shlex.join(words)


def _run(fn, *args, **kwargs):
    from espass_geo.io.manifest import RUN_COMMAND

    warnings.formatwarning = _format_warning
    token = RUN_COMMAND.set(_command_line())
    caught: list[warnings.WarningMessage] = []
    try:
        with warnings.catch_warnings(record=True) as caught:
            # package warnings are messages to the user: shown (once each, in the order they
            # came, before the summary or the error), never turned into errors
            warnings.simplefilter("always", EspassGeoWarning)
            return fn(*args, **kwargs)
    except EspassGeoError as exc:
        _show_warnings(caught)
        caught = []
        click.echo(f"Erreur ({type(exc).__name__}) : {exc}", err=True)
        sys.exit(2)
    finally:
        _show_warnings(caught)
        RUN_COMMAND.reset(token)


def _show_warnings(caught: list[warnings.WarningMessage]) -> None:
    seen: set[str] = set()
    for w in caught:
        if issubclass(w.category, EspassGeoWarning):
            text = str(w.message)
            if text not in seen:
                seen.add(text)
                click.echo(f"Avertissement : {text}", err=True)
        else:  # a library's warning: handed on as it came
            warnings.showwarning(w.message, w.category, w.filename, w.lineno)


def _check_out(out_dir, overwrite: bool) -> None:
    """Refuse a wrong output folder before computing anything (the final checks come later)."""
    from espass_geo.io.outputs import check_output_dir, hold_output_lock

    ctx = click.get_current_context()
    _run(check_output_dir, out_dir, overwrite=overwrite, inputs=_inputs())
    # the folder is locked from now on (computation included), released when the command ends
    ctx.call_on_close(_run(hold_output_lock, out_dir))


#: Options of a command that say where and how to write, not what was computed.
_OUTPUT_OPTIONS = ("out_dir", "overwrite", "no_map", "quiet")


def _inputs() -> list:
    """The values of the command's options that may be files (never overwritten)."""
    return [v for v in click.get_current_context().params.values() if isinstance(v, Path | str)]


def _params() -> dict:
    """The command's options as run parameters (LISEZ-MOI), paths as text."""
    return {k: (str(v) if isinstance(v, Path) else list(v) if isinstance(v, tuple) else v)
            for k, v in click.get_current_context().params.items() if k not in _OUTPUT_OPTIONS}


def _summary(files: dict, out_dir) -> None:
    click.echo(f"Écrit dans {out_dir} :")
    for name in files:
        click.echo(f"  {name}")


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="espass-geo")
@click.option("-v", "--verbose", is_flag=True, help="Journal détaillé.")
def main(verbose: bool) -> None:
    """espass_geo : le bilan ESPASS d'un territoire (carbone des sols et de la biomasse, émissions,
    polluants, scénarios), sur une carte."""
    logging.basicConfig(level=logging.INFO if verbose else logging.WARNING,
                        format="%(levelname)s %(name)s: %(message)s")
    # rasterize() under dask threads can leak this rasterio-internal warning (its
    # catch_warnings() is not thread-safe); it never concerns the user's data.
    from rasterio.errors import NotGeoreferencedWarning

    warnings.filterwarnings("ignore", category=NotGeoreferencedWarning)


def _compute_and_write(compute, out_dir, **write_options):
    """``compute()`` (a function of :mod:`espass_geo.api`), then ``api.write`` of its result
    into ``out_dir``, in one :func:`_run` (warnings shown once each, errors → status 2)."""
    from espass_geo import api

    def both():
        result = compute()
        api.write(result, out_dir, **write_options)
        return result

    return _run(both)


@main.command()
@spec.options("stocks")
def stocks(territory, landcover, areas, parcels, hedges, zpc, id_field, name_field, method,
           engine, out_dir, overwrite, no_map, max_nodata_share, factors=None,
           nomenclature=None, code_field=None, forest=None, boundaries=None, region=None,
           scheduler=None):
    """Stocks de carbone par zone, occupation du sol et réservoir (+ parcelles, raster, carte)."""
    from functools import partial

    from espass_geo import api

    _check_out(out_dir, overwrite)
    result = _compute_and_write(
        partial(api.stocks, territory, landcover=landcover, areas=areas, parcels=parcels,
                hedges=hedges, zpc=zpc, id_field=id_field, name_field=name_field,
                method=method, engine=engine, max_nodata_share=max_nodata_share,
                factors=factors,
                boundaries=boundaries, region=region, nomenclature=nomenclature, code_field=code_field,
                forest=forest, scheduler=scheduler),
        out_dir, overwrite=overwrite, make_map=not no_map, params=_params(), inputs=_inputs())
    from espass_geo.present.fmt import fmt_mass_t

    click.echo(f"{result.territory.label} : stock total {fmt_mass_t(result.total_stock_tC)} "
               f"sur {len(result.zones)} zones (méthode {method}).")
    _summary(result.files, out_dir)


@main.command()
@spec.options("flows")
def flows(territory, landcover_before, landcover_after, years, changes, forest_areas, zpc,
          id_field, name_field, method, gwp_n2o, wood_products, out_dir, overwrite, no_map,
          max_nodata_share, factors=None, nomenclature=None, landcover_series=(),
          code_field=None, forest=None, boundaries=None, region=None, scheduler=None):
    """Flux de carbone (changements d'occupation du sol, forêt, produits bois), artificialisation."""
    from functools import partial

    from espass_geo import api
    from espass_geo.present.fmt import fmt_mass_t

    _check_out(out_dir, overwrite)
    if landcover_series:
        if landcover_before is not None or landcover_after is not None or changes is not None:
            click.echo("Erreur : --landcover-series donne toutes les dates ; retirez "
                       "--landcover-before, --landcover-after et --changes.", err=True)
            sys.exit(2)
        result = _compute_and_write(
            partial(api.flow_series, territory, list(landcover_series),
                    forest_areas=forest_areas, zpc=zpc, id_field=id_field,
                    name_field=name_field, method=method, gwp_n2o=gwp_n2o,
                    wood_products=wood_products, max_nodata_share=max_nodata_share,
                    factors=factors,
                boundaries=boundaries, region=region, nomenclature=nomenclature, code_field=code_field,
                    forest=forest, scheduler=scheduler),
            out_dir, overwrite=overwrite, make_map=not no_map, params=_params(),
            inputs=_inputs())
        for r in result.territory_series.itertuples(index=False):
            what = f"période {r.period}" if r.scope == "period" else f"ensemble {r.period}"
            click.echo(f"{result.territory.label} — {what} : flux net "
                       f"{fmt_mass_t(r.flux_tCO2e_an, 'tCO₂e')}/an")
        click.echo("(positif = séquestration, négatif = émission ; chaque période annualisée "
                   "sur sa durée)")
        _summary(result.files, out_dir)
        return
    result = _compute_and_write(
        partial(api.flows, territory, landcover_before=landcover_before,
                landcover_after=landcover_after, years=tuple(years), changes=changes,
                forest_areas=forest_areas, zpc=zpc, id_field=id_field, name_field=name_field,
                method=method, gwp_n2o=gwp_n2o, wood_products=wood_products,
                max_nodata_share=max_nodata_share, factors=factors,
                boundaries=boundaries, region=region,
                nomenclature=nomenclature, code_field=code_field, forest=forest,
                scheduler=scheduler),
        out_dir, overwrite=overwrite, make_map=not no_map, params=_params(), inputs=_inputs())
    click.echo(f"{result.territory.label} : flux net {fmt_mass_t(result.net_flux_tCO2e_an, 'tCO₂e')}"
               "/an (positif = séquestration, négatif = émission).")
    _summary(result.files, out_dir)


@main.command()
@spec.options("scenario")
def scenario(config, out_dir, overwrite, no_map, factors=None):
    """Trajectoires 2025-2050 : tendanciel et scénarios d'actions spatialisées, côte à côte."""
    from functools import partial

    from espass_geo import api
    from espass_geo.present.fmt import fmt_mass_t

    _check_out(out_dir, overwrite)
    result = _compute_and_write(partial(api.scenarios, config, factors=factors), out_dir,
                                overwrite=overwrite, make_map=not no_map, inputs=_inputs())
    d = result.delta
    last = d[(d["lever"] == "total") & (d["year"] == result.config.horizon)]
    for r in last.itertuples(index=False):
        click.echo(f"Scénario {r.scenario} : écart cumulé au tendanciel en "
                   f"{result.config.horizon} {fmt_mass_t(r.cumulative_delta_tCO2e, 'tCO₂e')} "
                   "(positif = plus de séquestration).")
    _summary(result.files, out_dir)


@main.command()
@spec.options("emissions")
def emissions(territory, inventory, population, land_flows, footprint_adjustments, zpc,
              id_field, name_field, out_dir, overwrite, no_map, factors=None, boundaries=None, region=None,
              point_sources=None):
    """Émissions directes par secteur, empreinte par poste ESPASS, polluants, synergies."""
    from functools import partial

    from espass_geo import api
    from espass_geo.present.fmt import fmt_mass_t

    _check_out(out_dir, overwrite)
    r = _compute_and_write(
        partial(api.emissions, territory, inventory=inventory, population=population,
                land_flows=land_flows, footprint_adjustments=footprint_adjustments, zpc=zpc,
                id_field=id_field, name_field=name_field, factors=factors,
                boundaries=boundaries, region=region, point_sources=point_sources),
        out_dir, overwrite=overwrite, make_map=not no_map, params=_params(), inputs=_inputs())
    click.echo(f"{r.territory.label} : émissions directes {fmt_mass_t(r.total('sector'), 'tCO₂e')}"
               f"/an, empreinte de consommation {fmt_mass_t(r.total('post'), 'tCO₂e')}/an"
               + (" (inventaire de démonstration : estimation)" if r.estimate else "") + ".")
    _summary(r.files, out_dir)


@main.command()
@spec.options("zan")
def zan(territory, landcover_before, landcover_after, years, consumption, guarantee,
        territorialisation, zpc, id_field, name_field, method, gwp_n2o, out_dir, overwrite,
        no_map, factors=None, boundaries=None, region=None):
    """ZAN : consommation d'espaces (Cerema), budget 2021-2030, artificialisation nette (OCS GE)
    et leur coût carbone, par commune."""
    from functools import partial

    from espass_geo import api
    from espass_geo.present.fmt import fmt_area_ha, fmt_mass_t

    _check_out(out_dir, overwrite)
    r = _compute_and_write(
        partial(api.zan, territory, consumption=consumption, guarantee=guarantee,
                territorialisation=territorialisation, landcover_before=landcover_before,
                landcover_after=landcover_after,
                years=tuple(years) if landcover_before is not None else None, zpc=zpc,
                id_field=id_field, name_field=name_field, method=method, gwp_n2o=gwp_n2o,
                factors=factors,
                boundaries=boundaries, region=region),
        out_dir, overwrite=overwrite, make_map=not no_map, params=_params(), inputs=_inputs())
    a = r.accounts
    click.echo(f"{r.territory.label} : référence 2011-2020 "
               f"{fmt_area_ha(a['reference_2011_2020_ha'].sum())}, budget 2021-2030 "
               f"{fmt_area_ha(a['budget_2021_2030_ha'].sum())}, consommé depuis 2021 "
               f"{fmt_area_ha(a['consumed_since_2021_ha'].sum())}, coût carbone "
               f"{fmt_mass_t(a['cost_tCO2e'].sum(), 'tCO₂e')} émises"
               + (" (consommation de démonstration : ESTIMATION)" if r.estimate else "") + ".")
    _summary(r.files, out_dir)


@main.command()
@spec.options("bilan")
def bilan(config, territory, zpc, id_field, name_field, out_dir, overwrite, quiet,
          max_nodata_share, factors=None, scheduler=None):
    """Le bilan ESPASS complet : carte web, rapport, exports (Excel, CSV, GeoPackage)."""
    from espass_geo import api
    from espass_geo.core.bilan_table import synthesis
    from espass_geo.io.bilan_config import default_config
    from espass_geo.present.fmt import fmt_mass_t

    if config is None and territory is None:
        click.echo("Erreur : donnez --config bilan.toml (voir espass-geo init) ou --territory.",
                   err=True)
        sys.exit(2)
    _check_out(out_dir, overwrite)
    r = _compute_and_write(
        lambda: api.bilan(config=config if config is not None else default_config(territory),
                          zpc=zpc, id_field=id_field, name_field=name_field,
                          max_nodata_share=max_nodata_share, quiet=quiet, factors=factors,
                          scheduler=scheduler),
        out_dir, overwrite=overwrite)
    if not quiet:
        sy = synthesis(r.table)
        click.echo(f"{r.config.title} : empreinte "
                   f"{fmt_mass_t(sy['footprint_without_land_tCO2e_an'], 'tCO₂e')}/an, émissions "
                   f"directes {fmt_mass_t(sy['direct_tCO2e_an'], 'tCO₂e')}/an, flux net de "
                   f"carbone {fmt_mass_t(sy['flux_tCO2e_an'], 'tCO₂e')}/an (positif = "
                   "séquestration).")
        _summary({k: v for k, v in r.files.items() if "/" not in k}, out_dir)
        click.echo(f"Ouvrez {Path(out_dir) / 'index.html'} (carte) et "
                   f"{Path(out_dir) / 'rapport.html'} (rapport).")


@main.command()
@click.argument("path", default="bilan.toml", type=click.Path(path_type=Path))
@spec.options("init")
def init(path, overwrite):
    """Écrit un fichier bilan.toml d'exemple, commenté, sur les données embarquées."""
    from espass_geo.io.bilan_config import write_example_config

    _run(write_example_config, path, overwrite=overwrite)
    click.echo(f"Écrit {path} : modifiez-le puis lancez espass-geo bilan --config {path} "
               "--out bilan/")


@main.command()
@spec.options("demo")
def demo(out_dir, overwrite):
    """Démonstration sur les données embarquées (SCoT Flandre-Dunkerque et 37 EPCI du 59/62)."""
    from espass_geo import api
    from espass_geo.core.bilan_table import synthesis
    from espass_geo.present.fmt import fmt_mass_t

    _check_out(out_dir, overwrite)
    results = _compute_and_write(api.demo, out_dir, overwrite=overwrite)
    for name, r in results.bilans.items():
        sy = synthesis(r.table)
        click.echo(f"{name} : stock {fmt_mass_t(sy['stock_tC'])}, flux net "
                   f"{fmt_mass_t(sy['flux_tCO2e_an'], 'tCO₂e')}/an (positif = séquestration), "
                   f"empreinte {fmt_mass_t(sy['footprint_without_land_tCO2e_an'], 'tCO₂e')}/an")
    click.echo(f"Ouvrez {Path(out_dir) / 'index.html'} dans un navigateur.")


@main.command()
@spec.options("aldo")
def aldo(territory, gwp_n2o, out_dir, overwrite):
    """Écart avec ALDO, expliqué : méthode par défaut et calcul par EPCI d'ALDO (aldo-epci) sur
    les mêmes données, et le pont cause par cause (ecart_aldo.csv, .xlsx, .html)."""
    from functools import partial

    from espass_geo import api
    from espass_geo.present.fmt import fmt_mass_t

    _check_out(out_dir, overwrite)
    r = _compute_and_write(partial(api.aldo, territory, gwp_n2o=gwp_n2o), out_dir,
                           overwrite=overwrite, inputs=_inputs())
    tot = r.totals[r.totals["siren"] == ("TOTAL" if len(r.sirens) > 1 else r.sirens[0])]
    for row in tot.itertuples(index=False):
        unit = "tC" if row.what == "stocks" else "tCO₂e"
        per = "" if row.what == "stocks" else "/an"
        click.echo(f"{r.label} — {'stock' if row.what == 'stocks' else 'flux net'} : aldo-epci "
                   f"{fmt_mass_t(row.aldo_epci, unit)}{per}, méthode par défaut "
                   f"{fmt_mass_t(row.default, unit)}{per}, écart "
                   f"{fmt_mass_t(row.gap, unit)}{per}.")
    _summary(r.files, out_dir)


@main.command("app")
@click.option("--host", default="127.0.0.1", show_default=True,
              help="Adresse d'écoute (127.0.0.1 : cet ordinateur seulement).")
@click.option("--port", default=8765, show_default=True, type=click.IntRange(0, 65535),
              help="Port d'écoute (0 : un port libre).")
@click.option("--workdir", type=click.Path(file_okay=False, path_type=Path), default=None,
              help="Dossier des sessions (fichiers déposés, scénarios, résultats) ; par défaut "
                   "espass_geo_app/ dans le dossier courant.")
@click.option("--no-browser", is_flag=True, help="Ne pas ouvrir le navigateur.")
@click.option("--allow-remote", is_flag=True,
              help="Accepter les connexions d'autres ordinateurs (refusées par défaut).")
@click.option("--max-upload-mb", default=200, show_default=True, type=click.IntRange(1, 100000),
              help="Taille maximale d'un envoi de fichier (Mo).")
def app_cmd(host, port, workdir, no_browser, allow_remote, max_upload_mb):
    """Application web locale : choisir le territoire, déposer les fichiers, dessiner le
    scénario, lancer le bilan et le publier, dans le navigateur."""
    import errno
    import signal
    import socket
    import threading
    import webbrowser

    from werkzeug.serving import make_server

    from espass_geo.app.server import create_app

    if host not in ("127.0.0.1", "localhost", "::1") and not allow_remote:
        click.echo(f"Erreur : --host {host} ouvre l'application au réseau ; ajoutez "
                   "--allow-remote si c'est voulu (aucun compte ni mot de passe ne la protège).",
                   err=True)
        sys.exit(2)
    from espass_geo.errors import os_reason

    workdir = workdir or Path("espass_geo_app")
    try:
        workdir.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        click.echo(f"Erreur : dossier des sessions « {workdir} » impossible à créer "
                   f"({os_reason(exc)}) ; donnez-en un autre (--workdir).", err=True)
        sys.exit(2)
    try:  # the port first, for a French message (werkzeug's is English)
        family = socket.AF_INET6 if ":" in host else socket.AF_INET
        with socket.socket(family, socket.SOCK_STREAM) as probe:
            if os.name == "posix":  # as werkzeug: a port in TIME_WAIT is free
                probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            probe.bind((host, port))
    except OSError as exc:
        reason = {errno.EADDRINUSE: "port déjà utilisé",
                  errno.EADDRNOTAVAIL: "adresse absente de cet ordinateur"}.get(
            exc.errno) or os_reason(exc)
        click.echo(f"Erreur : impossible d'écouter sur {host}:{port} ({reason}) ; "
                   "choisissez un autre port (--port 8766) ou fermez l'application déjà "
                   "lancée.", err=True)
        sys.exit(2)
    app = create_app(workdir, max_upload_mb=max_upload_mb, allow_remote=allow_remote)
    if logging.getLogger().level > logging.INFO:  # one line per request only with -v
        logging.getLogger("werkzeug").setLevel(logging.WARNING)
    server = make_server(host, port, app, threaded=True)
    shown = f"[{host}]" if ":" in host else host
    url = f"http://{'127.0.0.1' if host in ('0.0.0.0', '::') else shown}:{server.server_port}/"
    click.echo(f"espass_geo : application ouverte sur {url} (sessions dans {workdir}) ; "
               "Ctrl+C pour l'arrêter.")
    if not no_browser:
        threading.Timer(0.5, webbrowser.open, args=(url,)).start()

    def _stop(signum, frame):  # noqa: ARG001 - SIGTERM: stop as Ctrl+C does (runs killed)
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, _stop)
    try:
        server.serve_forever()  # werkzeug's: returns on Ctrl+C
    except KeyboardInterrupt:
        pass
    finally:
        app.extensions["espass_sessions"].shutdown()  # running bilans killed
        server.server_close()
        click.echo("Application arrêtée.")


@main.command("versions")
def versions_cmd():
    """Versions des bibliothèques (Python, GDAL de rasterio et de pyogrio, PROJ, GEOS)."""
    from espass_geo._show_versions import show_versions

    show_versions()


def console_main() -> None:
    """Entry point of the ``espass-geo`` script: ``main`` with a last-resort error handler.

    A package error already ends with its French message and status 2 (``_run``). Anything
    else is a bug of espass_geo: a short French message asks to report it and the status is 1;
    ``ESPASS_GEO_DEBUG=1`` shows the Python traceback. (Tests call ``main`` directly, so they
    see the real exception.)
    """
    try:
        main(standalone_mode=True)
    except Exception as exc:
        if os.environ.get("ESPASS_GEO_DEBUG"):
            raise
        click.echo(f"Erreur inattendue ({type(exc).__name__}) : {exc}\nC'est un défaut "
                   "d'espass_geo, pas de vos données : signalez-le aux auteurs avec la commande "
                   "lancée et la sortie de « espass-geo versions » (ESPASS_GEO_DEBUG=1 affiche "
                   "le détail technique).", err=True)
        sys.exit(1)


if __name__ == "__main__":  # pragma: no cover
    console_main()
