"""Extraction on raw text (rinlib.inference) beyond the base contract of test_inference.py:
character offsets, the tokeniser (quotes, smart quotes, brackets, emoji, trailing punctuation),
sentence splitting, the threshold, the out-of-vocabulary share, the lower-case warning, the
cached default model and the progress bar. Uses the shipped WebNLG partial model."""

from __future__ import annotations

import io
import json
import sys
import warnings
from pathlib import Path

import pytest

import rinlib
import rinlib.inference as inf
from rinlib.__main__ import main
from rinlib.inference import extract, load, sentence_spans, tokenize, tokenize_spans

MODEL = Path(__file__).resolve().parents[1] / "models" / "webnlg-partial.safetensors"
pytestmark = pytest.mark.skipif(not MODEL.exists(), reason="the shipped model is not here")

TWO = "Alan Bean was born in Wheeler, Texas. He was a crew member of NASA's Apollo 12 under David Scott."


def _keys(r: dict, shift: int = 0) -> set:
    return {((t["subject"]["start"] + shift, t["subject"]["end"] + shift), t["relation"],
             (t["object"]["start"] + shift, t["object"]["end"] + shift)) for t in r["triples"]}


# --------------------------------------------------------------------------- tokeniser and offsets

@pytest.mark.parametrize("text, tokens", [
    ('He said "yes" (twice).', ["He", "said", "``", "yes", "''", "(", "twice", ")", "."]),
    ("“Hello,” she said. It’s fine!", ["“", "Hello", ",", "”", "she", "said", ".", "It", "’s", "fine", "!"]),
    ("I love it😀! Great 👍🏽.", ["I", "love", "it", "😀", "!", "Great", "👍🏽", "."]),
    ("Paris [France] is big; really?!", ["Paris", "[", "France", "]", "is", "big", ";", "really", "?", "!"]),
    ("Bean flew Apollo 12... He was born in Texas.", ["Bean", "flew", "Apollo", "12", "...", "He", "was", "born",
                                                     "in", "Texas", "."]),
])
def test_tokeniser_splits_quotes_brackets_emoji_and_punctuation(text, tokens):
    pieces = tokenize_spans(text)
    assert [t for t, _, _ in pieces] == tokens == tokenize(text)
    for tok, s, e in pieces:  # every token is its slice of the input, except the Treebank forms of '"'
        assert text[s:e] == tok or (tok in ("``", "''") and text[s:e] == '"')


def test_every_entity_and_argument_has_character_offsets_into_the_input():
    text = "Alan  Bean was born in “Wheeler”,   Texas.  Buzz Aldrin was born in Glen Ridge, New Jersey."
    r = extract(text, checkpoint=MODEL)
    assert r["entities"] and r["triples"]
    for e in r["entities"] + [t[k] for t in r["triples"] for k in ("subject", "object")]:
        span = text[e["char_start"]:e["char_end"]]
        assert "".join(span.split()) == "".join(e["text"].split())  # the same characters, the user's spacing
        assert span.startswith(r["tokens"][e["start"]]) and span.endswith(r["tokens"][e["end"] - 1])
    assert {e["text"] for e in r["entities"]} >= {"Alan Bean", "Buzz Aldrin"}


def test_pretokenised_offsets_index_the_tokens_joined_by_spaces():
    tokens = ["Alan", "Bean", "was", "born", "in", "Wheeler", ",", "Texas", "."]
    r = extract([tokens], checkpoint=MODEL)[0]
    assert r["text"] == " ".join(tokens)
    for e in r["entities"]:
        assert r["text"][e["char_start"]:e["char_end"]] == e["text"]


# --------------------------------------------------------------------------- sentences

def test_sentence_spans_end_after_closing_quotes_and_keep_abbreviations():
    toks = tokenize('He said "go." Mr. Smith left! Then (quietly) he came back.')
    spans = sentence_spans(toks)
    assert [toks[s:e][-1] for s, e in spans] == ["''", "!", "."]
    assert ["Mr.", "Smith"] == toks[spans[1][0]:spans[1][0] + 2]
    assert sentence_spans([]) == [] and sentence_spans(["no", "end"]) == [(0, 2)]


def test_raw_text_is_split_and_each_sentence_extracts_as_it_does_alone():
    r = extract(TWO, checkpoint=MODEL)
    (s0, e0), (s1, e1) = [(x["start"], x["end"]) for x in r["sentences"]]
    assert (s0, e1) == (0, len(r["tokens"])) and e0 == s1
    assert TWO[r["sentences"][1]["char_start"]:r["sentences"][1]["char_end"]].startswith("He was")
    for t in r["triples"]:  # no triple crosses a sentence
        ends = {t[k]["end"] <= e0 for k in ("subject", "object")}
        assert len(ends) == 1
    first, second = TWO[:r["sentences"][0]["char_end"]], TWO[r["sentences"][1]["char_start"]:]
    alone = extract([first, second], checkpoint=MODEL)
    assert _keys(r) == _keys(alone[0]) | _keys(alone[1], shift=s1)
    whole = extract(TWO, checkpoint=MODEL, split_sentences=False)
    assert len(whole["sentences"]) == 1 and whole["tokens"] == r["tokens"]


def test_cli_no_split_reads_each_line_as_one_sentence(capsys):
    main(["extract", "--checkpoint", str(MODEL), TWO])
    assert len(json.loads(capsys.readouterr().out)["sentences"]) == 2
    main(["extract", "--checkpoint", str(MODEL), "--no-split", TWO])
    assert len(json.loads(capsys.readouterr().out)["sentences"]) == 1


# --------------------------------------------------------------------------- threshold, OOV, case

def test_threshold_in_the_api_and_the_cli(capsys):
    text = ("Alan Bean (of the United States) was a crew member of NASA's Apollo 12 under the commander David Scott. "
            "Tim Brooke-Taylor was the star of Bananaman, an STV series first aired on 10/03/1983 and created by "
            "Steve Bright.")
    base, high, low = (extract(text, checkpoint=MODEL, threshold=t) for t in (None, 0.99, 0.05))
    assert _keys(high) <= _keys(base) <= _keys(low) and _keys(high) != _keys(low)
    assert all(t["score"] >= 0.99 for t in high["triples"]) and any(t["score"] < 0.5 for t in low["triples"])
    main(["extract", "--checkpoint", str(MODEL), "--threshold", "0.99", text])
    assert _keys(json.loads(capsys.readouterr().out)) == _keys(high)
    with pytest.raises(SystemExit) as e:
        main(["extract", "--threshold", "1.5", text])
    assert e.value.code == 2
    with pytest.raises(ValueError, match="threshold"):
        extract(text, checkpoint=MODEL, threshold=0)


def test_each_sentence_reports_its_share_of_unknown_words():
    words = set(load(MODEL).meta["words"])
    r = extract("Alan Bean was born in Texas. Zorblax Quuxington flibbered the Vrrnk.", checkpoint=MODEL)
    shares = [s["oov_share"] for s in r["sentences"]]
    want = [sum(t not in words for t in r["tokens"][s["start"]:s["end"]]) / (s["end"] - s["start"])
            for s in r["sentences"]]
    assert shares == pytest.approx(want) and shares[0] == 0.0 and shares[1] >= 0.5


def test_all_lower_case_input_warns_and_cased_input_does_not():
    with pytest.warns(UserWarning, match="1 of 2 inputs are all lower-case .first: input 1.*case-sensitive"):
        extract(["Alan Bean was born in Texas .", "alan bean was born in texas ."], checkpoint=MODEL)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        extract(["Alan Bean was born in Texas .", "1984 , 2001 ."], checkpoint=MODEL)


# --------------------------------------------------------------------------- caching and progress

def test_the_default_model_is_loaded_once(monkeypatch):
    calls = []
    real = inf.load

    def counting(*a, **k):
        calls.append(a)
        return real(*a, **k)
    monkeypatch.setattr(inf, "load", counting)
    monkeypatch.setattr(inf, "DEFAULT_CHECKPOINT", MODEL)
    inf._cached.cache_clear()
    a = rinlib.extract("Alan Bean was born in Texas .")
    b = rinlib.extract(["Alan Bean was born in Texas ."])[0]
    assert a == b and len(calls) == 1
    inf._cached.cache_clear()


@pytest.mark.parametrize("tty, progress, shown", [(False, None, False), (True, None, True), (False, True, True),
                                                   (True, False, False)])
def test_progress_bar_only_on_a_terminal(monkeypatch, capsys, tty, progress, shown):
    monkeypatch.setattr(inf, "PROGRESS_DELAY_S", 0)  # show at once: real use waits two seconds
    monkeypatch.setattr(sys, "stderr", io.StringIO())
    monkeypatch.setattr(sys.stderr, "isatty", lambda: tty)
    extract(["Alan Bean was born in Texas ."] * 3, checkpoint=MODEL, progress=progress)
    list(load(MODEL).extract_lines(["Alan Bean was born in Texas ."], progress=progress))
    assert ("extract" in sys.stderr.getvalue()) == shown
