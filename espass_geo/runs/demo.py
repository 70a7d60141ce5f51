"""The demo: the full bilan of the SCoT Flandre-Dunkerque and of the 37 EPCI of Nord/Pas-de-Calais.

Runs on the embedded data only: ``espass-geo demo``, or :func:`espass_geo.api.demo` then
:func:`espass_geo.api.write` (:func:`compute_demo`, :func:`write_demo_outputs`).
"""

from __future__ import annotations

import atexit
import html
import logging
import os
import threading
import traceback
import warnings
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from espass_geo.core.bilan_table import synthesis
from espass_geo.io.bilan_config import BilanConfig, load_bilan_config
from espass_geo.io.outputs import atomic_output_dir
from espass_geo.reference import data
from espass_geo.runs.bilan import BilanResult, compute_bilan, write_bilan_outputs

#: SCoT Flandre-Dunkerque = CU de Dunkerque + CC des Hauts de Flandre (SIREN, COG 2018 = 2026).
DEMO_TERRITORY = "epci:245900428,200040954"
DEMO_LABEL = "SCoT Flandre-Dunkerque"


def demo_configs() -> dict[str, BilanConfig]:
    """The two demo bilans, read from the embedded configuration files."""
    folder = data.data_path("landcover", "scenarios")
    return {"flandre_dunkerque": load_bilan_config(folder / "bilan_flandre_dunkerque.toml"),
            "region": load_bilan_config(folder / "bilan_region.toml")}


@dataclass
class DemoResult:
    """The demo bilans by name (``flandre_dunkerque``, ``region``)."""

    bilans: dict[str, BilanResult]
    files: dict[str, Path] = field(default_factory=dict)


def compute_demo(*, quiet: bool = True, workers: int | None = None) -> DemoResult:
    """The two demo bilans, computed (nothing written).

    With two cores or more the two bilans are computed at the same time, one of them in a
    second Python process (see :func:`demo_workers`); ``workers=1`` computes both here, one
    after the other. The results are the same either way.
    """
    tasks = {name: (compute_bilan, (cfg,), {"quiet": quiet})
             for name, cfg in demo_configs().items()}
    # the worker process stays for write_demo_outputs (the CLI writes right after)
    return DemoResult(_run_tasks(tasks, demo_workers(workers), keep=True))


def write_demo_outputs(result: DemoResult, out_dir: str | Path = "maps/demo", *,
                       overwrite: bool = False, workers: int | None = None) -> dict[str, Path]:
    """The demo bilans under ``out_dir`` (``flandre_dunkerque/``, ``region/``) + an index.

    The whole folder is one output (one manifest, swapped in whole: see
    :func:`espass_geo.io.outputs.atomic_output_dir`). With two cores or more the two bilans
    are written at the same time, one by a second Python process, into the same temporary
    folder (``workers`` as in :func:`compute_demo`); the files are the same either way.
    """
    out_dir = Path(out_dir)
    results = result.bilans
    with atomic_output_dir(out_dir, overwrite=overwrite) as tmp:
        written = _run_tasks({name: (_write_bilan, (r, tmp, name), {})
                              for name, r in results.items()}, demo_workers(workers))
        for name, r in results.items():
            _set_files(r, written[name])
            r.files = {k: out_dir / name / Path(p).relative_to(tmp / name)
                       for k, p in r.files.items()}
        (tmp / "index.html").write_text(_index_html(results), encoding="utf-8")
    result.files = {f"{name}/{k}": p for name, r in results.items() for k, p in r.files.items()}
    result.files["index.html"] = out_dir / "index.html"
    return result.files


# --------------------------------------------------------------- the two bilans at once
def demo_workers(workers: int | None = None) -> int:
    """Processes the demo uses: ``workers`` if given, else 2 when this process may use two
    cores or more, else 1 (#14 item 6). Two processes need POSIX pipes (elsewhere: one)."""
    if workers is not None:
        if int(workers) < 1:
            raise ValueError(f"workers must be >= 1, not {workers!r}")
        return int(workers)
    try:
        cores = len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        cores = os.cpu_count() or 1
    return 2 if cores >= 2 else 1


_SUB_RESULTS = ("stocks", "flows", "flow_series", "emissions", "zan", "scenario")


def _write_bilan(r: BilanResult, tmp: Path, name: str) -> dict[str, Any]:
    """Write one bilan into ``tmp/name`` (``tmp``: the demo's temporary folder); the paths
    of the written files (the result's and its parts' ``files``), to copy back."""
    from espass_geo.reference.factor_set import use_factors

    with _inside_output(tmp), use_factors(r.factors):
        write_bilan_outputs(r, tmp / name)
    parts: dict[str, Any] = {"": r.files}
    for attr in _SUB_RESULTS:
        part = getattr(r, attr, None)
        if part is not None and hasattr(part, "files"):
            parts[attr] = part.files
            for k, period in enumerate(getattr(part, "periods", None) or ()):
                if hasattr(period, "files"):
                    parts[f"{attr}.periods.{k}"] = period.files
    return parts


def _set_files(r: BilanResult, parts: dict[str, Any]) -> None:
    """Give a result the ``files`` its writer set in another process (no-op when written
    here: the same dictionaries)."""
    for key, files in parts.items():
        obj: Any = r
        for step in filter(None, key.split(".")):
            obj = obj[int(step)] if step.isdigit() else getattr(obj, step)
        obj.files = files


@contextmanager
def _inside_output(tmp: Path) -> Iterator[None]:
    """Writers in a worker process write straight into the demo's temporary folder ``tmp``, as
    they do in the process that made it (nested folders: no lock, no manifest of their own;
    the demo's :func:`~espass_geo.io.outputs.atomic_output_dir` commits the whole folder)."""
    from espass_geo.io import outputs

    with outputs._ACTIVE_GUARD:
        added = tmp not in outputs._ACTIVE
        outputs._ACTIVE.add(tmp)
    try:
        yield
    finally:
        if added:
            with outputs._ACTIVE_GUARD:
                outputs._ACTIVE.discard(tmp)


class _WorkerTraceback(Exception):
    """The traceback of an error raised in the worker process (its ``__cause__``)."""

    def __str__(self) -> str:
        return "\n" + str(self.args[0]) if self.args else ""


@dataclass
class _Outcome:
    value: Any = None
    error: BaseException | None = None
    trace: str = ""
    #: (message, category, filename, lineno) of the warnings raised, in order
    warnings: list[tuple[str, type, str, int]] = field(default_factory=list)


def _outcome(fn: Callable, args: tuple, kwargs: dict) -> _Outcome:
    """``fn(*args, **kwargs)`` with its warnings recorded and its error kept (not raised)."""
    out = _Outcome()
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            out.value = fn(*args, **kwargs)
        except Exception as exc:
            out.error, out.trace = exc, traceback.format_exc()
    out.warnings = [(str(w.message), w.category, w.filename, w.lineno) for w in caught]
    return out


def _worker_task(fn: Callable, args: tuple, kwargs: dict, log: tuple[int, str | None]
                 ) -> _Outcome:
    """A task in the worker process (a fresh Python: logging set up as in the parent)."""
    level, fmt = log
    root = logging.getLogger()
    if not root.handlers and level != logging.WARNING:
        logging.basicConfig(level=level, format=fmt or logging.BASIC_FORMAT)
    return _outcome(fn, args, kwargs)


def _log_setup() -> tuple[int, str | None]:
    root = logging.getLogger()
    fmt = next((getattr(h.formatter, "_fmt", None) for h in root.handlers if h.formatter), None)
    return root.getEffectiveLevel(), fmt


def _serve(tasks_in, results_out) -> None:
    """The worker process's loop: a task (pickled by :mod:`multiprocessing.connection`) in, its
    :class:`_Outcome` out, until the parent closes the pipe."""
    while True:
        try:
            task = tasks_in.recv()
        except EOFError:
            return
        out = _worker_task(*task)
        try:
            results_out.send(out)
        except Exception as exc:  # a value or an error that cannot cross: said plainly
            err = out.error if out.error is not None else exc
            results_out.send(_Outcome(error=RuntimeError(f"{type(err).__name__}: {err}"),
                                      trace=out.trace, warnings=out.warnings))


#: Started with ``python -c``: a fresh interpreter (no fork: PROJ's and GDAL's SQLite handles
#: must not be shared with a child) that does not run the caller's ``__main__`` again (as
#: multiprocessing's "spawn" would: a script calling the demo without a main guard).
_BOOT = ("import sys\n"
         "from multiprocessing.connection import Connection\n"
         "tasks_in, results_out = Connection(int(sys.argv[1])), Connection(int(sys.argv[2]))\n"
         "sys.path[:] = tasks_in.recv()\n"
         "try:\n"
         "    from espass_geo.runs.demo import _serve\n"
         "    _serve(tasks_in, results_out)\n"
         "except KeyboardInterrupt:\n"
         "    sys.exit(130)\n"
         # every task is over and its files closed: end at once, without tearing down the
         # interpreter (~0.5 s the parent would wait for)
         "import logging, os\n"
         "logging.shutdown()\n"
         "sys.stdout.flush()\n"
         "sys.stderr.flush()\n"
         "os._exit(0)\n")


class _Worker:
    """A second Python process running tasks sent through a pipe (see :func:`_serve`)."""

    def __init__(self) -> None:
        import subprocess
        import sys
        from multiprocessing.connection import Connection

        task_r, task_w = os.pipe()
        result_r, result_w = os.pipe()
        try:
            self.proc = subprocess.Popen([sys.executable, "-c", _BOOT, str(task_r), str(result_w)],
                                         pass_fds=(task_r, result_w), stdin=subprocess.DEVNULL)
        except BaseException:
            for fd in (task_r, task_w, result_r, result_w):
                os.close(fd)
            raise
        os.close(task_r)
        os.close(result_w)
        self.tasks = Connection(task_w, readable=False)
        self.results = Connection(result_r, writable=False)
        self.tasks.send(list(sys.path))

    def submit(self, fn: Callable, args: tuple, kwargs: dict) -> None:
        """Send a task (pickled here, so that an error is raised here; sent by a thread, so
        that this process goes on while a worker still starting reads it)."""
        import pickle

        data = pickle.dumps((fn, args, kwargs, _log_setup()), protocol=pickle.HIGHEST_PROTOCOL)
        self.sending = threading.Thread(target=self._send, args=(data,), daemon=True)
        self.sending.start()

    def _send(self, data: bytes) -> None:
        try:
            self.tasks.send_bytes(data)
        except OSError:  # the worker is gone: result() says so
            pass

    def result(self) -> _Outcome:
        self.sending.join()
        try:
            return self.results.recv()
        except (EOFError, OSError) as exc:
            raise RuntimeError(f"le processus de calcul parallèle de la démonstration s'est "
                               f"arrêté (code {self.proc.poll()}) : relancez avec un seul "
                               "processus (workers=1).") from exc

    def close(self, *, kill: bool = False) -> None:
        """End the process: at once (``kill``), or when it has read the end of its tasks."""
        if kill:
            self.proc.kill()
        for conn in (self.tasks, self.results):
            conn.close()
        self.proc.wait()


#: The worker process, kept from :func:`compute_demo` to :func:`write_demo_outputs` (starting
#: Python and importing espass_geo again takes ~2 s); closed by the writer, or when unused for
#: :data:`_IDLE_S` seconds.
_POOL: dict[str, Any] = {"worker": None, "timer": None}
_POOL_LOCK = threading.Lock()
_IDLE_S = 120.0


def _take_worker() -> _Worker:
    """The kept worker process (taken: no other call uses it meanwhile), or a new one."""
    with _POOL_LOCK:
        if _POOL["timer"] is not None:
            _POOL["timer"].cancel()
            _POOL["timer"] = None
        worker, _POOL["worker"] = _POOL["worker"], None
    if worker is not None and worker.proc.poll() is None:
        return worker
    if worker is not None:
        worker.close()
    return _Worker()


def _give_worker(worker: _Worker, *, keep: bool) -> None:
    """Done with ``worker``: kept for a next call (closed after :data:`_IDLE_S` s unused), or
    closed now."""
    if keep and worker.proc.poll() is None:
        with _POOL_LOCK:
            if _POOL["worker"] is None:
                _POOL["worker"] = worker
                timer = threading.Timer(_IDLE_S, _close_idle_worker)
                timer.daemon = True
                _POOL["timer"] = timer
                timer.start()
                return
    worker.close()


def _close_idle_worker() -> None:
    with _POOL_LOCK:
        if _POOL["timer"] is not None:
            _POOL["timer"].cancel()
        worker, _POOL["worker"], _POOL["timer"] = _POOL["worker"], None, None
    if worker is not None:
        worker.close()


atexit.register(_close_idle_worker)


def _run_tasks(tasks: dict[str, tuple[Callable, tuple, dict]], workers: int, *,
               keep: bool = False) -> dict[str, Any]:
    """``{name: fn(*args, **kwargs)}``, in order; with 2 workers, the first task runs in a
    second Python process (:class:`_Worker`) while this process runs the others. ``keep``: that
    process stays for a next call (closed after :data:`_IDLE_S` s unused).

    Warnings are issued again here in the order of the tasks, and the first error in that
    order is raised, after every task has finished (none is left writing). Interrupted here
    (Ctrl-C), the worker process is stopped before the interruption goes on.
    """
    names = list(tasks)
    if workers < 2 or len(names) < 2 or os.name != "posix":  # pipes handed to the worker
        return {name: fn(*args, **kwargs) for name, (fn, args, kwargs) in tasks.items()}
    outcomes: dict[str, _Outcome] = {}
    worker = _take_worker()
    try:
        worker.submit(*tasks[names[0]])
        for name in names[1:]:
            outcomes[name] = _outcome(*tasks[name])
        outcomes[names[0]] = worker.result()
    except BaseException:
        worker.close(kill=True)
        raise
    _give_worker(worker, keep=keep)
    for name in names:
        for message, category, filename, lineno in outcomes[name].warnings:
            warnings.warn_explicit(message, category, filename, lineno)
    for name in names:
        o = outcomes[name]
        if o.error is not None and name == names[0]:
            raise o.error from _WorkerTraceback(o.trace)
        if o.error is not None:
            raise o.error
    return {name: outcomes[name].value for name in names}


def _index_html(results: dict[str, BilanResult]) -> str:
    from espass_geo.present.fmt import fmt_mass_t

    items = []
    for name, r in results.items():
        sy = synthesis(r.table)
        items.append((f"{name}/index.html", r.config.title,
                      f"stock {fmt_mass_t(sy['stock_tC'])}, flux net "
                      f"{fmt_mass_t(sy['flux_tCO2e_an'], 'tCO₂e')}/an (positif = séquestration), "
                      f"empreinte {fmt_mass_t(sy['footprint_without_land_tCO2e_an'], 'tCO₂e')}/an",
                      [("rapport", f"{name}/rapport.html"), ("Excel", f"{name}/bilan.xlsx")]
                      + ([("scénario", f"{name}/scenarios/carte_scenarios.html")]
                         if r.scenario is not None else [])))
    lis = "\n".join(
        f'<li><a href="{html.escape(h)}">{html.escape(t)}</a> — '
        + " · ".join(f'<a href="{html.escape(u)}">{html.escape(lab)}</a>' for lab, u in links)
        + f"<br><small>{html.escape(d)}</small></li>" for h, t, d, links in items)
    return f"""<!doctype html>
<html lang="fr"><head><meta charset="utf-8"><title>espass_geo — démonstration</title>
<style>body{{font-family:system-ui,sans-serif;max-width:52em;margin:2em auto;line-height:1.5}}
li{{margin:1em 0}}</style></head>
<body><h1>espass_geo — démonstration</h1>
<p>Bilan ESPASS (stocks et flux de carbone des sols et de la biomasse selon la méthode ADEME
ALDO, émissions par secteur et par poste, polluants, scénarios) calculé sur les données
embarquées. Les rasters d'occupation du sol de Flandre-Dunkerque sont des substituts synthétiques
calibrés et l'inventaire d'émissions est une estimation de démonstration.</p>
<ul>
{lis}
</ul></body></html>
"""
