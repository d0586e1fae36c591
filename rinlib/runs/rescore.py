"""Finished runs re-scored from their saved predictions against the data loader's current gold.

Why: a correction to how a data set's gold is built (which occurrence an NYT* argument takes)
changes what a finished run's saved predictions score, but not what the run trained on nor
which epoch it selected, so retraining is not needed to report it. :func:`rescore` recomputes
``metrics.json``'s ``dev``/``test`` entries with the functions training used
(:func:`rinlib.training.finish`: :func:`~rinlib.inputs.scored_splits` for the gold
sentences, :func:`~rinlib.metrics.split_scores` for the numbers) and rewrites it only when a number
changed. The selected epoch, the predictions and ``history.csv`` are left as they are;
``provenance.json`` records the re-scoring (when, by which commit, old and new numbers, and
that the training data predates the correction).
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from rinlib import provenance
from rinlib.config import RunConfig
from rinlib.io import atomic_write_json
from rinlib.inputs import scored_splits
from rinlib.metrics import split_scores
from rinlib.predict import read_predictions
from rinlib.records import Sentence
from rinlib.runs.paths import finished_runs, lock_holder
from rinlib.training import load_result

SPLITS = ("dev", "test")

NYT_STAR_OWN_MENTION: Mapping[str, str] = {
    "gold": "NYT* full spans: each triple takes the aligned exact record's own mention of it (same relation, "
            "both arguments ending in its last words), no longer the first occurrence of each last word where "
            "any mention of the same relation and role ends",
    "training_data": "not rebuilt: the run trained and selected its epoch on data built before this correction, "
                     "whose NYT* arguments took the old (first-occurrence) last-word positions",
}
"""The gold correction the NYT* partial runs are re-scored for (``python -m rinlib rescore``)."""


class RescoreError(ValueError):
    """A run directory cannot be re-scored (no such folder, missing or mismatched predictions)."""


@dataclass(frozen=True)
class Rescored:
    """One run's ``metrics.json`` split entries before (``old``) and recomputed (``new``);
    ``busy`` names the live process that holds the run (then nothing was scored)."""

    out_dir: Path
    old: dict[str, Any]
    new: dict[str, Any]
    busy: int | None = None

    @property
    def changed(self) -> bool:
        return self.old != self.new

    def line(self, root: Path, dry_run: bool = False) -> str:
        """One line for the command: the run and its test F1, old → new, on both protocols."""
        name = self.out_dir.relative_to(root) if self.out_dir.is_relative_to(root) else self.out_dir
        if self.busy is not None:
            return f"{name}: skipped, being trained by process {self.busy}"
        split = "test" if "test" in self.new else "dev"
        scores = ", ".join(f"{proto} F1 {self.old[split][proto]['f1']:.4f} → {self.new[split][proto]['f1']:.4f}"
                           for proto in ("strict", "paper"))
        moved = [s for s in self.new if self.old[s] != self.new[s]]
        state = (f"{'would rewrite' if dry_run else 'rewritten'} ({', '.join(moved)} changed)" if moved
                 else "unchanged")
        return f"{name}: {split} {scores}; {state}"


def _score(path: Path, sentences: list[Sentence], cfg: RunConfig) -> dict[str, Any]:
    """A split's metrics entry from its saved predictions, checked to be of these sentences."""
    if not path.is_file():
        raise RescoreError(f"{path}: missing; re-scoring needs the run's saved predictions")
    try:
        sids, preds = read_predictions(path, threshold=cfg.threshold)
    except json.JSONDecodeError as e:
        raise RescoreError(f"{path}: a line is not JSON ({e.msg})") from None
    except KeyError as e:
        raise RescoreError(f"{path}: field {e.args[0]!r} missing in a line") from None
    want = [s.sid for s in sentences]
    if sids != want:
        k = next((i for i, (a, b) in enumerate(zip(sids, want)) if a != b), min(len(sids), len(want)))
        got = sids[k] if k < len(sids) else "no line"
        raise RescoreError(f"{path}: field sid: line {k + 1} is {got!r} but the data loader's sentence "
                           f"{k + 1} is {want[k] if k < len(want) else 'absent'!r}")
    try:
        return split_scores(sentences, preds, cfg.task)
    except ValueError as e:  # a line's tags do not fit its sentence
        raise RescoreError(f"{path}: {e}") from None


def rescore_run(out: str | Path, *, dry_run: bool = False,
                correction: Mapping[str, str] = NYT_STAR_OWN_MENTION) -> Rescored:
    """Re-score one finished run directory (module doc); with ``dry_run`` nothing is written.

    ``correction`` (``gold``: what changed, ``training_data``: what that means for a run
    trained before it) goes into the provenance note. ``provenance.json`` is written before
    ``metrics.json``: a run stopped between the two is re-scored again by the next call instead
    of keeping new numbers without their note.
    """
    out = Path(out)
    holder = lock_holder(out)
    if holder is not None:
        return Rescored(out, {}, {}, busy=holder)
    result = load_result(out)
    if result is None:
        raise RescoreError(f"{out}: not a finished run (no metrics.json)")
    cfg = result.config.resolved()
    gold = scored_splits(cfg)
    splits = [s for s in SPLITS if s in result.metrics]
    new = {s: _score(out / f"predictions_{s}.jsonl", gold[s] or [], cfg) for s in splits}
    done = Rescored(out, {s: result.metrics[s] for s in splits}, new)
    if done.changed and not dry_run:
        note = {"at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()), "commit": provenance.git_commit(),
                **correction, "selected_epoch": result.metrics["selected_epoch"], "old": done.old, "new": done.new}
        prov_path = out / "provenance.json"
        prov = json.loads(prov_path.read_text()) if prov_path.is_file() else {}
        prov.setdefault("rescored", []).append(note)
        atomic_write_json(prov_path, prov)
        atomic_write_json(out / "metrics.json", {**result.metrics, **new})
    return done


def rescore(root: str | Path, *, dry_run: bool = False,
            correction: Mapping[str, str] = NYT_STAR_OWN_MENTION) -> Iterator[Rescored]:
    """:func:`rescore_run` for every finished run (a ``metrics.json``) below ``root``, in path
    order, yielded as each is done; a run a live process is training is skipped."""
    for out in finished_runs(root, RescoreError):
        yield rescore_run(out, dry_run=dry_run, correction=correction)
