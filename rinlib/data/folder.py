"""A user's own data set: one folder of CasRel-style files, read, checked and described.

Layout (README "Your own data")::

    my_data/
      train.json      required   a JSON array of {"text": str, "triple_list": [[subject, relation, object], ...]}
      dev.json        required   (model selection)
      test.json       optional   (scored once, after training)
      relations.json  optional   the relation inventory: ["rel", ...] or {"rel": id}

Each split may be ``<split>.jsonl`` instead (the same records, one per line; JSON Lines is
also accepted under the ``.json`` name). ``text`` is split on whitespace; a subject or object
is the entity string as it occurs in those tokens, or ``{"text": str, "start": int}`` (0-based
offset of its first token) when the string occurs more than once in the sentence
(:func:`rinlib.data.readers.read_casrel`). Without ``relations.json`` the inventory is the
sorted set of train's labels.

Why the split of outcomes (:mod:`rinlib.data.errors`): a problem that makes a file
untrustworthy (missing file, invalid UTF-8, malformed JSON, missing or mistyped key, a
required split left empty) raises :class:`DataError` naming file, record and field; a problem
in one record (empty or over-long text, an entity not in its text, a relation outside the
inventory) is a counted skip, and a sentence of test or dev that is also in train is a
counted warning. The report (:func:`describe`) lists all of them.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from rinlib.data.errors import DataError, SkipLog
from rinlib.data.pos import tag_pos
from rinlib.data.readers import MAX_LEN, load_relations, read_casrel, read_json, read_records
from rinlib.data.stats import dataset_stats
from rinlib.io import sha256_file
from rinlib.records import Sentence

SPLITS = ("train", "dev", "test")
REQUIRED = ("train", "dev")
RELATIONS_FILE = "relations.json"
DATASET = "user"
"""The ``sid`` prefix of a user's sentences (``user/train/17`` = record 17 of the train file)."""


def split_files(folder: str | Path) -> dict[str, Path]:
    """The folder's files by role (``train``, ``dev``, ``test``, ``relations``); raises
    :class:`DataError` for a missing folder, a missing required split, or a split given twice."""
    folder = Path(folder)
    if not folder.is_dir():
        raise DataError("not a folder", file=folder)
    out: dict[str, Path] = {}
    for split in SPLITS:
        found = [folder / f"{split}{ext}" for ext in (".json", ".jsonl") if (folder / f"{split}{ext}").is_file()]
        if len(found) > 1:
            raise DataError(f"both {found[0].name} and {found[1].name}: keep one", file=folder, field=split)
        if found:
            out[split] = found[0]
        elif split in REQUIRED:
            raise DataError(f"required file missing ({split}.json or {split}.jsonl)", file=folder / f"{split}.json")
    if (folder / RELATIONS_FILE).is_file():
        out["relations"] = folder / RELATIONS_FILE
    return out


def fingerprint(folder: str | Path) -> dict[str, str]:
    """sha256 of each file the folder's data set is read from, by file name: what identifies the
    data of a run (its cache key) and what provenance records."""
    return {p.name: sha256_file(p) for p in split_files(folder).values()}


@dataclass
class FolderData:
    """A user's folder, read: POS-tagged sentences per split, the relation inventory, skips."""

    folder: Path
    sha256: dict[str, str]
    splits: dict[str, list[Sentence]]
    records: dict[str, int]
    relations: list[str]
    relations_source: str
    skips: dict[str, dict[str, Any]]
    repeated: dict[str, dict[str, Any]]


def _relations(files: dict[str, Path]) -> tuple[list[str], str]:
    """The inventory from ``relations.json`` (a list of labels, or a rel2id mapping), else train's labels."""
    if "relations" in files:
        path = files["relations"]
        data = read_json(path)
        if isinstance(data, list) and all(isinstance(r, str) for r in data):
            rels = list(data)
        else:
            rels = load_relations(path)
        if not rels or len(set(rels)) != len(rels):
            raise DataError("the inventory is empty or names a relation twice", file=path, field="<root>")
        return rels, RELATIONS_FILE
    labels = set()
    for rec in read_records(files["train"]):
        triples = rec.get("triple_list") if isinstance(rec, dict) else None
        for t in triples if isinstance(triples, list) else []:
            if isinstance(t, list) and len(t) == 3 and isinstance(t[1], str):
                labels.add(t[1])
    return sorted(labels), f"{files['train'].name} (sorted labels)"


def _repeated(splits: dict[str, list[Sentence]]) -> dict[str, dict[str, Any]]:
    """Sentences of dev and test whose tokens are also a train sentence (counted warnings: a
    model scored on sentences it trained on looks better than it is)."""
    train = {tuple(s.tokens) for s in splits["train"]}
    out = {}
    for split in ("dev", "test"):
        same = [s.sid for s in splits.get(split, []) if tuple(s.tokens) in train]
        out[f"{split}_in_train"] = {"count": len(same), "examples": same[:3]}
    return out


def read_folder(folder: str | Path, max_len: int = MAX_LEN) -> FolderData:
    """Read, check and POS-tag a user's folder (module doc); raises :class:`DataError`, else
    every dropped record or triple is counted in ``skips``."""
    folder = Path(folder)
    files = split_files(folder)
    relations, source = _relations(files)
    splits: dict[str, list[Sentence]] = {}
    records: dict[str, int] = {}
    skips: dict[str, dict[str, Any]] = {}
    for split in SPLITS:
        if split not in files:
            continue
        log = SkipLog()
        sents = read_casrel(files[split], dataset=DATASET, split=split, relations=relations, skips=log,
                            max_len=max_len)
        records[split] = len(read_records(files[split]))
        if split in REQUIRED and not sents:
            raise DataError(f"no usable sentence ({records[split]} records, {len(log)} skipped: "
                            f"{log.summary()['by_reason']})", file=files[split], field="<root>")
        splits[split] = [replace(s, pos=tag_pos(s.tokens)) for s in sents]
        skips[split] = log.summary()
    if not relations:
        raise DataError("no relation label in train and no relations.json", file=files["train"], field="triple_list")
    return FolderData(folder.resolve(), {p.name: sha256_file(p) for p in files.values()}, splits, records,
                      relations, source, skips, _repeated(splits))


def describe(data: FolderData) -> dict[str, Any]:
    """The data report (JSON-safe): files and their sha256, the inventory, per split the records,
    sentences, triples, overlap categories (Normal/EPO/SEO, :func:`rinlib.data.stats.dataset_stats`)
    and skips by reason, and the repeated-sentence warnings."""
    per_split = {}
    for split, sents in data.splits.items():
        st = dataset_stats(sents)
        per_split[split] = {"records": data.records[split], "sentences": st["sentences"], "triples": st["triples"],
                            "normal": st["normal"], "epo": st["epo"], "seo": st["seo"],
                            "relations_used": st["relations_used"], "multi_token_share": st["multi_token_share"],
                            "max_len": st["max_len"], "skipped": data.skips[split]["total"],
                            "skips": data.skips[split]}
    return {"folder": str(data.folder), "files": dict(data.sha256),
            "relations": {"count": len(data.relations), "source": data.relations_source},
            "splits": per_split, "warnings": data.repeated}
