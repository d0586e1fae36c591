"""Data set statistics beside the paper's Table 2 and §5.4, so a reader sees at once whether the
kit's data is the paper's data (sentence counts) and how it differs (the NYT train proxy).

Overlap categories follow CopyRE (Zeng et al. 2018), per sentence over its unique triples,
entities compared by span: **Normal** — no two triples share an entity; **EPO** (entity pair
overlap) — two triples share both entities (in either order); **SEO** (single entity overlap)
— two triples share exactly one entity. A sentence can be both EPO and SEO.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping, Sequence
from itertools import combinations
from pathlib import Path
from typing import Any

import pandas as pd

from rinlib.data.bioes import resolve_overlaps
from rinlib.data.datasets import SPLITS, TASKS_OF, load_dataset_with_report
from rinlib.data.embeddings import load_word_vectors
from rinlib.data.errors import DataError
from rinlib.data.vocab import build_word_vocab
from rinlib.io import atomic_write_text
from rinlib.paper import MULTI_TOKEN_SHARE, TABLE2
from rinlib.records import Sentence

# Which paper row a kit data set is compared with.
PAPER_ROW = {"webnlg": "webnlg", "webnlg-etl": "webnlg", "nyt": "nyt", "nyt-proxy": "nyt"}


def overlap_category(s: Sentence) -> tuple[bool, bool]:
    """(is_EPO, is_SEO) of one sentence; Normal is neither."""
    epo = seo = False
    for a, b in combinations(s.unique_triples, 2):
        shared = len({a.subj, a.obj} & {b.subj, b.obj})
        if {a.subj, a.obj} == {b.subj, b.obj}:
            epo = True
        elif shared == 1:
            seo = True
    return epo, seo


def dataset_stats(sentences: Sequence[Sentence]) -> dict[str, Any]:
    """Counts of one split: sentences, unique triples, relations, overlap categories,
    triples-per-sentence histogram, multi-token entity share, length, BIOES conflicts."""
    n = len(sentences)
    cats = [overlap_category(s) for s in sentences]
    hist = {"1": 0, "2": 0, "3": 0, "4": 0, ">=5": 0}
    ents = multi = conflicts = 0
    rels: set[str] = set()
    for s in sentences:
        k = len(s.unique_triples)
        if k:
            hist[str(k) if k < 5 else ">=5"] += 1
        args = {sp for t in s.unique_triples for sp in (t.subj, t.obj)}
        ents += len(args)
        multi += sum(b - a > 1 for a, b in args)
        conflicts += len(resolve_overlaps(s.entities)[1])
        rels.update(t.rel for t in s.triples)
    lengths = [len(s.tokens) for s in sentences]
    return {
        "sentences": n,
        "triples": sum(len(s.unique_triples) for s in sentences),
        "triples_raw": sum(len(s.triples) for s in sentences),
        "relations_used": len(rels),
        "normal": sum(not e and not o for e, o in cats),
        "epo": sum(e for e, _ in cats),
        "seo": sum(o for _, o in cats),
        "triples_per_sentence": hist,
        "entities": ents,
        "multi_token_share": multi / ents if ents else 0.0,
        "mean_len": sum(lengths) / n if n else 0.0,
        "max_len": max(lengths, default=0),
        "bioes_conflicts": conflicts,
    }


def stats_table(data: Mapping[tuple[str, str, str], Sequence[Sentence]]) -> pd.DataFrame:
    """One row per (dataset, task, split) with the paper's Table 2 count and §5.4 share beside."""
    rows = []
    for (name, task, split), sents in data.items():
        st = dataset_stats(sents)
        hist = st.pop("triples_per_sentence")
        paper = PAPER_ROW.get(name)
        # nyt-proxy's train/dev are cut from NYT dev: the paper has no such split to compare with
        same_split = paper is not None and not (name == "nyt-proxy" and split != "test")
        rows.append({"dataset": name, "task": task, "split": split, **st,
                     **{f"n_triples_{k}": v for k, v in hist.items()},
                     "paper_sentences": TABLE2[paper][split] if same_split else None,
                     "paper_multi_token_share": MULTI_TOKEN_SHARE[paper] if paper else None})
    return pd.DataFrame(rows)


def prepare(names: Sequence[str], root: Path | None = None, stats_out: Path | None = None,
            log: Callable[[str], None] | None = print) -> tuple[pd.DataFrame, list[str]]:
    """Build every processed cache of ``names`` the shipped data allows and their statistics
    table; returns (table, the splits that are not shipped). ``log`` gets one line per split
    (counts, skips, span coverage, GloVe coverage of train); ``None`` keeps it quiet (the table
    says the same)."""
    say = log or (lambda _: None)
    data, missing = {}, []
    for name in names:
        for task in TASKS_OF[name]:
            for split in SPLITS:
                t = time.time()
                try:
                    sents, rep = load_dataset_with_report(name, task, split, root)
                except DataError:
                    missing.append(f"{name}/{task}/{split}")
                    say(f"[missing] {name} {task} {split}: not shipped (see data/README.md)")
                    continue
                data[(name, task, split)] = sents
                say(f"{name:10s} {task:7s} {split:5s} {len(sents):6d} sentences {rep['triples']:6d} triples"
                    f" skips {rep['skips']['total']}{_span_line(rep)} ({time.time() - t:.1f}s)")
                if split == "train":
                    load_word_vectors(build_word_vocab(sents), train_sentences=sents, verbose=log is not None)
    df = stats_table(data)
    if stats_out is not None:
        save_stats(df, stats_out)
    return df, missing


def _span_line(rep: dict) -> str:
    """Full-span coverage of a split, whichever module produced the report."""
    sp = rep["spans"]
    if "recovered" in sp and "entities" in sp:  # rinlib.data.webnlg_spans
        return f" full spans recovered {sp['recovered']}/{sp['entities']} = {sp['recovered_share']:.1%}"
    if "full_span" in sp:
        return f" full spans {sp['full_span']}/{sp['arguments']} = {sp['full_span_frac']:.2%}"
    return ""


def save_stats(df: pd.DataFrame, path: str | Path) -> None:
    """Write the table as CSV atomically."""
    atomic_write_text(Path(path), df.to_csv(index=False))
