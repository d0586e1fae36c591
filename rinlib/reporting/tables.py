"""The one table writer: where tables go, how they are written (CSV, Markdown, provenance) and
how a notebook shows them.

Why one module: every table the kit writes (the paper's, the diagnostics', the error
analysis', the explorer's) should land in the same place, in the same formats, with its
provenance beside it, so that a reader finds and trusts them the same way.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from rinlib.io import atomic_write_json, atomic_write_text
from rinlib.runs import results_root

KINDS = ("tables", "figures")
NYT_TRAIN_HINT = ("needs NYT train split (see README): RIN_NYT_TRAIN=<train_triples.json> "
                  "RIN_NYT_EXACT_TRAIN=<train.json> ./run_all.sh --datasets 'webnlg nyt'")
NYT_MISSING = "needs NYT train split ‡"  # a table cell; the caption gets the hint once (:func:`footnoted`)


def out_dir(kind: str, profile: str, root: Path | None = None) -> Path:
    """``<results>/<kind>/<profile>/`` (kind: ``tables`` or ``figures``; ``$RIN_RESULTS`` honoured).
    Not created here: the writers create what they write into."""
    if kind not in KINDS:
        raise ValueError(f"kind must be 'tables' or 'figures', got {kind!r}")
    return Path(root or results_root()) / kind / profile


def fmt(mean: float, std: float | None = None, sep: str = "±") -> str:
    """``87.3±0.4`` (``sep`` between); ``87.3`` when there is no std (one seed, or the paper
    printed none); ``""`` when there is no mean."""
    if mean is None or np.isnan(mean):
        return ""
    return f"{mean:.1f}" if std is None or np.isnan(std) else f"{mean:.1f}{sep}{std:.1f}"


def signed(x: float, se: float | None = None) -> str:
    """A difference with its sign, one decimal: ``+1.2``, ``-0.4``, never ``-0.0``; with its
    standard error where one is known: ``+1.2 ± 0.4``."""
    text = f"{0.0 if round(x, 1) == 0 else x:+.1f}"
    return text if se is None or np.isnan(se) else f"{text} ± {se:.1f}"


MISSING = "—"  # a Markdown cell with no value (a std over one seed, a column a row lacks)


def markdown(df: pd.DataFrame) -> str:
    """A GitHub Markdown table (no extra dependency such as tabulate); ``|`` in cells is escaped,
    a missing value (NaN, None) reads :data:`MISSING`, not ``nan``."""
    def cell(v: object) -> str:
        if pd.api.types.is_scalar(v) and pd.isna(v):
            return MISSING
        return str(v).replace("|", "\\|").replace("\n", " ")
    lines = ["| " + " | ".join(map(cell, df.columns)) + " |", "|" + "---|" * len(df.columns)]
    lines += ["| " + " | ".join(cell(v) for v in row) + " |" for row in df.itertuples(index=False)]
    return "\n".join(lines)


def footnoted(df: pd.DataFrame, caption: str) -> str:
    """The caption, plus the NYT train hint once when a cell of ``df`` needs it (instead of in every cell)."""
    marked = df.astype(str).apply(lambda c: c.str.contains("‡", regex=False)).to_numpy().any() if len(df) else False
    return f"{caption} ‡ {NYT_TRAIN_HINT}." if marked else caption


def save_table(df: pd.DataFrame, path: str | Path, *, caption: str | None = None,
               provenance: dict[str, Any] | None = None, index: bool = False) -> Path:
    """Write ``<stem>.csv``; with a ``caption`` (``""`` for none) also ``<stem>.md`` (the caption,
    :func:`footnoted`, then the table); with ``provenance`` also ``<stem>.provenance.json``.
    Each file is written atomically. Returns the CSV's path."""
    csv = Path(path).with_suffix(".csv")
    atomic_write_text(csv, df.to_csv(index=index))
    if caption is not None:
        caption = footnoted(df, caption)
        atomic_write_text(csv.with_suffix(".md"), (f"{caption}\n\n" if caption else "") + markdown(df) + "\n")
    if provenance is not None:
        atomic_write_json(csv.with_suffix(".provenance.json"), provenance)
    return csv


def styled(df: pd.DataFrame, caption: str = ""):
    """A pandas Styler for notebooks: caption, no index, Δ columns coloured by sign."""
    def colour(v: object) -> str:
        if isinstance(v, str) and v[:1] in "+-" and v[1:].replace(".", "", 1).isdigit():
            return "color: #b22222" if v.startswith("-") else "color: #228b22"
        return ""

    sty = df.style.hide(axis="index").set_caption(footnoted(df, caption))
    delta = [c for c in df.columns if "Δ" in c]
    return sty.map(colour, subset=delta) if delta else sty
