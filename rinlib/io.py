"""Where output goes: atomic file writes (a result file is either the old one or the complete
new one, never half), and progress bars only where someone watches them."""

from __future__ import annotations

import hashlib
import json
import os
import sys
import tempfile
from pathlib import Path
from typing import Any, Callable


_UMASK = os.umask(0)
os.umask(_UMASK)


def _atomic(path: Path, write: Callable[[Path], None]) -> None:
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    os.close(fd)
    try:
        write(Path(tmp))
        os.chmod(tmp, 0o666 & ~_UMASK)  # mkstemp creates 0600; results are meant to be shared
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def watched(enabled: bool | None = None) -> bool:
    """Whether to draw a progress bar: ``enabled`` when given, else whether someone watches.

    Someone watches a terminal (stderr is a TTY) or a Jupyter kernel (tqdm.auto draws a widget
    there). Redirected to a file or a CI log, a bar would only fill it with carriage returns."""
    if enabled is not None:
        return enabled
    ipython = sys.modules.get("IPython")  # imported by every kernel; never imported here
    shell = ipython.get_ipython() if ipython is not None else None
    return sys.stderr.isatty() or getattr(shell, "kernel", None) is not None


def atomic_write_text(path: Path, text: str) -> None:
    """Write text so that readers never see a partial file."""
    _atomic(Path(path), lambda p: p.write_text(text, encoding="utf-8"))


def atomic_write_json(path: Path, obj: Any) -> None:
    """Write JSON (indented, UTF-8) atomically."""
    atomic_write_text(Path(path), json.dumps(obj, indent=2, ensure_ascii=False, default=str) + "\n")


def atomic_write_with(path: Path, write: Callable[[Path], None]) -> None:
    """Atomically create ``path`` with a writer that takes a temporary path (e.g. torch.save)."""
    _atomic(Path(path), write)


def sha256_file(path: Path) -> str:
    """Hex sha256 of a file, read in 1 MiB blocks (data files, vectors and shipped models)."""
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()
