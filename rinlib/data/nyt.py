"""NYT specifics: the missing training split, the ``nyt-proxy`` split, full spans for NYT*.

* The NYT training split (56,195 sentences) is larger than anything the kit's snapshot store
  keeps, so the kit cannot ship it. A user who has it points an environment variable (or a
  path argument) at it; the file is verified by its git blob SHA-1 (the identity recorded in
  ``data/README.md``, checkable with ``git hash-object``).
* ``nyt-proxy`` trains on NYT dev instead: a FIXED split of dev into 4,500 train sentences and
  the rest for model selection, by a seeded permutation with :data:`NYT_PROXY_SEED`. Test is
  the real NYT test. Numbers from it are proxy numbers, never the paper's setting.
* NYT* gives only last words; NYT-exact_CopyRE-raw holds the same sentences with full
  mentions, so :func:`attach_full_spans` gives each NYT* triple the full mentions of the
  exact record's own mention of that triple (docs/spec.md §2: BIOES tags full spans even for
  the partial task).
"""

from __future__ import annotations

import hashlib
import os
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import numpy as np

from rinlib.data.errors import DataError, SkipLog
from rinlib.data.readers import find_all, fold, read_records
from rinlib.records import Sentence, Span, Triple, anchor

NYT_PROXY_SEED = 20201116
"""Seed of the nyt-proxy permutation (EMNLP 2020's first day). Changing it changes the proxy."""
NYT_PROXY_TRAIN = 4500


@dataclass(frozen=True)
class MissingTrain:
    """Where a training split the kit cannot ship comes from and how it is identified."""

    env: str
    file: str
    source: str
    git_sha1: str
    fmt: str


MISSING_TRAIN: dict[tuple[str, str], MissingTrain] = {
    ("nyt", "partial"): MissingTrain(
        "RIN_NYT_TRAIN", "train_triples.json", "hy-struggle/PRGC@8bbaf34 data/NYT-star/train_triples.json"
        " (same blob in ssnvxia/OneRel, neukg/BiRTE datasets/NYT_star/train.json)",
        "fa19372b0fb2b433879dbae7e251d754f38bb6db", "casrel"),
    ("nyt", "exact"): MissingTrain(
        "RIN_NYT_EXACT_TRAIN", "train.json", "DianboWork/SPN4RE@4b94476 data/NYT/exact_data/train.json",
        "dfde22597765e9176691e89e2ee5cfb6fa242d17", "copyre_raw"),
    ("nyt10", "exact"): MissingTrain(
        "RIN_NYT10_TRAIN", "train.json", "neukg/BiRTE@c135841 datasets/NYT10/train.json",
        "059278e729004f4b7ff79aa6ccd2065f1c44f9d3", "casrel"),
    ("nyt11", "exact"): MissingTrain(
        "RIN_NYT11_TRAIN", "train.json", "neukg/BiRTE@c135841 datasets/NYT11/train.json",
        "25a1c4ede5a7736e1d0270affb814cda42420995", "casrel"),
}


def git_blob_sha1(path: str | Path) -> str:
    """``git hash-object``: sha1 of ``b"blob <size>\\0" + content``."""
    data = Path(path).read_bytes()
    return hashlib.sha1(b"blob %d\0" % len(data) + data).hexdigest()


def missing_train(name: str, task: str) -> MissingTrain:
    """The record of the missing training split of an NYT data set (nyt10/nyt11: any task)."""
    key = (name, task if name == "nyt" else "exact")
    if key not in MISSING_TRAIN:
        raise ValueError(f"no missing-train record for {name!r}/{task!r}")
    return MISSING_TRAIN[key]


def resolve_train_file(name: str, task: str, path: str | Path | None = None) -> Path:
    """The user's copy of a missing NYT training split, checksum-verified.

    Looks at ``path``, then the environment variable. Absent → :class:`DataError` naming the
    expected file, its source, the variable and the SHA-1, and pointing at ``nyt-proxy``.
    """
    m = missing_train(name, task)
    given = path or os.environ.get(m.env)
    if not given:
        raise DataError(
            f"the {name} {task} training split is not shipped (it is larger than the kit's sources"
            f" keep). Get {m.file} from {m.source} and set {m.env}=/path/to/{m.file} (or pass its"
            f" path); it is verified by git blob SHA-1 {m.git_sha1}. Without it, use the"
            f" 'nyt-proxy' data set (trained on NYT dev, tested on NYT test; a labelled proxy).",
            file=f"${m.env} -> {m.file}", field="train split")
    p = Path(given)
    if not p.is_file():
        raise DataError(f"{m.env} points to a missing file (expected {m.file} from {m.source})",
                        file=p, field="train split")
    got = git_blob_sha1(p)
    if got != m.git_sha1:
        raise DataError(f"git blob SHA-1 {got} != expected {m.git_sha1} ({m.file} from {m.source})",
                        file=p, field="<checksum>")
    return p


def nyt_proxy_split(n: int, seed: int = NYT_PROXY_SEED, n_train: int = NYT_PROXY_TRAIN
                    ) -> tuple[list[int], list[int]]:
    """Fixed (train, model-selection) index lists over ``n`` NYT dev sentences, each sorted.

    The first ``n_train`` positions of ``default_rng(seed).permutation(n)`` are train.
    """
    if not 0 < n_train < n:
        raise ValueError(f"n_train={n_train} must be between 0 and n={n}")
    perm = np.random.default_rng(seed).permutation(n)
    return sorted(int(i) for i in perm[:n_train]), sorted(int(i) for i in perm[n_train:])


# --------------------------------------------------------------------------- NYT* full spans

def _squash(s: str) -> str:
    """Whitespace removed and accents folded: how NYT* and exact texts are compared."""
    return fold("".join(s.split()))


def _align(star: list[Sentence], exact: list[dict[str, Any]], window: int = 50) -> list[int | None]:
    """For each NYT* sentence, the index of the exact record with the same whitespace-free text.

    Order is shared (docs/spec.md §2: test 5000/5000; NYT* dev lacks exact-dev line 1260), so a
    forward search from the last match suffices.
    """
    keys = [_squash(r.get("sentText", "")) for r in exact]
    out: list[int | None] = []
    j = 0
    for s in star:
        k = _squash(" ".join(s.tokens))
        hit = next((jj for jj in range(j, min(j + window, len(keys))) if keys[jj] == k), None)
        out.append(hit)
        if hit is not None:
            j = hit + 1
    return out


def _full_span(tokens: list[str], word: str, mentions: list[str]) -> Span | None:
    """First occurrence of ``word`` at which one of ``mentions`` ends (:func:`_squash` match)."""
    for a in (s[0] for s in find_all(tokens, [word])):
        for m in mentions:
            target, acc = _squash(m), ""
            for k in range(a, -1, -1):
                acc = _squash(tokens[k]) + acc
                if acc == target:
                    return k, a + 1
                if len(acc) >= len(target):
                    break
    return None


def _own_mention_spans(tokens: list[str], subj_word: str, rel: str, obj_word: str,
                       mentions: list[dict[str, Any]]) -> tuple[Span, Span] | None:
    """Full spans of the exact record's own mention of one NYT* triple, or None.

    Why: a sentence can hold two triples of one relation whose arguments share a last word
    ("Florida contains Boynton Beach" beside "New York contains Westhampton Beach"); a
    mention picked by relation and role alone can then be the other triple's. The own mention
    has the triple's relation and both arguments ending in its last words, each placed at the
    first occurrence of its last word where it ends. Several can qualify (NYT* keeps one
    triple for exact triples that differ only before their last words, e.g. "Asia contains
    South Korea" and "... North Korea"); the one placed first in the sentence (subject, then
    object) is taken, the choice the first-occurrence rule makes, with subject and object
    from one real triple.
    """
    placed = []
    for m in mentions:
        em1, em2 = m.get("em1Text", ""), m.get("em2Text", "")
        if not (m.get("label") == rel and _squash(em1).endswith(_squash(subj_word))
                and _squash(em2).endswith(_squash(obj_word))):
            continue
        subj, obj = _full_span(tokens, subj_word, [em1]), _full_span(tokens, obj_word, [em2])
        if subj is not None and obj is not None:
            placed.append((subj, obj))
    return min(placed, key=lambda p: (anchor(p[0]), anchor(p[1])), default=None)


def attach_full_spans(star: list[Sentence], exact_path: Path, skips: SkipLog | None = None
                      ) -> tuple[list[Sentence], dict[str, Any]]:
    """NYT* sentences whose triple arguments get the full mention of the aligned exact record.

    Each triple takes the spans of the record's own mention of it (:func:`_own_mention_spans`).
    Without one, each argument (last word ``w``) falls back to mentions of the same role and
    relation, then any mention of the sentence; the first occurrence of ``w`` where a mention
    ends wins (so "Buck" of "Jack Buck" is not confused with "Joe Buck"). Arguments with no
    matching mention keep the last word, flagged ``last_word_only``. Returns the sentences and
    a coverage report (``own_mention``: arguments placed by their triple's own mention).
    """
    skips = skips if skips is not None else SkipLog()
    exact = read_records(exact_path)
    links = _align(star, exact)
    rep = {"sentences": len(star), "aligned": sum(i is not None for i in links), "arguments": 0,
           "full_span": 0, "own_mention": 0, "multi_token": 0, "last_word_only": 0, "anchor_moved": 0,
           "exact_file": str(exact_path)}
    out = []
    for s, j in zip(star, links):
        rms = exact[j].get("relationMentions", []) if j is not None else []
        anyment = [m.get(k, "") for m in rms for k in ("em1Text", "em2Text")]
        triples, flags = [], {}
        for t in s.triples:
            words = (s.tokens[t.subj[1] - 1], s.tokens[t.obj[1] - 1])
            own = _own_mention_spans(s.tokens, words[0], t.rel, words[1], rms)
            rep["own_mention"] += 2 * (own is not None)
            args = []
            for k, (span, key) in enumerate(((t.subj, "em1Text"), (t.obj, "em2Text"))):
                same = [m.get(key, "") for m in rms if m.get("label") == t.rel]
                hit = own[k] if own is not None else (_full_span(s.tokens, words[k], same)
                                                      or _full_span(s.tokens, words[k], anyment))
                rep["arguments"] += 1
                if hit is None:
                    new = span
                    flags[new] = "last_word_only"
                    rep["last_word_only"] += 1
                else:
                    new = hit
                    flags[new] = "recovered"
                    rep["full_span"] += 1
                    rep["multi_token"] += new[1] - new[0] > 1
                    rep["anchor_moved"] += new[1] != span[1]
                args.append(new)
            triples.append(Triple(args[0], t.rel, args[1]))
        out.append(replace(s, triples=triples, entities=[], span_flags=flags))
    rep["full_span_frac"] = rep["full_span"] / max(rep["arguments"], 1)
    if rep["aligned"] < len(star):
        skips.note("nyt_star_unaligned_sentences", len(star) - rep["aligned"])
    return out, rep
