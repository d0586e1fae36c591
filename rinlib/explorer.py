"""How entity and relation predictions refine each other over RIN's K interaction layers.

The paper's one idea (§4.2) is that the entity tags and the relation scores of layer k feed
layer k+1. :meth:`rinlib.model.RIN.forward` with ``return_layers=True`` gives, for
k = 0..K, the tag distribution and the dense pair probabilities; this module decodes every
layer with the kit's ``strict`` protocol (``decode_bioes`` on the argmax tags + pairs with
probability ≥ threshold → :func:`rinlib.metrics.triples_strict`) and counts, over a test set,
which gold triples each transition k→k+1 fixes (wrong → right) or breaks (right → wrong).

Decoding is the same code path as :func:`rinlib.predict.predict` (a
:class:`rinlib.metrics.Prediction` per layer, :func:`rinlib.predict.predict_layer`), so the last layer's triples are the model's
ordinary predictions (tested). Figures live in :mod:`rinlib.reporting.explorer_view`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterable, Sequence

import numpy as np
import pandas as pd
import torch

from rinlib import batching, experiments, inference, runs
from rinlib.checkpoint import load_model
from rinlib.config import RunConfig
from rinlib.data import tag_pos, to_bioes
from rinlib.inference import MODELS
from rinlib.metrics import Prediction, decode_bioes, match_key, prf
from rinlib.model import RIN
from rinlib.predict import encode, predict_layer
from rinlib.provenance import git_commit
from rinlib.records import Sentence, Span, Triple, anchor
from rinlib.runs import RESULTS, results_root

MODELS_DIR = MODELS
"""Shipped models (:mod:`rinlib.inference`'s folder): ``models/<dataset>-<task>.safetensors``."""

PROTOCOL = "strict"


class ExplorerError(ValueError):
    """The explorer got an input it cannot use (unknown sentence, raw text without a tokenizer, …)."""


# --------------------------------------------------------------------------- per-layer decoding

@dataclass
class Layer:
    """One layer k of one sentence: argmax tags, their distribution and the dense pair scores."""

    k: int
    tag_probs: np.ndarray  # (n, 5), columns in TAGS order
    rel_probs: np.ndarray | None  # (n, n, R); None in the sparse test-set path
    prediction: Prediction  # argmax tags + pairs ≥ threshold: the strict decoding input

    @property
    def tags(self) -> list[str]:
        return self.prediction.tags

    @property
    def triples(self) -> set[Triple]:
        return self.prediction.triples


def _threshold(meta: dict[str, Any], threshold: float | None) -> float:
    return float(threshold if threshold is not None else meta["config"].get("threshold", 0.5))


@torch.inference_mode()
def _layers(model: RIN, meta: dict[str, Any], sentences: Sequence[Sentence], batch_size: int,
            threshold: float | None, dense: bool) -> list[list[Layer]]:
    """Every layer of every sentence, in input order. ``dense`` keeps the (n, n, R) scores
    (one sentence's view); without it only what strict decoding needs is kept.

    A layer's ``prediction.pairs`` holds the pairs ≥ threshold whose two words are anchors of
    spans decoded at that layer: exactly the pairs :func:`rinlib.metrics.triples_strict` can
    use, and few even for an untrained model whose scores hover around the threshold.
    """
    thr = _threshold(meta, threshold)
    relations = meta["relations"]
    model.eval()
    device = next(model.parameters()).device
    enc = encode(sentences, meta["words"], meta["pos"], relations)
    out: list[list[Layer] | None] = [None] * len(sentences)
    for batch in batching.batches(enc, batch_size, shuffle=False):
        b = batch.to(device)
        res = model(b.words, b.pos, b.lengths, b.mask, return_layers=True)
        per_sentence: list[list[Layer]] = [[] for _ in batch.index]
        for k, (tag_p, rel_p) in enumerate(res.layers):
            preds = predict_layer(tag_p, rel_p, batch.lengths, relations, thr)
            tag_np = tag_p.float().cpu().numpy()
            rel_np = rel_p.float().cpu().numpy() if dense else None
            for s in range(len(batch.index)):
                n = int(batch.lengths[s])
                per_sentence[s].append(Layer(k, tag_np[s, :n], None if rel_np is None else rel_np[s, :n, :n], preds[s]))
        for s, idx in enumerate(batch.index):
            out[idx] = per_sentence[s]
    return out  # type: ignore[return-value]


def layer_predictions(model: RIN, meta: dict[str, Any], sentences: Sequence[Sentence], batch_size: int = 16,
                      threshold: float | None = None) -> list[list[Prediction]]:
    """``[sentence][k]`` → the layer-k :class:`Prediction` (argmax tags + the pairs ≥ threshold
    between decoded anchors), k = 0..K."""
    return [[layer.prediction for layer in layers]
            for layers in _layers(model, meta, sentences, batch_size, threshold, dense=False)]


def layer_triples(model: RIN, meta: dict[str, Any], sentences: Sequence[Sentence], batch_size: int = 16,
                  threshold: float | None = None) -> list[list[set[Triple]]]:
    """``[sentence][k]`` → the strict triples decoded from layer k alone."""
    return [[p.triples for p in layers] for layers in layer_predictions(model, meta, sentences, batch_size, threshold)]


# --------------------------------------------------------------------------- one sentence

def tokenize(text: str, meta: dict[str, Any]) -> list[str]:
    """Raw text → tokens with :func:`rinlib.inference.tokenize` in the style of the model's
    training data, so the explorer never tokenises differently from extraction."""
    config = RunConfig.from_dict(meta["config"])
    style = inference.Extractor(None, meta, config, Path("<explorer>")).style  # type: ignore[arg-type]
    return inference.tokenize(text, style)


def as_sentence(item: Sentence | Sequence[str] | str, meta: dict[str, Any]) -> Sentence:
    """A :class:`Sentence` from a test sentence, a list of tokens, or raw text (POS-tagged with
    the kit's tagger; no gold triples). ``meta`` (the model's) picks the tokenisation style."""
    if isinstance(item, Sentence):
        return item
    tokens = tokenize(item, meta) if isinstance(item, str) else [str(t) for t in item]
    if not tokens:
        raise ExplorerError("the sentence is empty: give at least one token")
    return Sentence("input", tokens, [], pos=tag_pos(tokens))


def select_sentence(sentences: Sequence[Sentence], which: int | str) -> Sentence:
    """A test sentence by position (int) or by ``sid`` (str)."""
    if isinstance(which, (int, np.integer)) and not isinstance(which, bool):
        if not -len(sentences) <= which < len(sentences):
            raise ExplorerError(f"sentence index {which} is out of range: the set has {len(sentences)} sentences")
        return sentences[which]
    found = [s for s in sentences if s.sid == which]
    if not found:
        raise ExplorerError(f"no sentence with sid {which!r} (first sids: {[s.sid for s in sentences[:5]]})")
    return found[0]


def span_text(sentence: Sentence, span: Span) -> str:
    return " ".join(sentence.tokens[span[0]:span[1]])


@dataclass
class LayerView:
    """Layer-by-layer predictions for one sentence, as tables and matrices to display."""

    sentence: Sentence
    relations: list[str]
    layers: list[Layer]
    task: str
    gold: set[Triple] = field(default_factory=set)

    def heatmap(self, k: int, relation: str | None = None) -> np.ndarray:
        """(n, n) pair scores of layer k: the maximum over relations, or one relation's."""
        rel = self.layers[k].rel_probs
        if relation is None:
            return rel.max(axis=-1)
        if relation not in self.relations:
            raise ExplorerError(f"unknown relation {relation!r}; the model knows {len(self.relations)} relations")
        return rel[:, :, self.relations.index(relation)]

    def anchors(self, k: int) -> list[int]:
        """Anchors (last tokens) of the spans decoded at layer k."""
        return [anchor(s) for s in decode_bioes(self.layers[k].tags)]

    def tag_table(self) -> pd.DataFrame:
        """One row per token: the argmax tag and its probability at every layer (and the gold tag)."""
        df = pd.DataFrame({"token": self.sentence.tokens})
        if self.gold or self.sentence.entities:
            df["gold"] = to_bioes(len(self.sentence.tokens), list(self.sentence.entities))
        for layer in self.layers:
            df[f"tag L{layer.k}"] = layer.tags
            df[f"p L{layer.k}"] = layer.tag_probs.max(axis=-1).round(3)
        return df.rename_axis("i")

    def triple_rows(self, triples: Iterable[Triple]) -> list[dict]:
        gold_keys = {match_key(t, self.task) for t in self.gold}
        return [{"subject": span_text(self.sentence, t.subj), "relation": t.rel,
                 "object": span_text(self.sentence, t.obj), "subj_span": t.subj, "obj_span": t.obj,
                 **({"gold": match_key(t, self.task) in gold_keys} if self.gold else {})}
                for t in sorted(triples)]

    def _columns(self) -> list[str]:
        return ["subject", "relation", "object", "subj_span", "obj_span"] + (["gold"] if self.gold else [])

    def triples_table(self, k: int = -1) -> pd.DataFrame:
        """The triples decoded at layer k (default: the last, i.e. the model's prediction)."""
        return pd.DataFrame(self.triple_rows(self.layers[k].triples), columns=self._columns())

    def entities_table(self, k: int = -1) -> pd.DataFrame:
        """The entity spans decoded at layer k."""
        return pd.DataFrame([{"span": s, "text": span_text(self.sentence, s)} for s in decode_bioes(self.layers[k].tags)],
                            columns=["span", "text"])

    def triple_changes(self) -> pd.DataFrame:
        """Triples that appear or disappear from layer k to k+1 (strict decoding of each layer)."""
        rows = []
        for a, b in zip(self.layers, self.layers[1:]):
            for change, diff in (("appeared", b.triples - a.triples), ("disappeared", a.triples - b.triples)):
                rows += [{"transition": f"{a.k}→{b.k}", "change": change, **r} for r in self.triple_rows(diff)]
        return pd.DataFrame(rows, columns=["transition", "change"] + self._columns())


def layer_view(model: RIN, meta: dict[str, Any], item: Sentence | Sequence[str] | str,
               threshold: float | None = None) -> LayerView:
    """Per-layer tags (+ probabilities), dense pair scores and strict triples for one sentence:
    a test :class:`Sentence` (gold shown beside), a list of tokens, or raw text."""
    sentence = as_sentence(item, meta)
    layers = _layers(model, meta, [sentence], 1, threshold, dense=True)[0]
    return LayerView(sentence, list(meta["relations"]), layers, meta["config"]["task"], set(sentence.triples))


# --------------------------------------------------------------------------- a whole test set

_COUNTS = ("correct_before", "correct_after", "fixed", "broken", "appeared", "disappeared",
           "wrong_appeared", "wrong_disappeared")
TRANSITION_COLUMNS = ("task", "transition", "from_layer", "to_layer", "n_gold", *_COUNTS[:4], "net", *_COUNTS[4:])


def fixed_broken(gold: Sequence[Iterable[Triple]], per_layer_predictions: Sequence[Sequence[Iterable[Triple]]],
                 task: str) -> pd.DataFrame:
    """Per transition k→k+1: gold triples fixed (absent at k, predicted at k+1) and broken
    (predicted at k, absent at k+1), and the churn of predicted triples (``appeared`` /
    ``disappeared``, of which ``wrong_*`` are not gold). Triples are compared by
    :func:`rinlib.metrics.match_key`, so partial match counts anchors, exact match full spans.

    ``gold[i]`` are sentence i's gold triples, ``per_layer_predictions[i][k]`` its triples decoded
    from layer k; every sentence must have the same number of layers.
    """
    if len(gold) != len(per_layer_predictions):
        raise ExplorerError(f"gold has {len(gold)} sentences but the predictions have {len(per_layer_predictions)}")
    depths = {len(p) for p in per_layer_predictions}
    if len(depths) > 1:
        raise ExplorerError(f"sentences have different numbers of layers: {sorted(depths)}")
    n_layers = depths.pop() if depths else 0
    counts = np.zeros((max(n_layers - 1, 0), len(_COUNTS)), dtype=np.int64)
    n_gold = 0
    for g, layers in zip(gold, per_layer_predictions):
        gk = {match_key(t, task) for t in g}
        n_gold += len(gk)
        keys = [{match_key(t, task) for t in p} for p in layers]
        for k, (a, b) in enumerate(zip(keys, keys[1:])):
            up, down = b - a, a - b
            counts[k] += (len(a & gk), len(b & gk), len(up & gk), len(down & gk),
                          len(up), len(down), len(up - gk), len(down - gk))
    rows = []
    for k, c in enumerate(counts):
        row = dict(zip(_COUNTS, (int(x) for x in c)))
        rows.append({"task": task, "transition": f"{k}→{k + 1}", "from_layer": k, "to_layer": k + 1,
                     "n_gold": n_gold, **row, "net": row["fixed"] - row["broken"]})
    return pd.DataFrame(rows, columns=list(TRANSITION_COLUMNS))


def layer_scores(gold: Sequence[Iterable[Triple]], per_layer_predictions: Sequence[Sequence[Iterable[Triple]]],
                 task: str) -> pd.DataFrame:
    """Strict micro P/R/F1 of each layer's own decoding (the last layer is the model's score)."""
    n_layers = len(per_layer_predictions[0]) if per_layer_predictions else 0
    rows = []
    for k in range(n_layers):
        r = prf(gold, [p[k] for p in per_layer_predictions], task)
        rows.append({"task": task, "layer": k, "n_gold": r.n_gold, "n_pred": r.n_pred, "n_correct": r.n_correct,
                     "P": r.precision, "R": r.recall, "F1": r.f1})
    return pd.DataFrame(rows, columns=["task", "layer", "n_gold", "n_pred", "n_correct", "P", "R", "F1"])


@dataclass
class LayerStudy:
    """A test set seen layer by layer: per-sentence triples, transitions and per-layer scores."""

    task: str
    triples: list[list[set[Triple]]]
    transitions: pd.DataFrame
    scores: pd.DataFrame


def test_set_layers(model: RIN, meta: dict[str, Any], sentences: Sequence[Sentence], task: str | None = None,
                    batch_size: int = 16, threshold: float | None = None) -> LayerStudy:
    """Decode every layer of every sentence and count fixed/broken gold triples per transition.
    ``task`` defaults to the task the model was trained for."""
    task = task or meta["config"]["task"]
    triples = layer_triples(model, meta, sentences, batch_size, threshold)
    gold = [s.triples for s in sentences]
    return LayerStudy(task, triples, fixed_broken(gold, triples, task), layer_scores(gold, triples, task))


test_set_layers.__test__ = False  # a library function whose name starts with "test", not a pytest test


# --------------------------------------------------------------------------- which model

@dataclass
class ExplorerModel:
    """A loaded model and where it came from (stated in every table and figure)."""

    model: RIN
    meta: dict[str, Any]
    path: Path
    source: str  # "shipped", "full run" or "<profile> run"

    def provenance(self) -> dict[str, Any]:
        """The fields every explorer table/figure carries."""
        c = self.meta["config"]
        profile = c.get("profile", "?")
        label = _profile_label(profile)
        return {"model_source": self.source, "model_path": _relative(self.path), "profile": profile,
                "label": label, "dataset": c["dataset"], "task": c["task"], "K": c["K"], "seed": c["seed"],
                "selected_epoch": self.meta.get("epoch"), "max_epochs": c["epochs"], "protocol": PROTOCOL,
                "threshold": c.get("threshold", 0.5), "device": str(next(self.model.parameters()).device),
                "commit": git_commit()}

    def caption(self) -> str:
        p = self.provenance()
        return (f"{p['label']}: {p['dataset']}/{p['task']} RIN K={p['K']} seed {p['seed']}, "
                f"epoch {p['selected_epoch']}/{p['max_epochs']} ({p['model_source']}: {p['model_path']}); "
                f"{p['protocol']} protocol; {p['device']}; commit {p['commit'][:12]}")


def _profile_label(profile: str) -> str:
    """The profile's own label (says REDUCED / SMOKE TEST); unknown profiles are REDUCED too."""
    try:
        return experiments.settings(profile).label
    except experiments.ProfileError:
        return f"REDUCED ({profile} profile)"


def _relative(path: Path) -> str:
    try:
        return str(Path(path).resolve().relative_to(RESULTS.parent))
    except ValueError:
        return str(path)


def _finished_full_run(dataset: str, task: str, runs_root: Path) -> Path | None:
    """The lowest-seed finished full-profile RIN run (``metrics.json`` present) with the default K."""
    K = RunConfig(dataset=dataset, task=task).resolved().K
    seeds = [d for d in (runs_root / "full" / dataset / task / "rin" / f"K{K}").glob("seed*") if d.name[4:].isdigit()]
    for run in sorted(seeds, key=lambda d: int(d.name[4:])):
        if (run / "metrics.json").exists() and (run / "model.safetensors").exists():
            return run / "model.safetensors"
    return None


def _profile_run(dataset: str, task: str, profile: str) -> Path:
    """The profile's Table 1 RIN run of (dataset, task), lowest seed; the sweep reuses it when
    finished and trains (or resumes) it otherwise."""
    configs = [c for c in experiments.experiment_configs("table1", profile, dataset=dataset)
               if c.task == task and c.variant == "rin"]
    if not configs:
        raise ExplorerError(f"profile {profile!r} has no Table 1 RIN run for {dataset}/{task}")
    result = runs.run([min(configs, key=lambda c: c.seed)])[0]
    path = Path(result.out_dir) / "model.safetensors"
    if not path.exists():
        raise ExplorerError(f"{path}: the {profile} run of {dataset}/{task} finished without a model file")
    return path


def find_model(dataset: str, task: str, profile: str, models_dir: str | Path | None = None,
               runs_root: str | Path | None = None) -> tuple[Path, str]:
    """The model to explore and its source, best first: the shipped
    ``models/<dataset>-<task>.safetensors``, a finished full-profile run, else the profile's own
    Table 1 run (trained through :func:`rinlib.runs.run` when missing)."""
    shipped = Path(models_dir or MODELS_DIR) / f"{dataset}-{task}.safetensors"
    if shipped.exists():
        return shipped, "shipped"
    full = _finished_full_run(dataset, task, Path(runs_root or results_root() / "runs"))
    if full is not None:
        return full, "full run"
    return _profile_run(dataset, task, profile), f"{profile} run"


def load_explorer_model(dataset: str, task: str, profile: str, device: str = "cpu", path: str | Path | None = None,
                        models_dir: str | Path | None = None, runs_root: str | Path | None = None) -> ExplorerModel:
    """Load ``path`` when given (source "given file"), else the model :func:`find_model` picks."""
    if path is not None:
        path, source = Path(path), "given file"
    else:
        path, source = find_model(dataset, task, profile, models_dir, runs_root)
    model, meta = load_model(path, device=device)
    if meta["config"]["task"] != task or meta["config"]["dataset"] != dataset:
        raise ExplorerError(f"{path}: a {meta['config']['dataset']}/{meta['config']['task']} model, "
                            f"not {dataset}/{task}")
    return ExplorerModel(model, meta, path, source)


def sources_table(models: dict[str, ExplorerModel]) -> pd.DataFrame:
    """One row per task: which model the notebook uses and its provenance."""
    return pd.DataFrame([m.provenance() for m in models.values()], index=pd.Index(list(models), name="task"))


def with_provenance(df: pd.DataFrame, models: dict[str, ExplorerModel]) -> pd.DataFrame:
    """``df`` (with a ``task`` column) plus the provenance columns of each task's model, so a
    saved CSV states where its numbers came from."""
    prov = sources_table(models).drop(columns=["task"])
    return df.join(prov, on="task")


def study_tables(studies: dict[str, LayerStudy]) -> tuple[pd.DataFrame, pd.DataFrame]:
    """All tasks' transitions and per-layer scores. The models' provenance is shown once
    (:func:`sources_table`) and added to each row only in the saved CSVs (:func:`with_provenance`),
    so the displayed tables stay narrow."""
    transitions = pd.concat([s.transitions for s in studies.values()], ignore_index=True)
    scores = pd.concat([s.scores for s in studies.values()], ignore_index=True)
    return transitions, scores
