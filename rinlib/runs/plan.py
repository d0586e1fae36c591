"""A grid of runs: a mapping of :class:`RunConfig` fields to lists, expanded into configs."""

from __future__ import annotations

import itertools
from pathlib import Path

import yaml

from rinlib.config import RunConfig
from rinlib.experiments import base_config


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
