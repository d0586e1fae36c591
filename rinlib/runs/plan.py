"""A grid of runs: a mapping of :class:`RunConfig` fields to lists, expanded into configs."""

from __future__ import annotations

import itertools
from collections.abc import Iterable, Sequence
from pathlib import Path

import yaml

from rinlib.config import RunConfig
from rinlib.experiments import ProfileError, base_config, paper_queue
from rinlib.runs.paths import run_dir


class SweepError(RuntimeError):
    """A sweep cannot be planned or run as asked."""


def plan(grid: dict | list | str | Path, profile: str) -> list[RunConfig]:
    """Expand a grid into configs: each key a RunConfig field, each value a list (or a scalar).

    ``grid`` is a dict, a list of dicts (each expanded in turn, a run listed twice kept once:
    how ``python -m rinlib status --pending`` writes the runs still missing), or a YAML file
    holding either. The profile's budget (epochs, patience, subsets) is the base; grid values
    override it. Order: the list's, then the grid's keys vary slowest first.
    """
    where = "grid"
    if isinstance(grid, (str, Path)):
        path = Path(grid)
        where = f"grid file {path}"
        try:
            grid = yaml.safe_load(path.read_text())
        except (OSError, yaml.YAMLError) as e:
            raise SweepError(f"cannot read grid file {path}: {e}") from e
    grids = grid if isinstance(grid, list) else [grid]
    configs = []
    for i, g in enumerate(grids, 1):
        if not isinstance(g, dict):
            item = f" (item {i})" if isinstance(grid, list) else ""
            raise SweepError(f"{where}{item} must hold a mapping of RunConfig fields to lists")
        configs += _expand(g, profile)
    return unique(configs)


def unique(configs: Iterable[RunConfig]) -> list[RunConfig]:
    """``configs`` in order, a run listed twice (same key, same directory) kept at its first place."""
    seen: dict[tuple, RunConfig] = {}
    for c in configs:
        seen.setdefault((c.key(), run_dir(c)), c)
    return list(seen.values())


def queue(grids: Sequence[str | Path], experiments: Sequence[str], profile: str) -> list[RunConfig]:
    """The runs of each grid file in turn, then those of the paper's ``experiments`` (seed by
    seed, :func:`rinlib.experiments.paper_queue`), each run once, at its first place.

    Why: one command per core can finish what is left of the grid in a chosen order (Figure 3's
    seeds, then ``webnlg-etl``, then the nyt-proxy) instead of a script that starts the next
    sweep when one ends."""
    if not grids and not experiments:
        raise SweepError("give one or more grid files, --experiments, or both")
    configs = [c for g in grids for c in plan(g, profile)]
    if experiments:
        try:
            configs += paper_queue(profile, list(experiments))
        except ProfileError as e:
            raise SweepError(str(e)) from None
    return unique(configs)


def _expand(grid: dict, profile: str) -> list[RunConfig]:
    names = set(RunConfig.__dataclass_fields__)
    unknown = sorted(set(grid) - names)
    if unknown:
        raise SweepError(f"grid has unknown RunConfig fields {unknown}")
    axes = {k: v if isinstance(v, list) else [v] for k, v in grid.items()}
    configs = [base_config(profile, **dict(zip(axes, combo))) for combo in itertools.product(*axes.values())]
    for c in configs:
        c.resolved()  # fail now, not in the middle of a sweep
    return configs
