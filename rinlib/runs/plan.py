"""A grid of runs: a mapping of :class:`RunConfig` fields to lists, expanded into configs."""

from __future__ import annotations

import itertools
from pathlib import Path

import yaml

from rinlib.config import RunConfig
from rinlib.experiments import base_config
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
    configs: dict[tuple, RunConfig] = {}
    for i, g in enumerate(grids, 1):
        if not isinstance(g, dict):
            item = f" (item {i})" if isinstance(grid, list) else ""
            raise SweepError(f"{where}{item} must hold a mapping of RunConfig fields to lists")
        for c in _expand(g, profile):
            configs.setdefault((c.key(), run_dir(c)), c)
    return list(configs.values())


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
