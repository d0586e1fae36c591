"""``load_dataset(name, task, split)``: the kit's data sets (docs/spec.md §2 table) as ``list[Sentence]``.

Every loaded sentence has POS tags from the shipped tagger (readers never keep the raw files'
tag fields, so ``pos`` is always the tagger's), triples whose spans are full entity spans where known (flagged in ``span_flags``
where they were not given by the source), and ``sid = "<name>/<split>/<record index>"``.

Why WebNLG partial and exact share their sentences: the partial task is scored on the last
word (anchor) of each span, the exact task on the whole span (``rinlib.metrics``), and both
tag full spans with BIOES (paper §5). Only the NYT sources differ per task (NYT* vs the
CopyRE raw release, which also differ in tokenisation and in the dev set: 4,999 vs 5,000).

Results are cached as ``<root>/processed/<name>-<task>-<split>.jsonl`` (git-ignored). The
first line holds the cache key (a hash of every source file, the user's NYT train file, the
options and the source code of ``rinlib.data``) and the load report; a changed input or
code rebuilds the cache.
"""

from __future__ import annotations

import hashlib
import json
import os
from dataclasses import replace
from functools import lru_cache
from pathlib import Path
from typing import Any

from rinlib.data.errors import DataError, SkipLog
from rinlib.data.nyt import (NYT_PROXY_SEED, attach_full_spans, missing_train, nyt_proxy_split,
                             resolve_train_file)
from rinlib.data.pos import tag_pos
from rinlib.data.readers import (DATA_DIR, MAX_LEN, read_casrel, read_copyre_positions,
                                 read_copyre_raw, read_jointer, read_rin_authors)
from rinlib.data.vocab import relations
from rinlib.data.webnlg_spans import recover_webnlg_spans
from rinlib.config import TASKS
from rinlib.io import atomic_write_text, sha256_file
from rinlib.records import Sentence, Span, Triple, anchor, sentence_from_dict, sentence_to_dict

NAMES = ("webnlg", "webnlg-etl", "nyt", "nyt-proxy", "nyt10", "nyt11")
# Data sets whose tasks share train data and targets (module docstring): one training serves
# both tasks' runs as twins (rinlib.training.train, ``twins``), which halves the WebNLG sweep.
TWIN_DATASETS = frozenset({"webnlg"})
SPLITS = ("train", "dev", "test")
# Which tasks each data set is prepared for (webnlg-etl is an exact-match data set only).
TASKS_OF = {"webnlg": ("partial", "exact"), "webnlg-etl": ("exact",), "nyt": ("partial", "exact"),
            "nyt-proxy": ("partial", "exact"), "nyt10": ("exact",), "nyt11": ("exact",)}

_STAR = "WebNLG-star_CasRel"
_COPYRE = "WebNLG_CopyRE-original"
_AUTHORS = "WebNLG_RIN-authors"
_ENRICHED = "WebNLG-enriched_ThiagoCF05"
_JOINTER = "WebNLG-exact_JointER"
_NYT_STAR = "NYT-star_CasRel"
_NYT_EXACT = "NYT-exact_CopyRE-raw"
_HRL = {"nyt10": "NYT10-HRL_BiRTE", "nyt11": "NYT11-HRL_BiRTE"}

# (file name per split) of each source folder; "dev" is the kit's name for every validation split.
_FILES = {
    _STAR: {"train": "train_triples.json", "dev": "val_triples.json", "test": "test_triples.json"},
    _COPYRE: {"train": "train.json", "dev": "valid.json", "test": "dev.json"},
    _JOINTER: {"train": "train.json", "dev": "dev.json", "test": "test.json"},
    _NYT_STAR: {"dev": "val_triples.json", "test": "test_triples.json"},
    _NYT_EXACT: {"dev": "valid.json", "test": "test.json"},
    **{f: {"dev": "dev.json", "test": "test.json"} for f in _HRL.values()},
}

_INFO: dict[str, dict[str, Any]] = {
    "webnlg": {
        "sources": [_STAR, _COPYRE, _AUTHORS, _ENRICHED],
        "sizes": {"train": 5019, "dev": 500, "test": 703},
        "notes": ["WebNLG* (CopyRE WebNLG, 171 relations); triples given by last word, positions "
                  "from CopyRE's original release",
                  "full spans: test from the RIN authors' en_list (what the paper evaluated on); "
                  "train/dev recovered from the enriched WebNLG XML (rinlib.data.webnlg_spans)",
                  "partial and exact share the sentences; the task decides how spans are scored"]},
    "webnlg-etl": {
        "sources": [_JOINTER],
        "sizes": {"train": 5019, "dev": 500, "test": 703},
        "notes": ["ETL-Span/JointER exact WebNLG (216 relations, full token spans): the field's "
                  "standard exact WebNLG, for comparison with later papers, NOT the paper's setting"]},
    "nyt": {
        "sources": [_NYT_STAR, _NYT_EXACT],
        "sizes": {"train": "missing (56195; user file, see rinlib.data.nyt)", "dev": "4999 partial / 5000 exact",
                  "test": 5000},
        "notes": ["partial = NYT* (CasRel) with full spans from the aligned CopyRE raw exact file; "
                  "exact = NYT-exact_CopyRE-raw",
                  "train split not shipped: set RIN_NYT_TRAIN / RIN_NYT_EXACT_TRAIN"]},
    "nyt-proxy": {
        "sources": [_NYT_STAR, _NYT_EXACT],
        "sizes": {"train": 4500, "dev": "499 partial / 500 exact", "test": 5000},
        "notes": [f"proxy: trained on NYT dev (fixed seeded split, seed {NYT_PROXY_SEED}: 4500 train, "
                  "the rest for model selection), tested on the real NYT test; NOT the paper's setting"]},
    "nyt10": {
        "sources": [_HRL["nyt10"]],
        "sizes": {"train": "missing (user file: RIN_NYT10_TRAIN)", "dev": 351, "test": 4006},
        "notes": ["NYT10-HRL (29 relations, full mentions, lower-cased), paper's supplement"]},
    "nyt11": {
        "sources": [_HRL["nyt11"]],
        "sizes": {"train": "missing (user file: RIN_NYT11_TRAIN)", "dev": 313, "test": 369},
        "notes": ["NYT11-HRL (12 relations, full mentions, lower-cased), paper's supplement"]},
}


def dataset_info(name: str) -> dict[str, Any]:
    """Provenance of a kit data set: source folders under data/raw, split sizes, notes."""
    _check(name, "partial", "train")
    info = _INFO[name]
    return {"name": name, "sources": [f"data/raw/{s}" for s in info["sources"]],
            "sizes": dict(info["sizes"]), "relations": len(relations(name)),
            "notes": list(info["notes"])}


def _check(name: str, task: str, split: str) -> None:
    for what, v, allowed in (("name", name, NAMES), ("task", task, TASKS), ("split", split, SPLITS)):
        if v not in allowed:
            raise ValueError(f"{what} must be one of {allowed}, got {v!r}")


# --------------------------------------------------------------------------- builders

def _webnlg_star(raw: Path, split: str, skips: SkipLog, max_len: int) -> list[Sentence]:
    anchors = read_copyre_positions(raw / _COPYRE / _FILES[_COPYRE][split], raw / _COPYRE / "relations2id.json")
    return read_casrel(raw / _STAR / _FILES[_STAR][split], dataset="webnlg", split=split,
                       relations=relations("webnlg", raw), anchors=anchors, skips=skips, max_len=max_len)


def _webnlg_full_spans(raw: Path, split: str, sents: list[Sentence], skips: SkipLog, max_len: int
                       ) -> tuple[list[Sentence], dict[str, Any]]:
    """Full spans for WebNLG*: test from the authors' en_list, train/dev recovered from the XML."""
    if split == "test":
        anchors = read_copyre_positions(raw / _COPYRE / "dev.json", raw / _COPYRE / "relations2id.json")
        authors = read_rin_authors(raw / _AUTHORS / "test.json", dataset="webnlg", split=split,
                                   relations=relations("webnlg", raw), anchors=anchors, skips=skips,
                                   max_len=max_len)
        return _spans_from(sents, authors, "en_list")
    return recover_webnlg_spans(sents, split, raw)


def _spans_from(sents: list[Sentence], donors: list[Sentence], source: str
                ) -> tuple[list[Sentence], dict[str, Any]]:
    """Give each last-word argument the donor sentence's entity span ending at the same word.

    Donors are matched by record index (same file order, checked by tokens). Arguments without
    a donor span keep the last word, flagged ``last_word_only``.
    """
    by_idx = {d.sid.rsplit("/", 1)[1]: d for d in donors}
    rep = {"source": source, "arguments": 0, "full_span": 0, "multi_token": 0, "last_word_only": 0}
    out = []
    for s in sents:
        d = by_idx.get(s.sid.rsplit("/", 1)[1])
        donor = d.entities if d is not None and d.tokens == s.tokens else []
        ends = {anchor(e): e for e in donor if d.span_flags.get(e) != "last_word_only"}
        flags = {}

        def full(span: Span) -> Span:
            rep["arguments"] += 1
            new = ends.get(anchor(span))
            if new is None:
                flags[span] = "last_word_only"
                rep["last_word_only"] += 1
                return span
            rep["full_span"] += 1
            rep["multi_token"] += new[1] - new[0] > 1
            return new

        triples = [Triple(full(t.subj), t.rel, full(t.obj)) for t in s.triples]
        out.append(replace(s, triples=triples, span_flags=flags, entities=list(ends.values())))
    rep["full_span_frac"] = rep["full_span"] / max(rep["arguments"], 1)
    return out, rep


def _nyt(raw: Path, task: str, split: str, skips: SkipLog, max_len: int, nyt_train: str | Path | None,
         name: str = "nyt") -> tuple[list[Sentence], dict[str, Any]]:
    rels = relations("nyt", raw)
    kw = {"dataset": name, "split": split, "relations": rels, "skips": skips, "max_len": max_len}
    folder = _NYT_EXACT if task == "exact" else _NYT_STAR
    if split == "train":
        path = resolve_train_file("nyt", task, nyt_train)
        exact_path = path if task == "exact" else _optional_exact_train()
    else:
        path = raw / folder / _FILES[folder][split]
        exact_path = raw / _NYT_EXACT / _FILES[_NYT_EXACT][split]
    if task == "exact":
        return read_copyre_raw(path, **kw), {"source": str(path)}
    star = read_casrel(path, **kw)
    if exact_path is None:
        return _spans_from(star, [], "no exact NYT train file (RIN_NYT_EXACT_TRAIN unset)")
    return attach_full_spans(star, exact_path, skips)


def _optional_exact_train() -> Path | None:
    """The user's exact NYT train file, used only to give NYT* train full spans when present."""
    try:
        return resolve_train_file("nyt", "exact")
    except DataError:
        return None


def _nyt_proxy(data: Path, task: str, split: str, max_len: int, strict: bool, cache: bool
               ) -> tuple[list[Sentence], dict[str, Any]]:
    src = "test" if split == "test" else "dev"
    sents, base = load_dataset_with_report("nyt", task, src, data, max_len=max_len, strict=strict, cache=cache)
    rep = {**base["spans"], "from": f"nyt/{task}/{src}", "skips_of_source": base["skips"]}
    if split != "test":
        train_idx, dev_idx = nyt_proxy_split(len(sents))
        sents = [sents[i] for i in (train_idx if split == "train" else dev_idx)]
        rep = {**rep, "proxy": f"NYT dev split by seed {NYT_PROXY_SEED}: {len(train_idx)} train / "
                               f"{len(dev_idx)} model selection; sid index = NYT dev record index"}
    renamed = [replace(s, sid=f"nyt-proxy/{split}/{s.sid.rsplit('/', 1)[1]}") for s in sents]
    return renamed, rep


def _hrl(raw: Path, name: str, split: str, skips: SkipLog, max_len: int, train: str | Path | None
         ) -> tuple[list[Sentence], dict[str, Any]]:
    folder = _HRL[name]
    path = resolve_train_file(name, "exact", train) if split == "train" else raw / folder / _FILES[folder][split]
    return read_casrel(path, dataset=name, split=split, relations=relations(name, raw), skips=skips,
                       max_len=max_len), {"source": str(path)}


def _build(name: str, task: str, split: str, data: Path, skips: SkipLog, max_len: int,
           nyt_train: str | Path | None, cache: bool = True) -> tuple[list[Sentence], dict[str, Any]]:
    """The sentences of one split from the raw files (``cache``: whether the splits it derives
    from may be read from and written to the cache, as for the asked split)."""
    raw = data / "raw"
    if name == "webnlg" and task == "exact":  # same sentences as partial (module docstring)
        sents, base = load_dataset_with_report(name, "partial", split, data, max_len=max_len,
                                               strict=skips.strict, cache=cache)
        return sents, {**base["spans"], "from": f"webnlg/partial/{split}", "skips_of_source": base["skips"]}
    if name == "webnlg":
        return _webnlg_full_spans(raw, split, _webnlg_star(raw, split, skips, max_len), skips, max_len)
    if name == "webnlg-etl":
        return read_jointer(raw / _JOINTER / _FILES[_JOINTER][split], dataset=name, split=split,
                            relations=relations(name, raw), skips=skips, max_len=max_len), {}
    if name == "nyt":
        return _nyt(raw, task, split, skips, max_len, nyt_train)
    if name == "nyt-proxy":
        return _nyt_proxy(data, task, split, max_len, skips.strict, cache)
    return _hrl(raw, name, split, skips, max_len, nyt_train)


# --------------------------------------------------------------------------- cache



@lru_cache(maxsize=1)
def _code_hash() -> str:
    here = Path(__file__).resolve().parent
    files = sorted(here.glob("*.py")) + [here.parent / "records.py"]
    return hashlib.sha256(b"".join(f.name.encode() + f.read_bytes() for f in files)).hexdigest()[:16]


def _user_train(name: str, task: str, split: str, nyt_train: str | Path | None) -> list[str]:
    """Identity of the user's train file(s) that the build would read (for the cache key)."""
    if split != "train" or name not in ("nyt", "nyt10", "nyt11"):
        return []
    keys = [missing_train(name, task)] + ([missing_train("nyt", "exact")] if (name, task) == ("nyt", "partial") else [])
    given = [nyt_train] + [None] * (len(keys) - 1)
    return [f"{k.env}={g or os.environ.get(k.env, '')}" for k, g in zip(keys, given)]


def _cache_key(name: str, task: str, split: str, raw: Path, opts: dict[str, Any], user: list[str]) -> str:
    h = hashlib.sha256()
    h.update(json.dumps([name, task, split, opts, user, _code_hash()], sort_keys=True).encode())
    for folder in _INFO[name]["sources"]:
        for f in sorted((raw / folder).rglob("*")):
            if f.is_file():
                h.update(f"{f.relative_to(raw)}:{sha256_file(f)}".encode())
    return h.hexdigest()[:20]


def _read_cache(path: Path, key: str) -> tuple[list[Sentence], dict[str, Any]] | None:
    if not path.is_file():
        return None
    with open(path, encoding="utf-8") as f:
        try:
            head = json.loads(f.readline())
            if head.get("key") != key:
                return None
            return [sentence_from_dict(json.loads(line)) for line in f], head["report"]
        except (json.JSONDecodeError, KeyError, TypeError):
            return None  # a damaged cache is rebuilt, never trusted


# --------------------------------------------------------------------------- public

def load_dataset_with_report(name: str, task: str = "partial", split: str = "train",
                             root: str | Path | None = None, nyt_train: str | Path | None = None, *,
                             max_len: int = MAX_LEN, strict: bool = False, cache: bool = True
                             ) -> tuple[list[Sentence], dict[str, Any]]:
    """:func:`load_dataset` plus its report: skips, span coverage, sources, cache key."""
    _check(name, task, split)
    data = Path(root) if root is not None else DATA_DIR
    opts = {"max_len": max_len, "strict": strict}
    key = _cache_key(name, task, split, data / "raw", opts, _user_train(name, task, split, nyt_train))
    path = data / "processed" / f"{name}-{task}-{split}.jsonl"
    if cache and (hit := _read_cache(path, key)) is not None:
        return hit
    skips = SkipLog(strict=strict)
    sents, spans = _build(name, task, split, data, skips, max_len, nyt_train, cache)
    sents = [s if s.pos is not None else replace(s, pos=tag_pos(s.tokens)) for s in sents]
    report = {"name": name, "task": task, "split": split, "sentences": len(sents),
              "triples": sum(len(s.triples) for s in sents), "spans": spans,
              "skips": skips.summary(), "info": dataset_info(name), "cache_key": key}
    if cache:
        lines = [json.dumps({"key": key, "report": report}, ensure_ascii=False)]
        lines += [json.dumps(sentence_to_dict(s), ensure_ascii=False) for s in sents]
        atomic_write_text(path, "\n".join(lines) + "\n")
    return sents, report


def load_dataset(name: str, task: str = "partial", split: str = "train", root: str | Path | None = None,
                 nyt_train: str | Path | None = None, **kw: Any) -> list[Sentence]:
    """Sentences of a kit data set (``name`` in NAMES, ``task`` partial|exact, ``split``
    train|dev|test), POS-tagged, with full entity spans where known.

    ``root`` is the data folder (default: the kit's ``data/``). ``nyt_train`` is the user's
    NYT training file for ``nyt``/``nyt10``/``nyt11`` train (else the environment variable of
    :data:`rinlib.data.nyt.MISSING_TRAIN`); without one, loading an NYT train split raises
    :class:`DataError` that says how to get it and that ``nyt-proxy`` exists. Keyword options:
    ``max_len`` (200), ``strict`` (raise on content problems instead of counted skips),
    ``cache`` (True).
    """
    return load_dataset_with_report(name, task, split, root, nyt_train, **kw)[0]
