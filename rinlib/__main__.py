"""Command line: ``python -m rinlib <command> ...`` (``rinlib`` once installed).

Commands:
  train    train one configuration:  python -m rinlib train dataset=webnlg task=exact seed=2 epochs=5
"""

from __future__ import annotations

import argparse
import sys

import yaml


def parse_overrides(items: list[str]) -> dict:
    """``key=value`` pairs, values parsed as YAML scalars (``K=3``, ``lr=1e-3``, ``patience=null``)."""
    out = {}
    for item in items:
        if "=" not in item:
            raise SystemExit(f"expected key=value, got {item!r}")
        k, v = item.split("=", 1)
        out[k.strip()] = yaml.safe_load(v)
    return out


def _train(args: argparse.Namespace) -> int:
    from rinlib.config import RunConfig
    from rinlib.runs import run_dir
    from rinlib.training import train

    cfg = RunConfig().with_overrides(parse_overrides(args.overrides))
    out = args.out or run_dir(cfg)
    res = train(cfg, out, resume=not args.restart)
    t = res.metrics["test"]
    print(f"finished {out}: selected epoch {res.metrics['selected_epoch']}, test strict F1 "
          f"{t['strict']['f1']:.4f}, paper F1 {t['paper']['f1']:.4f}")
    return 0


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="rinlib", description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = p.add_subparsers(dest="command", required=True)
    t = sub.add_parser("train", help="train one configuration (key=value overrides of RunConfig)")
    t.add_argument("overrides", nargs="*")
    t.add_argument("--out", help="run directory (default: results/runs/<profile>/<dataset>/<task>/<variant>/K<k>/seed<s>)")
    t.add_argument("--restart", action="store_true", help="ignore an existing checkpoint")
    t.set_defaults(func=_train)
    args = p.parse_args(argv)
    return args.func(args)


if __name__ == "__main__":
    sys.exit(main())
