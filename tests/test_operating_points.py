"""Operating points (strict scores at pair thresholds 0.1 … 0.9): written by training when a
full-schedule run finishes, and only then; agreeing with the run's own scores at its threshold;
written again, identically, for a run that lacks them from its weights (``python -m rinlib
operating-points``); refused for weights of another model; a missing folder is a one-line error."""

from __future__ import annotations

import json
import shutil

import pandas as pd
import pytest

from _tiny import sentences, tiny_config, tiny_prepared
from rinlib.__main__ import main
from rinlib.metrics import OPERATING_POINTS, THRESHOLDS
from rinlib.runs import operating
from rinlib.training import train


@pytest.fixture(scope="module")
def runs(tmp_path_factory):
    """Two finished tiny runs that differ only in their seed, labelled full-schedule (the runs that
    write operating points), and a third run of another profile."""
    root = tmp_path_factory.mktemp("runs")
    for seed, profile in ((1, "full"), (2, "full"), (3, "test")):
        cfg = tiny_config(epochs=2, seed=seed, profile=profile, test_curve=False)
        train(cfg, root / f"seed{seed}", prepared=tiny_prepared(cfg))
    return root


@pytest.fixture
def tiny_splits(monkeypatch):
    """The tiny fixture's dev and test, where the real data sets would be loaded."""
    monkeypatch.setattr(operating, "scored_splits", lambda cfg: {"dev": sentences("dev"), "test": sentences("test")})


def test_training_writes_operating_points_that_agree_with_the_run_at_its_threshold(runs):
    out = runs / "seed1"
    curve = pd.read_csv(out / OPERATING_POINTS)
    metrics = json.loads((out / "metrics.json").read_text())
    for split in ("dev", "test"):
        rows = curve[curve["split"] == split]
        assert rows["threshold"].tolist() == list(THRESHOLDS)
        assert rows["n_gold"].nunique() == 1 and rows["n_pred"].is_monotonic_decreasing
        at_run = rows[rows["threshold"] == 0.5].iloc[0]
        strict = metrics[split]["strict"]
        assert (at_run["n_pred"], at_run["n_correct"]) == (strict["n_pred"], strict["n_correct"])
        assert at_run["f1"] == pytest.approx(strict["f1"])


def test_only_full_schedule_runs_have_them(runs, tiny_splits):
    """An undertrained model passes most pairs at 0.1: its curve would cost gigabytes, and say nothing."""
    assert not (runs / "seed3" / OPERATING_POINTS).exists()
    assert operating.write_run(runs / "seed3") == ("skipped: a test-profile run (operating points are for "
                                                    "full-schedule runs)")
    assert not (runs / "seed3" / OPERATING_POINTS).exists()


def test_a_run_without_them_gets_the_same_file_from_its_weights(runs, tmp_path, tiny_splits):
    out = tmp_path / "run"
    shutil.copytree(runs / "seed1", out)
    written = pd.read_csv(out / OPERATING_POINTS)
    assert operating.write_run(out) == f"{OPERATING_POINTS} already there"
    (out / OPERATING_POINTS).unlink()
    assert operating.write_run(out).startswith("written (test strict F1 ")
    pd.testing.assert_frame_equal(pd.read_csv(out / OPERATING_POINTS), written)
    note = json.loads((out / "provenance.json").read_text())["operating_points"]
    assert note["commit"] and note["at"] and "model.safetensors" in note["from"]
    (out / "model.safetensors").unlink()
    assert operating.write_run(out, force=True).startswith("skipped: no model.safetensors")


def test_weights_of_another_model_are_refused(runs, tmp_path, tiny_splits):
    out = tmp_path / "run"
    shutil.copytree(runs / "seed1", out)
    (out / OPERATING_POINTS).unlink()
    shutil.copy(runs / "seed2" / "model.safetensors", out / "model.safetensors")
    with pytest.raises(operating.OperatingPointsError, match=r"model.safetensors: predicts \d+ dev triples .* metrics.json records .*not the model"):
        operating.write_run(out)
    assert not (out / OPERATING_POINTS).exists()


def test_missing_folder_is_a_one_line_error(tmp_path, capsys):
    with pytest.raises(SystemExit, match=r"^error: .*absent: no such folder$"):
        main(["operating-points", str(tmp_path / "absent")])
