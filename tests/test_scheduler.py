"""--scheduler (issue #14): the dask work follows the chosen scheduler, with the same results.

The demo raster (CLC 2018, Flandre) over two communes of the demo EPCI: the ``center`` engine's
area table and the stocks are computed in memory (dask's threads) and on a
``dask.distributed`` cluster; they must be equal to the last digit (the same blocks, summed by
the same ``groupby``). Bad values are refused in French with the remedy.
"""

from __future__ import annotations

import pandas as pd
import pytest
from click.testing import CliRunner

import espass_geo as eg
from espass_geo.cli import main
from espass_geo.core.areas import area_table_from_raster
from espass_geo.errors import ConfigError
from espass_geo.io import scheduler as sched
from espass_geo.io.bilan_config import config_as_toml, load_bilan_config
from espass_geo.io.scheduler import scheduler_problem, use_scheduler
from espass_geo.reference import data

distributed = pytest.importorskip("distributed")
# two communes: ALDO's « fewer than ~10 communes » warning is expected
pytestmark = pytest.mark.filterwarnings("ignore::espass_geo.errors.SmallTerritoryWarning")

COMMUNES = "59016,59094"  # two communes of the demo EPCI (CC des Hauts de Flandre)


@pytest.fixture(scope="module")
def zones():
    from espass_geo.territory.resolve import resolve_territory

    return resolve_territory(COMMUNES).zones


@pytest.fixture(scope="module")
def cluster():
    """Two in-process workers on a real TCP address (fast and safe in CI)."""
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=False,
                                  protocol="tcp", dashboard_address=None,
                                  scheduler_kwargs={"dashboard_address": ":0"}) as c:
        yield c


def test_cluster_gives_the_same_area_table_and_stocks(tmp_path, zones, cluster):
    lc = data.demo_landcover_path()
    local = area_table_from_raster(zones, lc, engine="center")
    with use_scheduler(cluster.scheduler_address) as note:
        assert distributed.get_client().scheduler.address == cluster.scheduler_address
        remote = area_table_from_raster(zones, lc, engine="center")
    with pytest.raises(ValueError):  # the client is closed at the end of the block
        distributed.get_client()
    assert note.startswith(f"Calcul Dask : grappe {cluster.scheduler_address} (2 worker(s)")
    pd.testing.assert_frame_equal(local.table, remote.table)
    pd.testing.assert_frame_equal(local.summary, remote.summary)
    assert remote.table["area_ha"].sum() > 1000  # two whole communes of Flandre, in ha

    ref = eg.stocks(COMMUNES, landcover=lc, engine="center")
    got = eg.stocks(COMMUNES, landcover=lc, engine="center",
                    scheduler=cluster.scheduler_address)
    pd.testing.assert_frame_equal(ref.stocks, got.stocks)
    assert got.total_stock_tC == ref.total_stock_tC > 0
    assert note in got.notes and not any("Calcul Dask" in n for n in ref.notes)
    eg.write(got, tmp_path / "out", make_map=False)
    readme = (tmp_path / "out" / "LISEZ-MOI_stocks.txt").read_text(encoding="utf-8")
    assert f"Calcul Dask : grappe {cluster.scheduler_address}" in readme


def test_flows_on_the_cluster_and_scheduler_on_the_command_line(tmp_path, cluster):
    before, after = data.demo_landcover_2012_path(), data.demo_landcover_path()
    kw = {"landcover_before": before, "landcover_after": after, "years": (2012, 2018),
          "engine": "center"}
    ref = eg.flows(COMMUNES, **kw)
    got = eg.flows(COMMUNES, **kw, scheduler=cluster.scheduler_address)
    pd.testing.assert_frame_equal(ref.flows, got.flows)
    pd.testing.assert_frame_equal(ref.transitions, got.transitions)
    assert any(n.startswith("Calcul Dask : grappe tcp://") for n in got.notes)
    # the command line: --scheduler reaches the run and its LISEZ-MOI
    out = tmp_path / "s"
    r = CliRunner().invoke(main, ["stocks", "-t", COMMUNES, "--landcover", str(after),
                                  "--engine", "center", "--scheduler", "threads",
                                  "--out", str(out), "--no-map"])
    assert r.exit_code == 0, r.output
    readme = (out / "LISEZ-MOI_stocks.txt").read_text(encoding="utf-8")
    assert "Calcul Dask : ordonnanceur threads (dans ce processus)." in readme


def test_local_cluster_of_worker_processes(zones):
    lc = data.demo_landcover_path()
    local = area_table_from_raster(zones, lc, engine="center")
    with use_scheduler("local:2") as note:
        client = distributed.get_client()
        assert len(client.scheduler_info()["workers"]) == 2
        remote = area_table_from_raster(zones, lc, engine="center")
    assert "grappe locale (local:2) de 2 processus" in note
    pd.testing.assert_frame_equal(local.table, remote.table)


@pytest.mark.parametrize("spec", ["threads", " threads ", "processes", "local:1", "local:8",
                                  "tcp://10.0.0.5:8786", "tcp://scheduler.cluster:8786"])
def test_good_values(spec):
    assert scheduler_problem(spec) is None


@pytest.mark.parametrize("spec, words", [
    ("gpu", "scheduler « gpu » inconnu : écrivez threads, processes, local:N"),
    ("local:0", "le nombre de processus doit être entre 1 et 1024"),
    ("local:x", "inconnu"),
    ("local:", "inconnu"),
    ("tcp://10.0.0.5", "inconnu"),  # no port
    ("http://10.0.0.5:8786", "inconnu"),
    (4, "doit être un texte"),
])
def test_bad_values_refused_in_french(spec, words):
    assert words in scheduler_problem(spec)
    with pytest.raises(ConfigError, match="scheduler|texte"), use_scheduler(spec):
        pass


def test_threads_value_sets_dask_config():
    import dask

    with use_scheduler("threads") as note:
        assert dask.config.get("scheduler") == "threads"
    assert note == "Calcul Dask : ordonnanceur threads (dans ce processus)."
    with use_scheduler(None) as note:
        assert note is None


def test_unreachable_cluster_is_a_french_error(monkeypatch):
    monkeypatch.setattr(sched, "CONNECT_TIMEOUT_S", 1)
    with pytest.raises(ConfigError, match="injoignable.*dask scheduler.*local:"), \
            use_scheduler("tcp://127.0.0.1:9"):  # the discard port: nothing listens there
        pass


def test_missing_distributed_names_the_extra(monkeypatch):
    import sys

    monkeypatch.setitem(sys.modules, "distributed", None)
    with pytest.raises(ConfigError, match=r'pip install "espass-geo\[distributed\]"'), \
            use_scheduler("local:2"):
        pass


def test_command_line_refuses_a_bad_scheduler(tmp_path):
    r = CliRunner().invoke(main, ["stocks", "-t", COMMUNES, "--landcover",
                                  str(data.demo_landcover_path()), "--scheduler", "gpu",
                                  "--out", str(tmp_path / "o"), "--no-map"])
    assert r.exit_code == 2, r.output
    assert "scheduler « gpu » inconnu" in r.output


def test_bilan_toml_key(tmp_path):
    bad = tmp_path / "bilan.toml"
    lc = f'[landcover]\nafter = "{data.demo_landcover_path().as_posix()}"\n'
    bad.write_text('territory = "59016"\nscheduler = "local:zero"\n' + lc, encoding="utf-8")
    with pytest.raises(ConfigError, match=r"bilan.toml:2 : scheduler « local:zero » inconnu"):
        load_bilan_config(bad)
    good = tmp_path / "good.toml"
    good.write_text('territory = "59016"\nscheduler = "local:2"\n' + lc, encoding="utf-8")
    cfg = load_bilan_config(good)
    assert cfg.scheduler == "local:2"
    assert 'scheduler = "local:2"' in config_as_toml(cfg)
    # written back, it reads the same
    again = tmp_path / "again.toml"
    again.write_text(config_as_toml(cfg), encoding="utf-8")
    assert load_bilan_config(again).scheduler == "local:2"


def test_bilan_passes_the_scheduler_over_the_file(monkeypatch, tmp_path):
    """espass-geo bilan --scheduler → api.bilan(scheduler=…) → the file's key is replaced."""
    from espass_geo import api

    seen = {}

    def compute_bilan(cfg, quiet):  # stands for the (long) bilan: records what it is given
        import dask

        seen["cfg"], seen["dask"] = cfg, dask.config.get("scheduler")
        raise ConfigError("arrêt du test")

    monkeypatch.setattr(api, "compute_bilan", compute_bilan)
    r = CliRunner().invoke(main, ["bilan", "-t", COMMUNES, "--scheduler", "processes",
                                  "--out", str(tmp_path / "b"), "-q"])
    assert r.exit_code == 2 and "arrêt du test" in r.output
    assert seen["cfg"].scheduler == "processes" and seen["dask"] == "processes"
