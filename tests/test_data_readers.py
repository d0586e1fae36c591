"""Readers of every raw format on tiny fixtures, and the promised outcome of each bad input."""

from __future__ import annotations

from pathlib import Path

import pytest

from rinlib.data.errors import DataError, SkipLog
from rinlib.data.nyt import attach_full_spans
from rinlib.data.readers import (load_relations, read_casrel, read_copyre_positions, read_copyre_raw,
                                 read_jointer, read_rin_authors)
from rinlib.data.stats import dataset_stats, overlap_category

FIX = Path(__file__).parent / "fixtures" / "data"
WEBNLG_RELS = load_relations(FIX / "webnlg_rel2id.json")
NYT_RELS = load_relations(FIX / "nyt_rel2id.json")


def _anchors():
    return read_copyre_positions(FIX / "copyre_positions.json", FIX / "relations2id.json")


def test_relation_inventories():
    assert len(WEBNLG_RELS) == 171 and len(NYT_RELS) == 24


def test_casrel_with_copyre_positions_uses_the_given_occurrence():
    anchors = _anchors()
    skips = SkipLog()
    sents = read_casrel(FIX / "webnlg_star.json", dataset="webnlg", split="test", relations=WEBNLG_RELS,
                        anchors=anchors, skips=skips)
    assert len(sents) == 10 and sents[3].sid == "webnlg/test/3"
    for s, pos in zip(sents, anchors):
        assert [(t.subj[1] - 1, t.obj[1] - 1, t.rel) for t in s.triples] == pos
        assert all(t.subj[1] - t.subj[0] == 1 for t in s.triples)  # last-word data
    assert len(skips) == 0 and "ambiguous_first_occurrence" not in skips.notes
    cats = [overlap_category(s) for s in sents]
    assert (False, False) in cats and (False, True) in cats and any(e for e, _ in cats)  # Normal, SEO, EPO


def test_casrel_without_positions_counts_ambiguity():
    skips = SkipLog()
    read_casrel(FIX / "webnlg_star.json", dataset="webnlg", split="test", relations=WEBNLG_RELS, skips=skips)
    assert skips.notes["ambiguous_first_occurrence"] > 0


def test_rin_authors_links_last_words_to_en_list():
    sents = read_rin_authors(FIX / "rin_authors.json", dataset="webnlg", split="test",
                             relations=WEBNLG_RELS, anchors=_anchors())
    s = sents[0]  # "Tim Brooke-Taylor was the star of Bananaman , ... Steve Bright ."
    spans = {" ".join(s.tokens[a:b]) for t in s.triples for a, b in (t.subj, t.obj)}
    assert spans == {"Bananaman", "Steve Bright", "Tim Brooke-Taylor"}
    assert sum(b - a > 1 for a, b in s.entities) == 2


def test_jointer_uses_offsets():
    sents = read_jointer(FIX / "jointer.json", dataset="webnlg-etl", split="test",
                         relations=_jointer_rels())
    assert len(sents) == 10
    assert all(0 <= t.subj[0] < t.subj[1] <= len(s.tokens) for s in sents for t in s.triples)


def _jointer_rels() -> list[str]:
    import json
    return sorted({d[3] for r in json.loads((FIX / "jointer.json").read_text()) for d in r["spo_details"]})


def test_copyre_raw_full_mentions_and_nyt_star_spans():
    exact = read_copyre_raw(FIX / "nyt_exact_raw.json", dataset="nyt", split="test", relations=NYT_RELS)
    assert len(exact) == 10 and any(b - a > 1 for s in exact for t in s.triples for a, b in (t.subj, t.obj))
    star = read_casrel(FIX / "nyt_star.json", dataset="nyt", split="test", relations=NYT_RELS)
    full, rep = attach_full_spans(star, FIX / "nyt_exact_raw.json")
    assert rep["aligned"] == 10 and rep["full_span"] == rep["arguments"]
    buck = full[1]  # "... Joe Buck , ... his father , Jack Buck , ..." (children: Jack -> Joe)
    (t,) = buck.triples
    assert " ".join(buck.tokens[t.subj[0]:t.subj[1]]) == "Jack Buck"
    assert " ".join(buck.tokens[t.obj[0]:t.obj[1]]) == "Joe Buck"
    assert rep["anchor_moved"] >= 1  # first-occurrence "Buck" was Joe's


def test_stats_on_fixture():
    st = dataset_stats(read_casrel(FIX / "webnlg_star.json", dataset="w", split="test",
                                   relations=WEBNLG_RELS, anchors=_anchors()))
    assert st["sentences"] == 10 and st["normal"] == 4 and st["epo"] >= 3
    assert sum(st["triples_per_sentence"].values()) == 10


# ------------------------------------------------------------------ bad input

def _read(name: str, **kw):
    return read_casrel(FIX / "bad" / name, dataset="b", split="test", relations=WEBNLG_RELS, **kw)


def test_missing_file_raises_naming_it():
    with pytest.raises(DataError, match="nope.json.*file not found"):
        _read("nope.json")


def test_malformed_json_raises_with_position():
    with pytest.raises(DataError, match=r"malformed.json: record \? \(line \d+\), field <json>"):
        _read("malformed.json")


def test_missing_field_raises_naming_record_and_field():
    with pytest.raises(DataError, match="missing_field.json: record 0, field triple_list"):
        _read("missing_field.json")


@pytest.mark.parametrize("name,reason,kept_sentences,kept_triples", [
    ("unknown_relation.json", "unknown_relation", 1, 1),
    ("entity_not_found.json", "entity_not_found", 2, 1),
    ("empty_sentence.json", "empty_sentence", 1, 1),
    ("over_long.json", "over_long", 1, 1),
])
def test_content_problems_are_counted_skips_or_strict_errors(name, reason, kept_sentences, kept_triples):
    skips = SkipLog()
    sents = _read(name, skips=skips)
    assert len(sents) == kept_sentences and sum(len(s.triples) for s in sents) == kept_triples
    summary = skips.summary()
    assert summary["by_reason"] == {reason: 1} and name in summary["examples"][reason][0]
    with pytest.raises(DataError, match=rf"{name}: record \d+, field \S+: {reason}"):
        _read(name, skips=SkipLog(strict=True))


def test_over_long_threshold_is_an_option():
    assert len(_read("over_long.json", max_len=300)) == 2
