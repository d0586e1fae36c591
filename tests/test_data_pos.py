"""The shipped tagger reproduces the RIN authors' POS tags exactly (docs/spec.md §2)."""

from __future__ import annotations

import json

from rinlib.data.pos import pos_classes, tag_pos
from rinlib.data.readers import DATA_DIR


def test_tags_equal_authors_tags_on_first_50_test_sentences():
    lines = (DATA_DIR / "raw" / "WebNLG_RIN-authors" / "test.json").read_text().splitlines()[:50]
    recs = [json.loads(line) for line in lines]
    assert sum(len(r["sentText"]) for r in recs) > 1000
    for r in recs:
        assert tag_pos(r["sentText"]) == r["pos"]


def test_inventory_is_the_45_ptb_tags():
    tags = pos_classes()
    assert len(tags) == 45 and {"NNP", "VBZ", ",", "."} <= set(tags)
    assert tag_pos([]) == []
