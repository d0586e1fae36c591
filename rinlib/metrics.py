"""Triples and scores as pure functions (docs/spec.md §3): no torch, only plain triples and tags.

Two protocols are computed side by side and must never be confused:

``strict`` (the kit's headline)
    Decode entity spans from the predicted BIOES tags (:func:`decode_bioes`), then keep
    ``(s, r, o)`` for every ordered pair of decoded spans whose anchors ``(i, j)`` (last tokens)
    have ``y_(i,j)[r] >= threshold`` (:func:`triples_strict`). Gold triples use their true
    positions. Partial match compares ``(anchor(s), r, anchor(o))``, exact match
    ``(s, r, o)`` with full spans (:func:`match_key`).

``paper``
    The word-pair protocol of the authors' released evaluation (``evals.py`` + ``loader.py``
    of BDBC-KG-NLP/Recurrent_Interaction_Network_EMNLP2020), reproduced with its quirks
    (:func:`triples_paper`). It exists only to compare with the paper's numbers.

Precision, recall and F1 are fractions in [0, 1] (notebooks multiply by 100); any ratio with
a zero denominator is 0.0, so an empty test set or a silent system scores F1 = 0.0 rather than
raising. Everything is micro-averaged over sentences with gold triples de-duplicated.

Decisions (checked against the data, documented once here):

* subject == object is allowed in ``strict``: the gold files contain such triples (WebNLG*
  CopyRE positions: 84 of 1,591 test triples have the same anchor for both arguments; the
  exact WebNLG of JointER: 11 of 1,607 test triples have identical subject and object spans,
  e.g. "Amsterdam" cityServed "Amsterdam"), and the relation tensor has a diagonal, so a
  prediction at ``(i, i)`` yields ``(s, r, s)``.
* overlap categories identify an entity by its exact span, and an entity *pair* is
  unordered (see :func:`overlap_category`).
"""

from __future__ import annotations

import operator
from collections import Counter, defaultdict
from dataclasses import asdict, dataclass, replace
from functools import cached_property
from typing import Callable, Hashable, Iterable, Iterator, Sequence

import numpy as np
import pandas as pd

from rinlib.config import TASKS
from rinlib.records import TAGS, Sentence, Span, Triple, anchor

PROTOCOLS = ("strict", "paper")
THRESHOLD = 0.5
CATEGORY_ROWS = ("Normal", "EPO", "SEO", "1", "2", "3", "4", ">=5")
PRF_COLUMNS = ("n_sentences", "n_gold", "n_pred", "n_correct", "P", "R", "F1")
PAPER_ENTITY_MISS = "entity-mismatch"
"""Marks a ``paper``/exact predicted key whose word pair is not a pair of exactly tagged gold
entities: the key still counts as predicted but can never equal a gold key."""

Key = Hashable
PairLike = tuple  # (i, j, rel) or (i, j, rel, score)


# --------------------------------------------------------------------------- tags and spans

def _tag_names(tags: Sequence[str] | Sequence[int]) -> list[str]:
    """Tags as letters; ids follow :data:`TAGS`. Unknown tags raise (never silently 'O')."""
    names = []
    for pos, t in enumerate(tags):
        if isinstance(t, str):
            if t not in TAGS:
                raise ValueError(f"tag {t!r} at position {pos} is not one of {TAGS}")
            names.append(t)
        else:
            try:
                names.append(TAGS[operator.index(t)])
            except (TypeError, IndexError):
                raise ValueError(f"tag id {t!r} at position {pos} is not in 0..{len(TAGS) - 1}") from None
    return names


def decode_bioes(tags: Sequence[str] | Sequence[int]) -> list[Span]:
    """Strict decoding: a span is exactly ``B I* E`` or ``S``; anything ill-formed gives no span.

    Rule, scanning left to right: ``S`` is a one-token span; ``B`` opens a span, ``I``
    continues only an open span and ``E`` closes it. An open span is *discarded* when it is
    broken by ``O``, ``S``, a new ``B`` (which opens a fresh span) or the end of the sentence;
    an ``I`` or ``E`` with no open span is ignored. So ``B I O`` and ``I E`` give nothing,
    ``B B E`` gives the span of the second ``B``. No repair is attempted, because a repaired
    span would credit the model with a boundary it did not predict. Spans never overlap.
    """
    spans: list[Span] = []
    start: int | None = None
    for i, t in enumerate(_tag_names(tags)):
        if t == "S":
            spans.append((i, i + 1))
            start = None
        elif t == "B":
            start = i
        elif t == "E" and start is not None:
            spans.append((start, i + 1))
            start = None
        elif t == "O":
            start = None
    return spans


def _kept_pairs(pairs: Iterable[PairLike], n_tokens: int, threshold: float, where: str) -> Iterator[tuple[int, int, str]]:
    """``(i, j, rel)`` of the pairs at or above the threshold (3-tuples count as above it).

    A pair outside the sentence is a caller bug (padding not sliced off), so it raises.
    """
    for p in pairs:
        if len(p) not in (3, 4):
            raise ValueError(f"{where}: pair {p!r} must be (i, j, rel) or (i, j, rel, score)")
        i, j, rel = int(p[0]), int(p[1]), p[2]
        if not (0 <= i < n_tokens and 0 <= j < n_tokens):
            raise ValueError(f"{where}: pair {p!r} lies outside the sentence's {n_tokens} tokens")
        if len(p) == 4 and p[3] < threshold:
            continue
        yield i, j, rel


def triples_strict(tags: Sequence[str] | Sequence[int], pairs: Iterable[PairLike],
                   threshold: float = THRESHOLD) -> set[Triple]:
    """The ``strict`` triples of one sentence: decoded spans joined by scored anchor pairs.

    ``pairs`` are ``(i, j, rel)`` or ``(i, j, rel, score)`` for real tokens (``score`` is
    ``y_(i,j)[rel]``; pairs below ``threshold`` are dropped). A pair yields ``(s, rel, o)``
    only when both ``i`` and ``j`` are anchors (last tokens) of decoded spans; ``i == j``
    gives a triple whose subject is its object, which the gold data contains (module doc).
    """
    by_anchor = {anchor(s): s for s in decode_bioes(tags)}
    return {Triple(by_anchor[i], rel, by_anchor[j])
            for i, j, rel in _kept_pairs(pairs, len(tags), threshold, "triples_strict")
            if i in by_anchor and j in by_anchor}


def _check_task(task: str) -> None:
    if task not in TASKS:
        raise ValueError(f"task must be one of {TASKS}, got {task!r}")


def match_key(t: Triple, task: str) -> tuple:
    """What two triples must share to match: partial ``(anchor(s), rel, anchor(o))``, exact ``(s, rel, o)``."""
    _check_task(task)
    if task == "partial":
        return (anchor(t.subj), t.rel, anchor(t.obj))
    return (t.subj, t.rel, t.obj)


# --------------------------------------------------------------------------- the paper protocol

def _first_start(tokens: Sequence[str], words: Sequence[str]) -> int:
    """Start of the first occurrence of ``words`` in ``tokens`` (the authors' ``index``/``find_index``)."""
    n = len(words)
    return next(k for k in range(len(tokens) - n + 1) if list(tokens[k:k + n]) == list(words))


def paper_gold_tags(sentence: Sentence) -> list[str]:
    """Gold BIOES as the authors' loader builds it: each entity at the FIRST occurrence of its words.

    Entities are written in ``sentence.entities`` order (sorted) and a later one overwrites an
    earlier one where they collide, as in their loop over ``en_list``.
    """
    tags = ["O"] * len(sentence.tokens)
    for s, e in sentence.entities:
        k = _first_start(sentence.tokens, sentence.tokens[s:e])
        n = e - s
        tags[k:k + n] = ["S"] if n == 1 else ["B"] + ["I"] * (n - 2) + ["E"]
    return tags


def paper_right_entity_ends(gold_tags: Sequence[str], pred_tags: Sequence[str] | Sequence[int]) -> list[int]:
    """The authors' ``find_right``: end tokens of gold entities whose tags were predicted exactly.

    Scans the gold tags: an ``S`` counts when the predicted tag there is ``S``; a ``B`` is
    queued and each ``E`` pairs with the OLDEST queued ``B`` (their ``stack.pop(0)``) and
    counts when the predicted tags over that stretch equal the gold ones. (Their code crashes
    on an ``E`` with an empty queue; such an ``E`` is skipped here.)
    """
    gold, pred = _tag_names(gold_tags), _tag_names(pred_tags)
    queue: list[int] = []
    right: list[int] = []
    for i, g in enumerate(gold):
        if g == "S" and pred[i] == "S":
            right.append(i)
        elif g == "B":
            queue.append(i)
        elif g == "E" and queue:
            start = queue.pop(0)
            if gold[start:i + 1] == pred[start:i + 1]:
                right.append(i)
    return right


def triples_paper(sentence: Sentence, pairs: Iterable[PairLike], tags: Sequence[str] | Sequence[int] | None = None,
                  task: str = "partial", threshold: float = THRESHOLD) -> tuple[set, set]:
    """The authors' word-pair protocol for one sentence: ``(gold_keys, pred_keys)`` of ``(i, j, rel)``.

    Quirks reproduced on purpose (never used by ``strict``):

    * gold ``i``/``j`` is the FIRST position in the sentence of the subject's/object's anchor
      word string (their ``sentText.index(em1Text[0])``), so a repeated word moves the label
      to its first occurrence, and two gold triples may collapse into one key;
    * predicted keys are every ``(i, j, rel)`` scored at or above the threshold over real
      tokens, whether or not any entity was decoded there (partial needs no tags at all);
    * exact match (needs ``tags``): a predicted key can be correct only when ``i != j`` and both
      are in :func:`paper_right_entity_ends` of :func:`paper_gold_tags` (their
      ``get_right_entity_pair`` builds pairs ``i < j`` in both directions, never the diagonal).
      Other predicted keys are returned as ``(i, j, rel, PAPER_ENTITY_MISS)``, so they still
      count as predicted but never match.
    """
    _check_task(task)
    tokens = sentence.tokens
    where = f"sentence {sentence.sid!r}"
    first = {}
    for k, w in enumerate(tokens):
        first.setdefault(w, k)
    gold = {(first[tokens[anchor(t.subj)]], first[tokens[anchor(t.obj)]], t.rel) for t in sentence.triples}
    pred = set(_kept_pairs(pairs, len(tokens), threshold, where))
    if task == "exact":
        if tags is None:
            raise ValueError(f"{where}: the paper protocol's exact match needs the predicted tags")
        _check_tag_count(sentence, tags)
        right = set(paper_right_entity_ends(paper_gold_tags(sentence), tags))
        pred = {(i, j, r) if (i != j and i in right and j in right) else (i, j, r, PAPER_ENTITY_MISS)
                for i, j, r in pred}
    return gold, pred


def _check_tag_count(sentence: Sentence, tags: Sequence) -> None:
    if len(tags) != len(sentence.tokens):
        raise ValueError(f"sentence {sentence.sid!r}: prediction field 'tags' has {len(tags)} tags "
                         f"for {len(sentence.tokens)} tokens")


# --------------------------------------------------------------------------- scores

@dataclass(frozen=True)
class PRF:
    """Micro precision / recall / F1 (fractions) with the counts they come from."""

    precision: float
    recall: float
    f1: float
    n_gold: int
    n_pred: int
    n_correct: int

    @classmethod
    def from_counts(cls, n_gold: int, n_pred: int, n_correct: int) -> "PRF":
        """Zero denominators give 0.0 (F1 = 2c / (gold + pred), equal to 2PR/(P+R) when c > 0)."""
        g, p, c = int(n_gold), int(n_pred), int(n_correct)  # plain ints, also from numpy sums

        def ratio(a: int, b: int) -> float:
            return a / b if b else 0.0
        return cls(ratio(c, p), ratio(c, g), ratio(2 * c, g + p), g, p, c)

    def to_dict(self) -> dict:
        return asdict(self)


def _keys(items: Iterable, task: str) -> set:
    """Match keys of one sentence: triples go through :func:`match_key`, keys pass unchanged."""
    return {match_key(x, task) if isinstance(x, Triple) else x for x in items}


def _sentence_counts(gold: Sequence[Iterable], pred: Sequence[Iterable], task: str) -> np.ndarray:
    """Per sentence ``[n_gold, n_pred, n_correct]`` (gold de-duplicated by key)."""
    _check_task(task)
    if len(gold) != len(pred):
        raise ValueError(f"gold has {len(gold)} sentences but pred has {len(pred)}")
    rows = []
    for g, p in zip(gold, pred):
        gk, pk = _keys(g, task), _keys(p, task)
        rows.append((len(gk), len(pk), len(gk & pk)))
    return np.array(rows, dtype=np.int64).reshape(-1, 3)


def prf(gold: Sequence[Iterable], pred: Sequence[Iterable], task: str) -> PRF:
    """Micro P/R/F1 over sentences; items are :class:`Triple` (keyed by :func:`match_key`) or ready keys."""
    return PRF.from_counts(*_sentence_counts(gold, pred, task).sum(axis=0))


@dataclass
class Prediction:
    """A model's output for one sentence: BIOES tags and sparse scored pairs ``(i, j, rel, score)``."""

    tags: list[str]
    pairs: list[tuple[int, int, str, float]]
    threshold: float = THRESHOLD

    @cached_property
    def triples(self) -> set[Triple]:
        """The ``strict`` triples (computed once)."""
        return triples_strict(self.tags, self.pairs, self.threshold)


def _check_aligned(sentences: Sequence[Sentence], predictions: Sequence[Prediction]) -> None:
    if len(sentences) != len(predictions):
        raise ValueError(f"{len(sentences)} sentences but {len(predictions)} predictions")
    for s, p in zip(sentences, predictions):
        _check_tag_count(s, p.tags)


def _protocol_sets(sentences: Sequence[Sentence], predictions: Sequence[Prediction], task: str,
                   protocol: str) -> tuple[list[set], list[set], Callable[[tuple], str]]:
    """Gold and predicted key sets of one protocol, and how to read a key's relation."""
    _check_task(task)
    _check_aligned(sentences, predictions)
    if protocol == "strict":
        gold = [_keys(s.triples, task) for s in sentences]
        pred = [_keys(p.triples, task) for p in predictions]
        return gold, pred, operator.itemgetter(1)
    if protocol == "paper":
        both = [triples_paper(s, p.pairs, p.tags, task, p.threshold) for s, p in zip(sentences, predictions)]
        return [g for g, _ in both], [p for _, p in both], operator.itemgetter(2)
    raise ValueError(f"protocol must be one of {PROTOCOLS}, got {protocol!r}")


def evaluate(sentences: Sequence[Sentence], predictions: Sequence[Prediction], task: str) -> dict[str, PRF]:
    """Both protocols, labelled: ``{"strict": PRF, "paper": PRF}``."""
    out = {}
    for protocol in PROTOCOLS:
        gold, pred, _ = _protocol_sets(sentences, predictions, task, protocol)
        out[protocol] = prf(gold, pred, task)
    return out


def split_scores(sentences: Sequence[Sentence], predictions: Sequence[Prediction], task: str) -> dict[str, dict]:
    """:func:`evaluate` as plain dicts: a split's entry in a run's ``metrics.json``."""
    return {protocol: score.to_dict() for protocol, score in evaluate(sentences, predictions, task).items()}


THRESHOLDS: tuple[float, ...] = (0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9)
"""The pair-score thresholds an operating-point curve is read at (the paper's, and the kit's, is 0.5)."""
OPERATING_POINTS = "operating_points.csv"
"""A finished run's file of strict dev and test scores at each of :data:`THRESHOLDS`."""


def operating_curve(sentences: Sequence[Sentence], predictions: Sequence[Prediction], task: str,
                    thresholds: Sequence[float] = THRESHOLDS) -> pd.DataFrame:
    """Strict P/R/F1 (fractions) with their counts for the same predictions read at each pair-score
    threshold: one row per threshold.

    Why: the paper fixes the threshold at 0.5. If a model's F1, or the difference between two
    models, moved with it, a comparison at 0.5 would measure where each model sits on its
    precision-recall curve, not how good the curve is. Reading a threshold below the one the
    predictions were made at would silently miss pairs, so that raises ``ValueError``."""
    made = max((p.threshold for p in predictions), default=0.0)
    if thresholds and made > min(thresholds):
        raise ValueError(f"predictions kept only pairs scoring >= {made}; reading threshold {min(thresholds)} "
                         "needs predictions made at or below it")
    rows = []
    for t in thresholds:
        gold, pred, _ = _protocol_sets(sentences, [replace(p, threshold=t) for p in predictions], task, "strict")
        rows.append({"threshold": t, **prf(gold, pred, task).to_dict()})
    return pd.DataFrame(rows)


# --------------------------------------------------------------------------- breakdowns

def overlap_category(triples: Iterable[Triple]) -> set[str]:
    """``{"Normal"}`` or a non-empty subset of ``{"EPO", "SEO"}`` for one sentence's (gold) triples.

    An entity is its exact span; a triple's entity pair is the unordered set ``{subj, obj}``.
    Two distinct triples with the same pair are EPO (EntityPairOverlap, so ``(a, r1, b)`` and
    ``(b, r2, a)`` are EPO); two whose pairs differ but share an entity are SEO
    (SingleEntityOverlap); a sentence with neither (including no triples) is Normal.
    Differs from the CopyRE/CasRel split scripts, which compare ordered pairs and call a
    lone ``(a, r, a)`` overlapping; here one triple alone is always Normal.
    """
    pairs = [frozenset((t.subj, t.obj)) for t in set(triples)]
    cats = set()
    for k, a in enumerate(pairs):
        for b in pairs[k + 1:]:
            if a == b:
                cats.add("EPO")
            elif a & b:
                cats.add("SEO")
    return cats or {"Normal"}


def _prf_row(counts: np.ndarray) -> dict:
    g, p, c = (int(x) for x in counts.sum(axis=0)) if len(counts) else (0, 0, 0)
    r = PRF.from_counts(g, p, c)
    return {"n_sentences": len(counts), "n_gold": g, "n_pred": p, "n_correct": c,
            "P": r.precision, "R": r.recall, "F1": r.f1}


def by_category(sentences: Sequence[Sentence], predictions: Sequence[Prediction], task: str,
                protocol: str = "strict") -> pd.DataFrame:
    """Scores per gold overlap category and per number of distinct gold triples (1, 2, 3, 4, >=5).

    A sentence is grouped by its GOLD triples (as in the literature's test splits); it can sit in
    both EPO and SEO. Sentences without gold triples are Normal and in no count row.
    """
    gold, pred, _ = _protocol_sets(sentences, predictions, task, protocol)
    counts = _sentence_counts(gold, pred, task)
    members: dict[str, list[int]] = {row: [] for row in CATEGORY_ROWS}
    for k, s in enumerate(sentences):
        uniq = s.unique_triples
        for cat in overlap_category(uniq):
            members[cat].append(k)
        if uniq:
            members[str(len(uniq)) if len(uniq) < 5 else ">=5"].append(k)
    rows = {row: _prf_row(counts[idx]) for row, idx in members.items()}
    return pd.DataFrame.from_dict(rows, orient="index", columns=list(PRF_COLUMNS)).rename_axis("category")


def per_relation(sentences: Sequence[Sentence], predictions: Sequence[Prediction], task: str,
                 top: int | None = None, protocol: str = "strict") -> pd.DataFrame:
    """Micro scores per relation, most frequent gold relation first (``top`` keeps the first rows).

    ``n_sentences`` counts sentences where the relation is gold or predicted.
    """
    gold, pred, rel_of = _protocol_sets(sentences, predictions, task, protocol)
    tallies: dict[str, Counter] = defaultdict(Counter)
    for g, p in zip(gold, pred):
        for key in g:
            tallies[rel_of(key)]["n_gold"] += 1
        for key in p:
            tallies[rel_of(key)]["n_pred"] += 1
        for key in g & p:
            tallies[rel_of(key)]["n_correct"] += 1
        for rel in {rel_of(k) for k in g | p}:
            tallies[rel]["n_sentences"] += 1
    rows = {}
    for rel, t in tallies.items():
        r = PRF.from_counts(t["n_gold"], t["n_pred"], t["n_correct"])
        rows[rel] = {"n_sentences": t["n_sentences"], "n_gold": r.n_gold, "n_pred": r.n_pred,
                     "n_correct": r.n_correct, "P": r.precision, "R": r.recall, "F1": r.f1}
    df = pd.DataFrame.from_dict(rows, orient="index", columns=list(PRF_COLUMNS)).rename_axis("relation")
    df = df.loc[sorted(df.index, key=lambda rel: (-rows[rel]["n_gold"], -rows[rel]["n_pred"], rel))]
    return df.head(top) if top is not None else df


def error_breakdown(sentences: Sequence[Sentence], predictions: Sequence[Prediction], task: str) -> dict[str, int]:
    """Why ``strict`` triples are wrong: entity errors vs relation errors, as counts.

    A wrong predicted triple (false positive) is a *relation* error when both its arguments are
    gold entities (``sentence.entities``; same anchor for partial, same span for exact) — the
    entities were right but the relation, or its direction, was not — else an *entity* error.
    A missed gold triple (false negative) is a *relation* error when both its arguments were
    decoded from the predicted tags, else an *entity* error (a span wrong or missing).
    """
    gold, pred, _ = _protocol_sets(sentences, predictions, task, "strict")

    def ent(span: Span) -> Key:
        return anchor(span) if task == "partial" else span

    out = Counter({k: 0 for k in ("fp_total", "fp_entity", "fp_relation", "fn_total", "fn_entity", "fn_relation")})
    for s, p, gk, pk in zip(sentences, predictions, gold, pred):
        gold_ents = {ent(e) for e in s.entities}
        pred_ents = {ent(e) for e in decode_bioes(p.tags)}
        for t in p.triples:
            if match_key(t, task) not in gk:
                kind = "relation" if ent(t.subj) in gold_ents and ent(t.obj) in gold_ents else "entity"
                out["fp_total"] += 1
                out[f"fp_{kind}"] += 1
        for t in s.unique_triples:
            key = match_key(t, task)
            if key not in pk:
                kind = "relation" if ent(t.subj) in pred_ents and ent(t.obj) in pred_ents else "entity"
                out["fn_total"] += 1
                out[f"fn_{kind}"] += 1
    return dict(out)


def protocol_breakdown(sentences: Sequence[Sentence], predictions: Sequence[Prediction], task: str) -> dict[str, int]:
    """Counts that say why the ``paper`` protocol's F1 differs from ``strict`` on the same output.

    * ``gold_triples``: unique gold triples (strict's gold); ``paper_gold_keys``: the paper's gold
      keys, fewer when a repeated anchor word folds two triples onto one first-occurrence key;
      ``paper_gold_diagonal``: those with ``i == j`` (exact match can never find them: the
      authors' pair builder skips the diagonal).
    * ``strict_pred`` / ``strict_correct`` and ``paper_pred`` / ``paper_correct``.
    * ``paper_pred_off_anchor``: predicted keys with ``i`` or ``j`` not the anchor of a decoded
      span; the paper protocol scores them, strict decoding drops them.
    * ``paper_pred_entity_miss`` (exact): predicted keys that can never match, because ``i == j``
      or a word is not the end of an exactly tagged gold entity; ``paper_pred_diagonal``: predicted
      keys with ``i == j``.
    """
    strict_gold, strict_pred, _ = _protocol_sets(sentences, predictions, task, "strict")
    paper_gold, paper_pred, _ = _protocol_sets(sentences, predictions, task, "paper")
    out = Counter({k: 0 for k in ("gold_triples", "paper_gold_keys", "paper_gold_diagonal", "strict_pred",
                                  "strict_correct", "paper_pred", "paper_correct", "paper_pred_off_anchor",
                                  "paper_pred_entity_miss", "paper_pred_diagonal")})
    for p, sg, sp, pg, pp in zip(predictions, strict_gold, strict_pred, paper_gold, paper_pred):
        anchors = {anchor(s) for s in decode_bioes(p.tags)}
        out["gold_triples"] += len(sg)
        out["strict_pred"] += len(sp)
        out["strict_correct"] += len(sg & sp)
        out["paper_gold_keys"] += len(pg)
        out["paper_gold_diagonal"] += sum(k[0] == k[1] for k in pg)
        out["paper_pred"] += len(pp)
        out["paper_correct"] += len(pg & pp)
        out["paper_pred_off_anchor"] += sum(k[0] not in anchors or k[1] not in anchors for k in pp)
        out["paper_pred_entity_miss"] += sum(len(k) == 4 for k in pp)
        out["paper_pred_diagonal"] += sum(k[0] == k[1] for k in pp)
    return dict(out)


# --------------------------------------------------------------------------- significance

def paired_bootstrap(gold: Sequence[Iterable], pred_a: Sequence[Iterable], pred_b: Sequence[Iterable], task: str,
                     n: int = 1000, seed: int = 0) -> dict:
    """Paired bootstrap over sentences: is system A's micro F1 higher than system B's?

    Each of ``n`` resamples draws sentences with replacement (the same draw for both systems)
    and recomputes both micro F1s. Returns the observed ``f1_a``, ``f1_b``, ``delta`` (= a − b),
    the resampled ``delta_mean``, the 95% percentile interval ``ci_low``/``ci_high``, and the
    one-sided ``p_value`` = fraction of resamples where A is not better than B, ties counted
    half (mid-p), so two identical systems get 0.5 and not 1.0. Same seed, same numbers.
    """
    ca = _sentence_counts(gold, pred_a, task)
    cb = _sentence_counts(gold, pred_b, task)
    m = len(ca)
    if m == 0:
        raise ValueError("paired_bootstrap needs at least one sentence")
    if n < 1:
        raise ValueError(f"n must be >= 1, got {n}")

    def f1(g: np.ndarray, p: np.ndarray, c: np.ndarray) -> np.ndarray:
        denom = g + p
        return np.divide(2.0 * c, denom, out=np.zeros(np.shape(denom), dtype=float), where=denom > 0)

    rng = np.random.default_rng(seed)
    deltas = np.empty(n)
    chunk = max(1, 2_000_000 // m)  # bound the index matrix to a few MB
    for lo in range(0, n, chunk):
        idx = rng.integers(0, m, size=(min(chunk, n - lo), m))
        sa, sb = ca[idx].sum(axis=1), cb[idx].sum(axis=1)
        deltas[lo:lo + len(idx)] = f1(*sa.T) - f1(*sb.T)
    f1_a, f1_b = float(f1(*ca.sum(axis=0))), float(f1(*cb.sum(axis=0)))
    return {
        "f1_a": f1_a, "f1_b": f1_b, "delta": f1_a - f1_b,
        "delta_mean": float(deltas.mean()),
        "ci_low": float(np.percentile(deltas, 2.5)), "ci_high": float(np.percentile(deltas, 97.5)),
        "p_value": float((np.sum(deltas < 0) + 0.5 * np.sum(deltas == 0)) / n),
        "n": n, "seed": seed, "n_sentences": m,
    }
