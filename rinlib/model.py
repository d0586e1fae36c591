"""The RIN network (paper §4, Eq. 1–9; docs/spec.md §1) and its ablations. No I/O, no optimiser.

Shapes: B sentences, n tokens (padded), d = BiLSTM output size (100), R relations,
d_m = hidden size of the pair MLP (100, as the authors' ``Lr``).

Speed without changing the maths:
* the pair MLP ``W_m[h_i; h_j]`` is computed as ``W_m¹h_i + W_m²h_j`` (two n×d_m products,
  broadcast-added), never as the n×n×2d concatenation;
* the interaction layers only need ``y^r_i = max_j σ(x_ij)``; σ is monotonic, so it is
  ``σ(max_j x_ij)``: σ is applied to n×R values, not to the n×n×R tensor;
* the relation loss is BCE-with-logits written as ``Σ softplus(x) − Σ_{positives} x`` with
  the (sparse) positive indices, so no dense n×n×R target is ever built;
* the gate matmuls of Eq. 4 are fused (z and u in one product, the y-parts of all three gates
  in one product).
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
import torch.nn.functional as F
from torch import Tensor, nn
from torch.nn.utils.rnn import pack_padded_sequence, pad_packed_sequence

from rinlib.pairs import pad_relations, pair_bce_loss, pair_max_pool

N_TAGS = 5  # BIOES, tag ids O=0, B=1, I=2, E=3, S=4 (the authors' constant.json order)


@dataclass(frozen=True)
class ModelConfig:
    """Architecture of one RIN model; built from a :class:`rinlib.config.RunConfig`."""

    vocab_size: int
    n_pos: int
    n_relations: int
    K: int = 2
    word_dim: int = 100
    pos_dim: int = 10
    lstm_hidden: int = 100
    pair_dim: int = 100
    dropout: float = 0.1
    use_pos: bool = True
    interaction: str = "full"  # full | no_er | no_rc | none
    gate: str = "eq4"  # eq4 | grucell


def _pair_mask(mask: Tensor) -> Tensor:
    """(B, n, n, 1): True where both words of a pair are real tokens."""
    return (mask.unsqueeze(2) & mask.unsqueeze(1)).unsqueeze(-1)


class InteractionGRU(nn.Module):
    """The paper's own gated unit (Eq. 4), not ``nn.GRUCell``::

        z = σ(W_z[h; y]),  u = σ(W_u[h; y]),  ȟ = tanh(W_o[u∗h; y]),  h' = (1−z)∗h + z∗ȟ

    Eq. 4 has no bias terms, so neither does this module. ``W_z``, ``W_u`` and ``W_o`` are kept
    as separate parameters (readable, and the hand-computation test uses them), but the
    forward pass multiplies ``y`` once by the stacked y-columns of all three and ``h`` once by
    the stacked h-columns of z and u.
    """

    def __init__(self, d: int, y_dim: int) -> None:
        super().__init__()
        self.d = d
        self.W_z = nn.Linear(d + y_dim, d, bias=False)
        self.W_u = nn.Linear(d + y_dim, d, bias=False)
        self.W_o = nn.Linear(d + y_dim, d, bias=False)

    def forward(self, h: Tensor, y: Tensor) -> Tensor:
        d = self.d
        w_h = torch.cat([self.W_z.weight[:, :d], self.W_u.weight[:, :d]], 0)  # (2d, d)
        w_y = torch.cat([self.W_z.weight[:, d:], self.W_u.weight[:, d:], self.W_o.weight[:, d:]], 0)
        y_part = y @ w_y.t()  # (..., 3d)
        zu = torch.sigmoid(h @ w_h.t() + y_part[..., : 2 * d])
        z, u = zu[..., :d], zu[..., d:]
        h_cand = torch.tanh((u * h) @ self.W_o.weight[:, :d].t() + y_part[..., 2 * d :])
        # (1−z)∗h + z∗ȟ; under autocast the matmul outputs are low precision while h (the residual
        # stream) stays fp32, and lerp does not promote: cast to h's dtype
        return torch.lerp(h, h_cand.to(h.dtype), z.to(h.dtype))


class GRUCellGate(nn.Module):
    """``nn.GRUCell`` with y as input and h as hidden state: the authors' code, kept as an
    option to measure how much the gate choice matters (docs/spec.md §1)."""

    def __init__(self, d: int, y_dim: int) -> None:
        super().__init__()
        self.cell = nn.GRUCell(y_dim, d)

    def forward(self, h: Tensor, y: Tensor) -> Tensor:
        shape = h.shape
        return self.cell(y.reshape(-1, y.shape[-1]), h.reshape(-1, shape[-1])).view(shape)


class PairScorer(nn.Module):
    """C_r (Eq. 7): ``x_(i,j) = W_r ReLU(W_m[h_i; h_j]) + b_r`` as logits (σ is applied by the
    caller, or folded into the loss).

    ``W_m`` is one ``Linear(2d, d_m)`` so that its parameters are exactly those of the
    concatenation form; the forward pass splits its weight into the h_i and h_j halves.
    """

    def __init__(self, d: int, pair_dim: int, n_relations: int) -> None:
        super().__init__()
        self.d = d
        self.W_m = nn.Linear(2 * d, pair_dim)
        self.W_r = nn.Linear(pair_dim, n_relations)

    def halves(self, h: Tensor) -> tuple[Tensor, Tensor]:
        """``W_m¹h_i + b_m`` and ``W_m²h_j``: (B, n, d_m) each, computed once per word."""
        d = self.d
        return F.linear(h, self.W_m.weight[:, :d], self.W_m.bias), h @ self.W_m.weight[:, d:].t()

    def forward(self, h: Tensor) -> Tensor:
        """Relation logits for every ordered word pair: (B, n, n, R)."""
        left, right = self.halves(h)
        w_r, b_r = pad_relations(self.W_r.weight, self.W_r.bias)  # a faster GEMM shape (rinlib.pairs)
        return F.linear(torch.relu(left.unsqueeze(2) + right.unsqueeze(1)), w_r, b_r)[..., : self.W_r.out_features]

    def max_pool(self, h: Tensor, mask: Tensor) -> Tensor:
        """``max_j x_ij`` over real tokens j (Eq. 5 before σ): (B, n, R), via :mod:`rinlib.pairs`."""
        left, right = self.halves(h)
        return pair_max_pool(left, right, self.W_r.weight, self.W_r.bias, mask)

    def bce(self, h: Tensor, mask: Tensor, rel_index: Tensor) -> Tensor:
        """Summed BCE-with-logits over all real (i, j, t), positives as (P, 4) rows (b, i, j, t)."""
        left, right = self.halves(h)
        return pair_bce_loss(left, right, self.W_r.weight, self.W_r.bias, mask, rel_index)


@dataclass
class RINOutput:
    """Last-layer outputs (and, on request, every layer's)."""

    tag_logits: Tensor  # (B, n, 5)
    rel_logits: Tensor  # (B, n, n, R)
    layers: list[tuple[Tensor, Tensor]] | None = None  # [(tag_probs, rel_probs)] for k = 0..K


class RIN(nn.Module):
    """Embeddings → BiLSTM → K interaction layers → C_e, C_r (docs/spec.md §1).

    Parameters of GRU_e, GRU_r, C_e and C_r are shared by all layers: the network is
    *recurrent* (the paper's Θ has one θ_GRUe, θ_GRUr, θ_ER, θ_RC; the authors' code has one
    cell and one classifier per task).
    """

    def __init__(self, cfg: ModelConfig) -> None:
        super().__init__()
        if cfg.interaction not in ("full", "no_er", "no_rc", "none"):
            raise ValueError(f"interaction must be full|no_er|no_rc|none, got {cfg.interaction!r}")
        if cfg.lstm_hidden % 2:
            raise ValueError(f"lstm_hidden is both directions together and must be even, got {cfg.lstm_hidden}")
        self.cfg = cfg
        d = cfg.lstm_hidden
        self.word_emb = nn.Embedding(cfg.vocab_size, cfg.word_dim, padding_idx=0)
        self.pos_emb = nn.Embedding(cfg.n_pos, cfg.pos_dim, padding_idx=0) if cfg.use_pos else None
        self.dropout = nn.Dropout(cfg.dropout)
        in_dim = cfg.word_dim + (cfg.pos_dim if cfg.use_pos else 0)
        self.lstm = nn.LSTM(in_dim, d // 2, batch_first=True, bidirectional=True)
        self.C_e = nn.Linear(d, N_TAGS)
        self.C_r = PairScorer(d, cfg.pair_dim, cfg.n_relations)
        gate = InteractionGRU if cfg.gate == "eq4" else GRUCellGate
        self.n_layers = 0 if cfg.interaction == "none" else cfg.K
        if self.n_layers:
            self.GRU_e = gate(d, N_TAGS)
            self.GRU_r = gate(d, cfg.n_relations)

    def set_word_vectors(self, vectors: Tensor, trainable: bool = True) -> None:
        """Initialise the word embedding from pre-trained vectors (fine-tuned by default)."""
        if vectors.shape != self.word_emb.weight.shape:
            raise ValueError(
                f"word vectors have shape {tuple(vectors.shape)}, the model expects {tuple(self.word_emb.weight.shape)}"
            )
        with torch.no_grad():
            self.word_emb.weight.copy_(vectors)
        self.word_emb.weight.requires_grad_(trainable)

    def encode(self, words: Tensor, pos: Tensor, lengths: Tensor) -> Tensor:
        """H⁰: BiLSTM over the real lengths (packed), zeros at padding."""
        x = self.word_emb(words)
        if self.pos_emb is not None:
            x = torch.cat([x, self.pos_emb(pos)], dim=-1)
        x = self.dropout(x)
        packed = pack_padded_sequence(x, lengths.cpu(), batch_first=True, enforce_sorted=False)
        out, _ = self.lstm(packed)
        h, _ = pad_packed_sequence(out, batch_first=True, total_length=words.shape[1])
        return h

    def _interact(self, words: Tensor, pos: Tensor, lengths: Tensor, mask: Tensor,
                  layers: list[tuple[Tensor, Tensor]] | None) -> tuple[Tensor, Tensor]:
        """H⁰ then K interaction layers (Eq. 2–5); returns the last H_e and H_r.

        With a ``layers`` list, each layer's tag distribution and dense relation probabilities
        are appended (slow path, for the explorer); otherwise y^r comes from the fused
        max-pool kernel and the n×n×R probabilities are never formed.
        """
        h = self.encode(words, pos, lengths)
        h_e = h_r = h
        for _ in range(self.n_layers):
            y_e = torch.softmax(self.C_e(h_e), dim=-1)
            if layers is None:
                y_r = torch.sigmoid(self.C_r.max_pool(h_r, mask))
            else:
                rel_p = torch.sigmoid(self.C_r(h_r)) * _pair_mask(mask)
                layers.append((y_e, rel_p))
                y_r = rel_p.amax(dim=2)
            h_e, h_r = self.GRU_e(h, y_e), self.GRU_r(h, y_r)
            if self.cfg.interaction == "full":
                h = h + h_r + h_e
            elif self.cfg.interaction == "no_er":
                h = h + h_r
            else:  # no_rc
                h = h + h_e
        return h_e, h_r

    def forward(self, words: Tensor, pos: Tensor, lengths: Tensor, mask: Tensor,
                return_layers: bool = False) -> RINOutput:
        """Last-layer tag logits (B, n, 5) and relation logits (B, n, n, R); ``mask`` is
        (B, n), True at real tokens. With ``return_layers`` the per-layer tag distributions and
        relation probabilities for k = 0..K come too (the default path never computes them).
        """
        layers: list[tuple[Tensor, Tensor]] | None = [] if return_layers else None
        h_e, h_r = self._interact(words, pos, lengths, mask, layers)
        tag_logits, rel_logits = self.C_e(h_e), self.C_r(h_r)
        if layers is not None:
            layers.append((torch.softmax(tag_logits, -1), torch.sigmoid(rel_logits) * _pair_mask(mask)))
        return RINOutput(tag_logits, rel_logits, layers)

    def loss(self, words: Tensor, pos: Tensor, lengths: Tensor, mask: Tensor, tags: Tensor,
             rel_index: Tensor) -> tuple[Tensor, Tensor]:
        """Eq. 8–9 on the last layer, as the authors' release: cross-entropy over BIOES for every
        real token plus binary cross-entropy for every (i, j, t) of real tokens, each summed and
        divided by the batch size. Returns (entity loss, relation loss).

        ``rel_index`` holds the positive labels as (P, 4) rows (b, i, j, t); the relation term
        is computed by the fused kernel of :mod:`rinlib.pairs` without a dense target.
        """
        B = words.shape[0]
        h_e, h_r = self._interact(words, pos, lengths, mask, None)
        ce = F.cross_entropy(self.C_e(h_e).reshape(-1, N_TAGS), tags.reshape(-1), reduction="none")
        loss_e = (ce * mask.reshape(-1)).sum() / B
        return loss_e, self.C_r.bce(h_r, mask, rel_index) / B


def build_model(cfg: "RunConfig", vocab_size: int, n_pos: int, n_relations: int) -> RIN:  # noqa: F821
    """A RIN model whose architecture follows a resolved :class:`rinlib.config.RunConfig`."""
    cfg = cfg.resolved()
    return RIN(ModelConfig(
        vocab_size=vocab_size, n_pos=n_pos, n_relations=n_relations, K=cfg.K,
        word_dim=cfg.word_dim, pos_dim=cfg.pos_dim, lstm_hidden=cfg.lstm_hidden,
        pair_dim=cfg.pair_dim, dropout=cfg.dropout, use_pos=cfg.use_pos,
        interaction=cfg.interaction, gate=cfg.gate,
    ))
