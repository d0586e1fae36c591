"""The README's generated blocks: the text between ``<!-- begin generated: NAME -->`` and
``<!-- end generated: NAME -->`` that ``python -m rinlib report --profile full`` rewrites from the
finished runs.

Why: the README is written by people, but the numbers and the grid's progress written there by
hand went stale as runs landed. Each block is the report's own sentences, so the README and
REPORT.md cannot disagree, and ``tests/test_gap.py`` fails when a run is committed without
re-rendering.
"""

from __future__ import annotations

import re
from pathlib import Path

from rinlib.io import atomic_write_text

README = Path(__file__).resolve().parents[2] / "README.md"  # the kit's own README
GAIN = "interaction gain"  # the gap's summary (rinlib.reporting.gap.brief)
GRID = "grid"  # how far the paper's grid has come (rinlib.reporting.report.grid_brief)


class MarkerError(ValueError):
    """A file lacks the begin/end markers of a generated block, or has them out of order."""


_BEGIN, _END = "<!-- begin generated: {} -->", "<!-- end generated: {} -->"  # {} = the block's name


def _markers(name: str) -> tuple[str, str]:
    return _BEGIN.format(name), _END.format(name)


def _find(path: Path, name: str) -> tuple[str, re.Match]:
    begin, end = _markers(name)
    text = Path(path).read_text(encoding="utf-8")
    found = re.search(re.escape(begin) + r"\n(.*?)" + re.escape(end), text, flags=re.S)
    if found is None:
        raise MarkerError(f"{path}: no block '{begin}' … '{end}' to write the generated '{name}' text into")
    return text, found


def without_generated(text: str) -> str:
    """``text`` with every generated block emptied (markers kept): what people wrote, so that
    re-rendering the numbers is not mistaken for an edit (:func:`rinlib.provenance.git_commit`)."""
    begin = re.escape(_BEGIN).replace(re.escape("{}"), "(?P<name>.*?)")
    end = re.escape(_END).replace(re.escape("{}"), "(?P=name)")
    return re.sub(f"({begin}\n).*?({end})", r"\1\3", text, flags=re.S)


def block(path: Path, name: str) -> str:
    """The text now between ``path``'s markers for block ``name``."""
    return _find(path, name)[1].group(1)


def replace_block(path: Path, name: str, text: str) -> bool:
    """Put ``text`` between ``path``'s markers for block ``name`` (atomically), leaving every other
    line alone; returns whether the file changed."""
    old, found = _find(path, name)
    new = old[:found.start(1)] + text.rstrip("\n") + "\n" + old[found.end(1):]
    if new != old:
        atomic_write_text(Path(path), new)
    return new != old
