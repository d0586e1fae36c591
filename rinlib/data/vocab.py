"""Vocabularies: words (from TRAIN only), POS tags (fixed), relations (fixed per data set).

The word vocabulary is built from the training split alone so that no dev/test word gets a
trained row: :func:`build_word_vocab` refuses any sentence whose ``sid`` is not a train sid.
Words keep their case (the model sees "Apple" and "apple" apart, as the authors' vocab does);
only the GloVe lookup lower-cases (:mod:`rinlib.data.embeddings`).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

from rinlib.data.errors import DataError
from rinlib.data.pos import pos_classes
from rinlib.data.readers import DATA_DIR, load_relations, read_records
from rinlib.records import Sentence

PAD, UNK = "<pad>", "<unk>"


class Vocab:
    """String ↔ id map with ``<pad>`` = 0 and ``<unk>`` = 1; JSON-safe via to_dict/from_dict."""

    def __init__(self, items: Iterable[str] = ()) -> None:
        self.itos: list[str] = [PAD, UNK]
        self.stoi: dict[str, int] = {PAD: 0, UNK: 1}
        for w in items:
            if w not in self.stoi:
                self.stoi[w] = len(self.itos)
                self.itos.append(w)

    def __len__(self) -> int:
        return len(self.itos)

    def __contains__(self, w: str) -> bool:
        return w in self.stoi

    def encode(self, tokens: Sequence[str]) -> list[int]:
        """Ids of tokens; unknown tokens map to ``<unk>`` (1)."""
        return [self.stoi.get(t, 1) for t in tokens]

    def decode(self, ids: Sequence[int]) -> list[str]:
        return [self.itos[i] for i in ids]

    def to_dict(self) -> dict[str, Any]:
        return {"itos": list(self.itos)}

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> "Vocab":
        itos = d["itos"]
        if itos[:2] != [PAD, UNK]:
            raise ValueError(f"a Vocab starts with {PAD!r}, {UNK!r}; got {itos[:2]}")
        return cls(itos[2:])


def build_word_vocab(train_sentences: Sequence[Sentence], min_count: int = 1) -> Vocab:
    """Word vocabulary of the TRAIN split, most frequent first (ties alphabetical).

    Raises ``ValueError`` if any sentence is not from a train split (``sid`` ``*/train/*``):
    building from dev or test would leak evaluation words into trained rows.
    """
    bad = [s.sid for s in train_sentences if s.sid.split("/")[-2:-1] != ["train"]]
    if bad:
        raise ValueError(f"build_word_vocab takes train sentences only; got sid {bad[0]!r} "
                         f"({len(bad)} non-train sentences)")
    counts = Counter(t for s in train_sentences for t in s.tokens)
    words = sorted((w for w, c in counts.items() if c >= min_count), key=lambda w: (-counts[w], w))
    return Vocab(words)


def pos_vocab() -> Vocab:
    """The fixed POS vocabulary: ``<pad>``, ``<unk>`` + the tagger's 45 Penn Treebank tags."""
    return Vocab(pos_classes())


# Relation inventory per kit data set: a rel2id file (id order), or, for the ETL-Span release
# that ships none, the sorted union of labels over its three splits (216, = TPLinker's rel2id).
_REL2ID = {
    "webnlg": "WebNLG-star_CasRel/rel2id.json",
    "nyt": "NYT-star_CasRel/rel2id.json",
    "nyt-proxy": "NYT-star_CasRel/rel2id.json",
    "nyt10": "NYT10-HRL_BiRTE/rel2id.json",
    "nyt11": "NYT11-HRL_BiRTE/rel2id.json",
}
_JOINTER = "WebNLG-exact_JointER"


def relations(dataset: str, root: str | Path | None = None) -> list[str]:
    """Relation labels of a kit data set in a fixed order (webnlg 171, webnlg-etl 216, nyt 24,
    nyt10 29, nyt11 12): index = relation id in the model's C_r output."""
    raw = Path(root) if root is not None else DATA_DIR / "raw"
    if dataset in _REL2ID:
        return load_relations(raw / _REL2ID[dataset])
    if dataset == "webnlg-etl":
        labels: set[str] = set()
        for split in ("train", "dev", "test"):
            path = raw / _JOINTER / f"{split}.json"
            for i, rec in enumerate(read_records(path)):
                try:
                    labels.update(d[3] for d in rec["spo_details"])
                except (KeyError, IndexError, TypeError):
                    raise DataError("expected spo_details rows of 7 fields", file=path, record=i,
                                    field="spo_details") from None
        return sorted(labels)
    raise ValueError(f"unknown dataset {dataset!r}")
