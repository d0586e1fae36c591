"""``python -m rinlib.data prepare [--datasets ...]``: build every processed cache that the
shipped data allows, print the statistics and coverage lines, save the stats table.

Splits whose files are not shipped (the NYT train splits) are reported, not fatal, unless the
user has pointed the environment variables at them (see ``data/README.md``).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from rinlib.data.datasets import NAMES
from rinlib.data.stats import prepare

def _prepare(names: list[str], root: Path | None, stats_out: Path | None) -> int:
    df, _ = prepare(names, root, stats_out)
    cols = ["dataset", "task", "split", "sentences", "paper_sentences", "triples", "normal", "epo", "seo",
            "multi_token_share", "paper_multi_token_share"]
    print(df[cols].to_string(index=False))
    if stats_out is not None:
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
    return _prepare(a.datasets, a.root, a.stats_out)


if __name__ == "__main__":
    sys.exit(main())
