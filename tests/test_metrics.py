"""Hand-made checks of both evaluation protocols (docs/spec.md §3); every expected number is worked out by hand."""

from __future__ import annotations

import pytest

from rinlib.metrics import (
    PAPER_ENTITY_MISS, PRF, Prediction, by_category, decode_bioes, error_breakdown, evaluate, match_key,
    operating_curve, overlap_category, paired_bootstrap, paper_gold_tags, paper_right_entity_ends, per_relation, prf,
    protocol_breakdown, triples_paper, triples_strict,
)
from rinlib.records import Sentence, Triple

T = Triple


def scores(sentences, predictions, task):
    """(n_gold, n_pred, n_correct) per protocol, for compact asserts."""
    ev = evaluate(sentences, predictions, task)
    return {k: (v.n_gold, v.n_pred, v.n_correct) for k, v in ev.items()}


# ----------------------------------------------------------------------------- decoding

@pytest.mark.parametrize("tags, spans", [
    ("B I E O S", [(0, 3), (4, 5)]),
    ("B E B I E", [(0, 2), (2, 5)]),
    ("B I O E", []),            # broken by O
    ("I E S", [(2, 3)]),        # I/E without a B
    ("B B E", [(1, 3)]),        # a new B restarts
    ("B S E", [(1, 2)]),        # S breaks the open span, the E is orphaned
    ("B I", []),                # never closed
    ("", []),
])
def test_decode_bioes_strict(tags, spans):
    assert decode_bioes(tags.split()) == spans


def test_decode_bioes_ids_and_bad_tags():
    assert decode_bioes([1, 2, 3, 0, 4]) == [(0, 3), (4, 5)]
    with pytest.raises(ValueError, match="position 1"):
        decode_bioes(["O", "X"])
    with pytest.raises(ValueError, match="position 0"):
        decode_bioes([7])


def test_triples_strict_threshold_anchors_and_self_pairs():
    tags = "B E O S".split()  # spans (0,2) and (3,4)
    pairs = [(1, 3, "r", 0.9), (3, 1, "r", 0.49), (0, 3, "r", 0.9), (3, 3, "self", 0.7), (1, 1, "x")]
    assert triples_strict(tags, pairs) == {T((0, 2), "r", (3, 4)), T((3, 4), "self", (3, 4)), T((0, 2), "x", (0, 2))}
    with pytest.raises(ValueError, match="outside"):
        triples_strict(tags, [(0, 4, "r", 0.9)])


def test_match_key():
    t = T((0, 2), "r", (3, 6))
    assert match_key(t, "partial") == (1, "r", 5)
    assert match_key(t, "exact") == ((0, 2), "r", (3, 6))
    with pytest.raises(ValueError, match="task"):
        match_key(t, "fuzzy")


def test_prf_zero_division_and_fractions():
    assert PRF.from_counts(0, 0, 0).f1 == 0.0
    r = PRF.from_counts(4, 2, 1)
    assert (r.precision, r.recall, r.f1) == (0.5, 0.25, pytest.approx(1 / 3))
    assert r.to_dict()["n_gold"] == 4
    assert type(prf([{(0, 1, "r")}], [{(0, 1, "r")}], "partial").f1) is float  # JSON-safe, not numpy


# ----------------------------------------------------------------------------- fixtures by hand

def overlap_sentence():
    """A x B y C: (A r1 B), (A r2 B) = EPO, (A r3 C) = SEO with both."""
    toks = "A x B y C".split()
    return Sentence("ov", toks, [T((0, 1), "r1", (2, 3)), T((0, 1), "r2", (2, 3)), T((0, 1), "r3", (4, 5))])


OV_TAGS = "S O S O S".split()


@pytest.mark.parametrize("task", ["partial", "exact"])
def test_overlapping_triples_both_protocols(task):
    s = overlap_sentence()
    full = Prediction(OV_TAGS, [(0, 2, "r1", 0.9), (0, 2, "r2", 0.8), (0, 4, "r3", 0.7)])
    assert scores([s], [full], task) == {"strict": (3, 3, 3), "paper": (3, 3, 3)}
    # one of the two EPO relations missed
    part = Prediction(OV_TAGS, [(0, 2, "r1", 0.9), (0, 4, "r3", 0.7)])
    assert scores([s], [part], task) == {"strict": (3, 2, 2), "paper": (3, 2, 2)}


@pytest.mark.parametrize("task", ["partial", "exact"])
def test_duplicate_gold_counted_once(task):
    s = Sentence("dup", "A x B".split(), [T((0, 1), "r", (2, 3))] * 2)
    p = Prediction("S O S".split(), [(0, 2, "r", 0.9)])
    ev = evaluate([s], [p], task)
    assert scores([s], [p], task) == {"strict": (1, 1, 1), "paper": (1, 1, 1)}
    assert ev["strict"].f1 == ev["paper"].f1 == 1.0


def multi_token_sentence():
    toks = "John Smith was born in New York City".split()
    return Sentence("mt", toks, [T((0, 2), "born_in", (5, 8))])


def test_multi_token_boundary_partial_right_exact_wrong():
    s = multi_token_sentence()
    good = Prediction("B E O O O B I E".split(), [(1, 7, "born_in", 0.9)])
    short = Prediction("O S O O O B I E".split(), [(1, 7, "born_in", 0.9)])  # "Smith" only
    assert scores([s], [good], "exact") == {"strict": (1, 1, 1), "paper": (1, 1, 1)}
    assert scores([s], [short], "partial") == {"strict": (1, 1, 1), "paper": (1, 1, 1)}
    assert scores([s], [short], "exact") == {"strict": (1, 1, 0), "paper": (1, 1, 0)}


def test_empty_sentence_scores_nothing():
    empty = Sentence("empty", [], [])
    for task in ("partial", "exact"):
        ev = evaluate([empty], [Prediction([], [])], task)
        assert ev["strict"] == ev["paper"] == PRF(0.0, 0.0, 0.0, 0, 0, 0)
        # and does not disturb another sentence's score
        s = multi_token_sentence()
        good = Prediction("B E O O O B I E".split(), [(1, 7, "born_in", 0.9)])
        assert scores([empty, s], [Prediction([], []), good], task) == {"strict": (1, 1, 1), "paper": (1, 1, 1)}


@pytest.mark.parametrize("task", ["partial", "exact"])
def test_sentence_without_gold_lowers_precision(task):
    s = multi_token_sentence()
    good = Prediction("B E O O O B I E".split(), [(1, 7, "born_in", 0.9)])
    none = Sentence("nogold", "Alice met Bob".split(), [], entities=[(0, 1), (2, 3)])
    spurious = Prediction("S O S".split(), [(0, 2, "met", 0.8)])
    ev = evaluate([s, none], [good, spurious], task)
    for protocol in ("strict", "paper"):
        assert (ev[protocol].precision, ev[protocol].recall) == (0.5, 1.0)
        assert ev[protocol].f1 == pytest.approx(2 / 3)


def repeated_word_sentence():
    """'Buck' twice: the paper loader puts the subject's label on the FIRST 'Buck' (position 1)."""
    toks = "Joe Buck is the son of Jack Buck".split()
    return Sentence("rep", toks, [T((6, 8), "children", (0, 2))])


REP_TAGS = "B E O O O O B E".split()


def test_repeated_word_paper_and_strict_differ():
    s = repeated_word_sentence()
    gold, _ = triples_paper(s, [], task="partial")
    assert gold == {(1, 1, "children")}
    right = Prediction(REP_TAGS, [(7, 1, "children", 0.9)])   # the true anchors
    shifted = Prediction(REP_TAGS, [(1, 1, "children", 0.9)])  # the paper's label position
    assert scores([s], [right], "partial") == {"strict": (1, 1, 1), "paper": (1, 1, 0)}
    assert scores([s], [shifted], "partial") == {"strict": (1, 1, 0), "paper": (1, 1, 1)}
    # paper exact never credits the diagonal (their entity-pair mask has i < j pairs only)
    assert scores([s], [shifted], "exact") == {"strict": (1, 1, 0), "paper": (1, 1, 0)}
    assert triples_paper(s, shifted.pairs, shifted.tags, "exact")[1] == {(1, 1, "children", PAPER_ENTITY_MISS)}


def test_paper_gold_tags_first_occurrence_and_find_right():
    s = Sentence("fo", "Paris is in France near Paris".split(), [T((5, 6), "near", (3, 4))])
    assert paper_gold_tags(s) == "S O O S O O".split()  # (5,6) 'Paris' written at position 0
    assert paper_right_entity_ends("B I E O S".split(), "B I E O O".split()) == [2]
    assert paper_right_entity_ends("B I E O S".split(), "B E E O S".split()) == [4]
    assert paper_right_entity_ends("B B E E".split(), "B B E E".split()) == [2, 3]
    assert paper_right_entity_ends("B B E E".split(), "O B E E".split()) == [3]  # E pairs the OLDEST B


def test_paper_exact_needs_tags_and_checks_lengths():
    s = multi_token_sentence()
    with pytest.raises(ValueError, match="needs the predicted tags"):
        triples_paper(s, [(1, 7, "born_in", 0.9)], task="exact")
    with pytest.raises(ValueError, match="'mt'.*'tags' has 2 tags for 8 tokens"):
        evaluate([s], [Prediction(["O", "O"], [])], "partial")
    with pytest.raises(ValueError, match="'mt'.*outside"):
        triples_paper(s, [(1, 8, "born_in", 0.9)])


def test_ill_formed_bioes_strict_drops_paper_partial_keeps():
    s = multi_token_sentence()
    broken = Prediction("B E O O O B I O".split(), [(1, 7, "born_in", 0.9)])  # object never closed
    assert broken.triples == set()
    assert scores([s], [broken], "partial") == {"strict": (1, 0, 0), "paper": (1, 1, 1)}
    assert scores([s], [broken], "exact") == {"strict": (1, 0, 0), "paper": (1, 1, 0)}


def test_prf_accepts_triples_and_keys():
    g = [{T((0, 2), "r", (3, 4)), T((0, 2), "r", (3, 4))}, set()]
    p = [{T((1, 2), "r", (3, 4))}, {T((0, 1), "r", (1, 2))}]
    assert prf(g, p, "partial") == PRF.from_counts(1, 2, 1)
    assert prf(g, p, "exact") == PRF.from_counts(1, 2, 0)
    assert prf([{(1, 2, "r")}], [{(1, 2, "r"), (2, 1, "r")}], "partial").n_correct == 1
    with pytest.raises(ValueError, match="2 sentences"):
        prf(g, p[:1], "partial")


# ----------------------------------------------------------------------------- categories etc.

def test_overlap_category():
    a, b, c = (0, 1), (2, 3), (4, 5)
    assert overlap_category([]) == {"Normal"}
    assert overlap_category([T(a, "r", b), T(c, "r", (6, 7))]) == {"Normal"}
    assert overlap_category([T(a, "r", b), T(b, "s", a)]) == {"EPO"}         # unordered pair
    assert overlap_category([T(a, "r", b), T(b, "s", c)]) == {"SEO"}
    assert overlap_category([T(a, "r", b), T(a, "s", b), T(a, "t", c)]) == {"EPO", "SEO"}
    assert overlap_category([T(a, "r", a)]) == {"Normal"}
    assert overlap_category([T(a, "r", b)] * 2) == {"Normal"}                 # duplicates are not EPO
    assert overlap_category([T((0, 2), "r", b), T((1, 2), "s", c)]) == {"Normal"}  # identity = span


def category_corpus():
    ov = overlap_sentence()
    mt = multi_token_sentence()
    none = Sentence("nogold", "Alice met Bob".split(), [])
    # 'x' wrongly tagged as an entity and linked: (A r1 x) has a gold subject but not a gold object
    preds = [Prediction("S S S O S".split(), [(0, 2, "r1", 0.9), (0, 4, "r3", 0.7), (2, 4, "r1", 0.6), (0, 1, "r1", 0.6)]),
             Prediction("O S O O O B I E".split(), [(1, 7, "born_in", 0.9)]),
             Prediction("S O S".split(), [(0, 2, "met", 0.8)])]
    return [ov, mt, none], preds


def test_by_category_rows_and_counts():
    sents, preds = category_corpus()
    df = by_category(sents, preds, "exact")
    assert list(df.index) == ["Normal", "EPO", "SEO", "1", "2", "3", "4", ">=5"]
    assert list(df.columns) == ["n_sentences", "n_gold", "n_pred", "n_correct", "P", "R", "F1"]
    # Normal = mt (1 gold, 1 pred, 0 correct: boundary wrong) + nogold (0, 1, 0)
    assert df.loc["Normal", ["n_sentences", "n_gold", "n_pred", "n_correct"]].tolist() == [2, 1, 2, 0]
    assert df.loc["EPO", ["n_sentences", "n_gold", "n_pred", "n_correct"]].tolist() == [1, 3, 4, 2]
    assert df.loc["SEO", "F1"] == pytest.approx(4 / 7)
    assert df.loc["1", "n_sentences"] == 1 and df.loc["3", "n_sentences"] == 1
    assert df.loc[">=5", "n_sentences"] == 0 and df.loc[">=5", "F1"] == 0.0
    paper = by_category(sents, preds, "partial", protocol="paper")
    assert paper.loc["1", "n_correct"] == 1


def test_per_relation_counts():
    sents, preds = category_corpus()
    df = per_relation(sents, preds, "partial")
    assert df.loc["r1", ["n_gold", "n_pred", "n_correct"]].tolist() == [1, 3, 1]
    assert df.loc["r2", ["n_gold", "n_pred", "n_correct"]].tolist() == [1, 0, 0]
    assert df.loc["met", ["n_gold", "n_pred", "n_correct", "P"]].tolist() == [0, 1, 0, 0.0]
    assert df.loc["born_in", "F1"] == 1.0
    assert list(df.index) == ["r1", "born_in", "r3", "r2", "met"]  # by n_gold, then n_pred, then name
    assert list(per_relation(sents, preds, "partial", top=2).index) == ["r1", "born_in"]
    assert per_relation(sents, preds, "exact", protocol="paper").loc["born_in", "n_correct"] == 0


@pytest.mark.parametrize("task, expected", [
    # exact: the diagonal and the off-anchor pair can never match under the authors' protocol
    ("exact", dict(paper_pred=3, paper_correct=1, paper_pred_entity_miss=2)),
    # partial: no entity check, so the diagonal key matches; the off-anchor pair is just wrong
    ("partial", dict(paper_pred=3, paper_correct=2, paper_pred_entity_miss=0)),
])
def test_protocol_breakdown_by_hand(task, expected):
    s = Sentence("x", "Addis Ababa in Ethiopia .".split(),
                 [T((0, 2), "country", (3, 4)), T((3, 4), "self", (3, 4))])
    p = Prediction(["B", "E", "O", "S", "O"],
                   [(1, 3, "country", 0.9), (3, 3, "self", 0.8), (2, 3, "country", 0.7), (0, 3, "country", 0.2)])
    b = protocol_breakdown([s], [p], task)
    assert b == {"gold_triples": 2, "paper_gold_keys": 2, "paper_gold_diagonal": 1, "strict_pred": 2,
                 "strict_correct": 2, "paper_pred_off_anchor": 1, "paper_pred_diagonal": 1, **expected}
    ev = evaluate([s], [p], task)  # the counts are the ones the protocols score
    assert (ev["paper"].n_pred, ev["paper"].n_correct) == (b["paper_pred"], b["paper_correct"])
    assert (ev["strict"].n_pred, ev["strict"].n_correct) == (b["strict_pred"], b["strict_correct"])


def test_error_breakdown():
    sents, preds = category_corpus()
    # exact: FP (B r1 C) both gold entities -> relation; FP (A r1 x) and (Smith born_in NYC) -> entity;
    # FP (Alice met Bob): Alice/Bob are not gold entities there -> entity.
    # FN (A r2 B): A, B decoded -> relation; FN (John Smith born_in NYC): span missing -> entity.
    assert error_breakdown(sents, preds, "exact") == {
        "fp_total": 4, "fp_entity": 3, "fp_relation": 1, "fn_total": 2, "fn_entity": 1, "fn_relation": 1}
    # partial: the short span is fine (same anchor), so those two errors disappear
    assert error_breakdown(sents, preds, "partial") == {
        "fp_total": 3, "fp_entity": 2, "fp_relation": 1, "fn_total": 1, "fn_entity": 0, "fn_relation": 1}


def test_error_breakdown_missing_object_is_entity_error():
    s = Sentence("miss", "A x B".split(), [T((0, 1), "r", (2, 3))])
    assert error_breakdown([s], [Prediction("S O O".split(), [])], "exact") == {
        "fp_total": 0, "fp_entity": 0, "fp_relation": 0, "fn_total": 1, "fn_entity": 1, "fn_relation": 0}


# ----------------------------------------------------------------------------- bootstrap

def bootstrap_corpus(n=60):
    """n one-triple sentences; system A gets every one right, B only every third."""
    gold = [{T((0, 1), "r", (2, 3))} for _ in range(n)]
    a = [set(g) for g in gold]
    b = [set(g) if k % 3 == 0 else {T((0, 1), "s", (2, 3))} for k, g in enumerate(gold)]
    return gold, a, b


def test_bootstrap_identical_systems():
    gold, _, b = bootstrap_corpus()
    res = paired_bootstrap(gold, b, b, "partial", n=200, seed=1)
    assert res["delta"] == 0.0 and res["p_value"] == 0.5
    assert res["ci_low"] <= 0.0 <= res["ci_high"]


def test_bootstrap_clearly_better_and_reproducible():
    gold, a, b = bootstrap_corpus()
    res = paired_bootstrap(gold, a, b, "partial", n=500, seed=3)
    assert res["f1_a"] == 1.0 and res["f1_b"] == pytest.approx(1 / 3)
    assert res["p_value"] < 0.01 and res["ci_low"] > 0.3
    assert paired_bootstrap(gold, b, a, "partial", n=500, seed=3)["p_value"] > 0.99
    assert paired_bootstrap(gold, a, b, "partial", n=500, seed=3) == res
    assert paired_bootstrap(gold, a, b, "partial", n=500, seed=4)["delta_mean"] != res["delta_mean"]


def test_bootstrap_mixed_systems_not_significant():
    # a and b each right on a different half: no real difference
    gold = [{T((0, 1), "r", (2, 3))} for _ in range(40)]
    a = [set(g) if k % 2 else set() for k, g in enumerate(gold)]
    b = [set() if k % 2 else set(g) for k, g in enumerate(gold)]
    res = paired_bootstrap(gold, a, b, "partial", n=1000, seed=0)
    assert 0.2 < res["p_value"] < 0.8 and res["ci_low"] < 0 < res["ci_high"]


def test_operating_curve_reads_one_prediction_at_each_threshold_by_hand():
    gold = [Sentence("s", "A B C D".split(), [T((0, 1), "r", (2, 3)), T((3, 4), "r", (0, 1))])]
    pairs = [(0, 2, "r", 0.8), (3, 0, "r", 0.3), (2, 3, "r", 0.6)]  # right, right, wrong
    low = [Prediction("S O S S".split(), pairs, threshold=0.1)]
    curve = operating_curve(gold, low, "exact", thresholds=(0.2, 0.5, 0.7, 0.9))
    assert curve["threshold"].tolist() == [0.2, 0.5, 0.7, 0.9]
    assert curve[["n_gold", "n_pred", "n_correct"]].values.tolist() == [[2, 3, 2], [2, 2, 1], [2, 1, 1], [2, 0, 0]]
    assert curve["precision"].tolist() == pytest.approx([2 / 3, 0.5, 1.0, 0.0])
    assert curve["recall"].tolist() == pytest.approx([1.0, 0.5, 0.5, 0.0])
    at_half = evaluate(gold, [Prediction(low[0].tags, pairs)], "exact")["strict"]
    assert curve.loc[1, "f1"] == pytest.approx(at_half.f1)  # the same as scoring at the threshold itself
    with pytest.raises(ValueError, match="kept only pairs scoring >= 0.5; reading threshold 0.2"):
        operating_curve(gold, [Prediction(low[0].tags, pairs)], "exact", thresholds=(0.2, 0.5))
