"""Tiny WebNLG fixture (20 train / 10 dev / 10 test sentences, exact spans, POS tagged) and
small configs, shared by the model, training and inference tests."""

from __future__ import annotations

import json
from pathlib import Path

from rinlib.config import RunConfig
from rinlib.records import Sentence, sentence_from_dict
from rinlib.inputs import Prepared, prepare_sentences

FIXTURES = Path(__file__).parent / "fixtures" / "tiny"


def sentences(split: str) -> list[Sentence]:
    lines = (FIXTURES / f"webnlg_exact_{split}.jsonl").read_text().splitlines()
    return [sentence_from_dict(json.loads(x)) for x in lines if x.strip()]


def relations() -> list[str]:
    return json.loads((FIXTURES / "relations.json").read_text())


def tiny_config(**kw) -> RunConfig:
    """Small dims and few epochs: seconds on a CPU."""
    base = dict(dataset="webnlg", task="exact", K=2, epochs=2, lr=5e-3, pos_dim=4,
                lstm_hidden=16, pair_dim=16, dropout=0.1, patience=None, progress=False,
                profile="test", num_threads=1)
    base.update(kw)
    return RunConfig(**base)


def tiny_prepared(cfg: RunConfig, train_on_dev: bool = False) -> Prepared:
    train = sentences("train")
    dev = train if train_on_dev else sentences("dev")
    return prepare_sentences(cfg, train, dev, lambda: sentences("test"), relations(), {"name": "tiny fixture"})
