"""Entity or relation errors: the strict errors of RIN and RIN w/o interaction split into the
four kinds of :func:`rinlib.metrics.error_breakdown`, and the difference per kind.
"""

from __future__ import annotations

import pandas as pd

from rinlib.reporting.diagnostics import SYSTEMS
from rinlib.reporting.stats import difference_se, mean_std
from rinlib.reporting.tables import signed


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
            (ma, sa, na), (mb, sb, nb) = mean_std(a[kind]), mean_std(b[kind])
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
