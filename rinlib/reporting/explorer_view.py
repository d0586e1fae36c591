"""Figures and the interactive view of the interaction explorer (:mod:`rinlib.explorer`).

Figures are built on :class:`matplotlib.figure.Figure` objects (no pyplot state), so a notebook
shows each one exactly once and headless runs need no backend. The interactive view uses
ipywidgets when it is installed *and* a Jupyter server runs the kernel; under papermill/nbval,
or without ipywidgets, it renders the same content statically instead of failing.
"""

from __future__ import annotations

import os
from typing import Any, Sequence

import numpy as np
import pandas as pd
import seaborn as sns
from matplotlib.figure import Figure
from IPython.display import Markdown
from matplotlib.patches import Rectangle

from rinlib.explorer import ExplorerError, LayerView, as_sentence, layer_view, tokenize
from rinlib.model import RIN
from rinlib.records import Sentence, anchor
from rinlib.reporting.figures import caption_under, display


_FIXED, _BROKEN, _ANCHOR = "#2a9d4b", "#c8372d", "#d62728"


def plot_tag_layers(view: LayerView, caption: str = "") -> Figure:
    """Layers × tokens: the argmax BIOES tag written in each cell, coloured by its probability
    (the gold tags, uncoloured, on top when the sentence has gold entities)."""
    tokens = view.sentence.tokens
    table = view.tag_table()
    gold = list(table["gold"]) if "gold" in table else []
    tags = np.array([layer.tags for layer in view.layers], dtype=object)
    probs = np.stack([layer.tag_probs.max(axis=-1) for layer in view.layers])
    names = [f"layer {layer.k}" for layer in view.layers]
    if gold:
        tags = np.vstack([np.array(gold, dtype=object), tags])
        probs = np.vstack([np.full(len(tokens), np.nan), probs])
        names.insert(0, "gold")
    fig = Figure(figsize=(max(6.0, 0.45 * len(tokens)), 0.55 * len(names) + 1.6), layout="constrained")
    ax = fig.subplots()
    sns.heatmap(probs, ax=ax, vmin=0, vmax=1, cmap="Blues", annot=tags, fmt="", annot_kws={"fontsize": 8},
                cbar_kws={"label": "P(argmax tag)", "shrink": 0.8}, xticklabels=tokens, yticklabels=names,
                linewidths=0.3, linecolor="white")
    for i, tag in enumerate(gold):  # seaborn leaves NaN cells unannotated
        ax.text(i + 0.5, 0.5, tag, ha="center", va="center", fontsize=8, fontweight="bold")
    ax.tick_params(axis="x", labelrotation=90, labelsize=8)
    ax.tick_params(axis="y", labelrotation=0)
    ax.set_title("BIOES tags per layer (colour: probability of the shown tag)")
    caption_under(fig, caption)
    return fig


def plot_layer_heatmaps(view: LayerView, relation: str | None = None, caption: str = "",
                        layers: Sequence[int] | None = None) -> Figure:
    """One pair-score heatmap per layer (row i = subject anchor, column j = object anchor):
    max over relations or one ``relation``; ``layers``: only these k (default: all). Red tick
    labels: anchors of the spans decoded at that layer; black boxes: that layer's strict triples;
    white circles: gold triples."""
    tokens = view.sentence.tokens
    drawn = [layer for layer in view.layers if layers is None or layer.k in layers]
    n, L = len(tokens), len(drawn)
    ncols = min(L, 2)  # a notebook column is ~1,000 px: two panels keep the 9-pt token labels readable
    nrows = -(-L // ncols)
    side = float(np.clip(0.2 * n + 1.5, 3.5, 5.0))  # wider figures are scaled down inline: unreadable labels
    fig = Figure(figsize=(side * ncols + 1.0, side * nrows + 0.8), layout="constrained")
    axes = fig.subplots(nrows, ncols, squeeze=False).ravel()
    gold = [t for t in view.gold if relation is None or t.rel == relation]
    for ax, layer in zip(axes, drawn):
        sns.heatmap(view.heatmap(layer.k, relation), ax=ax, vmin=0, vmax=1, cmap="rocket_r", square=True,
                    xticklabels=tokens, yticklabels=tokens, cbar=False)
        anchors = set(view.anchors(layer.k))
        for labels in (ax.get_xticklabels(), ax.get_yticklabels()):
            for i, lab in enumerate(labels):
                if i in anchors:
                    lab.set_color(_ANCHOR)
                    lab.set_fontweight("bold")
        ax.tick_params(labelsize=9)
        shown = [t for t in layer.triples if relation is None or t.rel == relation]
        for t in shown:
            ax.add_patch(Rectangle((anchor(t.obj), anchor(t.subj)), 1, 1, fill=False, lw=1.5, ec="black"))
        if gold:
            ax.scatter([anchor(t.obj) + 0.5 for t in gold], [anchor(t.subj) + 0.5 for t in gold], s=30,
                       facecolors="none", edgecolors="white", linewidths=1.2)
        ax.set_title(f"layer {layer.k}: {len(shown)} triple(s)", fontsize=9)
        ax.set_xlabel("object anchor j", fontsize=8)
        ax.set_ylabel("subject anchor i", fontsize=8)
    for ax in axes[L:]:
        ax.set_visible(False)
    fig.colorbar(axes[0].collections[0], ax=list(axes[:L]), shrink=0.6, label="pair probability")
    what = f"relation {relation!r}" if relation else "max over relations"
    fig.suptitle(f"Pair scores per layer ({what}); red = decoded entity anchors, "
                 "box = predicted triple, circle = gold triple", fontsize=10)
    caption_under(fig, caption)
    return fig


def plot_fixed_broken(transitions: pd.DataFrame, scores: pd.DataFrame | None = None, caption: str = "") -> Figure:
    """Per task (columns): gold triples fixed (up, green) and broken (down, red) at each
    transition k→k+1, net change marked; below, strict P/R/F1 of each layer's own decoding."""
    tasks = list(dict.fromkeys(transitions["task"]))
    if scores is not None:
        tasks += [t for t in dict.fromkeys(scores["task"]) if t not in tasks]
    if not tasks:
        raise ExplorerError("nothing to plot: no transitions and no scores")
    nrows = 1 if scores is None else 2
    fig = Figure(figsize=(4.2 * len(tasks) + 0.5, 3.3 * nrows + 0.6), layout="constrained")
    axes = fig.subplots(nrows, len(tasks), squeeze=False)
    for c, task in enumerate(tasks):
        ax = axes[0, c]
        d = transitions[transitions["task"] == task]
        x = np.arange(len(d))
        ax.bar(x, d["fixed"], color=_FIXED, label="fixed (wrong → right)")
        ax.bar(x, -d["broken"], color=_BROKEN, label="broken (right → wrong)")
        ax.plot(x + 0.3, d["net"], "kD", ms=5, label="net = fixed − broken")
        top = max([1, *d["fixed"], *d["broken"]]) * 1.3
        for xi, (f, b) in enumerate(zip(d["fixed"], d["broken"])):
            ax.annotate(f"+{f}", (xi, f), xytext=(0, 2), textcoords="offset points", ha="center", va="bottom", fontsize=8)
            ax.annotate(f"−{b}", (xi, -b), xytext=(0, -2), textcoords="offset points", ha="center", va="top", fontsize=8)
        ax.axhline(0, color="0.4", lw=0.8)
        ax.set_ylim(-top, top)
        ax.set_xticks(x, list(d["transition"]))
        ax.set_xlabel("transition k→k+1")
        ax.set_ylabel("gold triples")
        n_gold = int(d["n_gold"].iloc[0]) if len(d) else 0
        ax.set_title(f"{task} match ({n_gold} gold triples)", fontsize=10)
        if c == 0:
            ax.legend(fontsize=7, loc="best")
        if scores is not None:
            s = scores[scores["task"] == task]
            ax2 = axes[1, c]
            for col, style in (("P", "s--"), ("R", "o--"), ("F1", "D-")):
                ax2.plot(s["layer"], 100 * s[col], style, label=col)
            ax2.set_xticks(list(s["layer"]))
            ax2.set_xlabel("layer k (decoded alone)")
            ax2.set_ylabel("strict score (%)")
            if c == 0:
                ax2.legend(fontsize=7)
    fig.suptitle("Gold triples fixed / broken between interaction layers", fontsize=11)
    caption_under(fig, caption)
    return fig


# --------------------------------------------------------------------------- static and interactive view

def static_view(model: RIN, meta: dict[str, Any], item: Sentence | Sequence[str] | str,
                relation: str | None = None, caption: str = "", show: Any = None,
                layers: Sequence[int] | None = None) -> LayerView:
    """Display entities, triples, per-layer tags, pair heatmaps and triple changes for one
    sentence, without widgets (or into a widget output: ``show``); returns the :class:`LayerView`."""
    view = layer_view(model, meta, item)
    display(Markdown(f"**Sentence:** {' '.join(view.sentence.tokens)}"),  # whole, not cut like a table cell
             view.entities_table(), view.triples_table(),
             plot_tag_layers(view, caption), plot_layer_heatmaps(view, relation, caption, layers),
             view.triple_changes(), show=show)
    return view


def _ipywidgets() -> Any | None:
    try:
        import ipywidgets
    except ImportError:
        return None
    return ipywidgets


def _jupyter_frontend() -> bool:
    """True when a Jupyter server started this kernel (it sets ``JPY_SESSION_NAME``);
    papermill and nbval start kernels without a frontend that could render widgets."""
    return bool(os.environ.get("JPY_SESSION_NAME"))


def _text_item(text: str, meta: dict[str, Any]) -> list[str]:
    """What the text box holds → the explorer's input: raw text through rinlib.inference's
    tokenizer when it exists, else whitespace-separated tokens."""
    try:
        return tokenize(text, meta)
    except ExplorerError:
        return text.split()


MAX_OVER_RELATIONS = "max over relations"  # the relation menu's first entry (a string: None blanks a Dropdown)
ALL_LAYERS = "all layers"


class ExplorerApp:
    """The interactive explorer: a test-sentence picker, a text box, a relation menu and an
    output area that :meth:`render` fills with the tables and figures of :func:`static_view`.

    Figures go into the output area as display data (PNG), so they draw on the first run and
    after every update, whatever matplotlib backend the kernel has."""

    def __init__(self, widgets: Any, model: RIN, meta: dict[str, Any], first: Sentence,
                 relation: str | None, caption: str, test: Sequence[Sentence] = ()) -> None:
        self.model, self.meta, self.first, self.caption = model, meta, first, caption
        self.test = list(test)
        self.picker = widgets.Dropdown(
            options=[("(typed text)", -1)] + [(f"{i}: {' '.join(s.tokens)[:70]}", i) for i, s in enumerate(self.test)],
            value=-1, description="test sentence", layout=widgets.Layout(width="90%"))
        self.text = widgets.Text(value=" ".join(first.tokens), description="sentence", continuous_update=False,
                                 layout=widgets.Layout(width="90%"))
        self.relation = widgets.Dropdown(options=[MAX_OVER_RELATIONS, *meta["relations"]],
                                         value=relation or MAX_OVER_RELATIONS, description="relation")
        n_layers = int(model.cfg.K) + 1
        self.layer = widgets.Dropdown(options=[(ALL_LAYERS, -1)] + [(f"layer {k}", k) for k in range(n_layers)],
                                      value=-1, description="heatmaps")
        self.go = widgets.Button(description="explore", button_style="primary")
        self.out = widgets.Output()
        self.go.on_click(self.render)
        self.text.observe(self.render, names="value")
        self.relation.observe(self.render, names="value")
        self.layer.observe(self.render, names="value")
        self.picker.observe(self._pick, names="value")
        self.box = widgets.VBox([self.picker, widgets.HBox([self.text, self.go]),
                                 widgets.HBox([self.relation, self.layer]), self.out])

    def _item(self) -> Sentence | list[str]:
        if self.picker.value >= 0 and self.text.value == " ".join(self.test[self.picker.value].tokens):
            return self.test[self.picker.value]  # a test sentence: gold tags and triples are shown too
        if self.text.value == " ".join(self.first.tokens):
            return self.first
        return _text_item(self.text.value, self.meta)

    def _pick(self, _: Any = None) -> None:
        if self.picker.value >= 0:
            self.text.value = " ".join(self.test[self.picker.value].tokens)  # triggers render

    def render(self, _: Any = None) -> None:
        """Redraw the output area for the current sentence and relation."""
        self.out.outputs = ()
        rel = None if self.relation.value == MAX_OVER_RELATIONS else self.relation.value
        try:
            static_view(self.model, self.meta, self._item(), rel, self.caption, show=self.out.append_display_data,
                        layers=None if self.layer.value < 0 else [self.layer.value])
        except ExplorerError as e:
            self.out.append_stdout(f"{e}\n")

    def _ipython_display_(self) -> None:
        display(self.box)


def show_explorer(model: RIN, meta: dict[str, Any], initial: Sentence | Sequence[str] | str,
                  relation: str | None = None, caption: str = "", interactive: bool | None = None,
                  test: Sequence[Sentence] = ()) -> ExplorerApp | LayerView:
    """An :class:`ExplorerApp` (``test``: the sentences its picker offers), or, without a
    Jupyter frontend or ipywidgets (papermill, nbval), the static view of ``initial``.

    ``interactive=None`` uses widgets only under a Jupyter server with ipywidgets installed."""
    widgets = _ipywidgets() if (interactive or (interactive is None and _jupyter_frontend())) else None
    if widgets is None:
        if interactive:
            print("ipywidgets is not installed (pip install -e .[widgets]): showing a static view")
        return static_view(model, meta, initial, relation, caption)
    app = ExplorerApp(widgets, model, meta, as_sentence(initial, meta), relation, caption, test)
    app.render()
    display(app)
    return app
