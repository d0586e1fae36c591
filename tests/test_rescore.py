"""Re-scoring finished runs (rinlib.runs.rescore) on a synthetic run directory: a corrected gold
changes the metrics, the selected epoch, predictions and history stay, the provenance says what
happened, a dry run and a second run write nothing, and predictions of other sentences are refused."""

from __future__ import annotations

import json

import pytest

from rinlib.config import RunConfig
from rinlib.data.bioes import to_bioes
from rinlib.metrics import Prediction, split_scores
from rinlib.predict import write_predictions
from rinlib.records import Sentence, Triple, anchor
from rinlib.runs import rescore as R

REL = "/location/location/contains"
TOKENS = "Westhampton Beach , New York and Boynton Beach , Florida".split()


def _gold(florida_beach: tuple[int, int]) -> list[Sentence]:
    """Two sentences; the first's "Florida contains ... Beach" object is the variable part."""
    first = Sentence("nyt/test/0", TOKENS, [Triple((9, 10), REL, florida_beach), Triple((3, 5), REL, (0, 2))])
    second = Sentence("nyt/test/1", "Hockenheim , Germany .".split(), [Triple((2, 3), REL, (0, 1))])
    return [first, second]


def _perfect(sents: list[Sentence]) -> list[Prediction]:
    """What a model that gets every triple right saves."""
    return [Prediction(to_bioes(len(s.tokens), s.entities),
                       [(anchor(t.subj), anchor(t.obj), t.rel, 0.9) for t in s.triples]) for s in sents]


@pytest.fixture
def run(tmp_path, monkeypatch):
    """A finished nyt-proxy partial run scored against the old gold (Westhampton Beach) whose
    predictions say Boynton Beach; the data loader now gives the corrected gold."""
    old, new = _gold((0, 2)), _gold((6, 8))
    out = tmp_path / "nyt-proxy" / "partial" / "rin" / "K4" / "seed1"
    out.mkdir(parents=True)
    cfg = RunConfig(dataset="nyt-proxy", task="partial")
    cfg.save(out / "config.yaml")
    preds = _perfect(new)
    metrics = {"key": cfg.key(), "selected_epoch": 47, "epochs_run": 77}
    for split in ("dev", "test"):
        write_predictions(out / f"predictions_{split}.jsonl", new, preds)
        metrics[split] = split_scores(old, preds, "partial")
    (out / "metrics.json").write_text(json.dumps(metrics, indent=2))
    (out / "provenance.json").write_text(json.dumps({"commit": "abc", "n_test": 2}))
    (out / "history.csv").write_text("epoch,dev_F1\n47,0.5\n")
    monkeypatch.setattr(R, "scored_splits", lambda cfg: {"dev": new, "test": new})
    return out


def _files(out) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(out.iterdir())}


def test_corrected_gold_changes_metrics_once_and_keeps_selection_and_predictions(run):
    root = run.parents[3]
    before = _files(run)
    (dry,) = R.rescore(root, dry_run=True)
    assert dry.changed and _files(run) == before  # a dry run writes nothing
    assert "would rewrite (dev, test changed)" in dry.line(root, dry_run=True)

    (done,) = R.rescore(root)
    assert done.old["test"]["strict"]["f1"] < 1.0 == done.new["test"]["strict"]["f1"]
    metrics = json.loads((run / "metrics.json").read_text())
    assert metrics["test"] == done.new["test"] and metrics["selected_epoch"] == 47 and metrics["epochs_run"] == 77
    after = _files(run)
    for kept in ("predictions_dev.jsonl", "predictions_test.jsonl", "history.csv", "config.yaml"):
        assert after[kept] == before[kept], kept
    prov = json.loads((run / "provenance.json").read_text())
    (note,) = prov["rescored"]
    assert prov["commit"] == "abc" and note["selected_epoch"] == 47
    assert note["old"]["test"] == done.old["test"] and note["new"]["test"] == done.new["test"]
    assert "first-occurrence" in note["training_data"] and note["commit"] and note["at"]

    (again,) = R.rescore(root)  # idempotent: nothing left to change, nothing written
    assert not again.changed and _files(run) == after
    assert again.line(root).endswith("unchanged")


def test_predictions_of_other_sentences_are_refused_naming_file_and_field(run):
    lines = (run / "predictions_test.jsonl").read_text().splitlines()
    (run / "predictions_test.jsonl").write_text("\n".join(lines[::-1]) + "\n")
    with pytest.raises(R.RescoreError, match=r"predictions_test.jsonl: field sid: line 1 is 'nyt/test/1'"):
        R.rescore_run(run)
    with pytest.raises(R.RescoreError, match="no such folder"):
        list(R.rescore(run / "absent"))
