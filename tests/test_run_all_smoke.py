"""The kit's own workflow is a test: ``./run_all.sh --profile smoke`` into a temporary results
folder produces the tables, figures, executed notebooks and report; a second run trains nothing.

Slow (minutes on a shared 2-core CPU: 7 tiny training runs plus every notebook twice), but it
is part of ``./run_tests.sh``. It runs only where the data caches can be built (the kit's data/).
"""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]


def _run_all(results: Path) -> str:
    env = {**os.environ, "RIN_RESULTS": str(results)}
    p = subprocess.run([str(REPO / "run_all.sh"), "--profile", "smoke"], cwd=REPO, env=env,
                       capture_output=True, text=True, timeout=1800)
    out = p.stdout + p.stderr
    assert p.returncode == 0, f"run_all.sh failed (exit {p.returncode}):\n{out[-6000:]}"
    return out


@pytest.mark.slow
def test_run_all_smoke(tmp_path: Path) -> None:
    results = tmp_path / "results"
    out = _run_all(results)
    for rel in ("tables/smoke/table1.csv", "tables/smoke/table5.csv", "tables/smoke/table2.csv",
                "tables/smoke/figure3_points.csv", "figures/smoke/figure3.png", "figures/smoke/figure3.svg",
                "figures/smoke/figure3.pdf", "notebooks/smoke/01_data.ipynb", "notebooks/smoke/05_figure3.ipynb",
                "REPORT.md"):
        assert (results / rel).is_file(), f"missing {rel}\n{out[-3000:]}"
    assert len(list((results / "runs/smoke").rglob("metrics.json"))) == 7
    assert "Table 1" in (results / "REPORT.md").read_text()
    assert "[run_all] done in" in out

    again = _run_all(results)
    assert "(training)" not in again and "(resumed)" not in again, again[-3000:]
    assert again.count("(cached)") >= 7
