"""Statistics over seeds, shared by every diagnostic: mean ± std, the standard error of a
difference of independent means, the kit's one rule for "distinguishable from seed noise", and a
paired t test (its p-value computed here, so the kit needs no SciPy).
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np
import pandas as pd


def mean_std(v: pd.Series) -> tuple[float, float, int]:
    v = v.astype(float).dropna()
    return float(v.mean()), float(v.std(ddof=1)) if len(v) > 1 else float("nan"), len(v)


def difference_se(std_a: float, n_a: int, std_b: float, n_b: int) -> float:
    """Standard error of a difference of two means over independent seeds,
    sqrt(s_a²/n_a + s_b²/n_b); NaN unless both sides have 2+ seeds."""
    return float(np.sqrt(std_a ** 2 / n_a + std_b ** 2 / n_b)) if min(n_a, n_b) > 1 else float("nan")


def two_se(d: float, se: float) -> str:
    """The verdict on a difference of independent means: beyond or within two standard errors
    (the kit's one rule for "distinguishable from seed noise")."""
    if np.isnan(se):
        return "too few seeds to tell"
    return "beyond two standard errors" if abs(d) > 2 * se else "within two standard errors"


def betainc(a: float, b: float, x: float) -> float:
    """Regularised incomplete beta I_x(a, b) by its continued fraction (Lentz), for the t test's
    p-value without a SciPy dependency."""
    if x <= 0.0 or x >= 1.0:
        return 0.0 if x <= 0.0 else 1.0
    if x > (a + 1) / (a + b + 2):
        return 1.0 - betainc(b, a, 1.0 - x)
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
    return float(d.mean()), betainc(nu / 2, 0.5, nu / (nu + t * t)), n


def p_text(p: float) -> str:
    """A p-value for a sentence or a table cell: ``p=0.03``, ``p=0.004``, ``p<0.001``, or
    ``p undefined`` (NaN: every paired difference the same)."""
    if np.isnan(p):
        return "p undefined"
    return f"p={p:.2f}" if p >= 0.01 else f"p={p:.1g}" if p >= 0.001 else "p<0.001"


def paired_by_seed(a: pd.Series, b: pd.Series) -> tuple[float, float, int]:
    """:func:`paired_t` over the seeds (the index) both series share: (mean difference, p, n).
    Fewer than two shared seeds give (NaN, NaN, n). Why pair: two runs with one seed see the same
    batches in the same order (``rinlib.batching``), so the difference per seed drops that part
    of the seed noise, which the unpaired standard error of :func:`difference_se` still carries."""
    seeds = sorted(set(a.index) & set(b.index))
    if len(seeds) < 2:
        return float("nan"), float("nan"), len(seeds)
    return paired_t(a[seeds], b[seeds])


def holm(pvalues: Sequence[float]) -> list[float]:
    """Holm's step-down adjusted p-values, in the order given. Why: Figure 3's sentence asks
    whether *any* of up to eight K's differs from Table 3's K; eight tests at 0.05 would call one
    "distinguishable" a third of the time by chance alone. Holm keeps that family-wise error at
    the stated level and is never less powerful than Bonferroni. NaN counts as 1."""
    p = np.nan_to_num(np.asarray(pvalues, dtype=float), nan=1.0)
    m = len(p)
    order = np.argsort(p, kind="stable")
    adjusted = np.empty(m)
    running = 0.0
    for rank, i in enumerate(order):
        running = max(running, min(1.0, (m - rank) * p[i]))
        adjusted[i] = running
    return adjusted.tolist()
