"""Selecting on test: what the authors' procedure (the best test epoch, their protocol) would
have reported, beside the dev-selected number, from each run's sealed ``test_curve.csv``. This
module is the only reader of that file: selection, early stopping and every other table never
see it.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd

from rinlib import paper
from rinlib.reporting import paper_results
from rinlib.reporting.diagnostics import SYSTEMS
from rinlib.reporting.figures import Figure, caption_under, new_figure
from rinlib.reporting.stats import difference_se, mean_std
from rinlib.reporting.tables import fmt, signed

CURVE = "test_curve.csv"


LAST_EPOCHS = 30  # the early-stopping patience: a stopped run's last epochs all come after its best dev epoch


def curve_rows(results: pd.DataFrame) -> pd.DataFrame:
    """One row per full-profile run with a sealed test curve: the dev-selected test F1 and the
    best test epoch's F1, both protocols; ``complete`` says whether the curve covers every epoch
    the run trained (a run resumed from before curves existed lacks its early epochs)."""
    rows = []
    for _, r in (results if results.empty else results[results["profile"] == "full"]).iterrows():
        path = Path(r["run_dir"]) / CURVE
        if not path.is_file():
            continue
        curve = pd.read_csv(path)
        best = curve.loc[curve["test_F1_paper"].idxmax()]
        rows.append({"run_dir": r["run_dir"], "vectors": r["vectors"], "dataset": r["dataset"], "task": r["task"],
                     "system": SYSTEMS.get(r["variant"], r["variant"]), "K": r["K"], "seed": r["seed"],
                     "complete": list(curve["epoch"]) == list(range(1, int(r["epochs_run"]) + 1)),
                     "dev-selected paper F1": 100 * r["test_paper_f1"],
                     "best test epoch paper F1": 100 * best["test_F1_paper"], "best test epoch": int(best["epoch"]),
                     "dev-selected strict F1": 100 * r["test_strict_f1"],
                     "best test epoch strict F1": 100 * curve["test_F1"].max(),
                     "last epochs strict F1": 100 * curve["test_F1"].tail(LAST_EPOCHS).mean(),
                     "selected epoch": r["selected_epoch"], "epochs run": r["epochs_run"]})
    return pd.DataFrame(rows)


GAIN_RULES = {"dev-selected (strict)": "dev-selected strict F1",
              "authors' procedure (best test epoch, paper protocol)": "best test epoch paper F1",
              f"mean of the last {LAST_EPOCHS} epochs (strict)": "last epochs strict F1"}
"""The interaction gain under each way of reading a run: the kit's rule, the authors', and one
that selects nothing (the curve's converged end, as the authors' released log averages it)."""


def selection_gains(rows: pd.DataFrame) -> pd.DataFrame:
    """RIN − RIN w/o interaction per (vectors, dataset, task) under each of :data:`GAIN_RULES`,
    from the complete curves: mean difference ± its standard error (independent seeds). If
    selecting on test, or the noise of selecting at all, made the gain, the rules would disagree."""
    if rows.empty:
        return rows
    done = rows[rows["complete"]]
    rin, base = SYSTEMS["rin"], SYSTEMS["no_interaction"]
    out = []
    for (vec, ds, task), g in done.groupby(["vectors", "dataset", "task"], sort=False):
        a, b = g[g["system"] == rin], g[g["system"] == base]
        if a.empty or b.empty:
            continue
        row = {"vectors": vec, "dataset": ds, "task": task}
        for name, col in GAIN_RULES.items():
            (ma, sa, na), (mb, sb, nb) = mean_std(a[col]), mean_std(b[col])
            row[name] = signed(ma - mb, difference_se(sa, na, sb, nb))
        if ds == "webnlg":
            row["paper gain"] = signed(paper.interaction_gain(ds, task))
        row["n seeds (RIN / w/o)"] = f"{len(a)} / {len(b)}"
        out.append(row)
    return pd.DataFrame(out)


def selection_table(rows: pd.DataFrame) -> pd.DataFrame:
    """Per cell (complete curves only), mean ± std over seeds: what the authors' procedure would
    report (best test epoch, their protocol), the dev-selected number, and the inflation."""
    if rows.empty:
        return rows
    done = rows[rows["complete"]].assign(
        inflation=lambda d: d["best test epoch paper F1"] - d["dev-selected paper F1"],
        inflation_strict=lambda d: d["best test epoch strict F1"] - d["dev-selected strict F1"])
    out = []
    for keys, g in done.groupby(["vectors", "dataset", "task", "system", "K"], sort=False):
        row = dict(zip(["vectors", "dataset", "task", "system", "K"], keys))
        for col, name in (("best test epoch paper F1", "authors' procedure (best test epoch, paper protocol)"),
                          ("dev-selected paper F1", "dev-selected (paper protocol)"),
                          ("inflation", "inflation (paper protocol)"),
                          ("inflation_strict", "inflation (strict)")):
            row[name] = fmt(*mean_std(g[col])[:2], sep=" ± ")
        row["n seeds"] = len(g)
        out.append(row)
    return pd.DataFrame(out)


def selection_caption(results: pd.DataFrame, rows: pd.DataFrame) -> str:
    """The selecting-on-test table's and figure's caption: the provenance of the runs behind ``rows``."""
    curves = results[results["run_dir"].isin(set(rows["run_dir"]))] if not rows.empty else rows
    return paper_results.caption(
        curves, ["full"], "Selecting on test (WebNLG, sealed test curves; best test epoch vs dev-selected, %)")


def selection_figure(rows: pd.DataFrame, caption: str = "") -> Figure:
    """Per cell: dev-selected vs best-test-epoch F1 (paper protocol), mean ± std over seeds;
    ``caption`` (the table's provenance) goes under it."""
    fig = new_figure(figsize=(9, 3.6), layout="constrained")
    ax = fig.subplots()
    done = rows[rows["complete"]] if not rows.empty else rows
    labels = []
    for i, (keys, g) in enumerate([] if done.empty else done.groupby(["vectors", "task", "system"], sort=False)):
        vectors, task, system = keys
        labels.append("\n".join([vectors.replace("-", "-\n", 1), task, system]))  # long names: two lines
        for off, col, colour, name in ((-0.1, "dev-selected paper F1", "#1f77b4", "dev-selected"),
                                       (0.1, "best test epoch paper F1", "#d62728", "best test epoch (authors)")):
            m, s, _ = mean_std(g[col])
            ax.errorbar(i + off, m, yerr=0 if np.isnan(s) else s, fmt="o", capsize=3, color=colour,
                        label=name if i == 0 else None)
    ax.set_xticks(range(len(labels)), labels, fontsize=7)
    ax.set_ylabel("test F1 (%), paper protocol")
    ax.set_title("What selecting on test adds (sealed test curves, WebNLG)")
    if labels:
        ax.legend(fontsize=7)
    caption_under(fig, caption)
    return fig


def curve_figure(run_dir: Path, caption: str = "") -> Figure:
    """One run's dev F1 (what selection reads) and its sealed test F1 per epoch, with the
    dev-selected epoch and the best test epoch (the authors' pick, their protocol) marked: what
    the "Selecting on test" inflation looks like inside a run."""
    run_dir = Path(run_dir)
    hist, curve = pd.read_csv(run_dir / "history.csv"), pd.read_csv(run_dir / CURVE)
    selected = int(json.loads((run_dir / "metrics.json").read_text())["selected_epoch"])
    best = int(curve.loc[curve["test_F1_paper"].idxmax(), "epoch"])
    fig = new_figure(figsize=(9, 3.6), layout="constrained")
    ax = fig.subplots()
    ax.plot(hist["epoch"], 100 * hist["dev_F1"], color="#1f77b4", lw=1, label="dev F1 (strict; selection reads this)")
    ax.plot(curve["epoch"], 100 * curve["test_F1"], color="0.4", lw=1, label="test F1 (strict, sealed)")
    ax.plot(curve["epoch"], 100 * curve["test_F1_paper"], color="#d62728", lw=1,
            label="test F1 (paper protocol, sealed)")
    ax.axvline(selected, color="#1f77b4", ls="--", lw=1, label=f"dev-selected epoch {selected}")
    ax.axvline(best, color="#d62728", ls=":", lw=1, label=f"best test epoch {best} (the authors' pick)")
    top = 100 * max(hist["dev_F1"].max(), curve[["test_F1", "test_F1_paper"]].max().max())
    ax.set_ylim(max(0.0, top - 15), top + 1)  # the converged part, where selection happens
    ax.set_xlabel("epoch")
    ax.set_ylabel("F1 (%)")
    ax.set_title(f"Dev selection vs selecting on test: {run_dir.name} of {'/'.join(run_dir.parts[-6:-1])}", fontsize=9)
    ax.legend(fontsize=7, loc="lower right")
    caption_under(fig, caption)
    return fig
