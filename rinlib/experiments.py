"""The run profiles, and the cells of each experiment of the paper: the one inventory that
training (which runs to start), the tables and figures (which runs a row summarises), the report
and the explorer all read.

Why profiles: the paper's schedule (Table 3 epochs, 5 seeds, K = 0..8) costs days on a CPU.
``smoke`` proves the pipeline runs (tiny subsets, seconds per run: CI and nbval), ``quick``
gives real-data numbers in well under an hour on a 2-core CPU (fewer epochs, one seed, fewer
K; every output says REDUCED), ``full`` is the paper's schedule. A profile only sets how much
is trained; the model, its dimensions and its hyper-parameters stay the paper's.

``RunConfig.profile`` is part of the run path, not of the cache key, so a quick run and a
full run never overwrite each other.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, NamedTuple

import pandas as pd

from rinlib.config import TASKS, RunConfig

PROFILES = ("smoke", "quick", "full")
EXPERIMENTS = ("table1", "table5", "figure3", "nyt_proxy", "webnlg_etl")
TABLE1_VARIANTS = ("rin", "no_interaction")
TABLE5_VARIANTS = ("rin", "no_er", "no_rc", "no_interaction", "no_pos")


class Cell(NamedTuple):
    """One row of a table or one point of a figure; its runs are the seeds of each profile."""

    dataset: str
    task: str
    variant: str
    K: int


@dataclass(frozen=True)
class Profile:
    """How much one profile trains. ``epochs=None`` means Table 3's maximum epochs."""

    name: str
    label: str
    seeds: tuple[int, ...]
    epochs: int | None
    patience: int | None
    k_values: tuple[int, ...] | None  # None: K = 0 and Table 3's K only (both shared with Table 1)
    max_train: int | None = None
    max_dev: int | None = None
    nyt_epochs: int | None = None  # nyt-proxy (longer sentences, larger K): its own budget
    overrides: tuple[tuple[str, Any], ...] = ()  # other RunConfig fields this profile changes
    skip: tuple[str, ...] = ()  # experiments this profile does not train

    def epochs_for(self, dataset: str) -> int | None:
        return self.nyt_epochs if dataset.startswith("nyt") and self.nyt_epochs is not None else self.epochs


SETTINGS: dict[str, Profile] = {
    # lr 1e-2 / batch 10: with the paper's lr, 2 steps leave every pair score at σ(0) = 0.5, so an
    # untrained model "predicts" all n×n×|R| triples and scoring the test set takes minutes.
    # nyt-proxy is skipped: scoring its 5,000 test sentences alone costs ~15 s per run.
    "smoke": Profile("smoke", "SMOKE TEST (tiny subsets, 2 epochs): numbers mean nothing",
                     seeds=(1,), epochs=2, patience=None, k_values=None, max_train=40, max_dev=20,
                     overrides=(("lr", 1e-2), ("batch_size", 10)), skip=("nyt_proxy",)),
    # Budget (2-core CPU, idle, 2 threads; WebNLG epoch ≈ 15 s at K = 0 … 29 s at K = 3, dev eval
    # included): 11 WebNLG runs × 6 epochs ≈ 26 min + 4 nyt-proxy runs × 3 epochs ≈ 13 min.
    "quick": Profile("quick", "REDUCED (quick profile)", seeds=(1,), epochs=6, patience=None,
                     k_values=(0, 1, 2, 3), nyt_epochs=3),
    "full": Profile("full", "paper schedule (full profile)", seeds=(1, 2, 3, 4, 5), epochs=None,
                    patience=30, k_values=tuple(range(9))),
}


class ProfileError(ValueError):
    """Unknown profile or experiment."""


def settings(profile: str) -> Profile:
    """The :class:`Profile` of a name, with a clear error for an unknown one."""
    if profile not in SETTINGS:
        raise ProfileError(f"profile must be one of {PROFILES}, got {profile!r}")
    return SETTINGS[profile]


def base_config(profile: str, **fields: Any) -> RunConfig:
    """A RunConfig with the profile's budget (epochs, patience, subsets) and the given fields."""
    p = settings(profile)
    dataset = fields.get("dataset", "webnlg")
    budget = {"profile": p.name, "epochs": p.epochs_for(dataset), "patience": p.patience,
              "max_train": p.max_train, "max_dev": p.max_dev, **dict(p.overrides)}
    return RunConfig(**{**budget, **fields})


def table3_k(dataset: str, task: str, variant: str = "rin") -> int:
    """The K a paper cell uses: Table 3's K for the data set and task, 0 without interaction
    (RunConfig.resolved holds that rule; everything else asks it instead of repeating it)."""
    return int(RunConfig(dataset=dataset, task=task, variant=variant).resolved().K)


def cells(experiment: str, datasets: Sequence[str] = ("webnlg",), profile: str = "full") -> list[Cell]:
    """The cells of one experiment over ``datasets`` (or its own data set, :data:`OWN_DATASET`).

    - ``table1``: data set × task × (RIN at Table 3's K, RIN w/o interaction).
    - ``table5``: exact match, RIN and its four ablations at Table 3's K.
    - ``figure3``: K over the profile's K list, both tasks; K = 0 is RIN w/o interaction (the
      paper's K = 0 point *is* Table 1's w/o interaction cell), every other K is ``rin``.
    - ``nyt_proxy``: Table 1's cells on ``nyt-proxy`` (trained on NYT dev, never the paper's setting).
    - ``webnlg_etl``: Table 1's exact cells on ``webnlg-etl``, the exact WebNLG release later
      papers report on (the "Against peers" table; never the paper's setting).
    """
    if experiment not in EXPERIMENTS:
        raise ProfileError(f"experiment must be one of {EXPERIMENTS}, got {experiment!r}")
    if experiment == "nyt_proxy":
        return cells("table1", ["nyt-proxy"], profile)
    if experiment == "webnlg_etl":
        return [Cell("webnlg-etl", "exact", v, table3_k("webnlg-etl", "exact", v)) for v in TABLE1_VARIANTS]
    if experiment == "table1":
        return [Cell(ds, t, v, table3_k(ds, t, v)) for ds in datasets for t in TASKS for v in TABLE1_VARIANTS]
    if experiment == "table5":
        return [Cell(ds, "exact", v, table3_k(ds, "exact", v)) for ds in datasets for v in TABLE5_VARIANTS]
    return [Cell(ds, t, "no_interaction" if k == 0 else "rin", k)
            for ds in datasets for t in TASKS for k in k_values(profile, ds, t)]


def is_figure3_point(frame: pd.DataFrame) -> pd.Series:
    """Rows that are Figure 3 points at some K: RIN at K > 0, and RIN w/o interaction as K = 0."""
    return (((frame["variant"] == "rin") & (frame["K"] > 0))
            | ((frame["variant"] == "no_interaction") & (frame["K"] == 0)))


def runs_behind(results: pd.DataFrame, table: str, datasets: Sequence[str] = ()) -> pd.DataFrame:
    """The rows of ``results`` (``rinlib.runs.collect``) that the table of an experiment
    (:data:`EXPERIMENTS`, e.g. "table1" or "webnlg_etl" for "Against peers") summarises.

    Why: a caption names the seeds, devices and commits of the runs behind its numbers; built from
    every collected run, Table 1's caption would list the commits of Figure 3's K-sweep too.
    ``datasets`` as the table's rows; for Figure 3 the data sets drawn (empty: every data set, at
    every K that was run, as in its points table)."""
    if table not in EXPERIMENTS:
        raise ValueError(f"table must be one of {list(EXPERIMENTS)}, got {table!r}")
    if results.empty:
        return results
    if table == "figure3":
        points = is_figure3_point(results)
        return results[points & results["dataset"].isin(datasets)] if datasets else results[points]
    wanted = set(cells(table, datasets))
    keys = zip(results["dataset"], results["task"], results["variant"], results["K"].astype(int))
    return results[[k in wanted for k in keys]]


def experiment_configs(experiment: str, profile: str, dataset: str = "webnlg",
                       seeds: list[int] | None = None, **overrides: Any) -> list[RunConfig]:
    """Every run one experiment needs under a profile: its :func:`cells` × the profile's seeds.

    An experiment in the profile's ``skip`` list gives ``[]`` (smoke skips ``nyt_proxy``).
    ``overrides`` (e.g. ``device="cuda"``) go into every config."""
    p = settings(profile)
    if experiment not in EXPERIMENTS:
        raise ProfileError(f"experiment must be one of {EXPERIMENTS}, got {experiment!r}")
    if experiment in p.skip:
        return []
    seeds = list(seeds) if seeds is not None else list(p.seeds)
    return [base_config(profile, dataset=c.dataset, task=c.task, variant=c.variant, K=c.K, seed=s, **overrides)
            for c in cells(experiment, [dataset], profile) for s in seeds]


def configs_for(experiments: list[str], profile: str, datasets: list[str] | tuple[str, ...] = ("webnlg",),
                seeds: list[int] | None = None, **overrides: Any) -> list[RunConfig]:
    """The runs of several experiments over several data sets, each run once (deduplicated by
    cache key and run path; e.g. Table 1's RIN exact run is also Table 5's and Figure 3's).
    ``nyt_proxy`` and ``webnlg_etl`` ignore ``datasets`` (:data:`OWN_DATASET`)."""
    out: dict[tuple, RunConfig] = {}
    for exp in experiments:
        for ds in experiment_datasets(exp, datasets):
            for c in experiment_configs(exp, profile, dataset=ds, seeds=seeds, **overrides):
                r = c.resolved()
                out.setdefault((c.key(), r.profile, r.dataset, r.task, r.variant, r.K, r.seed), c)
    return list(out.values())


OWN_DATASET = {"nyt_proxy": "nyt-proxy", "webnlg_etl": "webnlg-etl"}
"""Experiments bound to one data set: they ignore the ``datasets`` asked for."""


def experiment_datasets(experiment: str, datasets: Sequence[str]) -> list[str]:
    """The data sets an experiment runs on: ``datasets``, or the experiment's own (:data:`OWN_DATASET`)."""
    return [OWN_DATASET[experiment]] if experiment in OWN_DATASET else list(datasets)


def paper_queue(profile: str, experiments: list[str] | tuple[str, ...] = EXPERIMENTS,
                datasets: list[str] | tuple[str, ...] = ("webnlg",)) -> list[RunConfig]:
    """The runs of ``experiments`` ordered seed by seed: every cell gets seed n before any cell
    gets seed n + 1 (within a seed, the experiments' order).

    Why: the full grid takes days on a CPU, and a sweep that is stopped part-way should leave
    every table and figure with as many seeds as possible, not Table 1 with five and Figure 3
    with none. Several processes can work through the same queue at once: each skips the runs
    another one holds (:func:`rinlib.runs.run_lock`)."""
    configs = configs_for(list(experiments), profile, datasets=datasets)
    return sorted(configs, key=lambda c: c.seed)  # stable: keeps the experiments' order per seed


def k_values(profile: str, dataset: str, task: str) -> list[int]:
    """The K values Figure 3 trains under a profile for one data set and task."""
    p = settings(profile)
    if p.k_values is not None:
        return list(p.k_values)
    return [0, table3_k(dataset, task)]


def describe(profile: str) -> str:
    """One line for captions and logs: label, seeds, epochs, subsets."""
    p = settings(profile)
    ep = "Table 3 epochs" if p.epochs is None else f"{p.epochs} epochs"
    if p.nyt_epochs is not None:
        ep += f" ({p.nyt_epochs} on nyt-proxy)"
    sub = "" if p.max_train is None else f", train ≤ {p.max_train} / dev ≤ {p.max_dev} sentences"
    pat = "" if p.patience is None else f", patience {p.patience}"
    ks = "0 and Table 3's K" if p.k_values is None else ", ".join(map(str, p.k_values))
    extra = "".join(f", {k} {v}" for k, v in p.overrides)
    return f"{p.label}: {len(p.seeds)} seed(s), {ep}{pat}{sub}{extra}, Figure 3 K ∈ {{{ks}}}"
