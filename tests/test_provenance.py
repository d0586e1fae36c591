"""Provenance: the commit recorded beside a result says which code produced it."""

from __future__ import annotations

import subprocess
from pathlib import Path

from rinlib.provenance import git_commit


def _git(repo: Path, *args: str) -> str:
    return subprocess.run(["git", "-c", "user.email=t@t", "-c", "user.name=t", *args], cwd=repo,
                          capture_output=True, text=True, check=True).stdout.strip()


def test_commit_is_dirty_only_for_code_changes_and_read_once_per_process(tmp_path: Path) -> None:
    read = git_commit.__wrapped__  # the uncached reader
    for f in ("rinlib/model.py", "results/runs/x/history.csv", "models/m.json"):
        (tmp_path / f).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / f).write_text("1\n")
    _git(tmp_path, "init", "-q")
    _git(tmp_path, "add", "-A")
    _git(tmp_path, "commit", "-qm", "c")
    head = _git(tmp_path, "rev-parse", "HEAD")
    assert git_commit(tmp_path) == read(tmp_path) == head
    # a run writing its own files (history, checkpoint, shipped model) does not change the code
    (tmp_path / "results/runs/x/history.csv").write_text("1\n2\n")
    (tmp_path / "models/m.json").write_text("{}\n")
    assert read(tmp_path) == head
    (tmp_path / "rinlib/model.py").write_text("2\n")
    assert read(tmp_path) == head + "-dirty"
    # a process keeps the commit it started with: its code was imported then
    assert git_commit(tmp_path) == head
    assert read(tmp_path / "nowhere") == "unknown"


def test_a_copy_without_git_records_the_commit_it_declares(tmp_path: Path, monkeypatch) -> None:
    read = git_commit.__wrapped__
    monkeypatch.delenv("RIN_COMMIT", raising=False)
    assert read(tmp_path / "nowhere") == "unknown"
    monkeypatch.setenv("RIN_COMMIT", "abc123")
    assert read(tmp_path / "nowhere") == "abc123 (declared: no git)"
    _git(tmp_path, "init", "-q")
    (tmp_path / "f").write_text("1\n")
    _git(tmp_path, "add", "-A")
    _git(tmp_path, "commit", "-qm", "c")
    assert read(tmp_path) == _git(tmp_path, "rev-parse", "HEAD")  # git, where present, wins


def test_a_notebook_with_only_new_outputs_is_not_a_code_change(tmp_path: Path) -> None:
    import json

    read = git_commit.__wrapped__
    nb = {"cells": [{"cell_type": "code", "source": ["x = 1\n"], "outputs": [], "metadata": {}}],
          "metadata": {}, "nbformat": 4, "nbformat_minor": 5}
    (tmp_path / "notebooks").mkdir()
    path = tmp_path / "notebooks" / "01.ipynb"
    path.write_text(json.dumps(nb))
    _git(tmp_path, "init", "-q")
    _git(tmp_path, "add", "-A")
    _git(tmp_path, "commit", "-qm", "c")
    head = _git(tmp_path, "rev-parse", "HEAD")
    nb["cells"][0]["outputs"] = [{"output_type": "stream", "name": "stdout", "text": ["1\n"]}]
    nb["cells"][0]["execution_count"] = 1
    path.write_text(json.dumps(nb))  # what JupyterLab's autosave does
    assert read(tmp_path) == head
    nb["cells"][0]["source"] = ["x = 2\n"]
    path.write_text(json.dumps(nb))
    assert read(tmp_path) == head + "-dirty"


def test_a_readme_changed_only_in_its_generated_blocks_is_not_a_code_change(tmp_path: Path) -> None:
    read = git_commit.__wrapped__
    readme = tmp_path / "README.md"
    text = "# Kit\n\n<!-- begin generated: grid -->\n10 of 90 runs\n<!-- end generated: grid -->\n\nHow to run.\n"
    readme.write_text(text)
    _git(tmp_path, "init", "-q")
    _git(tmp_path, "add", "-A")
    _git(tmp_path, "commit", "-qm", "c")
    head = _git(tmp_path, "rev-parse", "HEAD")
    readme.write_text(text.replace("10 of 90", "12 of 90\nand two more lines\n"))  # `rinlib report`
    assert read(tmp_path) == head
    readme.write_text(text.replace("How to run.", "How to run it."))  # a person's edit
    assert read(tmp_path) == head + "-dirty"
    readme.write_text(text.replace("end generated: grid", "end generated: other"))  # a broken marker
    assert read(tmp_path) == head + "-dirty"
