"""One reader per raw format, each returning ``list[Sentence]`` (the kit's one record).

Formats (see ``data/README.md``): CasRel triples (``text`` + ``triple_list``), JointER
(``tokens`` + ``spo_details``), CopyRE raw lines (``sentText`` + ``relationMentions``), the RIN
authors' JSON lines (token lists + ``en_list``), and CopyRE's original id format, which only
supplies last-word *positions* for WebNLG* (:func:`read_copyre_positions`).

Error policy (module :mod:`rinlib.data.errors`): a missing file, malformed JSON, a missing or
mistyped field raise :class:`DataError`; per-record content problems are counted skips in the
given :class:`SkipLog` (``strict=True`` raises instead):

* ``empty_sentence`` / ``over_long`` (> ``max_len`` tokens): the sentence is skipped;
* ``unknown_relation`` (label not in the inventory) / ``entity_not_found``: the triple is skipped,
  the sentence is kept.

``sid`` is ``f"{dataset}/{split}/{index}"`` with ``index`` the record's position in its file, so a
skipped record leaves a visible gap and every sentence can be traced back to its line.
"""

from __future__ import annotations

import json
import unicodedata
from collections.abc import Collection, Sequence
from pathlib import Path
from typing import Any

from rinlib.data.errors import DataError, SkipLog, log
from rinlib.records import Sentence, Span, Triple

DATA_DIR = Path(__file__).resolve().parents[2] / "data"
"""The kit's shipped data folder (``data/raw``, ``data/embeddings``, ``data/taggers``)."""

MAX_LEN = 200
"""Default longest sentence (tokens) kept; longer ones are counted skips (``over_long``)."""

Anchors = list[tuple[int, int, str]]
"""Per sentence: ``(subject_end, object_end, relation)`` last-word positions, one per triple."""


# --------------------------------------------------------------------------- file level

def read_text(path: Path) -> str:
    """A file's text as UTF-8; a missing file or invalid UTF-8 raises :class:`DataError` naming
    the line (a ``UnicodeDecodeError`` names only a byte offset, useless in a large file)."""
    path = Path(path)
    if not path.is_file():
        raise DataError("file not found", file=path)
    raw = path.read_bytes()
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError as e:
        line = raw.count(b"\n", 0, e.start) + 1
        raise DataError(f"invalid UTF-8 at line {line} (byte 0x{raw[e.start]:02x} at offset {e.start}); "
                        "save the file as UTF-8", file=path, record=f"? (line {line})", field="<encoding>") from None


def read_json(path: Path) -> Any:
    """Parse one JSON document; a missing file, invalid UTF-8 or bad JSON raises :class:`DataError`."""
    path = Path(path)
    text = read_text(path)
    try:
        return json.loads(text)
    except json.JSONDecodeError as e:
        raise DataError(f"malformed JSON at line {e.lineno} column {e.colno}: {e.msg}", file=path,
                        record=f"? (line {e.lineno})", field="<json>") from None


def read_json_lines(path: Path) -> list[Any]:
    """Parse JSON Lines (blank lines ignored); a bad line raises naming its record index."""
    path = Path(path)
    out = []
    for i, line in enumerate(read_text(path).splitlines()):
        if not line.strip():
            continue
        try:
            out.append(json.loads(line))
        except json.JSONDecodeError as e:
            raise DataError(f"malformed JSON line {i + 1} column {e.colno}: {e.msg}", file=path,
                            record=len(out), field="<json>") from None
    return out


def read_records(path: Path) -> list[Any]:
    """A JSON array file, or JSON Lines when the file is not one JSON document."""
    path = Path(path)
    head = read_text(path).lstrip()[:1]
    data = read_json(path) if head == "[" else read_json_lines(path)
    if not isinstance(data, list):
        raise DataError("expected a JSON array of records", file=path, field="<root>")
    return data


def load_relations(path: Path) -> list[str]:
    """Relation inventory in id order from a ``rel2id`` file.

    Accepts CasRel's ``[{id: rel}, {rel: id}]`` and CopyRE's ``{rel: id}`` layouts.
    """
    data = read_json(path)
    if isinstance(data, list) and len(data) == 2 and isinstance(data[1], dict):
        data = data[1]
    if not isinstance(data, dict) or not all(isinstance(v, int) for v in data.values()):
        raise DataError("expected {relation: id} or [{id: relation}, {relation: id}]", file=path,
                        field="<root>")
    return [r for r, _ in sorted(data.items(), key=lambda kv: kv[1])]


def _get(rec: Any, key: str, typ: type | tuple[type, ...], path: Path, i: int) -> Any:
    if not isinstance(rec, dict):
        raise DataError(f"record is {type(rec).__name__}, expected an object", file=path, record=i,
                        field="<record>")
    if key not in rec:
        raise DataError("required field missing", file=path, record=i, field=key)
    v = rec[key]
    if not isinstance(v, typ):
        raise DataError(f"expected {typ}, got {type(v).__name__}", file=path, record=i, field=key)
    return v


# --------------------------------------------------------------------------- span helpers

def find_all(tokens: Sequence[str], sub: Sequence[str]) -> list[Span]:
    """Every span where ``sub`` occurs as a token sequence in ``tokens``."""
    n, m = len(tokens), len(sub)
    if m == 0:
        return []
    return [(k, k + m) for k in range(n - m + 1) if list(tokens[k:k + m]) == list(sub)]


def fold(s: str) -> str:
    """Accents removed (NFKD without combining marks): "Medellín" → "Medellin"."""
    return "".join(c for c in unicodedata.normalize("NFKD", s) if not unicodedata.combining(c))


def locate(tokens: Sequence[str], mention: str | Sequence[str]) -> list[Span]:
    """Spans of a mention: exact token match first, else a whitespace- and accent-insensitive one.

    The fallback exists because some releases write a mention differently from its sentence
    (``S.E.C.`` vs ``S.E.C .``; NYT's "Medellín" in a sentence that says "Medellin"); it only
    accepts spans made of whole tokens.
    """
    sub = mention.split() if isinstance(mention, str) else list(mention)
    spans = find_all(tokens, sub)
    if spans or not sub:
        return spans
    target = fold("".join(sub))
    out = []
    for k in range(len(tokens)):
        acc = ""
        for m in range(k, len(tokens)):
            acc += fold(tokens[m])
            if acc == target:
                out.append((k, m + 1))
            if len(acc) >= len(target) or not target.startswith(acc):
                break
    return out


def _choose(spans: list[Span], end: int | None, skips: SkipLog) -> Span:
    """Pick one occurrence: the one ending at the known end position, else the first (counted)."""
    if end is not None:
        for s in spans:
            if s[1] - 1 == end:
                return s
        skips.note("end_position_not_matching_mention")
    if len(spans) > 1:
        skips.note("ambiguous_first_occurrence")
    return spans[0]


class _Ctx:
    """The per-file state every reader needs (where, which relations, what to skip)."""

    def __init__(self, path: Path, dataset: str, split: str, relations: Collection[str],
                 skips: SkipLog | None, max_len: int) -> None:
        self.path, self.dataset, self.split = Path(path), dataset, split
        self.relations = set(relations)
        self.skips = skips if skips is not None else SkipLog()
        self.max_len = max_len
        self._before = len(self.skips)

    def sid(self, i: int) -> str:
        return f"{self.dataset}/{self.split}/{i}"

    def records(self, anchors: list[Anchors] | None = None) -> list[Any]:
        """The file's records, checked to align one-to-one with ``anchors`` when given."""
        records = read_records(self.path)
        if anchors is not None and len(anchors) != len(records):
            raise DataError(f"{len(records)} records but {len(anchors)} position lists", file=self.path,
                            field="<root>")
        return records

    def sentence_ok(self, tokens: list[str], i: int, field: str) -> bool:
        if not tokens:
            self.skips.skip("empty_sentence", file=self.path, record=i, field=field)
            return False
        if len(tokens) > self.max_len:
            self.skips.skip("over_long", file=self.path, record=i, field=field,
                            detail=f"{len(tokens)} tokens > max_len {self.max_len}")
            return False
        return True

    def relation_ok(self, rel: Any, i: int, field: str) -> bool:
        if rel in self.relations:
            return True
        self.skips.skip("unknown_relation", file=self.path, record=i, field=field,
                        detail=f"{rel!r} not in the relation inventory")
        return False

    def span(self, tokens: list[str], mention: Any, end: int | None, i: int, field: str) -> Span | None:
        if isinstance(mention, dict):
            return self.offset_span(tokens, mention, i, field)
        if not isinstance(mention, (str, list)):
            raise DataError(f"expected a string, token list or {{\"text\", \"start\"}}, got {type(mention).__name__}",
                            file=self.path, record=i, field=field)
        spans = locate(tokens, mention)
        if not spans:
            self.skips.skip("entity_not_found", file=self.path, record=i, field=field,
                            detail=f"{mention!r}")
            return None
        return _choose(spans, end, self.skips)

    def offset_span(self, tokens: list[str], mention: dict, i: int, field: str) -> Span | None:
        """``{"text": "Paris", "start": 7}``: the mention at a given token offset (0-based, in the
        whitespace-split text), for an entity string that occurs more than once in its sentence."""
        text, start = mention.get("text"), mention.get("start")
        if not isinstance(text, str) or not text.split() or type(start) is not int:
            raise DataError('expected {"text": non-empty str, "start": int token offset}, got '
                            f"{json.dumps(mention, ensure_ascii=False)}", file=self.path, record=i, field=field)
        span = (start, start + len(text.split()))
        if start < 0 or list(tokens[span[0]:span[1]]) != text.split():
            self.skips.skip("entity_not_found", file=self.path, record=i, field=field,
                            detail=f"{text!r} is not at token {start} (tokens there: "
                                   f"{' '.join(tokens[max(start, 0):max(span[1], 0)])!r})")
            return None
        return span

    def done(self) -> None:
        n = len(self.skips) - self._before
        if n:
            log.warning("%s: %d skips (see SkipLog.summary())", self.path, n)


# --------------------------------------------------------------------------- readers

def read_casrel(path: Path, *, dataset: str, split: str, relations: Collection[str],
                anchors: list[Anchors] | None = None, skips: SkipLog | None = None,
                max_len: int = MAX_LEN) -> list[Sentence]:
    """CasRel triple format: ``[{"text": str, "triple_list": [[subj, rel, obj], ...]}]``.

    Entity strings are located in the space-tokenised text; an entity may instead be given as
    ``{"text": str, "start": int}`` (its first token's 0-based offset in ``text.split()``), which
    fixes the occurrence of a string that appears more than once. ``anchors`` (from
    :func:`read_copyre_positions`, same sentence and triple order) resolves a repeated word to
    the position the data set's authors meant; without it the first occurrence is taken and
    counted as ``ambiguous_first_occurrence``.
    """
    ctx = _Ctx(path, dataset, split, relations, skips, max_len)
    records = ctx.records(anchors)
    out = []
    for i, rec in enumerate(records):
        text = _get(rec, "text", str, ctx.path, i)
        raw = _get(rec, "triple_list", list, ctx.path, i)
        tokens = text.split()
        if not ctx.sentence_ok(tokens, i, "text"):
            continue
        pos = anchors[i] if anchors is not None else None
        if pos is not None and len(pos) != len(raw):
            ctx.skips.note("position_count_mismatch")
            pos = None
        triples = []
        for k, t in enumerate(raw):
            f = f"triple_list[{k}]"
            if not (isinstance(t, list) and len(t) == 3):
                raise DataError("expected [subject, relation, object]", file=ctx.path, record=i, field=f)
            subj, rel, obj = t
            ends = (None, None)
            if pos is not None:
                if pos[k][2] == rel:
                    ends = pos[k][:2]
                else:
                    ctx.skips.note("position_relation_mismatch")
            if not ctx.relation_ok(rel, i, f + ".relation"):
                continue
            s = ctx.span(tokens, subj, ends[0], i, f + ".subject")
            o = ctx.span(tokens, obj, ends[1], i, f + ".object")
            if s is not None and o is not None:
                triples.append(Triple(s, rel, o))
        out.append(Sentence(ctx.sid(i), tokens, triples))
    ctx.done()
    return out


def read_jointer(path: Path, *, dataset: str, split: str, relations: Collection[str],
                 skips: SkipLog | None = None, max_len: int = MAX_LEN) -> list[Sentence]:
    """JointER/ETL-Span: ``tokens`` + ``spo_details`` ``[s0, s1, _, rel, o0, o1, _]`` (ends exclusive).

    The offsets are used as given (no string search); an offset outside the sentence is an
    ``entity_not_found`` skip. The file's ``pos_tags`` are ignored (docs/spec.md §2: ~93% agreement
    with the tagger the authors used).
    """
    ctx = _Ctx(path, dataset, split, relations, skips, max_len)
    out = []
    for i, rec in enumerate(ctx.records()):
        tokens = _get(rec, "tokens", list, ctx.path, i)
        details = _get(rec, "spo_details", list, ctx.path, i)
        if not ctx.sentence_ok(tokens, i, "tokens"):
            continue
        triples = []
        for k, d in enumerate(details):
            f = f"spo_details[{k}]"
            if not (isinstance(d, list) and len(d) == 7 and all(isinstance(d[j], int) for j in (0, 1, 4, 5))):
                raise DataError("expected [s_start, s_end, label, relation, o_start, o_end, label]",
                                file=ctx.path, record=i, field=f)
            if not ctx.relation_ok(d[3], i, f + ".relation"):
                continue
            spans = (d[0], d[1]), (d[4], d[5])
            bad = [s for s in spans if not 0 <= s[0] < s[1] <= len(tokens)]
            if bad:
                ctx.skips.skip("entity_not_found", file=ctx.path, record=i, field=f,
                               detail=f"span {bad[0]} outside {len(tokens)} tokens")
                continue
            triples.append(Triple(spans[0], d[3], spans[1]))
        out.append(Sentence(ctx.sid(i), list(tokens), triples))
    ctx.done()
    return out


def read_copyre_raw(path: Path, *, dataset: str, split: str, relations: Collection[str],
                    skips: SkipLog | None = None, max_len: int = MAX_LEN) -> list[Sentence]:
    """CopyRE raw lines: ``{"sentText": str, "relationMentions": [{em1Text, em2Text, label}]}``.

    ``sentText`` is split on spaces and each full mention is located as a token sequence
    (first occurrence when repeated, counted as ``ambiguous_first_occurrence``).
    """
    ctx = _Ctx(path, dataset, split, relations, skips, max_len)
    out = []
    for i, rec in enumerate(ctx.records()):
        tokens = _get(rec, "sentText", str, ctx.path, i).split()
        mentions = _get(rec, "relationMentions", list, ctx.path, i)
        if not ctx.sentence_ok(tokens, i, "sentText"):
            continue
        triples = []
        for k, m in enumerate(mentions):
            f = f"relationMentions[{k}]"
            rel = _get(m, "label", str, ctx.path, i)
            e1, e2 = _get(m, "em1Text", str, ctx.path, i), _get(m, "em2Text", str, ctx.path, i)
            if not ctx.relation_ok(rel, i, f + ".label"):
                continue
            s = ctx.span(tokens, e1, None, i, f + ".em1Text")
            o = ctx.span(tokens, e2, None, i, f + ".em2Text")
            if s is not None and o is not None:
                triples.append(Triple(s, rel, o))
        out.append(Sentence(ctx.sid(i), tokens, triples))
    ctx.done()
    return out


def read_rin_authors(path: Path, *, dataset: str, split: str, relations: Collection[str],
                     anchors: list[Anchors] | None = None, skips: SkipLog | None = None,
                     max_len: int = MAX_LEN) -> list[Sentence]:
    """The RIN authors' JSON lines: token lists, last-word ``relationMentions``, full-span ``en_list``.

    Each last word is linked to the ``en_list`` span that ends in it (longest if several); the
    position of the last word is the ``anchors`` position of the triple with the same relation
    and words when given (duplicates removed by the authors shift indices), else the first
    occurrence that ends an ``en_list`` span, else the first occurrence. A last word no
    ``en_list`` span ends in keeps a one-token span flagged ``last_word_only``. Every
    ``en_list`` span is also an entity (tagged with BIOES). The file's ``pos`` and ``stan_ner``
    fields are ignored (the kit re-tags, docs/spec.md §2).
    """
    ctx = _Ctx(path, dataset, split, relations, skips, max_len)
    records = ctx.records(anchors)
    out = []
    for i, rec in enumerate(records):
        tokens = _get(rec, "sentText", list, ctx.path, i)
        mentions = _get(rec, "relationMentions", list, ctx.path, i)
        en_list = _get(rec, "en_list", list, ctx.path, i)
        if not ctx.sentence_ok(tokens, i, "sentText"):
            continue
        full: dict[int, Span] = {}  # end token -> longest en_list span ending there
        for e in en_list:
            for s in find_all(tokens, e):
                if s[1] - 1 not in full or s[0] < full[s[1] - 1][0]:
                    full[s[1] - 1] = s
        pos = anchors[i] if anchors is not None else []
        triples, flags = [], {}
        for k, m in enumerate(mentions):
            f = f"relationMentions[{k}]"
            rel = _get(m, "label", str, ctx.path, i)
            if not ctx.relation_ok(rel, i, f + ".label"):
                continue
            words = [_get(m, key, list, ctx.path, i) for key in ("em1Text", "em2Text")]
            # the given positions of this triple: same relation, same words at those positions
            given = next((p[:2] for p in pos if p[2] == rel and all(
                0 <= p[j] < len(tokens) and words[j][-1:] == [tokens[p[j]]] for j in (0, 1))), (None, None))
            args = []
            for j, key in enumerate(("em1Text", "em2Text")):
                cands = find_all(tokens, words[j])
                if not cands:
                    ctx.skips.skip("entity_not_found", file=ctx.path, record=i, field=f"{f}.{key}",
                                   detail=repr(words[j]))
                    break
                ends = [c[1] - 1 for c in cands]
                end = given[j] if given[j] in ends else next((e for e in ends if e in full), ends[0])
                if given[j] is None and len(ends) > 1:
                    ctx.skips.note("ambiguous_first_occurrence")
                span = full.get(end)
                if span is None:
                    span = (end, end + 1)
                    flags[span] = "last_word_only"
                args.append(span)
            if len(args) == 2:
                triples.append(Triple(args[0], rel, args[1]))
        ents = sorted(set(full.values()))
        out.append(Sentence(ctx.sid(i), list(tokens), triples, entities=ents, span_flags=flags))
    ctx.done()
    return out


def read_copyre_positions(path: Path, relations2id: Path) -> list[Anchors]:
    """CopyRE's original WebNLG id format: ``[sentences, triples]``, triples flat
    ``[e1_end, e2_end, rel_id, ...]``. Returns per sentence ``[(subj_end, obj_end, relation)]``.

    Only the positions are used: they say which occurrence of a repeated last word is the
    entity (docs/spec.md §2 pitfall "Belgium" / "Philippe of Belgium").
    """
    data = read_json(path)
    id2rel = {v: k for k, v in read_json(relations2id).items()}
    if not (isinstance(data, list) and len(data) == 2 and len(data[0]) == len(data[1])):
        raise DataError("expected [sentences, triples] of equal length", file=path, field="<root>")
    out = []
    for i, (words, flat) in enumerate(zip(*data)):
        if not isinstance(flat, list) or len(flat) % 3:
            raise DataError("triple list length is not a multiple of 3", file=path, record=i,
                            field="triples")
        trip = []
        for k in range(0, len(flat), 3):
            s, o, r = flat[k:k + 3]
            if r not in id2rel or not (0 <= s < len(words) and 0 <= o < len(words)):
                raise DataError(f"bad triple {flat[k:k + 3]}", file=path, record=i,
                                field=f"triples[{k // 3}]")
            trip.append((s, o, id2rel[r]))
        out.append(trip)
    return out
