"""The pair threshold: strict test scores of Table 1's WebNLG cells at pair thresholds
0.1 … 0.9 (each run's ``operating_points.csv``), the gain at each and at a threshold tuned on
dev, and where the paper's (P, R) lies against the kit's precision-recall curves.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from rinlib import paper
from rinlib.config import TASKS, VECTORS
from rinlib.metrics import OPERATING_POINTS
from rinlib.reporting import paper_results
from rinlib.reporting.diagnostics import SYSTEMS
from rinlib.reporting.figures import Figure, caption_under, new_figure
from rinlib.reporting.stats import difference_se, mean_std
from rinlib.reporting.tables import fmt, signed


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
            row[f"F1 {_label(t)}"] = fmt(*mean_std(_at(g, t)["F1"])[:2], sep=" ± ")
        row["dev-tuned thresholds"] = ", ".join(f"{t:g}" for t in g.drop_duplicates("seed")[DEV_TUNED])
        out.append(row)
    return pd.DataFrame(out)


def threshold_gain(g: pd.DataFrame, threshold: float | str) -> tuple[float, float]:
    """RIN − w/o interaction at a threshold (strict test F1): mean difference and its standard
    error (independent seeds)."""
    a, b = (_at(g[g["system"] == s], threshold)["F1"] for s in SYSTEMS.values())
    (ma, sa, na), (mb, sb, nb) = mean_std(a), mean_std(b)
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
            f1 = [mean_std(_at(g[g["system"] == system], t)["F1"])[0] for t in mid]
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
    caption_under(fig, caption)
    return fig
