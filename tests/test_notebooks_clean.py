"""Notebook sources are committed clean: no outputs, no execution counts, exactly one cell
tagged ``parameters`` whose defaults are the smoke profile, and no function/class definitions.

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
    assert 'os.environ.get("RIN_PROFILE", "smoke")' in src, f"{path.name}: parameters must default to smoke"
    for c in code:
        for line in c.source.splitlines():
            assert not line.lstrip().startswith(("def ", "class ")), f"{path.name}: define functions in rinlib"


def test_there_are_notebooks() -> None:
    assert len(NOTEBOOKS) >= 5
