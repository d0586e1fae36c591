"""Recover full entity spans for WebNLG* sentences, whose raw files mark only each entity's last word.

Why: the paper tags full entity spans with BIOES even for the partial task, and its exact-match
WebNLG numbers use full spans (docs/spec.md §2). WebNLG* (CopyRE/CasRel) keeps only the last word, but
every WebNLG* sentence is a lexicalisation (``<lex>``) of the original WebNLG 2017 corpus, whose
enriched XML (WebNLG-enriched_ThiagoCF05) names the DBpedia entity of each triple and the text
that refers to it. The recipe (docs/spec.md §2 "Span recovery"):

1. find the sentence's ``<lex>`` by comparing texts lower-cased with only ASCII letters and
   digits kept (WebNLG* text is UTF-8 mis-decoded as cp1252 and has ``UNK`` wildcards); where
   that fails, compare the mojibake-repaired, accent-folded texts (finds 10 more train
   sentences: "Ä°zmir" loses its "i" under the plain key, "İzmir" does not);
2. link each last word to the entity of the lex triple with the same relation whose name or
   reference ends in that word (WebNLG* relation names are the ``<mtriple>`` predicates);
3. span = the entity's cleaned name matched in the tokens ending at that word, else one of
   its reference texts (leading determiners / lower-case descriptors stripped), else the name
   or a reference of any other entity of the lex ending there, else the capitalised run ending
   at the word (flag ``capitalised_run``), else the last word itself (flag ``last_word_only``).

Matching is done on "folded" character strings (accents removed, ASCII letters and digits
only), so tokenisation differences ("Erie County , New York" vs "Erie County, New York",
"A.D." vs "A. D.") do not matter. Positions come from the input triples (the CopyRE end
positions, one per triple argument), so one last word that stands for two entities in
different places ("Belgium" / "Philippe of Belgium") gets the right one each time.
"""

from __future__ import annotations

import re
import unicodedata
import xml.etree.ElementTree as ET
from collections import Counter
from dataclasses import dataclass, replace
from functools import lru_cache
from pathlib import Path
from typing import Callable, NamedTuple

from rinlib.data.errors import DataError
from rinlib.records import Sentence, Span, Triple, anchor

ENRICHED_DIR = Path("WebNLG-enriched_ThiagoCF05") / "v1.0" / "en"
XML_SPLITS = ("train", "dev")  # a WebNLG* sentence of any split may come from either
SPLITS = ("train", "dev", "test")
FLAG_RECOVERED, FLAG_CAPITALISED, FLAG_LAST_WORD = "recovered", "capitalised_run", "last_word_only"
RECOVERING_RULES = ("name", "reference", "other_entity")
RULES = (*RECOVERING_RULES, FLAG_CAPITALISED, FLAG_LAST_WORD)
UNK = "UNK"
_MAX_SPAN_TOKENS = 25
_MAX_FAILURE_EXAMPLES = 25
_DETERMINERS = {"the", "a", "an"}
_MENTION_TYPES = {"name", "description"}  # not "pronoun" ("it 's") or "demonstrative" ("This sandwich")
_CLAUSE_WORDS = {"is", "are", "was", "were", "has", "have", "had", "which", "who", "whose", "where", "played",
                 "located"}  # a reference holding one of these is a clause, not a mention
_NOT_ALNUM = re.compile(r"[^a-z0-9]")
_PARENTHESIS = re.compile(r"\s*\([^)]*\)")


@dataclass(frozen=True)
class Lex:
    """One lexicalisation: its text, its entry's triples and its entity references."""

    source: str  # "<xml file>#<eid>/<lid>", for reports
    triples: tuple[tuple[str, str, str], ...]  # (subject, predicate, object) DBpedia names
    references: tuple[tuple[str, str], ...]  # (entity, reference text), names and descriptions only


# ---------------------------------------------------------------- text normalisation


def plain_key(text: str) -> str:
    """docs/spec.md's (§2) sentence key: lower-case, ASCII letters and digits only (mojibake bytes drop out)."""
    return _NOT_ALNUM.sub("", text.lower())


def repair_mojibake(token: str) -> str:
    """Undo UTF-8 read as cp1252 ("DavutoÄŸlu" -> "Davutoğlu"); tokens that do not round-trip stay."""
    if token.isascii():
        return token
    try:
        raw = bytes(_cp1252_byte(ch) for ch in token)
        return raw.decode("utf-8")
    except (UnicodeEncodeError, UnicodeDecodeError, ValueError):
        return token


def _cp1252_byte(ch: str) -> int:
    """The byte cp1252 decoded to ``ch`` (Latin-1 range and C1 controls stand for themselves)."""
    return ord(ch) if ord(ch) < 0x100 else ch.encode("cp1252")[0]


def fold(text: str) -> str:
    """Accent-free lower-case ASCII letters and digits ("&" read as "and"): how names meet tokens."""
    decomposed = unicodedata.normalize("NFKD", text.replace("&", "and"))
    return _NOT_ALNUM.sub("", "".join(c for c in decomposed if not unicodedata.combining(c)).lower())


def clean_entity_name(entity: str) -> str:
    """DBpedia name -> surface text: underscores to spaces, no "(…)", quotes, "@en" or datatypes."""
    name = entity.split("^^")[0].replace("@en", "").replace("_", " ")
    name = _PARENTHESIS.sub("", name)
    return name.replace('"', "").strip()


class Word(NamedTuple):
    """A sentence token in the form names are compared in.

    ``text``: its folded letters and digits ("" for punctuation, which never starts a span);
    ``pattern``: a regex when part of the word is unknown (``UNK``, or mojibake that does not
    round-trip, whose lost letters may be anything), else ``None``.
    """

    text: str
    pattern: str | None = None


def to_word(token: str) -> Word:
    """Fold a WebNLG* token, repairing mojibake; unknown letters become wildcards."""
    if token == UNK:
        return Word("", "[a-z0-9]+")
    repaired = repair_mojibake(token)
    if repaired.isascii() or repaired != token:
        return Word(fold(repaired))
    known = [fold(piece) for piece in re.split(r"[^\x00-\x7f]+", token)]
    if not any(known):
        return Word("")
    return Word("".join(known), "[a-z0-9]*".join(re.escape(k) for k in known))


# ---------------------------------------------------------------- the enriched XML index


@lru_cache(maxsize=4)
def load_lex_index(enriched_root: Path) -> dict[str, tuple[Lex, ...]]:
    """Every ``<lex>`` of the enriched train + dev XML, keyed by :func:`plain_key` and :func:`fold`.

    Parsed once per process (one to two seconds) and shared: do not mutate the result. Several
    lexes can share a text (one sentence written for different triple sets); the caller picks
    the one that fits the sentence's triples.
    """
    index: dict[str, list[Lex]] = {}
    files = [f for split in XML_SPLITS for f in sorted((enriched_root / split).glob("*triples/*.xml"))]
    if not files:
        raise DataError("no enriched WebNLG XML files under train/*triples/ or dev/*triples/",
                        file=enriched_root)
    for path in files:
        try:
            root = ET.parse(path).getroot()
        except ET.ParseError as err:
            raise DataError(f"malformed XML ({err})", file=path, field="<xml>") from err
        for entry in root.iter("entry"):
            triples = tuple(_split_mtriple(path, entry, t.text or "") for t in entry.iter("mtriple"))
            for lex in entry.findall("lex"):
                refs = tuple((r.get("entity", ""), r.text or "") for r in lex.iter("reference")
                             if r.get("type") in _MENTION_TYPES)
                text = lex.findtext("text") or ""
                source = f"{path.parent.name}/{path.name}#{entry.get('eid')}/{lex.get('lid')}"
                record = Lex(source, triples, refs)
                for key in dict.fromkeys((plain_key(text), fold(text))):
                    index.setdefault(key, []).append(record)
    return {key: tuple(lexes) for key, lexes in index.items()}


def _split_mtriple(path: Path, entry: ET.Element, text: str) -> tuple[str, str, str]:
    parts = [p.strip() for p in text.split(" | ")]
    if len(parts) != 3:
        raise DataError(f"{text!r} is not 'Subj | pred | Obj'", file=path,
                        record=f"entry {entry.get('eid')}", field="mtriple")
    return parts[0], parts[1], parts[2]


def _find_lexes(tokens: list[str], words: list[Word], index: dict[str, tuple[Lex, ...]]
                ) -> tuple[tuple[Lex, ...], str]:
    """Lexes whose text equals the sentence's, and how they were found ("plain", "repaired", "").

    First the plain key of docs/spec.md §2, with ``UNK`` tokens matching any word (or none); then the key of
    the mojibake-repaired, accent-folded words, which also finds the sentences where plain
    keys differ ("Ä°zmir" -> "zmir" but "İzmir" -> "izmir").
    """
    if UNK in tokens:
        pieces = [plain_key(" ".join(g)) for g in _split_on(tokens, UNK)]
        pattern = re.compile("[a-z0-9]*".join(re.escape(p) for p in pieces))
        longest = max(pieces, key=len)
        found = tuple(dict.fromkeys(lex for key, lexes in index.items()
                                    if longest in key and pattern.fullmatch(key) for lex in lexes))
        return found, "plain" if found else ""
    if plain_key(" ".join(tokens)) in index:
        return index[plain_key(" ".join(tokens))], "plain"
    repaired = "".join(w.text for w in words)
    return index.get(repaired, ()), "repaired" if repaired in index else ""


def _split_on(tokens: list[str], sep: str) -> list[list[str]]:
    groups: list[list[str]] = [[]]
    for tok in tokens:
        if tok == sep:
            groups.append([])
        else:
            groups[-1].append(tok)
    return groups


# ---------------------------------------------------------------- span matching


def _reference_variants(text: str) -> list[str]:
    """A reference text and its forms without leading determiners / lower-case descriptors.

    "the bronze Atatürk Monument" -> ["the bronze Atatürk Monument", "bronze Atatürk Monument",
    "Atatürk Monument"]; descriptors are only dropped while a capitalised word remains, so a
    lower-case name ("fried chicken") is kept whole. Shortest first: docs/spec.md §2 wants the bare name.
    """
    words = text.split()
    variants = [words]
    while len(variants[-1]) > 1:
        head, rest = variants[-1][0], variants[-1][1:]
        if head.lower() in _DETERMINERS or (head[:1].islower() and any(w[:1].isupper() for w in rest)):
            variants.append(rest)
        else:
            break
    return [" ".join(v) for v in reversed(variants)]


def match_ending_at(words: list[Word], end: int, target: str) -> int | None:
    """Start of the span of words ending at ``end`` (inclusive) whose folded text is ``target``.

    The span never starts on a word that folds to "" (punctuation), so "`` Bananaman" is not
    returned for "Bananaman". Returns ``None`` when no such span exists.
    """
    if not target or not (words[end].text or words[end].pattern):
        return None
    best = None
    for start in range(end, max(-1, end - _MAX_SPAN_TOKENS), -1):
        window = words[start:end + 1]
        if not (words[start].text or words[start].pattern):
            continue
        known = "".join(w.text for w in window)
        if any(w.pattern for w in window):
            regex = "".join(w.pattern or re.escape(w.text) for w in window)
            if re.fullmatch(regex, target):
                best = start
            if len(known) > len(target):
                return best
        elif known == target:
            return start
        elif not target.endswith(known):
            return best
    return best


def capitalised_run(tokens: list[str], end: int) -> int | None:
    """Start of the run of capitalised tokens ending at ``end``, when it is longer than one token."""
    if not tokens[end][:1].isupper():
        return None
    start = end
    while start > 0 and tokens[start - 1][:1].isupper() and tokens[start - 1] != UNK:
        start -= 1
    start = _skip_determiners(tokens, start, end)
    return start if start < end else None


def _skip_determiners(tokens: list[str], start: int, end: int) -> int:
    """Drop leading "the"/"a"/"an" of a capitalised run ("The Pakistan ..." at a sentence start)."""
    while start < end and tokens[start].lower() in _DETERMINERS:
        start += 1
    return start


@dataclass
class _Link:
    span: Span
    rule: str
    entity: str = ""


def _names(entity: str, lex: Lex) -> list[str]:
    return [clean_entity_name(entity)]


def _references(entity: str, lex: Lex) -> list[str]:
    """Reference texts of ``entity``; a few in the XML are whole clauses ("AC Hotel Bella Sky is
    located in Copenhagen") and are skipped, since a span must be a mention, not a clause."""
    return [variant for ent, text in lex.references
            if ent == entity and not _CLAUSE_WORDS & set(text.lower().split())
            for variant in _reference_variants(text)]


def _names_and_references(entity: str, lex: Lex) -> list[str]:
    return _names(entity, lex) + _references(entity, lex)


def _balanced(tokens: list[str]) -> bool:
    """No bracket left open or closed: "Atlantic County ) , New Jersey" is not a mention."""
    depth = 0
    for tok in tokens:
        depth += (tok == "(") - (tok == ")")
        if depth < 0:
            return False
    return depth == 0


def _longest_match(tokens: list[str], words: list[Word], end: int, lex: Lex, entities: list[str],
                   surfaces: Callable[[str, Lex], list[str]]) -> tuple[int, str] | None:
    """For each entity its first surface text that ends at ``end``; the longest over entities."""
    found = []
    for entity in entities:
        starts = (match_ending_at(words, end, fold(surface)) for surface in surfaces(entity, lex))
        start = next((st for st in starts if st is not None and _balanced(tokens[st:end + 1])), None)
        if start is not None:
            found.append((start, entity))
    return min(found) if found else None


def _link_argument(tokens: list[str], words: list[Word], end: int, rel: str, role: int,
                   lex: Lex | None) -> _Link:
    """Full span for the triple argument whose last word is ``tokens[end]`` (role 0 subject, 2 object).

    Rules in order: the name, then a reference text, of the entity in that role of a lex triple
    with the same relation; then the name or a reference of any entity of the lex (CopyRE put
    some anchors on another mention, e.g. "States" of "the United States" for the entity
    President_of_the_United_States); then the capitalised run; then the last word alone.
    """
    if lex is not None:
        own = list(dict.fromkeys(t[role] for t in lex.triples if t[1] == rel))
        every = list(dict.fromkeys([e for t in lex.triples for e in (t[0], t[2])]
                                   + [e for e, _ in lex.references]))
        for rule, entities, surfaces in (("name", own, _names), ("reference", own, _references),
                                         ("other_entity", every, _names_and_references)):
            hit = _longest_match(tokens, words, end, lex, entities, surfaces)
            if hit is not None:
                return _Link((hit[0], end + 1), rule, hit[1])
    start = capitalised_run(tokens, end)
    if start is not None:
        return _Link((start, end + 1), FLAG_CAPITALISED)
    return _Link((end, end + 1), FLAG_LAST_WORD)


def _link_sentence(sent: Sentence, words: list[Word], lex: Lex | None) -> list[tuple[_Link, _Link]]:
    return [(_link_argument(sent.tokens, words, anchor(t.subj), t.rel, 0, lex),
             _link_argument(sent.tokens, words, anchor(t.obj), t.rel, 2, lex)) for t in sent.triples]


def _check_last_word_spans(sent: Sentence, split: str) -> None:
    for i, t in enumerate(sent.triples):
        for field_name, span in (("subj", t.subj), ("obj", t.obj)):
            if span[1] - span[0] != 1 or not 0 <= span[0] < len(sent.tokens):
                raise DataError(f"{span} is not a last-word span (p, p+1) inside the sentence's "
                                f"{len(sent.tokens)} tokens", file=f"<WebNLG* {split} sentences>",
                                record=sent.sid, field=f"triples[{i}].{field_name}")


# ---------------------------------------------------------------- public entry point


def recover_webnlg_spans(sentences: list[Sentence], split: str, raw_root: Path
                         ) -> tuple[list[Sentence], dict]:
    """Replace the last-word spans of WebNLG* triples with full entity spans where they can be found.

    ``sentences``: WebNLG* sentences of ``split`` ('train' | 'dev' | 'test') whose triples have
    last-word spans ``(p, p+1)`` at the CopyRE end positions. ``raw_root`` holds
    ``WebNLG-enriched_ThiagoCF05/``. Returns new :class:`Sentence` objects (same sid, tokens,
    pos) whose triple spans are full spans where recovered, with ``span_flags[span]`` in
    {'recovered', 'capitalised_run', 'last_word_only'}, and a report dict (see
    :meth:`_Stats.report`: sentences matched to a lex, entities per rule, shares, failure
    examples). Entities are counted once per (sentence, anchor). 'recovered' covers the rules
    name / reference (of the triple's own entity) and other_entity (name or reference of another
    entity of the lex ending at that word). When two triples give one anchor different spans,
    the stronger rule (name > reference > other_entity > capitalised run > last word), then the
    longer span, wins, so every anchor has one span. Spans at different anchors may still
    overlap (CopyRE put some anchors inside another mention: "Akita" of "Akita Museum of
    Art"); they are kept and counted (``overlapping_spans``), BIOES tagging must choose.
    """
    if split not in SPLITS:
        raise DataError(f"split {split!r}: expected one of {SPLITS}", file=raw_root, field="split")
    index = load_lex_index(Path(raw_root) / ENRICHED_DIR)
    out: list[Sentence] = []
    stats = _Stats(split)
    for sent in sentences:
        _check_last_word_spans(sent, split)
        words = [to_word(t) for t in sent.tokens]
        lexes, how = _find_lexes(sent.tokens, words, index)
        candidates = [_link_sentence(sent, words, lex) for lex in lexes or (None,)]
        best = max(range(len(candidates)), key=lambda i: _score(candidates[i]))  # first of the best
        per_anchor = _resolve_anchors(candidates[best])
        out.append(_rebuild(sent, per_anchor))
        stats.add(sent, lexes[best] if lexes else None, how, len(lexes), per_anchor, candidates[best])
    return out, stats.report()


def _score(links: list[tuple[_Link, _Link]]) -> tuple[int, int]:
    """How well a lex fits: arguments found as its own triples' entities, then as any entity."""
    rules = [link.rule for pair in links for link in pair]
    return sum(r in ("name", "reference") for r in rules), sum(r in RECOVERING_RULES for r in rules)


def _resolve_anchors(links: list[tuple[_Link, _Link]]) -> dict[int, _Link]:
    """One span per anchor: the strongest rule, then the longest span."""
    chosen: dict[int, _Link] = {}
    for link in (lk for pair in links for lk in pair):
        end = anchor(link.span)
        old = chosen.get(end)
        if old is None or (RULES.index(link.rule), link.span[0]) < (RULES.index(old.rule), old.span[0]):
            chosen[end] = link
    return chosen


def _rebuild(sent: Sentence, per_anchor: dict[int, _Link]) -> Sentence:
    def full(span: Span) -> Span:
        return per_anchor[anchor(span)].span if anchor(span) in per_anchor else span

    triples = [Triple(full(t.subj), t.rel, full(t.obj)) for t in sent.triples]
    flags = {link.span: _flag(link.rule) for link in per_anchor.values()}
    entities = list(dict.fromkeys(full(s) for s in sent.entities))
    return replace(sent, triples=triples, entities=entities, span_flags=flags)


def _flag(rule: str) -> str:
    return FLAG_RECOVERED if rule in RECOVERING_RULES else rule


class _Stats:
    """Counts for the report; entities are counted once per (sentence, anchor)."""

    def __init__(self, split: str) -> None:
        self.split = split
        self.sentences = self.ambiguous = self.conflicts = self.overlaps = self.multi_token = 0
        self.matched: Counter[str] = Counter()
        self.rules: Counter[str] = Counter()
        self.unmatched: list[str] = []
        self.failures: list[dict] = []

    def add(self, sent: Sentence, lex: Lex | None, how: str, n_lexes: int, per_anchor: dict[int, _Link],
            links: list[tuple[_Link, _Link]]) -> None:
        self.sentences += 1
        self.matched[how] += 1
        self.ambiguous += n_lexes > 1
        if lex is None:
            self.unmatched.append(sent.sid)
        spans_by_anchor: dict[int, set[Span]] = {}
        for link in (lk for pair in links for lk in pair):
            spans_by_anchor.setdefault(anchor(link.span), set()).add(link.span)
        self.conflicts += sum(len(s) > 1 for s in spans_by_anchor.values())
        spans = sorted(link.span for link in per_anchor.values())
        self.overlaps += sum(a[1] > b[0] for a, b in zip(spans, spans[1:]))
        for end, link in sorted(per_anchor.items()):
            self.rules[link.rule] += 1
            self.multi_token += link.span[1] - link.span[0] > 1
            if link.rule not in RECOVERING_RULES and len(self.failures) < _MAX_FAILURE_EXAMPLES:
                self.failures.append({"sid": sent.sid, "word": sent.tokens[end], "rule": link.rule,
                                      "span": " ".join(sent.tokens[link.span[0]:link.span[1]]),
                                      "lex": lex.source if lex else None, "text": " ".join(sent.tokens)})

    def report(self) -> dict:
        """JSON-safe summary; ``*_share`` values are fractions of ``entities``."""
        entities = sum(self.rules.values())
        recovered = sum(self.rules[rule] for rule in RECOVERING_RULES)

        def share(n: int) -> float:
            return round(n / entities, 4) if entities else 0.0

        return {
            "split": self.split,
            "sentences": self.sentences,
            "matched_lex": self.matched["plain"] + self.matched["repaired"],
            "matched_by_repair": self.matched["repaired"],
            "ambiguous_lex": self.ambiguous,
            "unmatched_sids": self.unmatched[:_MAX_FAILURE_EXAMPLES],
            "entities": entities,
            "by_rule": {rule: self.rules[rule] for rule in RULES},
            "recovered": recovered,
            "not_recovered": entities - recovered,
            "recovered_share": share(recovered),
            "last_word_only_share": share(self.rules[FLAG_LAST_WORD]),
            "multi_token_share": share(self.multi_token),
            "anchor_conflicts": self.conflicts,
            "overlapping_spans": self.overlaps,
            "failure_examples": self.failures,
        }
