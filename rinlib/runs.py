"""Where runs live: ``results/runs/<profile>/<dataset>/<task>/<variant>/K<k>/seed<s>/``."""

from __future__ import annotations

from pathlib import Path

from rinlib.config import RunConfig

RESULTS = Path(__file__).resolve().parent.parent / "results"


def run_dir(cfg: RunConfig, root: str | Path | None = None) -> Path:
    """The directory of a run (readable path; the config key inside decides cache validity)."""
    c = cfg.resolved()
    base = Path(root) if root else RESULTS / "runs"
    return base / c.profile / c.dataset / c.task / c.variant / f"K{c.K}" / f"seed{c.seed}"
