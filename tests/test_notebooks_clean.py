"""Notebook sources are committed clean: no outputs, no execution counts, exactly one cell
tagged ``parameters``, and no function/class definitions. Opened by hand (no ``RIN_PROFILE``), a
notebook shows the committed full-schedule results and trains nothing: every call that could
train is passed the ``train`` parameter, which is False unless ``RIN_PROFILE`` is set; a notebook
without a ``profile`` parameter only reads the full-schedule runs.

The one exception: a cell marked ``# NBVAL_CHECK_OUTPUT`` keeps its expected output (stream
text only) and an execution count, because nbval compares against the stored output and skips
cells that have none."""

from __future__ import annotations

from pathlib import Path

import nbformat
import pytest

NOTEBOOKS = sorted((Path(__file__).resolve().parents[1] / "notebooks").glob("[0-9][0-9]_*.ipynb"))


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_notebook_is_clean(path: Path) -> None:
    nb = nbformat.read(path, as_version=4)
    code = [c for c in nb.cells if c.cell_type == "code"]
    for i, c in enumerate(code):
        if "NBVAL_CHECK_OUTPUT" in c.source:  # nbval needs the expected output and a count
            assert c.outputs and all(o.output_type == "stream" for o in c.outputs), \
                f"{path.name}: checked cell {i} must hold its expected stream output"
            continue
        assert not c.get("outputs"), f"{path.name}: code cell {i} has outputs (strip them before committing)"
        assert c.get("execution_count") is None, f"{path.name}: code cell {i} has an execution count"
    params = [c for c in code if "parameters" in c.metadata.get("tags", [])]
    assert len(params) == 1, f"{path.name}: expected exactly one 'parameters' cell, found {len(params)}"
    src = params[0].source
    body = "\n".join(c.source for c in code)
    if "profile" in src:
        assert 'os.environ.get("RIN_PROFILE", "full")' in src, f"{path.name}: opened by hand, show the full results"
    else:  # a notebook without a profile reads the committed full-schedule runs and trains nothing
        assert "sweep.run(" not in body and "experiment_runs(" not in body and "train(" not in body, path.name
    if "sweep.run(" in body or "experiment_runs(" in body:
        assert 'train = "RIN_PROFILE" in os.environ' in src, f"{path.name}: needs the train parameter"
        calls = body.count("sweep.run(") + body.count("experiment_runs(")
        assert body.count("train=train") + body.count("profile, train)") == calls, \
            f"{path.name}: a call that could train does not get the train parameter"
    for c in code:
        for line in c.source.splitlines():
            assert not line.lstrip().startswith(("def ", "class ")), f"{path.name}: define functions in rinlib"


def test_there_are_notebooks() -> None:
    assert len(NOTEBOOKS) >= 5


COMMITTED = sorted((Path(__file__).resolve().parents[1] / "results" / "notebooks").glob("*/*.ipynb"))


@pytest.mark.parametrize("path", COMMITTED, ids=lambda p: f"{p.parent.name}/{p.name}")
def test_committed_executed_notebooks_show_their_figures(path: Path) -> None:
    """What a reader opens on a code host: figures as images (never '<Figure size ...>' text), small files."""
    import json

    from tests.test_run_all_smoke import DRAWING_NOTEBOOKS, MAX_NOTEBOOK_BYTES, figure_outputs

    assert path.stat().st_size < MAX_NOTEBOOK_BYTES
    images, bare = figure_outputs(json.loads(path.read_text()))
    assert not bare, bare
    if path.stem in DRAWING_NOTEBOOKS:
        assert images, f"{path} draws figures but holds no image output"
