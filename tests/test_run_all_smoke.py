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


DRAWING_NOTEBOOKS = ("05_figure3", "07_error_analysis", "08_interaction_explorer", "10_word_vectors")
MAX_NOTEBOOK_BYTES = 2_000_000


def figure_outputs(nb: dict) -> tuple[int, list[str]]:
    """(image outputs, text-only ``<Figure size ...>`` outputs) of an executed notebook."""
    images, bare = 0, []
    for cell in nb["cells"]:
        for o in cell.get("outputs", []):
            data = o.get("data", {})
            images += "image/png" in data or "image/svg+xml" in data
            text = "".join(data.get("text/plain", "")) + "".join(o.get("text", ""))
            if "<Figure size" in text and "image/png" not in data:
                bare.append(text.strip()[:80])
    return images, bare


def _notebooks_show_their_figures(folder: Path) -> None:
    import json

    executed = sorted(folder.glob("*.ipynb"))
    assert len(executed) >= 8, executed
    for path in executed:
        assert path.stat().st_size < MAX_NOTEBOOK_BYTES, f"{path.name}: {path.stat().st_size} bytes"
        images, bare = figure_outputs(json.loads(path.read_text()))
        assert not bare, f"{path.name} shows figures as text: {bare}"
        if path.stem in DRAWING_NOTEBOOKS:
            assert images, f"{path.name} draws figures but has no image output"


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
    _notebooks_show_their_figures(results / "notebooks" / "smoke")

    again = _run_all(results)
    assert "(training)" not in again and "(resumed)" not in again, again[-3000:]
    assert again.count("(cached)") >= 7
