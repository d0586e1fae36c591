"""Fan runs out over seeds × K × variants, skip the ones already done, collect the results.

Cache rule (why it is safe): a run directory's path is readable (profile/dataset/task/variant/K/
seed) but it is *valid* only if its ``metrics.json`` carries the key of the requested config
(:meth:`RunConfig.key`, a hash of every result-defining field). So a finished run with the
same key is reused; a run directory holding another key (e.g. the profile's epochs changed)
is retrained from scratch; an interrupted run of the same key resumes from its last epoch
checkpoint; ``force`` retrains everything.

Engines: ``"local"`` runs sequentially in this process. ``"ray"`` is dispatched to
``rinlib.sweep_ray.run`` (an optional module with the same signature as :func:`run`), which
can call :func:`run_one` per config on its workers.
"""

from __future__ import annotations

import contextlib
import itertools
import json
import os
import time
from collections.abc import Callable, Sequence
from dataclasses import replace
from pathlib import Path
from typing import Any

import pandas as pd
import yaml

from rinlib.config import DEFAULT_VECTORS, RunConfig
from rinlib.profiles import base_config
from rinlib.runs import results_root as default_results_root
from rinlib.runs import RunBusy, lock_holder, run_dir, run_lock
from rinlib.data.datasets import SHARED_TASK_DATA
from rinlib.training import Prepared, RunResult, load_result, prepare, train, twin_key

ENGINES = ("local", "ray")


class SweepError(RuntimeError):
    """A sweep cannot be planned or run as asked."""


def plan(grid: dict | str | Path, profile: str) -> list[RunConfig]:
    """Expand a grid into configs: each key a RunConfig field, each value a list (or a scalar).

    ``grid`` is a dict or a YAML file holding one. The profile's budget (epochs, patience,
    subsets) is the base; grid values override it. Order: the grid's keys vary slowest first.
    """
    if isinstance(grid, (str, Path)):
        path = Path(grid)
        try:
            grid = yaml.safe_load(path.read_text())
        except (OSError, yaml.YAMLError) as e:
            raise SweepError(f"cannot read grid file {path}: {e}") from e
        if not isinstance(grid, dict):
            raise SweepError(f"grid file {path} must hold a mapping of RunConfig fields to lists")
    names = set(RunConfig.__dataclass_fields__)
    unknown = sorted(set(grid) - names)
    if unknown:
        raise SweepError(f"grid has unknown RunConfig fields {unknown}")
    axes = {k: v if isinstance(v, list) else [v] for k, v in grid.items()}
    configs = [base_config(profile, **dict(zip(axes, combo))) for combo in itertools.product(*axes.values())]
    for c in configs:
        c.resolved()  # fail now, not in the middle of a sweep
    return configs


def run_status(cfg: RunConfig, out: Path, force: bool = False) -> str:
    """``cached`` (finished, same key), ``busy`` (another live process holds its lock),
    ``resumed`` (interrupted, same key) or ``training``."""
    holder = lock_holder(out)
    if holder is not None and holder != os.getpid():
        return "busy"
    if force:
        return "training"
    key = cfg.key()
    metrics = out / "metrics.json"
    if metrics.exists():
        try:
            if json.loads(metrics.read_text()).get("key") == key:
                return "cached"
        except json.JSONDecodeError:
            pass
    if (out / "checkpoint.pt").exists() and (out / "config.yaml").exists():
        try:
            if RunConfig.load(out / "config.yaml").key() == key:
                return "resumed"
        except (OSError, ValueError, TypeError, yaml.YAMLError):
            pass
    return "training"


def _prep_key(cfg: RunConfig) -> tuple:
    """What :func:`rinlib.training.prepare` depends on (word-vector init uses the seed)."""
    c = cfg.resolved()
    return (c.dataset, c.task, c.max_train, c.max_dev, c.glove_path, c.vectors, c.word_dim, c.seed, c.data_root)


NO_TRAIN = "RIN_NO_TRAIN"


def render_only() -> bool:
    """``$RIN_NO_TRAIN=1`` (``./run_all.sh --render-only``): read finished runs back, train nothing.
    Why: the full grid takes days on a CPU; its tables and figures should render from the runs
    that exist (missing cells say 'not run') without starting the missing ones."""
    return os.environ.get(NO_TRAIN, "") not in ("", "0")


def twins_of(cfg: RunConfig, configs: Sequence[RunConfig]) -> list[RunConfig]:
    """The configs in ``configs`` that one training of ``cfg`` can serve too: same data set,
    a data set whose tasks share their training data (WebNLG), same config but the task."""
    c = cfg.resolved()
    if c.dataset not in SHARED_TASK_DATA:
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
    ``on_epoch`` gets each history row (e.g. :class:`rinlib.plotting.LiveCurves`).
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


def run(configs: list[RunConfig], *, engine: str = "local", jobs: int = 1, force: bool = False,
        results_root: Path | None = None, progress: bool = True, train: bool = True) -> list[RunResult]:
    """Run every config (cached ones are read back), in order; returns the results of the
    finished ones (a ``busy`` run, trained by another process right now, is left out).
    ``train=False`` only reads finished runs back (a notebook opened by hand shows the
    committed results; nothing starts a days-long run by accident).

    ``engine="local"`` is sequential and in-process (``jobs`` must be 1); ``engine="ray"``
    hands the whole list to ``rinlib.sweep_ray.run`` with the same arguments.
    """
    if engine not in ENGINES:
        raise SweepError(f"engine must be one of {ENGINES}, got {engine!r}")
    if engine == "ray":
        try:
            from rinlib import sweep_ray  # optional module (pip install -e .[sweep])
        except ImportError as e:
            raise SweepError("engine='ray' needs rinlib/sweep_ray.py and ray (pip install -e '.[sweep]'): "
                             f"{e}") from e
        return sweep_ray.run(configs, jobs=jobs, force=force, results_root=results_root, progress=progress)
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


def _flat(prefix: str, d: dict[str, Any]) -> dict[str, Any]:
    return {f"{prefix}_{k}": v for k, v in d.items() if k in ("precision", "recall", "f1")}


def machine_spans(prov: dict) -> list[tuple[str, int]]:
    """``(machine, first epoch)`` per stretch of a run's epochs trained on one machine, from the
    provenance's ``trained_by`` sessions (consecutive sessions on one machine merged); sessions
    written before the kit recorded machines say "machine not recorded"."""
    spans: list[tuple[str, int]] = []
    for s in prov.get("trained_by", []):
        machine = s.get("device_name", "machine not recorded")
        if not spans or spans[-1][0] != machine:
            spans.append((machine, int(s["from_epoch"])))
    return spans


def span_labels(spans: list[tuple[str, int]]) -> list[str]:
    """``"epochs 1-101"``, ``"epochs 102+"``: the epochs of each span of :func:`machine_spans`."""
    return [f"epochs {e}-{spans[k + 1][1] - 1}" if k + 1 < len(spans) else f"epochs {e}+"
            for k, (_, e) in enumerate(spans)]


def trained_on(prov: dict) -> str:
    """The machines a run's epochs ran on: ``device_name`` for a run trained on one, else
    ``"A (epochs 1-101), B (epochs 102+)"``, so that the epoch times of a run resumed on another
    machine are read against the right one."""
    spans = machine_spans(prov)
    if len(spans) < 2:
        return prov.get("device_name") or ""
    return ", ".join(f"{m} ({label})" for (m, _), label in zip(spans, span_labels(spans)))


def collect(results_root: Path | None = None, profile: str | None = None,
            vectors: str | None = DEFAULT_VECTORS) -> pd.DataFrame:
    """One row per finished run (a ``metrics.json`` exists) under ``<results>/runs[/<profile>]``
    whose word vectors are ``vectors`` (default: the paper grid's; ``None``: every setting).

    Columns: config fields, ``{dev,test}_{strict,paper}_{precision,recall,f1}`` (fractions),
    ``selected_epoch``, ``epochs_run``, ``max_epochs``, provenance (``commit``, ``device_name``, ``trained_on``,
    ``wall_time_s``, ``mean_epoch_time_s``, ``glove_*``) and ``run_dir``.
    """
    root = Path(results_root) if results_root else default_results_root()
    base = root / "runs" / profile if profile else root / "runs"
    rows = []
    for mfile in sorted(base.rglob("metrics.json")):
        out = mfile.parent
        m = json.loads(mfile.read_text())
        cfg = RunConfig.load(out / "config.yaml").resolved()
        if vectors is not None and cfg.vectors != vectors:
            continue
        prov = json.loads((out / "provenance.json").read_text()) if (out / "provenance.json").exists() else {}
        cov = prov.get("glove_coverage") or {}
        row = {**{k: v for k, v in cfg.to_dict().items() if k not in ("extra", "out_dir", "notes")},
               "key": m.get("key")}
        for split in ("dev", "test"):
            for proto in ("strict", "paper"):
                row.update(_flat(f"{split}_{proto}", m[split][proto]))
        row.update(selected_epoch=m.get("selected_epoch"), epochs_run=m.get("epochs_run"),
                   max_epochs=m.get("max_epochs"), stopped_early=m.get("stopped_early"), shared_training_with=m.get("shared_training_with") or [],
                   commit=prov.get("commit"), device_name=prov.get("device_name"), trained_on=trained_on(prov),
                   wall_time_s=prov.get("wall_time_s"), mean_epoch_time_s=prov.get("mean_epoch_time_s"),
                   **{f"glove_{k}": v for k, v in cov.items() if isinstance(v, (int, float, str))},
                   run_dir=str(out))
        rows.append(row)
    return pd.DataFrame(rows)
