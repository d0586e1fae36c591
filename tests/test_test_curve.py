"""The sealed test curve: written every epoch, whole across a resume, and read by nothing that
selects, stops or reports (changing or deleting it changes no other result)."""

from __future__ import annotations

import json

import pandas as pd
import pytest

from rinlib.training import SealedTestCurve, train
from tests._tiny import tiny_config, tiny_prepared

RESULT_FILES = ("metrics.json", "history.csv", "predictions_dev.jsonl", "predictions_test.jsonl")


def _run(tmp_path, name, on_epoch=None, **kw):
    cfg = tiny_config(epochs=4, seed=7, test_curve=True, **kw)
    return train(cfg, tmp_path / name, prepared=tiny_prepared(cfg), on_epoch=on_epoch)


def _interrupted_after_epoch_2(tmp_path, name):
    """A run stopped after its second epoch (its checkpoint and curve stay), as a killed process leaves it."""
    def stop(row):
        if row["epoch"] == 2:
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        _run(tmp_path, name, on_epoch=stop)


def _results(out):
    m = json.loads((out / "metrics.json").read_text())
    hist = pd.read_csv(out / "history.csv").drop(columns=["train_time_s", "epoch_time_s"])
    return m["selected_epoch"], m["dev"], m["test"], hist.to_dict("list"), (out / "predictions_test.jsonl").read_text()


def test_curve_has_one_row_per_epoch_with_strict_and_paper_scores(tmp_path):
    res = _run(tmp_path, "a")
    curve = pd.read_csv(res.out_dir / "test_curve.csv")
    assert list(curve.columns) == list(SealedTestCurve.COLUMNS)
    assert curve["epoch"].tolist() == [1, 2, 3, 4]
    assert curve[["test_P", "test_R", "test_F1", "test_F1_paper"]].apply(lambda c: c.between(0, 1)).all().all()
    # the row of the selected epoch is the selected model's test score
    sel = curve.set_index("epoch").loc[res.metrics["selected_epoch"]]
    assert sel["test_F1"] == pytest.approx(res.metrics["test"]["strict"]["f1"])


def test_no_curve_unless_asked_or_full_profile(tmp_path):
    cfg = tiny_config(epochs=1)
    train(cfg, tmp_path / "q", prepared=tiny_prepared(cfg))
    assert not (tmp_path / "q" / "test_curve.csv").exists()
    assert tiny_config(profile="full").writes_test_curve and not tiny_config(profile="quick").writes_test_curve


def test_resumed_run_keeps_its_curve_whole(tmp_path):
    full = _run(tmp_path, "full")
    _interrupted_after_epoch_2(tmp_path, "cut")
    resumed = _run(tmp_path, "cut")
    pd.testing.assert_frame_equal(pd.read_csv(full.out_dir / "test_curve.csv"),
                                  pd.read_csv(resumed.out_dir / "test_curve.csv"))


@pytest.mark.parametrize("tamper", ["delete", "change"])
def test_changing_or_deleting_the_curve_changes_no_result(tmp_path, tamper):
    """Interrupt after epoch 2, tamper with the curve, resume: every result equals an untouched run's."""
    reference = _run(tmp_path, "ref")
    _interrupted_after_epoch_2(tmp_path, "t")
    curve = tmp_path / "t" / "test_curve.csv"
    if tamper == "delete":
        curve.unlink()
    else:  # a curve that would make epoch 1 the best on test
        curve.write_text("epoch,test_P,test_R,test_F1,test_F1_paper\n1,1,1,1,1\n2,0,0,0,0\n")
    tampered = _run(tmp_path, "t")
    assert _results(tampered.out_dir) == _results(reference.out_dir)
