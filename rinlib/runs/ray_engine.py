"""Ray engine of :func:`rinlib.runs.run`: the same runs, in the same run directories, fanned out
over Ray workers (an embedded local instance, or an existing cluster).

Why Ray and not a scheduler of our own: it gives CPU/GPU accounting (fractional GPUs, so
several small WebNLG runs share one device), retries a trial whose worker died, and scales
from one box to a cluster without code changes.

Each trial calls :func:`rinlib.runs.local.run_one`, the function the local engine calls, so a
run's files, its cache rule (``metrics.json`` key == :meth:`RunConfig.key`) and its resume
from ``checkpoint.pt`` are the same whichever engine trained it. Runs already finished (or
being trained by another live process) are settled in the driver, so a fully cached sweep
never starts Ray. Ray is an optional extra (``pip install -e '.[sweep]'``), imported only when
this engine has a run to train.
"""

from __future__ import annotations

import contextlib
import os
import time
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path
from types import ModuleType
from typing import Any

from rinlib.config import RunConfig
from rinlib.runs.local import run_one, twins_of
from rinlib.runs.paths import results_root as default_results_root
from rinlib.runs.paths import run_dir
from rinlib.runs.plan import SweepError
from rinlib.runs.state import render_only, run_status
from rinlib.training import RunResult, load_result

INSTALL_HINT = "pip install -e '.[sweep]'"


def import_ray() -> ModuleType:
    """The ``ray`` module, or a :class:`SweepError` that names the extra to install."""
    try:
        import ray
    except ImportError as e:
        raise SweepError(f"engine='ray' needs Ray, the kit's optional 'sweep' extra: {INSTALL_HINT} "
                         f"(or use engine='local'); import failed: {e}") from e
    return ray


def trial_config(cfg: RunConfig, num_cpus_per_trial: int, num_gpus_per_trial: float) -> RunConfig:
    """The config a trial trains: torch threads = its CPUs, device = what Ray reserved for it.

    Only fields outside the cache key change (``num_threads``, ``device``), so the run path and
    the key are the sequential engine's. A trial with a GPU share uses ``cuda`` (Ray sets
    ``CUDA_VISIBLE_DEVICES`` to the GPU it assigned); a trial without one must not touch a GPU
    that Ray does not account for, so ``auto`` becomes ``cpu`` and ``cuda`` is an error.
    """
    if num_cpus_per_trial < 1:
        raise SweepError(f"num_cpus_per_trial must be >= 1, got {num_cpus_per_trial}")
    if num_gpus_per_trial < 0:
        raise SweepError(f"num_gpus_per_trial must be >= 0, got {num_gpus_per_trial}")
    if num_gpus_per_trial > 0:
        device = "cuda"
    elif cfg.device.startswith("cuda"):
        raise SweepError(f"config {cfg.dataset}/{cfg.task}/{cfg.variant}/K{cfg.K}/seed{cfg.seed} asks for "
                         f"device={cfg.device!r} but num_gpus_per_trial=0: give each trial a GPU share "
                         "(e.g. num_gpus_per_trial=0.25) or use device='cpu'")
    else:
        device = "cpu" if cfg.device == "auto" else cfg.device
    return replace(cfg, num_threads=num_cpus_per_trial, device=device)


def _trial(cfg: RunConfig, force: bool, results_root: Path, progress: bool,
           index: tuple[int, int], twins: list[RunConfig]) -> RunResult | None:
    """Body of one Ray task: exactly the sequential engine's single run (with its twins)."""
    return run_one(cfg, force=force, results_root=results_root, progress=progress, index=index, twins=twins)


@contextlib.contextmanager
def ray_session(ray: ModuleType, address: str | None, num_cpus: int, progress: bool,
                runtime_env: dict[str, Any]) -> Iterator[None]:
    """Connect to Ray for the length of a sweep.

    An instance the caller already started (a notebook, the tests) is used as it is and left
    running; otherwise ``address`` (``"auto"``, ``"ray://host:10001"``) joins a cluster, and no
    address starts an embedded instance sized to the sweep, shut down afterwards.
    """
    if ray.is_initialized():
        yield
        return
    common = {"include_dashboard": False, "log_to_driver": progress, "runtime_env": runtime_env}
    if address:
        ray.init(address=address, **common)
    else:
        ray.init(num_cpus=num_cpus, **common)
    try:
        yield
    finally:
        ray.shutdown()


def _rin_env() -> dict[str, str]:
    """``RIN_*`` variables (results root, GloVe path, NYT train file…) for the workers, which
    on a cluster do not inherit this process's environment."""
    return {k: v for k, v in os.environ.items() if k.startswith("RIN_")}


def trial_resources(configs: list[RunConfig], cpus: int | None, gpus: float | None) -> tuple[int, float]:
    """Per-trial CPUs and GPU share: the arguments, else ``$RIN_CPUS_PER_TRIAL`` /
    ``$RIN_GPUS_PER_TRIAL`` (so ``run_all.sh`` and the notebooks need no new options), else 1 CPU
    and, for configs on ``cuda``, one whole GPU (never oversubscribed unless asked)."""
    try:
        if cpus is None:
            cpus = int(os.environ.get("RIN_CPUS_PER_TRIAL", 1))
        if gpus is None:
            env = os.environ.get("RIN_GPUS_PER_TRIAL")
            gpus = float(env) if env else float(any(c.device.startswith("cuda") for c in configs))
    except ValueError as e:
        raise SweepError(f"RIN_CPUS_PER_TRIAL must be an integer and RIN_GPUS_PER_TRIAL a number: {e}") from e
    return cpus, gpus


def run_ray(configs: list[RunConfig], *, jobs: int = 1, address: str | None = None,
            num_cpus_per_trial: int | None = None, num_gpus_per_trial: float | None = None, force: bool = False,
            results_root: Path | None = None, progress: bool = True,
            runtime_env: dict[str, Any] | None = None) -> list[RunResult]:
    """Run every config as a Ray trial, at most ``jobs`` at a time; same contract as
    :func:`rinlib.runs.run` (results in config order, a ``busy`` run left out).

    ``address`` (else ``$RAY_ADDRESS``) ``"auto"`` or ``"ray://host:10001"`` uses a running
    cluster, whose nodes need the kit installed (same commit) and ``results_root`` on shared
    storage; none starts an embedded instance with ``jobs * num_cpus_per_trial`` CPUs and the
    machine's GPUs. ``num_gpus_per_trial`` may be fractional (0.25: four runs share a GPU);
    defaults: see :func:`trial_resources`. A failed trial does not stop the others; the failures are
    raised together at the end (the finished runs are saved and a rerun skips them).
    """
    if jobs < 1:
        raise SweepError(f"jobs must be >= 1, got {jobs}")
    num_cpus_per_trial, num_gpus_per_trial = trial_resources(configs, num_cpus_per_trial, num_gpus_per_trial)
    address = address or os.environ.get("RAY_ADDRESS") or None
    trials = [trial_config(c, num_cpus_per_trial, num_gpus_per_trial) for c in configs]
    root = Path(results_root or default_results_root()).resolve()
    n = len(trials)
    results: list[RunResult | None] = [None] * n
    todo = []
    for i, cfg in enumerate(trials):
        if run_status(cfg, run_dir(cfg, root / "runs"), force) in ("cached", "busy") or render_only():
            results[i] = run_one(cfg, force=force, results_root=root, progress=progress, index=(i + 1, n))
        else:
            todo.append(i)
    if todo:
        ray = import_ray()
        env = {**(runtime_env or {})}
        env["env_vars"] = {**_rin_env(), **env.get("env_vars", {})}
        with ray_session(ray, address, jobs * num_cpus_per_trial, progress, env):
            failures = _dispatch(ray, trials, todo, results, jobs=jobs, num_cpus=num_cpus_per_trial,
                                 num_gpus=num_gpus_per_trial, force=force, root=root, progress=progress)
        if failures:
            lines = "\n".join(f"  {run_dir(trials[i], root / 'runs')}: {err}" for i, err in failures)
            raise SweepError(f"{len(failures)} of {len(todo)} Ray trials failed (the others are saved; "
                             f"rerunning the sweep retries only these):\n{lines}")
    return [r for r in results if r is not None]


def _dispatch(ray: ModuleType, trials: list[RunConfig], todo: list[int], results: list[RunResult | None], *,
              jobs: int, num_cpus: int, num_gpus: float, force: bool, root: Path,
              progress: bool) -> list[tuple[int, str]]:
    """Keep ``jobs`` trials in flight, fill ``results`` as they finish, print one line each;
    return ``(index, error)`` of the failed ones."""
    gpus = ray.cluster_resources().get("GPU", 0)
    if num_gpus > gpus:
        raise SweepError(f"num_gpus_per_trial={num_gpus} but the Ray instance has {gpus} GPUs: "
                         "the trials would wait forever (use num_gpus_per_trial=0 on a CPU machine)")
    # max_retries: a trial whose worker process died is rerun, and resumes from its checkpoint.
    task = ray.remote(num_cpus=num_cpus, num_gpus=num_gpus, max_retries=3)(_trial)
    n = len(trials)
    pending = list(reversed(todo))
    running: dict[Any, int] = {}
    twins_in: dict[int, list[int]] = {}  # trial → twins it trains in its loop (not dispatched on their own)
    failures: list[tuple[int, str]] = []
    t0 = time.time()
    done = 0
    while pending or running:
        while pending and len(running) < jobs:
            i = pending.pop()
            twins_in[i] = [j for j in pending if twins_of(trials[i], [trials[j]])]
            pending = [j for j in pending if j not in twins_in[i]]
            running[task.remote(trials[i], force, root, progress, (i + 1, n), [trials[j] for j in twins_in[i]])] = i
        (ref,), _ = ray.wait(list(running), num_returns=1)
        i = running.pop(ref)
        done += 1
        try:
            results[i] = ray.get(ref)
            outcome = "finished"
        except Exception as e:  # noqa: BLE001 -- report every failed trial, keep the others going
            failures.append((i, str(e).strip().splitlines()[-1]))  # the remote error, not Ray's traceback
            outcome = "FAILED"
        for j in twins_in.pop(i):  # a twin the trial did not finish (e.g. not in its checkpoint) goes on its own
            results[j] = load_result(run_dir(trials[j], root / "runs"))
            if results[j] is None:
                pending.append(j)
            else:
                done += 1
        if progress:
            print(f"[ray {done}/{len(todo)}] {outcome}: {run_dir(trials[i], root / 'runs').relative_to(root)} "
                  f"({time.time() - t0:.0f}s since the first trial)", flush=True)
    return failures

