"""Sentences → tensors, and length-bucketed batches in a seeded order.

Encoding happens once per data set (numpy arrays per sentence); a batch is assembled from
those arrays, so the training loop never stalls on Python-side work. Bucketing: the epoch's
seeded permutation is cut into chunks of ``batch_size × bucket_factor`` sentences, each chunk
is sorted by length and cut into batches, and the batch order is shuffled again. Padding (and
so the O(n²) pair tensor) stays close to each batch's real lengths while every epoch still
sees a different random grouping.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Iterator, Sequence

import numpy as np
import torch
from torch import Tensor

from rinlib.data import to_bioes
from rinlib.records import Sentence, anchor

TAG_IDS = {"O": 0, "B": 1, "I": 2, "E": 3, "S": 4}


@dataclass
class Encoded:
    """One sentence as id arrays."""

    index: int
    words: np.ndarray
    pos: np.ndarray
    tags: np.ndarray
    rels: np.ndarray  # (P, 3) rows (i, j, t) with i, j the anchors of subject and object


@dataclass
class Batch:
    """Padded tensors for a group of sentences (``index`` gives their positions in the data set)."""

    index: list[int]
    words: Tensor  # (B, n) long
    pos: Tensor  # (B, n) long
    lengths: Tensor  # (B,) long, on CPU (pack_padded_sequence wants it there)
    mask: Tensor  # (B, n) bool
    tags: Tensor  # (B, n) long
    rel_index: Tensor  # (P, 4) long: b, i, j, t

    def to(self, device: torch.device | str) -> "Batch":
        return Batch(self.index, self.words.to(device), self.pos.to(device), self.lengths,
                     self.mask.to(device), self.tags.to(device), self.rel_index.to(device))


def spans_to_tag_ids(n: int, spans: Sequence[tuple[int, int]]) -> np.ndarray:
    """BIOES tag ids for the given (non-overlapping) spans."""
    return np.array([TAG_IDS[t] for t in to_bioes(n, list(spans))], dtype=np.int64)


def encode(sentences: Sequence[Sentence], word_ids: dict[str, int], pos_ids: dict[str, int],
           rel_ids: dict[str, int]) -> list[Encoded]:
    """Encode sentences with the given vocabularies (unknown words/POS → id 1, ``<unk>``)."""
    out = []
    for k, s in enumerate(sentences):
        n = len(s.tokens)
        words = np.fromiter((word_ids.get(w, 1) for w in s.tokens), dtype=np.int64, count=n)
        tags_pos = s.pos if s.pos is not None else ["<unk>"] * n
        pos = np.fromiter((pos_ids.get(p, 1) for p in tags_pos), dtype=np.int64, count=n)
        rels = sorted({(anchor(t.subj), anchor(t.obj), rel_ids[t.rel]) for t in s.triples if t.rel in rel_ids})
        out.append(Encoded(k, words, pos, spans_to_tag_ids(n, s.entities),
                           np.array(rels, dtype=np.int64).reshape(-1, 3)))
    return out


def collate(items: Sequence[Encoded]) -> Batch:
    """Pad a group of encoded sentences into one batch."""
    B = len(items)
    n = max(len(e.words) for e in items)
    words = np.zeros((B, n), dtype=np.int64)
    pos = np.zeros((B, n), dtype=np.int64)
    tags = np.zeros((B, n), dtype=np.int64)
    lengths = np.zeros(B, dtype=np.int64)
    rel_rows = []
    for b, e in enumerate(items):
        m = len(e.words)
        words[b, :m], pos[b, :m], tags[b, :m], lengths[b] = e.words, e.pos, e.tags, m
        if len(e.rels):
            rel_rows.append(np.concatenate([np.full((len(e.rels), 1), b), e.rels], axis=1))
    rel_index = np.concatenate(rel_rows) if rel_rows else np.zeros((0, 4), dtype=np.int64)
    lengths_t = torch.from_numpy(lengths)
    mask = torch.arange(n).unsqueeze(0) < lengths_t.unsqueeze(1)
    return Batch([e.index for e in items], torch.from_numpy(words), torch.from_numpy(pos), lengths_t,
                 mask, torch.from_numpy(tags), torch.from_numpy(rel_index))


EVAL_PAIR_BUDGET = 50 * 32 * 32  # B·n² of an evaluation batch: the cost of the n×n×R logits


def _pair_budget_groups(lengths: np.ndarray, max_size: int) -> list[np.ndarray]:
    """Length-sorted groups whose padded pair count B·n² stays under :data:`EVAL_PAIR_BUDGET`
    (at most ``max_size`` sentences): short sentences go in big batches, long ones in small
    ones, so no batch is dominated by padding to one long sentence."""
    order = np.argsort(lengths, kind="stable")
    groups, start = [], 0
    for k in range(1, len(order) + 1):
        if k == len(order) or k - start >= max_size or (k - start + 1) * lengths[order[k]] ** 2 > EVAL_PAIR_BUDGET:
            groups.append(order[start:k])
            start = k
    return groups


def batches(data: Sequence[Encoded], batch_size: int, *, shuffle: bool, seed: int = 0, epoch: int = 0,
            bucket_factor: int = 50) -> Iterator[Batch]:
    """Yield batches; with ``shuffle`` the order depends only on (seed, epoch), so a resumed
    run sees exactly the batches an uninterrupted one would. Without ``shuffle`` (evaluation)
    sentences are grouped by length under a pair budget (``batch_size`` is then the largest
    group) and the original indices travel in ``Batch.index``.
    """
    lengths = np.array([len(e.words) for e in data])
    if shuffle:
        g = np.random.default_rng([seed, epoch])
        order = g.permutation(len(data))
        groups = []
        chunk = batch_size * bucket_factor
        for start in range(0, len(order), chunk):
            part = order[start:start + chunk]
            part = part[np.argsort(lengths[part], kind="stable")]
            groups += [part[i:i + batch_size] for i in range(0, len(part), batch_size)]
        groups = [groups[i] for i in g.permutation(len(groups))]
    else:
        groups = _pair_budget_groups(lengths, batch_size)
    for grp in groups:
        yield collate([data[i] for i in grp])
