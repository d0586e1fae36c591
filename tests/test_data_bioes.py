"""BIOES tagging of data spans: round trip, the overlap rule, lenient decoding."""

from __future__ import annotations

import pytest

from rinlib.data.bioes import bioes_to_spans, resolve_overlaps, to_bioes


def test_round_trip_tags_spans_tags():
    tags = ["S", "O", "B", "I", "E", "O", "B", "E", "S"]
    spans = bioes_to_spans(tags)
    assert spans == [(0, 1), (2, 5), (6, 8), (8, 9)]
    assert to_bioes(len(tags), spans) == tags


def test_overlaps_keep_longest_then_earliest():
    # "Philippe of Belgium" (0, 3) and "Belgium" (2, 3): the longer one is tagged
    assert to_bioes(4, [(2, 3), (0, 3)]) == ["B", "I", "E", "O"]
    kept, dropped = resolve_overlaps([(0, 2), (1, 3), (2, 3)])
    assert kept == [(0, 2), (2, 3)] and dropped == [(1, 3)]  # equal length: earliest wins


@pytest.mark.parametrize("tags", [["I", "E"], ["B", "I"], ["B", "O", "E"], ["E"], ["B", "B", "E"]])
def test_ill_formed_runs_give_no_span_except_complete_ones(tags):
    spans = bioes_to_spans(tags)
    assert all(tags[a] in "BS" and tags[b - 1] in "ES" for a, b in spans)
    assert bioes_to_spans(["B", "B", "E"]) == [(1, 3)]


def test_span_outside_sentence_is_an_error():
    with pytest.raises(ValueError, match="outside"):
        to_bioes(2, [(1, 3)])
