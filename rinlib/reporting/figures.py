"""Figures in notebooks: every figure the kit makes is a ``matplotlib.figure.Figure`` that shows
as an image wherever IPython displays it.

Why: ``run_all.sh`` and CI export ``MPLBACKEND=Agg`` and kernels inherit it. Under Agg, IPython
registers no image formatter, so a figure returned as a cell's value, or displayed from a widget
callback, shows as its text repr ``<Figure size ...>``. Registering the PNG formatter ourselves
makes display independent of the backend; making figures with ``Figure`` (not ``pyplot``) means
no backend also draws them a second time at the end of the cell.
"""

from __future__ import annotations

import sys
from typing import Any

from matplotlib.figure import Figure

INLINE_DPI = 110  # inline PNGs: small notebooks, readable labels (the saved files use their own dpi)


def new_figure(**kw: Any) -> Figure:
    """A figure outside pyplot's state (shown only where it is displayed; never leaks)."""
    return Figure(**kw)


def show_inline() -> None:
    """Make IPython show figures as PNG images in the running kernel, whatever the backend.

    Does nothing outside IPython. Called once when this module is imported (every plotting
    module imports it), so a notebook needs no ``%matplotlib`` line; :func:`display` calls it
    again for a kernel started after the import (a test's shell)."""
    ipython = sys.modules.get("IPython")
    shell = ipython.get_ipython() if ipython is not None else None
    if shell is None:
        return
    from IPython.core.pylabtools import select_figure_formats

    select_figure_formats(shell, {"png"}, dpi=INLINE_DPI, bbox_inches="tight")


def display(*objs: Any, show: Any = None) -> None:
    """Display objects (tables, figures) in the notebook, or hand each to ``show`` (a widget
    output's ``append_display_data``) so that a widget update gets image data too."""
    show_inline()
    if show is not None:
        for obj in objs:
            show(obj)
        return
    from IPython.display import display as ipython_display

    ipython_display(*objs)


show_inline()  # once, when the first plotting module imports this one: a figure a cell returns has no other hook
