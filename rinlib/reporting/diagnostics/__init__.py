"""Checks of why the kit's interaction gain is smaller than the paper's, from finished
full-schedule runs only. One module per question, each giving REPORT.md one section:

- :mod:`.word_vectors` ("Word vectors and the gain"): Table 1's WebNLG cells under each ``vectors``
  setting (:data:`rinlib.config.VECTORS`). ``glove50`` and ``glove50-top2716`` differ only in
  coverage, so their difference is what coverage is worth; ``glove50`` against the default runs
  says whether complete 50-d vectors beat partial 100-d ones.
- :mod:`.selection` ("Selecting on test"): the authors' ``train.py`` reports the best test epoch.
  Each run's sealed ``test_curve.csv`` gives that number beside the dev-selected one; their
  difference is the inflation selecting on test adds. The curve is read there and nowhere else.
- :mod:`.pair_threshold` ("The pair threshold"): the paper scores pairs at 0.5. If the gain, or the
  kit's lower recall, were an effect of where 0.5 falls on each model's precision-recall curve,
  it would move with the threshold, and a threshold tuned on dev would recover it.
- :mod:`.error_kinds` ("Entity or relation errors"): whether the interaction layers win by finding
  entities or by relating the entities both systems find.
- :mod:`.figure3` (Figure 3's sentence): whether any K is distinguishable from Table 3's K.

This module holds what they share: the two systems compared and the runs they read.
"""

from __future__ import annotations

import pandas as pd

from rinlib.config import VARIANT_LABELS
from rinlib.experiments import runs_behind


SYSTEMS = {v: VARIANT_LABELS[v] for v in ("rin", "no_interaction")}  # Table 1's two systems


def table1_runs(results: pd.DataFrame, dataset: str = "webnlg") -> pd.DataFrame:
    """The full-profile Table 1 runs of ``dataset`` (RIN at Table 3's K, w/o interaction at K = 0),
    every vectors setting; ``results`` is ``rinlib.runs.collect(vectors=None)``."""
    if results.empty:
        return results
    return runs_behind(results[results["profile"] == "full"], "table1", [dataset])

