"""Vocabularies (train only, <unk>) and word vectors (coverage, wrong dimension)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from rinlib.data.embeddings import load_word_vectors
from rinlib.data.errors import DataError
from rinlib.data.vocab import Vocab, build_word_vocab, pos_vocab, relations
from rinlib.records import Sentence

FIX = Path(__file__).parent / "fixtures" / "data"


def _s(sid: str, text: str) -> Sentence:
    return Sentence(sid, text.split(), [])


TRAIN = [_s("w/train/0", "Alan Bean is an astronaut ."), _s("w/train/1", "Bean flew on Apollo .")]


def test_vocab_from_train_only_and_unknown_words():
    v = build_word_vocab(TRAIN)
    assert v.itos[:3] == ["<pad>", "<unk>", "."] and "Bean" in v and "bean" not in v  # case kept
    assert v.encode(["Bean", "Zork"]) == [v.stoi["Bean"], 1]
    assert Vocab.from_dict(v.to_dict()).itos == v.itos and len(v) == 11
    with pytest.raises(ValueError, match="train sentences only.*w/dev/0"):
        build_word_vocab(TRAIN + [_s("w/dev/0", "leak")])
    assert len(build_word_vocab(TRAIN, min_count=2)) == 4  # pad, unk, ".", "Bean"


def test_fixed_inventories():
    assert len(pos_vocab()) == 47
    assert [len(relations(d)) for d in ("webnlg", "webnlg-etl", "nyt", "nyt10", "nyt11")] == [171, 216, 24, 29, 12]


def test_word_vectors_coverage_and_random_rows(capsys):
    v = build_word_vocab(TRAIN)
    m, cov = load_word_vectors(v, FIX / "glove_tiny.txt", dim=4, seed=0, train_sentences=TRAIN)
    assert m.shape == (len(v), 4) and not m[0].any()
    np.testing.assert_allclose(m[v.stoi["Bean"]], [-0.1, -0.2, -0.3, -0.4], rtol=1e-6)  # lower-cased lookup
    assert cov["covered"] == 3 and cov["token_coverage"] == pytest.approx(5 / 11)  # Alan, Bean x2, . x2
    assert cov["ceiling_full_glove_frac"] == 1.0 and len(cov["glove_sha256"]) == 64
    m2, _ = load_word_vectors(v, FIX / "glove_tiny.txt", dim=4, seed=0, verbose=False)
    np.testing.assert_array_equal(m, m2)  # seeded
    assert "GloVe coverage (glove_tiny.txt)" in capsys.readouterr().out


def test_shipped_glove_is_the_default(monkeypatch):
    monkeypatch.delenv("RIN_GLOVE", raising=False)
    _, cov = load_word_vectors(build_word_vocab(TRAIN), verbose=False)
    assert cov["glove_file"].endswith("glove.6B.100d.top2716.txt") and cov["glove_words_loaded"] >= 4  # is, an, on, .
    # recorded relative to the kit: the provenance of a committed run reads the same on every clone
    assert cov["glove_file"] == "data/embeddings/glove.6B.100d.top2716.txt"


def test_wrong_dimension_names_file_line_and_field(monkeypatch):
    monkeypatch.setenv("RIN_GLOVE", str(FIX / "bad" / "glove_wrong_dim.txt"))
    with pytest.raises(DataError, match=r"glove_wrong_dim.txt: record line 2, field vector of 'bean'.*3 values"):
        load_word_vectors(build_word_vocab(TRAIN), dim=4)


def test_vector_status_of_each_word_checks_the_runs_glove_file():
    from rinlib.data.embeddings import VECTOR_STATUS, vector_status
    from rinlib.io import sha256_file

    glove = FIX / "glove_tiny.txt"
    cov = {"glove_file": str(glove.relative_to(FIX.parents[2])), "glove_sha256": sha256_file(glove)}
    vocab = Vocab(["Bean", "astronaut", "Xqzvw"])
    got = vector_status(["Bean", "astronaut", "Xqzvw", "Moon"], vocab, cov, dim=4)  # kit-relative path found
    assert got == [VECTOR_STATUS[3],  # lower-cased lookup in the run's file
                   VECTOR_STATUS[1],  # in the train vocabulary, random row, full GloVe has it
                   VECTOR_STATUS[2],  # random row under any GloVe
                   VECTOR_STATUS[0]]  # not a train word: <unk>
    with pytest.raises(DataError, match="GloVe file this run was trained with"):
        vector_status(["Bean"], vocab, {**cov, "glove_sha256": "0" * 64}, dim=4)


def test_coverage_group_is_the_same_under_every_setting():
    """The recall-by-coverage groups depend on the word alone (and the train vocabulary), not on a
    run's vectors: one word of each group, GloVe lookup lower-cased."""
    from rinlib.data.embeddings import COVERAGE_GROUPS, coverage_group

    vocab = Vocab(["The", "astronaut", "Xqzvw"])
    assert coverage_group(["The", "astronaut", "Xqzvw", "Moon"], vocab) == [
        COVERAGE_GROUPS[3],  # among the 2,716 shipped words
        COVERAGE_GROUPS[1],  # only in full GloVe
        COVERAGE_GROUPS[2],  # in no GloVe
        COVERAGE_GROUPS[0]]  # not a train word
