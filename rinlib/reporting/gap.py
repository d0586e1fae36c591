"""The gap between the kit's interaction gain and the paper's, in a few generated sentences.

REPORT.md's diagnostics sections (word vectors, selecting on test, the pair threshold) each
answer one question at length. A reader of the README needs their answer in a few sentences, with
the current numbers. Writing those by hand let them drift from the report as seeds landed, so the
summary is generated here from the same frames, and ``python -m rinlib report --profile full``
puts it both at the top of the report's diagnostics and in the README's generated block
(:mod:`rinlib.reporting.readme`).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from rinlib import paper
from rinlib.config import TASKS, VECTORS
from rinlib.reporting import diagnostics, stats
from rinlib.reporting.diagnostics import error_kinds, pair_threshold, selection, word_vectors
from rinlib.reporting.diagnostics.word_vectors import COMPLETE, CUT
from rinlib.reporting.tables import MISSING, signed


def _per_task(values: dict[str, str]) -> str:
    """``a / b`` over :data:`TASKS` (partial, then exact), ``—`` where a task has no value."""
    return " / ".join(values.get(t, MISSING) for t in TASKS)


def gain_sentence(gains: pd.DataFrame) -> str:
    """The gain per vectors setting, partial / exact, beside the paper's (``gains`` is
    :func:`rinlib.reporting.word_vectors.vector_gains`)."""
    parts = []
    for vec in VECTORS:
        g = gains[(gains["vectors"] == vec) & gains["gain"].notna()].set_index("task")
        if g.empty:
            continue
        seeds = _per_task({t: g.loc[t, "n seeds (RIN / w/o)"].replace(" / ", "+") for t in g.index})
        parts.append(f"{_per_task({t: signed(g.loc[t, 'gain'], g.loc[t, 'gain_se']) for t in g.index})} "
                     f"with `{vec}` (seeds RIN+w/o: {seeds})")
    if not parts:
        return ""
    ref = _per_task({t: signed(paper.interaction_gain("webnlg", t)) for t in TASKS})
    return ("The interaction gain (RIN − RIN w/o interaction, WebNLG strict test F1 ± standard error, partial / "
            f"exact): {'; '.join(parts)}; paper {ref}.")


def coverage_sentence(gains: pd.DataFrame) -> str:
    """What coverage alone does to the gain: ``glove50`` − ``glove50-top2716``, per task."""
    parts = {}
    for task in TASKS:
        g = gains[gains["task"] == task].set_index("vectors")
        if not {COMPLETE, CUT} <= set(g.index) or g.loc[[COMPLETE, CUT], "gain"].isna().any():
            continue
        d = g.loc[COMPLETE, "gain"] - g.loc[CUT, "gain"]
        se = float(np.hypot(g.loc[COMPLETE, "gain_se"], g.loc[CUT, "gain_se"]))
        parts[task] = f"{signed(d, se)} ({stats.two_se(d, se)})"
    if not parts:
        return ""
    return (f"Complete coverage (`{COMPLETE}` against `{CUT}`, the same vectors cut to the 2,716 shipped words) "
            f"changes the gain by {_per_task(parts)} F1.")


def selection_sentence(rows: pd.DataFrame) -> str:
    """How much picking the best test epoch adds, per system, over every cell with complete
    sealed curves (``rows`` is :func:`rinlib.reporting.diagnostics.selection.curve_rows` of
    the Table 1 runs: a cell is one vectors setting, task and system at its Table 1 K, so
    Figure 3's other K's do not move it)."""
    done = rows[rows["complete"]] if not rows.empty else rows
    if done.empty:
        return ""
    inflation = (done.assign(d=done["best test epoch paper F1"] - done["dev-selected paper F1"])
                 .groupby(["vectors", "dataset", "task", "system"], sort=False)["d"].mean())
    spans = []
    for system in diagnostics.SYSTEMS.values():
        s = inflation.xs(system, level="system")
        if len(s):
            spans.append(f"{system} by {s.min():.1f} to {s.max():.1f}")
    return ("Picking the best test epoch on the authors' protocol, as their `train.py` does, inflates the "
            f"dev-selected cells ({len(inflation)} cells with complete sealed curves, "
            f"{', '.join(f'`{v}`' for v in done['vectors'].unique())}; mean over seeds): {'; '.join(spans)} F1.")


def threshold_sentence(rows: pd.DataFrame) -> str:
    """How far the gain moves between pair thresholds 0.2 and 0.8 from its value at 0.5, and where
    it lands at the dev-tuned threshold (``rows`` is :func:`rinlib.reporting.pair_threshold.operating_rows`)."""
    moves, tuned, cells = [], [], 0
    for _, _, g in pair_threshold.cell_pairs(rows):
        mid = pair_threshold.mid_thresholds(g)
        at_half = pair_threshold.threshold_gain(g, 0.5)[0]
        moves += [abs(pair_threshold.threshold_gain(g, t)[0] - at_half) for t in mid]
        tuned.append(abs(pair_threshold.threshold_gain(g, pair_threshold.DEV_TUNED)[0] - at_half))
        cells += 1
    if not cells:
        return ""
    lo, hi = pair_threshold.MID_THRESHOLDS
    return (f"Between pair thresholds {lo:g} and {hi:g} the gain moves at most "
            f"{max(moves):.1f} F1 from its value at 0.5, and at each run's dev-tuned threshold at most "
            f"{max(tuned):.1f} ({cells} cells with operating points).")


def exact_sentence(scores: pd.DataFrame) -> str:
    """Where the exact gap sits: each system's strict test F1 against the paper's, over the vectors
    settings with seeds (``scores`` is :func:`rinlib.reporting.word_vectors.vector_scores`)."""
    s = scores[(scores["task"] == "exact") & (scores["n seeds"] > 0)]
    parts = []
    for model, system in diagnostics.SYSTEMS.items():
        d = s[s["system"] == system]["F1"] - paper.TABLE1[("webnlg", "exact", model)]["F1"].mean
        if d.empty:
            continue
        if d.min() > 0 or d.max() < 0:  # one side of the paper's for every setting: say which, unsigned
            lo, hi = sorted((abs(d.min()), abs(d.max())))
            parts.append(f"{system} is {lo:.1f} to {hi:.1f} {'above' if d.min() > 0 else 'below'} the paper's")
        else:
            parts.append(f"{system} is {signed(d.min())} to {signed(d.max())} from the paper's")
    if not parts:
        return ""
    return f"In exact F1, over the {s['vectors'].nunique()} vectors settings, the kit's " + " and its ".join(parts) + "."


def errors_sentence(gains: pd.DataFrame) -> str:
    """Where the WebNLG gain comes from: RIN − RIN w/o interaction in each kind of strict error per
    run, partial / exact (``gains`` is :func:`rinlib.reporting.error_kinds.error_gains`, default
    vectors)."""
    g = gains[gains["dataset"] == "webnlg"] if not gains.empty else gains
    if g.empty:
        return ""
    parts = []
    for words in error_kinds.ERROR_KINDS.values():
        k = g[g["error"] == words].set_index("task")
        parts.append(f"{words} {_per_task({t: signed(k.loc[t, 'difference'], k.loc[t, 'difference_se']) for t in k.index})}")
    return ("Where the gain comes from (default vectors, RIN − RIN w/o interaction in strict errors per run, "
            "partial / exact; a triple missed or wrong with an entity span not decoded, or with both entities "
            f"decoded): {'; '.join(parts)}.")


def schedule_sentence(cells: pd.DataFrame, scope: str = "every setting and task") -> str:
    """How each system's runs ended: stopped early (patience without a dev gain) or at the epoch
    cap, and the epochs dev selected (``cells`` is :func:`rinlib.reporting.diagnostics.table1_runs`,
    or any runs with the same schedule columns; ``scope`` says which runs they are).
    Why: a baseline that ran longer than RIN, or was cut short by the cap, would read as a schedule
    effect rather than a model effect."""
    parts = []
    for variant, system in diagnostics.SYSTEMS.items():
        g = cells[cells["variant"] == variant]
        if g.empty:
            continue
        sel = g["selected_epoch"].astype(int)
        epochs = f"{sel.min()}" if sel.min() == sel.max() else f"{sel.min()} to {sel.max()} (median {sel.median():g})"
        parts.append(f"{system} stopped early in {int(g['stopped_early'].astype(bool).sum())} of {len(g)} runs and "
                     f"was selected at epoch {epochs}")
    if not parts:
        return ""
    cap = "/".join(str(int(e)) for e in sorted(cells["max_epochs"].dropna().unique()))
    return (f"Schedule ({cap}-epoch cap, early stop after {patience(cells)} epochs without a dev gain, "
            f"{scope}): " + "; ".join(parts) + ".")


def patience(cells: pd.DataFrame) -> str:
    """The runs' early-stopping patience in epochs ("30", "20/30"), or "no" when none is recorded."""
    return "/".join(str(int(p)) for p in sorted(cells["patience"].dropna().unique())) or "no"


def brief(every: pd.DataFrame, errors: pd.DataFrame | None = None) -> str:
    """The sentences, one Markdown bullet each, from ``rinlib.runs.collect(vectors=None)``: the gain per setting, what
    coverage, selecting on test and the pair threshold do to it, where the exact gap sits, and how
    the runs ended; with ``errors`` (:func:`rinlib.reporting.analysis.error_scores` of the
    default runs, which needs their test predictions), which errors the interaction layers remove.
    Empty when no Table 1 run of WebNLG has finished."""
    cells = diagnostics.table1_runs(every)
    if cells.empty:
        return ""
    scores = word_vectors.vector_scores(cells)
    gains = word_vectors.vector_gains(scores)
    sentences = [gain_sentence(gains), coverage_sentence(gains),
                 selection_sentence(selection.curve_rows(cells)),
                 threshold_sentence(pair_threshold.operating_rows(cells)), exact_sentence(scores),
                 errors_sentence(error_kinds.error_gains(errors)) if errors is not None else "",
                 schedule_sentence(cells)]
    return "\n".join(f"- {x}" for x in sentences if x)

