"""rinlib.data: read, validate, POS-tag and describe the kit's data sets (docs/spec.md §2).

Public API (everything else is internal)::

    load_dataset(name, task, split, root=None, nyt_train=None) -> list[Sentence]
    dataset_info(name) -> dict                  relations(dataset) -> list[str]
    Vocab, build_word_vocab(train_sentences), pos_vocab()
    load_word_vectors(vocab, glove_path=None, dim=100, seed=0) -> (matrix, coverage)
    tag_pos(tokens) -> list[str]
    to_bioes(n_tokens, spans) -> list[str]      bioes_to_spans(tags) -> list[Span]
    dataset_stats(sentences) -> dict            stats_table({(name, task, split): sentences})
    nyt_proxy_split(n) -> (train_idx, dev_idx)  DataError
    read_folder(folder) -> FolderData           a user's own data set (rinlib.data.folder)
"""

from rinlib.data.bioes import bioes_to_spans, to_bioes
from rinlib.data.datasets import NAMES, dataset_info, load_dataset, load_dataset_with_report
from rinlib.data.embeddings import load_word_vectors
from rinlib.data.errors import DataError, SkipLog
from rinlib.data.folder import read_folder
from rinlib.data.nyt import nyt_proxy_split
from rinlib.data.pos import tag_pos
from rinlib.data.stats import dataset_stats, prepare, save_stats, stats_table
from rinlib.data.vocab import Vocab, build_word_vocab, pos_vocab, relations

__all__ = [
    "NAMES", "DataError", "SkipLog", "Vocab", "bioes_to_spans", "build_word_vocab", "dataset_info",
    "dataset_stats", "load_dataset", "load_dataset_with_report", "load_word_vectors",
    "nyt_proxy_split", "pos_vocab", "prepare", "read_folder", "relations", "save_stats", "stats_table", "tag_pos", "to_bioes",
]
