"""Where runs live: ``<results>/runs/<profile>/<dataset>/<task>/<variant>/K<k>/seed<s>/``.

``<results>`` is ``$RIN_RESULTS`` when set (tests and ``run_all.sh`` point it at a temporary
folder), else the kit's ``results/``.
"""

from __future__ import annotations

import os
from pathlib import Path

from rinlib.config import RunConfig

RESULTS = Path(__file__).resolve().parent.parent / "results"


def results_root() -> Path:
    """The results folder: ``$RIN_RESULTS`` or the kit's ``results/``."""
    env = os.environ.get("RIN_RESULTS")
    return Path(env) if env else RESULTS


def run_dir(cfg: RunConfig, root: str | Path | None = None) -> Path:
    """The directory of a run (readable path; the config key inside decides cache validity).

    ``root`` is the runs folder (default ``results_root() / "runs"``).
    """
    c = cfg.resolved()
    base = Path(root) if root else results_root() / "runs"
    return base / c.profile / c.dataset / c.task / c.variant / f"K{c.K}" / f"seed{c.seed}"
