"""The one figure writer: figures made outside pyplot, shown as images in notebooks, saved
byte-stable.

Why the notebook part: ``run_all.sh`` and CI export ``MPLBACKEND=Agg`` and kernels inherit
it. Under Agg, IPython registers no image formatter, so a figure returned as a cell's value, or
displayed from a widget callback, shows as its text repr ``<Figure size ...>``. Registering the
PNG formatter ourselves makes display independent of the backend; making figures with
``Figure`` (not ``pyplot``) means no backend also draws them a second time at the end of the cell.

Why byte-stable files: re-rendering committed results with the same numbers must leave
``git status`` clean, so saved figures carry no creation date and a fixed SVG id salt.
"""

from __future__ import annotations

import textwrap
from pathlib import Path
from typing import Any

import matplotlib
import seaborn as sns
from IPython import get_ipython
from IPython.core.pylabtools import select_figure_formats
from IPython.display import display as ipython_display
from matplotlib.figure import Figure

from rinlib.io import atomic_write_with

INLINE_DPI = 110  # inline PNGs: small notebooks, readable labels (the saved files use their own dpi)
PRINT_FORMATS = ("png", "svg", "pdf")  # the paper's figures and the report's: a PDF for papers too
PRINT_DPI = 200
_NO_DATES = {"svg": {"Date": None}, "pdf": {"CreationDate": None}}


def new_figure(**kw: Any) -> Figure:
    """A figure outside pyplot's state (shown only where it is displayed; never leaks)."""
    return Figure(**kw)


def paper_style() -> None:
    """The seaborn theme of the paper's figures (small print, ticks)."""
    sns.set_theme(context="paper", style="ticks", font_scale=1.1)


def caption_under(fig: Figure, caption: str, fontsize: float = 6.5) -> None:
    """The provenance caption under a constrained-layout figure, wrapped to the figure's width.

    ``supxlabel`` takes part in the constrained layout, so the caption gets its own space
    instead of overlapping the axes or relying on ``bbox_inches="tight"`` to be kept."""
    if caption:
        chars_per_inch = 72 / (0.55 * fontsize)  # an average glyph is about 0.55 em wide
        fig.supxlabel(textwrap.fill(caption, int(fig.get_figwidth() * chars_per_inch)), fontsize=fontsize, x=0.01,
                      ha="left", color="0.3")


def save_figure(fig: Figure, stem: str | Path, formats: tuple[str, ...] = ("png", "svg"),
                dpi: int = 150) -> list[Path]:
    """Write ``stem.<fmt>`` for each format, atomically and byte-stable; returns the paths."""
    paths = []
    with matplotlib.rc_context({"svg.hashsalt": "rinlib"}):  # unset, SVG clip/path ids are random
        for fmt in formats:
            path = Path(f"{stem}.{fmt}")
            atomic_write_with(path, lambda tmp, fmt=fmt: fig.savefig(tmp, format=fmt, dpi=dpi, bbox_inches="tight",
                                                                     metadata=_NO_DATES.get(fmt)))
            paths.append(path)
    return paths


def show_inline() -> None:
    """Make IPython show figures as PNG images in the running kernel, whatever the backend.

    Does nothing outside IPython. Called once when this module is imported (every plotting
    module imports it), so a notebook needs no ``%matplotlib`` line; :func:`display` calls it
    again for a kernel started after the import (a test's shell)."""
    shell = get_ipython()
    if shell is None:
        return
    select_figure_formats(shell, {"png"}, dpi=INLINE_DPI, bbox_inches="tight")


def display(*objs: Any, show: Any = None) -> None:
    """Display objects (tables, figures) in the notebook, or hand each to ``show`` (a widget
    output's ``append_display_data``) so that a widget update gets image data too."""
    show_inline()
    if show is not None:
        for obj in objs:
            show(obj)
        return
    ipython_display(*objs)


show_inline()  # once, when the first plotting module imports this one: a figure a cell returns has no other hook
