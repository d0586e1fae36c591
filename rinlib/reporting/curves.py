"""One run as a person follows it: its title, its scores, its training curves (live in a
notebook while it trains)."""

from __future__ import annotations

import pandas as pd
from IPython.display import clear_output

from rinlib.config import VARIANT_LABELS, RunConfig
from rinlib.experiments import PROFILES, settings
from rinlib.metrics import PROTOCOLS
from rinlib.reporting.figures import Figure, display, new_figure, paper_style
from rinlib.reporting.paper_results import DATASET_NAMES, METRIC_KEYS, METRICS, PROTOCOL_NAMES


def run_title(cfg: RunConfig) -> str:
    """Short title of one run for curves: data set, task, variant, K, seed, profile."""
    c = cfg.resolved()
    return (f"{DATASET_NAMES.get(c.dataset, c.dataset)} {c.task}, {VARIANT_LABELS[c.variant]}, K={c.K}, "
            f"seed {c.seed} — {settings(c.profile).label if c.profile in PROFILES else c.profile}, "
            f"{c.epochs} epochs max")


def run_scores(result: object) -> pd.DataFrame:
    """Dev and test P/R/F1 (%) of one finished run, both protocols, one row per split × protocol."""
    m = result.metrics  # type: ignore[attr-defined]
    return pd.DataFrame([{"split": split, "protocol": PROTOCOL_NAMES[p],
                          **{k: round(100 * m[split][p][METRIC_KEYS[k]], 2) for k in METRICS},
                          "gold": m[split][p]["n_gold"], "predicted": m[split][p]["n_pred"],
                          "correct": m[split][p]["n_correct"], "selected epoch": m["selected_epoch"]}
                         for split in ("dev", "test") for p in PROTOCOLS])


def training_curves(history: pd.DataFrame, title: str = "") -> Figure:
    """Loss (entity, relation, total) and dev F1 (both protocols) per epoch of one run."""
    paper_style()
    fig = new_figure(figsize=(9, 3.4))
    a, b = fig.subplots(1, 2)
    if not history.empty:
        for col, lab in (("loss", "total"), ("loss_entity", "entity (BIOES CE)"), ("loss_relation", "relation (BCE)")):
            a.plot(history["epoch"], history[col], marker=".", label=lab)
        a.set_yscale("log")
        b.plot(history["epoch"], 100 * history["dev_F1"], marker=".", label="dev F1 strict")
        b.plot(history["epoch"], 100 * history["dev_F1_paper"], marker=".", ls="--", label="dev F1 paper protocol")
    a.set(xlabel="epoch", ylabel="training loss (per batch, log)", title="loss")
    b.set(xlabel="epoch", ylabel="F1 (%)", title="dev F1")
    a.legend(fontsize=7)
    b.legend(fontsize=7)
    fig.suptitle(title, fontsize=9)
    fig.tight_layout()
    return fig


class LiveCurves:
    """``on_epoch`` callback that redraws :func:`training_curves` in a notebook after each epoch."""

    def __init__(self, title: str = "", history: pd.DataFrame | None = None) -> None:
        self.title = title
        self.rows: list[dict] = [] if history is None else history.to_dict("records")

    def __call__(self, row: dict) -> None:
        self.rows.append(row)
        clear_output(wait=True)
        display(training_curves(pd.DataFrame(self.rows), self.title))
