"""Raw text → entities and relational triples from a saved model (SPEC §5), on CPU or GPU.

The one contract (pinned by ``tests/test_inference.py``)::

    extract("Baymax is a character in Big Hero 6 .")            -> dict
    extract(["Sentence one .", ["pre", "tokenised", "."], ""])   -> list[dict]

A ``str`` is raw text and is tokenised here; a list/tuple of strings inside the outer list is
one pre-tokenised sentence (so a single token list must be wrapped: ``extract([tokens])``).
Each sentence gives a plain, JSON-safe dict::

    {"text": str, "tokens": [str],
     "entities": [{"text", "start", "end"}],                  # half-open token offsets
     "triples": [{"subject": {"text", "start", "end"}, "relation": str,
                  "object": {"text", "start", "end"}, "score": float}]}

Decoding is the kit's ``strict`` protocol (:mod:`rinlib.metrics`): entity spans from the
BIOES tags (:func:`~rinlib.metrics.decode_bioes`, ill-formed tag runs give no span), a triple
for each ordered pair of decoded spans whose anchors (last tokens) score ``y_(i,j)[r] >=``
the model's threshold; ``score`` is that pair probability. Entity ``text`` is the tokens
joined by single spaces. Triples are sorted by (subject, relation, object).

Decisions, documented once here:

* **Tokenisation** (:func:`tokenize`): NLTK's ``TreebankWordTokenizer`` (no punkt download),
  plus a split of sentence-internal periods (the Treebank tokenizer only splits the final one,
  and WebNLG texts hold several sentences), plus, for NYT models, ``` `` ``` → ``''`` (the NYT
  files write every double quote as ``''``). On the training files, re-tokenising the
  Treebank-detokenised text gives back exactly the data's tokens for 94.8% of WebNLG train
  sentences and 93.4% of NYT test sentences (plain Treebank: 61.1% / 93.3%); the remaining
  differences are the data's own quirks ("U.S ." split at sentence ends, "Gov ." in NYT).
* **Unknown words** map to ``<unk>``. A non-ASCII word unknown to the model is looked up once
  more in its cp1252-mis-decoded form, because WebNLG* stores "Davutoğlu" as "DavutoÄŸlu"
  (50 of the 59 non-ASCII words of its train vocabulary are such forms); output tokens are
  always the user's.
* **POS** tags come from the kit's offline tagger (:func:`rinlib.data.tag_pos`), as in training.
* **Long input**: a sentence of more than ``max_len`` tokens (default :data:`MAX_LEN` = 200,
  the data layer's limit) is split into chunks of at most ``max_len`` tokens, cut after the
  last sentence-final token (``. ? !``) inside each window when there is one, else hard; each
  chunk is extracted on its own and offsets refer to the whole input. A ``UserWarning`` says
  so. No triple crosses a chunk boundary. (Why not truncate: silently dropping the tail of a
  document loses triples; why a limit at all: the relation tensor is O(n²).)
* **Empty** or whitespace-only input gives an empty result, never an error.
* Sentences are length-sorted into batches and run under ``torch.inference_mode``.
"""

from __future__ import annotations

import json
import re
import shutil
import sys
import time
import warnings
from dataclasses import dataclass, fields
from functools import lru_cache
from pathlib import Path
from typing import Any, Iterable, Iterator, Sequence, TextIO

import torch
from nltk.tokenize import TreebankWordTokenizer

from rinlib.checkpoint import CheckpointError, load_model
from rinlib.config import RunConfig
from rinlib.io import atomic_write_json, sha256_file
from rinlib.metrics import Prediction, decode_bioes, triples_strict
from rinlib.model import RIN
from rinlib.records import Sentence, Span, anchor

REPO = Path(__file__).resolve().parent.parent
MODELS = REPO / "models"
DEFAULT_CHECKPOINT = MODELS / "webnlg-partial.safetensors"
MAX_LEN = 200
"""Longest chunk the model sees (the data layer drops longer training sentences)."""

Text = str | Sequence[str]
_REQUIRED_META = ("config", "words", "pos", "relations")
_SENTENCE_END = {".", "?", "!"}
# Tokens ending in "." that are abbreviations, never a sentence end (lower-cased, no final ".").
_ABBREVIATIONS = frozenset(
    "mr mrs ms dr prof st jr sr gov sen rep gen col lt capt rev no inc corp co ltd vs etc mt ft "
    "jan feb mar apr aug sep sept oct nov dec".split())
_TREEBANK = TreebankWordTokenizer()


# --------------------------------------------------------------------------- tokenisation

def _split_periods(tokens: list[str]) -> list[str]:
    """Split "Texas." into "Texas" "." before a capitalised word, digit or quote/bracket.

    Abbreviations stay whole: tokens with an inner period ("U.S.", "N.Y."), one letter ("J."),
    and the words of :data:`_ABBREVIATIONS`.
    """
    out: list[str] = []
    for k, tok in enumerate(tokens):
        stem = tok[:-1]
        if (tok.endswith(".") and len(stem) > 1 and "." not in stem and stem.lower() not in _ABBREVIATIONS
                and k + 1 < len(tokens) and re.match(r"[A-Z0-9`'\"(\[]", tokens[k + 1])):
            out += [stem, "."]
        else:
            out.append(tok)
    return out


def tokenize(text: str, style: str = "webnlg") -> list[str]:
    """Penn-Treebank-like tokens as in the CopyRE WebNLG*/NYT files (module doc: evidence).

    ``style`` is ``"webnlg"`` or ``"nyt"`` (NYT writes opening double quotes as ``''``).
    """
    if style not in ("webnlg", "nyt"):
        raise ValueError(f"style must be 'webnlg' or 'nyt', got {style!r}")
    tokens = _split_periods(_TREEBANK.tokenize(text))
    if style == "nyt":
        tokens = ["''" if t == "``" else t for t in tokens]
    return tokens


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


def _mojibake(word: str) -> str | None:
    """``word`` as WebNLG* stores it (UTF-8 bytes read as cp1252), or None when not representable."""
    try:
        return word.encode("utf-8").decode("cp1252")
    except UnicodeDecodeError:
        return None


# --------------------------------------------------------------------------- the extractor

def _span_dict(tokens: Sequence[str], span: Span) -> dict[str, Any]:
    return {"text": " ".join(tokens[span[0]:span[1]]), "start": span[0], "end": span[1]}


def _empty(text: str, tokens: list[str]) -> dict[str, Any]:
    return {"text": text, "tokens": tokens, "entities": [], "triples": []}


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
        return (f"{self.path.name}: {c.dataset}/{c.task}/{c.variant} K={c.K} seed={c.seed} "
                f"epoch {self.meta.get('epoch')} (dev F1 {self.meta.get('dev_f1', float('nan')):.4f}) on {self.device}")

    def _vocab_form(self, word: str, known: dict[str, int]) -> str:
        if word in known or word.isascii():
            return word
        alt = _mojibake(word)
        return alt if alt is not None and alt in known else word

    def _tokens(self, item: Text, where: str) -> tuple[str, list[str]]:
        if isinstance(item, str):
            return item, tokenize(item, self.style)
        if isinstance(item, (list, tuple)) and all(isinstance(t, str) for t in item):
            bad = [k for k, t in enumerate(item) if not t.strip()]
            if bad:
                raise ValueError(f"{where}: token {bad[0]} is empty or whitespace")
            return " ".join(item), list(item)
        raise TypeError(f"{where}: expected a str (raw text) or a list of str (tokens), got {type(item).__name__}")

    def extract(self, texts: Text | Sequence[Text], batch_size: int = 32) -> dict[str, Any] | list[dict[str, Any]]:
        """Entities and triples for one text (→ dict) or a list of texts/token lists (→ list)."""
        if isinstance(texts, str):
            return self._extract_many([texts], batch_size)[0]
        if not isinstance(texts, (list, tuple)):
            raise TypeError(f"extract takes a str or a list, got {type(texts).__name__}")
        return self._extract_many(list(texts), batch_size)

    def _extract_many(self, items: list[Text], batch_size: int) -> list[dict[str, Any]]:
        from rinlib.data import tag_pos
        from rinlib.training import encode, predict

        known = {w: i for i, w in enumerate(self.meta["words"])}
        results: list[dict[str, Any]] = []
        pieces: list[tuple[int, int]] = []  # (result index, token offset) per model input
        sentences: list[Sentence] = []
        for k, item in enumerate(items):
            text, tokens = self._tokens(item, f"input {k}")
            results.append(_empty(text, tokens))
            if not tokens:
                continue
            pos = tag_pos(tokens)
            chunks = chunk_spans(tokens, self.max_len)
            if len(chunks) > 1:
                warnings.warn(f"input {k} has {len(tokens)} tokens (> max_len={self.max_len}); extracted in "
                              f"{len(chunks)} chunks {chunks}, no triple crosses a chunk boundary", stacklevel=3)
            for s, e in chunks:
                pieces.append((k, s))
                sentences.append(Sentence(f"input/{k}/{s}", [self._vocab_form(w, known) for w in tokens[s:e]], [],
                                          pos=pos[s:e]))
        if sentences:
            encoded = encode(sentences, self.meta["words"], self.meta["pos"], self.relations)
            preds = predict(self.model, encoded, self.relations, batch_size, self.config.threshold)
            for (k, offset), pred in zip(pieces, preds):
                self._add(results[k], pred, offset)
        for r in results:
            r["entities"].sort(key=lambda d: (d["start"], d["end"]))
            r["triples"].sort(key=lambda d: (d["subject"]["start"], d["subject"]["end"], d["relation"],
                                             d["object"]["start"], d["object"]["end"]))
        return results

    def _add(self, result: dict[str, Any], pred: Prediction, offset: int) -> None:
        tokens = result["tokens"]

        def shift(span: Span) -> Span:
            return span[0] + offset, span[1] + offset
        result["entities"] += [_span_dict(tokens, shift(s)) for s in decode_bioes(pred.tags)]
        score = {(i, j, r): s for i, j, r, s in pred.pairs}
        for t in triples_strict(pred.tags, pred.pairs, pred.threshold):
            result["triples"].append({"subject": _span_dict(tokens, shift(t.subj)), "relation": t.rel,
                                      "object": _span_dict(tokens, shift(t.obj)),
                                      "score": float(score[(anchor(t.subj), anchor(t.obj), t.rel)])})

    def extract_lines(self, lines: Iterable[str], batch_size: int = 32, pretokenized: bool = False,
                      block: int = 1000) -> Iterator[dict[str, Any]]:
        """One result per non-blank line, with its 1-based ``line`` number (blank lines are skipped).

        ``pretokenized`` splits each line on whitespace instead of tokenising it. Lines are
        processed in blocks of ``block`` so a large file never sits in memory at once.
        """
        buf: list[tuple[int, Text]] = []

        def flush() -> Iterator[dict[str, Any]]:
            outs = self._extract_many([t for _, t in buf], batch_size)
            for (n, _), out in zip(buf, outs):
                yield {"line": n, **out}
            buf.clear()
        for n, line in enumerate(lines, 1):
            line = line.rstrip("\n")
            if not line.strip():
                continue
            buf.append((n, line.split() if pretokenized else line))
            if len(buf) >= block:
                yield from flush()
        if buf:
            yield from flush()


def load(path: str | Path | None = None, device: str | torch.device = "cpu", max_len: int = MAX_LEN) -> Extractor:
    """Rebuild a model from a ``model.safetensors`` file (default: the shipped WebNLG partial model).

    Every problem with the file (missing, not safetensors, another format version, metadata
    or weights that do not fit its config) raises :class:`~rinlib.checkpoint.CheckpointError`
    naming the file.
    """
    from rinlib.training import resolve_device

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


def extract(texts: Text | Sequence[Text], checkpoint: str | Path | None = None, device: str = "cpu",
            batch_size: int = 32) -> dict[str, Any] | list[dict[str, Any]]:
    """One-call extraction (module doc); the loaded model is cached per (file, mtime, device)."""
    if checkpoint is None:
        extractor = load(None, device)
    else:
        p = Path(checkpoint)
        p = p / "model.safetensors" if p.is_dir() else p
        stat = p.stat() if p.exists() else None
        extractor = _cached(str(p.resolve()), (stat.st_mtime_ns, stat.st_size), device) if stat else load(p, device)
    return extractor.extract(texts, batch_size)


def predict_file(in_path: str | Path, out_path: str | Path | None, checkpoint: str | Path | None = None,
                 device: str = "cpu", batch_size: int = 32, pretokenized: bool = False) -> int:
    """Extract every non-blank line of ``in_path`` (``"-"``: stdin) to JSON lines (``None``/``"-"``: stdout).

    Returns the number of sentences written; each record carries its input ``line`` number.
    """
    ex = load(checkpoint, device)
    src: TextIO = sys.stdin if str(in_path) == "-" else open(in_path, encoding="utf-8")
    dst: TextIO = sys.stdout if out_path in (None, "-") else open(out_path, "w", encoding="utf-8")
    n = 0
    try:
        for rec in ex.extract_lines(src, batch_size, pretokenized):
            dst.write(json.dumps(rec, ensure_ascii=False) + "\n")
            n += 1
    finally:
        if src is not sys.stdin:
            src.close()
        if dst is not sys.stdout:
            dst.close()
    return n


# --------------------------------------------------------------------------- shipping checkpoints



def train_command(cfg: RunConfig) -> str:
    """The ``python -m rinlib train`` line that reproduces ``cfg``: dataset/task/variant/seed/profile
    plus every result-defining field that differs from the defaults of that dataset and task."""
    c = cfg.to_dict()
    base = RunConfig(dataset=cfg.dataset, task=cfg.task, variant=cfg.variant).resolved().to_dict()
    skip = {"out_dir", "device", "num_threads", "progress", "data_root", "notes", "extra"}
    keep = ["dataset", "task", "variant", "seed", "profile"]
    keep += [f.name for f in fields(RunConfig) if f.name not in skip and f.name not in keep and c[f.name] != base.get(f.name)]
    return "python -m rinlib train " + " ".join(f"{k}={json.dumps(c[k]) if c[k] is None else c[k]}" for k in keep)


def ship(run_dir: str | Path, name: str, models_dir: str | Path = MODELS, force: bool = False) -> Path:
    """Copy a finished run's dev-selected ``model.safetensors`` to ``models/<name>.safetensors`` and
    write the model card ``models/<name>.json`` (how it was trained, its dev/test scores).

    Refuses a run without ``metrics.json`` (unfinished) and an existing model of that name
    unless ``force``. The copy is loaded once before the card is written, so a card never
    describes a file that cannot be used. Returns the path of the shipped model.
    """
    from rinlib import provenance
    from rinlib.training import load_result

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
        "dataset": result.config.dataset, "task": result.config.task, "variant": result.config.variant,
        "K": result.config.K, "seed": result.config.seed, "profile": result.config.profile,
        "relations": len(ex.relations), "vocabulary": len(ex.meta["words"]),
        "training": {"command": train_command(result.config), "config": result.config.to_dict(),
                     "config_key": m.get("key"), "max_epochs": m.get("max_epochs"),
                     "epochs_run": m.get("epochs_run"), "selected_epoch": m.get("selected_epoch"),
                     "selection": m.get("selection"), "stopped_early": m.get("stopped_early"),
                     "commit": prov.get("commit"), "device": prov.get("device_name"),
                     "wall_time_s": prov.get("wall_time_s"), "glove_coverage": prov.get("glove_coverage")},
        "scores": {split: m.get(split) for split in ("dev", "test")},
        "scores_note": "fractions; 'strict' is the kit's headline protocol, 'paper' the authors' word-pair protocol",
        "source_run": str(run), "shipped_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "shipped_from_commit": provenance.git_commit(),
    })
    return dst
