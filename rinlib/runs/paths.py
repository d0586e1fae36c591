"""Where runs live: ``<results>/runs/<profile>/<dataset>/<task>/<variant>/K<k>/seed<s>/``
(``<profile>/vectors-<setting>/<dataset>/…`` for runs with other than the default word vectors),
and the lock that keeps two processes from training one run directory at once.

``<results>`` is ``$RIN_RESULTS`` when set (tests and ``run_all.sh`` point it at a temporary
folder), else the kit's ``results/``.
"""

from __future__ import annotations

import contextlib
import json
import os
import socket
import time
from collections.abc import Iterator
from pathlib import Path

from rinlib.config import DEFAULT_VECTORS, RunConfig

RESULTS = Path(__file__).resolve().parents[2] / "results"


def results_root() -> Path:
    """The results folder: ``$RIN_RESULTS`` or the kit's ``results/``."""
    env = os.environ.get("RIN_RESULTS")
    return Path(env) if env else RESULTS


def run_dir(cfg: RunConfig, root: str | Path | None = None) -> Path:
    """The directory of a run (readable path; the config key inside decides cache validity).

    ``root`` is the runs folder (default ``results_root() / "runs"``).
    """
    c = cfg.resolved()
    base = Path(root) if root else results_root() / "runs"
    if c.vectors != DEFAULT_VECTORS:  # other initial vectors: their own tree, apart from the paper grid
        base = base / c.profile / f"vectors-{c.vectors}"
    else:
        base = base / c.profile
    return base / c.dataset / c.task / c.variant / f"K{c.K}" / f"seed{c.seed}"


LOCK = ".sweep.lock"


class RunBusy(RuntimeError):
    """Another live process is training this run directory."""


def finished_runs(root: str | Path, error: type[ValueError] = ValueError) -> list[Path]:
    """Run directories below ``root`` that have finished (a ``metrics.json``), in path order;
    ``error`` names ``root`` when it is no folder or holds no finished run."""
    root = Path(root)
    if not root.is_dir():
        raise error(f"{root}: no such folder")
    runs = sorted(m.parent for m in root.rglob("metrics.json"))
    if not runs:
        raise error(f"{root}: no finished run below it (no metrics.json)")
    return runs


def lock_holder(out: Path) -> int | None:
    """PID of a live process that holds the run's lock (any host), else None (no or stale lock)."""
    try:
        d = json.loads((Path(out) / LOCK).read_text())
    except (OSError, json.JSONDecodeError):
        return None
    if d.get("host") != socket.gethostname():
        return d.get("pid")  # cannot check another host's process: trust the lock
    try:
        os.kill(int(d["pid"]), 0)
    except (OSError, KeyError, ValueError):
        return None
    return int(d["pid"])


@contextlib.contextmanager
def run_lock(out: str | Path) -> Iterator[None]:
    """Hold a run directory for this process, so a second sweep or ``train`` does not resume it too.

    Why a hard link: ``os.link`` creates the lock with its content in one atomic step and fails
    if it exists, so two processes starting the same run at the same moment cannot both win,
    and a reader never sees a half-written lock. A lock left by a dead process is taken over.
    Raises :class:`RunBusy` while a live process holds it.
    """
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    lock = out / LOCK
    tmp = out / f"{LOCK}.{socket.gethostname()}.{os.getpid()}"
    tmp.write_text(json.dumps({"pid": os.getpid(), "host": socket.gethostname(),
                               "since": time.strftime("%Y-%m-%dT%H:%M:%S")}))
    try:
        for _ in range(2):  # second try after removing a stale lock
            try:
                os.link(tmp, lock)
                break
            except FileExistsError:
                holder = lock_holder(out)
                if holder is not None and holder != os.getpid():
                    raise RunBusy(f"{out} is being trained by process {holder}") from None
                lock.unlink(missing_ok=True)
        else:
            raise RunBusy(f"{out}: could not take the lock")
    finally:
        tmp.unlink(missing_ok=True)
    try:
        yield
    finally:
        lock.unlink(missing_ok=True)
