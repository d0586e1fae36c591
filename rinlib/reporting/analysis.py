"""Error analysis and the case study (paper Table 4) from finished runs' test predictions.

Everything starts from run directories (``predictions_test.jsonl`` + ``config.yaml``): a run's
predictions are aligned with the gold test set by ``sid`` (:func:`load_run`), so the numbers
here are recomputed from the same files the run's ``metrics.json`` came from. All scores are
the ``strict`` protocol unless a function takes ``protocol``; tables give P/R/F1 in percent.

Decisions, documented once here:

* **Several seeds.** Score tables keep one row per seed and summarise as mean ± std over seeds
  (as the paper's Table 1); bar heights are the mean, error bars the standard deviation.
* **Paired bootstrap with several seeds: pooled by sentence.** The resampling unit is the
  test sentence; for each sentence, the correct/predicted/gold counts of *all* seeds of a
  system are summed (the seeds present for both systems), so one draw moves a sentence with
  every seed's prediction together and the tested statistic is the seed-pooled micro F1. Seeds
  of two systems are not naturally paired (seed 1 of RIN shares nothing with seed 1 of the
  ablation but the number), so seed-by-seed tests are reported only as extra rows
  (``pairing = "seed s"``), never as the headline.
* **Case study** uses one seed per system (the smallest seed both have), so every shown triple
  is one model's real output; sentences where the two differ (triples or entities) are ranked
  by correct triples, then wrong triples, then entities (:func:`make_case`), RIN-better first,
  and the counts of every direction are reported, so the shown cases are not cherry-picked.
"""

from __future__ import annotations

import html
import json
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import seaborn as sns

from rinlib.config import DATASETS, VARIANT_LABELS, RunConfig
from rinlib.data import build_word_vocab, dataset_info, load_dataset
from rinlib.data.embeddings import COVERAGE_GROUPS, VECTOR_STATUS, coverage_group, vector_status
from rinlib.data.vocab import Vocab
from rinlib.experiments import experiment_configs
from rinlib.io import atomic_write_text
from rinlib.checkpoint import read_meta
from rinlib.metrics import (PRF, Prediction, by_category, decode_bioes, error_breakdown, match_key,
                            paired_bootstrap, per_relation, protocol_breakdown)
from rinlib.predict import read_predictions
from rinlib.records import Sentence, Span, Triple, anchor
from rinlib.reporting.figures import Figure, caption_under
from rinlib.reporting.tables import markdown, save_table
from rinlib.runs import results_root, run_dir, run_status


SYSTEMS = VARIANT_LABELS
CATEGORY_ORDER = ("Normal", "EPO", "SEO", "1", "2", "3", "4", ">=5")

GoldLoader = Callable[[RunConfig], Sequence[Sentence]]


@dataclass
class RunPredictions:
    """One finished run's test predictions aligned with the gold sentences (same order)."""

    run_dir: Path
    config: RunConfig
    metrics: dict
    provenance: dict
    sentences: list[Sentence]
    predictions: list[Prediction]

    @property
    def system(self) -> str:
        return SYSTEMS[self.config.variant]

    @property
    def dataset(self) -> str:
        return self.config.dataset

    @property
    def task(self) -> str:
        return self.config.task

    @property
    def seed(self) -> int:
        return self.config.seed

    def labels(self) -> dict:
        return {"dataset": self.dataset, "task": self.task, "system": self.system, "seed": self.seed}


def align(gold: Sequence[Sentence], sids: Sequence[str], preds: Sequence[Prediction], where: str) -> list[Sentence]:
    """Gold sentences in the order of ``sids``; the two sets of sids must be equal (no silent subset)."""
    by_sid = {s.sid: s for s in gold}
    missing = [sid for sid in sids if sid not in by_sid]
    if missing:
        raise ValueError(f"{where}: prediction sid {missing[0]!r} is not in the gold test set "
                         f"({len(missing)} unknown sids)")
    if len(set(sids)) != len(by_sid):
        raise ValueError(f"{where}: {len(set(sids))} predicted sentences but {len(by_sid)} gold sentences")
    out = [by_sid[sid] for sid in sids]
    for s, p in zip(out, preds):
        if len(p.tags) != len(s.tokens):
            raise ValueError(f"{where}: sentence {s.sid!r} field 'tags' has {len(p.tags)} tags for "
                             f"{len(s.tokens)} gold tokens")
    return out


def _default_gold(cfg: RunConfig) -> Sequence[Sentence]:
    return load_dataset(cfg.dataset, cfg.task, "test", root=cfg.data_root)


def load_run(run_dir: str | Path, gold: Sequence[Sentence] | None = None) -> RunPredictions:
    """A finished run's test predictions with their gold sentences (default: ``load_dataset``)."""
    run = Path(run_dir)
    path = run / "predictions_test.jsonl"
    if not (run / "metrics.json").exists() or not path.exists():
        raise FileNotFoundError(f"{run}: not a finished run (needs metrics.json and predictions_test.jsonl)")
    cfg = RunConfig.load(run / "config.yaml").resolved()
    sids, preds = read_predictions(path, cfg.threshold)
    sents = align(gold if gold is not None else _default_gold(cfg), sids, preds, str(path))
    prov_path = run / "provenance.json"
    return RunPredictions(run, cfg, json.loads((run / "metrics.json").read_text()),
                          json.loads(prov_path.read_text()) if prov_path.exists() else {}, sents, preds)


def load_runs(run_dirs: Iterable[str | Path], gold: GoldLoader | None = None) -> list[RunPredictions]:
    """Several runs; each (dataset, task, data_root) gold set is loaded once (``gold``: cfg → sentences)."""
    loader = gold or _default_gold
    cache: dict[tuple, Sequence[Sentence]] = {}
    out = []
    for d in run_dirs:
        cfg = RunConfig.load(Path(d) / "config.yaml").resolved()
        k = (cfg.dataset, cfg.task, cfg.data_root)
        if k not in cache:
            cache[k] = loader(cfg)
        out.append(load_run(d, cache[k]))
    return out


def finished_runs(experiment: str, profile: str, **overrides: Any) -> list[RunPredictions]:
    """The finished runs of one experiment of ``rinlib.experiments`` (``table1``, ``nyt_proxy``, …)
    with their test predictions; runs not finished yet are left out (training them is the
    sweep's job: ``rinlib.runs.run``). An experiment the profile skips gives ``[]``."""
    configs = experiment_configs(experiment, profile, **overrides)
    return load_runs([run_dir(c) for c in configs if run_status(c, run_dir(c)) == "cached"])


def _where(run_dir: Path) -> str:
    """A run's directory relative to the results folder, so that the same runs give the same
    provenance in every clone; a run outside it keeps its full path."""
    root, path = results_root().resolve(), Path(run_dir).resolve()
    return str(path.relative_to(root)) if path.is_relative_to(root) else str(path)


def provenance(runs: Sequence[RunPredictions]) -> dict:
    """What every table/figure built from ``runs`` must state (docs/spec.md §4)."""
    def uniq(values: Iterable) -> list:
        return sorted({v for v in values if v is not None}, key=str)
    profiles = uniq(r.config.profile for r in runs)
    return {
        "profile": profiles, "reduced": any(p != "full" for p in profiles),
        "datasets": uniq(r.dataset for r in runs), "tasks": uniq(r.task for r in runs),
        "systems": uniq(r.system for r in runs), "seeds": uniq(r.seed for r in runs),
        "max_epochs": uniq(r.metrics.get("max_epochs") for r in runs),
        "epochs_run": uniq(r.metrics.get("epochs_run") for r in runs),
        "selected_epochs": uniq(r.metrics.get("selected_epoch") for r in runs),
        "protocol": "strict", "devices": uniq(r.provenance.get("device_name") for r in runs),
        "commits": uniq(r.provenance.get("commit") for r in runs),
        "runs": [_where(r.run_dir) for r in runs],
    }


def caption(runs: Sequence[RunPredictions]) -> str:
    """One-line provenance for a figure or table (labels reduced profiles and the NYT proxy)."""
    p = provenance(runs)
    label = "REDUCED (" + "/".join(p["profile"]) + " profile) " if p["reduced"] else ""
    return (f"{label}datasets {', '.join(p['datasets'])}; protocol strict; seeds {p['seeds']}; "
            f"max epochs {p['max_epochs']}, run {p['epochs_run']}, selected {p['selected_epochs']}; "
            f"device {', '.join(p['devices']) or '?'}; commit {', '.join(c[:12] for c in p['commits']) or '?'}")


# --------------------------------------------------------------------------- scores

def _pct(df: pd.DataFrame) -> pd.DataFrame:
    return df.assign(P=df["P"] * 100, R=df["R"] * 100, F1=df["F1"] * 100)


def category_scores(runs: Sequence[RunPredictions], protocol: str = "strict") -> pd.DataFrame:
    """One row per (run, category): Normal / EPO / SEO and 1, 2, 3, 4, >=5 gold triples (percent)."""
    frames = [_pct(by_category(r.sentences, r.predictions, r.task, protocol)).reset_index().assign(**r.labels())
              for r in runs]
    return pd.concat(frames, ignore_index=True)


def relation_scores(runs: Sequence[RunPredictions], top: int = 10) -> pd.DataFrame:
    """Per-relation P/R/F1 (percent) of each run for the ``top`` most frequent gold relations of its test set."""
    frames = []
    for r in runs:
        df = _pct(per_relation(r.sentences, r.predictions, r.task)).reset_index()
        gold_top = df.sort_values(["n_gold", "relation"], ascending=[False, True]).head(top)["relation"]
        frames.append(df[df["relation"].isin(gold_top)].assign(**r.labels()))
    return pd.concat(frames, ignore_index=True)


def error_scores(runs: Sequence[RunPredictions]) -> pd.DataFrame:
    """Entity vs relation errors per run (counts and the entity share of each error kind, percent)."""
    rows = []
    for r in runs:
        e = error_breakdown(r.sentences, r.predictions, r.task)
        rows.append({**r.labels(), **e,
                     "fp_entity_%": 100 * e["fp_entity"] / e["fp_total"] if e["fp_total"] else np.nan,
                     "fn_entity_%": 100 * e["fn_entity"] / e["fn_total"] if e["fn_total"] else np.nan})
    return pd.DataFrame(rows)


def protocol_gaps(runs: Sequence[RunPredictions]) -> pd.DataFrame:
    """Per run, :func:`rinlib.metrics.protocol_breakdown` with both F1s (percent): where the
    authors' word-pair protocol and ``strict`` part on the same predictions."""
    rows = []
    for r in runs:
        b = protocol_breakdown(r.sentences, r.predictions, r.task)
        f1 = {p: 100 * PRF.from_counts(b[gold], b[f"{p}_pred"], b[f"{p}_correct"]).f1
              for p, gold in (("strict", "gold_triples"), ("paper", "paper_gold_keys"))}
        rows.append({**r.labels(), "strict F1": f1["strict"], "paper F1": f1["paper"], **b})
    return pd.DataFrame(rows)


def run_vocab(run: RunPredictions) -> Vocab:
    """The word vocabulary a run trained with: from its ``model.safetensors`` where the run dir
    has one (exact, even for a user's own sentences), else rebuilt from the named data set's
    train split as training built it (a clone holds no per-run weights)."""
    model, c = run.run_dir / "model.safetensors", run.config
    if not model.is_file() and c.dataset in DATASETS:
        train = load_dataset(c.dataset, c.task, "train", root=c.data_root)[: c.max_train]
        # only when the run provably trained on exactly this split (not on sentences of its own)
        if run.provenance.get("dataset_info") == dataset_info(c.dataset) and run.provenance.get("n_train") == len(train):
            return build_word_vocab(train)
    return Vocab.from_dict({"itos": read_meta(model)["words"]})


def recall_by_vectors(runs: Sequence[RunPredictions]) -> pd.DataFrame:
    """Strict recall of gold test triples grouped by what their anchor words' embeddings started
    from (:data:`rinlib.data.embeddings.VECTOR_STATUS`; a triple takes the worse of its two anchors).

    Why: the kit ships only part of GloVe. If that were what costs recall, the triples whose anchor
    word full GloVe would initialise ("random init: full GloVe has a vector") should be recalled
    worse than those whose anchors had a GloVe vector. One row per (run, group); percent."""
    def status(r: RunPredictions, words: list[str]) -> list[str]:
        return vector_status(words, run_vocab(r), r.provenance.get("glove_coverage", {}), r.config.word_dim)

    return _recall_by(runs, status, VECTOR_STATUS)


def recall_by_coverage(runs: Sequence[RunPredictions]) -> pd.DataFrame:
    """Strict recall of gold test triples grouped by whether their anchor words are among the
    2,716 shipped GloVe words, only in full GloVe, or in none (:func:`rinlib.data.embeddings.coverage_group`;
    a triple takes the worse anchor). The groups are the same for every ``vectors`` setting, so a
    run with the complete vectors and one with the 2,716 can be compared group by group: if
    coverage mattered, the group "in full GloVe, not the 2,716" would gain most from the complete
    vectors."""
    return _recall_by(runs, lambda r, words: coverage_group(words, run_vocab(r)), COVERAGE_GROUPS)


def _recall_by(runs: Sequence[RunPredictions], status: Callable[[RunPredictions, list[str]], list[str]],
               groups: Sequence[str]) -> pd.DataFrame:
    """Strict recall per group of a word status (``groups`` worst first; a triple takes its worse anchor)."""
    rows = []
    for r in runs:
        words = sorted({w for s in r.sentences for w in s.tokens})
        of = dict(zip(words, status(r, words)))
        counts = {g: [0, 0] for g in groups}
        for s, p in zip(r.sentences, r.predictions):
            found = {match_key(t, r.task) for t in p.triples}
            for t in s.unique_triples:
                worst = groups[min(groups.index(of[s.tokens[anchor(t.subj)]]), groups.index(of[s.tokens[anchor(t.obj)]]))]
                counts[worst][0] += 1
                counts[worst][1] += match_key(t, r.task) in found
        rows += [{**r.labels(), "vectors": r.config.vectors, "anchor words": k, "n_gold": g, "n_found": c,
                  "R": 100 * c / g if g else np.nan} for k, (g, c) in counts.items()]
    return pd.DataFrame(rows)


def summarize(df: pd.DataFrame, by: Sequence[str], values: Sequence[str] = ("P", "R", "F1")) -> pd.DataFrame:
    """Mean and standard deviation over seeds (``<v>`` and ``<v>_std``) and the number of seeds."""
    g = df.groupby(list(by), sort=False)
    out = g[list(values)].mean()
    std = g[list(values)].std(ddof=1).fillna(0.0).add_suffix("_std")
    return pd.concat([out, std, g["seed"].nunique().rename("n_seeds")], axis=1)


def plot_scores(df: pd.DataFrame, x: str, title: str = "", note: str = "", value: str = "F1",
                order: Sequence[str] | None = None) -> Figure:
    """Bars of ``value`` (mean over seeds, error bar = std) per ``x`` and system, one panel per
    (dataset, task); each bar has its mean written on it. ``note`` goes under the figure."""
    panels = list(df.groupby(["dataset", "task"], sort=False).groups)
    n_x = len(order) if order is not None else df[x].nunique()
    fig = Figure(figsize=(max(6.0, 0.9 * n_x + 4), 3.2 * len(panels)), layout="constrained")
    axes = fig.subplots(len(panels), 1, squeeze=False)[:, 0]
    for ax, (ds, task) in zip(axes, panels):
        part = df[(df["dataset"] == ds) & (df["task"] == task)]
        sns.barplot(data=part, x=x, y=value, hue="system", order=order, errorbar="sd", ax=ax,
                    hue_order=[s for s in SYSTEMS.values() if s in set(part["system"])])
        for container in ax.containers:
            ax.bar_label(container, fmt="%.1f", fontsize=7, padding=2)
        ax.set_title(f"{ds} / {task}" + (f" — {title}" if title else ""), fontsize=10)
        ax.set_ylabel(f"{value} (%)")
        ax.set_ylim(0, max(100.0, float(part[value].max()) + 10))
        ax.legend(fontsize=7, loc="upper left", bbox_to_anchor=(1.0, 1.0), frameon=False)
        ax.tick_params(axis="x", labelrotation=30 if part[x].astype(str).str.len().max() > 8 else 0, labelsize=8)
    caption_under(fig, note)
    return fig


# --------------------------------------------------------------------------- significance

def _pooled_keys(runs: Sequence[RunPredictions]) -> tuple[list[set], list[set]]:
    """Per sentence, gold and predicted match keys of all ``runs`` tagged with the run's position."""
    n, task = len(runs[0].sentences), runs[0].task
    gold = [{(k, match_key(t, task)) for k in range(len(runs)) for t in s.triples} for s in runs[0].sentences]
    pred: list[set] = [set() for _ in range(n)]
    for k, r in enumerate(runs):
        for i, p in enumerate(r.predictions):
            pred[i] |= {(k, match_key(t, task)) for t in p.triples}
    return gold, pred


def significance(runs: Sequence[RunPredictions], a: str = "rin", b: str = "no_interaction", n: int = 1000,
                 seed: int = 0) -> pd.DataFrame:
    """Paired bootstrap of system ``a`` vs ``b`` per (dataset, task): a pooled row (module doc) and one
    row per common seed. F1 and the CI are in percent; ``p_value`` is one-sided (A not better)."""
    rows = []
    for (ds, task), group in _by_setting(runs).items():
        ra = {r.seed: r for r in group if r.config.variant == a}
        rb = {r.seed: r for r in group if r.config.variant == b}
        seeds = sorted(set(ra) & set(rb))
        if not seeds:
            continue
        for s in seeds:
            if [x.sid for x in ra[s].sentences] != [x.sid for x in rb[s].sentences]:
                raise ValueError(f"{ra[s].run_dir} and {rb[s].run_dir} predict different test sentences")
        pairings = [("pooled by sentence", seeds)] + ([(f"seed {s}", [s]) for s in seeds] if len(seeds) > 1 else [])
        for label, ss in pairings:
            gold, pa = _pooled_keys([ra[s] for s in ss])
            _, pb = _pooled_keys([rb[s] for s in ss])
            res = paired_bootstrap(gold, pa, pb, task, n=n, seed=seed)
            rows.append({"dataset": ds, "task": task, "A": SYSTEMS[a], "B": SYSTEMS[b], "pairing": label,
                         "seeds": ",".join(map(str, ss)),
                         **{k: 100 * res[k] for k in ("f1_a", "f1_b", "delta", "ci_low", "ci_high")},
                         "p_value": res["p_value"], "n_resamples": n, "n_sentences": res["n_sentences"]})
    return pd.DataFrame(rows)


def _by_setting(runs: Sequence[RunPredictions]) -> dict[tuple[str, str], list[RunPredictions]]:
    out: dict[tuple[str, str], list[RunPredictions]] = {}
    for r in runs:
        out.setdefault((r.dataset, r.task), []).append(r)
    return out


# --------------------------------------------------------------------------- case study

@dataclass
class SystemOutput:
    """One system's entities and triples on a case sentence, judged against gold."""

    name: str
    entities: list[Span]
    correct: list[Triple]
    wrong: list[Triple]
    missed: list[Triple]


@dataclass
class Case:
    """A sentence with gold and each system's output; ``score`` compares RIN with the other system
    (module doc of :func:`case_studies`), positive when RIN is better."""

    sid: str
    tokens: list[str]
    task: str
    gold: list[Triple]
    gold_entities: list[Span]
    outputs: list[SystemOutput] = field(default_factory=list)
    score: tuple[int, ...] = ()
    label: str = ""


def _judge(name: str, s: Sentence, p: Prediction, task: str) -> SystemOutput:
    gold_keys = {match_key(t, task) for t in s.triples}
    pred = sorted(p.triples)
    pred_keys = {match_key(t, task) for t in pred}
    return SystemOutput(name, decode_bioes(p.tags), [t for t in pred if match_key(t, task) in gold_keys],
                        [t for t in pred if match_key(t, task) not in gold_keys],
                        sorted(t for t in s.unique_triples if match_key(t, task) not in pred_keys))


def _quality(o: SystemOutput, gold_entities: set[Span]) -> tuple[int, int, int, int]:
    right = sum(e in gold_entities for e in o.entities)
    return len(o.correct), -len(o.wrong), right, right - len(o.entities)


def make_case(s: Sentence, outputs: Mapping[str, Prediction], task: str, label: str = "") -> Case:
    """A :class:`Case` for one sentence from ``{system name: prediction}`` (display order kept).

    ``score`` = RIN's minus the best other system's (correct triples, −wrong triples, correct
    entities, −wrong entities), compared lexicographically: triples first, entities break ties
    (the paper's Case 2 differs only in an entity).
    """
    outs = [_judge(name, s, p, task) for name, p in outputs.items()]
    ents = set(s.entities)
    q = {o.name: _quality(o, ents) for o in outs}
    rin = q.get(SYSTEMS["rin"], (0, 0, 0, 0))
    best = max((v for k, v in q.items() if k != SYSTEMS["rin"]), default=(0, 0, 0, 0))
    score = tuple(x - y for x, y in zip(rin, best))
    return Case(s.sid, s.tokens, task, sorted(s.unique_triples), list(s.entities), outs, score, label)


def case_studies(runs: Sequence[RunPredictions], dataset: str, task: str, other: str = "no_interaction",
                 limit: int = 5) -> tuple[list[Case], dict]:
    """Sentences where RIN and ``other`` differ (triples or entities), ``limit`` per direction:
    RIN better first (largest :attr:`Case.score` first), then ``other`` better, then those that
    differ without either being better; with a summary of how many fall in each group."""
    group = _by_setting(runs).get((dataset, task), [])
    rin = {r.seed: r for r in group if r.config.variant == "rin"}
    oth = {r.seed: r for r in group if r.config.variant == other}
    seeds = sorted(set(rin) & set(oth))
    if not seeds:
        raise ValueError(f"no seed with both RIN and {SYSTEMS[other]} runs for {dataset}/{task}")
    a, b = oth[seeds[0]], rin[seeds[0]]
    cases = []
    for s, pa, pb in zip(b.sentences, a.predictions, b.predictions):
        if ({match_key(t, task) for t in pa.triples} != {match_key(t, task) for t in pb.triples}
                or decode_bioes(pa.tags) != decode_bioes(pb.tags)):
            cases.append(make_case(s, {a.system: pa, b.system: pb}, task))
    zero = (0, 0, 0, 0)
    groups = {"RIN better": sorted((c for c in cases if c.score > zero), key=lambda c: (tuple(-x for x in c.score), c.sid)),
              f"{SYSTEMS[other]} better": sorted((c for c in cases if c.score < zero), key=lambda c: (c.score, c.sid)),
              "different, neither better": sorted((c for c in cases if c.score == zero), key=lambda c: c.sid)}
    chosen = []
    for label, members in groups.items():
        for c in members[:limit]:
            c.label = label
            chosen.append(c)
    summary = {"dataset": dataset, "task": task, "seed": seeds[0], "n_sentences": len(b.sentences),
               "n_differ": len(cases), **{label: len(m) for label, m in groups.items()}}
    return chosen, summary


def _text(tokens: Sequence[str], span: Span) -> str:
    return " ".join(tokens[span[0]:span[1]])


def triple_text(tokens: Sequence[str], t: Triple) -> str:
    return f"({_text(tokens, t.subj)}, {t.rel}, {_text(tokens, t.obj)})"


def case_table(cases: Sequence[Case]) -> pd.DataFrame:
    """Gold and each system per case, as text: ✓ correct, ✗ wrong, and the missed gold triples."""
    rows = []
    for c in cases:
        sent = " ".join(c.tokens)
        rows.append({"sid": c.sid, "label": c.label, "sentence": sent, "row": "Gold",
                     "entities": "; ".join(_text(c.tokens, e) for e in c.gold_entities),
                     "triples": "; ".join(triple_text(c.tokens, t) for t in c.gold),
                     "n_correct": len(c.gold), "n_wrong": 0, "n_missed": 0})
        for o in c.outputs:
            rows.append({"sid": c.sid, "label": c.label, "sentence": sent, "row": o.name,
                         "entities": "; ".join(_text(c.tokens, e) for e in o.entities),
                         "triples": "; ".join([f"✓ {triple_text(c.tokens, t)}" for t in o.correct]
                                              + [f"✗ {triple_text(c.tokens, t)}" for t in o.wrong]),
                         "n_correct": len(o.correct), "n_wrong": len(o.wrong), "n_missed": len(o.missed)})
    return pd.DataFrame(rows, columns=["sid", "label", "sentence", "row", "entities", "triples",
                                       "n_correct", "n_wrong", "n_missed"])


def _span(text: str, color: str, extra: str = "") -> str:
    return f'<span style="color:{color};{extra}">{html.escape(text)}</span>'


def case_html(cases: Sequence[Case], title: str = "", note: str = "") -> str:
    """The paper's Table 4 layout: entities in blue; triples green when correct, red when wrong,
    grey and struck through when a gold triple was missed."""
    out = [f"<h4>{html.escape(title)}</h4>" if title else "",
           "<p style='font-size:90%'>entities " + _span("blue", "#1f5fbf") + "; triples "
           + _span("correct", "#1a7f37") + ", " + _span("wrong", "#cf222e") + ", "
           + _span("missed gold", "#888", "text-decoration:line-through") + "</p>"]
    for c in cases:
        out.append(f"<table style='border-collapse:collapse;margin-bottom:1em;font-size:90%'>"
                   f"<tr><td colspan=3><b>{html.escape(c.sid)}</b> {html.escape(c.label)}: "
                   f"{html.escape(' '.join(c.tokens))}</td></tr>")
        rows = [("Gold", c.gold_entities, [(t, "#1a7f37", "") for t in c.gold])]
        rows += [(o.name, o.entities, [(t, "#1a7f37", "") for t in o.correct] + [(t, "#cf222e", "") for t in o.wrong]
                  + [(t, "#888", "text-decoration:line-through") for t in o.missed]) for o in c.outputs]
        for name, ents, trips in rows:
            out.append("<tr style='border-top:1px solid #ddd'>"
                       f"<td style='padding:2px 8px'><b>{html.escape(name)}</b></td>"
                       f"<td style='padding:2px 8px'>{', '.join(_span(_text(c.tokens, e), '#1f5fbf') for e in ents)}</td>"
                       f"<td style='padding:2px 8px'>{'<br>'.join(_span(triple_text(c.tokens, t), col, st) for t, col, st in trips)}</td></tr>")
        out.append("</table>")
    if note:
        out.append(f"<p style='font-size:80%;color:#555'>{html.escape(note)}</p>")
    return "\n".join(out)


def save_cases(cases: Sequence[Case], stem: str | Path, runs: Sequence[RunPredictions], title: str = "") -> list[Path]:
    """``stem.csv``, ``stem.md`` and ``stem.html`` of the cases, with ``stem.provenance.json``."""
    stem = Path(stem)
    table = case_table(cases)
    csv = save_table(table.set_index("sid"), stem, provenance=provenance(runs), index=True)
    note = caption(runs)
    md, page = stem.with_suffix(".md"), stem.with_suffix(".html")
    atomic_write_text(md, (f"## {title}\n\n" if title else "") + markdown(table.drop(columns="sentence"))
                      + f"\n\n{note}\n")
    atomic_write_text(page, case_html(cases, title, note))
    return [csv, md, page]


# --------------------------------------------------------------------------- the paper's own cases

PAPER_CASES = [
    {"case": "Case1", "key": "a cult of victimology arose",
     "paper_text": "A cult of victimology arose and was happily exploited by clever radicals among Europe’s "
                   "Muslims, especially certain religious leaders like Imam Ahmad Abu Laban in Denmark and "
                   "Mullah Krekar in Norway.",
     "rows": {"Gold": ("Europe, Denmark, Norway", "(Europe, /location/location/contains, Denmark); "
                                                  "(Europe, /location/location/contains, Norway)"),
              "RIN w/o interaction": ("Europe, Denmark, Norway", "(Europe, /location/location/contains, Denmark)"),
              "RIN": ("Europe, Denmark, Norway", "(Europe, /location/location/contains, Denmark); "
                                                 "(Europe, /location/location/contains, Norway)")}},
    {"case": "Case2", "key": "bracingly ambitious debut film",
     "paper_text": "Scott (No rating , 75 minutes) Engulfed by nightmares, blackouts and the anxieties of the age, "
                   "a Texas woman flees homeland insecurity for a New York vision quest in this acute, "
                   "resourceful and bracingly ambitious debut film.",
     "rows": {"Gold": ("Scott, New York", "(York, /location/location/contains, Scott)"),
              "RIN w/o interaction": ("Texas, New York", "(York, /location/location/contains, Scott)"),
              "RIN": ("Scott, New York", "(York, /location/location/contains, Scott)")}},
]
"""The two NYT sentences of the paper's Table 4 with the outputs the paper printed."""


def _norm(text: str) -> str:
    return "".join(ch for ch in text.lower() if ch.isalnum())


def find_paper_cases(sentences: Sequence[Sentence]) -> dict[str, Sentence | None]:
    """The paper's case sentences in ``sentences`` (matched on a key phrase, letters and digits only)."""
    return {c["case"]: next((s for s in sentences if _norm(c["key"]) in _norm(" ".join(s.tokens))), None)
            for c in PAPER_CASES}


def locate_paper_cases(root: str | Path | None = None) -> pd.DataFrame:
    """Where the paper's case sentences are in NYT test, for both tasks (sid, or None)."""
    rows = {c["case"]: {"key phrase": c["key"]} for c in PAPER_CASES}
    for task in ("partial", "exact"):
        for name, s in find_paper_cases(load_dataset("nyt", task, "test", root=root)).items():
            rows[name][f"nyt {task} test"] = s.sid if s else None
            if s is not None:
                rows[name]["sentence"] = " ".join(s.tokens)
    return pd.DataFrame.from_dict(rows, orient="index").rename_axis("case")


def paper_case_table() -> pd.DataFrame:
    """The paper's Table 4 as printed (entities and triples per row)."""
    return pd.DataFrame([{"case": c["case"], "row": row, "entities": ents, "triples": trips}
                         for c in PAPER_CASES for row, (ents, trips) in c["rows"].items()])


def paper_cases(runs: Sequence[RunPredictions], dataset: str = "nyt-proxy", task: str = "partial",
                other: str = "no_interaction") -> tuple[list[Case], dict[str, str]]:
    """Our models' output on the paper's case sentences (first common seed), and where each was found."""
    group = _by_setting(runs).get((dataset, task), [])
    rin = {r.seed: r for r in group if r.config.variant == "rin"}
    oth = {r.seed: r for r in group if r.config.variant == other}
    seeds = sorted(set(rin) & set(oth))
    if not seeds:
        return [], {c["case"]: f"no {dataset}/{task} runs of both systems" for c in PAPER_CASES}
    a, b = oth[seeds[0]], rin[seeds[0]]
    index = {s.sid: k for k, s in enumerate(b.sentences)}
    cases, where = [], {}
    for name, s in find_paper_cases(b.sentences).items():
        if s is None:
            where[name] = f"not in {dataset} {task} test"
            continue
        k = index[s.sid]
        cases.append(make_case(s, {a.system: a.predictions[k], b.system: b.predictions[k]}, task,
                               label=f"paper {name} ({dataset} models, seed {seeds[0]})"))
        where[name] = s.sid
    return cases, where
