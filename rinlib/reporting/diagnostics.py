"""Two checks of why the kit's interaction gain is smaller than the paper's, from finished
full-schedule runs only (REPORT sections "Word vectors and the gain" and "Selecting on test").

- **Word vectors.** Table 1's WebNLG cells under each ``vectors`` setting
  (:data:`rinlib.config.VECTORS`): ``glove50`` and ``glove50-top2716`` differ only in coverage,
  so their difference is what coverage is worth; ``glove50`` against the default runs says
  whether complete 50-d vectors beat partial 100-d ones.
- **Selecting on test.** The authors' ``train.py`` reports the best test epoch. Each run's
  sealed ``test_curve.csv`` gives that number beside the dev-selected one; their difference is
  the inflation selecting on test adds. The curve is read here and nowhere else.
- **The pair threshold.** The paper scores pairs at 0.5. Each run's ``operating_points.csv``
  holds its strict scores at thresholds 0.1 … 0.9: if the gain, or the kit's lower recall, were
  an effect of where 0.5 falls on each model's precision-recall curve, it would move with the
  threshold, and a threshold tuned on dev would recover it.
"""

from __future__ import annotations

import json
import math
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pandas as pd

from rinlib import paper
from rinlib.config import DEFAULT_VECTORS, TASKS, VARIANT_LABELS, VECTORS
from rinlib.data.embeddings import COVERAGE_GROUPS
from rinlib.experiments import is_figure3_point, runs_behind, table3_k
from rinlib.metrics import OPERATING_POINTS
from rinlib.reporting import paper_results
from rinlib.reporting.figures import Figure, new_figure, wrap
from rinlib.reporting.tables import fmt, signed


SYSTEMS = {v: VARIANT_LABELS[v] for v in ("rin", "no_interaction")}  # Table 1's two systems
CURVE = "test_curve.csv"
LAST_EPOCHS = 30  # the early-stopping patience: a stopped run's last epochs all come after its best dev epoch


def table1_runs(results: pd.DataFrame, dataset: str = "webnlg") -> pd.DataFrame:
    """The full-profile Table 1 runs of ``dataset`` (RIN at Table 3's K, w/o interaction at K = 0),
    every vectors setting; ``results`` is ``rinlib.runs.collect(vectors=None)``."""
    if results.empty:
        return results
    return runs_behind(results[results["profile"] == "full"], "table1", [dataset])


def _mean_std(v: pd.Series) -> tuple[float, float, int]:
    v = v.astype(float).dropna()
    return float(v.mean()), float(v.std(ddof=1)) if len(v) > 1 else float("nan"), len(v)


def vector_scores(cells: pd.DataFrame) -> pd.DataFrame:
    """Strict test P/R/F1 (mean ± std over seeds, percent) per (vectors, task, system)."""
    rows = []
    for vec in VECTORS:
        for task in TASKS:
            for variant, system in SYSTEMS.items():
                g = cells if cells.empty else \
                    cells[(cells["vectors"] == vec) & (cells["task"] == task) & (cells["variant"] == variant)]
                row = {"vectors": vec, "task": task, "system": system, "n seeds": len(g)}
                for m, col in (("P", "precision"), ("R", "recall"), ("F1", "f1")):
                    mean, std, _ = _mean_std(100 * g[f"test_strict_{col}"]) if len(g) else (np.nan, np.nan, 0)
                    row[m], row[f"{m}_std"] = mean, std
                rows.append(row)
    return pd.DataFrame(rows)


def difference_se(std_a: float, n_a: int, std_b: float, n_b: int) -> float:
    """Standard error of a difference of two means over independent seeds,
    sqrt(s_a²/n_a + s_b²/n_b); NaN unless both sides have 2+ seeds."""
    return float(np.sqrt(std_a ** 2 / n_a + std_b ** 2 / n_b)) if min(n_a, n_b) > 1 else float("nan")


def vector_gains(scores: pd.DataFrame) -> pd.DataFrame:
    """RIN − RIN w/o interaction per (vectors, task): strict test F1 with its standard error
    (independent seeds), beside the paper's gain."""
    rows = []
    for (vec, task), g in scores.groupby(["vectors", "task"], sort=False):
        rin, base = (g[g["system"] == s].iloc[0] for s in SYSTEMS.values())
        se = difference_se(rin["F1_std"], rin["n seeds"], base["F1_std"], base["n seeds"])
        rows.append({"vectors": vec, "task": task, "gain": rin["F1"] - base["F1"], "gain_se": se,
                     "paper gain": paper.interaction_gain("webnlg", task),
                     "n seeds (RIN / w/o)": f"{rin['n seeds']} / {base['n seeds']}"})
    return pd.DataFrame(rows)


def vectors_table(scores: pd.DataFrame, gains: pd.DataFrame) -> pd.DataFrame:
    """One printable row per (vectors, task, system): P/R/F1 and the gain of its setting."""
    out = scores.assign(**{m: [fmt(a, b, sep=" ± ") for a, b in zip(scores[m], scores[f"{m}_std"])] for m in ("P", "R", "F1")})
    g = gains.assign(gain=["" if np.isnan(a) else signed(a, b) for a, b in zip(gains["gain"], gains["gain_se"])],
                     **{"paper gain": gains["paper gain"].map(signed)})
    out = out.merge(g[["vectors", "task", "gain", "paper gain"]], on=["vectors", "task"])
    return out[["vectors", "task", "system", "P", "R", "F1", "n seeds", "gain", "paper gain"]]


SEEDS_TO_SETTLE = 5
"""Seeds per cell before a difference within two standard errors is called "no difference"."""


def two_se(d: float, se: float) -> str:
    """The verdict on a difference of independent means: beyond or within two standard errors
    (the kit's one rule for "distinguishable from seed noise")."""
    if np.isnan(se):
        return "too few seeds to tell"
    return "beyond two standard errors" if abs(d) > 2 * se else "within two standard errors"


def _compared(x: pd.Series, y: pd.Series, a: str, b: str, col: str, unit: str) -> str:
    """``x[col]`` minus ``y[col]`` (rows with ``<col>_std`` and ``n seeds``; settings ``a``, ``b``)
    against two standard errors of independent seeds: the clause after a verdict's colon (no
    final full stop)."""
    nx, ny = int(x["n seeds"]), int(y["n seeds"])
    if min(nx, ny) == 0:
        return f"not measured yet ({a}: {nx} seeds, {b}: {ny})"
    d = x[col] - y[col]
    if min(nx, ny) < 2:
        return f"{signed(d)} {unit} ({a} {nx} seed(s), {b} {ny}): too few seeds to tell from seed noise"
    se = difference_se(x[f"{col}_std"], nx, y[f"{col}_std"], ny)
    n = min(nx, ny)
    word = two_se(d, se)
    if word.startswith("within"):
        word += ": not distinguishable" + ("" if n >= SEEDS_TO_SETTLE else f" at {n} seeds; {SEEDS_TO_SETTLE} seeds settle it")
    return f"{signed(d, se)} {unit} ({word})"


def verdict(scores: pd.DataFrame, gains: pd.DataFrame) -> list[str]:
    """Generated sentences: per task, complete vs cut 50-d vectors (coverage alone) and complete
    50-d vs the default 100-d runs, each difference against two standard errors."""
    lines = []
    for task in TASKS:
        for system in SYSTEMS.values():
            s = scores[(scores["task"] == task) & (scores["system"] == system)].set_index("vectors")
            for a, b, what in (("glove50", "glove50-top2716", "coverage alone (complete vs cut 50-d)"),
                               ("glove50", DEFAULT_VECTORS, "complete 50-d vs the default partial 100-d")):
                lines.append(f"- {task}, {system}, {what}: {_compared(s.loc[a], s.loc[b], a, b, 'F1', 'F1')}.")
    for _, g in gains.iterrows():
        if not np.isnan(g["gain"]):
            lines.append(f"- gain with {g['vectors']}, {g['task']}: {signed(g['gain'], g['gain_se'])}"
                         f" (paper {signed(g['paper gain'])}; seeds {g['n seeds (RIN / w/o)']}).")
    return lines


COVERAGE_KEYS = ["vectors", "task", "system", "anchor words"]
_ORDER = {"vectors": VECTORS, "task": TASKS, "system": tuple(SYSTEMS.values())}


def recall_scores(rec: pd.DataFrame, keys: Sequence[str]) -> pd.DataFrame:
    """Per ``keys`` and anchor-word group: strict recall mean ± std over seeds (``R``, ``R_std``,
    ``n seeds``) and the group's gold triples (``n_gold``); ``rec`` is one of the recall-by-group
    frames of :mod:`rinlib.reporting.analysis`, ordered by the kit's settings, tasks and systems."""
    by = list(keys) + ["anchor words"]
    rows = []
    for vals, g in ([] if rec.empty else rec.groupby(by, sort=False)):
        m, sd, n = _mean_std(g["R"])
        rows.append({**dict(zip(by, vals)), "R": m, "R_std": sd, "n seeds": n, "n_gold": int(round(g["n_gold"].mean()))})
    out = pd.DataFrame(rows, columns=by + ["R", "R_std", "n seeds", "n_gold"])
    rank = {k: {v: i for i, v in enumerate(order)} for k, order in _ORDER.items()}
    return out.sort_values(list(keys), key=lambda c: c.map(rank[c.name]) if c.name in rank else c,
                           kind="stable").reset_index(drop=True)


def recall_table(scores: pd.DataFrame, keys: Sequence[str], groups: Sequence[str]) -> pd.DataFrame:
    """One printable row per ``keys``, one recall column per group in ``groups`` order (mean ± std
    over seeds), groups without triples left out. A group's gold triples go in its header when every
    row has the same number, else into each cell (data sets and tasks differ)."""
    cols = list(keys) + ["n seeds"]
    if scores.empty:
        return pd.DataFrame(columns=cols)
    present = [grp for grp in groups if (scores["anchor words"] == grp).any()]
    shared = {grp: scores.loc[scores["anchor words"] == grp, "n_gold"].nunique() == 1 for grp in present}
    rows = []
    for vals, g in scores.groupby(list(keys), sort=False):
        row = {**dict(zip(keys, vals)), "n seeds": int(g["n seeds"].max())}
        row.update({grp: fmt(r["R"], r["R_std"], sep=" ± ") + ("" if shared[grp] else f" (n = {r['n_gold']})")
                    for grp, r in g.set_index("anchor words").iterrows()})
        rows.append(row)
    heads = {grp: f"{grp} (n = {scores.loc[scores['anchor words'] == grp, 'n_gold'].iloc[0]})" if shared[grp] else grp
             for grp in present}
    return pd.DataFrame(rows).reindex(columns=cols + present).rename(columns=heads).astype(object).fillna("")


COVERAGE_COLUMNS = (COVERAGE_GROUPS[3], COVERAGE_GROUPS[1], COVERAGE_GROUPS[2], COVERAGE_GROUPS[0])
"""The coverage table's columns: the control group first, then the one complete vectors change."""


def coverage_verdict(scores: pd.DataFrame) -> list[str]:
    """Generated sentences: per task and system, the recall of triples whose anchor words only
    full GloVe covers, complete against cut 50-d vectors, beside the same difference for triples
    whose anchors are among the 2,716 words (the same vectors under both settings: a control);
    ``scores`` is :func:`recall_scores` of :func:`rinlib.reporting.analysis.recall_by_coverage`
    by (vectors, task, system)."""
    lines: list[str] = []
    if scores.empty:
        return lines
    target, control = COVERAGE_GROUPS[1], COVERAGE_GROUPS[3]
    s = scores.set_index(COVERAGE_KEYS)
    for task in TASKS:
        for system in SYSTEMS.values():
            try:
                a, b = ("glove50", task, system), ("glove50-top2716", task, system)
                diff = _compared(s.loc[a + (target,)], s.loc[b + (target,)], a[0], b[0], "R", "recall")
                ctrl = _compared(s.loc[a + (control,)], s.loc[b + (control,)], a[0], b[0], "R", "recall")
            except KeyError:
                lines.append(f"- {task}, {system}: not measured yet (a setting has no finished run).")
                continue
            lines.append(f"- {task}, {system}, complete vs cut 50-d, triples with an anchor '{target}': "
                         f"{diff}; control, anchors '{control}': {ctrl}.")
    return lines


def vectors_caption(cells: pd.DataFrame) -> str:
    """The word-vector table's and figure's caption: title and the provenance of ``cells``."""
    return paper_results.caption(
        cells, ["full"], "Word vectors and the gain (WebNLG Table 1 cells, strict test F1 %, every vectors setting)")


def _caption(fig: Figure, caption: str) -> None:
    """The provenance line under a constrained-layout figure (``supxlabel`` takes part in the layout)."""
    if caption:
        fig.supxlabel(wrap(caption, 170), fontsize=6.5, x=0.01, ha="left", color="0.3")


def vectors_figure(scores: pd.DataFrame, caption: str = "") -> Figure:
    """Strict test F1 per vectors setting, RIN and w/o interaction, mean ± std over seeds;
    ``caption`` (the table's provenance) goes under it."""
    fig = new_figure(figsize=(9, 3.6), layout="constrained")
    axes = fig.subplots(1, 2)
    x = np.arange(len(VECTORS))
    for ax, task in zip(axes, TASKS):
        for off, (system, colour) in zip((-0.1, 0.1), zip(SYSTEMS.values(), ("#1f77b4", "#7f7f7f"))):
            s = scores[(scores["task"] == task) & (scores["system"] == system)].set_index("vectors").reindex(VECTORS)
            ax.errorbar(x + off, s["F1"], yerr=s["F1_std"].fillna(0), fmt="o", capsize=3, color=colour,
                        label=f"{system} (n = {', '.join(str(int(n)) for n in s['n seeds'])})")
        ax.set_xticks(x, VECTORS)
        ax.set_xlim(-0.5, len(VECTORS) - 0.5)  # settings without runs keep their place
        ax.set_title(f"{task.capitalize()} Match (WebNLG, strict test F1)")
        ax.set_ylabel("F1 (%)")
        ax.legend(fontsize=7)
    _caption(fig, caption)
    return fig


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
            (ma, sa, na), (mb, sb, nb) = _mean_std(a[col]), _mean_std(b[col])
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
            row[name] = fmt(*_mean_std(g[col])[:2], sep=" ± ")
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
        labels.append("\n".join(map(str, keys)))
        for off, col, colour, name in ((-0.1, "dev-selected paper F1", "#1f77b4", "dev-selected"),
                                       (0.1, "best test epoch paper F1", "#d62728", "best test epoch (authors)")):
            m, s, _ = _mean_std(g[col])
            ax.errorbar(i + off, m, yerr=0 if np.isnan(s) else s, fmt="o", capsize=3, color=colour,
                        label=name if i == 0 else None)
    ax.set_xticks(range(len(labels)), labels, fontsize=7)
    ax.set_ylabel("test F1 (%), paper protocol")
    ax.set_title("What selecting on test adds (sealed test curves, WebNLG)")
    if labels:
        ax.legend(fontsize=7)
    _caption(fig, caption)
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
    _caption(fig, caption)
    return fig


SHOWN_THRESHOLDS = (0.1, 0.3, 0.5, 0.7, 0.9)
"""The thresholds the operating-point table prints (the figure draws every one)."""
DEV_TUNED = "dev-tuned"
MID_THRESHOLDS = (0.2, 0.8)
"""The range the verdicts read: wide enough to show a threshold effect, away from the ends where
one model's recall or precision collapses."""


def mid_thresholds(g: pd.DataFrame) -> list[float]:
    """The thresholds of ``g`` (operating-point rows) within :data:`MID_THRESHOLDS`, ascending."""
    lo, hi = MID_THRESHOLDS
    return [float(t) for t in sorted(g["threshold"].unique()) if lo - 1e-9 <= t <= hi + 1e-9]


def operating_rows(cells: pd.DataFrame) -> pd.DataFrame:
    """One row per (run with an operating-points file, threshold): test strict P/R/F1 (%) and the
    run's dev-tuned threshold (best dev F1, the lower on a tie: chosen on dev, as epochs are);
    ``cells`` is :func:`table1_runs`."""
    rows = []
    for _, r in cells.iterrows():
        path = Path(r["run_dir"]) / OPERATING_POINTS
        if not path.is_file():
            continue
        curve = pd.read_csv(path)
        dev = curve[curve["split"] == "dev"].set_index("threshold")["f1"]
        tuned = float(dev.idxmax())
        for _, x in curve[curve["split"] == "test"].iterrows():
            rows.append({"run_dir": r["run_dir"], "vectors": r["vectors"], "task": r["task"],
                         "system": SYSTEMS[r["variant"]], "seed": r["seed"], "threshold": float(x["threshold"]),
                         DEV_TUNED: tuned, "P": 100 * x["precision"], "R": 100 * x["recall"], "F1": 100 * x["f1"]})
    return pd.DataFrame(rows, columns=["run_dir", "vectors", "task", "system", "seed", "threshold", DEV_TUNED,
                                       "P", "R", "F1"])


def _at(rows: pd.DataFrame, threshold: float | str) -> pd.DataFrame:
    """Each run's row at a threshold, or at its own dev-tuned one (:data:`DEV_TUNED`)."""
    return rows[rows["threshold"] == (rows[DEV_TUNED] if threshold == DEV_TUNED else threshold)]


def _label(threshold: float | str) -> str:
    return "dev-tuned threshold" if threshold == DEV_TUNED else f"at {threshold}"


def operating_table(rows: pd.DataFrame) -> pd.DataFrame:
    """Per (vectors, task, system): test strict F1 (mean ± std over seeds) at each of
    :data:`SHOWN_THRESHOLDS` and at each run's dev-tuned threshold, with those thresholds."""
    out = []
    for keys, g in rows.groupby(["vectors", "task", "system"], sort=False):
        row = dict(zip(["vectors", "task", "system"], keys)) | {"n seeds": g["seed"].nunique()}
        for t in (*SHOWN_THRESHOLDS, DEV_TUNED):
            row[f"F1 {_label(t)}"] = fmt(*_mean_std(_at(g, t)["F1"])[:2], sep=" ± ")
        row["dev-tuned thresholds"] = ", ".join(f"{t:g}" for t in g.drop_duplicates("seed")[DEV_TUNED])
        out.append(row)
    return pd.DataFrame(out)


def threshold_gain(g: pd.DataFrame, threshold: float | str) -> tuple[float, float]:
    """RIN − w/o interaction at a threshold (strict test F1): mean difference and its standard
    error (independent seeds)."""
    a, b = (_at(g[g["system"] == s], threshold)["F1"] for s in SYSTEMS.values())
    (ma, sa, na), (mb, sb, nb) = _mean_std(a), _mean_std(b)
    return ma - mb, difference_se(sa, na, sb, nb)


def cell_pairs(rows: pd.DataFrame) -> list[tuple[str, str, pd.DataFrame]]:
    """(vectors, task, rows) for each cell where both systems have operating points."""
    return [(vec, task, g) for (vec, task), g in rows.groupby(["vectors", "task"], sort=False)
            if set(SYSTEMS.values()) <= set(g["system"])]


def operating_gains(rows: pd.DataFrame) -> pd.DataFrame:
    """The interaction gain (strict test F1) at each shown threshold and at the dev-tuned one, ± its
    standard error, beside the paper's gain (at 0.5)."""
    out = []
    for vec, task, g in cell_pairs(rows):
        row = {"vectors": vec, "task": task}
        for t in (*SHOWN_THRESHOLDS, DEV_TUNED):
            row[f"gain {_label(t)}"] = signed(*threshold_gain(g, t))
        row["paper gain (at 0.5)"] = signed(paper.interaction_gain("webnlg", task))
        row["n seeds (RIN / w/o)"] = " / ".join(str(g[g["system"] == s]["seed"].nunique()) for s in SYSTEMS.values())
        out.append(row)
    return pd.DataFrame(out)


def _against_paper_recall(g: pd.DataFrame, task: str, model: str) -> str:
    """Where the paper's (P, R) of ``model`` lies against the kit's mean test curve of that system:
    the kit's precision at the paper's recall (linear between thresholds), or its highest recall."""
    ref = paper.TABLE1[("webnlg", task, model)]
    curve = g[g["system"] == SYSTEMS[model]].groupby("threshold")[["P", "R"]].mean().sort_values("R")
    p_ref, r_ref = ref["P"].mean, ref["R"].mean
    if round(curve["R"].max(), 1) < r_ref:  # as printed: a curve that reaches 76.8 when rounded reaches it
        low = curve["R"].idxmax()
        return (f"{SYSTEMS[model]} never reaches the paper's recall {r_ref:.1f} (at most {curve['R'].max():.1f}, "
                f"at threshold {low:g}, precision {curve.loc[low, 'P']:.1f}; paper precision {p_ref:.1f})")
    p_at = float(np.interp(r_ref, curve["R"], curve["P"]))
    return f"{SYSTEMS[model]} at the paper's recall {r_ref:.1f}: precision {p_at:.1f} (paper {p_ref:.1f})"


def operating_verdict(rows: pd.DataFrame) -> list[str]:
    """Generated sentences per (vectors, task): how far F1 and the gain move between thresholds
    0.2 and 0.8, the gain at the dev-tuned threshold, and each system's curve against the paper's
    (P, R)."""
    lines = []
    for vec, task, g in cell_pairs(rows):
        mid = mid_thresholds(g)
        spans = []
        for system in SYSTEMS.values():
            f1 = [_mean_std(_at(g[g["system"] == system], t)["F1"])[0] for t in mid]
            spans.append(f"{system} {min(f1):.1f} to {max(f1):.1f}")
        gains = [threshold_gain(g, t)[0] for t in mid]
        lines.append(
            f"- {vec}, {task}: over thresholds {mid[0]:g} to {mid[-1]:g}, mean test F1 spans {'; '.join(spans)}; the "
            f"gain spans {signed(min(gains))} to {signed(max(gains))} (at 0.5: {signed(*threshold_gain(g, 0.5))}; at the "
            f"dev-tuned threshold: {signed(*threshold_gain(g, DEV_TUNED))}; paper {signed(paper.interaction_gain('webnlg', task))}). "
            + "; ".join(_against_paper_recall(g, task, m) for m in SYSTEMS) + ".")
    return lines


def operating_caption(results: pd.DataFrame, rows: pd.DataFrame) -> str:
    """The operating-point table's and figure's caption: the provenance of the runs behind ``rows``."""
    used = results[results["run_dir"].isin(set(rows["run_dir"]))] if not rows.empty else rows
    return paper_results.caption(
        used, ["full"], "Operating points (WebNLG Table 1 cells, strict test P/R/F1 % at pair thresholds 0.1-0.9)")


def operating_figure(rows: pd.DataFrame, caption: str = "") -> Figure:
    """Test precision against recall over thresholds 0.1 … 0.9 (mean over seeds), per vectors
    setting and system, with 0.5 marked and the paper's (P, R) as stars."""
    fig = new_figure(figsize=(9, 4), layout="constrained")
    axes = fig.subplots(1, 2)
    colours = {SYSTEMS["rin"]: "#1f77b4", SYSTEMS["no_interaction"]: "#7f7f7f"}
    styles = dict(zip(VECTORS, ("-", "--", ":")))
    for ax, task in zip(axes, TASKS):
        g = rows[rows["task"] == task] if not rows.empty else rows
        for (vec, system), c in ([] if g.empty else g.groupby(["vectors", "system"], sort=False)):
            m = c.groupby("threshold")[["P", "R"]].mean()
            ax.plot(m["R"], m["P"], ls=styles[vec], color=colours[system], lw=1.2,
                    label=f"{system}, {vec} (n = {c['seed'].nunique()})")
            if 0.5 in m.index:
                ax.plot(m.loc[0.5, "R"], m.loc[0.5, "P"], "o", ms=4, color=colours[system])
        for model, system in SYSTEMS.items():
            ref = paper.TABLE1[("webnlg", task, model)]
            ax.plot(ref["R"].mean, ref["P"].mean, "*", ms=11, color=colours[system], mec="black",
                    label=f"paper: {system}")
        ax.set_xlabel("recall (%)")
        ax.set_ylabel("precision (%)")
        ax.set_title(f"{task.capitalize()} Match (WebNLG, test, strict; dot = threshold 0.5)", fontsize=9)
        ax.legend(fontsize=6)
    _caption(fig, caption)
    return fig


ERROR_KINDS = {"fn_entity": "missed, an entity not decoded", "fn_relation": "missed, both entities decoded",
               "fp_entity": "wrong, an entity not gold", "fp_relation": "wrong, both entities gold"}
"""The four kinds of strict triple error (:func:`rinlib.metrics.error_breakdown`), in words."""


def error_gains(errors: pd.DataFrame) -> pd.DataFrame:
    """Per (dataset, task) and error kind (:data:`ERROR_KINDS`): errors per run of RIN and of RIN
    w/o interaction (mean over seeds) and their difference ± its standard error (independent
    seeds); ``errors`` is :func:`rinlib.reporting.analysis.error_scores`. Why: it says whether the
    interaction layers win by finding entities or by relating the entities both systems find."""
    rows = []
    for (ds, task), g in ([] if errors.empty else errors.groupby(["dataset", "task"], sort=False)):
        a, b = (g[g["system"] == s] for s in SYSTEMS.values())
        if a.empty or b.empty:
            continue
        for kind, words in ERROR_KINDS.items():
            (ma, sa, na), (mb, sb, nb) = _mean_std(a[kind]), _mean_std(b[kind])
            rows.append({"dataset": ds, "task": task, "error": words, SYSTEMS["rin"]: ma,
                         SYSTEMS["no_interaction"]: mb, "difference": ma - mb,
                         "difference_se": difference_se(sa, na, sb, nb), "n seeds (RIN / w/o)": f"{na} / {nb}"})
    return pd.DataFrame(rows)


def error_table(gains: pd.DataFrame) -> pd.DataFrame:
    """:func:`error_gains` for print: counts to one decimal, the difference with its standard error."""
    if gains.empty:
        return gains
    out = gains.round({s: 1 for s in SYSTEMS.values()})
    out["RIN − w/o"] = [signed(d, se) for d, se in zip(gains["difference"], gains["difference_se"])]
    return out.drop(columns=["difference", "difference_se"])


def pending(results: pd.DataFrame, runs_root: Path, settings: Sequence[str] = VECTORS[1:]) -> list[str]:
    """Unfinished runs of the non-default settings (a resume checkpoint without metrics), as
    ``path (epoch n)`` lines, so the report says what is still training."""
    out = []
    for vec in settings:
        for ck in sorted((runs_root / "full" / f"vectors-{vec}").rglob("checkpoint.pt")):
            if not (ck.parent / "metrics.json").exists():
                hist = ck.parent / "history.csv"
                n = len(pd.read_csv(hist)) if hist.is_file() else 0
                out.append(f"{ck.parent.relative_to(runs_root)} (resumable, {n} epochs recorded)")
    return out


def _betainc(a: float, b: float, x: float) -> float:
    """Regularised incomplete beta I_x(a, b) by its continued fraction (Lentz), for the t test's
    p-value without a SciPy dependency."""
    if x <= 0.0 or x >= 1.0:
        return 0.0 if x <= 0.0 else 1.0
    if x > (a + 1) / (a + b + 2):
        return 1.0 - _betainc(b, a, 1.0 - x)
    front = math.exp(math.lgamma(a + b) - math.lgamma(a) - math.lgamma(b) + a * math.log(x) + b * math.log1p(-x)) / a
    tiny, f, c, d = 1e-300, 1.0, 1.0, 0.0
    for i in range(400):
        m = i // 2
        num = 1.0 if i == 0 else (m * (b - m) * x / ((a + 2 * m - 1) * (a + 2 * m)) if i % 2 == 0
                                  else -((a + m) * (a + b + m) * x) / ((a + 2 * m) * (a + 2 * m + 1)))
        d = 1.0 + num * d
        d = 1.0 / (d if abs(d) > tiny else tiny)
        c = 1.0 + num / (c if abs(c) > tiny else tiny)
        f *= c * d
        if abs(1.0 - c * d) < 1e-12:
            break
    return front * (f - 1.0)


def paired_t(a: Sequence[float], b: Sequence[float]) -> tuple[float, float, int]:
    """Two-sided paired t test of ``a`` against ``b`` (same seeds, same order): (mean difference,
    p-value, n). Needs two or more pairs; p is NaN when every difference is the same."""
    d = np.asarray(a, dtype=float) - np.asarray(b, dtype=float)
    n = len(d)
    if n < 2:
        raise ValueError("a paired t test needs two or more pairs")
    sd = d.std(ddof=1)
    if sd == 0:
        return float(d.mean()), float("nan"), n
    t = d.mean() / (sd / np.sqrt(n))
    nu = n - 1
    return float(d.mean()), _betainc(nu / 2, 0.5, nu / (nu + t * t)), n


def figure3_verdict(results: pd.DataFrame, dataset: str = "webnlg", alpha: float = 0.05) -> list[str]:
    """Per task, whether any K is distinguishable from Table 3's K: a paired t test over the
    seeds both points share (strict test F1), full profile. A K with fewer than two shared seeds
    cannot be tested, and the sentence says so instead of guessing."""
    r = results[(results["profile"] == "full") & (results["dataset"] == dataset)] if not results.empty else results
    r = r[is_figure3_point(r)] if not r.empty else r
    lines = []
    for task in TASKS:
        chosen = table3_k(dataset, task)
        by_k = {int(k): g.set_index("seed")["test_strict_f1"] * 100 for k, g in r[r["task"] == task].groupby("K")}
        if chosen not in by_k:
            lines.append(f"- {task}: Table 3's K={chosen} has no finished full run yet.")
            continue
        tested, untestable, different = [], [], []
        for k, f1 in sorted(by_k.items()):
            if k == chosen:
                continue
            seeds = sorted(set(f1.index) & set(by_k[chosen].index))
            if len(seeds) < 2:
                untestable.append(f"K={k} (n={len(seeds)})")
                continue
            diff, p, n = paired_t(f1[seeds], by_k[chosen][seeds])
            tested.append(f"K={k}: {signed(diff)} (p={p:.2f}, n={n})")
            if p < alpha:
                different.append(f"K={k}")
        head = (f"- {task}, against Table 3's K={chosen} (paired by seed, strict test F1, two-sided t test at "
                f"{alpha}): ")
        head += (f"distinguishable: {', '.join(different)}. " if different else
                 "no K is distinguishable. " if tested else "no K has two seeds shared with it yet. ")
        if tested:
            head += "Tested: " + "; ".join(tested) + ". "
        if untestable:
            head += "Too few shared seeds to test: " + ", ".join(untestable) + "."
        lines.append(head.rstrip())
    return lines
