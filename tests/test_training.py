"""Training: overfitting, determinism, resume, safe checkpoints, non-finite loss."""

from __future__ import annotations

import json
import sys
from types import SimpleNamespace

import numpy as np
import pandas as pd
import pytest
import torch

from _tiny import sentences, tiny_config, tiny_prepared
from rinlib import batching
from rinlib.checkpoint import CheckpointError, load_checkpoint, load_model
from rinlib.predict import encode, predict, read_predictions
from rinlib.training import TrainingError, train


def test_tiny_model_overfits_twenty_sentences(tmp_path):
    """20 training sentences, scored on themselves, reach strict F1 = 1.0 within 60 epochs (how fast
    is the benchmark's business: a wall-clock bound here fails on a loaded machine, not on a bug)."""
    cfg = tiny_config(epochs=60, lr=1e-2, dropout=0.0, lstm_hidden=64, pair_dim=64, patience=None)
    prep = tiny_prepared(cfg, train_on_dev=True)
    res = train(cfg, tmp_path, prepared=prep)
    assert res.metrics["dev"]["strict"]["f1"] == 1.0
    assert res.history["dev_F1"].max() == 1.0


def _two_runs_same(tmp_path, **kw):
    cfg = tiny_config(**kw)
    a = train(cfg, tmp_path / "a", prepared=tiny_prepared(cfg))
    b = train(cfg, tmp_path / "b", prepared=tiny_prepared(cfg))
    return a, b


def test_same_seed_same_numbers(tmp_path):
    a, b = _two_runs_same(tmp_path, epochs=2, seed=3)
    cols = ["loss", "loss_entity", "loss_relation", "dev_F1"]
    pd.testing.assert_frame_equal(a.history[cols], b.history[cols])
    assert a.metrics["test"] == b.metrics["test"]
    c = train(tiny_config(epochs=2, seed=4), tmp_path / "c", prepared=tiny_prepared(tiny_config(seed=4)))
    assert not np.allclose(a.history["loss"], c.history["loss"])


def test_resume_after_interruption_gives_the_uninterrupted_result(tmp_path):
    cfg = tiny_config(epochs=3, seed=5)
    full = train(cfg, tmp_path / "full", prepared=tiny_prepared(cfg))

    def stop_after_two(row):
        if row["epoch"] == 2:
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        train(cfg, tmp_path / "cut", prepared=tiny_prepared(cfg), on_epoch=stop_after_two)
    assert not (tmp_path / "cut" / "metrics.json").exists()
    assert load_checkpoint(tmp_path / "cut" / "checkpoint.pt")["state"]
    resumed = train(cfg, tmp_path / "cut", prepared=tiny_prepared(cfg))
    assert len(resumed.history) == 3
    pd.testing.assert_frame_equal(full.history.drop(columns=["train_time_s", "epoch_time_s"]),
                                  resumed.history.drop(columns=["train_time_s", "epoch_time_s"]))
    assert full.metrics["test"] == resumed.metrics["test"]
    trained_by = json.loads((tmp_path / "cut" / "provenance.json").read_text())["trained_by"]
    assert [s["from_epoch"] for s in trained_by] == [1]  # same code, same machine: one session


def test_provenance_names_each_machine_a_resumed_run_trained_on(tmp_path, monkeypatch):
    from rinlib import provenance

    cfg = tiny_config(epochs=2, seed=5)

    def stop_after_one(row):
        if row["epoch"] == 1:
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        train(cfg, tmp_path, prepared=tiny_prepared(cfg), on_epoch=stop_after_one)
    here = provenance.device_name("cpu")
    monkeypatch.setattr(provenance, "device_name", lambda device="cpu": "Another CPU (1 threads)")
    train(cfg, tmp_path, prepared=tiny_prepared(cfg))
    trained_by = json.loads((tmp_path / "provenance.json").read_text())["trained_by"]
    assert [(s["device_name"], s["from_epoch"]) for s in trained_by] == [(here, 1), ("Another CPU (1 threads)", 2)]


def test_schedule_can_be_extended_without_retraining(tmp_path):
    """A 2-epoch run continued as a 3-epoch run equals a 3-epoch run from scratch."""
    three = tiny_config(epochs=3, seed=6)
    full = train(three, tmp_path / "full", prepared=tiny_prepared(three))
    two = tiny_config(epochs=2, seed=6)
    train(two, tmp_path / "ext", prepared=tiny_prepared(two))
    extended = train(three, tmp_path / "ext", prepared=tiny_prepared(three))
    drop = ["train_time_s", "epoch_time_s"]
    pd.testing.assert_frame_equal(full.history.drop(columns=drop), extended.history.drop(columns=drop))
    assert extended.metrics["key"] == three.key()
    with pytest.raises(TrainingError, match="past this config"):
        train(two, tmp_path / "ext", prepared=tiny_prepared(two))


def test_interrupted_run_closed_early_can_be_reloaded(tmp_path):
    """A 3-epoch run interrupted after epoch 2 is closed as a 2-epoch run (no epoch trains),
    and that closed run can be opened again (its checkpoint still carries the old key)."""
    three, two = tiny_config(epochs=3, seed=7), tiny_config(epochs=2, seed=7)

    def stop_after_two(row):
        if row["epoch"] == 2:
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        train(three, tmp_path, prepared=tiny_prepared(three), on_epoch=stop_after_two)
    closed = train(two, tmp_path, prepared=tiny_prepared(two))
    again = train(two, tmp_path, prepared=tiny_prepared(two))
    assert closed.metrics == again.metrics and closed.metrics["epochs_run"] == 2


def test_checkpoint_of_another_config_is_refused(tmp_path):
    cfg = tiny_config(epochs=1)
    train(cfg, tmp_path, prepared=tiny_prepared(cfg))
    other = tiny_config(epochs=1, lr=1e-3)
    with pytest.raises(TrainingError, match="belongs to config"):
        train(other, tmp_path, prepared=tiny_prepared(other))


def test_save_load_same_predictions_and_safe_formats(tmp_path):
    cfg = tiny_config(epochs=2)
    prep = tiny_prepared(cfg)
    res = train(cfg, tmp_path, prepared=prep)
    # weights_only loading of the resume checkpoint
    ck = torch.load(tmp_path / "checkpoint.pt", weights_only=True)
    assert set(ck) >= {"model", "optimizer", "rng_cpu", "state", "key"}
    model, meta = load_model(tmp_path / "model.safetensors")
    assert meta["relations"] == prep.relations and meta["words"] == prep.words
    test = sentences("test")
    preds = predict(model, encode(test, meta["words"], meta["pos"], meta["relations"]), meta["relations"])
    _, saved = read_predictions(tmp_path / "predictions_test.jsonl")
    assert [p.tags for p in preds] == [p.tags for p in saved]
    assert [[(i, j, r) for i, j, r, _ in p.pairs] for p in preds] == \
           [[(i, j, r) for i, j, r, _ in p.pairs] for p in saved]
    metrics = json.loads((tmp_path / "metrics.json").read_text())
    assert metrics["selection"] == "dev F1 (strict)" and metrics == res.metrics
    prov = json.loads((tmp_path / "provenance.json").read_text())
    assert {"commit", "torch", "device_name", "glove_coverage"} <= set(prov)


def test_corrupted_or_missing_model_file_gives_clear_error(tmp_path):
    bad = tmp_path / "model.safetensors"
    bad.write_bytes(b"not a model at all")
    with pytest.raises(CheckpointError, match="model.safetensors"):
        load_model(bad)
    with pytest.raises(CheckpointError, match="not found"):
        load_model(tmp_path / "missing.safetensors")
    (tmp_path / "checkpoint.pt").write_bytes(b"garbage")
    with pytest.raises(CheckpointError, match="checkpoint.pt"):
        load_checkpoint(tmp_path / "checkpoint.pt")


def test_non_finite_loss_stops_with_a_clear_message(tmp_path):
    cfg = tiny_config(epochs=1)
    prep = tiny_prepared(cfg)
    prep.vectors[:] = np.nan
    with pytest.raises(TrainingError, match="non-finite loss"):
        train(cfg, tmp_path, prepared=prep)


def test_an_untrained_models_pair_flood_is_capped_with_a_warning():
    """Every pair above the threshold (bias +5): predict warns and keeps, per sentence, every
    pair between decoded anchors (strict decoding is unchanged) plus the max_pairs(n)
    best of the others, in (i, j, t) order, instead of n·n·R pairs."""
    from rinlib.metrics import TAGS, triples_strict
    from rinlib.model import build_model
    from rinlib.predict import anchor_mask, max_pairs

    cfg = tiny_config()
    prep = tiny_prepared(cfg)
    torch.manual_seed(0)
    model = build_model(cfg, len(prep.words), len(prep.pos), len(prep.relations))
    with torch.no_grad():
        model.C_r.W_r.bias.fill_(5.0)
    enc = encode(prep.dev, prep.words, prep.pos, prep.relations)
    with pytest.warns(RuntimeWarning, match="more than max_pairs"):
        preds = predict(model, enc, prep.relations)
    rel_id = {r: t for t, r in enumerate(prep.relations)}
    R = len(prep.relations)
    model.eval()
    for e, p in zip(enc, preds):
        n = len(e.words)
        b = next(iter(batching.batches([e], 1, shuffle=False)))
        with torch.no_grad():
            probs = torch.sigmoid(model(b.words, b.pos, b.lengths, b.mask).rel_logits[0])
        tags = torch.tensor([[TAGS.index(t) for t in p.tags]])
        anchors = anchor_mask(tags, torch.tensor([n]))[0]
        both = anchors[:, None] & anchors[None, :]
        n_protected = int(both.sum()) * R
        keys = [(i, j, rel_id[r]) for i, j, r, _ in p.pairs]
        assert keys == sorted(keys)
        assert len(p.pairs) == n_protected + min(max_pairs(n), n * n * R - n_protected)
        # strict decoding sees every pair it would see without the cap
        full = [(i, j, prep.relations[t], float(probs[i, j, t])) for i, j in both.nonzero().tolist() for t in range(R)]
        assert triples_strict(p.tags, p.pairs) == triples_strict(p.tags, full)
        # the kept others are the best others
        others = [s for i, j, _, s in p.pairs if not both[i, j]]
        left_out = probs[~both].flatten().sort(descending=True).values[len(others):]
        assert not others or not len(left_out) or float(left_out[0]) <= min(others) + 1e-6


def test_progress_bars_only_where_someone_watches(tmp_path, capsys, monkeypatch):
    """A run redirected to a log (stderr not a terminal) writes no tqdm bars; a Jupyter kernel
    or a terminal gets them."""
    from rinlib.io import watched

    cfg = tiny_config(epochs=1, progress=True)
    train(cfg, tmp_path, prepared=tiny_prepared(cfg))
    assert "it/s" not in capsys.readouterr().err
    assert watched() is False and watched(True) is True
    kernel = SimpleNamespace(get_ipython=lambda: SimpleNamespace(kernel=object()))  # what a Jupyter kernel has
    monkeypatch.setitem(sys.modules, "IPython", kernel)
    assert watched() is True and watched(False) is False


def test_training_needs_no_nltk_or_notebook_stack_when_the_data_are_tagged_already():
    """A machine without NLTK or IPython (a lent GPU box) trains from the tagged data cache: the
    tagger and the raw-text tokeniser import NLTK only when used, the CLI imports the report's
    plotting stack only for ``report``."""
    import subprocess

    code = ("import sys; sys.modules['nltk'] = sys.modules['IPython'] = None; "
            "import rinlib.__main__, rinlib.training, rinlib.inference, rinlib.runs.local")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    code = "import sys; sys.modules['nltk'] = None; from rinlib.data.pos import tag_pos; tag_pos(['a'])"
    assert subprocess.run([sys.executable, "-c", code], capture_output=True).returncode != 0  # used: needed
