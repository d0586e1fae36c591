"""The network of docs/spec.md §1: Eq. 4 by hand, masks, decomposed == naive scorer, fused kernels ==
dense autograd, gradients reach every parameter, per-layer outputs."""

from __future__ import annotations

import pytest
import torch
import torch.nn.functional as F

from rinlib.config import RunConfig
from rinlib.model import RIN, InteractionGRU, ModelConfig, PairScorer, build_model

R = 7


def _model(**kw) -> RIN:
    torch.manual_seed(0)
    cfg = dict(vocab_size=30, n_pos=6, n_relations=R, K=2, word_dim=8, pos_dim=3, lstm_hidden=8,
               pair_dim=6, dropout=0.0)
    cfg.update(kw)
    return RIN(ModelConfig(**cfg))


def _batch(lengths=(5, 3, 4), seed=0):
    g = torch.Generator().manual_seed(seed)
    B, n = len(lengths), max(lengths)
    lengths = torch.tensor(lengths)
    mask = torch.arange(n)[None] < lengths[:, None]
    words = torch.randint(2, 30, (B, n), generator=g) * mask
    pos = torch.randint(2, 6, (B, n), generator=g) * mask
    tags = torch.randint(0, 5, (B, n), generator=g) * mask
    rel_index = torch.tensor([[0, 0, 4, 1], [0, 4, 0, 2], [1, 2, 0, 3], [2, 1, 3, 6], [2, 3, 3, 0]])
    return words, pos, lengths, mask, tags, rel_index


def test_eq4_by_hand():
    """h' = (1−z)h + z·tanh(W_o[u∗h; y]) with z = σ(W_z[h; y]), u = σ(W_u[h; y]); no biases."""
    gru = InteractionGRU(2, 1)
    with torch.no_grad():
        gru.W_z.weight.copy_(torch.tensor([[1.0, 0.0, 1.0], [0.0, 0.0, 0.0]]))
        gru.W_u.weight.copy_(torch.tensor([[0.0, 0.0, 0.0], [0.0, 1.0, -1.0]]))
        gru.W_o.weight.copy_(torch.tensor([[1.0, 1.0, 0.0], [0.0, 2.0, 1.0]]))
    h, y = torch.tensor([[0.5, -1.0]]), torch.tensor([[2.0]])
    sig = lambda v: 1 / (1 + torch.exp(-torch.tensor(v)))  # noqa: E731
    z = torch.stack([sig(0.5 + 2.0), sig(0.0)])
    u = torch.stack([sig(0.0), sig(-1.0 - 2.0)])
    uh = u * h[0]
    h_c = torch.tanh(torch.stack([uh[0] + uh[1], 2 * uh[1] + 2.0]))
    expected = (1 - z) * h[0] + z * h_c
    assert torch.allclose(gru(h, y)[0], expected, atol=1e-6)
    assert not any(n.endswith("bias") for n, _ in gru.named_parameters())


def test_decomposed_scorer_equals_naive_concatenation():
    torch.manual_seed(1)
    sc = PairScorer(8, 6, R)
    h = torch.randn(3, 5, 8)
    n = h.shape[1]
    cat = torch.cat([h.unsqueeze(2).expand(-1, -1, n, -1), h.unsqueeze(1).expand(-1, n, -1, -1)], -1)
    naive = sc.W_r(torch.relu(sc.W_m(cat)))
    assert torch.allclose(sc(h), naive, atol=1e-6)


@pytest.mark.parametrize("interaction", ["full", "no_er", "no_rc"])
def test_fused_loss_equals_dense_autograd(interaction):
    """The fused max-pool and BCE kernels give the dense computation's loss and gradients."""
    m = _model(interaction=interaction).double()
    words, pos, lengths, mask, tags, ri = _batch()
    out = m(words, pos, lengths, mask, return_layers=True)  # dense path
    B = words.shape[0]
    ce = F.cross_entropy(out.tag_logits.reshape(-1, 5), tags.reshape(-1), reduction="none")
    y = torch.zeros_like(out.rel_logits)
    y[tuple(ri.t())] = 1
    pm = (mask[:, :, None] & mask[:, None, :])[..., None]
    dense = ((ce * mask.reshape(-1)).sum() + (F.binary_cross_entropy_with_logits(
        out.rel_logits, y, reduction="none") * pm).sum()) / B
    dense.backward()
    g_dense = {k: p.grad.clone() for k, p in m.named_parameters()}
    m.zero_grad()
    le, lr = m.loss(words, pos, lengths, mask, tags, ri)
    (le + lr).backward()
    assert torch.allclose(le + lr, dense, atol=1e-9)
    for k, p in m.named_parameters():
        assert torch.allclose(p.grad, g_dense[k], atol=1e-9), k


def test_padding_never_changes_real_outputs():
    """A sentence alone and inside a padded batch gives the same tags and pair scores."""
    m = _model().eval()
    words, pos, lengths, mask, _, _ = _batch((3, 6))
    with torch.no_grad():
        full = m(words, pos, lengths, mask)
        alone = m(words[:1, :3], pos[:1, :3], lengths[:1], mask[:1, :3])
    assert torch.allclose(full.tag_logits[0, :3], alone.tag_logits[0], atol=1e-6)
    assert torch.allclose(full.rel_logits[0, :3, :3], alone.rel_logits[0], atol=1e-6)
    # junk in padded positions does not leak either
    words2 = words.clone()
    words2[0, 3:] = 7
    with torch.no_grad():
        junk = m(words2, pos, lengths, mask)
    assert torch.allclose(junk.tag_logits[0, :3], full.tag_logits[0, :3], atol=1e-6)


@pytest.mark.parametrize("variant", ["rin", "no_er", "no_rc", "no_pos", "no_interaction"])
def test_every_parameter_gets_a_gradient(variant):
    cfg = RunConfig(dataset="webnlg", task="exact", variant=variant, K=2, dropout=0.0, word_dim=8,
                    pos_dim=3, lstm_hidden=8, pair_dim=6)
    torch.manual_seed(0)
    m = build_model(cfg, 30, 6, R)
    words, pos, lengths, mask, tags, ri = _batch()
    sum(m.loss(words, pos, lengths, mask, tags, ri)).backward()
    for name, p in m.named_parameters():
        if name == "word_emb.weight" or name == "pos_emb.weight":
            continue  # padding row gets none; checked below
        assert p.grad is not None and p.grad.abs().sum() > 0, name
    assert m.word_emb.weight.grad[2:].abs().sum() > 0
    assert (m.pos_emb is None) == (variant == "no_pos")
    assert (m.n_layers == 0) == (variant == "no_interaction")


def test_variant_wiring():
    assert RunConfig(variant="no_interaction").resolved().K == 0
    assert RunConfig(dataset="webnlg", task="exact").resolved().K == 3
    assert RunConfig(dataset="nyt", task="exact").resolved().K == 7
    assert RunConfig(variant="no_er").resolved().interaction == "no_er"
    assert RunConfig(K=0).resolved().interaction == "none"


def test_layers_shapes_and_last_layer_equals_default_forward():
    m = _model(K=3).eval()
    words, pos, lengths, mask, _, _ = _batch()
    with torch.no_grad():
        plain = m(words, pos, lengths, mask)
        rich = m(words, pos, lengths, mask, return_layers=True)
    assert plain.layers is None and len(rich.layers) == 4
    B, n = words.shape
    for tag_p, rel_p in rich.layers:
        assert tag_p.shape == (B, n, 5) and rel_p.shape == (B, n, n, R)
        assert torch.allclose(tag_p.sum(-1), torch.ones(B, n))
    # padded rows differ (junk that never reaches a real token); real positions agree
    pm2 = mask[:, :, None] & mask[:, None, :]
    assert torch.allclose(plain.tag_logits[mask], rich.tag_logits[mask], atol=1e-6)
    assert torch.allclose(plain.rel_logits[pm2], rich.rel_logits[pm2], atol=1e-6)
    last_tags, last_rel = rich.layers[-1]
    assert torch.allclose(last_tags[mask], torch.softmax(plain.tag_logits, -1)[mask], atol=1e-6)
    assert torch.allclose(last_rel[pm2], torch.sigmoid(plain.rel_logits)[pm2], atol=1e-6)


def test_grucell_option_runs():
    m = _model(gate="grucell")
    words, pos, lengths, mask, tags, ri = _batch()
    sum(m.loss(words, pos, lengths, mask, tags, ri)).backward()
    assert m.GRU_e.cell.weight_ih.grad is not None


def test_word_vector_shape_is_checked():
    m = _model()
    with pytest.raises(ValueError, match="word vectors have shape"):
        m.set_word_vectors(torch.zeros(30, 9))


@pytest.mark.parametrize("interaction", ["full", "none"])
def test_mixed_precision_training_step_runs_close_to_fp32(interaction):
    """The AMP path (training with ``amp`` on CUDA) exercised with CPU bf16 autocast: the gate's
    lerp mixes a low-precision candidate with the fp32 residual stream and the pair kernels
    receive low-precision inputs; both once raised dtype errors. The pair kernels run in fp32,
    so the loss and gradients stay close to the fp32 ones, and every gradient is fp32."""
    m = _model(interaction=interaction)
    words, pos, lengths, mask, tags, ri = _batch()
    grads, losses = [], []
    for amp in (False, True):
        m.zero_grad()
        with torch.autocast("cpu", dtype=torch.bfloat16, enabled=amp):
            le, lr = m.loss(words, pos, lengths, mask, tags, ri)
        (le + lr).backward()
        losses.append((le + lr).item())
        grads.append(torch.cat([p.grad.flatten() for p in m.parameters()]))
        assert all(p.grad.dtype == torch.float32 for p in m.parameters())
    assert losses[1] == pytest.approx(losses[0], rel=2e-2)
    assert (grads[1] - grads[0]).norm() <= 0.05 * grads[0].norm()
    with torch.autocast("cpu", dtype=torch.bfloat16), torch.inference_mode():
        out = m(words, pos, lengths, mask)
    assert out.rel_logits.shape == (3, 5, 5, R) and torch.isfinite(out.rel_logits.float()).all()


def test_relation_padding_changes_nothing_but_speed(monkeypatch):
    """Zero W_r rows appended for a faster GEMM shape (rinlib.pairs.PAD_RELATIONS_TO): same
    logits, loss and gradients as without padding (R = 31 here, padded to 32)."""
    from rinlib import pairs
    m = _model(n_relations=31).double()
    words, pos, lengths, mask, tags, ri = _batch()
    outs = []
    for pad in (1, 16):
        monkeypatch.setattr(pairs, "PAD_RELATIONS_TO", pad)
        m.zero_grad()
        le, lr = m.loss(words, pos, lengths, mask, tags, ri)
        (le + lr).backward()
        logits = m(words, pos, lengths, mask).rel_logits
        outs.append((le + lr, logits, [p.grad.clone() for p in m.parameters()]))
    assert outs[1][1].shape[-1] == 31 and pairs.pad_relations(torch.zeros(31, 2), torch.zeros(31))[0].shape[0] == 32
    assert pairs.pad_relations(torch.zeros(24, 2), torch.zeros(24))[0].shape[0] == 24  # +1/3 columns: not worth it
    assert torch.allclose(outs[0][0], outs[1][0], atol=1e-10) and torch.allclose(outs[0][1], outs[1][1], atol=1e-10)
    assert all(torch.allclose(a, b, atol=1e-10) for a, b in zip(outs[0][2], outs[1][2]))


def test_pair_kernels_reject_a_mask_with_padding_first():
    from rinlib.pairs import pair_max_pool
    left = right = torch.zeros(1, 3, 4)
    with pytest.raises(ValueError, match="real tokens first"):
        pair_max_pool(left, right, torch.zeros(5, 4), torch.zeros(5), torch.tensor([[False, True, True]]))
