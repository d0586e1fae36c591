"""Figure 3's sentence: whether any K is distinguishable from Table 3's K, by a t test paired
by seed.
"""

from __future__ import annotations

import pandas as pd

from rinlib.config import TASKS
from rinlib.experiments import is_figure3_point, table3_k
from rinlib.reporting.stats import paired_t
from rinlib.reporting.tables import signed


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
