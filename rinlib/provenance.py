"""Where a number came from: code version, library versions, device."""

from __future__ import annotations

import platform
import subprocess
import time
from functools import lru_cache
from pathlib import Path

import torch

import rinlib

REPO = Path(__file__).resolve().parent.parent


OUTPUTS = ("results", "models")
"""Folders the kit writes into while it runs: changes there do not make the code "dirty"."""


@lru_cache(maxsize=None)
def git_commit(repo: Path = REPO) -> str:
    """HEAD commit of the kit's repository, suffixed ``-dirty`` when tracked files outside
    :data:`OUTPUTS` changed.

    Read once per process and then remembered: the code a long training process runs is the code
    it imported when it started, not whatever is checked out when it finishes hours later (a run
    whose own files change as it trains, under ``results/``, is not a code change either)."""
    try:
        head = subprocess.run(["git", "rev-parse", "HEAD"], cwd=repo, capture_output=True, text=True,
                              check=True).stdout.strip()
        dirty = subprocess.run(["git", "status", "--porcelain", "--untracked-files=no", "--", ".",
                                *(f":(exclude){d}" for d in OUTPUTS)], cwd=repo,
                               capture_output=True, text=True, check=True).stdout.strip()
        return head + ("-dirty" if dirty else "")
    except (OSError, subprocess.CalledProcessError):
        return "unknown"


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
    return {"commit": git_commit(), "rinlib": rinlib.__version__, "torch": torch.__version__,
            "python": platform.python_version(), "device": str(device), "device_name": device_name(device),
            "finished_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())}
