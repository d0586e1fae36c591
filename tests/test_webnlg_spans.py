"""Span recovery for WebNLG* (rinlib.data.webnlg_spans): fixture cases, then the real files.

The fixture (tests/fixtures/spans/) holds a few enriched-WebNLG ``<entry>`` elements and the
WebNLG*-style sentences that lexicalise them, one per pitfall of docs/spec.md §2 "Span recovery". The
``needs_shared`` tests run the recipe on the real train and test splits and check it against
the RIN authors' own full spans (``en_list`` of their test file).
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from rinlib.data.errors import DataError
from rinlib.data.webnlg_spans import (clean_entity_name, load_lex_index, recover_webnlg_spans,
                                      repair_mojibake)
from rinlib.records import Sentence, Triple, anchor

FIXTURE = Path(__file__).parent / "fixtures" / "spans"
REPO = Path(__file__).resolve().parents[1]
RAW_CANDIDATES = (REPO / "data" / "raw", REPO.parent / "shared" / "data" / "raw")
NEEDED = ("WebNLG-enriched_ThiagoCF05", "WebNLG-star_CasRel", "WebNLG_CopyRE-original", "WebNLG_RIN-authors")


def _last_word_sentence(sid: str, text: str, triples: list[list]) -> Sentence:
    """A WebNLG* sentence as the readers give it: space-split text, last-word spans (p, p+1)."""
    return Sentence(sid, text.split(" "), [Triple((s, s + 1), rel, (o, o + 1)) for s, o, rel in triples])


def _fixture_cases() -> list[dict]:
    return json.loads((FIXTURE / "sentences.json").read_text(encoding="utf-8"))["sentences"]


def _recover_fixture(split: str) -> tuple[list[tuple[dict, Sentence]], dict]:
    cases = [c for c in _fixture_cases() if c["split"] == split]
    sentences = [_last_word_sentence(c["sid"], c["text"], c["triples"]) for c in cases]
    out, report = recover_webnlg_spans(sentences, split, FIXTURE / "raw")
    return list(zip(cases, out)), report


def _text(sent: Sentence, span: tuple[int, int]) -> str:
    return " ".join(sent.tokens[span[0]:span[1]])


@pytest.mark.parametrize("sid", [c["sid"] for c in _fixture_cases()])
def test_fixture_spans_and_flags(sid: str) -> None:
    case = next(c for c in _fixture_cases() if c["sid"] == sid)
    pairs, _ = _recover_fixture(case["split"])
    sent = next(s for c, s in pairs if c["sid"] == sid)
    assert [[_text(sent, t.subj), t.rel, _text(sent, t.obj)] for t in sent.triples] == case["expect"]
    assert {sent.tokens[anchor(span)]: flag for span, flag in sent.span_flags.items()} == case["flags"]
    assert set(sent.span_flags) == set(sent.entities)


def test_anchors_and_tokens_are_kept() -> None:
    """Recovery only widens spans to the left: anchors (the partial-match labels) never move."""
    cases = [c for c in _fixture_cases() if c["split"] == "train"]
    before = [_last_word_sentence(c["sid"], c["text"], c["triples"]) for c in cases]
    after, _ = recover_webnlg_spans(before, "train", FIXTURE / "raw")
    for b, a in zip(before, after):
        assert (a.sid, a.tokens) == (b.sid, b.tokens)
        assert [(anchor(t.subj), t.rel, anchor(t.obj)) for t in a.triples] == \
               [(anchor(t.subj), t.rel, anchor(t.obj)) for t in b.triples]


def test_report_counts() -> None:
    _, report = _recover_fixture("train")
    assert report["sentences"] == 6
    assert report["matched_lex"] == 5 and report["matched_by_repair"] == 1  # "Ä°zmir" needs the repair
    assert report["unmatched_sids"] == ["not-in-xml"]
    assert report["by_rule"] == {"name": 12, "reference": 2, "other_entity": 0, "capitalised_run": 1,
                                 "last_word_only": 2}
    assert report["entities"] == 17 and report["not_recovered"] == 3
    assert {f["rule"] for f in report["failure_examples"]} == {"capitalised_run", "last_word_only"}


def test_ambiguous_lex_prefers_the_entry_whose_triples_fit() -> None:
    _, report = _recover_fixture("dev")
    assert report["ambiguous_lex"] == 1
    assert report["by_rule"]["name"] == 2 and report["by_rule"]["other_entity"] == 0


def test_text_helpers() -> None:
    assert repair_mojibake("DavutoÄŸlu") == "Davutoğlu"
    assert repair_mojibake("Ã\ufffdcolo") == "Ã\ufffdcolo"  # a lost byte: left as it is
    assert clean_entity_name("Atatürk_Monument_(İzmir)") == "Atatürk Monument"
    assert clean_entity_name('"Aarhus, Denmark"@en') == "Aarhus, Denmark"


def test_bad_input_names_record_and_field() -> None:
    wide = Sentence("webnlg/train/7", ["Alan", "Bean", "flew"], [Triple((0, 2), "occupation", (2, 3))])
    with pytest.raises(DataError, match=r"webnlg/train/7.*triples\[0\]\.subj"):
        recover_webnlg_spans([wide], "train", FIXTURE / "raw")
    with pytest.raises(DataError, match="split 'valid'"):
        recover_webnlg_spans([], "valid", FIXTURE / "raw")


def test_missing_xml_folder_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(DataError, match="no enriched WebNLG XML files"):
        recover_webnlg_spans([], "train", tmp_path)


def test_malformed_xml_names_the_file(tmp_path: Path) -> None:
    folder = tmp_path / "WebNLG-enriched_ThiagoCF05" / "v1.0" / "en" / "train" / "1triples"
    folder.mkdir(parents=True)
    (folder / "Broken.xml").write_text("<benchmark><entries>", encoding="utf-8")
    with pytest.raises(DataError, match="Broken.xml"):
        load_lex_index(tmp_path / "WebNLG-enriched_ThiagoCF05" / "v1.0" / "en")


# ------------------------------------------------------------------ the real files


@pytest.fixture(scope="module")
def raw_root() -> Path:
    for root in RAW_CANDIDATES:
        if all((root / name).is_dir() for name in NEEDED):
            return root
    where = " or ".join(map(str, RAW_CANDIDATES))
    pytest.skip(f"WebNLG raw data ({', '.join(NEEDED)}) not found under {where}")


def _webnlg_star(raw: Path, split: str) -> list[Sentence]:
    """WebNLG* text (CasRel) + CopyRE end positions (dev.json there is the TEST set)."""
    casrel = {"train": "train", "dev": "val", "test": "test"}[split]
    copyre = {"train": "train", "dev": "valid", "test": "dev"}[split]
    texts = json.loads((raw / "WebNLG-star_CasRel" / f"{casrel}_triples.json").read_text("utf-8"))
    _, flat = json.loads((raw / "WebNLG_CopyRE-original" / f"{copyre}.json").read_text("utf-8"))
    rel2id = json.loads((raw / "WebNLG_CopyRE-original" / "relations2id.json").read_text("utf-8"))
    id2rel = {i: r for r, i in rel2id.items()}
    return [_last_word_sentence(f"webnlg/{split}/{i}", rec["text"],
                                [[t[k], t[k + 1], id2rel[t[k + 2]]] for k in range(0, len(t), 3)])
            for i, (rec, t) in enumerate(zip(texts, flat))]


@pytest.mark.needs_shared
def test_train_coverage(raw_root: Path) -> None:
    _, report = recover_webnlg_spans(_webnlg_star(raw_root, "train"), "train", raw_root)
    assert report["matched_lex"] >= 5007
    assert report["recovered_share"] >= 0.97
    assert 0.60 <= report["multi_token_share"] <= 0.70


@pytest.mark.needs_shared
def test_test_split_agrees_with_the_authors_en_list(raw_root: Path) -> None:
    """Each recovered span vs the authors' full span with the same last word at that position."""
    out, _ = recover_webnlg_spans(_webnlg_star(raw_root, "test"), "test", raw_root)
    lines = (raw_root / "WebNLG_RIN-authors" / "test.json").read_text(encoding="utf-8").splitlines()
    authors = [json.loads(line) for line in lines if line.strip()]
    agree = total = 0
    for sent, rec in zip(out, authors, strict=True):
        assert sent.tokens == rec["sentText"]
        for start, end in sent.span_flags:
            total += 1
            ending_here = [e for e in rec["en_list"] if sent.tokens[max(0, end - len(e)):end] == e]
            agree += sent.tokens[start:end] in ending_here
    assert total == 2187
    assert agree / total >= 0.90
