"""Everything that turns finished runs into what a reader sees: tables, figures, the report.

The package reads runs (``rinlib.runs.collect``, run directories' predictions) and never trains;
a notebook that may train calls the sweep (``rinlib.runs.run``) itself, before it reports.

Modules, in the order a reader meets them:

* ``tables``: the one table writer (``out_dir``, ``save_table``, ``markdown``, ``styled``);
* ``figures``: the one figure writer (``new_figure``, ``save_figure``) and inline PNGs in notebooks;
* ``paper_results``: the paper's Tables 1, 2, 5 and Figure 3 beside the paper's values;
* ``curves``: one run's scores and training curves (live while a notebook trains);
* ``analysis``: error analysis and the case study from runs' test predictions;
* ``diagnostics``: word vectors and the gain, selecting on test, Figure 3's paired tests;
* ``gap``: those diagnostics' answer in one paragraph, for the report and the README;
* ``explorer_view``: the interaction explorer's figures and widgets (:mod:`rinlib.explorer`);
* ``report``: ``results/REPORT.md`` (``python -m rinlib report``).
"""
