"""One training serving both WebNLG tasks ("twins") must give exactly what two solo runs give."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from _tiny import sentences, tiny_config, tiny_prepared
from rinlib.inputs import prepare_sentences
from rinlib.training import TrainingError, train


def _cfgs(**kw):
    kw = {"epochs": 5, "patience": 2, "lr": 2e-2, **kw}
    return tiny_config(task="partial", **kw), tiny_config(task="exact", **kw)


def _summary(out: Path) -> tuple:
    m = json.loads((out / "metrics.json").read_text())
    preds = (out / "predictions_test.jsonl").read_text()
    hist = (out / "history.csv").read_text().splitlines()
    # history rows without the wall-clock columns
    rows = [",".join(r.split(",")[:-2]) for r in hist]
    return (m["key"], m["selected_epoch"], m["epochs_run"], m["dev"], m["test"], preds, rows)


def test_twin_training_equals_two_solo_runs(tmp_path: Path) -> None:
    part, exact = _cfgs()
    train(part, tmp_path / "solo_p", prepared=tiny_prepared(part))
    train(exact, tmp_path / "solo_e", prepared=tiny_prepared(exact))
    res = train(part, tmp_path / "joint_p", prepared=tiny_prepared(part),
                twins=[(exact, tmp_path / "joint_e", tiny_prepared(exact))])
    assert _summary(tmp_path / "joint_p") == _summary(tmp_path / "solo_p")
    assert _summary(tmp_path / "joint_e") == _summary(tmp_path / "solo_e")
    assert res.metrics["shared_training_with"] == ["../joint_e"]  # relative to the run directory
    twin = json.loads((tmp_path / "joint_e" / "metrics.json").read_text())
    assert twin["shared_training_with"] == ["../joint_p"]
    assert not (tmp_path / "joint_e" / "checkpoint.pt").exists()  # the trajectory lives with the primary


def test_interrupted_twin_training_resumes_to_the_same_result(tmp_path: Path) -> None:
    part, exact = _cfgs(patience=None, epochs=4)
    train(part, tmp_path / "solo_p", prepared=tiny_prepared(part))
    train(exact, tmp_path / "solo_e", prepared=tiny_prepared(exact))

    def stop(row: dict) -> None:
        if row["epoch"] == 2:
            raise KeyboardInterrupt

    twins = [(exact, tmp_path / "e", tiny_prepared(exact))]
    with pytest.raises(KeyboardInterrupt):
        train(part, tmp_path / "p", prepared=tiny_prepared(part), twins=twins, on_epoch=stop)
    train(part, tmp_path / "p", prepared=tiny_prepared(part), twins=twins)
    assert _summary(tmp_path / "p") == _summary(tmp_path / "solo_p")
    assert _summary(tmp_path / "e") == _summary(tmp_path / "solo_e")


def test_a_twin_with_other_data_or_config_is_refused(tmp_path: Path) -> None:
    part, exact = _cfgs()
    other = prepare_sentences(exact, sentences("train")[:-1], sentences("dev"), lambda: sentences("test"),
                              tiny_prepared(exact).relations)
    with pytest.raises(TrainingError, match="(training data|vocabularies|word-vector) .*differ"):
        train(part, tmp_path / "p", prepared=tiny_prepared(part), twins=[(exact, tmp_path / "e", other)])
    _, seed2 = _cfgs(seed=2)
    with pytest.raises(TrainingError, match="not a twin"):
        train(part, tmp_path / "p", prepared=tiny_prepared(part), twins=[(seed2, tmp_path / "e", None)])
