"""Where a number came from: code version, library versions, device."""

from __future__ import annotations

import json
import os
import platform
import subprocess
import time
from functools import lru_cache
from pathlib import Path

import torch

from rinlib.reporting.readme import without_generated
from rinlib.version import __version__

REPO = Path(__file__).resolve().parent.parent


OUTPUTS = ("results", "models")
"""Folders the kit writes into while it runs: changes there do not make the code "dirty"."""


@lru_cache(maxsize=None)
def git_commit(repo: Path = REPO) -> str:
    """HEAD commit of the kit's repository, suffixed ``-dirty`` when tracked files outside
    :data:`OUTPUTS` changed. Two kinds of change are outputs too: a notebook whose cell sources
    are unchanged (JupyterLab autosaved its outputs), and a Markdown file changed only inside
    its generated blocks (``python -m rinlib report`` rewrote the README's numbers).

    Read once per process and then remembered: the code a long training process runs is the code
    it imported when it started, not whatever is checked out when it finishes hours later (a run
    whose own files change as it trains, under ``results/``, is not a code change either).

    A copy of the kit without its git history (a tarball on a cluster node or a lent GPU box)
    can name the commit it was copied from in ``RIN_COMMIT``; the record then says the commit
    was declared, not read, since nothing there can check it."""
    try:
        head = _git(repo, "rev-parse", "HEAD")
        status = subprocess.run(["git", "status", "--porcelain", "--untracked-files=no", "--", ".",
                                 *(f":(exclude){d}" for d in OUTPUTS)], cwd=repo, capture_output=True, text=True,
                                check=True).stdout
        changed = [line[3:] for line in status.splitlines() if line.strip()]
        dirty = [f for f in changed if _is_edit(repo, f)]
        return head + ("-dirty" if dirty else "")
    except (OSError, subprocess.CalledProcessError):
        declared = os.environ.get("RIN_COMMIT", "").strip()
        return f"{declared} (declared: no git)" if declared else "unknown"


def _git(repo: Path, *args: str, strip: bool = True) -> str:
    out = subprocess.run(["git", *args], cwd=repo, capture_output=True, text=True, check=True).stdout
    return out.strip() if strip else out


def _notebook_cells(text: str) -> list[tuple[str, str]]:
    return [(c["cell_type"], "".join(c["source"])) for c in json.loads(text)["cells"]]


_WRITTEN_PART = {".ipynb": _notebook_cells, ".md": without_generated}
"""By file suffix: the part of a file that people write, as opposed to what the kit renders into it."""


def _is_edit(repo: Path, path: str) -> bool:
    """Whether a changed tracked file differs from HEAD in the part people write (all of it,
    for a file type not in :data:`_WRITTEN_PART`)."""
    written = _WRITTEN_PART.get(Path(path).suffix)
    if written is None:
        return True
    try:
        committed = _git(repo, "show", f"HEAD:{path}", strip=False)  # a file's own trailing newline counts
        return written((repo / path).read_text(encoding="utf-8")) != written(committed)
    except (OSError, ValueError, KeyError, subprocess.CalledProcessError):
        return True


def device_name(device: torch.device | str = "cpu") -> str:
    """GPU name, or the CPU model and core count."""
    device = torch.device(device)
    if device.type == "cuda":
        return torch.cuda.get_device_name(device)
    model = platform.processor() or "cpu"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return f"{model} ({torch.get_num_threads()} threads)"


def collect(device: torch.device | str = "cpu") -> dict:
    """Provenance fields stored beside every result."""
    return {"commit": git_commit(), "rinlib": __version__, "torch": torch.__version__,
            "python": platform.python_version(), "device": str(device), "device_name": device_name(device),
            "finished_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())}
