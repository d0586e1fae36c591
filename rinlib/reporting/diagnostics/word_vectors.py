"""Word vectors and the gain: strict test scores of Table 1's WebNLG cells per ``vectors``
setting, the interaction gain under each, and recall split by whether full GloVe covers a
triple's anchor words (the one thing complete vectors can change).
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pandas as pd

from rinlib import paper
from rinlib.config import DEFAULT_VECTORS, TASKS, VECTORS
from rinlib.data.embeddings import COVERAGE_GROUPS
from rinlib.experiments import experiment_configs
from rinlib.reporting import paper_results
from rinlib.reporting.diagnostics import SYSTEMS
from rinlib.reporting.figures import Figure, caption_under, new_figure
from rinlib.reporting.stats import difference_se, mean_std, two_se
from rinlib.reporting.tables import fmt, signed
from rinlib.runs import progress

COMPLETE, CUT = VECTORS[1:]
"""The coverage contrast (:data:`rinlib.config.VECTORS`): the same 50-d vectors, all words vs the 2,716."""


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
                    mean, std, _ = mean_std(100 * g[f"test_strict_{col}"]) if len(g) else (np.nan, np.nan, 0)
                    row[m], row[f"{m}_std"] = mean, std
                rows.append(row)
    return pd.DataFrame(rows)


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
            for a, b, what in ((COMPLETE, CUT, "coverage alone (complete vs cut 50-d)"),
                               (COMPLETE, DEFAULT_VECTORS, "complete 50-d vs the default partial 100-d")):
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
        m, sd, n = mean_std(g["R"])
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
                a, b = (COMPLETE, task, system), (CUT, task, system)
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
    caption_under(fig, caption)
    return fig


def pending(results_root: Path, settings: Sequence[str] = VECTORS[1:]) -> list[str]:
    """Unfinished runs of the non-default settings (Table 1's cells, full profile, with other
    vectors: ``tools/grids/word_vectors.yaml``), as ``run (state, n epochs recorded)`` lines, so
    the report says what is still training. States are the sweep's own (:mod:`rinlib.runs.progress`)."""
    configs = [cfg for vec in settings for cfg in experiment_configs("table1", "full", vectors=vec)]
    waiting = progress.started(progress.runs_progress(configs, results_root))
    return [f"{r['run']} ({r['state']}, {r['epochs done']} epochs recorded)" for _, r in waiting.iterrows()]
