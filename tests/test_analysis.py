"""Error analysis and case study (rinlib.analysis) on tiny runs trained on the fixture:
alignment by sid, category/relation/error tables against the runs' own metrics, seed summaries,
the pooled paired bootstrap, case selection and rendering, the paper's case sentences."""

from __future__ import annotations

import json
import shutil
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))

from _tiny import sentences, tiny_config, tiny_prepared  # noqa: E402

from rinlib.reporting import analysis, figures, tables  # noqa: E402
from rinlib.metrics import paired_bootstrap  # noqa: E402
from rinlib.config import RunConfig  # noqa: E402
from rinlib.records import Sentence, Triple  # noqa: E402
from rinlib.training import train  # noqa: E402

REPO = Path(__file__).resolve().parents[1]


def _gold(cfg):
    return sentences("test")


@pytest.fixture(scope="session")
def run_dirs(tmp_path_factory) -> list[Path]:
    """RIN and RIN w/o interaction, seeds 1 and 2, one epoch each on the tiny fixture (seconds)."""
    root = tmp_path_factory.mktemp("analysis_runs")
    dirs = []
    prepared = tiny_prepared(tiny_config(), train_on_dev=True)  # vocab/vectors shared: only seeds differ
    for variant in ("rin", "no_interaction"):
        for seed in (1, 2):
            cfg = tiny_config(variant=variant, seed=seed, epochs=1, lr=1e-3)
            out = root / variant / f"seed{seed}"
            train(cfg, out, prepared=prepared)
            dirs.append(out)
    return dirs


@pytest.fixture(scope="session")
def runs(run_dirs):
    return analysis.load_runs(run_dirs, gold=_gold)


def test_alignment_is_by_sid_not_by_line(run_dirs, tmp_path):
    src = run_dirs[0]
    shuffled = tmp_path / "run"
    shutil.copytree(src, shuffled)
    lines = (src / "predictions_test.jsonl").read_text().splitlines()
    (shuffled / "predictions_test.jsonl").write_text("\n".join(reversed(lines)) + "\n")
    a, b = analysis.load_run(src, _gold(None)), analysis.load_run(shuffled, _gold(None))
    assert [s.sid for s in b.sentences] == [s.sid for s in a.sentences][::-1]
    pd_a = analysis.category_scores([a]).drop(columns="seed")
    pd_b = analysis.category_scores([b]).drop(columns="seed")
    assert pd_a.equals(pd_b)


def test_alignment_errors_name_the_file_and_sid(run_dirs):
    with pytest.raises(ValueError, match="webnlg/test/0.*not in the gold"):
        analysis.load_run(run_dirs[0], sentences("test")[1:])
    with pytest.raises(ValueError, match="10 predicted sentences but 11 gold"):
        extra = Sentence("webnlg/test/x", ["a"], [])
        analysis.load_run(run_dirs[0], sentences("test") + [extra])
    with pytest.raises(FileNotFoundError, match="not a finished run"):
        analysis.load_run(run_dirs[0].parent)


def test_category_scores_add_up_to_the_runs_metrics(runs):
    df = analysis.category_scores(runs)
    assert set(df["category"]) == {"Normal", "EPO", "SEO", "1", "2", "3", "4", ">=5"}
    for r in runs:
        part = df[(df["system"] == r.system) & (df["seed"] == r.seed) & df["category"].isin(["1", "2", "3", "4", ">=5"])]
        test = r.metrics["test"]["strict"]
        assert part["n_gold"].sum() == test["n_gold"] and part["n_correct"].sum() == test["n_correct"]
    assert df["F1"].between(0, 100).all()


def test_protocol_gaps_and_recall_groups_agree_with_the_runs_metrics(runs):
    gaps = analysis.protocol_gaps(runs)
    for r, (_, row) in zip(runs, gaps.iterrows()):
        test = r.metrics["test"]
        assert (row["strict_pred"], row["strict_correct"]) == (test["strict"]["n_pred"], test["strict"]["n_correct"])
        assert (row["paper_pred"], row["paper_correct"]) == (test["paper"]["n_pred"], test["paper"]["n_correct"])
        assert row["strict F1"] == pytest.approx(100 * test["strict"]["f1"])
    rec = analysis.recall_by_vectors(runs)
    assert len(rec) == 4 * len(runs)  # every status group, also empty ones
    for r in runs:
        part = rec[(rec["system"] == r.system) & (rec["seed"] == r.seed)]
        test = r.metrics["test"]["strict"]
        assert part["n_gold"].sum() == test["n_gold"] and part["n_found"].sum() == test["n_correct"]
    assert rec["R"].dropna().between(0, 100).all()
    cov = analysis.recall_by_coverage(runs)
    assert len(cov) == 4 * len(runs) and set(cov["vectors"]) == {"glove100-top2716"}
    for r in runs:
        part = cov[(cov["system"] == r.system) & (cov["seed"] == r.seed)]
        test = r.metrics["test"]["strict"]
        assert part["n_gold"].sum() == test["n_gold"] and part["n_found"].sum() == test["n_correct"]


def test_summary_is_mean_and_std_over_seeds(runs):
    df = analysis.category_scores(runs)
    s = analysis.summarize(df, ["dataset", "task", "system", "category"])
    row = s.loc[("webnlg", "exact", "RIN", "1")]
    seeds = df[(df["system"] == "RIN") & (df["category"] == "1")]["F1"]
    assert row["F1"] == pytest.approx(seeds.mean()) and row["F1_std"] == pytest.approx(seeds.std(ddof=1))
    assert row["n_seeds"] == 2


def test_relation_and_error_tables(runs):
    rel = analysis.relation_scores(runs, top=3)
    assert rel.groupby(["system", "seed"])["relation"].nunique().max() <= 3
    err = analysis.error_scores(runs)
    assert (err["fp_entity"] + err["fp_relation"] == err["fp_total"]).all()
    assert (err["fn_entity"] + err["fn_relation"] == err["fn_total"]).all()
    for r, (_, row) in zip(runs, err.iterrows()):
        assert row["fn_total"] == r.metrics["test"]["strict"]["n_gold"] - r.metrics["test"]["strict"]["n_correct"]


def test_pooled_bootstrap_resamples_sentences_with_all_seeds(runs):
    sig = analysis.significance(runs, n=200, seed=3)
    assert list(sig["pairing"]) == ["pooled by sentence", "seed 1", "seed 2"]
    pooled = sig.iloc[0]
    rin = [r for r in runs if r.config.variant == "rin"]
    c = sum(r.metrics["test"]["strict"]["n_correct"] for r in rin)
    g = sum(r.metrics["test"]["strict"]["n_gold"] for r in rin)
    p = sum(r.metrics["test"]["strict"]["n_pred"] for r in rin)
    assert pooled["f1_a"] == pytest.approx(100 * 2 * c / (g + p))
    one = sig.iloc[1]
    direct = paired_bootstrap([s.triples for s in rin[0].sentences], [p.triples for p in rin[0].predictions],
                              [p.triples for p in runs[2].predictions], "exact", n=200, seed=3)
    assert one["delta"] == pytest.approx(100 * direct["delta"]) and one["p_value"] == direct["p_value"]
    assert pooled["ci_low"] <= pooled["delta"] <= pooled["ci_high"] or pooled["n_sentences"] < 20


def test_a_system_against_itself_is_not_significant(runs):
    rin = [r for r in runs if r.config.variant == "rin"]
    sig = analysis.significance(rin, a="rin", b="rin", n=100)
    assert (sig["delta"] == 0).all() and (sig["p_value"] == 0.5).all()


def test_case_study_selects_differing_sentences_and_renders(runs):
    cases, summary = analysis.case_studies(runs, "webnlg", "exact", limit=3)
    groups = ["RIN better", "RIN w/o interaction better", "different, neither better"]
    assert summary["n_differ"] == sum(summary[g] for g in groups) > 0
    assert 0 < len(cases) <= 9
    for c in cases:
        a, b = c.outputs
        assert (a.correct + a.wrong, a.entities) != (b.correct + b.wrong, b.entities)
        assert c.label == groups[0 if c.score > (0, 0, 0, 0) else 1 if c.score < (0, 0, 0, 0) else 2]
        assert len(b.correct) + len(b.missed) == len(set(c.gold))
    table = analysis.case_table(cases)
    assert set(table["row"]) <= {"Gold", "RIN", "RIN w/o interaction"}
    page = analysis.case_html(cases, "t", "note <b>")
    assert "note &lt;b&gt;" in page and "#1f5fbf" in page
    md = tables.markdown(table.head(2)) + "\n"  # as a .md file holds it
    assert md.count("\n") == 4 and md.startswith("| sid |")
    assert [c.label for c in cases] == sorted((c.label for c in cases), key=groups.index)


def test_make_case_judges_by_task():
    s = Sentence("x/test/0", ["New", "York", "contains", "Scott"], [Triple((0, 2), "contains", (3, 4))])
    from rinlib.metrics import Prediction

    pred = Prediction(["O", "S", "O", "S"], [(1, 3, "contains", 0.9)])
    other = Prediction(["B", "E", "O", "S"], [])
    partial = analysis.make_case(s, {"RIN w/o interaction": other, "RIN": pred}, "partial")
    exact = analysis.make_case(s, {"RIN w/o interaction": other, "RIN": pred}, "exact")
    assert len(partial.outputs[1].correct) == 1 and len(exact.outputs[1].wrong) == 1
    assert partial.score == (1, 0, -1, -1) and exact.score == (0, -1, -1, -1)
    assert analysis.triple_text(s.tokens, s.triples[0]) == "(New York, contains, Scott)"


def test_paper_case_sentences_are_found_by_key_phrase():
    toks = "-LRB- Scott -RRB- Engulfed by nightmares , in this acute , resourceful and bracingly ambitious debut film .".split()
    found = analysis.find_paper_cases([Sentence("nyt/test/9", toks, [])])
    assert found["Case1"] is None and found["Case2"].sid == "nyt/test/9"
    assert len(analysis.paper_case_table()) == 6


@pytest.mark.skipif(not (REPO / "data" / "raw" / "NYT-star_CasRel" / "test_triples.json").exists(),
                    reason="NYT* test file not in data/raw")
def test_both_paper_cases_are_in_nyt_test():
    from rinlib.data import load_dataset

    found = analysis.find_paper_cases(load_dataset("nyt", "partial", "test"))
    assert all(s is not None for s in found.values()), found


def test_plot_and_provenance(runs, tmp_path):
    df = analysis.category_scores(runs)
    fig = analysis.plot_scores(df, "category", note=analysis.caption(runs), order=list(analysis.CATEGORY_ORDER))
    texts = [t.get_text() for ax in fig.axes for t in ax.texts]
    assert texts and all(t.replace(".", "").isdigit() for t in texts)
    paths = figures.save_figure(fig, tmp_path / "fig")
    assert all(p.stat().st_size > 0 for p in paths)
    out = tables.save_table(df, tmp_path / "t.csv", provenance=analysis.provenance(runs), index=True)
    prov = json.loads(out.with_suffix(".provenance.json").read_text())
    assert prov["seeds"] == [1, 2] and prov["reduced"] and prov["protocol"] == "strict"
    assert analysis.caption(runs).startswith("REDUCED (test profile)")


def test_report_investigations_from_runs(runs, tmp_path):
    import pandas as pd

    from rinlib.reporting import report
    from rinlib.reporting.diagnostics import error_kinds

    errors = analysis.error_scores(runs)
    text = "\n".join(report.investigations(runs, errors))
    assert "### Word vectors" in text and "### Protocols" in text and "### Entity or relation errors" in text
    assert text.count("| webnlg | exact | RIN |") == 1 + 1  # a row of vector groups, a protocol row
    assert all(text.count(f"| webnlg | exact | {kind} |") == 1 for kind in error_kinds.ERROR_KINDS.values())
    assert report.investigations([], errors.iloc[:0]) == []
    from dataclasses import replace  # a run whose model file is gone: the vector check says so, the rest renders
    text = "\n".join(report.investigations([replace(runs[0], run_dir=tmp_path)], errors))
    assert "Not computed:" in text and "model file not found" in text and "### Protocols" in text
    frame = pd.DataFrame({"profile": ["full", "full", "full", "quick"], "dataset": ["webnlg"] * 4,
                          "task": ["exact"] * 4, "variant": ["rin", "rin", "no_interaction", "rin"],
                          "K": [3, 2, 0, 3], "run_dir": ["a", "b", "c", "d"]})
    assert report.table1_runs(frame) == ["a", "c"]  # Table 3's K (exact WebNLG: 3) and K = 0, full only


def test_run_vocab_is_rebuilt_from_train_when_the_weights_are_not_in_the_clone(tmp_path):
    """A clone holds no per-run weights: a run of a named data set gets the vocabulary its
    training built, rebuilt from the train split (equal to the one saved with the model)."""
    cfg = RunConfig(dataset="webnlg", task="exact", K=1, seed=1, max_train=40, max_dev=10, epochs=1, lr=1e-2,
                    batch_size=10, pos_dim=4, lstm_hidden=16, pair_dim=16, progress=False, profile="test",
                    num_threads=1)
    out = train(cfg, tmp_path / "run").out_dir
    run = analysis.load_runs([out])[0]
    saved = analysis.run_vocab(run)
    (out / "model.safetensors").unlink()
    assert analysis.run_vocab(run).itos == saved.itos


def test_provenance_names_runs_relative_to_the_results_folder(runs, monkeypatch):
    """The same runs give the same provenance in every clone: paths below the results folder are
    relative to it; a run elsewhere keeps its full path."""
    root = runs[0].run_dir.parents[1]
    monkeypatch.setenv("RIN_RESULTS", str(root))
    assert analysis.provenance(runs)["runs"][0] == str(runs[0].run_dir.relative_to(root))
    monkeypatch.setenv("RIN_RESULTS", str(root / "elsewhere"))
    assert analysis.provenance(runs)["runs"][0] == str(runs[0].run_dir.resolve())
