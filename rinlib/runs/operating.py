"""Operating points for runs that finished before training wrote them (``python -m rinlib operating-points``).

Training writes :data:`~rinlib.metrics.OPERATING_POINTS` when a run finishes
(:func:`rinlib.training.finish`). An older run gets the same file here from its dev-selected
weights (``model.safetensors``, kept on the machine that trained it, never in git). Before
writing, the weights must give back the run's recorded strict dev and test counts at its own
threshold: otherwise they are not the model the run selected, and the file would describe
another model. ``provenance.json`` records when and by which commit the file was written.
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from pathlib import Path

import pandas as pd

from rinlib import provenance
from rinlib.checkpoint import load_model
from rinlib.inputs import scored_splits
from rinlib.io import atomic_write_json, atomic_write_text
from rinlib.metrics import OPERATING_POINTS
from rinlib.predict import operating_points
from rinlib.runs.paths import finished_runs, lock_holder
from rinlib.training import load_result

MODEL = "model.safetensors"


class OperatingPointsError(ValueError):
    """A run's weights cannot give its operating points (no such folder, weights of another model)."""


def _checked(curve: pd.DataFrame, metrics: dict, threshold: float, out: Path) -> None:
    """The curve's row at the run's own threshold must repeat ``metrics.json``'s strict counts."""
    for split in curve["split"].unique():
        row = curve[(curve["split"] == split) & (curve["threshold"] == threshold)]
        want = metrics[split]["strict"]
        got = {k: int(row[k].iloc[0]) for k in ("n_pred", "n_correct")} if len(row) else {}
        if got and got != {k: want[k] for k in got}:
            raise OperatingPointsError(
                f"{out / MODEL}: predicts {got['n_pred']} {split} triples ({got['n_correct']} right) at threshold "
                f"{threshold}, but metrics.json records {want['n_pred']} ({want['n_correct']}): not the model this "
                "run selected")


def write_run(out: str | Path, force: bool = False) -> str:
    """Write one finished run's operating points from its weights; returns what happened, in words."""
    out = Path(out)
    holder = lock_holder(out)
    if holder is not None:
        return f"skipped: being trained by process {holder}"
    if (out / OPERATING_POINTS).is_file() and not force:
        return f"{OPERATING_POINTS} already there"
    if not (out / MODEL).is_file():
        return f"skipped: no {MODEL} (finished runs' weights stay on the machine that trained them)"
    result = load_result(out)
    if result is None:
        raise OperatingPointsError(f"{out}: not a finished run (no metrics.json)")
    cfg = result.config.resolved()
    if not cfg.writes_operating_points:
        return f"skipped: a {cfg.profile}-profile run (operating points are for full-schedule runs)"
    model, meta = load_model(out / MODEL)
    splits = {s: sents for s, sents in scored_splits(cfg).items() if sents is not None and s in result.metrics}
    curve = operating_points(model, splits, meta["words"], meta["pos"], meta["relations"], cfg.task)
    _checked(curve, result.metrics, cfg.threshold, out)
    prov_path = out / "provenance.json"
    prov = json.loads(prov_path.read_text()) if prov_path.is_file() else {}
    prov["operating_points"] = {"at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
                                "commit": provenance.git_commit(),
                                "from": f"{MODEL} after training (python -m rinlib operating-points)"}
    atomic_write_text(out / OPERATING_POINTS, curve.to_csv(index=False))
    atomic_write_json(prov_path, prov)
    last = curve[curve["split"] == curve["split"].iloc[-1]]
    return (f"written ({last['split'].iloc[0]} strict F1 {100 * last['f1'].min():.1f} to {100 * last['f1'].max():.1f} "
            f"over thresholds {last['threshold'].min()} to {last['threshold'].max()})")


def write_all(root: str | Path, force: bool = False) -> Iterator[tuple[Path, str]]:
    """:func:`write_run` for every finished run (a ``metrics.json``) below ``root``, in path order,
    yielded as each is done."""
    for out in finished_runs(root, OperatingPointsError):
        yield out, write_run(out, force=force)
