"""The benchmark's baseline is the model it claims to be, and its "accuracy" checks hold:
reference vs rinlib shapes and loss scale, reference == rinlib's GRUCell option with the same
weights, rinlib's fused loss == its dense autograd loss, the CPU memory probe works."""

from __future__ import annotations

import torch

from benchmarks.reference import copy_rinlib_weights, reference_like
from benchmarks.rin_speed import dense_loss, peak_memory, quantile_pick, synthetic_batch
from rinlib.model import RIN, ModelConfig

V, P, R = 40, 9, 7


def _rin(**kw) -> RIN:
    torch.manual_seed(0)
    cfg = dict(vocab_size=V, n_pos=P, n_relations=R, K=2, word_dim=8, pos_dim=3, lstm_hidden=8, pair_dim=6,
               dropout=0.0)
    cfg.update(kw)
    return RIN(ModelConfig(**cfg))


def _batch():
    b = synthetic_batch(4, 6, V, P, R, seed=3)
    b.lengths[1:] = torch.tensor([4, 2, 5])  # ragged: padding must be handled alike
    b.mask = torch.arange(6)[None] < b.lengths[:, None]
    b.words, b.pos, b.tags = b.words * b.mask, b.pos * b.mask, b.tags * b.mask
    keep = b.rel_index[:, 1:3].max(1).values < b.lengths[b.rel_index[:, 0]]
    b.rel_index = b.rel_index[keep]
    return b


def _args(b):
    return b.words, b.pos, b.lengths, b.mask


def test_reference_shapes_and_loss_scale_match_rinlib():
    rin = _rin()
    ref = reference_like(rin)
    copy_rinlib_weights(ref, rin)  # gates stay different (Eq. 4 vs GRUCell)
    b = _batch()
    with torch.no_grad():
        out, (tags, rel) = rin(*_args(b)), ref(*_args(b))
        l_rin = sum(rin.loss(*_args(b), b.tags, b.rel_index)).item()
        l_ref = sum(ref.loss(*_args(b), b.tags, b.rel_index)).item()
    assert tags.shape == out.tag_logits.shape == (4, 6, 5)
    assert rel.shape == out.rel_logits.shape == (4, 6, 6, R)
    assert 0.5 < l_rin / l_ref < 2.0


def test_reference_is_rinlib_grucell_option_with_the_same_weights():
    rin = _rin(gate="grucell").double()
    ref = reference_like(rin).double()
    copy_rinlib_weights(ref, rin)
    b = _batch()
    with torch.no_grad():
        out, (tags, rel) = rin(*_args(b)), ref(*_args(b))
        a = [x.item() for x in rin.loss(*_args(b), b.tags, b.rel_index)]
        r = [x.item() for x in ref.loss(*_args(b), b.tags, b.rel_index)]
    pm = b.mask[:, :, None] & b.mask[:, None, :]
    assert torch.allclose(out.tag_logits[b.mask], tags[b.mask], atol=1e-10)
    assert torch.allclose(torch.sigmoid(out.rel_logits)[pm], rel[pm], atol=1e-10)
    assert abs(a[0] - r[0]) < 1e-9 and abs(a[1] - r[1]) < 1e-9


def test_fused_loss_equals_dense_autograd_loss():
    rin = _rin().double()
    b = _batch()
    fused = sum(rin.loss(*_args(b), b.tags, b.rel_index))
    fused.backward()
    g = {k: p.grad.clone() for k, p in rin.named_parameters()}
    rin.zero_grad()
    dense = dense_loss(rin, b)
    dense.backward()
    assert torch.allclose(fused, dense, atol=1e-9)
    for k, p in rin.named_parameters():
        assert torch.allclose(g[k], p.grad, atol=1e-9), k


def test_quantile_pick_spans_the_length_distribution():
    bs = [synthetic_batch(2, n, V, P, R) for n in (9, 3, 7, 5, 11, 4)]
    picked = [b.words.shape[1] for b in quantile_pick(bs, 3)]
    assert picked == [4, 7, 11]


def test_cpu_peak_memory_probe_runs_in_a_subprocess():
    b = synthetic_batch(2, 5, V, P, R)
    mem = peak_memory("rinlib", b, V, P, R, 1, threads=1, device=torch.device("cpu"))
    assert 0 <= mem < 2**30
