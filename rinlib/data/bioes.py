"""BIOES entity tags (paper §4.3, C_e) for the data: spans → tags and back.

One token carries one tag, so nested or overlapping spans cannot all be tagged. The rule,
deterministic and documented once here: **keep the longest span, then the earliest**
(:func:`resolve_overlaps`); a span that overlaps one already kept is dropped and counted by the
caller (``dataset_stats`` reports ``bioes_conflicts``). Longest-first keeps the full mention
("Philippe of Belgium") over a nested one ("Belgium"); the relation tensor still sees the
nested entity's anchor, so no triple is lost from the relation targets.

``bioes_to_spans`` decodes leniently for gold data (a span is ``B I* E`` or ``S``; anything
ill-formed yields no span). Predictions are decoded by ``rinlib.metrics.decode_bioes``.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from rinlib.records import Span

"""Tag inventory in the authors' id order (``constant.json``: O=0, B=1, I=2, E=3, S=4)."""


def resolve_overlaps(spans: Iterable[Span]) -> tuple[list[Span], list[Span]]:
    """Split spans into (kept, dropped): longest first, then earliest; kept spans never overlap."""
    kept: list[Span] = []
    dropped: list[Span] = []
    for s in sorted(set(spans), key=lambda s: (s[0] - s[1], s[0])):
        if any(s[0] < k[1] and k[0] < s[1] for k in kept):
            dropped.append(s)
        else:
            kept.append(s)
    return sorted(kept), sorted(dropped)


def to_bioes(n_tokens: int, spans: Iterable[Span]) -> list[str]:
    """BIOES tags for ``n_tokens`` tokens; overlapping spans follow :func:`resolve_overlaps`."""
    spans = list(spans)
    for s in spans:
        if not 0 <= s[0] < s[1] <= n_tokens:
            raise ValueError(f"span {s} outside a sentence of {n_tokens} tokens")
    tags = ["O"] * n_tokens
    for a, b in resolve_overlaps(spans)[0]:
        if b - a == 1:
            tags[a] = "S"
        else:
            tags[a], tags[b - 1] = "B", "E"
            tags[a + 1:b - 1] = ["I"] * (b - a - 2)
    return tags


def bioes_to_spans(tags: Sequence[str]) -> list[Span]:
    """Spans of well-formed ``B I* E`` and ``S`` runs; ill-formed runs give nothing."""
    spans: list[Span] = []
    start: int | None = None
    for i, t in enumerate(tags):
        if t == "S":
            spans.append((i, i + 1))
            start = None
        elif t == "B":
            start = i
        elif t == "I":
            pass
        elif t == "E" and start is not None:
            spans.append((start, i + 1))
            start = None
        else:  # "O", or "E" without an open "B"
            start = None
    return spans
