"""The Dask scheduler of a run: ``--scheduler threads|processes|local:N|tcp://host:port``.

:func:`use_scheduler` sets, for the duration of a ``with`` block, where the dask work of the
package runs (the ``center`` area engine's blocks, :func:`espass_geo.core.areas._center_class_areas`,
which calls ``dask.compute`` without naming a scheduler and so follows the active one):

* ``"threads"`` (default): dask's threaded scheduler, in this process;
* ``"processes"``: dask's multiprocessing scheduler (one process per core);
* ``"local:N"``: a ``dask.distributed.LocalCluster`` of N worker processes on this machine
  (dashboard off), with its ``Client``; both are closed at the end of the block;
* ``"tcp://host:port"``: a ``Client`` to a running Dask scheduler (a cluster: ``dask
  scheduler`` + ``dask worker``, dask-jobqueue, Kubernetes…). The workers read the inputs
  themselves: they must see the same paths (shared storage) or GDAL virtual file systems
  (``/vsis3/…``, ``/vsicurl/https://…``).

``None`` leaves things as they are (dask's default, or a ``Client`` the caller made active).
The context yields a French note for the outputs (LISEZ-MOI), ``None`` when nothing was set.
:func:`scheduler_problem` checks a value without starting anything (used by ``bilan.toml``).
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from contextlib import contextmanager

from espass_geo.errors import ConfigError

#: the accepted forms, as the messages write them
FORMS = "threads, processes, local:N (N processus) ou tcp://hôte:port"
_LOCAL = re.compile(r"^local:(\d+)$")
_TCP = re.compile(r"^tcp://[^\s:/]+:\d{1,5}$")
#: seconds to wait for a remote scheduler before giving up
CONNECT_TIMEOUT_S = 10
INSTALL_HINT = 'pip install "espass-geo[distributed]"'


def scheduler_problem(spec: object) -> str | None:
    """Why ``spec`` is not a valid scheduler (French, with the remedy), or None if it is."""
    if spec is None:
        return None
    if not isinstance(spec, str):
        return f"« scheduler » doit être un texte ({FORMS}), pas {spec!r}"
    s = spec.strip()
    if s in ("threads", "processes") or _TCP.match(s):
        return None
    m = _LOCAL.match(s)
    if m:
        if 1 <= int(m.group(1)) <= 1024:
            return None
        return (f"scheduler « {spec} » : le nombre de processus doit être entre 1 et 1024 ; "
                f"écrivez par exemple local:{max(1, os.cpu_count() or 1)}")
    return (f"scheduler « {spec} » inconnu : écrivez {FORMS} (ex. --scheduler local:2, "
            "--scheduler tcp://10.0.0.5:8786)")


def check_scheduler(spec: object) -> str | None:
    """``spec`` stripped, or None; a bad value raises :class:`ConfigError` (French)."""
    problem = scheduler_problem(spec)
    if problem:
        raise ConfigError(problem + ".")
    return None if spec is None else str(spec).strip()


def _distributed():
    try:
        import distributed  # noqa: F401
        from dask.distributed import Client, LocalCluster
    except ImportError as exc:
        raise ConfigError(
            "le calcul sur une grappe Dask (--scheduler local:N ou tcp://…) demande le module "
            f"dask.distributed, absent ({exc}) ; installez-le : {INSTALL_HINT}"
        ) from None
    return Client, LocalCluster


@contextmanager
def use_scheduler(spec: str | None) -> Iterator[str | None]:
    """Run the ``with`` block's dask work on the scheduler ``spec`` (see the module doc).

    Yields a French note naming the scheduler (and the dashboard of a remote cluster), or None
    for ``spec=None``. A bad value or an unreachable scheduler is a :class:`ConfigError`.
    """
    spec = check_scheduler(spec)
    if spec is None:
        yield None
        return
    import dask

    if spec in ("threads", "processes"):
        what = ("threads (dans ce processus)" if spec == "threads"
                else "processes (un processus par cœur)")
        with dask.config.set(scheduler=spec):
            yield f"Calcul Dask : ordonnanceur {what}."
        return
    Client, LocalCluster = _distributed()
    m = _LOCAL.match(spec)
    if m:
        n = int(m.group(1))
        threads = max(1, (os.cpu_count() or 1) // n)
        # no dashboard; its HTTP server (health checks) on a free port, never a taken 8787
        with LocalCluster(n_workers=n, threads_per_worker=threads, processes=True,
                          dashboard_address=None,
                          scheduler_kwargs={"dashboard": False, "dashboard_address": ":0"},
                          ) as cluster, Client(cluster) as client:
            assert client.status == "running"  # the default client of the block
            yield (f"Calcul Dask : grappe locale ({spec}) de {n} processus de {threads} "
                   f"thread(s), fermée en fin de calcul.")
        return
    try:
        client = Client(spec, timeout=CONNECT_TIMEOUT_S)
    except (OSError, TimeoutError) as exc:
        raise ConfigError(
            f"scheduler « {spec} » injoignable ({exc}) : vérifiez que l'ordonnanceur Dask "
            "tourne (`dask scheduler`, port 8786 par défaut), que l'adresse et le port sont les "
            f"bons et qu'aucun pare-feu ne les bloque ; sinon utilisez --scheduler local:"
            f"{max(1, os.cpu_count() or 1)}."
        ) from None
    with client:  # the default client of the block, closed at its end
        n = len(client.scheduler_info().get("workers", {}))
        link = client.dashboard_link
        board = f" ; tableau de bord : {link}" if link else ""
        yield (f"Calcul Dask : grappe {spec} ({n} worker(s) à la connexion){board}. Les "
               "workers lisent eux-mêmes les données : chemins partagés ou /vsis3/, "
               "/vsicurl/.")
