"""Finished runs read back as one table (:func:`collect`), and which machines trained them."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pandas as pd

from rinlib.config import DEFAULT_VECTORS, RunConfig
from rinlib.runs.paths import results_root as default_results_root


def _flat(prefix: str, d: dict[str, Any]) -> dict[str, Any]:
    return {f"{prefix}_{k}": v for k, v in d.items() if k in ("precision", "recall", "f1")}


def machine_spans(prov: dict) -> list[tuple[str, int]]:
    """``(machine, first epoch)`` per stretch of a run's epochs trained on one machine, from the
    provenance's ``trained_by`` sessions (consecutive sessions on one machine merged); sessions
    written before the kit recorded machines say "machine not recorded"."""
    spans: list[tuple[str, int]] = []
    for s in prov.get("trained_by", []):
        machine = s.get("device_name", "machine not recorded")
        if not spans or spans[-1][0] != machine:
            spans.append((machine, int(s["from_epoch"])))
    return spans


def span_labels(spans: list[tuple[str, int]]) -> list[str]:
    """``"epochs 1-101"``, ``"epochs 102+"``: the epochs of each span of :func:`machine_spans`."""
    return [f"epochs {e}-{spans[k + 1][1] - 1}" if k + 1 < len(spans) else f"epochs {e}+"
            for k, (_, e) in enumerate(spans)]


def trained_on(prov: dict) -> str:
    """The machines a run's epochs ran on: ``device_name`` for a run trained on one, else
    ``"A (epochs 1-101), B (epochs 102+)"``, so that the epoch times of a run resumed on another
    machine are read against the right one."""
    spans = machine_spans(prov)
    if len(spans) < 2:
        return prov.get("device_name") or ""
    return ", ".join(f"{m} ({label})" for (m, _), label in zip(spans, span_labels(spans)))


def collect(results_root: Path | None = None, profile: str | None = None,
            vectors: str | None = DEFAULT_VECTORS) -> pd.DataFrame:
    """One row per finished run (a ``metrics.json`` exists) under ``<results>/runs[/<profile>]``
    whose word vectors are ``vectors`` (default: the paper grid's; ``None``: every setting).

    Columns: config fields, ``{dev,test}_{strict,paper}_{precision,recall,f1}`` (fractions),
    ``selected_epoch``, ``epochs_run``, ``max_epochs``, provenance (``commit``, ``device_name``, ``trained_on``,
    ``wall_time_s``, ``mean_epoch_time_s``, ``glove_*``) and ``run_dir``.
    """
    root = Path(results_root) if results_root else default_results_root()
    base = root / "runs" / profile if profile else root / "runs"
    rows = []
    for mfile in sorted(base.rglob("metrics.json")):
        out = mfile.parent
        m = json.loads(mfile.read_text())
        cfg = RunConfig.load(out / "config.yaml").resolved()
        if vectors is not None and cfg.vectors != vectors:
            continue
        prov = json.loads((out / "provenance.json").read_text()) if (out / "provenance.json").exists() else {}
        cov = prov.get("glove_coverage") or {}
        row = {**{k: v for k, v in cfg.to_dict().items() if k not in ("extra", "out_dir", "notes")},
               "key": m.get("key")}
        for split in ("dev", "test"):
            for proto in ("strict", "paper"):
                row.update(_flat(f"{split}_{proto}", m[split][proto]))
        row.update(selected_epoch=m.get("selected_epoch"), epochs_run=m.get("epochs_run"),
                   max_epochs=m.get("max_epochs"), stopped_early=m.get("stopped_early"), shared_training_with=m.get("shared_training_with") or [],
                   commit=prov.get("commit"), device_name=prov.get("device_name"), trained_on=trained_on(prov),
                   wall_time_s=prov.get("wall_time_s"), mean_epoch_time_s=prov.get("mean_epoch_time_s"),
                   **{f"glove_{k}": v for k, v in cov.items() if isinstance(v, (int, float, str))},
                   run_dir=str(out))
        rows.append(row)
    return pd.DataFrame(rows)
