"""Command line: ``python -m rinlib <command> ...`` (``rinlib`` once installed).

Commands:
  train    train one configuration:  python -m rinlib train dataset=webnlg task=exact seed=2 epochs=5
  extract  triples from raw text:    python -m rinlib extract --checkpoint models/webnlg-partial.safetensors "Sentence ."
           (or --input FILE, or - for stdin; one JSON line per sentence)
  ship     publish a finished run:   python -m rinlib ship results/runs/full/webnlg/partial/rin/K2/seed1 webnlg-partial
  sweep    a grid of runs:           python -m rinlib sweep GRID.yaml --profile quick --jobs 2
           or the paper's runs:      python -m rinlib sweep --experiments table1,table5 --profile full
           (YAML mapping of RunConfig fields to lists; --jobs N > 1 runs N at a time on Ray, see docs/sweep.md)
  status   where the paper's grid stands: python -m rinlib status --profile full   (trains nothing)
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
    from rinlib.data.errors import DataError
    from rinlib.runs import RunBusy, run_dir, run_lock
    from rinlib.training import train

    cfg = RunConfig().with_overrides(parse_overrides(args.overrides))
    out = args.out or run_dir(cfg)
    try:
        with run_lock(out):
            res = train(cfg, out, resume=not args.restart)
    except (RunBusy, DataError) as e:  # user-facing (a busy run, a missing or bad data file): one line
        raise SystemExit(f"error: {e}") from None
    t = res.metrics["test"]
    print(f"finished {out}: selected epoch {res.metrics['selected_epoch']}, test strict F1 "
          f"{t['strict']['f1']:.4f}, paper F1 {t['paper']['f1']:.4f}")
    return 0


def _extract(args: argparse.Namespace) -> int:
    from rinlib.checkpoint import CheckpointError

    try:
        return _extract_to(args)
    except CheckpointError as e:  # a user-facing problem: one line, no traceback
        raise SystemExit(f"error: {e}") from None


def _extract_to(args: argparse.Namespace) -> int:
    import json

    from rinlib.inference import load, predict_file

    if args.input and args.sentences:
        raise SystemExit("give sentences or --input, not both")
    source = args.input or ("-" if args.sentences == ["-"] else None)
    if source is None and not args.sentences:
        raise SystemExit("nothing to extract: give sentences, --input FILE, or - for stdin")
    if source is not None:
        n = predict_file(source, args.output, args.checkpoint, args.device, args.batch_size, args.pretokenized)
        print(f"{n} sentences extracted", file=sys.stderr)
        return 0
    ex = load(args.checkpoint, args.device)
    out = open(args.output, "w", encoding="utf-8") if args.output not in (None, "-") else sys.stdout
    for rec in ex.extract_lines(args.sentences, args.batch_size, args.pretokenized):
        out.write(json.dumps(rec, ensure_ascii=False) + "\n")
    if out is not sys.stdout:
        out.close()
    return 0


def _ship(args: argparse.Namespace) -> int:
    from rinlib.inference import ship

    dst = ship(args.run_dir, args.name, force=args.force)
    print(f"shipped {dst} (card {dst.with_suffix('.json')})")
    return 0


def _sweep(args: argparse.Namespace) -> int:
    from pathlib import Path

    from dataclasses import replace

    from rinlib.profiles import ProfileError, paper_queue
    from rinlib.sweep import SweepError, plan, run

    engine = args.engine or ("ray" if args.jobs > 1 or args.address else "local")
    results_root = Path(args.results) if args.results else None
    try:
        if engine == "local" and (args.address or args.gpus_per_trial is not None):
            raise SweepError("--address and --gpus-per-trial need --engine ray")
        if (args.grid is None) == (args.experiments is None):
            raise SweepError("give a grid file or --experiments, not both or neither")
        try:
            configs = (plan(args.grid, args.profile) if args.grid else
                       paper_queue(args.profile, args.experiments.split(",")))
        except ProfileError as e:
            raise SweepError(str(e)) from None
        if engine == "local" and args.cpus_per_trial is not None:
            configs = [replace(c, num_threads=args.cpus_per_trial) for c in configs]
        if engine == "ray":
            from rinlib.sweep_ray import run_ray

            results = run_ray(configs, jobs=args.jobs, address=args.address, num_cpus_per_trial=args.cpus_per_trial,
                              num_gpus_per_trial=args.gpus_per_trial, force=args.force, results_root=results_root)
        else:
            results = run(configs, engine=engine, jobs=args.jobs, force=args.force, results_root=results_root)
    except SweepError as e:  # a user-facing problem: one line, no traceback
        raise SystemExit(f"error: {e}") from None
    print(f"{len(results)} of {len(configs)} runs finished ({engine} engine)")
    return 0


def _status(args: argparse.Namespace) -> int:
    from pathlib import Path

    from rinlib import progress
    from rinlib.plotting import markdown
    from rinlib.profiles import ProfileError

    try:
        runs = progress.grid_progress(args.experiments.split(","), args.profile,
                                      Path(args.results) if args.results else None)
    except ProfileError as e:
        raise SystemExit(f"error: {e}") from None
    print(markdown(progress.summary(runs)))
    started = progress.started(runs)
    if not started.empty:
        print("\nstarted, not finished:\n" + markdown(started))
    return 0


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="rinlib", description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = p.add_subparsers(dest="command", required=True)
    t = sub.add_parser("train", help="train one configuration (key=value overrides of RunConfig)")
    t.add_argument("overrides", nargs="*")
    t.add_argument("--out", help="run directory (default: results/runs/<profile>/<dataset>/<task>/<variant>/K<k>/seed<s>)")
    t.add_argument("--restart", action="store_true", help="ignore an existing checkpoint")
    t.set_defaults(func=_train)
    e = sub.add_parser("extract", help="entities and triples from raw text (JSON lines; 'line' = input position)")
    e.add_argument("sentences", nargs="*", help="sentences to extract from ('-' alone: read stdin)")
    e.add_argument("--checkpoint", help="model file or run dir (default: models/webnlg-partial.safetensors)")
    e.add_argument("--input", help="text file, one sentence per line (blank lines skipped); '-' for stdin")
    e.add_argument("--output", help="JSON lines file (default: stdout)")
    e.add_argument("--device", default="cpu", help="cpu, cuda, cuda:N or auto")
    e.add_argument("--batch-size", type=int, default=32)
    e.add_argument("--pretokenized", action="store_true", help="input is already tokenised (split on spaces)")
    e.set_defaults(func=_extract)
    s = sub.add_parser("ship", help="copy a finished run's model to models/<name>.safetensors + model card")
    s.add_argument("run_dir")
    s.add_argument("name")
    s.add_argument("--force", action="store_true", help="replace an existing model of that name")
    s.set_defaults(func=_ship)
    w = sub.add_parser("sweep", help="train a grid of configurations (finished runs are reused, interrupted ones resumed)")
    w.add_argument("grid", nargs="?", help="YAML file: RunConfig fields mapped to lists of values")
    w.add_argument("--experiments", help="instead of a grid: the paper's runs, e.g. table1,table5,figure3,nyt_proxy, "
                                         "seed by seed (every cell gets seed n before any gets seed n+1)")
    w.add_argument("--profile", default="quick", help="smoke, quick or full: the budget the grid overrides")
    w.add_argument("--engine", choices=("local", "ray"), help="default: ray when --jobs > 1 or --address, else local")
    w.add_argument("--jobs", type=int, default=1, help="trials at a time (ray engine)")
    w.add_argument("--address", help="existing Ray cluster: 'auto' or ray://HOST:10001 (default: $RAY_ADDRESS, "
                                     "else start one here)")
    w.add_argument("--cpus-per-trial", type=int, help="CPUs (= torch threads) per trial (ray default: $RIN_CPUS_PER_TRIAL or 1; "
                                            "local default: torch's)")
    w.add_argument("--gpus-per-trial", type=float, help="GPU share per trial, e.g. 0.25 (default: $RIN_GPUS_PER_TRIAL, "
                                     "else 1 for device=cuda configs, 0 otherwise)")
    w.add_argument("--force", action="store_true", help="retrain runs that are already finished")
    w.add_argument("--results", help="results folder (default: $RIN_RESULTS or results/)")
    w.set_defaults(func=_sweep)
    st = sub.add_parser("status", help="which runs of the paper's grid are finished, resumable, training now or "
                                       "not started (trains nothing)")
    st.add_argument("--experiments", default="table1,table5,figure3,nyt_proxy")
    st.add_argument("--profile", default="full")
    st.add_argument("--results", help="results folder (default: $RIN_RESULTS or results/)")
    st.set_defaults(func=_status)
    args = p.parse_args(argv)
    return args.func(args)


if __name__ == "__main__":
    sys.exit(main())
