"""Seeds, the training loop, model selection on dev, and safe, resumable checkpoints.

A run directory holds (all written atomically):
``config.yaml`` (resolved config), ``provenance.json``, ``history.csv`` (one row per epoch),
``checkpoint.pt`` (last epoch: weights, optimiser, RNG state; loads with
``torch.load(weights_only=True)``; git-ignored), ``model.safetensors`` (the dev-selected
model with the vocabularies in its metadata; what inference loads), and, once finished,
``metrics.json`` + ``predictions_{dev,test}.jsonl`` (the format of :mod:`rinlib.predict`,
which also turns the model's output into the predictions scored here), and for full-schedule
runs ``operating_points.csv`` (the selected model's strict dev and test scores at pair thresholds
0.1 … 0.9; a diagnostic, read by no selection).

Model selection never sees test data: the selected model is scored on test once, after the
epoch loop. A full-schedule run also writes ``test_curve.csv``, the *sealed* test curve (test
scores after every epoch), which nothing in training, selection or the tables reads; it exists
only to measure what selecting on test, as the authors' ``train.py`` does, would report
(:class:`SealedTestCurve`).
"""

from __future__ import annotations

import json
import math
import os
import random
import time
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Callable, Sequence

import numpy as np
import pandas as pd
import torch
from tqdm.auto import tqdm

from rinlib import batching, provenance
from rinlib.checkpoint import load_checkpoint, load_model, save_checkpoint, save_model
from rinlib.config import RunConfig
from rinlib.inputs import Prepared, prepare
from rinlib.io import atomic_write_json, atomic_write_text, watched
from rinlib.metrics import OPERATING_POINTS, Prediction, evaluate, split_scores
from rinlib.model import RIN, build_model
from rinlib.predict import encode, operating_points, predict, write_predictions
from rinlib.records import Sentence


class TrainingError(RuntimeError):
    """Training cannot go on (non-finite loss, a checkpoint of another config, …)."""


def set_seed(seed: int) -> None:
    """One seed for Python, NumPy and torch (CPU and CUDA). Data order has its own seeded
    generator per epoch (:func:`rinlib.batching.batches`), so it is fixed by the seed too."""
    random.seed(seed)
    np.random.seed(seed)
    torch.manual_seed(seed)
    if torch.cuda.is_available():
        torch.cuda.manual_seed_all(seed)


def resolve_device(name: str) -> torch.device:
    """``"auto"`` → CUDA when available, else CPU; a missing CUDA device is an error, not a fallback."""
    if name == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    if name.startswith("cuda") and not torch.cuda.is_available():
        raise TrainingError(f"device {name!r} requested but torch sees no CUDA device")
    return torch.device(name)


@dataclass
class RunResult:
    """A finished run: where it lives, its resolved config and its metrics."""

    out_dir: Path
    config: RunConfig
    metrics: dict
    history: pd.DataFrame


class _Twin:
    """One run directory of a twin group (:func:`twin_key`): the primary run that owns the
    training and its checkpoint, or one of the twins trained in the same loop. Each keeps its
    config, data, metadata and its own model selection (best dev epoch, patience counter,
    history), because twins share the network, never the choice of epoch."""

    def __init__(self, cfg: RunConfig, out: Path, prep: Prepared, state: dict | None = None) -> None:
        self.cfg, self.out, self.prep = cfg, out, prep
        self.meta = {"config": cfg.to_dict(), "key": cfg.key(), "words": prep.words, "pos": prep.pos,
                     "relations": prep.relations}
        self.state = state or {"epoch": 0, "history": [], "best_f1": -1.0, "best_epoch": 0, "bad_epochs": 0}

    def active(self) -> bool:
        """Still selecting: below its maximum epochs and its patience not used up."""
        s, c = self.state, self.cfg
        return s["epoch"] < c.epochs and not (c.patience and s["bad_epochs"] >= c.patience)

    def record(self, row: dict, model: RIN) -> None:
        """Add an epoch's dev row; save the model when it is this run's best so far."""
        self.state["history"].append(row)
        self.state["epoch"] = row["epoch"]
        if row["dev_F1"] > self.state["best_f1"]:
            self.state.update(best_f1=row["dev_F1"], best_epoch=row["epoch"], bad_epochs=0)
            save_model(self.out / "model.safetensors", model, {**self.meta, "epoch": row["epoch"],
                                                               "dev_f1": row["dev_F1"]})
        else:
            self.state["bad_epochs"] += 1
        atomic_write_text(self.out / "history.csv", pd.DataFrame(self.state["history"]).to_csv(index=False))


class SealedTestCurve:
    """The sealed per-epoch test scores of the runs of a twin group.

    Sealed: this object only writes. Its rows live in ``test_curve.csv`` and in the checkpoint
    (so a resumed run keeps its curve whole), never in the state that selection and early
    stopping read; deleting or editing the file changes no other result (tested)."""

    COLUMNS = ("epoch", "test_P", "test_R", "test_F1", "test_F1_paper")

    def __init__(self, group: Sequence[_Twin], saved: dict[str, list[dict]]) -> None:
        self.group = [t for t in group if t.cfg.writes_test_curve]
        self.rows = {t.cfg.key(): list(saved.get(t.cfg.key(), [])) for t in self.group}
        self._test: list[tuple[list[Sentence], list[batching.Encoded]]] = []
        self._passes: list[int] = []

    def _data(self) -> list[tuple[list[Sentence], list[batching.Encoded]]]:
        if not self._test:  # loaded on the first epoch that scores test, once per training
            for t in self.group:
                sents = t.prep.load_test() or []  # a user's folder may have no test split: no rows
                self._test.append((sents, encode(sents, t.prep.words, t.prep.pos, t.prep.relations)))
            self._passes = _shared_passes([enc for _, enc in self._test])
        return self._test

    def score(self, model: RIN, epoch: int, live: Sequence[_Twin]) -> None:
        """Score the runs still selecting at this epoch on test; append and write their rows."""
        preds: dict[int, list[Prediction]] = {}  # one prediction pass per distinct test set
        for t, (sents, enc), shared in zip(self.group, self._data() if self.group else [], self._passes):
            if t not in live or not sents:
                continue
            if shared not in preds:
                preds[shared] = predict(model, enc, t.prep.relations, threshold=t.cfg.threshold)
            res = evaluate(sents, preds[shared], t.cfg.task)
            rows = [r for r in self.rows[t.cfg.key()] if r["epoch"] < epoch]
            rows.append({"epoch": epoch, "test_P": res["strict"].precision, "test_R": res["strict"].recall,
                         "test_F1": res["strict"].f1, "test_F1_paper": res["paper"].f1})
            self.rows[t.cfg.key()] = rows
            atomic_write_text(t.out / "test_curve.csv", pd.DataFrame(rows, columns=self.COLUMNS).to_csv(index=False))


def twin_key(cfg: RunConfig) -> str:
    """The trajectory key without the task: runs of one data set that differ only in the task
    train the same network on the same data (WebNLG: partial and exact share sentences and
    full-span targets; the task only decides how dev and test are scored), so one training
    can serve both, each selecting its own epoch (:func:`train`, ``twins``)."""
    return replace(cfg.resolved(), task="partial", epochs=0, patience=None).key()


def _check_twin(primary: _Twin, twin: _Twin, train_enc: list[batching.Encoded]) -> None:
    """A twin must train on exactly the primary's data, or sharing its training would be wrong."""
    if twin_key(twin.cfg) != twin_key(primary.cfg) or twin.cfg.task == primary.cfg.task:
        raise TrainingError(f"{twin.out} ({twin.cfg.task}) is not a twin of {primary.out}: their configs "
                            "differ in more than the task")
    if (twin.prep.words, twin.prep.pos, twin.prep.relations) != (primary.prep.words, primary.prep.pos,
                                                                  primary.prep.relations):
        raise TrainingError(f"{twin.out}: vocabularies differ from {primary.out}; cannot share training")
    if not np.array_equal(twin.prep.vectors, primary.prep.vectors):
        raise TrainingError(f"{twin.out}: word-vector initialisation differs from {primary.out}")
    other = encode(twin.prep.train, twin.prep.words, twin.prep.pos, twin.prep.relations)
    if not _same_encoding(train_enc, other, ("words", "pos", "tags", "rels")):
        raise TrainingError(f"{twin.out}: its training data differs from {primary.out}; train it on its own")


def train(cfg: RunConfig, out_dir: str | Path | None = None, *, resume: bool = True,
          prepared: Prepared | None = None, on_epoch: Callable[[dict], None] | None = None,
          twins: Sequence[tuple[RunConfig, Path, Prepared | None]] = ()) -> RunResult:
    """Train one configuration; select the epoch with the best dev F1 (strict protocol).

    With ``resume`` an existing ``checkpoint.pt`` of the *same* config (same key) is continued
    from its last finished epoch, with the optimiser and RNG state it saved, so the result is
    the one an uninterrupted run gives. A checkpoint whose config differs only in the schedule
    (``epochs``, ``patience``; same :meth:`RunConfig.trajectory_key`) continues too: that
    extends a run, or closes it early as a run of fewer epochs, without retraining. ``on_epoch``
    is called with each history row of this run (live plots in the notebooks; tests use it to
    simulate an interruption).

    ``twins``: ``(config, run dir, prepared or None)`` of runs that differ from ``cfg`` only in
    the task and train on identical data (:func:`twin_key`; checked). They train in this
    loop: each is scored on its own dev protocol every epoch, selects its own epoch, has its
    own patience, and gets its own finished run directory, exactly what training it alone
    gives; the shared loop runs until every twin has stopped. Their selection state lives in
    this run's checkpoint; a twin that is not in a resumed checkpoint is left untouched (it
    trains on its own later).

    The steps keep one order of RNG use (the seed, the model's initialisation, on resume the
    saved RNG state, then each epoch's dropout), so a repeated or resumed run reproduces an
    uninterrupted one bit for bit.
    """
    cfg = cfg.resolved()
    out = Path(out_dir or cfg.out_dir or "results/runs/adhoc")
    out.mkdir(parents=True, exist_ok=True)
    device = resolve_device(cfg.device)
    if cfg.num_threads:
        torch.set_num_threads(cfg.num_threads)
    set_seed(cfg.seed)
    prep = prepared or prepare(cfg)
    train_enc = encode(prep.train, prep.words, prep.pos, prep.relations)
    model, opt = _new_model(cfg, prep, device)
    previous = RunConfig.load(out / "config.yaml") if (out / "config.yaml").exists() else None
    group = _twin_group(_Twin(cfg, out, prep), twins, train_enc)
    trained = 0  # epochs the network has been trained (a twin may have stopped selecting earlier)
    curves: dict[str, list[dict]] = {}
    ckpt_path = out / "checkpoint.pt"
    if resume and ckpt_path.exists():
        group, trained, curves = _resume(ckpt_path, previous, group, model, opt, device)
    elif not resume:
        for t in group:
            for stale in ("metrics.json", "model.safetensors"):
                (t.out / stale).unlink(missing_ok=True)
    _record_session(group, device, trained)
    dev_enc, dev_pass = _dev_passes(group)

    test_curve = SealedTestCurve(group, curves)
    t_start = time.time()
    epochs = max(t.cfg.epochs for t in group)
    for epoch in range(trained + 1, epochs + 1):
        live = [(t, dev_enc[k], dev_pass[k]) for k, t in enumerate(group) if t.active()]
        if not live:
            break
        t0 = time.time()
        losses = _run_epoch(model, opt, train_enc, cfg, device, epoch, epochs)
        _score_dev(model, live, epoch, losses, t0, train_time=time.time() - t0)
        test_curve.score(model, epoch, [t for t, _, _ in live])  # after selection: it cannot inform it
        save_checkpoint(ckpt_path, _checkpoint(cfg, model, opt, device, group, epoch, test_curve))
        _after_epoch(group[0], epoch, cfg.progress, on_epoch)

    wall = time.time() - t_start
    dirs = [str(t.out) for t in group]
    for t in group[1:]:
        finish(t.cfg, t.out, t.prep, t.meta, t.state, device, wall, shared_with=[d for d in dirs if d != str(t.out)])
    return finish(cfg, out, prep, group[0].meta, group[0].state, device, wall, shared_with=dirs[1:])


def _new_model(cfg: RunConfig, prep: Prepared, device: torch.device) -> tuple[RIN, torch.optim.Optimizer]:
    """The freshly initialised network (it draws from the seeded RNG, so it must be built right
    after :func:`set_seed` and the data) with its word vectors, and its optimiser."""
    model = build_model(cfg, len(prep.words), len(prep.pos), len(prep.relations))
    model.set_word_vectors(torch.from_numpy(prep.vectors).float(), trainable=cfg.finetune_words)
    model.to(device)
    opt = torch.optim.Adam([p for p in model.parameters() if p.requires_grad], lr=cfg.lr)
    return model, opt


def _twin_group(primary: _Twin, twins: Sequence[tuple[RunConfig, Path, Prepared | None]],
                train_enc: list[batching.Encoded]) -> list[_Twin]:
    """``[primary, *twins]``, each twin checked to train on exactly the primary's data (a
    refused twin raises before anything is written)."""
    group = [primary] + [_Twin(t_cfg.resolved(), Path(t_out), t_prep or prepare(t_cfg))
                         for t_cfg, t_out, t_prep in twins]
    for twin in group[1:]:
        _check_twin(primary, twin, train_enc)
    return group


def _resume(ckpt_path: Path, previous: RunConfig | None, group: list[_Twin], model: RIN,
            opt: torch.optim.Optimizer, device: torch.device) -> tuple[list[_Twin], int, dict[str, list[dict]]]:
    """Load the checkpoint's weights, optimiser and RNG state and every run's selection state,
    so training continues exactly where it stopped. Returns the runs it continues (a twin the
    checkpoint does not hold is dropped: it trains on its own later), the epochs the network
    has been trained and the sealed test curves so far.

    Refuses a checkpoint of another trajectory (:meth:`RunConfig.trajectory_key`: same config
    but the schedule), one past this config's epochs, and one trained past this run's last
    epoch for a twin while this run still selects (that schedule cannot be extended)."""
    cfg, primary = group[0].cfg, group[0]
    ck = load_checkpoint(ckpt_path)
    # a checkpoint without a stored trajectory key: take it from the config that wrote it
    trajectory = ck.get("trajectory_key") or (
        previous.trajectory_key() if previous is not None and previous.key() == ck["key"] else None)
    if ck["key"] != cfg.key() and trajectory != cfg.trajectory_key():
        raise TrainingError(f"{ckpt_path} belongs to config {ck['key']}, not {cfg.key()}; "
                            "use another --out, or --restart to train from scratch")
    model.load_state_dict(ck["model"])
    opt.load_state_dict(ck["optimizer"])
    torch.set_rng_state(ck["rng_cpu"])
    if device.type == "cuda" and "rng_cuda" in ck:
        torch.cuda.set_rng_state(ck["rng_cuda"])
    primary.state = json.loads(ck["state"])
    trained = int(ck.get("trained_epochs", primary.state["epoch"]))
    if trained > cfg.epochs:
        raise TrainingError(f"{ckpt_path} is at epoch {trained}, past this config's {cfg.epochs} epochs")
    saved = json.loads(ck.get("twins", "{}"))
    for twin in group[1:]:
        twin.state = saved.get(twin.cfg.key())
        if twin.state is None and cfg.progress:
            print(f"{twin.out}: not part of this run's checkpoint; it is left to train on its own")
    group = [t for t in group if t.state is not None]
    curves = json.loads(ck.get("test_curves", "{}"))
    if trained > primary.state["epoch"] and primary.active():
        raise TrainingError(f"{ckpt_path}: the network was trained to epoch {trained} for a twin, past this "
                            f"run's last epoch {primary.state['epoch']}; its schedule cannot be extended")
    return group, trained, curves


def _record_session(group: Sequence[_Twin], device: torch.device, trained: int) -> None:
    """Write each run's config and note the code and the machine that train from here on: a
    resumed run may span several, and its epoch times mean something only per machine."""
    session = {"commit": provenance.git_commit(), "device_name": provenance.device_name(device)}
    for t in group:
        t.cfg.save(t.out / "config.yaml")
        sessions = t.state.setdefault("trained_by", [])
        if not sessions or {k: sessions[-1].get(k) for k in session} != session:
            sessions.append({**session, "from_epoch": trained + 1})


def _dev_passes(group: Sequence[_Twin]) -> tuple[list[list[batching.Encoded]], list[int]]:
    """Each run's encoded dev set, and for each the index of the first run with the same dev
    sentences: runs whose dev sets are the same share one prediction pass per epoch."""
    dev_enc = [encode(t.prep.dev, t.prep.words, t.prep.pos, t.prep.relations) for t in group]
    return dev_enc, _shared_passes(dev_enc)


def _shared_passes(encoded: Sequence[list[batching.Encoded]]) -> list[int]:
    """For each encoded set, the index of the first one holding the same sentences (computed once
    per training, not per epoch): sets that are the same share one prediction pass."""
    return [next(g for g in range(k + 1) if _same_encoding(encoded[g], encoded[k])) for k in range(len(encoded))]


def _run_epoch(model: RIN, opt: torch.optim.Optimizer, train_enc: list[batching.Encoded], cfg: RunConfig,
               device: torch.device, epoch: int, epochs: int) -> dict[str, float]:
    """One pass over the training data in this epoch's seeded order; returns the mean losses
    (total, entity, relation). A non-finite loss stops the run before the optimiser step, so no
    checkpoint ever holds a diverged network."""
    model.train()
    sums = np.zeros(3)
    steps = 0
    use_amp = cfg.amp and device.type == "cuda"
    bar = tqdm(batching.batches(train_enc, cfg.batch_size, shuffle=True, seed=cfg.seed, epoch=epoch),
               total=math.ceil(len(train_enc) / cfg.batch_size), desc=f"epoch {epoch}/{epochs}",
               disable=not (cfg.progress and watched()), leave=False)
    for batch in bar:
        b = batch.to(device)
        with torch.autocast(device.type, dtype=torch.bfloat16, enabled=use_amp):
            loss_e, loss_r = model.loss(b.words, b.pos, b.lengths, b.mask, b.tags, b.rel_index)
        loss = loss_e + loss_r
        if not torch.isfinite(loss):
            raise TrainingError(
                f"non-finite loss {loss.item()} (entity {loss_e.item()}, relation {loss_r.item()}) at "
                f"epoch {epoch}, step {steps + 1}, sentences {batch.index[:5]}…; run stopped. "
                f"Try a lower lr (now {cfg.lr}) or check the data.")
        opt.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), cfg.clip_grad)
        opt.step()
        sums += (loss.item(), loss_e.item(), loss_r.item())
        steps += 1
        bar.set_postfix(loss=f"{sums[0] / steps:.3f}")
    return {"loss": sums[0] / max(steps, 1), "loss_entity": sums[1] / max(steps, 1),
            "loss_relation": sums[2] / max(steps, 1)}


def _score_dev(model: RIN, live: Sequence[tuple[_Twin, list[batching.Encoded], int]], epoch: int,
               losses: dict[str, float], t0: float, train_time: float) -> None:
    """Score every run still selecting on its own dev protocol and let it select (each run's
    ``record``). Runs with the same dev sentences share one prediction pass (``live`` holds
    each run's encoded dev set and the index of its pass)."""
    done: dict[int, list[Prediction]] = {}  # dev predictions per dev pass
    for t, enc, dev_pass in live:
        if dev_pass not in done:
            done[dev_pass] = predict(model, enc, t.prep.relations, threshold=t.cfg.threshold)
        dev_res = evaluate(t.prep.dev, done[dev_pass], t.cfg.task)
        row = {"epoch": epoch, **losses, "dev_P": dev_res["strict"].precision,
               "dev_R": dev_res["strict"].recall, "dev_F1": dev_res["strict"].f1,
               "dev_F1_paper": dev_res["paper"].f1, "train_time_s": train_time,
               "epoch_time_s": time.time() - t0}
        t.record(row, model)


def _checkpoint(cfg: RunConfig, model: RIN, opt: torch.optim.Optimizer, device: torch.device,
                group: Sequence[_Twin], epoch: int, test_curve: SealedTestCurve) -> dict:
    """Everything :func:`_resume` needs to continue after ``epoch`` as if never stopped: the
    trajectory (to refuse another config's checkpoint), weights, optimiser, RNG state, every
    run's selection state and the sealed test curves (strings: ``weights_only`` loading)."""
    ck = {"key": cfg.key(), "trajectory_key": cfg.trajectory_key(), "model": model.state_dict(),
          "optimizer": opt.state_dict(), "rng_cpu": torch.get_rng_state(), "state": json.dumps(group[0].state),
          "trained_epochs": epoch, "twins": json.dumps({t.cfg.key(): t.state for t in group[1:]}),
          "test_curves": json.dumps(test_curve.rows)}
    if device.type == "cuda":
        ck["rng_cuda"] = torch.cuda.get_rng_state()
    return ck


def _after_epoch(primary: _Twin, epoch: int, progress: bool, on_epoch: Callable[[dict], None] | None) -> None:
    """Print and hand on this run's row when this run selected at ``epoch`` (else only twins
    did). Called after the checkpoint is saved, so an exception in ``on_epoch`` loses no epoch."""
    row = primary.state["history"][-1] if primary.state["history"] else {}
    if row.get("epoch") != epoch:
        return
    if progress:
        print(f"epoch {epoch}: loss {row['loss']:.3f}  dev P/R/F1 {row['dev_P']:.3f}/"
              f"{row['dev_R']:.3f}/{row['dev_F1']:.3f}  ({row['epoch_time_s']:.1f}s)", flush=True)
    if on_epoch is not None:
        on_epoch(row)


def _same_encoding(a: Sequence[batching.Encoded], b: Sequence[batching.Encoded],
                   fields: Sequence[str] = ("words", "pos")) -> bool:
    """Same sentences, field by field (default: tokens only, enough for one prediction pass to
    serve two dev sets)."""
    return a is b or (len(a) == len(b) and all(np.array_equal(getattr(x, f), getattr(y, f))
                                               for x, y in zip(a, b) for f in fields))


def finish(cfg: RunConfig, out: Path, prep: Prepared, meta: dict, state: dict, device: torch.device,
           wall_s: float, shared_with: Sequence[str] = ()) -> RunResult:
    """Score the dev-selected model on dev and (once) on test; write metrics, provenance and, for a
    full-schedule run, the model's operating points (:data:`~rinlib.metrics.OPERATING_POINTS`).

    ``shared_with``: run directories whose training this run shared (:func:`train`, ``twins``);
    recorded so a reader knows the runs are one trajectory, not independent samples."""
    model, _ = load_model(out / "model.safetensors", device=device)
    test = prep.load_test()
    splits = {"dev": prep.dev, **({"test": test} if test is not None else {})}
    results = {}
    for split, sents in splits.items():
        preds = predict(model, encode(sents, prep.words, prep.pos, prep.relations), prep.relations,
                        threshold=cfg.threshold)
        write_predictions(out / f"predictions_{split}.jsonl", sents, preds)
        results[split] = split_scores(sents, preds, cfg.task)
    if cfg.writes_operating_points:
        curve = operating_points(model, splits, prep.words, prep.pos, prep.relations, cfg.task)
        atomic_write_text(out / OPERATING_POINTS, curve.to_csv(index=False))
    history = pd.DataFrame(state["history"])
    epochs_run = int(state["epoch"])
    user = prep.info.get("user_data")  # a user's folder: named by its path and file hashes (rinlib.userdata)
    metrics = {"key": cfg.key(), "dataset": user["name"] if user else cfg.dataset, "task": cfg.task,
               "variant": cfg.variant,
               "K": cfg.K, "seed": cfg.seed, "profile": cfg.profile, "selected_epoch": state["best_epoch"],
               "epochs_run": epochs_run, "max_epochs": cfg.epochs,
               "stopped_early": epochs_run < cfg.epochs, "selection": "dev F1 (strict)",
               # relative to this run's directory, so the results tree can move
               "shared_training_with": [os.path.relpath(d, out) for d in shared_with],
               **({"data": user} if user else {}), **results}
    prov = provenance.collect(device)
    prov.update(trained_by=state.get("trained_by", []),  # commits and machines that ran the epochs (resumes)
                dataset_info=prep.info, glove_coverage=prep.coverage, n_train=len(prep.train),
                n_dev=len(prep.dev), n_test=len(test) if test is not None else None,
                # all epochs, across resumed sessions (this call alone may have trained none)
                wall_time_s=float(history["epoch_time_s"].sum()) if len(history) else wall_s,
                this_call_wall_time_s=wall_s,
                mean_epoch_time_s=float(history["epoch_time_s"].mean()) if len(history) else None)
    atomic_write_json(out / "provenance.json", prov)
    atomic_write_json(out / "metrics.json", metrics)
    return RunResult(out, cfg, metrics, history)


def load_result(out_dir: str | Path) -> RunResult | None:
    """A finished run from its directory, or None when it has not finished."""
    out = Path(out_dir)
    if not (out / "metrics.json").exists():
        return None
    cfg = RunConfig.load(out / "config.yaml")
    hist = pd.read_csv(out / "history.csv") if (out / "history.csv").exists() else pd.DataFrame()
    return RunResult(out, cfg, json.loads((out / "metrics.json").read_text()), hist)

