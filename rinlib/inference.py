"""Raw text → entities and relational triples from a saved model (docs/spec.md §5), on CPU or GPU.

The one contract (pinned by ``tests/test_inference.py``)::

    extract("Baymax is a character in Big Hero 6 .")            -> dict
    extract(["Sentence one .", ["pre", "tokenised", "."], ""])   -> list[dict]

A ``str`` is raw text and is tokenised here; a list/tuple of strings inside the outer list is
one pre-tokenised sentence (so a single token list must be wrapped: ``extract([tokens])``).
Each input gives a plain, JSON-safe dict::

    {"text": str, "tokens": [str],
     "sentences": [{"start", "end", "char_start", "char_end", "oov_share"}],
     "entities": [{"text", "start", "end", "char_start", "char_end"}],
     "triples": [{"subject": {...as an entity}, "relation": str, "object": {...}, "score": float}]}

``start``/``end`` are half-open token offsets into ``tokens``; ``char_start``/``char_end`` are
half-open character offsets into ``text`` (the input string itself, or the tokens joined by
single spaces for a token list), so ``text[char_start:char_end]`` is the span as the user wrote
it. ``oov_share`` is the share of a sentence's tokens outside the model's vocabulary (they are
read as ``<unk>``: a high share means the text is far from the training data).

Decoding is the kit's ``strict`` protocol (:mod:`rinlib.metrics`): entity spans from the
BIOES tags (:func:`~rinlib.metrics.decode_bioes`, ill-formed tag runs give no span), a triple
for each ordered pair of decoded spans whose anchors (last tokens) score ``y_(i,j)[r] >=``
the model's threshold; ``score`` is that pair probability. Entity ``text`` is the tokens
joined by single spaces. Triples are sorted by (subject, relation, object).

Decisions, documented once here:

* **Tokenisation** (:func:`tokenize`): NLTK's ``TreebankWordTokenizer`` (no punkt download),
  plus a split of sentence-internal periods (the Treebank tokenizer only splits the final one,
  and WebNLG texts hold several sentences), plus emoji split off their neighbours, smart quotes
  (“ ” ‘ ’) split exactly like plain ones (their tokens keep the user's characters), plus, for
  NYT models, ``` `` ``` → ``''`` (the NYT files write every double quote as ``''``). Every
  token has its character offsets (:func:`tokenize_spans`). On the training files, re-tokenising the
  Treebank-detokenised text gives back exactly the data's tokens for 94.8% of WebNLG train
  sentences and 93.4% of NYT test sentences (plain Treebank: 61.1% / 93.3%); the remaining
  differences are the data's own quirks ("U.S ." split at sentence ends, "Gov ." in NYT).
* **Unknown words** map to ``<unk>``. A non-ASCII word unknown to the model is looked up once
  more in its cp1252-mis-decoded form, because WebNLG* stores "Davutoğlu" as "DavutoÄŸlu"
  (50 of the 59 non-ASCII words of its train vocabulary are such forms), and in its plain-quote
  form ("It’s" → "’s" is read as "'s"); output tokens are always the user's.
* **POS** tags come from the kit's offline tagger (:func:`rinlib.data.tag_pos`), as in training.
* **Sentences**: raw text is cut into sentences (:func:`sentence_spans`: after ``. ? !`` and
  any closing quotes or brackets) and each is extracted on its own, so no triple crosses a
  sentence; ``split_sentences=False`` (CLI ``--no-split``) reads the whole input as one
  sentence, as a pre-tokenised input always is.
* **Case**: the models are case-sensitive (their vocabularies keep case); all-lower-case
  input raises a ``UserWarning``.
* **Threshold**: ``threshold`` (CLI ``--threshold``) replaces the model's 0.5 for the pair score.
* **Long input**: a sentence of more than ``max_len`` tokens (default :data:`MAX_LEN` = 200,
  the data layer's limit) is split into chunks of at most ``max_len`` tokens, cut after the
  last sentence-final token (``. ? !``) inside each window when there is one, else hard; each
  chunk is extracted on its own and offsets refer to the whole input. A ``UserWarning`` says
  so. No triple crosses a chunk boundary. (Why not truncate: silently dropping the tail of a
  document loses triples; why a limit at all: the relation tensor is O(n²).)
* **Empty** or whitespace-only input gives an empty result, never an error.
* Sentences are length-sorted into batches and run under ``torch.inference_mode``; a progress
  bar shows on a terminal when extraction takes more than two seconds.
* **Unreadable input** (:class:`InputError`): a missing file, or a line of a file, stdin or a
  command-line argument that is not UTF-8, named with its line; the lines before it are
  extracted and written first.
"""

from __future__ import annotations

import json
import re
import shlex
import shutil
import sys
import time
import warnings
from dataclasses import dataclass, fields
from functools import lru_cache
from pathlib import Path
from typing import Any, Iterable, Iterator, Sequence, TextIO

import torch
from tqdm.auto import tqdm

from rinlib import provenance
from rinlib.checkpoint import CheckpointError, load_model
from rinlib.config import RunConfig
from rinlib.data import tag_pos
from rinlib.data.readers import MAX_LEN
from rinlib.io import atomic_write_json, sha256_file, watched
from rinlib.metrics import Prediction, decode_bioes, triples_strict
from rinlib.model import RIN
from rinlib.predict import encode, predict
from rinlib.records import Sentence, Span, anchor
from rinlib.training import load_result, resolve_device
from rinlib.inputs import dataset_name, is_user_config

REPO = Path(__file__).resolve().parent.parent
MODELS = REPO / "models"
DEFAULT_CHECKPOINT = MODELS / "webnlg-partial.safetensors"
"""Longest chunk the model sees (the data layer drops longer training sentences)."""

Text = str | Sequence[str]
_REQUIRED_META = ("config", "words", "pos", "relations")
_SENTENCE_END = {".", "?", "!"}
_CLOSERS = {"''", "'", ")", "]", "}", "\u201d", "\u2019"}  # may follow a sentence end and belong to its sentence
_PREDICT_BLOCK = 1000  # sentences per prediction call: the unit the progress bar counts
PROGRESS_DELAY_S = 2.0
"""A progress bar appears only once extraction has taken this long (small inputs stay quiet)."""
# Tokens ending in "." that are abbreviations, never a sentence end (lower-cased, no final ".").
_ABBREVIATIONS = frozenset(
    "mr mrs ms dr prof st jr sr gov sen rep gen col lt capt rev no inc corp co ltd vs etc mt ft "
    "jan feb mar apr aug sep sept oct nov dec".split())


@lru_cache(maxsize=1)
def _treebank():
    """NLTK's Treebank tokeniser, imported on first use: training needs no NLTK."""
    from nltk.tokenize import TreebankWordTokenizer

    return TreebankWordTokenizer()


# --------------------------------------------------------------------------- tokenisation

Piece = tuple[str, int, int]
"""A token and its half-open character offsets in the input string."""

# Smart quotes are tokenised as their plain forms (one character each, so offsets are kept); the
# tokens keep the user's characters (:func:`tokenize_spans`).
_SMART_QUOTES = str.maketrans({"\u201c": '"', "\u201d": '"', "\u201e": '"', "\u201f": '"',
                               "\u2018": "'", "\u2019": "'", "\u201b": "'"})
# An emoji with its modifiers (variation selectors, skin tones, keycap) and ZWJ sequences, or a flag.
_EMOJI = re.compile("(?:[\U0001F1E6-\U0001F1FF]{2}|[\U0001F000-\U0001FAFF\u2600-\u27BF\u2B00-\u2BFF])"
                    "[\uFE0E\uFE0F\U0001F3FB-\U0001F3FF\u20E3]*"
                    "(?:\u200D[\U0001F000-\U0001FAFF\u2600-\u27BF][\uFE0E\uFE0F\U0001F3FB-\U0001F3FF]*)*")
_QUOTE_TOKENS = ("``", "''")


def _align(text: str, tokens: Sequence[str]) -> list[Span]:
    """Character offsets of Treebank tokens in the text they came from: every token is a
    substring of it except the opening and closing quote tokens that stand for a double quote."""
    out, pos = [], 0
    for tok in tokens:
        while pos < len(text) and text[pos].isspace():
            pos += 1
        if text.startswith(tok, pos):
            n = len(tok)
        elif tok in _QUOTE_TOKENS and text.startswith('"', pos):
            n = 1
        elif tok in _QUOTE_TOKENS and text[pos:pos + 2] in _QUOTE_TOKENS:
            n = 2
        else:
            raise RuntimeError(f"tokeniser lost its place at character {pos} of {text!r} (token {tok!r}); "
                               "please report this input")
        out.append((pos, pos + n))
        pos += n
    return out


def _split_emoji(piece: Piece) -> list[Piece]:
    """Split emoji off their neighbours ("great😀" → "great" "😀"): the training data has none, so a
    word with one glued to it would be unknown."""
    tok, s, e = piece
    out: list[Piece] = []
    k = 0
    for m in _EMOJI.finditer(tok):  # a token with an emoji is its own text (only quote tokens are not)
        out += [(tok[k:m.start()], s + k, s + m.start()), (m.group(), s + m.start(), s + m.end())]
        k = m.end()
    out.append((tok[k:], s + k, e))
    return [p for p in out if p[0]]


def _split_periods(pieces: list[Piece]) -> list[Piece]:
    """Split "Texas." into "Texas" "." before a capitalised word, digit, quote or bracket.

    Abbreviations stay whole: tokens with an inner period ("U.S.", "N.Y."), one letter ("J."),
    and the words of :data:`_ABBREVIATIONS`.
    """
    out: list[Piece] = []
    for k, (tok, s, e) in enumerate(pieces):
        stem = tok[:-1]
        if (tok.endswith(".") and len(stem) > 1 and "." not in stem and stem.lower() not in _ABBREVIATIONS
                and k + 1 < len(pieces) and re.match(r"[A-Z0-9`'\"(\[\u201c\u2018]", pieces[k + 1][0])):
            out += [(stem, s, e - 1), (".", e - 1, e)]
        else:
            out.append((tok, s, e))
    return out


def tokenize_spans(text: str, style: str = "webnlg") -> list[Piece]:
    """Tokens of raw text with their character offsets in ``text`` (module doc: the tokenisation).

    Treebank tokens, emoji split off (:func:`_split_emoji`), sentence-internal periods split
    (:func:`_split_periods`); smart quotes are split like plain ones and keep their characters.
    ``style`` is ``"webnlg"`` or ``"nyt"`` (NYT writes opening double quotes as ``''``).
    """
    if style not in ("webnlg", "nyt"):
        raise ValueError(f"style must be 'webnlg' or 'nyt', got {style!r}")
    plain = text.translate(_SMART_QUOTES)  # same length: offsets into it are offsets into text
    tokens = _treebank().tokenize(plain)
    pieces = [(tok if text[s:e] == plain[s:e] else text[s:e], s, e)  # a smart quote stays the user's
              for tok, (s, e) in zip(tokens, _align(plain, tokens))]
    pieces = _split_periods([q for p in pieces for q in _split_emoji(p)])
    if style == "nyt":
        pieces = [("''" if t == "``" else t, s, e) for t, s, e in pieces]
    return pieces


def tokenize(text: str, style: str = "webnlg") -> list[str]:
    """Penn-Treebank-like tokens as in the CopyRE WebNLG*/NYT files (module doc: evidence);
    :func:`tokenize_spans` gives their character offsets too."""
    return [t for t, _, _ in tokenize_spans(text, style)]


def tokenization_style(dataset: str) -> str:
    """The :func:`tokenize` style of a kit data set: ``"nyt"`` for the NYT family, else ``"webnlg"``."""
    return "nyt" if dataset.startswith("nyt") else "webnlg"


def chunk_spans(tokens: Sequence[str], max_len: int = MAX_LEN) -> list[Span]:
    """Cut ``tokens`` into half-open chunks of at most ``max_len``, after a sentence end if possible."""
    if max_len < 1:
        raise ValueError(f"max_len must be >= 1, got {max_len}")
    spans, start, n = [], 0, len(tokens)
    while start < n:
        end = min(start + max_len, n)
        if end < n:
            ends = [k + 1 for k in range(start, end) if tokens[k] in _SENTENCE_END]
            end = ends[-1] if ends else end
        spans.append((start, end))
        start = end
    return spans


def sentence_spans(tokens: Sequence[str]) -> list[Span]:
    """Half-open sentences of a token list: a sentence ends after ``. ? !`` and the closing quotes
    and brackets that follow it (abbreviations such as "Mr." are single tokens, never an end)."""
    spans, start, k, n = [], 0, 0, len(tokens)
    while k < n:
        k += 1
        if tokens[k - 1] in _SENTENCE_END:
            while k < n and (tokens[k] in _CLOSERS or tokens[k] in _SENTENCE_END):
                k += 1
            if k < n:
                spans.append((start, k))
                start = k
    if start < n:
        spans.append((start, n))
    return spans


def _mojibake(word: str) -> str | None:
    """``word`` as WebNLG* stores it (UTF-8 bytes read as cp1252), or None when not representable."""
    try:
        return word.encode("utf-8").decode("cp1252")
    except UnicodeDecodeError:
        return None


def _all_lower(text: str) -> bool:
    """Whether text has cased letters and none of them is upper-case."""
    return text == text.lower() and text != text.upper()


# --------------------------------------------------------------------------- reading input

class InputError(ValueError):
    """Input text that cannot be read: a missing file, or bytes that are not UTF-8 (the message
    names the file or argument and the line)."""


def decoded_lines(lines: Iterable[bytes | str], name: str, unit: str = "line") -> Iterator[str]:
    """Lines (bytes, or str from a command line) checked and decoded one at a time, without their
    line break, so that the lines before a bad one are handed on before :class:`InputError` names
    it (``name``, ``unit`` and its 1-based number). A UTF-8 byte-order mark is dropped."""
    for n, raw in enumerate(lines, 1):
        if isinstance(raw, bytes):
            try:
                line = raw.decode("utf-8")
            except UnicodeDecodeError as e:
                raise InputError(f"{name}: {unit} {n}: not UTF-8 (byte 0x{raw[e.start]:02x} at column "
                                 f"{e.start + 1})") from None
        else:  # Python hands undecodable bytes of argv and stdin on as lone surrogates
            line = raw
            try:
                line.encode("utf-8")
            except UnicodeEncodeError as e:
                raise InputError(f"{name}: {unit} {n}: not UTF-8 (byte 0x{ord(line[e.start]) & 0xFF:02x} at "
                                 f"column {e.start + 1})") from None
        yield (line.removeprefix("\ufeff") if n == 1 else line).rstrip("\r\n")


def read_lines(source: str | Path) -> Iterator[str]:
    """The lines of a UTF-8 text file, or of stdin for ``"-"`` (:func:`decoded_lines`); a missing
    file raises :class:`InputError` at once."""
    if str(source) == "-":
        return decoded_lines(getattr(sys.stdin, "buffer", sys.stdin), "<stdin>")
    path = Path(source)
    if not path.is_file():
        raise InputError(f"{path}: no such file")
    return _file_lines(path)


def _file_lines(path: Path) -> Iterator[str]:
    with open(path, "rb") as f:
        yield from decoded_lines(f, str(path))


def write_jsonl(records: Iterable[dict[str, Any]], out_path: str | Path | None) -> int:
    """Write records as JSON lines (``None``/``"-"``: stdout), each as soon as it exists; returns
    how many. An :class:`InputError` met on the way says how many records were written before it."""
    dst: TextIO = sys.stdout if out_path in (None, "-") else open(out_path, "w", encoding="utf-8")
    n = 0
    try:
        for rec in records:
            dst.write(json.dumps(rec, ensure_ascii=False) + "\n")
            n += 1
    except InputError as e:
        raise InputError(f"{e}; the {n} sentences before it were extracted and written") from None
    finally:
        if dst is not sys.stdout:
            dst.close()
    return n


# --------------------------------------------------------------------------- the extractor

def _span_dict(tokens: Sequence[str], offsets: Sequence[Span], span: Span) -> dict[str, Any]:
    return {"text": " ".join(tokens[span[0]:span[1]]), "start": span[0], "end": span[1],
            "char_start": offsets[span[0]][0], "char_end": offsets[span[1] - 1][1]}


def _joined_offsets(tokens: Sequence[str]) -> list[Span]:
    """Character offsets of tokens in ``" ".join(tokens)``."""
    out, pos = [], 0
    for t in tokens:
        out.append((pos, pos + len(t)))
        pos += len(t) + 1
    return out


@dataclass
class Extractor:
    """A loaded model and its vocabularies; :meth:`extract` is the contract of the module doc."""

    model: RIN
    meta: dict[str, Any]
    config: RunConfig
    path: Path
    max_len: int = MAX_LEN

    @property
    def relations(self) -> list[str]:
        return list(self.meta["relations"])

    @property
    def device(self) -> torch.device:
        return next(self.model.parameters()).device

    @property
    def style(self) -> str:
        """Tokenisation style of the data the model was trained on."""
        return tokenization_style(self.config.dataset)

    def describe(self) -> str:
        c = self.config
        return (f"{self.path.name}: {dataset_name(c)}/{c.task}/{c.variant} K={c.K} seed={c.seed} "
                f"epoch {self.meta.get('epoch')} (dev F1 {self.meta.get('dev_f1', float('nan')):.4f}) on {self.device}")

    def _vocab_form(self, word: str, known: dict[str, int]) -> str:
        if word in known or word.isascii():
            return word
        for alt in (word.translate(_SMART_QUOTES), _mojibake(word)):  # "’s" is "'s"; WebNLG*'s mojibake
            if alt is not None and alt in known:
                return alt
        return word

    def _tokens(self, item: Text, where: str) -> tuple[str, list[str], list[Span]]:
        """(text, tokens, character offsets of the tokens in text) of one input."""
        if isinstance(item, str):
            pieces = tokenize_spans(item, self.style)
            return item, [t for t, _, _ in pieces], [(s, e) for _, s, e in pieces]
        if isinstance(item, (list, tuple)) and all(isinstance(t, str) for t in item):
            bad = [k for k, t in enumerate(item) if not t.strip()]
            if bad:
                raise ValueError(f"{where}: token {bad[0]} is empty or whitespace")
            return " ".join(item), list(item), _joined_offsets(item)
        raise TypeError(f"{where}: expected a str (raw text) or a list of str (tokens), got {type(item).__name__}")

    def extract(self, texts: Text | Sequence[Text], batch_size: int = 32, threshold: float | None = None,
                split_sentences: bool = True, progress: bool | None = None) -> dict[str, Any] | list[dict[str, Any]]:
        """Entities and triples for one text (→ dict) or a list of texts/token lists (→ list).

        ``threshold``: the pair probability a triple needs (default: the model's, 0.5).
        ``split_sentences``: raw text is cut into sentences, and no triple crosses one (token
        lists are one sentence each). ``progress``: a progress bar (default: when stderr is a
        terminal and extraction takes more than two seconds)."""
        if isinstance(texts, str):
            return self._extract_many([texts], batch_size, threshold, split_sentences, progress)[0]
        if not isinstance(texts, (list, tuple)):
            raise TypeError(f"extract takes a str or a list, got {type(texts).__name__}")
        return self._extract_many(list(texts), batch_size, threshold, split_sentences, progress)

    def _extract_many(self, items: list[Text], batch_size: int, threshold: float | None = None,
                      split_sentences: bool = True, progress: bool | None = None) -> list[dict[str, Any]]:
        threshold = self.config.threshold if threshold is None else threshold
        if not 0 < threshold < 1:
            raise ValueError(f"threshold must be between 0 and 1 (exclusive), got {threshold}")
        known = {w: i for i, w in enumerate(self.meta["words"])}
        results: list[dict[str, Any]] = []
        offsets: list[list[Span]] = []
        pieces: list[tuple[int, int]] = []  # (result index, token offset) per model input
        sentences: list[Sentence] = []
        lower = []
        for k, item in enumerate(items):
            text, tokens, chars = self._tokens(item, f"input {k}")
            results.append({"text": text, "tokens": tokens, "sentences": [], "entities": [], "triples": []})
            offsets.append(chars)
            if not tokens:
                continue
            lower += [k] if _all_lower(text) else []
            forms = [self._vocab_form(w, known) for w in tokens]
            pos = tag_pos(tokens)
            for a, b in sentence_spans(tokens) if split_sentences and isinstance(item, str) else [(0, len(tokens))]:
                results[k]["sentences"].append({"start": a, "end": b, "char_start": chars[a][0],
                                                "char_end": chars[b - 1][1],
                                                "oov_share": sum(f not in known for f in forms[a:b]) / (b - a)})
                chunks = [(a + s, a + e) for s, e in chunk_spans(tokens[a:b], self.max_len)]
                if len(chunks) > 1:
                    warnings.warn(f"input {k} has a sentence of {b - a} tokens (> max_len={self.max_len}); extracted "
                                  f"in {len(chunks)} chunks {chunks}, no triple crosses a chunk boundary", stacklevel=3)
                for s, e in chunks:
                    pieces.append((k, s))
                    sentences.append(Sentence(f"input/{k}/{s}", forms[s:e], [], pos=pos[s:e]))
        if lower:
            warnings.warn(f"{len(lower)} of {len(items)} inputs are all lower-case (first: input {lower[0]}); the model "
                          "is case-sensitive and trained on cased text, so it finds far fewer entities in them: give "
                          "the text with its capitals", UserWarning, stacklevel=3)
        encoded = encode(sentences, self.meta["words"], self.meta["pos"], self.relations) if sentences else []
        preds: list[Prediction] = []
        with tqdm(total=len(encoded), desc="extract", unit=" sentences", delay=PROGRESS_DELAY_S, leave=False,
                  disable=not watched(progress)) as bar:
            for s in range(0, len(encoded), _PREDICT_BLOCK):
                block = encoded[s:s + _PREDICT_BLOCK]
                preds += predict(self.model, block, self.relations, batch_size, threshold)
                bar.update(len(block))
        for (k, offset), pred in zip(pieces, preds):
            self._add(results[k], offsets[k], pred, offset)
        for r in results:
            r["entities"].sort(key=lambda d: (d["start"], d["end"]))
            r["triples"].sort(key=lambda d: (d["subject"]["start"], d["subject"]["end"], d["relation"],
                                             d["object"]["start"], d["object"]["end"]))
        return results

    def _add(self, result: dict[str, Any], chars: list[Span], pred: Prediction, offset: int) -> None:
        tokens = result["tokens"]

        def span(s: Span) -> dict[str, Any]:
            return _span_dict(tokens, chars, (s[0] + offset, s[1] + offset))
        result["entities"] += [span(s) for s in decode_bioes(pred.tags)]
        score = {(i, j, r): s for i, j, r, s in pred.pairs}
        for t in triples_strict(pred.tags, pred.pairs, pred.threshold):
            result["triples"].append({"subject": span(t.subj), "relation": t.rel, "object": span(t.obj),
                                      "score": float(score[(anchor(t.subj), anchor(t.obj), t.rel)])})

    def extract_lines(self, lines: Iterable[str], batch_size: int = 32, pretokenized: bool = False,
                      block: int = 1000, threshold: float | None = None, split_sentences: bool = True,
                      progress: bool | None = None) -> Iterator[dict[str, Any]]:
        """One result per non-blank line, with its 1-based ``line`` number (blank lines are skipped).

        ``pretokenized`` splits each line on whitespace instead of tokenising it (one sentence
        per line). Lines are processed in blocks of ``block`` so a large file never sits in
        memory at once. When reading ``lines`` raises :class:`InputError` (a line that is not
        UTF-8), the lines before it are extracted and yielded first. ``threshold``,
        ``split_sentences``, ``progress``: as in :meth:`extract` (the bar counts lines).
        """
        buf: list[tuple[int, Text]] = []
        bar = tqdm(desc="extract", unit=" lines", delay=PROGRESS_DELAY_S, leave=False, disable=not watched(progress))

        def flush() -> Iterator[dict[str, Any]]:
            outs = self._extract_many([t for _, t in buf], batch_size, threshold, split_sentences, progress=False)
            bar.update(len(buf))
            for (n, _), out in zip(buf, outs):
                yield {"line": n, **out}
            buf.clear()
        with bar:
            try:
                for n, line in enumerate(lines, 1):
                    line = line.rstrip("\n")
                    if not line.strip():
                        continue
                    buf.append((n, line.split() if pretokenized else line))
                    if len(buf) >= block:
                        yield from flush()
            except InputError:
                yield from flush()  # the lines before the unreadable one are not lost
                raise
            if buf:
                yield from flush()


def load(path: str | Path | None = None, device: str | torch.device = "cpu", max_len: int = MAX_LEN) -> Extractor:
    """Rebuild a model from a ``model.safetensors`` file or a run directory holding one (default:
    the shipped WebNLG partial model).

    Every problem with the file (missing, not safetensors, another format version, metadata
    or weights that do not fit its config) raises :class:`~rinlib.checkpoint.CheckpointError`
    naming the file; a CUDA device on a machine without one raises
    :class:`~rinlib.training.TrainingError`.
    """
    if path is None:
        path = DEFAULT_CHECKPOINT
        if not path.exists():
            raise CheckpointError(
                f"{path}: no shipped checkpoint yet; pass checkpoint=<run_dir>/model.safetensors, or ship a "
                "finished run with `python -m rinlib ship <run_dir> webnlg-partial` (models/README.md)")
    path = Path(path)
    if path.is_dir():
        path = path / "model.safetensors"
    try:
        model, meta = load_model(path, device=resolve_device(str(device)))
    except CheckpointError:
        raise
    except (KeyError, TypeError, ValueError) as e:  # metadata present but not a description of this model
        raise CheckpointError(f"{path}: metadata is not a rinlib model description ({type(e).__name__}: {e})") from e
    missing = [k for k in _REQUIRED_META if k not in meta]
    if missing:
        raise CheckpointError(f"{path}: metadata lacks field(s) {missing}")
    config = RunConfig.from_dict(meta["config"]).resolved()
    return Extractor(model, meta, config, path, max_len)


@lru_cache(maxsize=4)
def _cached(path: str, stamp: tuple[int, int], device: str) -> Extractor:
    return load(path, device)


def cached_load(checkpoint: str | Path | None = None, device: str = "cpu") -> Extractor:
    """:func:`load`, remembered per (file, mtime and size, device): repeated :func:`extract` calls,
    with the default model too, load it once; a file replaced on disk is loaded again."""
    p = Path(checkpoint) if checkpoint is not None else DEFAULT_CHECKPOINT
    p = p / "model.safetensors" if p.is_dir() else p
    if not p.is_file():
        return load(checkpoint, device)  # raises the error that names what is missing
    stat = p.stat()
    return _cached(str(p.resolve()), (stat.st_mtime_ns, stat.st_size), device)


def extract(texts: Text | Sequence[Text], checkpoint: str | Path | None = None, device: str = "cpu",
            batch_size: int = 32, threshold: float | None = None, split_sentences: bool = True,
            progress: bool | None = None) -> dict[str, Any] | list[dict[str, Any]]:
    """One-call extraction (module doc, :meth:`Extractor.extract`); the model is loaded once (:func:`cached_load`)."""
    return cached_load(checkpoint, device).extract(texts, batch_size, threshold, split_sentences, progress)


# --------------------------------------------------------------------------- shipping checkpoints



def train_command(cfg: RunConfig) -> str:
    """The ``python -m rinlib train`` line that reproduces ``cfg``: dataset/task/variant/seed/profile
    plus every result-defining field that differs from the defaults of that dataset and task
    (for a user's folder: ``dataset=<folder>``; the folder must still hold the same files)."""
    c = cfg.to_dict()
    base = RunConfig(dataset=cfg.dataset, task=cfg.task, variant=cfg.variant).resolved().to_dict()
    if is_user_config(cfg):  # a user's folder is named by its path (rinlib.userdata); its files' hashes follow
        c["dataset"] = cfg.data_root
    skip = {"out_dir", "device", "num_threads", "progress", "data_root", "notes", "extra"}
    keep = ["dataset", "task", "variant", "seed", "profile"]
    keep += [f.name for f in fields(RunConfig) if f.name not in skip and f.name not in keep and c[f.name] != base.get(f.name)]
    return "python -m rinlib train " + " ".join(shlex.quote(f"{k}={json.dumps(c[k]) if c[k] is None else c[k]}")
                                                for k in keep)


def ship(run_dir: str | Path, name: str, models_dir: str | Path = MODELS, force: bool = False) -> Path:
    """Copy a finished run's dev-selected ``model.safetensors`` to ``models/<name>.safetensors`` and
    write the model card ``models/<name>.json`` (how it was trained, its dev/test scores).

    Refuses a run without ``metrics.json`` (unfinished) and an existing model of that name
    unless ``force``. The copy is loaded once before the card is written, so a card never
    describes a file that cannot be used. Returns the path of the shipped model.
    """
    run = Path(run_dir)
    if not re.fullmatch(r"[A-Za-z0-9][A-Za-z0-9._-]*", name):
        raise ValueError(f"model name {name!r}: use letters, digits, '.', '_' and '-' only")
    result = load_result(run)
    if result is None:
        raise FileNotFoundError(f"{run}: not a finished run (no metrics.json)")
    src = run / "model.safetensors"
    if not src.exists():
        raise FileNotFoundError(f"{src}: the run has no model.safetensors")
    out_dir = Path(models_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    dst, card = out_dir / f"{name}.safetensors", out_dir / f"{name}.json"
    if dst.exists() and not force:
        raise FileExistsError(f"{dst} exists; pass force=True (CLI: --force) to replace it")
    tmp = dst.with_suffix(".safetensors.tmp")
    shutil.copyfile(src, tmp)
    try:
        ex = load(tmp)  # fails loudly on a broken file before anything is replaced
    except CheckpointError:
        tmp.unlink()
        raise
    tmp.replace(dst)
    m = result.metrics
    prov_path = run / "provenance.json"
    prov = json.loads(prov_path.read_text()) if prov_path.exists() else {}
    atomic_write_json(card, {
        "name": name, "file": dst.name, "sha256": sha256_file(dst), "bytes": dst.stat().st_size,
        "dataset": m.get("dataset", result.config.dataset), **({"data": m["data"]} if "data" in m else {}),
        "task": result.config.task, "variant": result.config.variant,
        "K": result.config.K, "seed": result.config.seed, "profile": result.config.profile,
        "relations": len(ex.relations), "vocabulary": len(ex.meta["words"]),
        "training": {"command": train_command(result.config), "config": result.config.to_dict(),
                     "config_key": m.get("key"), "max_epochs": m.get("max_epochs"),
                     "epochs_run": m.get("epochs_run"), "selected_epoch": m.get("selected_epoch"),
                     "selection": m.get("selection"), "stopped_early": m.get("stopped_early"),
                     "commit": prov.get("commit"), "device": prov.get("device_name"),
                     "wall_time_s": prov.get("wall_time_s"), "glove_coverage": prov.get("glove_coverage")},
        "scores": {split: m[split] for split in ("dev", "test") if split in m},
        "scores_note": "fractions; 'strict' is the kit's headline protocol, 'paper' the authors' word-pair protocol",
        "source_run": str(run), "shipped_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "shipped_from_commit": provenance.git_commit(),
    })
    return dst
