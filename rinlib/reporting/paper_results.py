"""Tables and figures of the paper, built only from finished runs (``rinlib.runs.collect``)
with the paper's value beside every measured one (``rinlib.paper``).

Why one module: the notebooks, the report and the tests all need the same summaries, and a
number drawn in a figure must be the number printed in the table. Measured values are
percentages (mean ± std over seeds, test split, dev-selected epoch), in both protocols:
``strict`` (the kit's headline) and ``paper`` (the authors' word-pair evaluation).
Every table/figure carries the provenance of each column group (profile, seeds, epochs,
device, commit); a cell that was not run says so, it is never filled in.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import pandas as pd
import seaborn as sns

from rinlib import paper
from rinlib.config import TASKS, VARIANT_LABELS
from rinlib.experiments import PROFILES, cells, is_figure3_point, runs_behind, settings, table3_k
from rinlib.metrics import PROTOCOLS
from rinlib.reporting.figures import Figure, caption_under, new_figure, paper_style
from rinlib.reporting.tables import MISSING, NYT_MISSING, fmt, signed, styled

METRICS = ("P", "R", "F1")
PROTOCOL_NAMES = {"strict": "strict", "paper": "paper protocol"}
METRIC_KEYS = {"P": "precision", "R": "recall", "F1": "f1"}
PROXY_NOTE = "PROXY: trained on NYT dev (4,500 sent.), not the paper's setting"
DATASET_NAMES = {"webnlg": "WebNLG", "nyt": "NYT", "nyt-proxy": "NYT-proxy", "webnlg-etl": "WebNLG (ETL exact)"}


# ----------------------------------------------------------------------------- summaries
def cell_means(results: pd.DataFrame, split: str = "test") -> pd.DataFrame:
    """Mean/std/n over seeds per (profile, dataset, task, variant, K), in percent.

    Columns ``{strict,paper}_{P,R,F1}_{mean,std}``, ``n_seeds``, ``seeds``, ``epochs`` (max
    epochs of the schedule), ``epochs_run``, ``selected_epoch`` (means), ``device_name``, ``commit``.
    """
    keys = ["profile", "dataset", "task", "variant", "K"]
    if results.empty:
        return pd.DataFrame(columns=keys)
    rows = []
    for k, g in results.groupby(keys, sort=False):
        row = dict(zip(keys, k))
        for proto in PROTOCOLS:
            for m in METRICS:
                v = 100 * g[f"{split}_{proto}_{METRIC_KEYS[m]}"].astype(float)
                row[f"{proto}_{m}_mean"] = v.mean()
                row[f"{proto}_{m}_std"] = v.std(ddof=1) if len(v) > 1 else float("nan")
        row.update(n_seeds=len(g), seeds=",".join(map(str, sorted(g["seed"]))),
                   epochs=int(g["max_epochs"].max()), epochs_run=float(g["epochs_run"].mean()),
                   selected_epoch=float(g["selected_epoch"].mean()),
                   device_name="; ".join(sorted(set(map(str, g["device_name"])))),
                   commit="; ".join(sorted({str(c)[:12] for c in g["commit"]})))
        rows.append(row)
    return pd.DataFrame(rows)


def provenance(results: pd.DataFrame, profile: str) -> str:
    """One line naming where a column group's numbers come from."""
    sub = results[results["profile"] == profile] if not results.empty else results
    if sub.empty:
        return f"{profile}: no finished runs"
    seeds = sorted(set(sub["seed"]))
    ep = sorted(set(int(e) for e in sub["max_epochs"]))
    dev = "; ".join(sorted(set(map(str, sub["device_name"]))))
    commits = sorted({str(c)[:8] + ("-dirty" if str(c).endswith("dirty") else "") for c in sub["commit"]})
    dirty = sum(c.endswith("-dirty") for c in commits)
    commits = ("commit " + ", ".join(commits)) if len(commits) <= 3 else (
        f"{len(commits)} commits{f' ({dirty} with uncommitted changes)' if dirty else ''}, "
        "each run's in its provenance.json")
    label = settings(profile).label if profile in PROFILES else profile
    return (f"{profile} — {label}; seeds {seeds}; max epochs {ep}; test split, dev-selected epoch; "
            f"device {dev}; {commits}")


def _profiles(results: pd.DataFrame, profiles: Sequence[str] | None) -> list[str]:
    present = [] if results.empty else list(dict.fromkeys(results["profile"]))
    wanted = list(profiles) if profiles else present
    return [p for p in dict.fromkeys(wanted) if p in present]


def cell_rows(frame: pd.DataFrame, profile: str, dataset: str, task: str, variant: str, K: int) -> pd.DataFrame:
    """The rows of one cell (profile, data set, task, variant, K): its runs in a frame of
    ``rinlib.runs.collect``, its one summary row in :func:`cell_means`."""
    if frame.empty:
        return frame
    return frame[(frame["profile"] == profile) & (frame["dataset"] == dataset) & (frame["task"] == task)
                 & (frame["variant"] == variant) & (frame["K"] == K)]


def summary_cell(summary: pd.DataFrame, profile: str, dataset: str, task: str, variant: str, K: int) -> pd.Series | None:
    m = cell_rows(summary, profile, dataset, task, variant, K)
    return None if m.empty else m.iloc[0]


def _measured(cell: pd.Series | None, group: str, paper_f1: float | None, note: str) -> dict:
    """The measured columns of one row for one column group."""
    cols = {f"{group}: {PROTOCOL_NAMES[p]} {m}": "" for p in PROTOCOLS for m in METRICS}
    cols.update({f"{group}: ΔF1 strict": "", f"{group}: ΔF1 paper protocol": "", f"{group}: n seeds": 0,
                 f"{group}: epochs": ""})
    if cell is None:
        cols[f"{group}: strict P"] = note
        return cols
    for p in PROTOCOLS:
        for m in METRICS:
            cols[f"{group}: {PROTOCOL_NAMES[p]} {m}"] = fmt(cell[f"{p}_{m}_mean"], cell[f"{p}_{m}_std"])
        if paper_f1 is not None:
            key = "ΔF1 strict" if p == "strict" else "ΔF1 paper protocol"
            cols[f"{group}: {key}"] = signed(cell[f'{p}_F1_mean'] - paper_f1)
    cols[f"{group}: n seeds"] = int(cell["n_seeds"])
    cols[f"{group}: epochs"] = f"{cell['epochs']} (run {cell['epochs_run']:.0f}, selected {cell['selected_epoch']:.0f})"
    return cols


# ----------------------------------------------------------------------------- tables
def table1(results: pd.DataFrame, profiles: Sequence[str] | None = None,
           datasets: Sequence[str] = ("webnlg", "nyt", "nyt-proxy")) -> pd.DataFrame:
    """Paper Table 1 beside the measured P/R/F1 (both protocols) of each profile present.

    Rows: dataset × task × model (RIN at Table 3's K, RIN w/o interaction). ``nyt`` rows
    without runs say what they need; ``nyt-proxy`` rows are labelled PROXY and carry no
    paper value (the proxy is not the paper's setting).
    """
    summary = cell_means(results)
    groups = _profiles(results, profiles)
    rows = []
    for ds, task, model, K in cells("table1", datasets):
        pv = {m: paper.table1_value(ds, task, model, m) for m in METRICS}
        row = {"dataset": DATASET_NAMES.get(ds, ds), "task": task, "model": VARIANT_LABELS[model],
               "K": K, **{f"paper {m}": str(pv[m]) if pv[m] else MISSING for m in METRICS}}
        if ds == "nyt-proxy":
            row["model"] += " [PROXY]"
        for g in groups:
            note = NYT_MISSING if ds == "nyt" else ("not run" if ds != "nyt-proxy" else
                                                       f"not run in profile {g}")
            row.update(_measured(summary_cell(summary, g, ds, task, model, K), g,
                                 pv["F1"].mean if pv["F1"] else None, note))
        row["note"] = PROXY_NOTE if ds == "nyt-proxy" else ""
        rows.append(row)
    return pd.DataFrame(rows)


def table5(results: pd.DataFrame, profiles: Sequence[str] | None = None,
           datasets: Sequence[str] = ("webnlg", "nyt")) -> pd.DataFrame:
    """Paper Table 5 (exact-match F1 of RIN and four ablations) beside the measured F1."""
    summary = cell_means(results)
    groups = _profiles(results, profiles)
    rows = []
    for ds, task, model, K in cells("table5", datasets):
        pv = paper.TABLE5[(ds, model)]
        row = {"dataset": DATASET_NAMES.get(ds, ds), "model": VARIANT_LABELS[model], "K": K,
               "paper F1": str(pv)}
        for g in groups:
            cell = summary_cell(summary, g, ds, task, model, K)
            if cell is None:
                row.update({f"{g}: strict F1": NYT_MISSING if ds == "nyt" else "not run",
                            f"{g}: paper protocol F1": "", f"{g}: ΔF1 strict": "", f"{g}: n seeds": 0})
                continue
            row.update({f"{g}: strict F1": fmt(cell["strict_F1_mean"], cell["strict_F1_std"]),
                        f"{g}: paper protocol F1": fmt(cell["paper_F1_mean"], cell["paper_F1_std"]),
                        f"{g}: ΔF1 strict": signed(cell['strict_F1_mean'] - pv.mean),
                        f"{g}: n seeds": int(cell["n_seeds"])})
        rows.append(row)
    return pd.DataFrame(rows)


PEERS_NOTE = ("Context, not a ranking: each published number was obtained under its authors' own "
              "selection rule (often the best test epoch); the kit's rows select on dev only and report "
              "mean ± std over seeds. Exact match = both whole entity spans and the relation right "
              "(the kit's strict protocol).")


def against_peers(results: pd.DataFrame, profile: str = "full") -> pd.DataFrame:
    """RIN on ``webnlg-etl`` (dev-selected, strict exact-match test F1 over seeds) beside the
    published numbers of later systems on the same release (:data:`rinlib.paper.PEERS_WEBNLG_EXACT`).

    Why its own table: ``webnlg-etl`` is the exact WebNLG every later paper reports on, so it is
    where a reader can place RIN among its peers; the paper itself never ran it, so there is no
    paper value to compare with, and the published values are context only (:data:`PEERS_NOTE`)."""
    summary = cell_means(results)
    rows = []
    for c in cells("webnlg_etl"):
        cell = summary_cell(summary, profile, c.dataset, c.task, c.variant, c.K)
        row = {"system": f"{VARIANT_LABELS[c.variant]} (K={c.K}), this kit", "pretrained encoder": "none",
               "exact-match F1": "not run yet", "P": "", "R": "", "n seeds": 0,
               "selection": "dev-selected epoch", "source": f"this kit, {profile} profile"}
        if cell is not None:
            row.update({"exact-match F1": fmt(cell["strict_F1_mean"], cell["strict_F1_std"]),
                        "P": fmt(cell["strict_P_mean"], cell["strict_P_std"]),
                        "R": fmt(cell["strict_R_mean"], cell["strict_R_std"]), "n seeds": int(cell["n_seeds"])})
        rows.append(row)
    rows += [{"system": p.system, "pretrained encoder": p.encoder, "exact-match F1": f"{p.f1:.1f}",
              "P": "" if p.p is None else f"{p.p:.1f}", "R": "" if p.r is None else f"{p.r:.1f}",
              "n seeds": "", "selection": "as published (the authors' rule)", "source": p.source}
             for p in paper.PEERS_WEBNLG_EXACT]
    return pd.DataFrame(rows)


def figure3_data(results: pd.DataFrame, profiles: Sequence[str] | None = None,
                 protocol: str = "strict") -> pd.DataFrame:
    """Measured F1 vs K (mean, std, n) per profile, data set and task: the numbers Figure 3 draws.

    K = 0 is RIN w/o interaction (the paper's K = 0 point); every other K is variant ``rin``.
    """
    summary = cell_means(results)
    if summary.empty:
        return pd.DataFrame(columns=["profile", "dataset", "task", "K", "F1_mean", "F1_std", "n_seeds"])
    groups = _profiles(results, profiles)
    s = summary[summary["profile"].isin(groups) & is_figure3_point(summary)]
    out = s[["profile", "dataset", "task", "K", f"{protocol}_F1_mean", f"{protocol}_F1_std", "n_seeds",
             "epochs"]].rename(columns={f"{protocol}_F1_mean": "F1_mean", f"{protocol}_F1_std": "F1_std"})
    # 0.01 F1 points is far below seed noise; more digits only make the tables unreadable
    out = out.round({"F1_mean": 2, "F1_std": 2})
    return out.sort_values(["profile", "dataset", "task", "K"]).reset_index(drop=True)


TABLE2_CAPTION = ("Data sets vs paper Table 2 (sentences per split) and §5.4 (multi-token entity share: "
                  "NYT ≈ 30%, WebNLG ≈ 60%). NYT train is not shipped (see README); nyt-proxy splits NYT dev "
                  "into 4,500 train / 499 dev, which the paper has no count for. Triples are unique per "
                  "sentence (a data file may list one twice; the load log counts them as listed).")


def table2(stats_csv: str | Path) -> pd.DataFrame:
    """The data statistics (``python -m rinlib.data prepare --stats-out``) beside the paper's
    Table 2 counts and §5.4 shares, with the differences."""
    st = pd.read_csv(stats_csv)
    out = pd.DataFrame({
        "dataset": st["dataset"], "task": st["task"], "split": st["split"],
        "sentences": st["sentences"], "paper sentences": st["paper_sentences"].astype("Int64"),
        "Δ sentences": (st["sentences"] - st["paper_sentences"]).astype("Int64"),
        "triples": st["triples"], "normal": st["normal"], "EPO": st["epo"], "SEO": st["seo"],
        "multi-token entities %": (100 * st["multi_token_share"]).round(1),
        "paper multi-token %": (100 * st["paper_multi_token_share"]).round(0).astype("Int64"),
        "mean length": st["mean_len"].round(1), "max length": st["max_len"]})
    return out


def table2_styled(stats: pd.DataFrame):
    """:func:`table2` for a notebook: one decimal, no index, the caption."""
    return styled(stats, TABLE2_CAPTION).format(precision=1, na_rep="")


def caption(results: pd.DataFrame, profiles: Sequence[str], title: str) -> str:
    """A table/figure caption: the title (its own closing full stop or not), then one provenance
    line per column group present."""
    groups = _profiles(results, profiles)
    lines = [provenance(results, p) for p in groups] or ["no finished runs"]
    return f"{title.rstrip('.')}. Paper: {paper.PAPER}. " + " || ".join(lines)


# ----------------------------------------------------------------------------- figures
_PALETTE = {"webnlg": "#1f77b4", "nyt": "#d62728", "nyt-proxy": "#ff7f0e", "webnlg-etl": "#2ca02c"}
_LINES = {"smoke": ":", "quick": "--", "full": "-"}


def figure3(results: pd.DataFrame, profiles: Sequence[str] | None = None, protocol: str = "strict",
            datasets: Sequence[str] = ("webnlg", "nyt")) -> Figure:
    """Figure 3: F1 vs K, (A) partial and (B) exact; measured mean ± std (error bars, n in the
    legend) per profile, and the paper's only numeric points (K = 0 and Table 3's K) as markers.

    Only ``datasets`` are drawn (the paper's: WebNLG, real NYT). ``nyt-proxy`` is trained on 4,500
    sentences and scores ~30 points lower: on the same axis it would flatten the WebNLG curves,
    and it is not the paper's setting. Its points stay in :func:`figure3_data`; the caption says
    what was left out."""
    paper_style()
    all_points = figure3_data(results, profiles, protocol)
    data = all_points[all_points["dataset"].isin(datasets)]
    left_out = sorted(set(all_points["dataset"]) - set(datasets))
    fig = new_figure(figsize=(10, 5.0), layout="constrained")
    axes = fig.subplots(1, 2)
    seeds = runs_behind(results, "figure3", datasets)
    for ax, task, letter in zip(axes, TASKS, "AB"):
        for ds in datasets:  # Table 3's K, the paper's choice the curve is read against
            if ((data["dataset"] == ds) & (data["task"] == task)).any():
                ax.axvline(table3_k(ds, task), color=_PALETTE.get(ds, "k"), lw=0.8, ls=":", alpha=0.6,
                           label=f"{DATASET_NAMES.get(ds, ds)}: Table 3's K")
        for (prof, ds), g in data[data["task"] == task].groupby(["profile", "dataset"], sort=False):
            one = seeds[(seeds["profile"] == prof) & (seeds["dataset"] == ds) & (seeds["task"] == task)]
            ax.scatter(one["K"], 100 * one[f"test_{protocol}_f1"], s=9, alpha=0.3, color=_PALETTE.get(ds, "k"),
                       linewidths=0, zorder=2, label=f"{DATASET_NAMES.get(ds, ds)}, {prof}: each seed")
            n = f"n={int(g['n_seeds'].min())}" if g["n_seeds"].nunique() == 1 else \
                f"n={int(g['n_seeds'].min())}–{int(g['n_seeds'].max())}"
            ax.errorbar(g["K"], g["F1_mean"], yerr=g["F1_std"].fillna(0), marker="o", ms=4, capsize=3,
                        color=_PALETTE.get(ds, "k"), ls=_LINES.get(prof, "-."),
                        label=f"{DATASET_NAMES.get(ds, ds)} measured, {prof} ({n} seeds, {int(g['epochs'].max())} ep.)")
        for ds, marker in zip(datasets, ("*", "D")):
            if ds not in paper.DATASETS or not (data["dataset"] == ds).any():
                continue  # no measured curve to read it against: it would only stretch the axis
            pts = paper.figure3_points(ds, task)
            ax.scatter(list(pts), [v.mean for v in pts.values()], marker=marker, s=110 if marker == "*" else 50,
                       facecolors="none", edgecolors=_PALETTE[ds], linewidths=1.5, zorder=5,
                       label=f"{DATASET_NAMES[ds]} paper (K=0, K={paper.chosen_k(ds, task)}; Table 1)")
        ax.set_xticks(range(9))
        ax.set_xlim(-0.4, 8.4)
        ax.set_xlabel("number of interaction layers K")
        ax.set_ylabel(f"F1 (%), {PROTOCOL_NAMES[protocol]}")
        ax.set_title(f"({letter}) {task.capitalize()} Match")
        # below the panel: inside, a legend covers points wherever the curve wanders
        ax.legend(fontsize=7, loc="upper center", bbox_to_anchor=(0.5, -0.16), ncol=2, frameon=False)
    sns.despine(fig)
    drawn = seeds
    caption = "Figure 3 (RIN, Sun et al. 2020) regenerated. " + " | ".join(
        provenance(drawn, p) for p in _profiles(drawn, profiles)) + "."
    if left_out:
        caption += (f" Not drawn: {', '.join(DATASET_NAMES.get(d, d) for d in left_out)} (not the paper's setting; "
                    "its points are in the figure3_points table).")
    caption_under(fig, caption)
    return fig
