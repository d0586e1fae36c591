"""Command line: ``python -m rinlib <command> ...`` (``rinlib`` once installed).

Commands:
  train    train one configuration:  python -m rinlib train dataset=webnlg task=exact seed=2 epochs=5
  train    on your own data:         python -m rinlib train dataset=path/to/folder task=exact profile=quick
  extract  triples from raw text:    python -m rinlib extract --checkpoint models/webnlg-partial.safetensors "Sentence ."
           (or --input FILE, or - for stdin; one JSON line per input line; --checkpoint also takes a run dir)
  ship     publish a finished run:   python -m rinlib ship results/runs/full/webnlg/partial/rin/K2/seed1 webnlg-partial
  sweep    a grid of runs:           python -m rinlib sweep GRID.yaml --profile quick --jobs 2
           or the paper's runs:      python -m rinlib sweep --experiments table1,table5 --profile full
           or both, in that order:   python -m rinlib sweep A.yaml B.yaml --experiments webnlg_etl --profile full
           (YAML mapping of RunConfig fields to lists; --jobs N > 1 runs N at a time on Ray, see docs/sweep.md)
  status   where the paper's grid stands: python -m rinlib status --profile full   (trains nothing)
  report   results/REPORT.md from the finished runs: python -m rinlib report --profile full   (trains nothing)
  rescore  finished runs against the current gold, from their saved predictions (trains nothing):
           python -m rinlib rescore results/runs/full/nyt-proxy   (--dry-run: only say what would change)
  operating-points  strict scores at pair thresholds 0.1 … 0.9 for finished runs that lack them, from
           their weights (trains nothing): python -m rinlib operating-points results/runs/full
"""

from __future__ import annotations

import argparse
import sys
from dataclasses import fields, replace
from pathlib import Path

import yaml

from rinlib import training, userdata
from rinlib.checkpoint import CheckpointError
from rinlib.config import DATASETS, ConfigError, RunConfig
from rinlib.data.errors import DataError
from rinlib.experiments import EXPERIMENTS, PROFILES, ProfileError, base_config, describe
from rinlib.inference import InputError, decoded_lines, load, read_lines, ship, write_jsonl
from rinlib.io import atomic_write_text
from rinlib.provenance import git_commit
from rinlib.reporting.tables import markdown
from rinlib.runs import RESULTS, RunBusy, SweepError, progress, queue, results_root, run, run_dir, run_lock
from rinlib.runs.operating import OperatingPointsError, write_all
from rinlib.runs.rescore import RescoreError, rescore
from rinlib.training import TrainingError


def parse_overrides(items: list[str]) -> dict:
    """``key=value`` pairs, values parsed as YAML scalars (``K=3``, ``lr=1e-3``, ``patience=null``)."""
    out = {}
    for item in items:
        if "=" not in item:
            raise SystemExit(f"expected key=value, got {item!r}")
        k, v = item.split("=", 1)
        out[k.strip()] = yaml.safe_load(v)
    return out


def train_config(overrides: dict) -> RunConfig:
    """The config ``train`` runs for ``key=value`` overrides of a named data set: the budget of
    ``profile`` (:func:`rinlib.experiments.base_config`, default ``full``), the overrides winning."""
    ov = dict(overrides)
    profile = ov.pop("profile", "full")
    dataset = ov.get("dataset", "webnlg")
    if dataset not in DATASETS:
        raise ConfigError(f"dataset={dataset}: neither a named data set {DATASETS} nor an existing folder")
    cfg = base_config(profile, dataset=dataset).with_overrides(ov)
    cfg.resolved()  # every value checked before anything is trained
    return cfg


def _train(args: argparse.Namespace) -> int:
    ov = parse_overrides(args.overrides)
    if userdata.is_folder(ov.get("dataset")):
        fields = {k: v for k, v in ov.items() if k not in ("dataset", "profile")}
        res, _ = userdata.train_folder(ov["dataset"], ov.get("profile", "full"), args.out, args.restart, **fields)
    else:
        cfg = train_config(ov)
        out = args.out or run_dir(cfg)
        with run_lock(out):
            res = training.train(cfg, out, resume=not args.restart)
    m = res.metrics
    scores = (f"test strict F1 {m['test']['strict']['f1']:.4f}, paper F1 {m['test']['paper']['f1']:.4f}" if "test" in m
              else f"dev strict F1 {m['dev']['strict']['f1']:.4f}; no test set, so no test score")
    print(f"finished {res.out_dir}: selected epoch {m['selected_epoch']}, {scores}")
    return 0


def _extract(args: argparse.Namespace) -> int:
    if args.input and args.sentences:
        raise SystemExit("give sentences or --input, not both")
    source = args.input or ("-" if args.sentences == ["-"] else None)
    if source is None and not args.sentences:
        raise SystemExit("nothing to extract: give sentences, --input FILE, or - for stdin")
    lines = read_lines(source) if source is not None else decoded_lines(args.sentences, "command line", "argument")
    ex = load(args.checkpoint, args.device)
    n = write_jsonl(ex.extract_lines(lines, args.batch_size, args.pretokenized, threshold=args.threshold,
                                     split_sentences=not args.no_split), args.output)
    print(f"{n} sentences extracted", file=sys.stderr)
    return 0


def _ship(args: argparse.Namespace) -> int:
    try:
        dst = ship(args.run_dir, args.name, force=args.force)
    except (ValueError, FileNotFoundError, FileExistsError) as e:  # a bad name, an unfinished run, a taken name
        raise SystemExit(f"error: {e}") from None
    print(f"shipped {dst} (card {dst.with_suffix('.json')})")
    return 0


def _sweep(args: argparse.Namespace) -> int:
    engine = args.engine or ("ray" if args.jobs > 1 or args.address else "local")
    results_root = Path(args.results) if args.results else None
    try:
        if engine == "local" and (args.address or args.gpus_per_trial is not None):
            raise SweepError("--address and --gpus-per-trial need --engine ray")
        configs = queue(args.grid, args.experiments.split(",") if args.experiments else [], args.profile)
        if engine == "local" and args.cpus_per_trial is not None:
            configs = [replace(c, num_threads=args.cpus_per_trial) for c in configs]
        if args.device:  # where a run trains is not part of its key: the results are the same runs
            configs = [replace(c, device=args.device) for c in configs]
        ray_options = ({"address": args.address, "num_cpus_per_trial": args.cpus_per_trial,
                        "num_gpus_per_trial": args.gpus_per_trial} if engine == "ray" else {})
        results = run(configs, engine=engine, jobs=args.jobs, force=args.force, results_root=results_root,
                      **ray_options)
    except SweepError as e:  # a user-facing problem: one line, no traceback
        raise SystemExit(f"error: {e}") from None
    print(f"{len(results)} of {len(configs)} runs finished ({engine} engine)")
    return 0


def _status(args: argparse.Namespace) -> int:
    try:
        runs = progress.grid_progress(args.experiments.split(","), args.profile,
                                      Path(args.results) if args.results else None)
    except ProfileError as e:
        raise SystemExit(f"error: {e}") from None
    print(markdown(progress.summary(runs)))
    started = progress.started(runs)
    if not started.empty:
        print("\nstarted, not finished:\n" + markdown(started))
    if args.pending:
        left = progress.pending(args.experiments.split(","), args.profile,
                                Path(args.results) if args.results else None, progress=runs)
        head = (f"# The {len(left)} runs of {args.experiments} (profile {args.profile}) not finished at commit "
                f"{git_commit()}, written by `python -m rinlib status --pending`.\n# Train them: python -m rinlib "
                f"sweep {args.pending} --profile {args.profile} [--device cuda]\n")
        atomic_write_text(Path(args.pending), head + (yaml.safe_dump(left, sort_keys=False) if left else "[]\n"))
        print(f"\n{len(left)} runs not finished: {args.pending}")
    return 0


def _report(args: argparse.Namespace) -> int:
    from rinlib.reporting import readme  # the plotting stack: only for this command
    from rinlib.reporting.report import write_report

    root = Path(args.results) if args.results else None
    # the README's numbers come from the kit's own committed runs, never from another results folder
    own = root is None and results_root().resolve() == RESULTS.resolve() and readme.README.is_file()
    try:
        path, refreshed = write_report(args.profile, root, readme_path=readme.README if own else None)
    except readme.MarkerError as e:
        raise SystemExit(f"error: {e}") from None
    names = ", ".join(f"'{name}'" for name in refreshed)
    print(f"report written to {path}" + (f"; {readme.README.name} blocks {names} refreshed" if refreshed else ""))
    return 0


def _rescore(args: argparse.Namespace) -> int:
    root = Path(args.root)
    try:
        for done in rescore(root, dry_run=args.dry_run):
            print(done.line(root, dry_run=args.dry_run), flush=True)
    except RescoreError as e:  # a missing folder or predictions that do not fit the data: one line
        raise SystemExit(f"error: {e}") from None
    return 0


def _operating_points(args: argparse.Namespace) -> int:
    root = Path(args.root)
    try:
        for out, done in write_all(root, force=args.force):
            print(f"{out}: {done}", flush=True)
    except OperatingPointsError as e:
        raise SystemExit(f"error: {e}") from None
    return 0


def train_options() -> str:
    """``train --help``'s list of ``key=value`` options: every RunConfig field with its default
    (generated, so the help cannot fall behind the config)."""
    default = RunConfig()
    lines = ["key=value options (values are YAML: K=3, lr=1e-3, patience=null), with their defaults; null = Table 3's "
             "value for the data set and task:"]
    for f in fields(RunConfig):
        if f.name != "profile":
            value = yaml.safe_dump(getattr(default, f.name), default_flow_style=True).removesuffix("...\n").strip()
            lines.append(f"  {f.name}={value}  ({f.type})")
    lines += ["", "dataset= a named data set or the path of a folder of your own data (README, 'Your own data').",
              "profile= the budget, the same as in the sweep and the notebooks (explicit key=value options win; "
              "default full):"]
    lines += [f"  profile={name}: {describe(name)}" for name in PROFILES]
    return "\n".join(lines)


def _threshold(value: str) -> float:
    t = float(value)
    if not 0 < t < 1:
        raise argparse.ArgumentTypeError(f"must be between 0 and 1 (exclusive), got {value}")
    return t


def main(argv: list[str] | None = None) -> int:
    """Run one command; a problem the user can fix ends in one ``error:`` line and exit status 1."""
    p = argparse.ArgumentParser(prog="rinlib", description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = p.add_subparsers(dest="command", required=True)
    t = sub.add_parser("train", help="train one configuration (key=value overrides of RunConfig)",
                       epilog=train_options(), formatter_class=argparse.RawDescriptionHelpFormatter)
    t.add_argument("overrides", nargs="*", metavar="key=value")
    t.add_argument("--out", help="run directory (default: results/runs/<profile>/<dataset>/<task>/<variant>/K<k>/seed<s>; "
                                 "your own data: results/user/<profile>/<folder name>/<task>/<variant>/K<k>/seed<s>)")
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
    e.add_argument("--threshold", type=_threshold, help="pair score a triple needs (default: the model's, 0.5)")
    e.add_argument("--no-split", action="store_true", help="one sentence per input line (default: raw text is "
                                                           "split into sentences; no triple crosses one)")
    e.set_defaults(func=_extract)
    s = sub.add_parser("ship", help="copy a finished run's model to models/<name>.safetensors + model card")
    s.add_argument("run_dir")
    s.add_argument("name")
    s.add_argument("--force", action="store_true", help="replace an existing model of that name")
    s.set_defaults(func=_ship)
    w = sub.add_parser("sweep", help="train a grid of configurations (finished runs are reused, interrupted ones resumed)")
    w.add_argument("grid", nargs="*", help="YAML files (RunConfig fields mapped to lists of values), trained in the "
                                          "order given; a run listed twice is trained once")
    w.add_argument("--experiments", help="the paper's runs, e.g. table1,table5,figure3,nyt_proxy,webnlg_etl, seed by "
                                         "seed (every cell gets seed n before any gets seed n+1); after the grid "
                                         "files when both are given")
    w.add_argument("--profile", default="quick", help="smoke, quick or full: the budget the grid overrides")
    w.add_argument("--engine", choices=("local", "ray"), help="default: ray when --jobs > 1 or --address, else local")
    w.add_argument("--jobs", type=int, default=1, help="trials at a time (ray engine)")
    w.add_argument("--address", help="existing Ray cluster: 'auto' or ray://HOST:10001 (default: $RAY_ADDRESS, "
                                     "else start one here)")
    w.add_argument("--cpus-per-trial", type=int, help="CPUs (= torch threads) per trial (ray default: $RIN_CPUS_PER_TRIAL or 1; "
                                            "local default: torch's)")
    w.add_argument("--gpus-per-trial", type=float, help="GPU share per trial, e.g. 0.25 (default: $RIN_GPUS_PER_TRIAL, "
                                     "else 1 for device=cuda configs, 0 otherwise)")
    w.add_argument("--device", help="cpu, cuda, cuda:N or auto for every run (default: the grid's, else cpu)")
    w.add_argument("--force", action="store_true", help="retrain runs that are already finished")
    w.add_argument("--results", help="results folder (default: $RIN_RESULTS or results/)")
    w.set_defaults(func=_sweep)
    st = sub.add_parser("status", help="which runs of the paper's grid are finished, resumable, training now or "
                                       "not started (trains nothing)")
    st.add_argument("--experiments", default=",".join(EXPERIMENTS))
    st.add_argument("--profile", default="full")
    st.add_argument("--results", help="results folder (default: $RIN_RESULTS or results/)")
    st.add_argument("--pending", metavar="FILE", help="also write the runs not finished as a grid file for "
                                                      "`sweep FILE` (for a machine without these results)")
    st.set_defaults(func=_status)
    r = sub.add_parser("report", help="write results/REPORT.md (tables and figures too) from the finished runs "
                                      "(trains nothing)")
    r.add_argument("--profile", choices=PROFILES, default="quick")
    r.add_argument("--results", help="results folder (default: $RIN_RESULTS or results/)")
    r.set_defaults(func=_report)
    rs = sub.add_parser("rescore", help="re-score finished runs from their saved predictions against the data "
                                        "loader's current gold; rewrites metrics.json where a number changed and "
                                        "notes it in provenance.json (selected epoch, predictions, history kept)")
    rs.add_argument("root", help="folder holding the run directories, e.g. results/runs/full/nyt-proxy")
    rs.add_argument("--dry-run", action="store_true", help="write nothing; say what would change")
    rs.set_defaults(func=_rescore)
    op = sub.add_parser("operating-points", help="write operating_points.csv (strict dev/test scores at pair "
                                                 "thresholds 0.1 to 0.9) for finished runs that lack it, from "
                                                 "their weights (trains nothing)")
    op.add_argument("root", help="folder holding the run directories, e.g. results/runs/full")
    op.add_argument("--force", action="store_true", help="rewrite files that are already there")
    op.set_defaults(func=_operating_points)
    args = p.parse_args(argv)
    try:
        return args.func(args)
    except (CheckpointError, ConfigError, DataError, InputError, ProfileError, RunBusy, TrainingError) as e:
        raise SystemExit(f"error: {e}") from None


if __name__ == "__main__":
    sys.exit(main())
