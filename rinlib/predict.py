"""Logits → predictions, and the predictions file format.

One place for what a trained :class:`~rinlib.model.RIN` outputs as a
:class:`~rinlib.metrics.Prediction` (argmax BIOES tags + the pairs whose score reaches the
threshold), used by training (dev selection, the sealed test curve, a run's final scores),
inference, the analysis and the layer explorer:

* :func:`encode`: sentences → model inputs with a model's vocabularies;
* :func:`predict`: the model's output (its last layer), batched, with the :func:`max_pairs`
  cap on pairs strict decoding cannot use;
* :func:`operating_points`: a model's strict scores at every threshold of
  :data:`~rinlib.metrics.THRESHOLDS`, from one prediction pass per split;
* :func:`predict_layer`: one interaction layer's output (:mod:`rinlib.explorer`), only the
  pairs between decoded anchors;
* :func:`write_predictions` / :func:`read_predictions`: ``predictions_{dev,test}.jsonl``.

:mod:`rinlib.metrics` stays free of torch; the one tensor helper of decoding,
:func:`anchor_mask`, lives here.
"""

from __future__ import annotations

import json
import math
import warnings
from pathlib import Path
from typing import Mapping, Sequence

import pandas as pd
import torch
from torch import Tensor

from rinlib import batching
from rinlib.io import atomic_write_text
from rinlib.metrics import TAGS, THRESHOLDS, Prediction, decode_bioes, operating_curve
from rinlib.model import RIN
from rinlib.records import Sentence, anchor


def _ids(items: Sequence[str]) -> dict[str, int]:
    return {w: i for i, w in enumerate(items)}


def encode(sentences: Sequence[Sentence], words: Sequence[str], pos: Sequence[str],
           relations: Sequence[str]) -> list[batching.Encoded]:
    """Encode sentences with a model's vocabularies."""
    return batching.encode(sentences, _ids(words), _ids(pos), _ids(relations))


def anchor_mask(tags: Tensor, lengths: Tensor) -> Tensor:
    """(B, n) bool: True at the anchors (last words) of the spans decoded from each sentence's
    argmax tag ids: the only words whose pairs strict decoding can use."""
    mask = torch.zeros(tags.shape, dtype=torch.bool)
    for s, row in enumerate(tags.tolist()):
        for span in decode_bioes(row[: int(lengths[s])]):
            mask[s, anchor(span)] = True
    return mask


def max_pairs(n: int) -> int:
    """How many pairs above the threshold that strict decoding cannot use (not between two
    decoded entity anchors) :func:`predict` keeps for a sentence of n tokens.

    Why a cap: a trained model passes a handful of pairs per sentence (one per triple), but an
    untrained or diverged one passes about half of all n·n·R pairs (σ(0) = 0.5), and writing
    and scoring those takes gigabytes and minutes. Pairs between anchors are always kept (so
    strict results never change); of the others a sentence keeps its 10 per token (at least
    100) highest-scoring ones, far above any real sentence's triples, and :func:`predict` warns."""
    return max(100, 10 * n)


def _cap_hits(hits: Tensor, logits: Tensor, lengths: Tensor, tags: Tensor) -> tuple[Tensor, Tensor, int]:
    """Keep every hit between two decoded anchors and each sentence's ``max_pairs`` best other
    hits (original order); returns (hits, logits, number of sentences that were cut)."""
    cap = torch.tensor([max_pairs(int(n)) for n in lengths])
    if not bool((torch.bincount(hits[:, 0], minlength=len(lengths)) > cap).any()):
        return hits, logits, 0  # the usual case: no decoding needed
    anchors = anchor_mask(tags, lengths)
    protected = anchors[hits[:, 0], hits[:, 1]] & anchors[hits[:, 0], hits[:, 2]]
    free = (~protected).nonzero().squeeze(1)
    counts = torch.bincount(hits[free, 0], minlength=len(lengths))
    over = int((counts > cap).sum())
    order = free[torch.argsort(-logits[free], stable=True)]
    order = order[torch.argsort(hits[order, 0], stable=True)]  # by sentence, best first within it
    rank = torch.arange(len(order)) - (torch.cumsum(counts, 0) - counts)[hits[order, 0]]
    keep = torch.cat([protected.nonzero().squeeze(1), order[rank < cap[hits[order, 0]]]]).sort().values
    return hits[keep], logits[keep], over


def _predictions(tags: Tensor, lengths: Tensor, hits: Tensor, scores: Sequence[float], relations: Sequence[str],
                 threshold: float) -> list[Prediction]:
    """One :class:`Prediction` per batch row from its argmax tag ids (B, n, on the CPU) and the
    kept pairs: ``hits`` (h, 4) rows ``(sentence, i, j, relation)`` with their ``scores``.
    Shared by :func:`predict` and :func:`predict_layer`, so both decode the same way."""
    per_sentence: list[list] = [[] for _ in range(len(tags))]
    for (k, i, j, t), s in zip(hits.tolist(), scores):
        per_sentence[k].append((i, j, relations[t], s))
    return [Prediction([TAGS[t] for t in tags[k, : int(lengths[k])].tolist()], per_sentence[k], threshold)
            for k in range(len(tags))]


def predict(model: RIN, encoded: Sequence[batching.Encoded], relations: Sequence[str],
            batch_size: int = 256, threshold: float = 0.5) -> list[Prediction]:
    """Tags and thresholded pair scores for every sentence, in the order of ``encoded``
    (batched by a pair budget, at most ``batch_size`` sentences a batch). Of the pairs strict
    decoding cannot use, a sentence keeps at most :func:`max_pairs` (an untrained model's
    flood; a warning says how many sentences were cut)."""
    model.eval()
    with torch.inference_mode():  # not a decorator: the warning below must name the caller's line
        out, flooded = _predict_batches(model, encoded, relations, batch_size, threshold)
    if flooded:
        warnings.warn(f"{flooded} of {len(encoded)} sentences had more than max_pairs(n) = max(100, 10·n) pairs "
                      f"above the threshold {threshold} outside the decoded entities (an untrained or diverged "
                      "model?); each kept its highest-scoring ones (strict results are unaffected)",
                      RuntimeWarning, stacklevel=2)
    return out


def _predict_batches(model: RIN, encoded: Sequence[batching.Encoded], relations: Sequence[str],
                     batch_size: int, threshold: float) -> tuple[list[Prediction], int]:
    device = next(model.parameters()).device
    cut = math.log(threshold / (1 - threshold))  # σ(x) ≥ t  ⇔  x ≥ logit(t)
    out: list[Prediction | None] = [None] * len(encoded)
    flooded = 0
    for batch in batching.batches(encoded, batch_size, shuffle=False):
        b = batch.to(device)
        res = model(b.words, b.pos, b.lengths, b.mask)
        tags = res.tag_logits.argmax(-1).cpu()
        pair_real = (b.mask.unsqueeze(2) & b.mask.unsqueeze(1)).unsqueeze(-1)
        hits = ((res.rel_logits >= cut) & pair_real).nonzero()
        hits, logits, over = _cap_hits(hits.cpu(), res.rel_logits[tuple(hits.t())].float().cpu(), batch.lengths.cpu(),
                                       tags)
        flooded += over
        preds = _predictions(tags, batch.lengths, hits, torch.sigmoid(logits).tolist(), relations, threshold)
        for k, idx in enumerate(batch.index):
            out[idx] = preds[k]
    return out, flooded  # type: ignore[return-value]


def operating_points(model: RIN, splits: Mapping[str, Sequence[Sentence]], words: Sequence[str],
                     pos: Sequence[str], relations: Sequence[str], task: str) -> pd.DataFrame:
    """:func:`~rinlib.metrics.operating_curve` of each split, with a ``split`` column first: one
    prediction pass at the lowest of :data:`~rinlib.metrics.THRESHOLDS`, read at every one."""
    frames = [operating_curve(sents, predict(model, encode(sents, words, pos, relations), relations,
                                             threshold=min(THRESHOLDS)), task).assign(split=split)
              for split, sents in splits.items()]
    out = pd.concat(frames, ignore_index=True)
    return out[["split"] + [c for c in out.columns if c != "split"]]


def predict_layer(tag_probs: Tensor, rel_probs: Tensor, lengths: Tensor, relations: Sequence[str],
                  threshold: float) -> list[Prediction]:
    """One interaction layer's :class:`Prediction` per batch row, from that layer's tag
    distribution (B, n, 5) and pair probabilities (B, n, n, R) (:meth:`RIN.forward` with
    ``return_layers=True``): argmax tags and the pairs ≥ threshold whose two words are anchors
    of spans decoded at that layer.

    Why only anchor pairs (not :func:`predict`'s cap): they are exactly the pairs
    :func:`rinlib.metrics.triples_strict` can use, so every layer decodes to the same strict
    triples as :func:`predict` would give it, and an untrained layer whose scores hover around
    the threshold still yields few pairs."""
    tags = tag_probs.argmax(-1).cpu()
    anchors = anchor_mask(tags, lengths).to(rel_probs.device)
    keep = (rel_probs >= threshold) & (anchors[:, :, None] & anchors[:, None, :]).unsqueeze(-1)
    hits = keep.nonzero()
    scores = rel_probs[tuple(hits.t())].float().cpu().tolist()
    return _predictions(tags, lengths, hits.cpu(), scores, relations, threshold)


def write_predictions(path: Path, sentences: Sequence[Sentence], preds: Sequence[Prediction]) -> None:
    """One JSON line per sentence: sid, predicted tags and scored pairs (≥ threshold)."""
    lines = [json.dumps({"sid": s.sid, "tags": p.tags, "pairs": [list(x) for x in p.pairs]})
             for s, p in zip(sentences, preds)]
    atomic_write_text(path, "\n".join(lines) + "\n")


def read_predictions(path: Path, threshold: float = 0.5) -> tuple[list[str], list[Prediction]]:
    """Inverse of :func:`write_predictions`: (sids, predictions)."""
    sids, preds = [], []
    for line in Path(path).read_text().splitlines():
        if line.strip():
            d = json.loads(line)
            sids.append(d["sid"])
            preds.append(Prediction(d["tags"], [tuple(x) for x in d["pairs"]], threshold))
    return sids, preds
