"""Figure 3's sentence: whether any K is distinguishable from Table 3's K, by a t test paired
by seed, Holm-corrected over the K's tested.
"""

from __future__ import annotations

import pandas as pd

from rinlib.config import TASKS
from rinlib.experiments import is_figure3_point, table3_k
from rinlib.reporting.stats import holm, p_text, paired_by_seed
from rinlib.reporting.tables import signed


def figure3_verdict(results: pd.DataFrame, dataset: str = "webnlg", alpha: float = 0.05) -> list[str]:
    """Per task, whether any K is distinguishable from Table 3's K: a paired t test over the
    seeds both points share (strict test F1), full profile, with Holm's correction over the K's
    tested (the question is about any of them). A K with fewer than two shared seeds cannot be
    tested, and the sentence says so instead of guessing."""
    r = results[(results["profile"] == "full") & (results["dataset"] == dataset)] if not results.empty else results
    r = r[is_figure3_point(r)] if not r.empty else r
    lines = []
    for task in TASKS:
        chosen = table3_k(dataset, task)
        by_k = {int(k): g.set_index("seed")["test_strict_f1"] * 100 for k, g in r[r["task"] == task].groupby("K")}
        if chosen not in by_k:
            lines.append(f"- {task}: Table 3's K={chosen} has no finished full run yet.")
            continue
        tested, untestable = {}, []
        for k, f1 in sorted(by_k.items()):
            if k == chosen:
                continue
            d, p, n = paired_by_seed(f1, by_k[chosen])
            if n < 2:
                untestable.append(f"K={k} (n={n})")
                continue
            tested[k] = d, p, n
        adjusted = dict(zip(tested, holm([p for _, p, _ in tested.values()])))
        different = [f"K={k}" for k in tested if adjusted[k] < alpha]
        nominal = [f"K={k}" for k, (_, p, _) in tested.items() if p < alpha and adjusted[k] >= alpha]
        head = (f"- {task}, against Table 3's K={chosen} (paired by seed, strict test F1, two-sided t test at "
                f"{alpha}, Holm-corrected over the {len(tested)} K's tested): ")
        head += (f"distinguishable: {', '.join(different)}. " if different else
                 "no K is distinguishable. " if tested else "no K has two seeds shared with it yet. ")
        if nominal:
            head += f"Below {alpha} before the correction only: {', '.join(nominal)}. "
        if tested:
            head += "Tested: " + "; ".join(
                f"K={k}: {signed(d)} ({p_text(p)}, Holm {adjusted[k]:.2f}, n={n})" for k, (d, p, n) in tested.items()) + ". "
        if untestable:
            head += "Too few shared seeds to test: " + ", ".join(untestable) + "."
        lines.append(head.rstrip())
    return lines
