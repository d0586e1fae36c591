"""POS tags from NLTK's averaged-perceptron tagger, loaded offline from JSON (no pickle).

Why this tagger: the RIN authors' own WebNLG test file carries exactly its tags (17,044 /
17,044 tokens, ``data/taggers/PROVENANCE`` in shared/), although the paper names the Stanford
tagger. Every data set is re-tagged with it and tag fields in the raw files are ignored
(docs/spec.md §2). The weights are NLTK's 45-class Penn Treebank model converted from the upstream
pickle to NLTK 3.9's JSON layout, so loading needs neither network nor unpickling.
"""

from __future__ import annotations

import gzip
import json
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING

from rinlib.data.errors import DataError
from rinlib.data.readers import DATA_DIR

TAGGER_DIR = DATA_DIR / "taggers"
_PREFIX = "averaged_perceptron_tagger_eng."

if TYPE_CHECKING:
    from nltk.tag.perceptron import PerceptronTagger


def _read(path: Path, opener=open):
    if not path.is_file():
        raise DataError("tagger file not found (the kit ships it in data/taggers/)", file=path)
    with opener(path, "rt", encoding="utf-8") as f:
        try:
            return json.load(f)
        except json.JSONDecodeError as e:
            raise DataError(f"malformed JSON: {e.msg}", file=path, field="<json>") from None


@lru_cache(maxsize=4)
def load_tagger(dir: str | Path | None = None) -> PerceptronTagger:
    """The tagger built from ``<dir>/averaged_perceptron_tagger_eng.*`` (cached per folder).

    NLTK is imported here, not at module level: training from already-tagged (cached) data
    needs no tagger, so a machine without NLTK (a lent GPU box) can still train."""
    from nltk.tag.perceptron import PerceptronTagger

    d = Path(dir) if dir is not None else TAGGER_DIR
    t = PerceptronTagger(load=False)
    t.model.weights = _read(d / (_PREFIX + "weights.json.gz"), gzip.open)
    t.tagdict = _read(d / (_PREFIX + "tagdict.json"))
    t.classes = t.model.classes = set(_read(d / (_PREFIX + "classes.json")))
    return t


def tag_pos(tokens: list[str]) -> list[str]:
    """Penn Treebank tags for already-tokenised words (one tag per token)."""
    if not tokens:
        return []
    return [tag for _, tag in load_tagger().tag(list(tokens))]


def pos_classes(dir: str | Path | None = None) -> list[str]:
    """The tagger's 45 tags, sorted: the fixed POS inventory (never built from data)."""
    d = Path(dir) if dir is not None else TAGGER_DIR
    return sorted(_read(d / (_PREFIX + "classes.json")))
