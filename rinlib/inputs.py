"""A run's inputs: its train/dev sentences, vocabularies (from train only), POS tags and
initial word vectors, from a named data set or from a user's own folder.

Why a module of its own: training, the sweep (which prepares once for runs that share data)
and the own-data path all need the same inputs, and none of them should import the others
to get them.

A user's folder is recognised by its config (:func:`is_user_config`): ``extra[USER_KEY]`` holds
the sha256 of each of its files (see :mod:`rinlib.userdata`).
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from pathlib import Path
from typing import Callable

import numpy as np

from rinlib import data
from rinlib.config import RunConfig
from rinlib.data.errors import DataError
from rinlib.data.folder import FolderData, describe, read_folder
from rinlib.records import Sentence

USER_KEY = "user_data"


def is_user_config(cfg: RunConfig) -> bool:
    """Whether a config trains on a user's folder (module doc)."""
    return USER_KEY in cfg.extra


def dataset_name(cfg: RunConfig) -> str:
    """What outputs call the data: ``user:<folder name>`` for a user's folder, else the data set's name."""
    return f"user:{Path(cfg.data_root or '?').name}" if is_user_config(cfg) else cfg.dataset


@dataclass
class Prepared:
    """Everything a run needs from the data layer, built once per (dataset, task, subset).

    ``load_test`` is called only after training, to score the dev-selected model; it returns
    None for a data set without a test split (a user's folder without ``test.json``).
    """

    train: list[Sentence]
    dev: list[Sentence]
    load_test: Callable[[], list[Sentence] | None]
    words: list[str]
    pos: list[str]
    relations: list[str]
    vectors: np.ndarray
    coverage: dict
    info: dict


def prepare_sentences(cfg: RunConfig, train: list[Sentence], dev: list[Sentence],
                      load_test: Callable[[], list[Sentence] | None], relations: list[str],
                      info: dict | None = None) -> Prepared:
    """Vocabularies from ``train`` only, POS vocabulary and word vectors, for any sentences
    (the kit's data sets, a user's own, or test fixtures)."""
    cfg = cfg.resolved()
    vocab = data.build_word_vocab(train)
    vectors, coverage = data.load_word_vectors(vocab, glove_path=cfg.glove_path, dim=cfg.word_dim,
                                               seed=cfg.seed, train_sentences=train, verbose=cfg.progress,
                                               vectors=cfg.vectors)
    return Prepared(train, dev, load_test, vocab.itos, data.pos_vocab().itos, list(relations), vectors,
                    coverage, info or {})


def prepare(cfg: RunConfig) -> Prepared:
    """Load the configured data set's train/dev (subsets per ``max_train``/``max_dev``), or a
    user's folder (:func:`is_user_config`)."""
    cfg = cfg.resolved()
    if is_user_config(cfg):
        return _prepare_folder(cfg)
    train = data.load_dataset(cfg.dataset, cfg.task, "train", root=cfg.data_root)[: cfg.max_train]
    dev = data.load_dataset(cfg.dataset, cfg.task, "dev", root=cfg.data_root)[: cfg.max_dev]
    return prepare_sentences(cfg, train, dev,
                             lambda: data.load_dataset(cfg.dataset, cfg.task, "test", root=cfg.data_root),
                             data.relations(cfg.dataset), data.dataset_info(cfg.dataset))


def scored_splits(cfg: RunConfig) -> dict[str, list[Sentence] | None]:
    """The sentences a run is scored on, as training scored them (``dev`` cut to ``max_dev``;
    ``test`` None without a test split), without building vocabularies or word vectors."""
    cfg = cfg.resolved()
    if is_user_config(cfg):
        folder = _checked_folder(cfg)
        return {"dev": folder.splits["dev"][: cfg.max_dev], "test": folder.splits.get("test")}
    return {"dev": data.load_dataset(cfg.dataset, cfg.task, "dev", root=cfg.data_root)[: cfg.max_dev],
            "test": data.load_dataset(cfg.dataset, cfg.task, "test", root=cfg.data_root)}


def _checked_folder(cfg: RunConfig) -> FolderData:
    """The run's folder, checked to hold the files its config was made from."""
    folder = read_folder(cfg.data_root or "")
    changed = sorted(k for k in set(folder.sha256) | set(cfg.extra[USER_KEY])
                     if folder.sha256.get(k) != cfg.extra[USER_KEY].get(k))
    if changed:
        raise DataError(f"{changed} changed since this run's config was made (sha256 differs); train it as a new "
                        "run (--restart, or another --out)", file=folder.folder)
    return folder


def _prepare_folder(cfg: RunConfig) -> Prepared:
    """The run's data from its folder (``max_train``/``max_dev`` subsets), checked to be the files its
    config was made from; ``info`` carries the folder, the file hashes and the data report."""
    cfg = cfg.resolved()
    folder = _checked_folder(cfg)
    test = folder.splits.get("test")
    user = {"name": dataset_name(cfg), "folder": str(folder.folder), "sha256": dict(folder.sha256)}
    # progress off: the coverage line is printed once, with the rest of the report (report_text)
    return prepare_sentences(replace(cfg, progress=False), folder.splits["train"][: cfg.max_train],
                             folder.splits["dev"][: cfg.max_dev], lambda: test, folder.relations,
                             {"user_data": user, "report": describe(folder)})
