"""The generated gap summary on hand-made runs (numbers by hand), and the README block it fills:
only the block changes, a second write changes nothing, a file without markers is refused."""

from __future__ import annotations

import pandas as pd
import pytest

from rinlib import paper
from rinlib.metrics import THRESHOLDS
from rinlib.reporting import diagnostics, gap, readme
from rinlib.reporting.diagnostics import error_kinds, selection, word_vectors
from test_diagnostics import _operating, _row


_SCHEDULE = {"max_epochs": 3, "patience": 30, "stopped_early": False}  # the hand-made runs' schedule columns


def _curve(run_dir, paper):
    """A sealed test curve of len(paper) epochs in ``run_dir``, paper-protocol F1 ``paper``."""
    pd.DataFrame({"epoch": range(1, len(paper) + 1), "test_P": 0.5, "test_R": 0.5, "test_F1": paper,
                  "test_F1_paper": paper}).to_csv(run_dir / selection.CURVE, index=False)


def _runs(tmp_path):
    """Two seeds of both systems, partial and exact, under glove50 and glove50-top2716, each run
    with a complete three-epoch test curve and operating points flat at its own F1 except RIN's at
    threshold 0.2 (1.0 lower)."""
    f1 = {("glove50", "rin"): (0.86, 0.88), ("glove50", "no_interaction"): (0.84, 0.84),
          ("glove50-top2716", "rin"): (0.85, 0.87), ("glove50-top2716", "no_interaction"): (0.83, 0.85)}
    rows = []
    for (vec, variant), fs in f1.items():
        for task in ("partial", "exact"):
            for seed, f in enumerate(fs, 1):
                d = tmp_path / vec / task / variant / f"seed{seed}"
                _operating(d, {t: f for t in THRESHOLDS} | {0.2: f - (0.01 if variant == "rin" else 0)}, 0.5, 90)
                # best test epoch (paper protocol) 1.0 above the dev-selected 3rd epoch for RIN, 0.5 for w/o
                _curve(d, [f - 0.02, f + (0.01 if variant == "rin" else 0.005), f])
                rows.append(_row(vec, task, variant, seed, f, run_dir=d, paper_f1=f, epochs_run=3, selected=3) | _SCHEDULE)
    runs = pd.DataFrame(rows)
    rin = runs["variant"] == "rin"  # RIN's seed-1 runs stop early at epoch 3 after selecting epoch 1
    runs.loc[rin & (runs["seed"] == 1), ["stopped_early", "selected_epoch"]] = [True, 1]
    return runs


def test_brief_numbers_by_hand(tmp_path):
    text = gap.brief(_runs(tmp_path))
    # glove50: RIN 87.0 (std 1.41), w/o 84.0 (std 0): gain +3.0 ± 1.0; top2716: 86.0 vs 84.0 (both std 1.41): +2.0 ± 1.4
    assert "+3.0 ± 1.0 / +3.0 ± 1.0 with `glove50` (seeds RIN+w/o: 2+2 / 2+2)" in text
    assert "+2.0 ± 1.4 / +2.0 ± 1.4 with `glove50-top2716`" in text and "paper +1.7 / +2.8" in text
    assert "`glove100-top2716`" not in text  # a setting without runs is not named
    # coverage: 3.0 - 2.0 = +1.0, se = hypot(1.0, 1.41) = 1.7: within
    assert "changes the gain by +1.0 ± 1.7 (within two standard errors) / +1.0 ± 1.7 (within" in text
    assert "8 cells with complete sealed curves" in text
    assert "RIN by 1.0 to 1.0; RIN w/o interaction by 0.5 to 0.5 F1" in text
    # only RIN's F1 at 0.2 differs from the run's own (1.0 lower); every run's dev F1 peaks at 0.5
    assert "the gain moves at most 1.0 F1 from its value at 0.5, and at each run's dev-tuned threshold at most 0.0 " \
           "(4 cells with operating points)" in text
    rin, base = (paper.TABLE1[("webnlg", "exact", m)]["F1"].mean for m in ("rin", "no_interaction"))
    assert ("Schedule (3-epoch cap, early stop after 30 epochs without a dev gain, every setting and task): RIN "
            "stopped early in 4 of 8 runs and was selected at epoch 1 to 3 (median 2); RIN w/o interaction stopped "
            "early in 0 of 8 runs and was selected at epoch 3.") in text
    assert (f"over the 2 vectors settings, the kit's RIN is {86 - rin:.1f} to {87 - rin:.1f} above the paper's and "
            f"its RIN w/o interaction is {84 - base:.1f} to {84 - base:.1f} above the paper's.") in text


def test_selecting_on_test_counts_table1_cells_only(tmp_path):
    """A Figure 3 run (RIN at another K) with a sealed curve does not enter the Table 1 cells' inflation."""
    runs = _runs(tmp_path)
    d = tmp_path / "figure3" / "partial" / "rin" / "K5"
    d.mkdir(parents=True)
    _curve(d, [0.80, 0.90, 0.85])  # best test epoch 5.0 above the dev-selected 3rd: would widen RIN's span
    k5 = _row("glove50", "partial", "rin", 1, 0.85, run_dir=d, paper_f1=0.85, epochs_run=3, selected=3)
    runs = pd.concat([runs, pd.DataFrame([k5 | {"K": 5} | _SCHEDULE])], ignore_index=True)
    text = gap.brief(runs)
    assert "8 cells with complete sealed curves" in text
    assert "RIN by 1.0 to 1.0; RIN w/o interaction by 0.5 to 0.5 F1" in text


def test_brief_is_empty_without_table1_runs():
    assert gap.brief(pd.DataFrame()) == ""


def test_a_report_without_full_runs_leaves_the_readme_block_alone(tmp_path):
    """No finished full runs, no sentences: the README keeps its block, and the caller is told."""
    from rinlib.reporting.report import write_report

    page = tmp_path / "README.md"
    before = "".join(f"<!-- begin generated: {b} -->\nnumbers\n<!-- end generated: {b} -->\n"
                     for b in (readme.GAIN, readme.GRID))
    page.write_text(before)
    path, refreshed = write_report("full", tmp_path / "results", readme_path=page)
    assert path.is_file() and refreshed == [] and page.read_text() == before


def test_replace_block_changes_only_the_block_and_only_once(tmp_path):
    page = tmp_path / "README.md"
    begin, end = "<!-- begin generated: g -->", "<!-- end generated: g -->"
    page.write_text(f"# Title\n\nhand text\n{begin}\nold numbers\n{end}\nmore hand text\n")
    assert readme.replace_block(page, "g", "new numbers\n")
    assert page.read_text() == f"# Title\n\nhand text\n{begin}\nnew numbers\n{end}\nmore hand text\n"
    assert readme.block(page, "g") == "new numbers\n"
    assert not readme.replace_block(page, "g", "new numbers")  # same text: the file is left alone
    with pytest.raises(readme.MarkerError, match="README.md: no block .*'other'"):
        readme.replace_block(page, "other", "x")


def test_the_readmes_gain_numbers_are_those_of_the_committed_runs():
    """The README's block states the gains the finished runs give now: a run committed without
    `python -m rinlib report --profile full` afterwards fails here, not silently in the README."""
    from rinlib.runs import collect

    scores = word_vectors.vector_scores(diagnostics.table1_runs(collect(vectors=None)))
    assert gap.gain_sentence(word_vectors.vector_gains(scores)) in readme.block(readme.README, readme.GAIN)


def test_the_readmes_grid_block_is_the_committed_runs_progress():
    """The same for the grid's progress: finished runs and seeds per cell, as the committed runs say."""
    from rinlib.experiments import EXPERIMENTS
    from rinlib.reporting.report import grid_brief
    from rinlib.runs import progress

    expected = grid_brief(progress.summary(progress.grid_progress(EXPERIMENTS, "full")))
    assert expected and readme.block(readme.README, readme.GRID) == expected + "\n"


def test_grid_brief_by_hand():
    from rinlib.reporting.report import grid_brief

    summary = pd.DataFrame([{"experiment": "table1", "runs": 20, "finished": 20, "seeds in every cell": 5,
                             "cells by seeds": "4 at 5"},
                            {"experiment": "figure3", "runs": 90, "finished": 38, "seeds in every cell": 1,
                             "cells by seeds": "4 at 5, 4 at 2, 10 at 1"}])
    assert grid_brief(summary).split("\n") == [
        "- `table1`: 20 of 20 runs finished; every cell has 5 of 5 seeds.",
        "- `figure3`: 38 of 90 runs finished; every cell has 1 of 5 seeds (cells by seeds: 4 at 5, 4 at 2, "
        "10 at 1).",
        "- Not finished: 52 run entries (a run serving two experiments counts in each); "
        "`python -m rinlib status --profile full` lists them."]
    assert grid_brief(summary.iloc[:1]).count("\n") == 0 and grid_brief(summary.iloc[0:0]) == ""


def test_error_gains_and_their_sentence_by_hand():
    def run(task, system, seed, fn_entity, fn_relation):
        return {"dataset": "webnlg", "task": task, "system": system, "seed": seed, "fn_entity": fn_entity,
                "fn_relation": fn_relation, "fp_entity": 10, "fp_relation": 5}

    errors = pd.DataFrame([run("exact", "RIN", 1, 320, 90), run("exact", "RIN", 2, 322, 94),
                           run("exact", "RIN w/o interaction", 1, 321, 104), run("exact", "RIN w/o interaction", 2, 321, 102),
                           run("partial", "RIN", 1, 100, 50)])  # partial has no w/o interaction run: left out
    gains = error_kinds.error_gains(errors).set_index("error")
    assert list(gains["task"].unique()) == ["exact"]
    missed_rel = gains.loc[error_kinds.ERROR_KINDS["fn_relation"]]
    # RIN 92 (std 2.83), w/o 103 (std 1.41): -11.0, se = sqrt(8/2 + 2/2) = 2.24
    assert (missed_rel["RIN"], missed_rel["RIN w/o interaction"]) == (92.0, 103.0)
    assert missed_rel["difference"] == pytest.approx(-11.0) and missed_rel["difference_se"] == pytest.approx(5 ** 0.5)
    table = error_kinds.error_table(error_kinds.error_gains(errors)).set_index("error")
    assert table.loc[error_kinds.ERROR_KINDS["fn_entity"], "RIN − w/o"] == "+0.0 ± 1.0"
    text = gap.errors_sentence(error_kinds.error_gains(errors))
    assert "missed, both entities decoded — / -11.0 ± 2.2" in text and "missed, an entity not decoded — / +0.0 ± 1.0" in text
    assert gap.errors_sentence(error_kinds.error_gains(errors.iloc[:0])) == ""
