"""REFERENCE ONLY: a small re-statement of the authors' released RIN design, kept here solely as
the baseline of the speed benchmark (``python -m benchmarks.rin_speed``). Do not train with it;
``rinlib.model.RIN`` is the kit's model.

It mirrors the design of BDBC-KG-NLP/Recurrent_Interaction_Network_EMNLP2020 (``model.py``),
written from the published facts, not copied:

* word (100-d) ⊕ POS (10-d) embeddings, dropout, packed BiLSTM with 50 units per direction;
* ONE ``nn.GRUCell`` per task shared over the rounds: ``GRUg = GRUCell(5, 100)``,
  ``GRUr = GRUCell(R, 100)``; classifiers ``Cg = Linear(100, 5)``, ``Lr = Linear(200, 100)``,
  ``Cr = Linear(100, R)``;
* the pair input ``[h_i; h_j]`` materialised as a (B, n, n, 2d) tensor, every round;
* round k: ``prob_g = softmax(Cg(Hg))``, ``prob_r = max_j σ(Cr(ReLU(Lr([Hr_i; Hr_j])))) ∗ mask``,
  ``Hg = GRUg(prob_g, H)``, ``Hr = GRUr(prob_r, H)``, ``H = H + Hr + Hg``;
* loss on the last round: cross-entropy over BIOES plus ``BCELoss`` on the *probabilities*
  against a dense (B, n, n, R) target, each summed over real positions and divided by the
  batch size; fp32 throughout; no length bucketing (the benchmark feeds it random batches).

Its parameters have the same names' meaning as ``rinlib``'s ``gate="grucell"`` option, so
:func:`copy_rinlib_weights` can load a rinlib model into it; with that gate both compute the
same loss (checked by ``tests/test_benchmark_reference.py``).
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import Tensor, nn
from torch.nn.utils.rnn import pack_padded_sequence, pad_packed_sequence

from rinlib.model import N_TAGS, RIN


class ReferenceRIN(nn.Module):
    """The authors' design (see the module docstring); benchmark baseline only."""

    def __init__(self, vocab_size: int, n_pos: int, n_relations: int, K: int, word_dim: int = 100,
                 pos_dim: int = 10, hidden: int = 100, pair_dim: int = 100, dropout: float = 0.1) -> None:
        super().__init__()
        self.K = K
        self.n_relations = n_relations
        self.word_emb = nn.Embedding(vocab_size, word_dim, padding_idx=0)
        self.pos_emb = nn.Embedding(n_pos, pos_dim, padding_idx=0)
        self.dropout = nn.Dropout(dropout)
        self.lstm = nn.LSTM(word_dim + pos_dim, hidden // 2, batch_first=True, bidirectional=True)
        self.GRUg = nn.GRUCell(N_TAGS, hidden)
        self.GRUr = nn.GRUCell(n_relations, hidden)
        self.Cg = nn.Linear(hidden, N_TAGS)
        self.Lr = nn.Linear(2 * hidden, pair_dim)
        self.Cr = nn.Linear(pair_dim, n_relations)

    def encode(self, words: Tensor, pos: Tensor, lengths: Tensor) -> Tensor:
        x = self.dropout(torch.cat([self.word_emb(words), self.pos_emb(pos)], dim=-1))
        packed = pack_padded_sequence(x, lengths.cpu(), batch_first=True, enforce_sorted=False)
        out, _ = self.lstm(packed)
        return pad_packed_sequence(out, batch_first=True, total_length=words.shape[1])[0]

    def relation_probs(self, h: Tensor, pair_mask: Tensor) -> Tensor:
        """σ(Cr(ReLU(Lr([h_i; h_j])))) on the materialised (B, n, n, 2d) concatenation, masked."""
        n = h.shape[1]
        cat = torch.cat([h.unsqueeze(2).expand(-1, -1, n, -1), h.unsqueeze(1).expand(-1, n, -1, -1)], dim=-1)
        return torch.sigmoid(self.Cr(torch.relu(self.Lr(cat)))) * pair_mask

    @staticmethod
    def _cell(cell: nn.GRUCell, y: Tensor, h: Tensor) -> Tensor:
        return cell(y.reshape(-1, y.shape[-1]), h.reshape(-1, h.shape[-1])).view_as(h)

    def forward(self, words: Tensor, pos: Tensor, lengths: Tensor, mask: Tensor) -> tuple[Tensor, Tensor]:
        """Tag logits (B, n, 5) and relation probabilities (B, n, n, R) of the last round."""
        pair_mask = (mask.unsqueeze(2) & mask.unsqueeze(1)).unsqueeze(-1).float()
        H = self.encode(words, pos, lengths)
        Hg = Hr = H
        for _ in range(self.K):
            prob_g = torch.softmax(self.Cg(Hg), dim=-1)
            prob_r = self.relation_probs(Hr, pair_mask).max(dim=2).values
            Hg, Hr = self._cell(self.GRUg, prob_g, H), self._cell(self.GRUr, prob_r, H)
            H = H + Hr + Hg
        return self.Cg(Hg), self.relation_probs(Hr, pair_mask)

    def loss(self, words: Tensor, pos: Tensor, lengths: Tensor, mask: Tensor, tags: Tensor,
             rel_index: Tensor) -> tuple[Tensor, Tensor]:
        """(entity loss, relation loss), each summed over real positions / batch size. The dense
        (B, n, n, R) target is built here from the (P, 4) positive rows, as the authors' loader does."""
        B, n = words.shape
        tag_logits, rel_probs = self(words, pos, lengths, mask)
        ce = F.cross_entropy(tag_logits.reshape(-1, N_TAGS), tags.reshape(-1), reduction="none")
        target = torch.zeros_like(rel_probs)
        target[tuple(rel_index.t())] = 1.0
        pair_mask = (mask.unsqueeze(2) & mask.unsqueeze(1)).unsqueeze(-1)
        bce = F.binary_cross_entropy(rel_probs, target, reduction="none") * pair_mask
        return (ce * mask.reshape(-1)).sum() / B, bce.sum() / B


def reference_like(model: RIN, dropout: float | None = None) -> ReferenceRIN:
    """A :class:`ReferenceRIN` with the same sizes as a rinlib model (fresh random weights)."""
    c = model.cfg
    if not c.use_pos or c.interaction not in ("full", "none"):
        raise ValueError("the reference mirrors the full model with POS only")
    return ReferenceRIN(c.vocab_size, c.n_pos, c.n_relations, model.n_layers, c.word_dim, c.pos_dim,
                        c.lstm_hidden, c.pair_dim, c.dropout if dropout is None else dropout)


@torch.no_grad()
def copy_rinlib_weights(ref: ReferenceRIN, model: RIN) -> None:
    """Load a rinlib model's embeddings, BiLSTM and classifiers into the reference; the gates too
    when the rinlib model uses ``gate="grucell"`` (then both compute the same function)."""
    pairs = [(ref.word_emb, model.word_emb), (ref.pos_emb, model.pos_emb), (ref.lstm, model.lstm),
             (ref.Cg, model.C_e), (ref.Lr, model.C_r.W_m), (ref.Cr, model.C_r.W_r)]
    if model.n_layers and model.cfg.gate == "grucell":
        pairs += [(ref.GRUg, model.GRU_e.cell), (ref.GRUr, model.GRU_r.cell)]
    for dst, src in pairs:
        dst.load_state_dict(src.state_dict())
