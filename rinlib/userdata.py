"""Your own data as a training run: ``python -m rinlib train dataset=<folder> task=exact|partial``.

The folder's layout and checks are :mod:`rinlib.data.folder`'s. This module turns a folder into
a run: its config, its data, its report, its run directory.

How a user's run is written in a :class:`~rinlib.config.RunConfig` (which names data sets from a
fixed list): ``data_root`` is the folder (absolute; outside the cache key, so the folder may
move), ``extra["user_data"]`` the sha256 of each of its files (inside the key: edited files make
another run, never a resumed one), and ``dataset`` stays ``webnlg``, which here names only the
Table 3 column its default hyper-parameters come from (K 2/3, lr 5e-4, batch 50, 150 epochs).
Everything a reader sees names the folder instead: ``metrics.json`` (``dataset``
``user:<folder name>`` and ``data``), ``provenance.json`` (``dataset_info``), the model card.
The sealed per-epoch test curve (:class:`rinlib.training.SealedTestCurve`) is off for user data
unless asked for (``test_curve=true``); it needs ``test.json``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pandas as pd

from rinlib.config import DATASETS, ConfigError, RunConfig
from rinlib.data.embeddings import coverage_line
from rinlib.data.folder import fingerprint, split_files
from rinlib.data.readers import DATA_DIR
from rinlib.experiments import base_config
from rinlib.io import atomic_write_json
from rinlib.inputs import USER_KEY, Prepared, prepare
from rinlib.runs import results_root, run_lock
from rinlib.training import RunResult, train

TABLE3_DEFAULTS = "webnlg"
EXAMPLE = DATA_DIR / "examples" / "your_data"
"""A tiny synthetic folder in the layout above (notebook 09 and the tests train on it)."""
REPORT_FILE = "data_report.json"
RELATIONS_FILE = "relations.json"


def is_folder(value: object) -> bool:
    """Whether a ``dataset=`` value means a user's folder: an existing directory that is not a named data set."""
    return isinstance(value, str) and value not in DATASETS and Path(value).is_dir()


def user_config(folder: str | Path, profile: str = "full", **fields: Any) -> RunConfig:
    """The config of a run on ``folder`` under ``profile``'s budget (:func:`rinlib.experiments.base_config`),
    ``fields`` (RunConfig fields, e.g. ``task="exact"``) winning over the budget."""
    fixed = {"dataset", "data_root", "extra"} & set(fields)
    if fixed:
        raise ConfigError(f"{sorted(fixed)} are set by the folder of a user's data set; leave them out")
    folder = Path(folder).resolve()
    has_test = "test" in split_files(folder)
    base = base_config(profile, dataset=TABLE3_DEFAULTS, data_root=str(folder),
                       extra={USER_KEY: fingerprint(folder)}, test_curve=False,
                       notes=f"user data {folder}; dataset={TABLE3_DEFAULTS} names only the Table 3 column of "
                             "its default hyper-parameters")
    cfg = base.with_overrides(fields)
    if cfg.test_curve and not has_test:
        raise ConfigError(f"test_curve=true needs {folder}/test.json")
    cfg.resolved()  # every value checked now, before any data is read
    return cfg


def data_report(prep: Prepared) -> dict[str, Any]:
    """The folder's report (:func:`rinlib.data.folder.describe`) plus what this run uses of it:
    sentences after the profile's subsets, and the word-vector coverage of its train vocabulary."""
    return {**prep.info["report"], "used": {"train": len(prep.train), "dev": len(prep.dev)},
            "vectors": prep.coverage}


def report_table(report: dict[str, Any]) -> pd.DataFrame:
    """One row per split: records, sentences, triples, skips (by reason), Normal/EPO/SEO, and the
    sentences that are also in train."""
    splits = report["splits"]
    reasons = sorted({r for s in splits.values() for r in s["skips"]["by_reason"]})
    notes = sorted({r for s in splits.values() for r in s["skips"]["notes"]})
    rows = []
    for split, s in splits.items():
        rows.append({"split": split, "records": s["records"], "sentences": s["sentences"], "triples": s["triples"],
                     "skipped": s["skipped"], **{f"skip: {r}": s["skips"]["by_reason"].get(r, 0) for r in reasons},
                     **{f"note: {r}": s["skips"]["notes"].get(r, 0) for r in notes},
                     "normal": s["normal"], "EPO": s["epo"], "SEO": s["seo"],
                     "also in train": report["warnings"][f"{split}_in_train"]["count"] if split != "train" else "-"})
    return pd.DataFrame(rows)


def report_text(report: dict[str, Any]) -> str:
    """The report as the CLI prints it."""
    lines = [f"data: {report['folder']} ({report['relations']['count']} relations from "
             f"{report['relations']['source']})", report_table(report).to_string(index=False)]
    for key, w in report["warnings"].items():
        if w["count"]:
            lines.append(f"warning: {w['count']} sentence(s) of {key.replace('_in_', ' also in ')} "
                         f"(e.g. {', '.join(w['examples'])})")
    if "test" not in report["splits"]:
        lines.append("no test.json: the run is selected on dev and has no test score")
    if "vectors" in report:
        lines.append(coverage_line(report["vectors"]))
    return "\n".join(lines)


def run_dir(cfg: RunConfig, root: str | Path | None = None) -> Path:
    """Where a user's run goes by default: ``<results>/user/<profile>/<folder name>/<task>/<variant>/K<k>/seed<s>``,
    outside ``<results>/runs`` so it never mixes with the paper's grid and its tables."""
    c = cfg.resolved()
    base = Path(root) if root else results_root() / "user"
    return base / c.profile / Path(c.data_root or "?").name / c.task / c.variant / f"K{c.K}" / f"seed{c.seed}"


def _check_same_files(cfg: RunConfig, out: Path, restart: bool) -> None:
    """Refuse to resume a run of the same folder whose files have changed since (the likely case
    after editing one's data), naming the files, unless ``restart``: its checkpoint would only be
    refused later with a less helpful message."""
    if restart or not (out / "config.yaml").is_file():
        return
    old, new = RunConfig.load(out / "config.yaml").extra.get(USER_KEY), cfg.extra[USER_KEY]
    if old is not None and old != new:
        changed = sorted(k for k in set(old) | set(new) if old.get(k) != new.get(k))
        raise ConfigError(f"{out} holds a run of other contents of {changed}; --restart (restart=True) replaces it, "
                          "--out DIR keeps both")


def train_folder(folder: str | Path, profile: str = "full", out: str | Path | None = None,
                 restart: bool = False, verbose: bool = True, **fields: Any) -> tuple[RunResult, dict[str, Any]]:
    """Train on a user's folder (dev selection, test scored once if ``test.json`` exists); writes
    ``data_report.json`` and ``relations.json`` beside the run. Returns (result, data report)."""
    cfg = user_config(folder, profile, **fields)
    out = Path(out) if out else run_dir(cfg)
    _check_same_files(cfg, out, restart)
    with run_lock(out):
        prep = prepare(cfg)
        report = data_report(prep)
        if verbose:
            print(report_text(report), flush=True)
        atomic_write_json(out / REPORT_FILE, report)
        atomic_write_json(out / RELATIONS_FILE, prep.relations)
        return train(cfg, out, resume=not restart, prepared=prep), report
