"""One configuration object for a training run: every Table 3 hyper-parameter plus the
authors' release facts, the seed, the profile and where outputs go.

Per-dataset/per-task defaults live in :data:`TABLE3`; an ablation is an override of
``variant``, not new code. ``RunConfig.resolved()`` fills every ``None`` from the defaults so
that the saved ``config.yaml`` is complete, and :meth:`RunConfig.key` hashes exactly the
fields that change the result (so a finished run is reused by the cache in ``rinlib.runs``).
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import asdict, dataclass, field, fields, replace
from pathlib import Path
from typing import Any

import yaml

from rinlib.io import atomic_write_text

DATASETS = ("webnlg", "webnlg-etl", "nyt", "nyt-proxy", "nyt10", "nyt11")
TASKS = ("partial", "exact")
VARIANTS = ("rin", "no_interaction", "no_er", "no_rc", "no_pos")
VARIANT_LABELS = {"rin": "RIN", "no_interaction": "RIN w/o interaction", "no_er": "RIN w/o ER",
                  "no_rc": "RIN w/o RC", "no_pos": "RIN w/o POS"}
"""How tables, figures and reports name each variant (the paper's names)."""
# Initial word vectors (rinlib.data.embeddings): GloVe 6B 100-d cut to the 2,716 words the kit
# ships (the default, every committed run before the option existed), the complete GloVe 6B 50-d
# vectors (extra ``vectors``), and those 50-d vectors cut to the same 2,716 words. The two 50-d
# settings differ only in coverage, which is what the word-vector experiment isolates.
VECTORS = ("glove100-top2716", "glove50", "glove50-top2716")
DEFAULT_VECTORS = VECTORS[0]
VECTOR_DIMS = {"glove100-top2716": 100, "glove50": 50, "glove50-top2716": 50}

# Paper Table 3 (K per task, dropout, learning rate, batch size, maximum epochs).
TABLE3: dict[str, dict[str, Any]] = {
    "nyt": {"K": {"partial": 4, "exact": 7}, "dropout": 0.1, "lr": 1e-3, "batch_size": 50, "epochs": 100},
    "webnlg": {"K": {"partial": 2, "exact": 3}, "dropout": 0.1, "lr": 5e-4, "batch_size": 50, "epochs": 150},
}
# Which Table 3 column a kit dataset takes its defaults from.
TABLE3_COLUMN = {"webnlg": "webnlg", "webnlg-etl": "webnlg", "nyt": "nyt", "nyt-proxy": "nyt",
                 "nyt10": "nyt", "nyt11": "nyt"}

# Fields that do not change what a run computes (kept out of the cache key).
_NON_RESULT_FIELDS = {"out_dir", "device", "num_threads", "progress", "profile", "data_root", "notes",
                      "test_curve"}


# Result-defining fields added after runs were committed, with the value those runs had.
_LATER_FIELDS = {"vectors": DEFAULT_VECTORS}


class ConfigError(ValueError):
    """A configuration value is missing or out of range."""


@dataclass
class RunConfig:
    """Everything that defines one training run.

    ``None`` means "take the paper/authors default for this dataset and task"; call
    :meth:`resolved` to get the concrete values that are saved beside the run.
    """

    dataset: str = "webnlg"
    task: str = "partial"
    variant: str = "rin"
    seed: int = 1
    # Table 3
    K: int | None = None
    dropout: float | None = None
    lr: float | None = None
    batch_size: int | None = None
    epochs: int | None = None
    # authors' released configuration (not in the paper)
    patience: int | None = 30
    clip_grad: float = 5.0
    lstm_hidden: int = 100  # both directions together (50 per direction)
    finetune_words: bool = True
    # dimensions (paper §5.2) and the kit's own choices
    vectors: str = DEFAULT_VECTORS
    word_dim: int | None = None  # None: the dimension of ``vectors``
    pos_dim: int = 10
    pair_dim: int = 100  # hidden size of W_m in C_r (Eq. 7); the paper does not give it
    gate: str = "eq4"  # "eq4" (paper Eq. 4) or "grucell" (nn.GRUCell, as the authors' code)
    threshold: float = 0.5
    # data selection (smoke/quick profiles use subsets; None = whole split)
    max_train: int | None = None
    max_dev: int | None = None
    glove_path: str | None = None
    # operational
    profile: str = "full"
    device: str = "cpu"
    amp: bool = True  # CUDA only; ignored on CPU
    num_threads: int | None = None
    progress: bool = True
    out_dir: str | None = None
    data_root: str | None = None
    notes: str = ""
    # the sealed per-epoch test curve (rinlib.training): None = on for the full profile only
    test_curve: bool | None = None
    extra: dict[str, Any] = field(default_factory=dict)

    def resolved(self) -> "RunConfig":
        """A copy with every default filled in and every value checked."""
        if self.dataset not in DATASETS:
            raise ConfigError(f"dataset must be one of {DATASETS}, got {self.dataset!r}")
        if self.task not in TASKS:
            raise ConfigError(f"task must be one of {TASKS}, got {self.task!r}")
        if self.variant not in VARIANTS:
            raise ConfigError(f"variant must be one of {VARIANTS}, got {self.variant!r}")
        if self.gate not in ("eq4", "grucell"):
            raise ConfigError(f"gate must be 'eq4' or 'grucell', got {self.gate!r}")
        if self.vectors not in VECTORS:
            raise ConfigError(f"vectors must be one of {VECTORS}, got {self.vectors!r}")
        word_dim = VECTOR_DIMS[self.vectors] if self.word_dim is None else self.word_dim
        if self.vectors != DEFAULT_VECTORS and word_dim != VECTOR_DIMS[self.vectors]:
            raise ConfigError(f"vectors={self.vectors} has {VECTOR_DIMS[self.vectors]}-d vectors, "
                              f"got word_dim={word_dim}")
        if self.vectors != DEFAULT_VECTORS and self.glove_path:
            raise ConfigError(f"glove_path replaces the default vectors only; it cannot be combined with "
                              f"vectors={self.vectors}")
        col = TABLE3[TABLE3_COLUMN[self.dataset]]
        K = self.K if self.K is not None else col["K"][self.task]
        if self.variant == "no_interaction":
            K = 0
        if K < 0:
            raise ConfigError(f"K must be >= 0, got {K}")
        return replace(
            self,
            K=K,
            word_dim=word_dim,
            dropout=col["dropout"] if self.dropout is None else self.dropout,
            lr=col["lr"] if self.lr is None else self.lr,
            batch_size=col["batch_size"] if self.batch_size is None else self.batch_size,
            epochs=col["epochs"] if self.epochs is None else self.epochs,
        )

    @property
    def writes_test_curve(self) -> bool:
        """Whether training scores test after every epoch into the sealed ``test_curve.csv``."""
        return self.profile == "full" if self.test_curve is None else self.test_curve

    @property
    def writes_operating_points(self) -> bool:
        """Whether a finished run writes ``operating_points.csv``: full-schedule runs only. Why:
        the curve is a diagnostic of trained models, and an undertrained one passes most pairs
        at threshold 0.1, whose decoding takes gigabytes and minutes."""
        return self.profile == "full"

    @property
    def use_pos(self) -> bool:
        return self.variant != "no_pos"

    @property
    def interaction(self) -> str:
        """How H^k is formed: 'full' (Eq. 2), 'no_er', 'no_rc', or 'none' (K = 0)."""
        if self.K == 0 or self.variant == "no_interaction":
            return "none"
        return {"no_er": "no_er", "no_rc": "no_rc"}.get(self.variant, "full")

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> "RunConfig":
        names = {f.name for f in fields(cls)}
        unknown = set(d) - names
        if unknown:
            raise ConfigError(f"unknown config fields: {sorted(unknown)}")
        return cls(**d)

    def with_overrides(self, overrides: dict[str, Any] | None = None, **kw: Any) -> "RunConfig":
        """Dotted or plain overrides, e.g. ``{"seed": 3, "K": 5}``."""
        d = {**(overrides or {}), **kw}
        return RunConfig.from_dict({**self.to_dict(), **d})

    def key(self) -> str:
        """Short hash of the result-defining fields of the *resolved* config (the cache key).

        A field added after runs were committed enters the hash only when it differs from its
        default, so every earlier run keeps its key (and stays finished)."""
        d = {k: v for k, v in self.resolved().to_dict().items() if k not in _NON_RESULT_FIELDS}
        for name, default in _LATER_FIELDS.items():
            if d.get(name) == default:
                del d[name]
        blob = json.dumps(d, sort_keys=True, default=str)
        return hashlib.sha256(blob.encode()).hexdigest()[:12]

    def trajectory_key(self) -> str:
        """The key without the schedule (``epochs``, ``patience``): two configs with the same
        trajectory key train identically epoch by epoch, so a checkpoint of one can continue as
        the other (extend or cut a schedule without retraining)."""
        return replace(self.resolved(), epochs=0, patience=None).key()

    def save(self, path: str | Path) -> None:
        """Write the config as YAML (atomically)."""
        atomic_write_text(Path(path), yaml.safe_dump(self.to_dict(), sort_keys=False))

    @classmethod
    def load(cls, path: str | Path) -> "RunConfig":
        return cls.from_dict(yaml.safe_load(Path(path).read_text()))
