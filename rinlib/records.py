"""The one internal record every reader converts to.

Readers for the four raw formats (CasRel triples, JointER/ETL-Span, CopyRE raw lines, the RIN
authors' JSON lines) all produce :class:`Sentence` objects, so the model, the metrics and the
notebooks never see a raw format. Spans are half-open token offsets ``(start, end)``; the
*anchor* of a span is its last token ``end - 1`` (what the partial-match task and the
relation tensor use).
"""

from __future__ import annotations

from dataclasses import dataclass, field

TAGS = ("O", "B", "I", "E", "S")
"""BIOES tags in the model's id order (= the authors' ``constant.json`` ``bio`` map): O=0 … S=4."""

Span = tuple[int, int]
"""Half-open token span ``(start, end)``; ``end - 1`` is the anchor (last word)."""


def anchor(span: Span) -> int:
    """Last token of a span: the word that carries the relation label (paper §4.3)."""
    return span[1] - 1


@dataclass(frozen=True, order=True)
class Triple:
    """A relational triple whose subject and object are token spans of one sentence."""

    subj: Span
    rel: str
    obj: Span


@dataclass
class Sentence:
    """One tokenised sentence with its gold triples.

    ``entities`` are the spans tagged with BIOES for training; they include every triple
    argument, and may include extra mentions (e.g. the authors' ``en_list``).
    ``span_flags`` maps an entity span to how it was obtained when it was not given by the
    source (``"recovered"``, ``"last_word_only"``, ``"capitalised_run"``), for coverage reports.
    """

    sid: str
    tokens: list[str]
    triples: list[Triple]
    pos: list[str] | None = None
    entities: list[Span] = field(default_factory=list)
    span_flags: dict[Span, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        known = set(self.entities)
        for t in self.triples:
            for s in (t.subj, t.obj):
                if s not in known:
                    self.entities.append(s)
                    known.add(s)
        self.entities.sort()

    @property
    def unique_triples(self) -> set[Triple]:
        """Gold triples de-duplicated (docs/spec.md §3: metrics run over sets)."""
        return set(self.triples)


def sentence_to_dict(s: Sentence) -> dict:
    """JSON-safe form of a sentence (the format of the processed caches and fixtures)."""
    return {"sid": s.sid, "tokens": s.tokens, "pos": s.pos,
            "triples": [[list(t.subj), t.rel, list(t.obj)] for t in s.triples],
            "entities": [list(e) for e in s.entities],
            "span_flags": [[list(k), v] for k, v in sorted(s.span_flags.items())]}


def sentence_from_dict(d: dict) -> Sentence:
    """Inverse of :func:`sentence_to_dict`."""
    return Sentence(d["sid"], d["tokens"], [Triple(tuple(a), r, tuple(b)) for a, r, b in d["triples"]],
                    pos=d.get("pos"), entities=[tuple(e) for e in d.get("entities", [])],
                    span_flags={tuple(k): v for k, v in d.get("span_flags", [])})
