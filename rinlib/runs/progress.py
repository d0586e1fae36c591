"""Where the paper's grid stands: which runs are finished, resumable, being trained, not started.

Why: the full grid (135 runs) takes more than one session or machine. The reader of REPORT.md
and the next person to start a sweep should see what is done and what is left (and how far
each interrupted run got) without opening run directories by hand. The states are the
sweep's own cache rule (:func:`rinlib.runs.run_status`), so this listing and the sweep
cannot disagree about what a run directory holds.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from pathlib import Path

import pandas as pd

from rinlib.config import RunConfig
from rinlib.experiments import EXPERIMENTS, experiment_configs, experiment_datasets, paper_queue
from rinlib.runs.paths import results_root as default_results_root
from rinlib.runs.paths import run_dir
from rinlib.runs.state import run_status

STATES = ("finished", "resumable", "training now", "not started")
COLUMNS = ("run", "seed", "state", "epochs done", "max epochs")  # one row of runs_progress
_STATE = {"cached": "finished", "resumed": "resumable", "busy": "training now", "training": "not started"}


def epochs_recorded(out: Path) -> int:
    """Epochs an unfinished run directory has trained: its history rows (an epoch's history row and
    its resume checkpoint are written together), 0 without a history."""
    try:
        with (out / "history.csv").open() as f:
            return max(sum(1 for _ in f) - 1, 0)
    except OSError:
        return 0


def _epochs_done(out: Path, state: str) -> int:
    """Epochs a run directory holds: the finished run's count, else :func:`epochs_recorded`."""
    if state == "finished":
        return int(json.loads((out / "metrics.json").read_text())["epochs_run"])
    return 0 if state == "not started" else epochs_recorded(out)


def runs_progress(configs: Iterable[RunConfig], results_root: Path | None = None) -> pd.DataFrame:
    """One row per run config: its directory under ``<results>/runs/<profile>/``, seed, state
    (:data:`STATES`), epochs done and max epochs. Any list of configs: the paper's experiments
    (:func:`grid_progress`) or another grid, such as the word-vector one."""
    root = Path(results_root) if results_root else default_results_root()
    rows = []
    for cfg in configs:
        c = cfg.resolved()
        out = run_dir(cfg, root / "runs")
        state = _STATE[run_status(cfg, out)]
        rows.append({"run": str(out.relative_to(root / "runs" / c.profile)), "seed": c.seed, "state": state,
                     "epochs done": _epochs_done(out, state), "max epochs": int(c.epochs)})
    return pd.DataFrame(rows, columns=list(COLUMNS))


def grid_progress(experiments: Sequence[str] = EXPERIMENTS, profile: str = "full",
                  results_root: Path | None = None, datasets: Sequence[str] = ("webnlg",)) -> pd.DataFrame:
    """One row per (experiment, run): :func:`runs_progress` with the experiment's name.

    A run that serves several experiments (Table 1's RIN exact run is also Table 5's and a
    Figure 3 point) is listed under each, so every experiment's counts are complete."""
    frames = [runs_progress([cfg for ds in experiment_datasets(exp, datasets)
                             for cfg in experiment_configs(exp, profile, dataset=ds)], results_root)
              .assign(experiment=exp) for exp in experiments]
    columns = ["experiment", *COLUMNS]
    return pd.concat(frames, ignore_index=True)[columns] if frames else pd.DataFrame(columns=columns)


def summary(progress: pd.DataFrame) -> pd.DataFrame:
    """Runs per experiment and state, plus the seeds every cell of the experiment has finished
    (the number a table can report with all its cells filled) and how many cells have each seed
    count ("cells by seeds", e.g. ``4 at 5, 14 at 2``): a grid filled seed by seed has a
    minimum that stays put while most of its cells move on."""
    rows = []
    for exp, g in progress.groupby("experiment", sort=False):
        cell = g["run"].str.rsplit("/", n=1).str[0]
        per_cell = cell[g["state"] == "finished"].value_counts().reindex(cell.unique(), fill_value=0)
        seeds = per_cell.value_counts().sort_index(ascending=False)
        rows.append({"experiment": exp, "runs": len(g), **{s: int((g["state"] == s).sum()) for s in STATES},
                     "seeds in every cell": int(seeds.index.min()),
                     "cells by seeds": ", ".join(f"{n} at {k}" for k, n in seeds.items())})
    return pd.DataFrame(rows, columns=["experiment", "runs", *STATES, "seeds in every cell", "cells by seeds"])


def started(progress: pd.DataFrame) -> pd.DataFrame:
    """The runs that hold epochs but have not finished (resumable or training now), each once
    (without the experiment column: one run can serve several)."""
    return progress[progress["state"].isin(["resumable", "training now"])].drop_duplicates("run").drop(
        columns="experiment", errors="ignore")


RUN_FIELDS = ("dataset", "task", "variant", "K", "seed")
"""What tells one run of the paper's grid from another under a profile (the rest is the profile's)."""


def pending(experiments: Sequence[str] = EXPERIMENTS, profile: str = "full", results_root: Path | None = None,
            datasets: Sequence[str] = ("webnlg",), progress: pd.DataFrame | None = None) -> list[dict]:
    """The runs of ``experiments`` not finished here, in the sweep's seed-by-seed order, as a
    grid file's list of runs (:func:`rinlib.runs.plan`), resumable ones included. ``progress``
    (:func:`grid_progress` of the same experiments and folder) saves reading each run's state again.

    Why: a machine that gets a copy of the kit without its results (a lent GPU box with a limit on
    what travels) would retrain finished runs from ``--experiments``; this list, written where the
    results are, names only the missing ones and cannot go stale the way a hand-written one does."""
    root = Path(results_root) if results_root else default_results_root()
    known = {} if progress is None else dict(zip(progress["run"], progress["state"]))
    out = []
    for cfg in paper_queue(profile, list(experiments), datasets):
        c = cfg.resolved()
        out_dir = run_dir(cfg, root / "runs")
        state = known.get(str(out_dir.relative_to(root / "runs" / c.profile))) or _STATE[run_status(cfg, out_dir)]
        if state != "finished":
            out.append({f: getattr(c, f) for f in RUN_FIELDS})
    return out
