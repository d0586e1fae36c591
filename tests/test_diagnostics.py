"""The word-vector and selecting-on-test diagnostics on hand-made runs: numbers by hand, the
incomplete curve left out, and the verdict's two-standard-error rule."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from rinlib.reporting import diagnostics, stats
from rinlib.reporting.diagnostics import figure3, pair_threshold, selection, word_vectors


def _row(vectors, task, variant, seed, f1, run_dir="x", paper_f1=None, epochs_run=3, selected=2):
    K = {"partial": 2, "exact": 3}[task] if variant == "rin" else 0
    return {"profile": "full", "dataset": "webnlg", "vectors": vectors, "task": task, "variant": variant, "K": K,
            "seed": seed, "test_strict_precision": f1, "test_strict_recall": f1, "test_strict_f1": f1,
            "test_paper_f1": f1 if paper_f1 is None else paper_f1, "run_dir": str(run_dir),
            "epochs_run": epochs_run, "selected_epoch": selected}


def test_vector_scores_gains_and_verdict_by_hand():
    rows = [_row(v, "partial", var, s, f) for v, var, fs in
            (("glove50", "rin", (0.86, 0.88)), ("glove50", "no_interaction", (0.84, 0.84)),
             ("glove50-top2716", "rin", (0.85, 0.87)), ("glove50-top2716", "no_interaction", (0.80, 0.82)))
            for s, f in enumerate(fs, 1)]
    scores = word_vectors.vector_scores(diagnostics.table1_runs(pd.DataFrame(rows)))
    s = scores.set_index(["vectors", "task", "system"])
    assert s.loc[("glove50", "partial", "RIN"), "F1"] == pytest.approx(87.0)
    assert s.loc[("glove50", "partial", "RIN"), "F1_std"] == pytest.approx(np.std([86, 88], ddof=1))
    assert s.loc[("glove50", "exact", "RIN"), "n seeds"] == 0
    gains = word_vectors.vector_gains(scores).set_index(["vectors", "task"])
    assert gains.loc[("glove50", "partial"), "gain"] == pytest.approx(3.0)
    assert gains.loc[("glove50", "partial"), "gain_se"] == pytest.approx(np.sqrt(2 / 2 + 0 / 2))
    assert gains.loc[("glove50-top2716", "partial"), "gain"] == pytest.approx(5.0)
    lines = word_vectors.verdict(scores, word_vectors.vector_gains(scores))
    # RIN: 87.0 vs 86.0, se = sqrt(2/2 + 2/2) = 1.41: within two standard errors
    assert any("partial, RIN, coverage alone" in x and "+1.0 ± 1.4" in x and
               "not distinguishable at 2 seeds; 5 seeds settle it" in x for x in lines)
    # w/o interaction: 84.0 vs 81.0, se = 1.0: beyond
    assert any("RIN w/o interaction, coverage alone" in x and "+3.0 ± 1.0" in x and "beyond" in x for x in lines)
    assert any("exact, RIN, coverage alone" in x and "not measured yet" in x for x in lines)
    table = word_vectors.vectors_table(scores, word_vectors.vector_gains(scores))
    row = table.set_index(["vectors", "task", "system"]).loc[("glove50", "partial", "RIN")]
    assert row["F1"] == "87.0 ± 1.4" and row["gain"] == "+3.0 ± 1.0" and row["paper gain"] == "+1.7"


def test_recall_by_coverage_table_and_verdict_by_hand():
    from rinlib.data.embeddings import COVERAGE_GROUPS

    target, control = COVERAGE_GROUPS[1], COVERAGE_GROUPS[3]
    rec = pd.DataFrame([{"vectors": v, "task": "partial", "system": "RIN", "seed": seed, "anchor words": g,
                         "n_gold": n, "n_found": 0, "R": r}
                        for v, rs in (("glove50", {target: (80.0, 84.0), control: (70.0, 70.0)}),
                                      ("glove50-top2716", {target: (76.0, 76.0), control: (70.0, 72.0)}))
                        for g, n in ((target, 942), (control, 381)) for seed, r in enumerate(rs[g], 1)])
    rec = rec.iloc[::-1]  # rows come back in the kit's order of settings, whatever the runs' order
    scores = word_vectors.recall_scores(rec, word_vectors.COVERAGE_KEYS[:3])
    row = scores.set_index(word_vectors.COVERAGE_KEYS).loc[("glove50", "partial", "RIN", target)]
    assert (row["R"], row["n seeds"], row["n_gold"]) == (82.0, 2, 942)
    assert row["R_std"] == pytest.approx(np.std([80, 84], ddof=1))
    table = word_vectors.recall_table(scores, word_vectors.COVERAGE_KEYS[:3], word_vectors.COVERAGE_COLUMNS)
    assert list(table.columns) == ["vectors", "task", "system", "n seeds", f"{control} (n = 381)",
                                   f"{target} (n = 942)"]  # groups without triples left out
    assert list(table["vectors"]) == ["glove50", "glove50-top2716"]
    assert table.iloc[0][f"{target} (n = 942)"] == "82.0 ± 2.8" and table.iloc[1][f"{control} (n = 381)"] == "71.0 ± 1.4"
    lines = word_vectors.coverage_verdict(scores)
    # target: 82 - 76 = +6.0, se = sqrt(8/2 + 0) = 2.0: beyond; control: 70 - 71 = -1.0 ± 1.0: within
    assert any(x.startswith("- partial, RIN, complete vs cut 50-d") and "+6.0 ± 2.0 recall (beyond" in x
               and "control" in x and "-1.0 ± 1.0 recall (within" in x for x in lines)
    assert any(x.startswith("- exact, RIN:") and "not measured yet" in x for x in lines)
    assert word_vectors.coverage_verdict(word_vectors.recall_scores(rec.iloc[:0], word_vectors.COVERAGE_KEYS[:3])) == []


def _curve(path, epochs, paper):
    path.mkdir(parents=True)
    pd.DataFrame({"epoch": epochs, "test_P": 0.5, "test_R": 0.5, "test_F1": [p - 0.01 for p in paper],
                  "test_F1_paper": paper}).to_csv(path / selection.CURVE, index=False)


def test_selection_inflation_by_hand_and_incomplete_curves_left_out(tmp_path):
    _curve(tmp_path / "a", [1, 2, 3], [0.80, 0.86, 0.84])  # dev selected epoch 3 (0.84); best test 0.86
    _curve(tmp_path / "b", [1, 2, 3], [0.82, 0.83, 0.85])  # dev selected the best: inflation 0
    _curve(tmp_path / "c", [2, 3], [0.90, 0.91])  # resumed from before curves existed: incomplete
    results = pd.DataFrame([_row("glove50", "partial", "rin", 1, 0.84, tmp_path / "a", 0.84),
                            _row("glove50", "partial", "rin", 2, 0.85, tmp_path / "b", 0.85),
                            _row("glove50", "partial", "rin", 3, 0.85, tmp_path / "c", 0.85),
                            _row("glove50", "exact", "rin", 1, 0.7, tmp_path / "none")])
    rows = selection.curve_rows(results)
    assert len(rows) == 3 and rows["complete"].tolist() == [True, True, False]
    assert rows.loc[0, "best test epoch"] == 2
    table = selection.selection_table(rows)
    assert len(table) == 1 and table.loc[0, "n seeds"] == 2
    assert table.loc[0, "inflation (paper protocol)"] == f"1.0 ± {np.std([2.0, 0.0], ddof=1):.1f}"
    assert table.loc[0, "authors' procedure (best test epoch, paper protocol)"] == "85.5 ± 0.7"
    assert selection.selection_figure(rows).axes


def test_paired_t_matches_known_values():
    # differences 1, 2, 3: mean 2, sd 1, t = 2 / (1 / sqrt 3) = 3.4641, df 2 → p = 0.0742 (two-sided)
    diff, p, n = stats.paired_t([2, 4, 6], [1, 2, 3])
    assert (diff, n) == (2.0, 3) and p == pytest.approx(0.07418, abs=1e-4)
    # df 4, t = 2.776 is the 0.05 critical value
    d = np.array([1.0, 2.0, 3.0, 4.0, 5.0])
    t_crit = 2.7764451
    shift = t_crit * d.std(ddof=1) / np.sqrt(5) - d.mean()
    assert stats.paired_t(d + shift, np.zeros(5))[1] == pytest.approx(0.05, abs=1e-5)
    with pytest.raises(ValueError):
        stats.paired_t([1.0], [0.0])
    # by seed: only the shared seeds 2, 3, 4 pair up (differences 1, 2, 3 as above), in seed order
    a, b = pd.Series({4: 6.0, 2: 2.0, 3: 4.0, 9: 50.0}), pd.Series({1: 0.0, 2: 1.0, 3: 2.0, 4: 3.0})
    assert stats.paired_by_seed(a, b)[::2] == (2.0, 3) and stats.paired_by_seed(a, b)[1] == pytest.approx(0.07418, abs=1e-4)
    d, p, n = stats.paired_by_seed(a, pd.Series({2: 1.0, 7: 0.0}))  # one shared seed: no test, no exception
    assert n == 1 and np.isnan(d) and np.isnan(p)
    assert [stats.p_text(x) for x in (0.034, 0.0042, 0.0004, float("nan"))] == \
        ["p=0.03", "p=0.004", "p<0.001", "p undefined"]


def test_figure3_verdict_tests_only_ks_with_shared_seeds():
    rows = [_row("glove100-top2716", "partial", "rin", s, f) | {"K": 2} for s, f in ((1, .85), (2, .86), (3, .84))]
    rows += [_row("glove100-top2716", "partial", "rin", s, f) | {"K": 5} for s, f in ((1, .80), (2, .80), (3, .80))]
    rows += [_row("glove100-top2716", "partial", "rin", 1, .9) | {"K": 7}]
    lines = figure3.figure3_verdict(pd.DataFrame(rows))
    partial = next(x for x in lines if x.startswith("- partial"))
    assert "distinguishable: K=5" in partial and "K=5: -5.0" in partial and "K=7 (n=1)" in partial
    assert any(x.startswith("- exact") and "no finished full run" in x for x in lines)


def test_holm_adjusts_by_hand():
    # sorted 0.005, 0.01, 0.03, 0.04 → ×4, ×3, ×2, ×1 = 0.02, 0.03, 0.06, 0.04 → monotone: 0.06 stays
    assert stats.holm([0.01, 0.04, 0.03, 0.005]) == pytest.approx([0.03, 0.06, 0.06, 0.02])
    assert stats.holm([0.5, float("nan")]) == [1.0, 1.0] and stats.holm([]) == []


def test_figure3_verdict_corrects_for_testing_every_k():
    """K=5 alone would pass at 0.05 (p = 0.043); tested beside two other K's it does not."""
    base = {1: .850, 2: .860, 3: .840}
    rows = [_row("glove100-top2716", "partial", "rin", s, f) | {"K": 2} for s, f in base.items()]
    # differences -1, -2, -1.2 points: mean -1.4, sd 0.53, t = -4.58 with 2 df → p ≈ 0.045
    rows += [_row("glove100-top2716", "partial", "rin", s, base[s] + d) | {"K": 5}
             for s, d in ((1, -.010), (2, -.020), (3, -.012))]
    rows += [_row("glove100-top2716", "partial", "rin", s, base[s] + d) | {"K": k}
             for k in (6, 7) for s, d in ((1, .01), (2, -.01), (3, .002))]
    partial = next(x for x in figure3.figure3_verdict(pd.DataFrame(rows)) if x.startswith("- partial"))
    assert "Holm-corrected over the 3 K's tested" in partial and "no K is distinguishable" in partial
    assert "Below 0.05 before the correction only: K=5" in partial
    p5 = stats.paired_t([base[s] * 100 + d for s, d in ((1, -1.0), (2, -2.0), (3, -1.2))], [v * 100 for v in base.values()])[1]
    assert p5 < 0.05 and f"(p={p5:.2f}, Holm {min(1.0, 3 * p5):.2f}, n=3)" in partial


def test_curve_figure_marks_the_dev_selected_and_the_best_test_epoch(tmp_path):
    import json

    _curve(tmp_path / "run", [1, 2, 3], [0.80, 0.86, 0.84])
    pd.DataFrame({"epoch": [1, 2, 3], "dev_F1": [0.7, 0.75, 0.8]}).to_csv(tmp_path / "run" / "history.csv", index=False)
    (tmp_path / "run" / "metrics.json").write_text(json.dumps({"selected_epoch": 3}))
    fig = selection.curve_figure(tmp_path / "run")
    labels = fig.axes[0].get_legend_handles_labels()[1]
    assert "dev-selected epoch 3" in labels and "best test epoch 2 (the authors' pick)" in labels
    assert [list(line.get_ydata()) for line in fig.axes[0].lines[:1]] == [[70.0, 75.0, 80.0]]


def test_gain_under_each_reading_by_hand(tmp_path):
    curves = {"r1": [0.80, 0.86, 0.84], "r2": [0.82, 0.85, 0.87], "b1": [0.80, 0.82, 0.81], "b2": [0.80, 0.83, 0.82]}
    for name, paper in curves.items():  # test_F1 = paper - 0.01; three epochs, all within the last 30
        _curve(tmp_path / name, [1, 2, 3], paper)
    results = pd.DataFrame([_row("glove50", "partial", "rin", 1, 0.83, tmp_path / "r1", 0.84, selected=3),
                            _row("glove50", "partial", "rin", 2, 0.85, tmp_path / "r2", 0.86, selected=3),
                            _row("glove50", "partial", "no_interaction", 1, 0.81, tmp_path / "b1", 0.82, selected=2),
                            _row("glove50", "partial", "no_interaction", 2, 0.81, tmp_path / "b2", 0.82, selected=2),
                            _row("glove50-top2716", "partial", "rin", 1, 0.84, tmp_path / "r1", 0.84)])
    rows = selection.curve_rows(results)
    assert rows.loc[0, "last epochs strict F1"] == pytest.approx(100 * (np.mean(curves["r1"]) - 0.01))
    gains = selection.selection_gains(rows)
    assert list(gains["vectors"]) == ["glove50"]  # glove50-top2716 has no w/o interaction run
    g = gains.iloc[0]
    assert g["dev-selected (strict)"] == "+3.0 ± 1.0"  # 84.0 - 81.0; se = sqrt(2/2 + 0)
    assert g["authors' procedure (best test epoch, paper protocol)"] == "+4.0 ± 0.7"  # 86.5 - 82.5
    last = 100 * (np.mean(curves["r1"] + curves["r2"]) - np.mean(curves["b1"] + curves["b2"]))
    assert g[f"mean of the last {selection.LAST_EPOCHS} epochs (strict)"].startswith(f"+{last:.1f} ± ")
    assert g["paper gain"] == "+1.7" and g["n seeds (RIN / w/o)"] == "2 / 2"


def _operating(path, test_f1, dev_best, recall_at_zero):
    """A run's operating_points.csv: test F1 per threshold (dict, else 0.8), dev F1 peaking at
    ``dev_best``, precision 70 + 20·t and recall ``recall_at_zero`` − 20·t (percent)."""
    from rinlib.metrics import OPERATING_POINTS, THRESHOLDS

    path.mkdir(parents=True)
    rows = [{"split": "dev", "threshold": t, "precision": 0.5, "recall": 0.5, "f1": 0.9 if t == dev_best else 0.6}
            for t in THRESHOLDS]
    rows += [{"split": "test", "threshold": t, "precision": (70 + 20 * t) / 100,
              "recall": (recall_at_zero - 20 * t) / 100, "f1": test_f1.get(t, 0.8)} for t in THRESHOLDS]
    pd.DataFrame(rows).to_csv(path / OPERATING_POINTS, index=False)


def test_operating_points_table_gains_and_verdict_by_hand(tmp_path):
    runs = []
    for variant, seed, f1, best, r0 in (("rin", 1, {0.9: 0.70, 0.6: 0.81}, 0.3, 90),
                                        ("rin", 2, {0.9: 0.70, 0.6: 0.85}, 0.6, 90),
                                        ("no_interaction", 1, {0.1: 0.70}, 0.5, 85),
                                        ("no_interaction", 2, {0.1: 0.70}, 0.5, 85)):
        base = 0.80 + 0.01 * seed if variant == "rin" else 0.78 + 0.01 * seed
        d = tmp_path / variant / f"seed{seed}"
        _operating(d, {t: f1.get(t, base) for t in (0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9)}, best, r0)
        runs.append(_row("glove50", "partial", variant, seed, 0.8, run_dir=d))
    runs.append(_row("glove50", "exact", "rin", 1, 0.8, run_dir=tmp_path / "no-file"))  # left out: no file
    rows = pair_threshold.operating_rows(diagnostics.table1_runs(pd.DataFrame(runs)))
    assert len(rows) == 4 * 9 and set(rows["task"]) == {"partial"}

    table = pair_threshold.operating_table(rows).set_index("system")
    assert table.loc["RIN", "F1 at 0.5"] == "81.5 ± 0.7" and table.loc["RIN", "F1 at 0.9"] == "70.0 ± 0.0"
    assert table.loc["RIN", "F1 dev-tuned threshold"] == "83.0 ± 2.8"  # seed 1 at 0.3 (81), seed 2 at 0.6 (85)
    assert table.loc["RIN", "dev-tuned thresholds"] == "0.3, 0.6"
    assert table.loc["RIN w/o interaction", "F1 at 0.1"] == "70.0 ± 0.0"

    gains = pair_threshold.operating_gains(rows).iloc[0]
    assert gains["gain at 0.5"] == "+2.0 ± 0.7" and gains["gain at 0.1"] == "+11.5 ± 0.5"
    assert gains["gain at 0.9"] == "-9.5 ± 0.5" and gains["gain dev-tuned threshold"] == "+3.5 ± 2.1"
    assert gains["paper gain (at 0.5)"] == "+1.7" and gains["n seeds (RIN / w/o)"] == "2 / 2"

    (line,) = pair_threshold.operating_verdict(rows)
    assert "glove50, partial: over thresholds 0.2 to 0.8" in line
    assert "RIN 81.5 to 83.0; RIN w/o interaction 79.5 to 79.5" in line and "gain spans +2.0 to +3.5" in line
    # the paper's RIN recall 87.0 lies between t = 0.1 (R 88, P 72) and t = 0.2 (R 86, P 74): P 73.0
    assert "RIN at the paper's recall 87.0: precision 73.0 (paper 87.6)" in line
    assert "RIN w/o interaction never reaches the paper's recall 86.3 (at most 83.0, at threshold 0.1, " \
           "precision 72.0; paper precision 84.9)" in line
    assert pair_threshold.operating_figure(rows).axes  # draws without error
