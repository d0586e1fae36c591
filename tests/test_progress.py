"""Grid progress: each run directory's state (the sweep's own cache rule), epochs done, the
per-experiment counts, the `status` command and the report section, on hand-made run folders."""

from __future__ import annotations

import json
import os
import socket
from pathlib import Path

import pandas as pd

from rinlib.__main__ import main
from rinlib.experiments import experiment_configs
from rinlib.runs import LOCK, progress, run_dir


def _history(out: Path, epochs: int) -> None:
    pd.DataFrame({"epoch": range(1, epochs + 1), "loss": 1.0}).to_csv(out / "history.csv", index=False)


def _grid(root: Path) -> list:
    """Smoke Table 1 (4 cells, seed 1): one finished, one resumable at epoch 1, one held by a live
    process, one finished under another key (so: not started), none for the fourth."""
    cfgs = experiment_configs("table1", "smoke")
    outs = [run_dir(c, root / "runs") for c in cfgs]
    for o in outs[:3]:
        o.mkdir(parents=True)
    (outs[0] / "metrics.json").write_text(json.dumps({"key": cfgs[0].key(), "epochs_run": 2}))
    cfgs[1].save(outs[1] / "config.yaml")
    (outs[1] / "checkpoint.pt").write_bytes(b"x")
    _history(outs[1], 1)
    (outs[2] / LOCK).write_text(json.dumps({"pid": os.getppid(), "host": socket.gethostname()}))
    _history(outs[2], 1)
    outs[3].mkdir(parents=True)
    (outs[3] / "metrics.json").write_text(json.dumps({"key": "an older config", "epochs_run": 2}))
    return cfgs


def test_states_epochs_and_summary(tmp_path: Path) -> None:
    _grid(tmp_path)
    runs = progress.grid_progress(["table1"], "smoke", tmp_path)
    assert list(runs["state"]) == ["finished", "resumable", "training now", "not started"]
    assert list(runs["epochs done"]) == [2, 1, 1, 0] and set(runs["max epochs"]) == {2}
    assert runs["run"].iloc[0] == "webnlg/partial/rin/K2/seed1"
    s = progress.summary(runs).iloc[0]
    assert (s["runs"], s["finished"], s["resumable"], s["training now"], s["not started"]) == (4, 1, 1, 1, 1)
    assert s["seeds in every cell"] == 0  # three cells have no finished seed
    assert s["cells by seeds"] == "1 at 1, 3 at 0"


def test_a_run_shared_by_experiments_counts_in_each(tmp_path: Path) -> None:
    cfgs = experiment_configs("table5", "smoke")  # its RIN exact run is Table 1's
    out = run_dir(cfgs[0], tmp_path / "runs")
    out.mkdir(parents=True)
    (out / "metrics.json").write_text(json.dumps({"key": cfgs[0].key(), "epochs_run": 2}))
    s = progress.summary(progress.grid_progress(["table1", "table5"], "smoke", tmp_path)).set_index("experiment")
    assert s.loc["table1", "finished"] == 1 and s.loc["table5", "finished"] == 1


def test_status_command_and_report_section(tmp_path: Path, capsys) -> None:
    _grid(tmp_path)
    assert main(["status", "--experiments", "table1", "--profile", "smoke", "--results", str(tmp_path)]) == 0
    out = capsys.readouterr().out
    assert "| table1 | 4 | 1 | 1 | 1 | 1 | 0 |" in out
    assert "| webnlg/partial/no_interaction/K0/seed1 | 1 | resumable | 1 | 2 |" in out
    from rinlib.reporting import report

    full = progress.grid_progress(report.EXPERIMENTS, "full", tmp_path)
    text = "\n".join(report.grid_lines(full))  # the full profile's grid: nothing under runs/full here
    assert "## Grid progress (paper schedule)" in text and "| table1 | 20 | 0 | 0 | 0 | 20 | 0 |" in text


def test_pending_lists_every_run_but_the_finished_one_and_the_sweep_plans_it(tmp_path: Path, capsys) -> None:
    cfgs = _grid(tmp_path)  # finished, resumable, held by a live process, finished under another key
    runs = progress.pending(["table1"], "smoke", tmp_path)
    assert [(r["task"], r["variant"], r["K"], r["seed"]) for r in runs] == [
        (c.task, c.variant, c.resolved().K, c.seed) for c in cfgs[1:]]
    # the states status has already read give the same list
    states = progress.grid_progress(["table1"], "smoke", tmp_path)
    assert progress.pending(["table1"], "smoke", tmp_path, progress=states) == runs
    assert progress.pending(["table1"], "smoke", tmp_path, progress=states.assign(state="finished")) == []  # read, not redone
    grid = tmp_path / "pending.yaml"
    assert main(["status", "--experiments", "table1", "--profile", "smoke", "--results", str(tmp_path),
                 "--pending", str(grid)]) == 0
    assert "3 runs not finished" in capsys.readouterr().out
    from rinlib.runs import plan

    assert [(c.key(), run_dir(c)) for c in plan(grid, "smoke")] == [(c.key(), run_dir(c)) for c in cfgs[1:]]


def test_word_vector_runs_still_training_are_listed_by_the_sweeps_states(tmp_path: Path) -> None:
    """The word-vector grid (Table 1's cells with other vectors) is not one of the paper's
    experiments; its unfinished runs are listed by the same states, not by looking for files."""
    from rinlib.reporting.diagnostics import word_vectors

    cfgs = experiment_configs("table1", "full", vectors="glove50")
    resumable, finished = run_dir(cfgs[1], tmp_path / "runs"), run_dir(cfgs[0], tmp_path / "runs")
    for out in (resumable, finished):
        out.mkdir(parents=True)
    cfgs[1].save(resumable / "config.yaml")
    (resumable / "checkpoint.pt").write_bytes(b"x")
    _history(resumable, 7)
    (finished / "metrics.json").write_text(json.dumps({"key": cfgs[0].key(), "epochs_run": 150}))
    rel = resumable.relative_to(tmp_path / "runs" / "full")
    assert str(rel).startswith("vectors-glove50/webnlg/")
    assert word_vectors.pending(tmp_path) == [f"{rel} (resumable, 7 epochs recorded)"]
    assert word_vectors.pending(tmp_path, settings=["glove50-top2716"]) == []
