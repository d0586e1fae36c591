"""Speed and memory of rinlib's RIN against the reference re-statement of the authors' design.

``python -m benchmarks.rin_speed [--quick] [--device cpu|cuda|auto] [--threads 1]`` writes
``results/benchmark.csv``, ``results/benchmark_profile.txt`` and ``results/figures/benchmark.{png,svg}``
and prints a summary that ends with the headline ratios. See ``benchmarks/README.md``.

How it measures (WHY each choice is there):
* both implementations run in the same process, same thread count (``--threads``, default 1:
  the 2-core CPU is shared), and their repetitions are interleaved, so background load hits both;
  per-batch times are medians over repetitions;
* training throughput uses REAL training batches: rinlib's own length-bucketed epoch
  (``rinlib.batching.batches(shuffle=True)``), the reference's random batches padded to the batch
  maximum (as the authors' loader). Timing every batch of an epoch would take an hour for the
  reference, so each side times a quantile sample of its own epoch's batches (sorted by padded
  length, evenly spaced quantiles), and throughput = Σ sentences / Σ median step time;
* a training step = loss, backward, gradient clipping (5.0), Adam; batches are on the device
  beforehand (collation is not timed for either side);
* CPU peak memory: one fresh subprocess per measurement (allocator state of earlier
  measurements would hide memory otherwise), glibc's mmap threshold fixed at 64 KiB so freed
  tensors leave the resident set, a tiny warm-up step (library buffers, Adam state), then the
  kernel's peak-RSS counter is reset (``/proc/self/clear_refs``) and the peak of one training
  step minus the RSS before it is reported (``VmHWM``). tracemalloc cannot see torch's
  allocations, hence the process counters. CUDA: ``torch.cuda.max_memory_allocated`` after
  ``reset_peak_memory_stats``, timing by CUDA events, warm-up excluded.
"""

from __future__ import annotations

import argparse
import contextlib
import gc
import json
import math
import os
import resource
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Callable, Sequence

import numpy as np
import torch
import torch.nn.functional as F

from benchmarks.reference import reference_like
from rinlib import batching, provenance
from rinlib.batching import Batch, Encoded
from rinlib.io import atomic_write_text
from rinlib.model import RIN, ModelConfig

REPO = Path(__file__).resolve().parents[1]
BATCH = 50
SEED = 1
PAIR_DIM = 100
# (dataset, task, K) at the paper's Table 3 values; nyt-proxy has NYT's 24 relations.
SETTINGS = [("webnlg", "partial", 2), ("webnlg", "exact", 3), ("nyt-proxy", "partial", 4), ("nyt-proxy", "exact", 7)]
SCALING_N = (25, 50, 100, 200)


@dataclass(frozen=True)
class Plan:
    """How much to measure: ``--quick`` is the 1–2 minute version."""

    settings: list[tuple[str, str, int]]
    ref_train_batches: int
    rin_train_batches: int
    reps: int
    infer_ref: int  # sentences for the reference's inference
    infer_rin: int
    scaling_n: tuple[int, ...]
    memory_settings: list[tuple[str, str, int]]
    profile_steps: int = 3

    @staticmethod
    def make(quick: bool) -> "Plan":
        if quick:
            return Plan([SETTINGS[0], SETTINGS[2]], 1, 4, 2, 50, 200, (25, 50), [SETTINGS[0]], 2)
        return Plan(SETTINGS, 2, 8, 3, 50, 300, SCALING_N, [SETTINGS[0]])


# --------------------------------------------------------------------------- data and models

@dataclass
class Data:
    name: str
    dataset: str
    task: str
    train: list[Encoded]
    vocab_size: int
    n_pos: int
    relations: list[str]
    dev_sentences: list = field(default_factory=list)
    dev: list[Encoded] = field(default_factory=list)


def load_data(dataset: str, task: str, with_dev: bool) -> Data:
    """Encoded training sentences (and dev, for the epoch-time projection) with train vocabularies."""
    from rinlib import data
    from rinlib.predict import encode

    train = data.load_dataset(dataset, task, "train")
    words, pos, rels = data.build_word_vocab(train).itos, data.pos_vocab().itos, data.relations(dataset)
    d = Data(f"{dataset}-{task}", dataset, task, encode(train, words, pos, rels), len(words), len(pos), rels)
    if with_dev:
        d.dev_sentences = data.load_dataset(dataset, task, "dev")
        d.dev = encode(d.dev_sentences, words, pos, rels)
    return d


def make_rin(vocab_size: int, n_pos: int, R: int, K: int, gate: str = "eq4", dropout: float = 0.1) -> RIN:
    torch.manual_seed(SEED)
    return RIN(ModelConfig(vocab_size=vocab_size, n_pos=n_pos, n_relations=R, K=K, pair_dim=PAIR_DIM,
                           gate=gate, dropout=dropout))


def make_pair(vocab_size: int, n_pos: int, R: int, K: int, device: torch.device) -> dict[str, torch.nn.Module]:
    rin = make_rin(vocab_size, n_pos, R, K)
    return {"reference": reference_like(rin).to(device), "rinlib": rin.to(device)}


def quantile_pick(items: list[Batch], k: int) -> list[Batch]:
    """k batches at evenly spaced quantiles of padded length: a small sample whose mean cost
    follows the whole epoch's."""
    ordered = sorted(items, key=lambda b: (b.words.shape[1], b.index[0]))
    return [ordered[min(len(ordered) - 1, int((i + 0.5) * len(ordered) / k))] for i in range(k)]


def rin_epoch(enc: Sequence[Encoded]) -> list[Batch]:
    """rinlib's real training batches of epoch 1 (length-bucketed)."""
    return list(batching.batches(enc, BATCH, shuffle=True, seed=SEED, epoch=1))


def random_epoch(enc: Sequence[Encoded], seed: int = SEED) -> list[Batch]:
    """The reference's batches: a random permutation cut into batches, padded to each batch's max."""
    order = np.random.default_rng(seed).permutation(len(enc))
    return [batching.collate([enc[i] for i in order[s:s + BATCH]]) for s in range(0, len(order), BATCH)]


def synthetic_batch(B: int, n: int, vocab_size: int, n_pos: int, R: int, seed: int = 0) -> Batch:
    """B sentences of exactly n tokens (no padding), 3 random positive triples each."""
    g = np.random.default_rng(seed)
    items = [Encoded(b, g.integers(2, vocab_size, n), g.integers(2, n_pos, n), g.integers(0, 5, n),
                     np.unique(np.stack([g.integers(0, n, 3), g.integers(0, n, 3), g.integers(0, R, 3)], 1), axis=0))
             for b in range(B)]
    return batching.collate(items)


# --------------------------------------------------------------------------- timing

def amp_context(impl: str, device: torch.device, amp: bool):
    """rinlib trains under bf16 autocast on CUDA (``RunConfig.amp``); the reference is fp32."""
    if impl == "rinlib" and amp and device.type == "cuda":
        return torch.autocast("cuda", dtype=torch.bfloat16)
    return contextlib.nullcontext()


def timed(fn: Callable[[], object], device: torch.device) -> float:
    """Seconds of one call: CUDA events on a GPU, perf_counter on the CPU."""
    if device.type == "cuda":
        start, end = torch.cuda.Event(enable_timing=True), torch.cuda.Event(enable_timing=True)
        start.record()
        fn()
        end.record()
        end.synchronize()
        return start.elapsed_time(end) / 1000
    t = time.perf_counter()
    fn()
    return time.perf_counter() - t


class Trainer:
    """One model + Adam, doing the training step of ``rinlib.training`` (loss, backward, clip, step)."""

    def __init__(self, impl: str, model: torch.nn.Module, device: torch.device, amp: bool) -> None:
        self.impl, self.model, self.device, self.amp = impl, model.train(), device, amp
        self.opt = torch.optim.Adam(model.parameters(), lr=5e-4)

    def step(self, b: Batch) -> None:
        with amp_context(self.impl, self.device, self.amp):
            loss_e, loss_r = self.model.loss(b.words, b.pos, b.lengths, b.mask, b.tags, b.rel_index)
        self.opt.zero_grad(set_to_none=True)
        (loss_e + loss_r).backward()
        torch.nn.utils.clip_grad_norm_(self.model.parameters(), 5.0)
        self.opt.step()

    @torch.inference_mode()
    def infer(self, b: Batch) -> None:
        self.model.eval()
        with amp_context(self.impl, self.device, self.amp):
            self.model(b.words, b.pos, b.lengths, b.mask)
        self.model.train()


def interleaved(jobs: dict[str, list[tuple[Callable[[], object], int]]], reps: dict[str, int],
                device: torch.device) -> dict[str, list[float]]:
    """Median seconds per job item; the implementations alternate item by item so that a burst
    of background load hits both. ``jobs[impl]`` = [(callable, sentences)], warm-up excluded."""
    for impl, items in jobs.items():
        items[0][0]()  # warm-up
    times: dict[str, list[list[float]]] = {impl: [[] for _ in items] for impl, items in jobs.items()}
    rounds = max(reps.values())
    for r in range(rounds):
        for impl in (list(jobs) if r % 2 == 0 else list(jobs)[::-1]):
            if r >= reps[impl]:
                continue
            for k, (fn, _) in enumerate(jobs[impl]):
                times[impl][k].append(timed(fn, device))
    return {impl: [float(np.median(t)) for t in ts] for impl, ts in times.items()}


# --------------------------------------------------------------------------- memory

def _rss() -> int:
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")


def _hwm() -> int:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) * 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024


def _reset_hwm() -> bool:
    try:
        Path("/proc/self/clear_refs").write_text("5")
        return True
    except OSError:
        return False


def batch_state(b: Batch) -> dict:
    return {k: getattr(b, k) for k in ("words", "pos", "lengths", "mask", "tags", "rel_index")}


def memory_child(spec_path: str) -> None:
    """Entry point of the per-measurement subprocess: prints one JSON line with the peak."""
    spec = torch.load(spec_path, weights_only=True)
    torch.set_num_threads(int(spec["threads"]))
    b = Batch(list(range(spec["words"].shape[0])), spec["words"], spec["pos"], spec["lengths"], spec["mask"],
              spec["tags"], spec["rel_index"])
    pair = make_pair(int(spec["vocab_size"]), int(spec["n_pos"]), int(spec["R"]), int(spec["K"]), torch.device("cpu"))
    trainer = Trainer(spec["impl"], pair[spec["impl"]], torch.device("cpu"), False)
    del pair
    trainer.step(synthetic_batch(2, 4, int(spec["vocab_size"]), int(spec["n_pos"]), int(spec["R"])))
    gc.collect()
    base = _rss()
    reset = _reset_hwm()
    trainer.step(b)
    peak = _hwm()
    print(json.dumps({"peak_bytes": peak - base, "base_bytes": base,
                      "method": "VmHWM after clear_refs" if reset else "ru_maxrss (no reset)"}))


def peak_memory(impl: str, b: Batch, vocab_size: int, n_pos: int, R: int, K: int, threads: int,
                device: torch.device) -> float:
    """Peak extra memory (bytes) of one training step; see the module docstring for the method."""
    if device.type == "cuda":
        trainer = Trainer(impl, make_pair(vocab_size, n_pos, R, K, device)[impl], device, True)
        b = b.to(device)
        trainer.step(b)
        torch.cuda.synchronize()
        torch.cuda.empty_cache()
        torch.cuda.reset_peak_memory_stats()
        base = torch.cuda.memory_allocated()
        trainer.step(b)
        torch.cuda.synchronize()
        return float(torch.cuda.max_memory_allocated() - base)
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "spec.pt"
        torch.save({**batch_state(b), "impl": impl, "vocab_size": vocab_size, "n_pos": n_pos, "R": R, "K": K,
                    "threads": threads}, path)
        env = {**os.environ, "MALLOC_MMAP_THRESHOLD_": "65536", "PYTHONPATH": str(REPO)}
        out = subprocess.run([sys.executable, "-m", "benchmarks.rin_speed", "--memory-child", str(path)],
                             capture_output=True, text=True, env=env, cwd=REPO)
        if out.returncode:
            raise RuntimeError(f"memory subprocess ({impl}, n={b.words.shape[1]}) failed:\n{out.stderr[-2000:]}")
        return float(json.loads(out.stdout.strip().splitlines()[-1])["peak_bytes"])


def reference_estimate_bytes(B: int, n: int, R: int, K: int, d: int = 100, dm: int = PAIR_DIM) -> float:
    """Rough activation memory the reference keeps for backward: per pair evaluation the
    concatenation (2d), Lr output and ReLU (2·d_m) and ~4 R-sized tensors (logits, σ, mask
    product, BCE), fp32; used only to skip runs that would not fit."""
    return (K + 1) * B * n * n * (2 * d + 2 * dm + 4 * R) * 4.0


# --------------------------------------------------------------------------- measurements

class Results:
    """Rows of the CSV, with the columns every row carries."""

    def __init__(self, device: torch.device, threads: int) -> None:
        self.rows: list[dict] = []
        self.common = {"device": device.type, "device_name": provenance.device_name(device),
                       "torch": torch.__version__, "commit": provenance.git_commit()}
        self.threads = threads

    def add(self, impl: str, setting: str, measure: str, n: float | str, K: int | str, batch: int | str,
            value: float, unit: str, note: str = "", threads: int | None = None) -> None:
        self.rows.append({"implementation": impl, "setting": setting, "measure": measure, "n": n, "K": K,
                          "batch": batch, "value": value, "unit": unit, "ratio_to_reference": math.nan,
                          "threads": threads or self.threads, **self.common, "note": note})

    def finish_ratios(self) -> None:
        """ratio_to_reference = rinlib value / reference value of the same measure and setting
        (and the same n for synthetic shapes; on real data each side has its own batching)."""
        def key(r: dict) -> tuple:
            return r["setting"], r["measure"], r["threads"], r["n"] if r["setting"].startswith("synthetic") else ""

        ref = {key(r): r["value"] for r in self.rows if r["implementation"] == "reference"}
        for r in self.rows:
            v = ref.get(key(r))
            if r["implementation"] == "rinlib" and v and not math.isnan(v):
                r["ratio_to_reference"] = r["value"] / v

    def get(self, impl: str, setting: str, measure: str) -> float:
        for r in self.rows:
            if (r["implementation"], r["setting"], r["measure"]) == (impl, setting, measure) and r["threads"] == self.threads:
                return r["value"]
        return math.nan


def mean_n(batches: Sequence[Batch]) -> float:
    return float(np.mean([b.words.shape[1] for b in batches]))


def measure_training(res: Results, d: Data, K: int, plan: Plan, device: torch.device, amp: bool) -> dict:
    """Training and inference throughput on real batches, both implementations interleaved."""
    R = len(d.relations)
    models = make_pair(d.vocab_size, d.n_pos, R, K, device)
    trainers = {impl: Trainer(impl, m, device, amp) for impl, m in models.items()}
    picks = {"reference": quantile_pick(random_epoch(d.train), plan.ref_train_batches),
             "rinlib": quantile_pick(rin_epoch(d.train), plan.rin_train_batches)}
    picks = {impl: [b.to(device) for b in bs] for impl, bs in picks.items()}
    jobs = {impl: [(lambda t=trainers[impl], b=b: t.step(b), len(b.index)) for b in bs] for impl, bs in picks.items()}
    med = interleaved(jobs, {"reference": 1, "rinlib": plan.reps}, device)
    out = {}
    for impl, bs in picks.items():
        sps = sum(len(b.index) for b in bs) / sum(med[impl])
        res.add(impl, d.name, "train_throughput", round(mean_n(bs), 1), K, BATCH, sps, "sentences/s",
                f"{len(bs)} quantile batches of {'bucketed' if impl == 'rinlib' else 'random'} epoch; n = mean padded length")
        out[impl] = (bs, med[impl])
    # inference: the same random sample of sentences; rinlib sorts by length (as predict), the reference does not
    g = np.random.default_rng(SEED + 7)
    sample = [replace(d.train[i], index=k) for k, i in enumerate(g.permutation(len(d.train))[: plan.infer_rin])]
    inf = {"rinlib": [b.to(device) for b in batching.batches(sample, BATCH, shuffle=False)],
           "reference": [b.to(device) for b in random_epoch(sample[: plan.infer_ref], SEED + 8)]}
    jobs = {impl: [(lambda t=trainers[impl], b=b: t.infer(b), len(b.index)) for b in bs] for impl, bs in inf.items()}
    med_inf = interleaved(jobs, {"reference": 1, "rinlib": plan.reps}, device)
    for impl, bs in inf.items():
        res.add(impl, d.name, "inference_throughput", round(mean_n(bs), 1), K, BATCH,
                sum(len(b.index) for b in bs) / sum(med_inf[impl]), "sentences/s",
                f"forward only, {sum(len(b.index) for b in bs)} train sentences, "
                f"{'length-sorted' if impl == 'rinlib' else 'random'} batches")
    out["inference_sample"] = sample
    out["model"] = models["rinlib"]
    return out


def pair_flops(batches: Sequence[Batch], K: int, R: int) -> float:
    """Multiply-adds ×2 of the pair scorer: B·n²·d_m·R per C_r evaluation, K+1 evaluations, ×3 fwd+bwd."""
    return sum(2.0 * 3 * (K + 1) * b.words.shape[0] * b.words.shape[1] ** 2 * PAIR_DIM * R for b in batches)


def peak_gflops(device: torch.device, size: int = 2048, reps: int = 5) -> float:
    a, b = torch.randn(size, size, device=device), torch.randn(size, size, device=device)
    a @ b
    best = min(timed(lambda: a @ b, device) for _ in range(reps))
    return 2.0 * size ** 3 / best / 1e9


def measure_predict(res: Results, d: Data, K: int, model: RIN, sample: list[Encoded], reps: int,
                    device: torch.device) -> float:
    """rinlib.predict.predict() end to end, and dev evaluation time (for the epoch projection).

    The relation bias is set to −6 on a copy of the model so that, as with a trained model,
    almost no pair passes the 0.5 threshold: an untrained model passes about half of all n²R
    pairs and predict()'s Python loop over hits would dominate."""
    from rinlib.metrics import evaluate
    from rinlib.predict import predict

    m = make_rin(d.vocab_size, d.n_pos, len(d.relations), K).to(device)
    m.load_state_dict(model.state_dict())
    with torch.no_grad():
        m.C_r.W_r.bias.fill_(-6.0)
    t = float(np.median([timed(lambda: predict(m, sample, d.relations, BATCH), device) for _ in range(reps)]))
    res.add("rinlib", d.name, "predict_throughput", "", K, BATCH, len(sample) / t, "sentences/s",
            "rinlib.training.predict() incl. thresholding and decoding, relation bias −6")
    dev_s = float(np.median([timed(lambda: evaluate(d.dev_sentences, predict(m, d.dev, d.relations, BATCH), d.task), device)
                             for _ in range(reps)]))
    res.add("rinlib", d.name, "dev_eval_time", "", K, BATCH, dev_s, "s",
            f"predict() + evaluate() on {len(d.dev)} dev sentences")
    return dev_s


def measure_scaling(res: Results, d: Data, plan: Plan, device: torch.device, amp: bool, threads: int,
                    budget: float) -> None:
    """Step time and peak memory of synthetic batches of exactly n tokens (WebNLG sizes, K=2)."""
    K, R = 2, len(d.relations)
    for n in plan.scaling_n:
        b = synthetic_batch(BATCH, n, d.vocab_size, d.n_pos, R, seed=n)
        est = reference_estimate_bytes(BATCH, n, R, K)
        impls = ["reference", "rinlib"] if est <= budget else ["rinlib"]
        if len(impls) == 1:
            for m in ("train_step_time", "peak_memory"):
                res.add("reference", f"synthetic R={R}", m, n, K, BATCH, math.nan, "skipped",
                        f"not run: estimated {est / 2**30:.1f} GiB > budget {budget / 2**30:.1f} GiB")
        models = make_pair(d.vocab_size, d.n_pos, R, K, device)
        trainers = {i: Trainer(i, models[i], device, amp) for i in impls}
        bd = b.to(device)
        big = n >= 100
        jobs = {i: [(lambda t=trainers[i]: t.step(bd), BATCH)] for i in impls}
        med = interleaved(jobs, {"reference": 1 if big else 2, "rinlib": plan.reps}, device)
        for i in impls:
            res.add(i, f"synthetic R={R}", "train_step_time", n, K, BATCH, med[i][0], "s", "all sentences of length n")
        del trainers, models
        gc.collect()
        for i in impls:
            mem = peak_memory(i, b, d.vocab_size, d.n_pos, R, K, threads, device)
            res.add(i, f"synthetic R={R}", "peak_memory", n, K, BATCH, mem / 2**20, "MiB", memory_note(device))
        print(f"  scaling n={n}: " + ", ".join(f"{i} {med[i][0]:.2f}s" for i in impls), flush=True)


def memory_note(device: torch.device) -> str:
    if device.type == "cuda":
        return "torch.cuda.max_memory_allocated − allocated before the step (second step)"
    return "fresh subprocess, one training step: VmHWM − RSS before the step (after a tiny warm-up step)"


def measure_real_memory(res: Results, d: Data, K: int, device: torch.device, threads: int, budget: float) -> None:
    """Peak memory of each implementation's own worst batch of the epoch (largest padded length)."""
    R = len(d.relations)
    for impl, epoch in (("reference", random_epoch(d.train)), ("rinlib", rin_epoch(d.train))):
        b = max(epoch, key=lambda x: (x.words.shape[1], len(x.index)))
        n = b.words.shape[1]
        if impl == "reference" and reference_estimate_bytes(len(b.index), n, R, K) > budget:
            res.add(impl, d.name, "peak_memory", n, K, BATCH, math.nan, "skipped", "over the memory budget")
            continue
        mem = peak_memory(impl, b, d.vocab_size, d.n_pos, R, K, threads, device)
        res.add(impl, d.name, "peak_memory", n, K, BATCH, mem / 2**20, "MiB",
                "epoch's largest-n batch; " + memory_note(device))


def check_accuracy(res: Results, d: Data, device: torch.device) -> None:
    """On one real WebNLG batch (K=2, fp32, dropout off): rinlib fused loss == its dense autograd
    loss (values and gradients), reference shapes/loss scale == rinlib's, and the reference ==
    rinlib's ``gate="grucell"`` option with copied weights (it really is the same model)."""
    from benchmarks.reference import copy_rinlib_weights

    R, K = len(d.relations), 2
    b = batching.collate(d.train[:16]).to(device)  # small: the checks run the slow reference twice
    args = (b.words, b.pos, b.lengths, b.mask)
    rin = make_rin(d.vocab_size, d.n_pos, R, K, dropout=0.0).to(device)
    fused = sum(rin.loss(*args, b.tags, b.rel_index))
    fused.backward()
    g_fused = {k: p.grad.clone() for k, p in rin.named_parameters()}
    rin.zero_grad()
    dense = dense_loss(rin, b)
    dense.backward()
    loss_diff = abs(fused.item() - dense.item()) / abs(dense.item())
    grad_diff = max(((g_fused[k] - p.grad).norm() / p.grad.norm().clamp_min(1e-30)).item()
                    for k, p in rin.named_parameters())
    n = b.words.shape[1]
    res.add("rinlib", d.name, "check_fused_vs_dense_loss_reldiff", n, K, len(b.index), loss_diff, "relative",
            f"fused {fused.item():.6g} vs dense autograd {dense.item():.6g}")
    res.add("rinlib", d.name, "check_fused_vs_dense_grad_reldiff", n, K, len(b.index), grad_diff, "relative",
            "max over parameters of |g_fused − g_dense| / |g_dense|")
    ref = reference_like(rin, dropout=0.0).to(device)
    copy_rinlib_weights(ref, rin)  # shared parts equal, gates differ (eq4 vs GRUCell)
    with torch.no_grad():
        out, (tag_ref, rel_ref) = rin(*args), ref(*args)
        ref_loss = sum(ref.loss(*args, b.tags, b.rel_index)).item()
    same = out.tag_logits.shape == tag_ref.shape and out.rel_logits.shape == rel_ref.shape
    res.add("rinlib", d.name, "check_shapes_equal", n, K, len(b.index), float(same), "bool",
            f"tags {tuple(out.tag_logits.shape)}, relations {tuple(out.rel_logits.shape)}")
    res.add("rinlib", d.name, "check_loss_ratio_rinlib_over_reference", n, K, len(b.index),
            dense.item() / ref_loss, "ratio", "eq4 gate vs GRUCell gate, other weights shared")
    gru = make_rin(d.vocab_size, d.n_pos, R, K, gate="grucell", dropout=0.0).to(device)
    copy_rinlib_weights(ref, gru)
    with torch.no_grad():
        a, r = sum(gru.loss(*args, b.tags, b.rel_index)).item(), sum(ref.loss(*args, b.tags, b.rel_index)).item()
    res.add("rinlib", d.name, "check_grucell_vs_reference_loss_reldiff", n, K, len(b.index), abs(a - r) / abs(r),
            "relative", "rinlib gate=grucell with the reference's weights: the same model")


def dense_loss(model: RIN, b: Batch) -> torch.Tensor:
    """rinlib's loss by plain autograd on the dense n×n×R logits (its ``return_layers`` path)."""
    out = model(b.words, b.pos, b.lengths, b.mask, return_layers=True)
    ce = F.cross_entropy(out.tag_logits.reshape(-1, 5), b.tags.reshape(-1), reduction="none")
    y = torch.zeros_like(out.rel_logits)
    y[tuple(b.rel_index.t())] = 1.0
    pm = (b.mask[:, :, None] & b.mask[:, None, :])[..., None]
    bce = F.binary_cross_entropy_with_logits(out.rel_logits, y, reduction="none") * pm
    return ((ce * b.mask.reshape(-1)).sum() + bce.sum()) / b.words.shape[0]


def write_profile(path: Path, d: Data, K: int, device: torch.device, amp: bool, steps: int, threads: int) -> None:
    """torch.profiler table of rinlib's training step on real bucketed WebNLG batches."""
    from torch.profiler import ProfilerActivity, profile

    trainer = Trainer("rinlib", make_rin(d.vocab_size, d.n_pos, len(d.relations), K).to(device), device, amp)
    bs = [b.to(device) for b in quantile_pick(rin_epoch(d.train), steps)]
    trainer.step(bs[0])
    acts = [ProfilerActivity.CPU] + ([ProfilerActivity.CUDA] if device.type == "cuda" else [])
    with profile(activities=acts) as prof:
        for b in bs:
            trainer.step(b)
    key = "self_cuda_time_total" if device.type == "cuda" else "self_cpu_time_total"
    head = (f"rinlib training step profile: {d.name}, K={K}, batch {BATCH}, {steps} bucketed batches "
            f"(padded n = {[b.words.shape[1] for b in bs]}), device {provenance.device_name(device)}, "
            f"threads {threads}, torch {torch.__version__}, commit {provenance.git_commit()}\n"
            f"Sorted by {key}; top 30 ops.\n\n")
    atomic_write_text(path, head + prof.key_averages().table(sort_by=key, row_limit=30) + "\n")


# --------------------------------------------------------------------------- report

def plot(res: Results, path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    import pandas as pd

    df = pd.DataFrame(res.rows)
    df = df[df["threads"] == res.threads]
    fig, axes = plt.subplots(2, 2, figsize=(12, 8.5))
    colors = {"reference": "#d62728", "rinlib": "#1f77b4"}
    for ax, measure, title in ((axes[0, 0], "train_throughput", "training throughput"),
                               (axes[0, 1], "inference_throughput", "inference throughput (forward)")):
        sub = df[df["measure"] == measure]
        settings = list(dict.fromkeys(sub["setting"] + " K=" + sub["K"].astype(str)))
        x = np.arange(len(settings))
        for k, impl in enumerate(("reference", "rinlib")):
            s = sub[sub["implementation"] == impl]
            vals = [s[(s["setting"] + " K=" + s["K"].astype(str)) == lab]["value"].mean() for lab in settings]
            ax.bar(x + (k - 0.5) * 0.38, vals, 0.38, label=impl, color=colors[impl])
            if impl == "rinlib":
                for xi, v, lab in zip(x, vals, settings):
                    r = sub[(sub["implementation"] == "rinlib") & ((sub["setting"] + " K=" + sub["K"].astype(str)) == lab)]
                    ax.annotate(f"×{r['ratio_to_reference'].iloc[0]:.1f}", (xi + 0.19, v), ha="center", va="bottom", fontsize=8)
        ax.set_xticks(x, settings, rotation=15, fontsize=8)
        ax.set_yscale("log")
        ax.set_ylabel("sentences / s (batch 50)")
        ax.set_title(title)
        ax.legend()
    for ax, measure, ylabel in ((axes[1, 0], "train_step_time", "training step time (s)"),
                                (axes[1, 1], "peak_memory", "peak memory of a training step (MiB)")):
        sub = df[(df["measure"] == measure) & df["setting"].str.startswith("synthetic") & (df["unit"] != "skipped")]
        for impl in ("reference", "rinlib"):
            s = sub[sub["implementation"] == impl].sort_values("n")
            ax.plot(s["n"].astype(float), s["value"], "o-", label=impl, color=colors[impl])
        ax.set_xscale("log")
        ax.set_yscale("log")
        ax.set_xlabel("sentence length n (synthetic batch of 50, WebNLG R, K=2)")
        ax.set_ylabel(ylabel)
        skipped = df[(df["measure"] == measure) & (df["unit"] == "skipped")]["n"].tolist()
        ax.set_title(ylabel.split(" (")[0] + (f" — reference not run at n={skipped} (memory)" if skipped else ""), fontsize=10)
        ax.legend()
    c = res.common
    fig.suptitle(f"rinlib vs reference (authors' design) — {c['device_name']}, {res.threads} thread(s), "
                 f"torch {c['torch']}, commit {c['commit'][:12]}", fontsize=10)
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    for ext in ("png", "svg"):
        fig.savefig(path.with_suffix(f".{ext}"), dpi=130)
    plt.close(fig)


def summary(res: Results, extra: dict) -> str:
    lines = [f"{'implementation':<10} {'setting':<22} {'measure':<24} {'n':>6} {'K':>2} {'value':>11} unit  ratio"]
    for r in res.rows:
        if r["measure"].startswith("check_"):
            continue
        v = r["value"]
        ratio = "" if math.isnan(r["ratio_to_reference"]) else f"{r['ratio_to_reference']:.3g}"
        lines.append(f"{r['implementation']:<10} {r['setting']:<22} {r['measure']:<24} {str(r['n']):>6} {str(r['K']):>2} "
                     f"{v:>11.4g} {r['unit']}  {ratio}  {'(threads=%d)' % r['threads'] if r['threads'] != res.threads else ''}")
    lines.append("\nchecks: " + "; ".join(f"{r['measure']}={r['value']:.3g}" for r in res.rows if r["measure"].startswith("check_")))
    lines += ["", "targets (issue):"] + extra["targets"] + ["", "HEADLINE (rinlib vs reference, same run, "
              f"{res.threads} thread(s) each, {res.common['device_name'].split(' (')[0]}):"] + extra["headline"]
    return "\n".join(lines)


def targets_and_headline(res: Results, plan: Plan, peak: float, proj: dict[int, float]) -> dict:
    t, h = [], []
    speed = {}
    for ds, task, K in plan.settings:
        s = f"{ds}-{task}"
        r_tr = res.get("rinlib", s, "train_throughput") / res.get("reference", s, "train_throughput")
        r_in = res.get("rinlib", s, "inference_throughput") / res.get("reference", s, "inference_throughput")
        speed[(s, K)] = r_tr
        h.append(f"  {s:<20} K={K}: training ×{r_tr:.1f}, inference ×{r_in:.1f}")
        t.append(f"  training ≥10× reference, {s} K={K}: ×{r_tr:.1f} -> {'MET' if r_tr >= 10 else 'NOT MET'}")
    for K, minutes in proj.items():
        t.append(f"  150-epoch WebNLG run ≤ 40 min (K={K}, {res.threads} thread): {minutes:.0f} min -> "
                 f"{'MET' if minutes <= 40 else 'NOT MET'}")
    ms = [r for r in res.rows if r["measure"] == "peak_memory" and r["n"] == 100 and r["setting"].startswith("synthetic")]
    if len(ms) == 2 and all(r["unit"] == "MiB" for r in ms):
        ref = next(r["value"] for r in ms if r["implementation"] == "reference")
        rin = next(r["value"] for r in ms if r["implementation"] == "rinlib")
        t.append(f"  peak memory at n=100 ≥4× lower: ×{ref / rin:.1f} lower -> {'MET' if ref / rin >= 4 else 'NOT MET'}")
        h.append(f"  peak memory at n=100 (batch 50, R=171, K=2): {rin:.0f} MiB vs {ref:.0f} MiB (×{ref / rin:.1f} lower)")
    for r in res.rows:
        if r["measure"] == "inference_throughput" and r["implementation"] == "rinlib" and r["setting"].startswith("webnlg"):
            t.append(f"  inference ≥2000 sentences/s, {r['setting']} K={r['K']} ({r['threads']} thread(s)): "
                     f"{r['value']:.0f} -> {'MET' if r['value'] >= 2000 else 'NOT MET'}")
    for r in res.rows:
        if r["measure"] == "achieved_gflops":
            h.append(f"  rinlib training step, {r['setting']} K={r['K']}: {r['value']:.1f} GFLOP/s pair-scorer "
                     f"work = {100 * r['value'] / peak:.0f}% of the measured fp32 matmul peak ({peak:.0f} GFLOP/s)")
    return {"targets": t, "headline": h}


# --------------------------------------------------------------------------- main

def run(args: argparse.Namespace) -> None:
    from rinlib.training import resolve_device

    device = resolve_device(args.device)
    torch.set_num_threads(args.threads)
    plan = Plan.make(args.quick)
    res = Results(device, args.threads)
    avail = _mem_available()
    budget = min(args.mem_budget_gb * 2**30, 0.6 * avail) if device.type == "cpu" else args.mem_budget_gb * 2**30
    t0 = time.time()
    print(f"rin_speed: device {res.common['device_name']}, threads {args.threads}, "
          f"{'quick' if args.quick else 'full'} plan, reference memory budget {budget / 2**30:.1f} GiB", flush=True)
    datas: dict[tuple[str, str], Data] = {}
    for ds, task, _ in plan.settings:
        datas[(ds, task)] = load_data(ds, task, with_dev=ds == "webnlg")
    web = datas[("webnlg", "partial")]
    check_accuracy(res, web, device)
    print(f"  checks done ({time.time() - t0:.0f}s)", flush=True)
    peak = peak_gflops(device)
    res.add("machine", "fp32 matmul 2048³", "peak_gflops", "", "", "", peak, "GFLOP/s", "best of 5")
    proj = {}
    for ds, task, K in plan.settings:
        d = datas[(ds, task)]
        out = measure_training(res, d, K, plan, device, args.amp)
        bs, times = out["rinlib"]
        res.add("rinlib", d.name, "achieved_gflops", round(mean_n(bs), 1), K, BATCH,
                pair_flops(bs, K, len(d.relations)) / sum(times) / 1e9, "GFLOP/s",
                f"pair scorer only (n²·d_m·R MACs × (K+1) × 3 per sentence, padded n); peak {peak:.0f}")
        if ds == "webnlg":
            dev_s = measure_predict(res, d, K, out["model"], out["inference_sample"], plan.reps, device)
            sps = res.get("rinlib", d.name, "train_throughput")
            proj[K] = 150 * (len(d.train) / sps + dev_s) / 60
            res.add("rinlib", d.name, "projected_150_epoch_run", "", K, BATCH, proj[K], "min",
                    f"150 × ({len(d.train)} train sentences / train throughput + dev eval)")
        print(f"  {d.name} K={K} done ({time.time() - t0:.0f}s)", flush=True)
    if device.type == "cpu" and args.abs_threads > args.threads:
        measure_all_cores(res, web, plan, device, args)
    measure_scaling(res, web, plan, device, args.amp, args.threads, budget)
    print(f"  scaling done ({time.time() - t0:.0f}s)", flush=True)
    for ds, task, K in plan.memory_settings:
        measure_real_memory(res, datas[(ds, task)], K, device, args.threads, budget)
    print(f"  memory done ({time.time() - t0:.0f}s)", flush=True)
    write_profile(args.out / "benchmark_profile.txt", web, 2, device, args.amp, plan.profile_steps, args.threads)
    res.finish_ratios()
    import pandas as pd

    atomic_write_text(args.out / "benchmark.csv", pd.DataFrame(res.rows).to_csv(index=False))
    plot(res, args.out / "figures" / "benchmark.png")
    print(f"\nwrote {args.out / 'benchmark.csv'}, {args.out / 'benchmark_profile.txt'}, "
          f"{args.out / 'figures' / 'benchmark.png'} (+svg) in {time.time() - t0:.0f}s\n")
    print(summary(res, targets_and_headline(res, plan, peak, proj)))


def measure_all_cores(res: Results, d: Data, plan: Plan, device: torch.device, args: argparse.Namespace) -> None:
    """rinlib alone with every core (absolute numbers for the issue's 'this CPU' targets; no ratio)."""
    torch.set_num_threads(args.abs_threads)
    try:
        K = 2
        trainer = Trainer("rinlib", make_rin(d.vocab_size, d.n_pos, len(d.relations), K), device, args.amp)
        bs = quantile_pick(rin_epoch(d.train), plan.rin_train_batches)
        med = interleaved({"rinlib": [(lambda b=b: trainer.step(b), len(b.index)) for b in bs]}, {"rinlib": plan.reps}, device)
        sps = sum(len(b.index) for b in bs) / sum(med["rinlib"])
        res.add("rinlib", d.name, "train_throughput", round(mean_n(bs), 1), K, BATCH, sps, "sentences/s",
                "all cores, rinlib alone", threads=args.abs_threads)
        sample = [d.train[i] for i in np.random.default_rng(SEED + 7).permutation(len(d.train))[: plan.infer_rin]]
        inf = list(batching.batches(sample, BATCH, shuffle=False))
        med = interleaved({"rinlib": [(lambda b=b: trainer.infer(b), len(b.index)) for b in inf]}, {"rinlib": plan.reps}, device)
        res.add("rinlib", d.name, "inference_throughput", round(mean_n(inf), 1), K, BATCH,
                len(sample) / sum(med["rinlib"]), "sentences/s", "all cores, rinlib alone", threads=args.abs_threads)
    finally:
        torch.set_num_threads(args.threads)


def _mem_available() -> float:
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemAvailable:"):
                return int(line.split()[1]) * 1024.0
    except OSError:
        pass
    return 8.0 * 2**30


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    p = argparse.ArgumentParser(prog="python -m benchmarks.rin_speed", description=__doc__.split("\n")[0])
    p.add_argument("--quick", action="store_true", help="the 1–2 minute version (fewer settings, batches, lengths)")
    p.add_argument("--device", default="cpu", help="cpu | cuda | auto (default cpu)")
    p.add_argument("--threads", type=int, default=1, help="torch threads for both implementations (default 1)")
    p.add_argument("--abs-threads", type=int, default=os.cpu_count() or 1,
                   help="also time rinlib alone with this many threads (CPU; default: all cores)")
    p.add_argument("--no-amp", dest="amp", action="store_false", help="CUDA: rinlib in fp32 instead of bf16 autocast")
    p.add_argument("--mem-budget-gb", type=float, default=8.0, help="skip reference runs estimated above this")
    p.add_argument("--out", type=Path, default=REPO / "results", help="output folder (default results/)")
    p.add_argument("--memory-child", help=argparse.SUPPRESS)
    return p.parse_args(argv)


def main(argv: Sequence[str] | None = None) -> None:
    args = parse_args(argv)
    if args.memory_child:
        memory_child(args.memory_child)
    else:
        run(args)


if __name__ == "__main__":
    main()
