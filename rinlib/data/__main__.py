"""``python -m rinlib.data prepare [--datasets ...]``: build every processed cache that the
shipped data allows, print the statistics and coverage lines, save the stats table.

Splits whose files are not shipped (the NYT train splits) are reported, not fatal, unless the
user has pointed the environment variables at them (see ``data/README.md``).
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

from rinlib.data.datasets import NAMES, SPLITS, load_dataset_with_report
from rinlib.data.embeddings import load_word_vectors
from rinlib.data.errors import DataError
from rinlib.data.stats import save_stats, stats_table
from rinlib.data.vocab import build_word_vocab

# Which tasks each data set is prepared for (webnlg-etl is an exact-match data set only).
TASKS_OF = {"webnlg": ("partial", "exact"), "webnlg-etl": ("exact",), "nyt": ("partial", "exact"),
            "nyt-proxy": ("partial", "exact"), "nyt10": ("exact",), "nyt11": ("exact",)}


def _span_line(rep: dict) -> str:
    """Full-span coverage of a split, whichever module produced the report."""
    sp = rep["spans"]
    if "recovered" in sp and "entities" in sp:  # rinlib.data.webnlg_spans
        return f" full spans recovered {sp['recovered']}/{sp['entities']} = {sp['recovered_share']:.1%}"
    if "full_span" in sp:
        return f" full spans {sp['full_span']}/{sp['arguments']} = {sp['full_span_frac']:.2%}"
    return ""


def prepare(names: list[str], root: Path | None, stats_out: Path | None) -> int:
    data, missing = {}, []
    for name in names:
        for task in TASKS_OF[name]:
            for split in SPLITS:
                t = time.time()
                try:
                    sents, rep = load_dataset_with_report(name, task, split, root)
                except DataError as e:
                    missing.append(f"{name}/{task}/{split}: {e}")
                    print(f"[missing] {name} {task} {split}: not shipped (see data/README.md)")
                    continue
                data[(name, task, split)] = sents
                skips = rep["skips"]["total"]
                print(f"{name:10s} {task:7s} {split:5s} {len(sents):6d} sentences {rep['triples']:6d} triples"
                      f" skips {skips}{_span_line(rep)} ({time.time() - t:.1f}s)")
                if split == "train":
                    load_word_vectors(build_word_vocab(sents), train_sentences=sents)
    df = stats_table(data)
    cols = ["dataset", "task", "split", "sentences", "paper_sentences", "triples", "normal", "epo", "seo",
            "multi_token_share", "paper_multi_token_share"]
    print(df[cols].to_string(index=False))
    if stats_out is not None:
        save_stats(df, stats_out)
        print(f"stats written to {stats_out}")
    return 0


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m rinlib.data")
    sub = ap.add_subparsers(dest="cmd", required=True)
    p = sub.add_parser("prepare", help="build the processed caches and print statistics")
    p.add_argument("--datasets", nargs="+", choices=NAMES, default=list(NAMES))
    p.add_argument("--root", type=Path, default=None, help="data folder (default: the kit's data/)")
    p.add_argument("--stats-out", type=Path, default=None, help="CSV of the statistics table")
    a = ap.parse_args(argv)
    return prepare(a.datasets, a.root, a.stats_out)


if __name__ == "__main__":
    sys.exit(main())
