"""The three run profiles and the configurations of each experiment of the paper.

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
from typing import Any

from rinlib.config import RunConfig

PROFILES = ("smoke", "quick", "full")
EXPERIMENTS = ("table1", "table5", "figure3", "nyt_proxy")
TABLE5_VARIANTS = ("rin", "no_er", "no_rc", "no_interaction", "no_pos")


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


def experiment_configs(experiment: str, profile: str, dataset: str = "webnlg",
                       seeds: list[int] | None = None, **overrides: Any) -> list[RunConfig]:
    """Every run one experiment needs under a profile (seeds × tasks × variants or K).

    - ``table1``: RIN and RIN w/o interaction, partial and exact.
    - ``table5``: exact match, RIN and the four ablations.
    - ``figure3``: K over the profile's K list (``None``: 0 and Table 3's K), both tasks. K = 0 is the run of
      ``no_interaction`` (the paper's K = 0 point *is* RIN w/o interaction, Table 1), so it is
      trained once and shared with Table 1; every other K is variant ``rin``.
    - ``nyt_proxy``: ``nyt-proxy`` (trained on NYT dev, never the paper's setting), RIN and
      RIN w/o interaction, both tasks.

    An experiment in the profile's ``skip`` list gives ``[]`` (smoke skips ``nyt_proxy``).
    ``overrides`` (e.g. ``device="cuda"``) go into every config.
    """
    p = settings(profile)
    if experiment not in EXPERIMENTS:
        raise ProfileError(f"experiment must be one of {EXPERIMENTS}, got {experiment!r}")
    if experiment in p.skip:
        return []
    seeds = list(seeds) if seeds is not None else list(p.seeds)
    if experiment == "table1":
        cells = [(dataset, t, v, None) for t in ("partial", "exact") for v in ("rin", "no_interaction")]
    elif experiment == "table5":
        cells = [(dataset, "exact", v, None) for v in TABLE5_VARIANTS]
    elif experiment == "figure3":
        cells = [(dataset, t, "no_interaction" if k == 0 else "rin", None if k == 0 else k)
                 for t in ("partial", "exact") for k in k_values(profile, dataset, t)]
    else:  # nyt_proxy
        cells = [("nyt-proxy", t, v, None) for t in ("partial", "exact") for v in ("rin", "no_interaction")]
    return [base_config(profile, dataset=ds, task=t, variant=v, K=k, seed=s, **overrides)
            for ds, t, v, k in cells for s in seeds]


def configs_for(experiments: list[str], profile: str, datasets: list[str] | tuple[str, ...] = ("webnlg",),
                seeds: list[int] | None = None, **overrides: Any) -> list[RunConfig]:
    """The runs of several experiments over several data sets, each run once (deduplicated by
    cache key and run path; e.g. Table 1's RIN exact run is also Table 5's and Figure 3's).
    ``nyt_proxy`` ignores ``datasets`` (it always uses ``nyt-proxy``)."""
    out: dict[tuple, RunConfig] = {}
    for exp in experiments:
        for ds in experiment_datasets(exp, datasets):
            for c in experiment_configs(exp, profile, dataset=ds, seeds=seeds, **overrides):
                r = c.resolved()
                out.setdefault((c.key(), r.profile, r.dataset, r.task, r.variant, r.K, r.seed), c)
    return list(out.values())


def experiment_datasets(experiment: str, datasets: Sequence[str]) -> list[str]:
    """The data sets an experiment runs on: ``datasets``, except ``nyt_proxy`` (always ``nyt-proxy``)."""
    return ["nyt-proxy"] if experiment == "nyt_proxy" else list(datasets)


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
    return [0, int(RunConfig(dataset=dataset, task=task).resolved().K)]


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
