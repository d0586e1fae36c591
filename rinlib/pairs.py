"""Fast kernels for the two things training needs from the n×n×R pair logits.

Training never needs the pair logits themselves, only
(a) in each interaction layer, ``max_j x_ij`` over real j (Eq. 5, σ applied afterwards), and
(b) on the last layer, the BCE loss ``Σ_real softplus(x) − Σ_positives x``.
Both are computed sentence-chunk by sentence-chunk, so the (c, n, n, R) tensor of one chunk
stays small (cache-friendly, and the peak memory no longer grows with the batch), and
neither is kept for the backward pass:
* the max-pool's backward puts the (B, n, R) gradient at the arg-max pairs as a sparse matrix
  (only 1/n of the logits get a gradient; sparse products measured ~2× faster than dense ones
  on the CPU) and recomputes the chunk's ReLU activations instead of storing them;
* the loss's gradient with respect to the logits is known in closed form, σ(x) − y, so the
  forward pass computes the parameter gradients right away and the backward pass only scales
  them (the loss is a scalar).
Under autocast (CUDA or CPU) both run in fp32 (TF32 matmuls where enabled): the wrappers
cast their inputs up and switch autocast off around the kernels, and autograd casts the
gradients back; the rest of the network runs in the autocast dtype. The maths is exactly the dense computation's (``tests/test_model.py`` checks values and
gradients against plain autograd on the naive concatenation form).

Shapes: ``left = W_m¹h + b_m`` and ``right = W_m²h`` are (B, n, d_m); ``w_r`` is (R, d_m).
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import Tensor

CHUNK_ELEMENTS = 1 << 20  # logits per chunk (1M floats = 4 MB: measured fastest on a 2-core CPU)
# The pair GEMMs have R output columns; R = 171 (WebNLG) is a slow shape for the CPU BLAS. Zero
# rows appended to W_r (their logits are computed and then ignored) round R up to a multiple of
# this: measured 24 → 32 GFLOP/s at 6,000 × 100 × 171 → 176 on one core. 1 turns it off.
PAD_RELATIONS_TO = 16


def pad_relations(w_r: Tensor, b_r: Tensor) -> tuple[Tensor, Tensor]:
    """W_r and b_r with zero rows appended up to a multiple of PAD_RELATIONS_TO relations, when
    that adds at most 1/16 more columns (171 → 176 pays; 24 → 32 was measured slower)."""
    R = w_r.shape[0]
    extra = -R % PAD_RELATIONS_TO
    if not extra or 16 * extra > R:
        return w_r, b_r
    return F.pad(w_r, (0, 0, 0, extra)), F.pad(b_r, (0, extra))


def _chunks(B: int, n: int, R: int) -> list[tuple[int, int]]:
    size = max(1, CHUNK_ELEMENTS // max(1, n * n * R))
    return [(s, min(B, s + size)) for s in range(0, B, size)]


def _prefix_lengths(mask: Tensor) -> Tensor:
    """Sentence lengths of a (B, n) mask whose real tokens come first (as rinlib.batching pads)."""
    lengths = mask.sum(1)
    if not torch.equal(mask, torch.arange(mask.shape[1], device=mask.device) < lengths.unsqueeze(1)):
        raise ValueError("mask must mark each sentence's real tokens first, padding after")
    if bool((lengths == 0).any()):
        raise ValueError("every sentence needs at least one real token")
    return lengths


def _hidden(left: Tensor, right: Tensor) -> Tensor:
    """ReLU(left_i + right_j) for all pairs, as a (c·n·n, d_m) matrix."""
    c, n, dm = left.shape
    return torch.relu(left.unsqueeze(2) + right.unsqueeze(1)).view(c * n * n, dm)


def _back_through_hidden(dM: Tensor, M: Tensor, c: int, n: int) -> tuple[Tensor, Tensor]:
    """Gradients of left and right given dL/dM = dL/dlogits · W_r (c·n·n, d_m, any product:
    dense or sparse) and the ReLU output M."""
    dM = dM.mul_(M > 0).view(c, n, n, -1)
    return dM.sum(2), dM.sum(1)


class PairMaxPool(torch.autograd.Function):
    """``max_j (W_r ReLU(left_i + right_j) + b_r)`` over real j: (B, n, R)."""

    @staticmethod
    def forward(ctx, left: Tensor, right: Tensor, w_r: Tensor, b_r: Tensor, mask: Tensor) -> Tensor:
        B, n, _ = left.shape
        R = w_r.shape[0]
        w_p, _ = pad_relations(w_r, b_r)
        Rp = w_p.shape[0]
        values = left.new_empty(B, n, Rp)
        index = torch.empty(B, n, Rp, dtype=torch.long, device=left.device)
        lengths = _prefix_lengths(mask).tolist()
        for s, e in _chunks(B, n, Rp):
            X = torch.mm(_hidden(left[s:e], right[s:e]), w_p.t()).view(e - s, n, n, Rp)
            for k in range(s, e):  # max over the real j only: no -inf fill over the whole chunk
                torch.max(X[k - s, :, : lengths[k]], dim=1, out=(values[k], index[k]))
        index = index[..., :R].contiguous()
        ctx.save_for_backward(left, right, w_r, index)
        return values[..., :R] + b_r  # max_j (x_ij + b) = max_j x_ij + b: the bias after the max

    @staticmethod
    def backward(ctx, g: Tensor):  # type: ignore[override]
        left, right, w_r, index = ctx.saved_tensors
        B, n, _ = left.shape
        R = w_r.shape[0]
        d_left, d_right = torch.empty_like(left), torch.empty_like(right)
        d_w = torch.zeros_like(w_r)
        for s, e in _chunks(B, n, R):
            c = e - s
            M = _hidden(left[s:e], right[s:e])
            # dL/dX is non-zero only at the arg-max pair of each (b, i, t): c·n·R entries out of
            # c·n·n·R, one per (row = flat pair, column = t), so a sparse matrix carries it.
            rows = (torch.arange(c * n, device=g.device).view(c, n, 1) * n + index[s:e]).reshape(-1)
            cols = torch.arange(R, device=g.device).repeat(c * n)
            dX = torch.sparse_coo_tensor(torch.stack([rows, cols]), g[s:e].reshape(-1), (c * n * n, R),
                                         is_coalesced=False, check_invariants=False)
            d_w += torch.sparse.mm(dX.t(), M)
            d_left[s:e], d_right[s:e] = _back_through_hidden(torch.sparse.mm(dX, w_r), M, c, n)
        return d_left, d_right, d_w, g.sum((0, 1)), None


class PairBCELoss(torch.autograd.Function):
    """``Σ_(b,i,j real, t) softplus(x_bijt) − Σ_(b,i,j,t) ∈ positives x_bijt`` (BCE with logits)."""

    @staticmethod
    def forward(ctx, left: Tensor, right: Tensor, w_r: Tensor, b_r: Tensor, mask: Tensor,
                rel_index: Tensor) -> Tensor:
        B, n, _ = left.shape
        R = w_r.shape[0]
        total = left.new_zeros(())
        d_left, d_right = torch.empty_like(left), torch.empty_like(right)
        d_b = torch.zeros_like(b_r)
        w_p, b_p = pad_relations(w_r, b_r)
        Rp = w_p.shape[0]
        d_wp = torch.zeros_like(w_p)
        pair_real = (mask.unsqueeze(2) & mask.unsqueeze(1)).reshape(B, n * n, 1).to(left.dtype)
        for s, e in _chunks(B, n, Rp):
            c = e - s
            M = _hidden(left[s:e], right[s:e])
            X = torch.addmm(b_p, M, w_p.t())  # (c·n·n, Rp); columns ≥ R are padding
            real = pair_real[s:e].reshape(-1, 1)
            dX = torch.sigmoid(X).mul_(real)
            dX[:, R:] = 0.0  # padding relations: no loss, no gradient
            total += (F.softplus(X[:, :R]) * real).sum()
            rows = rel_index[(rel_index[:, 0] >= s) & (rel_index[:, 0] < e)]
            if rows.numel():
                flat = ((rows[:, 0] - s) * n + rows[:, 1]) * n + rows[:, 2]
                total -= X[flat, rows[:, 3]].sum()
                dX[flat, rows[:, 3]] -= 1.0
            d_wp.addmm_(dX.t(), M)
            d_b += dX[:, :R].sum(0)
            d_left[s:e], d_right[s:e] = _back_through_hidden(dX @ w_p, M, c, n)
        d_w = d_wp[:R].clone()
        ctx.save_for_backward(d_left, d_right, d_w, d_b)
        return total

    @staticmethod
    def backward(ctx, g: Tensor):  # type: ignore[override]
        d_left, d_right, d_w, d_b = ctx.saved_tensors
        return d_left * g, d_right * g, d_w * g, d_b * g, None, None


def _fp32(*tensors: Tensor) -> list[Tensor]:
    """Half-precision inputs (from autocast) cast up to fp32; fp32 and fp64 left as they are."""
    return [t.float() if t.dtype in (torch.float16, torch.bfloat16) else t for t in tensors]


def pair_max_pool(left: Tensor, right: Tensor, w_r: Tensor, b_r: Tensor, mask: Tensor) -> Tensor:
    """Max over real j of the pair logits, (B, n, R); rows of padding tokens hold finite junk
    that never reaches a real token's output."""
    with torch.autocast(left.device.type, enabled=False):
        return PairMaxPool.apply(*_fp32(left, right, w_r, b_r), mask)


def pair_bce_loss(left: Tensor, right: Tensor, w_r: Tensor, b_r: Tensor, mask: Tensor,
                  rel_index: Tensor) -> Tensor:
    """Summed BCE-with-logits over every real (i, j, t); positives given as (P, 4) rows (b, i, j, t)."""
    with torch.autocast(left.device.type, enabled=False):
        return PairBCELoss.apply(*_fp32(left, right, w_r, b_r), mask, rel_index)
