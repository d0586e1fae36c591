"""What a run directory holds, by the cache rule every engine and ``python -m rinlib status`` apply.

Cache rule (why it is safe): a run directory's path is readable (profile/dataset/task/variant/K/
seed) but it is *valid* only if its ``metrics.json`` carries the key of the requested config
(:meth:`RunConfig.key`, a hash of every result-defining field). So a finished run with the
same key is reused; a run directory holding another key (e.g. the profile's epochs changed)
is retrained from scratch; an interrupted run of the same key resumes from its last epoch
checkpoint; ``force`` retrains everything.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import yaml

from rinlib.config import RunConfig
from rinlib.runs.paths import lock_holder


def run_status(cfg: RunConfig, out: Path, force: bool = False) -> str:
    """``cached`` (finished, same key), ``busy`` (another live process holds its lock),
    ``resumed`` (interrupted, same key) or ``training``."""
    holder = lock_holder(out)
    if holder is not None and holder != os.getpid():
        return "busy"
    if force:
        return "training"
    key = cfg.key()
    metrics = out / "metrics.json"
    if metrics.exists():
        try:
            if json.loads(metrics.read_text()).get("key") == key:
                return "cached"
        except json.JSONDecodeError:
            pass
    if (out / "checkpoint.pt").exists() and (out / "config.yaml").exists():
        try:
            if RunConfig.load(out / "config.yaml").key() == key:
                return "resumed"
        except (OSError, ValueError, TypeError, yaml.YAMLError):
            pass
    return "training"


NO_TRAIN = "RIN_NO_TRAIN"


def render_only() -> bool:
    """``$RIN_NO_TRAIN=1`` (``./run_all.sh --render-only``): read finished runs back, train nothing.
    Why: the full grid takes days on a CPU; its tables and figures should render from the runs
    that exist (missing cells say 'not run') without starting the missing ones."""
    return os.environ.get(NO_TRAIN, "") not in ("", "0")
