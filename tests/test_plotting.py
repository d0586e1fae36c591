"""Tables, figures and the report from a hand-made results frame: paper values beside the
measured ones, 'not run' cells, the NYT hint, the proxy label, and the saved files."""

from __future__ import annotations

from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import pandas as pd  # noqa: E402
import pytest  # noqa: E402

from rinlib import experiments, paper  # noqa: E402
from rinlib.reporting import figures, report, tables  # noqa: E402
from rinlib.reporting import curves as run_curves  # noqa: E402
from rinlib.reporting import paper_results as plotting  # noqa: E402


def _run(profile: str, dataset: str, task: str, variant: str, K: int, seed: int, f1: float) -> dict:
    row = {"profile": profile, "dataset": dataset, "task": task, "variant": variant, "K": K, "seed": seed,
           "max_epochs": 7, "epochs_run": 7, "selected_epoch": 6, "device_name": "cpu", "commit": "abc123"}
    for split in ("dev", "test"):
        for proto, shift in (("strict", 0.0), ("paper", 0.01)):
            for m in ("precision", "recall", "f1"):
                row[f"{split}_{proto}_{m}"] = f1 + shift
    return row


def _results() -> pd.DataFrame:
    rows = [_run("quick", "webnlg", "partial", "rin", 2, s, f) for s, f in ((1, 0.80), (2, 0.82))]
    rows += [_run("quick", "webnlg", "partial", "no_interaction", 0, 1, 0.70),
             _run("quick", "webnlg", "partial", "rin", 1, 1, 0.75),
             _run("quick", "webnlg", "exact", "no_pos", 3, 1, 0.60),
             _run("quick", "nyt-proxy", "partial", "rin", 4, 1, 0.50),
             _run("full", "webnlg", "partial", "rin", 2, 1, 0.86)]
    return pd.DataFrame(rows)


def test_paper_values_typed_in() -> None:
    assert str(paper.TABLE1[("webnlg", "exact", "rin")]["F1"]) == "77.0±0.2"
    assert paper.TABLE1[("nyt", "partial", "no_interaction")]["R"].mean == 83.1
    assert paper.TABLE5[("nyt", "no_rc")].mean == 77.3 and paper.TABLE5[("webnlg", "no_pos")].std is None
    assert paper.figure3_points("nyt", "exact") == {0: paper.Value(76.9, 0.3), 7: paper.Value(84.7, 0.4)}


def test_table1_cells() -> None:
    t = plotting.table1(_results(), ["quick", "full"])
    row = t[(t.dataset == "WebNLG") & (t.task == "partial") & (t.model == "RIN")].iloc[0]
    assert row["paper F1"] == "87.3±0.4"
    assert row["quick: strict F1"] == "81.0±1.4" and row["quick: n seeds"] == 2
    assert row["quick: paper protocol F1"] == "82.0±1.4"
    assert row["quick: ΔF1 strict"] == "-6.3"
    assert row["full: strict F1"] == "86.0" and row["full: ΔF1 strict"] == "-1.3"
    exact = t[(t.dataset == "WebNLG") & (t.task == "exact") & (t.model == "RIN")].iloc[0]
    assert exact["quick: strict P"] == "not run"
    nyt = t[(t.dataset == "NYT")].iloc[0]
    assert nyt["quick: strict P"].startswith("needs NYT train split") and nyt["paper F1"] == "87.3±0.1"
    proxy = t[(t.dataset == "NYT-proxy") & (t.task == "partial") & (t.model == "RIN [PROXY]")].iloc[0]
    assert proxy["paper F1"] == "—" and proxy["quick: strict F1"] == "50.0" and "PROXY" in proxy["note"]
    assert proxy["quick: ΔF1 strict"] == ""  # never compared as if it were the paper's setting


def test_table5_and_figure3_data() -> None:
    t5 = plotting.table5(_results(), ["quick"])
    pos = t5[(t5.dataset == "WebNLG") & (t5.model == "RIN w/o POS")].iloc[0]
    assert pos["paper F1"] == "76.6" and pos["quick: strict F1"] == "60.0" and pos["quick: ΔF1 strict"] == "-16.6"
    f3 = plotting.figure3_data(_results(), ["quick"])
    part = f3[(f3.task == "partial") & (f3.dataset == "webnlg")]
    assert list(part["K"]) == [0, 1, 2] and list(part["F1_mean"]) == [70.0, 75.0, 81.0]  # rounded to 0.01


def test_outputs_saved(tmp_path: Path) -> None:
    res = _results()
    fig = plotting.figure3(res, ["quick", "full"])
    paths = figures.save_figure(fig, tables.out_dir("figures", "quick", tmp_path) / "figure3", figures.PRINT_FORMATS)
    assert [p.suffix for p in paths] == [".png", ".svg", ".pdf"] and all(p.stat().st_size > 1000 for p in paths)
    labels = [t.get_text() for ax in fig.axes for t in ax.get_legend().get_texts()]
    assert any("WebNLG paper (K=0, K=2" in s for s in labels)
    assert any("quick (n=1–2 seeds" in s for s in labels)
    # nyt-proxy (a 50.0 point in the frame) is not the paper's setting: not drawn, said in the caption,
    # and still in the points table
    assert not any("NYT-proxy" in s for s in labels)
    assert "Not drawn: NYT-proxy" in " ".join(fig.get_supxlabel().split())  # the caption, unwrapped
    assert "nyt-proxy" in set(plotting.figure3_data(res, ["quick"])["dataset"])
    csv = tables.save_table(plotting.table5(res, ["quick"]), tables.out_dir("tables", "quick", tmp_path) / "table5", caption="cap")
    md = (tmp_path / "tables/quick/table5.md").read_text()
    assert csv.exists() and md.startswith("cap ‡ needs NYT train split") and "\n\n| dataset |" in md
    curves = run_curves.training_curves(pd.DataFrame({"epoch": [1, 2], "loss": [3.0, 2.0], "loss_entity": [1.0, 0.5],
                                                    "loss_relation": [2.0, 1.5], "dev_F1": [0.1, 0.2],
                                                    "dev_F1_paper": [0.1, 0.25]}))
    assert len(curves.axes) == 2
    assert "quick — REDUCED (quick profile)" in plotting.caption(res, ["quick"], "T")
    assert plotting.caption(res, ["quick"], "T.").startswith("T. Paper:")  # a title's own full stop is not doubled


def test_report_cells_verdicts_missing_full_cells_and_run_times() -> None:
    res = _results()
    res["run_dir"] = [f"/r/runs/{p}/{d}/{t}/{v}/K{k}/seed{s}" for p, d, t, v, k, s in
                      zip(res.profile, res.dataset, res.task, res.variant, res.K, res.seed)]
    res["wall_time_s"], res["mean_epoch_time_s"], res["stopped_early"] = 600.0, 85.7, False
    res["shared_training_with"] = [[] for _ in range(len(res))]
    cells = report._cells(res, ["quick", "full"])
    cells = cells[cells.dataset != "nyt"]
    by_cell = cells.set_index(["profile", "item", "task", "model"])
    pick = by_cell["verdict"]
    # full partial RIN: strict 86.0, paper protocol 87.0 vs 87.3±0.4 -> within the paper's std
    assert pick[("full", "Table 1", "partial", "RIN")] == "within paper std (-0.3 paper protocol, 1 seed)"
    assert pick[("quick", "Table 1", "partial", "RIN")] == "REDUCED: not comparable"
    assert pick[("quick", "Table 1 (proxy)", "partial", "RIN")] == "proxy: not comparable"
    proxy = cells[(cells.dataset == "nyt-proxy") & (cells.profile == "quick") & (cells.model == "RIN")].iloc[0]
    assert proxy["measured strict F1"] == "50.0" and proxy["gap strict"] == "" and proxy["gap paper protocol"] == ""
    epochs = by_cell["epochs"]
    assert epochs[("quick", "Table 1", "partial", "RIN")] == "7 max; run 7, selected 6 (mean of 2 seeds)"
    assert epochs[("full", "Table 1", "partial", "RIN")] == "7 max; run 7, selected 6"  # one seed: its own numbers
    missing = cells[(cells.profile == "full") & (cells.task == "exact") & (cells.model == "RIN")].iloc[0]
    assert missing["measured strict F1"] == "not run yet" and missing["n seeds"] == 0
    cell = pd.Series({"strict_F1_mean": 80.0, "paper_F1_mean": 79.0, "strict_F1_std": 0.5, "n_seeds": 3})
    assert report.verdict(cell, paper.Value(87.3, 0.4)) == "below paper (-7.3 strict)"
    # the tolerance is the compared protocol's std, not strict's: 85.0±3.0 (paper protocol) is within 87.3
    wide = pd.Series({"strict_F1_mean": 80.0, "paper_F1_mean": 85.0, "strict_F1_std": 0.1, "paper_F1_std": 3.0,
                      "n_seeds": 5})
    assert report.verdict(wide, paper.Value(87.3, 0.4)) == "within seed std (-2.3 paper protocol)"
    assert report.verdict(wide, paper.Value(87.3, None)) == "within seed std (-2.3 paper protocol)"
    base = (res.variant == "no_interaction") & (res.task == "partial")
    res.loc[base, "dev_strict_f1"] = 0.60  # the baseline's dev F1 differs from its test F1 (0.70)
    gain = report.interaction_gain(res.assign(profile="full")).set_index("task")  # the quick runs, relabelled
    # partial: RIN K=2 (80, 82 and the full run's 86 -> 82.67) minus w/o interaction (70.0); paper 87.3 - 85.6
    assert gain.loc["partial", "measured gain strict"] == "+12.7" and gain.loc["partial", "paper gain"] == "+1.7"
    assert gain.loc["partial", "n seeds (RIN / w/o)"] == "3 / 1" and "exact" not in gain.index  # no exact pair
    assert gain.loc["partial", "dev gain strict"] == "+22.7"  # from the dev split: 82.67 - 60.0
    # with 2+ seeds on both sides the gain carries its standard error: sqrt(0.8²/5 + 0.4²/5) = 0.4
    def cell(mean: float, std: float, n: int) -> pd.Series:
        return pd.Series({"strict_F1_mean": mean, "strict_F1_std": std, "n_seeds": n})
    assert report._gain(cell(85.3, 0.8, 5), cell(84.6, 0.4, 5), "strict") == "+0.7 ± 0.4"
    assert report._gain(cell(85.3, 0.8, 5), cell(84.6, float("nan"), 1), "strict") == "+0.7"  # 1 seed: no s.e.
    # a proxy pair gets a row, with the paper's NYT gain as context only (87.3 - 83.5), never as its reference
    proxy = report.interaction_gain(pd.concat([res, pd.DataFrame([_run("quick", "nyt-proxy", "partial",
                                                                       "no_interaction", 0, 1, 0.40)])]),
                                    profile="quick").set_index("dataset").loc["nyt-proxy"]
    assert proxy["measured gain strict"] == "+10.0" and proxy["paper gain"] == "— (paper NYT: +3.8)"
    # so does an exact pair on webnlg-etl, with the paper's own WebNLG gain (77.0 - 74.2) as context
    etl = report.interaction_gain(pd.DataFrame([_run("full", "webnlg-etl", "exact", v, K, s, f) for v, K, fs in (
        ("rin", 3, (0.81, 0.83)), ("no_interaction", 0, (0.80, 0.80))) for s, f in enumerate(fs, 1)]))
    assert etl.set_index("dataset").loc["webnlg-etl", ["task", "K", "measured gain strict", "paper gain"]].tolist() \
        == ["exact", 3, "+2.0 ± 1.0", "— (paper WebNLG: +2.8)"]
    # paired by seed: differences 1 and 3 → mean 2, t = 2 at df 1, two-sided p = 1 - 2·atan(2)/π = 0.295
    assert etl.loc[0, "paired by seed strict"] == "+2.0 (p=0.30, n=2)"
    assert gain.loc["partial", "paired by seed strict"] == "—"  # w/o interaction has 1 seed: nothing to pair
    same = report._paired(pd.Series({1: 3.0, 2: 4.0}), pd.Series({1: 1.0, 2: 2.0}))  # equal differences: no spread
    assert same == "+2.0 (p undefined, n=2)"
    times = report.run_times(res)
    assert list(times["run"]) == ["webnlg/partial/rin/K2/seed1"] and times.loc[0, "total min"] == 10.0
    assert times.loc[0, "test strict F1"] == 86.0 and times.loc[0, "still improving"] == "yes"  # epoch 6 of 7


def test_median_epoch_time_is_given_per_machine_of_a_resumed_run(tmp_path) -> None:
    import json

    pd.DataFrame({"epoch": [1, 2, 3, 4, 5], "epoch_time_s": [10.0, 12.0, 11.0, 30.0, 50.0]}).to_csv(
        tmp_path / "history.csv", index=False)
    assert report._median_epoch_s(tmp_path, 99.0) == "12.0"  # no provenance: one machine
    (tmp_path / "provenance.json").write_text(json.dumps({"trained_by": [
        {"commit": "a", "device_name": "CPU A", "from_epoch": 1}, {"commit": "b", "device_name": "CPU B", "from_epoch": 4}]}))
    assert report._median_epoch_s(tmp_path, 99.0) == "epochs 1-3: 11.0; epochs 4+: 40.0"
    assert report._median_epoch_s(tmp_path / "gone", 99.0) == "99.0"


def test_report_headline_names_each_finished_full_cell_the_gain_and_the_grid() -> None:
    res = _results()
    full = res.assign(profile="full")  # the quick runs, relabelled: partial RIN/w-o, a proxy cell, one ablation
    cells = report._cells(full, ["full"])
    grid = pd.DataFrame([{"experiment": "table1", "runs": 20, "finished": 3, "resumable": 1, "training now": 0,
                          "not started": 16, "seeds in every cell": 0}])
    text = "\n".join(report.headline(cells, report.interaction_gain(full), grid))
    # full partial RIN: seeds 0.80, 0.82, 0.86 -> 82.7 strict; the protocol shift is +1 point
    assert ("- Table 1, webnlg partial, RIN (K=2): test strict 82.7±3.1, paper protocol 83.7±3.1 vs the paper's "
            "87.3±0.4; 3 seed(s); below paper (-3.6 paper protocol).") in text
    assert "vs no paper value (paper NYT: 87.3±0.1); 1 seed(s); proxy: not comparable." in text  # never a target
    assert "- Interaction layers' gain, webnlg partial (K=2): +12.7 strict test F1" in text
    assert "not run yet" not in text and "needs NYT" not in text  # only cells with runs
    assert "- Grid: table1 3/20 finished, 1 resumable (section" in text
    nothing = report.headline(cells.iloc[0:0], pd.DataFrame(), pd.DataFrame())
    assert nothing[-1] == "No full-schedule run has finished yet."


def test_rerendered_figure_has_the_same_bytes(tmp_path: Path) -> None:
    """Re-rendering committed results must not dirty git: no dates, no random SVG ids."""
    res = _results()
    first = figures.save_figure(plotting.figure3(res, ["quick"]), tmp_path / "a" / "figure3", figures.PRINT_FORMATS)
    second = figures.save_figure(plotting.figure3(res, ["quick"]), tmp_path / "b" / "figure3", figures.PRINT_FORMATS)
    assert [p.read_bytes() for p in first] == [p.read_bytes() for p in second]


def test_caption_under_wraps_to_the_figure_width_and_skips_an_empty_caption() -> None:
    words = "seed " * 200
    narrow, wide = figures.new_figure(figsize=(4, 3)), figures.new_figure(figsize=(12, 3))
    for fig in (narrow, wide):
        figures.caption_under(fig, words)
    lines = {f: f.get_supxlabel().split("\n") for f in (narrow, wide)}
    assert len(lines[narrow]) > 2 * len(lines[wide]) > 2  # the narrow figure gets shorter lines
    assert " ".join(narrow.get_supxlabel().split()) == words.strip()  # wrapped, nothing lost
    empty = figures.new_figure(figsize=(4, 3))
    figures.caption_under(empty, "")
    assert empty.get_supxlabel() == ""


def test_captions_name_only_the_runs_behind_the_table() -> None:
    res = _results()
    res.loc[(res.variant == "rin") & (res.K == 1), "commit"] = "k1sweep"  # a Figure 3-only run
    res.loc[res.variant == "no_pos", "commit"] = "ablation"  # a Table 5-only run
    t1 = plotting.caption(experiments.runs_behind(res, "table1", ["webnlg"]), ["quick"], "T1")
    t5 = plotting.caption(experiments.runs_behind(res, "table5", ["webnlg"]), ["quick"], "T5")
    f3 = plotting.caption(experiments.runs_behind(res, "figure3"), ["quick"], "F3")
    assert "abc123" in t1 and "k1sweep" not in t1 and "ablation" not in t1  # K=2 is Table 3's WebNLG K
    assert "ablation" in t5 and "k1sweep" not in t5
    assert "k1sweep" in f3 and "ablation" not in f3
    fig = plotting.figure3(res, ["quick"])
    caption = " ".join(fig.get_supxlabel().split())
    assert "k1sweep" in caption and "ablation" not in caption
    assert experiments.runs_behind(res.iloc[0:0], "table1", ["webnlg"]).empty
    with pytest.raises(ValueError, match="table1"):
        experiments.runs_behind(res, "table9")


def test_caption_summarises_many_commits() -> None:
    res = _results()
    assert "commit abc123" in plotting.provenance(res, "quick")
    res = res[res["profile"] == "quick"].copy()
    res["commit"] = [f"c{i:07d}" + ("-dirty" if i % 2 else "") for i in range(len(res))]
    line = plotting.provenance(res, "quick")
    assert f"{len(res)} commits ({len(res) // 2} with uncommitted changes), each run's in its provenance.json" in line
    assert "c0000000" not in line


def test_nyt_hint_is_in_the_caption_once_not_in_every_cell(tmp_path) -> None:
    table = plotting.table1(_results(), ["quick"])
    nyt = table[table["dataset"] == "NYT"]
    assert len(nyt) == 4 and (nyt["quick: strict P"] == tables.NYT_MISSING).all()
    path = tables.save_table(table, tables.out_dir("tables", "quick", tmp_path) / "t1", caption="Table 1")
    md = path.with_suffix(".md").read_text()
    assert md.count(tables.NYT_TRAIN_HINT) == 1 and md.startswith("Table 1 ‡ needs NYT train split")
    assert tables.footnoted(table[table["dataset"] != "NYT"], "c") == "c"


def test_figure3_draws_each_seed_and_marks_table3_k() -> None:
    fig = plotting.figure3(_results(), ["quick"])
    labels = [t.get_text() for t in fig.axes[0].get_legend().get_texts()]
    assert "WebNLG, quick: each seed" in labels and "WebNLG: Table 3's K" in labels
    seeds = [c for c in fig.axes[0].collections if c.get_label() == "WebNLG, quick: each seed"][0]
    assert sorted(seeds.get_offsets()[:, 1].tolist()) == pytest.approx([70.0, 75.0, 80.0, 82.0])


def test_against_peers_puts_measured_rin_beside_published_numbers() -> None:
    res = pd.DataFrame([_run("full", "webnlg-etl", "exact", "rin", 3, s, f) for s, f in ((1, 0.70), (2, 0.72))])
    t = plotting.against_peers(res)
    rin = t[t["system"] == "RIN (K=3), this kit"].iloc[0]
    assert rin["exact-match F1"] == "71.0±1.4" and rin["n seeds"] == 2 and rin["selection"] == "dev-selected epoch"
    wo = t[t["system"] == "RIN w/o interaction (K=0), this kit"].iloc[0]
    assert wo["exact-match F1"] == "not run yet" and wo["n seeds"] == 0  # never filled in
    etl = t[t["system"] == "ETL-Span"].iloc[0]
    assert etl["exact-match F1"] == "83.1" and etl["pretrained encoder"] == "none"
    assert set(t.loc[t["pretrained encoder"] == "BERT-base", "system"]) == {
        "TPLinker", "TPLinker, released checkpoint", "TPLinkerPlus"}
    tp = t[t["system"] == "TPLinker"].iloc[0]  # the paper's number, with the P and R it gives
    assert (tp["exact-match F1"], tp["P"], tp["R"]) == ("86.7", "88.9", "84.5")
    assert t[t["system"] == "TPLinkerPlus"].iloc[0]["P"] == ""  # no source gives them
    # RIN on the paper's own WebNLG release is not a webnlg-etl number
    assert plotting.against_peers(_results()).iloc[0]["exact-match F1"] == "not run yet"


def test_the_peers_section_says_how_the_webnlg_etl_runs_ended(tmp_path: Path) -> None:
    """Runs the epoch cap ended (not stopped early) are named as such beside the peers table; a
    single selected epoch is written once, not as a range."""
    rows = [_run("full", "webnlg-etl", "exact", "rin", 3, 1, 0.80) | {"selected_epoch": 140},
            _run("full", "webnlg-etl", "exact", "no_interaction", 0, 1, 0.79) | {"selected_epoch": 137},
            _run("full", "webnlg-etl", "exact", "no_interaction", 0, 2, 0.78) | {"selected_epoch": 145},
            _run("full", "webnlg", "exact", "rin", 3, 1, 0.70) | {"selected_epoch": 10, "stopped_early": True}]
    res = pd.DataFrame(rows).assign(max_epochs=150, epochs_run=150, patience=30).fillna({"stopped_early": False})
    text = "\n".join(report.peers_lines(res, tmp_path))
    assert ("Schedule (150-epoch cap, early stop after 30 epochs without a dev gain, `webnlg-etl`): RIN stopped "
            "early in 0 of 1 runs and was selected at epoch 140; RIN w/o interaction stopped early in 0 of 2 runs "
            "and was selected at epoch 137 to 145 (median 141).") in text
    assert "within its last 30 epochs" in text and (tmp_path / "tables" / "full" / "against_peers.md").is_file()
    assert report.peers_lines(res[res["dataset"] == "webnlg"], tmp_path)[-1].startswith("|")  # no etl run: no sentence


def test_glove_coverage_quotes_only_the_reports_profiles() -> None:
    """A local smoke run (40 sentences: a vocabulary GloVe covers far better) must not move the
    coverage the deviations paragraph quotes for the paper-schedule runs."""
    ceiling = {"glove_ceiling_full_glove_frac": 0.827, "glove_token_ceiling_full_glove": 0.97}
    rows = [{**_run("full", "webnlg", "exact", "rin", 3, 1, 0.7), "glove_covered_frac": 0.298,
             "glove_token_coverage": 0.742, **ceiling},
            {**_run("smoke", "webnlg", "exact", "rin", 3, 1, 0.0), "glove_covered_frac": 0.9,
             "glove_token_coverage": 0.9, **ceiling}]
    res = pd.DataFrame(rows)
    assert report.glove_coverage(res, ["full"]) == ("vocabulary 30% (full GloVe would give 83%); train tokens 74% "
                                                    "(full GloVe 97%) (WebNLG train)")
    assert "vocabulary 60%" in report.glove_coverage(res, ["full", "smoke"])
    assert report.glove_coverage(res, []) == "no runs yet"


def test_runs_behind_the_peers_table_are_its_webnlg_etl_cells_only() -> None:
    res = pd.DataFrame([_run("full", "webnlg-etl", "exact", "rin", 3, 1, 0.7),
                        _run("full", "webnlg-etl", "exact", "rin", 5, 1, 0.7),
                        _run("full", "webnlg", "exact", "rin", 3, 1, 0.7)])
    behind = experiments.runs_behind(res, "webnlg_etl")
    assert list(zip(behind["dataset"], behind["K"])) == [("webnlg-etl", 3)]


def test_signed_differences_never_read_minus_zero():
    from rinlib.reporting.tables import signed

    assert [signed(v) for v in (1.24, -0.4, -0.04, 0.0, -0.0)] == ["+1.2", "-0.4", "+0.0", "+0.0", "+0.0"]


def test_markdown_writes_a_missing_value_as_a_dash_not_nan() -> None:
    df = pd.DataFrame({"K": [1, 2], "F1_std": [0.4, float("nan")], "note": ["a|b", None],
                       "n": pd.array([3, None], dtype="Int64")})
    assert tables.markdown(df).split("\n")[2:] == ["| 1 | 0.4 | a\\|b | 3 |",
                                                  f"| 2 | {tables.MISSING} | {tables.MISSING} | {tables.MISSING} |"]
