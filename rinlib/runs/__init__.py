"""Training runs: where they live, what state each is in, and the engines that train a list of them.

Every run lives in its own directory (:func:`run_dir`) and counts as finished only if its
``metrics.json`` carries the key of the requested config (the cache rule, :mod:`rinlib.runs.state`).
:func:`run` trains, reads back or resumes a list of configs on one of two engines, which write
the same files:

* ``"local"`` (:mod:`rinlib.runs.local`): one run at a time in this process;
* ``"ray"`` (:mod:`rinlib.runs.ray_engine`): ``jobs`` runs at a time as Ray trials (Ray is the
  optional ``sweep`` extra, imported only when this engine has a run to train).

Modules: ``paths`` (results root, run directories, locks), ``state`` (:func:`run_status`,
:func:`render_only`), ``plan`` (grids), ``local`` (:func:`run_one`, :func:`twins_of`, the local
engine), ``ray_engine``, ``collect`` (finished runs as a table), ``progress`` (the paper grid's
state, ``python -m rinlib status``), ``rescore`` (finished runs re-scored from their saved
predictions against the current gold, ``python -m rinlib rescore``) and ``operating`` (older
runs' operating points from their weights, ``python -m rinlib operating-points``); these two import
torch, so they are imported only by whoever uses them.

This package's own import is light (no torch, no Ray): reading runs back (``collect``,
``run_status``) needs neither. The engines import :mod:`rinlib.training` (torch), so they are
imported on first use: by :func:`run`, or by reading ``run_one`` / ``twins_of`` from this package.
"""

from __future__ import annotations

import importlib
from pathlib import Path
from typing import TYPE_CHECKING, Any

from rinlib.config import RunConfig
from rinlib.runs.collect import collect, machine_spans, span_labels, trained_on
from rinlib.runs.paths import LOCK, RESULTS, RunBusy, lock_holder, results_root, run_dir, run_lock
from rinlib.runs.plan import SweepError, plan, queue
from rinlib.runs.state import NO_TRAIN, render_only, run_status

if TYPE_CHECKING:
    from rinlib.runs.local import run_one, twins_of
    from rinlib.training import RunResult

ENGINES = ("local", "ray")

__all__ = ["ENGINES", "LOCK", "NO_TRAIN", "RESULTS", "RunBusy", "SweepError", "collect", "lock_holder",
           "machine_spans", "plan", "queue", "render_only", "results_root", "run", "run_dir", "run_lock", "run_one",
           "run_status", "span_labels", "trained_on", "twins_of"]


def run(configs: list[RunConfig], *, engine: str = "local", jobs: int = 1, force: bool = False,
        results_root: Path | None = None, progress: bool = True, train: bool = True,
        address: str | None = None, num_cpus_per_trial: int | None = None,
        num_gpus_per_trial: float | None = None, runtime_env: dict[str, Any] | None = None) -> list[RunResult]:
    """Run every config (cached ones are read back), in order; returns the results of the
    finished ones (a ``busy`` run, trained by another process right now, is left out).
    ``train=False`` only reads finished runs back (a notebook opened by hand shows the
    committed results; nothing starts a days-long run by accident).

    ``engine="local"`` is sequential and in-process (``jobs`` must be 1,
    :func:`rinlib.runs.local.run_local`); ``engine="ray"`` hands the whole list to
    :func:`rinlib.runs.ray_engine.run_ray`, with the Ray-only options ``address``,
    ``num_cpus_per_trial``, ``num_gpus_per_trial`` and ``runtime_env`` (see there).
    """
    if engine not in ENGINES:
        raise SweepError(f"engine must be one of {ENGINES}, got {engine!r}")
    ray_options = {"address": address, "num_cpus_per_trial": num_cpus_per_trial,
                   "num_gpus_per_trial": num_gpus_per_trial, "runtime_env": runtime_env}
    # The engines are imported here, on use: they import torch (rinlib.training), this package does not.
    if engine == "ray" and train:  # train=False only reads runs back: the local engine does that without Ray
        from rinlib.runs.ray_engine import run_ray

        return run_ray(configs, jobs=jobs, force=force, results_root=results_root, progress=progress, **ray_options)
    given = [k for k, v in ray_options.items() if v is not None]
    if given and engine == "local":
        raise SweepError(f"{', '.join(given)}: options of engine='ray', not of the local engine")
    from rinlib.runs.local import run_local

    return run_local(configs, jobs=jobs if engine == "local" else 1, force=force, results_root=results_root,
                     progress=progress, train=train)


_ON_USE = {"run_one": "rinlib.runs.local", "twins_of": "rinlib.runs.local"}


def __getattr__(name: str) -> Any:
    """``run_one`` and ``twins_of``, imported on first use (their module imports torch)."""
    if name in _ON_USE:
        value = getattr(importlib.import_module(_ON_USE[name]), name)
        globals()[name] = value
        return value
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
