"""The local engine: each config trained (or read back, or resumed) in its run directory, one at
a time, in this process. :func:`run_one` is also the body of every Ray trial
(:mod:`rinlib.runs.ray_engine`), so a run's files are the same whichever engine trained it.
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import Callable, Sequence
from dataclasses import replace
from pathlib import Path

from rinlib.config import RunConfig
from rinlib.data.datasets import TWIN_DATASETS
from rinlib.runs.paths import results_root as default_results_root
from rinlib.runs.paths import RunBusy, lock_holder, run_dir, run_lock
from rinlib.runs.plan import SweepError
from rinlib.runs.state import NO_TRAIN, render_only, run_status
from rinlib.training import Prepared, RunResult, load_result, prepare, train, twin_key


def _prep_key(cfg: RunConfig) -> tuple:
    """What :func:`rinlib.training.prepare` depends on (word-vector init uses the seed)."""
    c = cfg.resolved()
    return (c.dataset, c.task, c.max_train, c.max_dev, c.glove_path, c.vectors, c.word_dim, c.seed, c.data_root)


def twins_of(cfg: RunConfig, configs: Sequence[RunConfig]) -> list[RunConfig]:
    """The configs in ``configs`` that one training of ``cfg`` can serve too: same data set,
    a data set whose tasks share their training data (WebNLG), same config but the task."""
    c = cfg.resolved()
    if c.dataset not in TWIN_DATASETS:
        return []
    key = twin_key(c)
    return [o for o in configs if o.resolved().task != c.task and o.profile == cfg.profile
            and twin_key(o) == key]  # the key holds the data set


def run_one(cfg: RunConfig, *, force: bool = False, results_root: Path | None = None, progress: bool = True,
            index: tuple[int, int] = (1, 1), prepared: Prepared | None = None,
            on_epoch: Callable[[dict], None] | None = None, twins: Sequence[RunConfig] = ()) -> RunResult | None:
    """Train (or reuse, or resume) one config in its run directory; print one line per run.

    ``twins`` (:func:`twins_of`) that are not started, finished or held by another process are
    trained in the same loop (:func:`rinlib.training.train`), each in its own run directory,
    each with its own dev selection: the result is what separate runs give, at the cost of one.
    ``on_epoch`` gets each history row (e.g. :class:`rinlib.reporting.curves.LiveCurves`).
    Returns None for a ``busy`` run (another process is training it now)."""
    root = Path(results_root) if results_root else default_results_root()
    out = run_dir(cfg, root / "runs")
    status = run_status(cfg, out, force)
    i, n = index
    shown = out.relative_to(root.parent) if out.is_relative_to(root.parent) else out
    t0 = time.time()
    if progress:
        print(f"[run {i}/{n}] {shown} ({status})", flush=True)
    if status == "cached":
        return load_result(out)
    if status == "busy":
        if progress:
            print(f"[run {i}/{n}] skipped: process {lock_holder(out)} is training it; rerun later", flush=True)
        return None
    if render_only():
        if progress:
            print(f"[run {i}/{n}] not trained: {NO_TRAIN}=1 (render-only); its cells stay 'not run'", flush=True)
        return None

    def log_epoch(row: dict) -> None:
        if progress:
            print(f"    epoch {row['epoch']}/{cfg.resolved().epochs}: loss {row['loss']:.3f}, dev F1 "
                  f"{row['dev_F1']:.3f} ({row['epoch_time_s']:.0f}s)", flush=True)
        if on_epoch is not None:
            on_epoch(row)

    try:
        with contextlib.ExitStack() as locks:
            locks.enter_context(run_lock(out))
            twin_runs = []  # (config, run dir, prepared) of the twins trained in this loop
            for twin in twins:
                t_out = run_dir(twin, root / "runs")
                if run_status(twin, t_out, force) != "training":
                    continue  # finished, or held by another process, or has its own checkpoint
                try:
                    locks.enter_context(run_lock(t_out))
                except RunBusy:
                    continue
                twin_runs.append((replace(twin, progress=False), t_out, None))
                if progress:
                    print(f"[run {i}/{n}]   + {twin.resolved().task} twin trained in the same loop: {t_out}",
                          flush=True)
            res = train(replace(cfg, progress=False), out, resume=status == "resumed", prepared=prepared,
                        on_epoch=log_epoch, twins=twin_runs)
    except RunBusy as e:  # another process took it between the status check and the lock
        if progress:
            print(f"[run {i}/{n}] skipped: {e}; rerun later", flush=True)
        return None
    if progress:
        t = res.metrics["test"]
        print(f"[run {i}/{n}] done in {time.time() - t0:.0f}s: test F1 strict {t['strict']['f1']:.3f}, "
              f"paper protocol {t['paper']['f1']:.3f}", flush=True)
    return res


def run_local(configs: list[RunConfig], *, jobs: int = 1, force: bool = False, results_root: Path | None = None,
              progress: bool = True, train: bool = True) -> list[RunResult]:
    """The sequential engine of :func:`rinlib.runs.run`: every config in this process, one at a
    time, in order (``jobs`` must be 1); the data of runs on one data set is prepared once.
    ``train=False`` only reads finished runs back."""
    if not train:
        root = Path(results_root) if results_root else default_results_root()
        found = [(load_result(run_dir(c, root / "runs")), c) for c in configs]
        return [r for r, c in found if r is not None and r.metrics.get("key") == c.key()]
    if jobs != 1:
        raise SweepError(f"jobs={jobs} needs engine='ray' (the local engine runs one config at a time; "
                         "run_all.sh --jobs N implies it)")
    t0 = time.time()
    prepared: dict[tuple, Prepared] = {}
    results = []
    for i, cfg in enumerate(configs, 1):
        root = Path(results_root) if results_root else default_results_root()
        needs_data = run_status(cfg, run_dir(cfg, root / "runs"), force) not in ("cached", "busy") and not render_only()
        prep = None
        if needs_data:
            k = _prep_key(cfg)
            if k not in prepared:
                prepared[k] = prepare(replace(cfg, progress=False))
            prep = prepared[k]
        res = run_one(cfg, force=force, results_root=results_root, progress=progress,
                      index=(i, len(configs)), prepared=prep,
                      twins=twins_of(cfg, configs) if needs_data else ())
        if res is not None:
            results.append(res)
    if progress:
        print(f"[sweep] {len(configs)} runs in {time.time() - t0:.0f}s", flush=True)
    return results
