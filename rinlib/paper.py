"""The paper's published numbers (Sun et al., EMNLP 2020), typed in once from the PDF text
(``shared/paper/RIN_EMNLP2020.txt``) so that every table and figure puts them beside the
measured values from the same source.

Values are percentages as printed. ``std`` is ``None`` where the paper gives none (Table 5).
Figure 3 prints no numbers: its only known points are K = 0 (= RIN w/o interaction) and the
chosen K of Table 3 (= RIN), both equal to Table 1, so :func:`figure3_points` returns just those.
"""

from __future__ import annotations

from dataclasses import dataclass

from rinlib.config import TABLE3

PAPER = "Sun et al., EMNLP 2020 (RIN)"
DATASETS = ("nyt", "webnlg")
# Human-readable model names as the paper prints them.


@dataclass(frozen=True)
class Value:
    """One printed number: mean and, where printed, the std over the paper's 5 seeds."""

    mean: float
    std: float | None = None

    def __str__(self) -> str:
        return f"{self.mean:.1f}" if self.std is None else f"{self.mean:.1f}±{self.std:.1f}"


def _v(text: str) -> Value:
    mean, _, std = text.partition("±")
    return Value(float(mean), float(std) if std else None)


# Table 1: (dataset, task, model) -> {"P", "R", "F1"}; 5 seeds, mean ± std.
_T1 = {
    ("nyt", "partial", "no_interaction"): ("83.9±0.6", "83.1±0.6", "83.5±0.2"),
    ("nyt", "partial", "rin"): ("87.2±0.2", "87.3±0.3", "87.3±0.1"),
    ("webnlg", "partial", "no_interaction"): ("84.9±0.6", "86.3±0.8", "85.6±0.3"),
    ("webnlg", "partial", "rin"): ("87.6±0.1", "87.0±0.9", "87.3±0.4"),
    ("nyt", "exact", "no_interaction"): ("77.4±1.1", "76.4±0.7", "76.9±0.3"),
    ("nyt", "exact", "rin"): ("83.9±0.5", "85.5±0.5", "84.7±0.4"),
    ("webnlg", "exact", "no_interaction"): ("75.0±1.1", "73.3±0.7", "74.2±0.3"),
    ("webnlg", "exact", "rin"): ("77.3±0.7", "76.8±1.0", "77.0±0.2"),
}
TABLE1: dict[tuple[str, str, str], dict[str, Value]] = {
    k: dict(zip(("P", "R", "F1"), map(_v, v))) for k, v in _T1.items()}

# Table 2: sentences per split; §5.4: share of multi-token entities.
TABLE2 = {"nyt": {"train": 56195, "dev": 5000, "test": 5000},
          "webnlg": {"train": 5019, "dev": 500, "test": 703}}
MULTI_TOKEN_SHARE = {"nyt": 0.30, "webnlg": 0.60}

# Table 5: exact-match F1 of RIN and its ablations (no std printed).
TABLE5: dict[tuple[str, str], Value] = {
    (ds, m): Value(v) for m, (nyt, web) in {
        "rin": (84.7, 77.0), "no_er": (83.9, 76.4), "no_rc": (77.3, 76.0),
        "no_interaction": (76.9, 74.2), "no_pos": (84.1, 76.6)}.items()
    for ds, v in (("nyt", nyt), ("webnlg", web))}


def paper_dataset(dataset: str) -> str | None:
    """Which paper column a kit data set is compared with; ``None`` for sets the paper lacks.

    ``nyt-proxy`` maps to none on purpose: it is trained on NYT dev, not the paper's setting.
    ``webnlg-etl`` neither: it is a different release of exact WebNLG (docs/spec.md §2).
    """
    return dataset if dataset in DATASETS else None


# The paper data set whose numbers stand beside a kit data set the paper lacks, as context.
CONTEXT = {"nyt-proxy": "nyt", "webnlg-etl": "webnlg"}


def context_dataset(dataset: str) -> str:
    """The paper data set whose numbers are printed beside a kit data set: itself, NYT for
    ``nyt-proxy``, the paper's WebNLG for ``webnlg-etl``. For those two they are context only,
    never the reference of a gap or verdict (see ``paper_dataset``)."""
    return CONTEXT.get(dataset, dataset)


def table1_value(dataset: str, task: str, model: str, metric: str) -> Value | None:
    """Paper Table 1 value (``metric`` in P/R/F1) or ``None`` when the paper has no such cell."""
    ds = paper_dataset(dataset)
    cell = TABLE1.get((ds, task, model)) if ds else None
    return cell[metric] if cell else None


def chosen_k(dataset: str, task: str) -> int:
    """K of Table 3 for a paper data set."""
    return int(TABLE3[dataset]["K"][task])


def interaction_gain(dataset: str, task: str) -> float:
    """RIN − RIN w/o interaction, Table 1 F1 means: the paper's main claim, which every gain
    the kit measures is set against."""
    return TABLE1[(dataset, task, "rin")]["F1"].mean - TABLE1[(dataset, task, "no_interaction")]["F1"].mean


def figure3_points(dataset: str, task: str) -> dict[int, Value]:
    """The only Figure 3 points the paper states as numbers: K = 0 and the chosen K (Table 1 F1)."""
    return {0: TABLE1[(dataset, task, "no_interaction")]["F1"],
            chosen_k(dataset, task): TABLE1[(dataset, task, "rin")]["F1"]}


@dataclass(frozen=True)
class Peer:
    """A later system's published exact-match F1 on ``webnlg-etl`` (the ETL-Span release of exact
    WebNLG), for the "Against peers" table. Context only: each was selected under its authors'
    own rule, which is not the kit's dev-only selection."""

    system: str
    f1: float
    encoder: str  # "none" or the pretrained encoder the system fine-tunes
    source: str
    p: float | None = None  # precision and recall where the source gives them
    r: float | None = None


PEERS_WEBNLG_EXACT = (
    Peer("ETL-Span", 83.1, "none", "Yu et al., ECAI 2020 (camera-ready)"),
    Peer("TPLinker", 86.7, "BERT-base", "Wang et al., COLING 2020 (its table as quoted by EmRel and IPED)",
         p=88.9, r=84.5),
    Peer("TPLinker, released checkpoint", 87.5, "BERT-base",
         "TPLinker README: the authors' released WebNLG model re-evaluated", p=88.6, r=86.3),
    Peer("TPLinkerPlus", 88.2, "BERT-base", "TPLinker README (extended version, test F1)"),
)
"""Checked against their sources (quoted, not copied from memory). ETL-Span's 83.1 agrees with its
camera-ready as quoted in the RSAN repository's issue 6 (Anery/RSAN; its arXiv version had 69.3).
TPLinker's paper gives 86.7 (P 88.9, R 84.5), as the result tables of EmRel (Xu et al., 2022) and
IPED quote it; the 87.5 the kit was first given is the README's re-evaluation of the released
checkpoint (P 88.6, R 86.3), a different number, so both are listed. TPLinkerPlus's 88.2 is the
README's test F1 (its validation F1 is 88.9); no paper gives its P and R."""
