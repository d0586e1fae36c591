"""Bad input never passes silently (docs/spec.md §2).

Two outcomes, chosen by the kind of problem:

* **Structural problems raise** :class:`DataError`: a missing file, malformed JSON, a record
  without a required field or with the wrong type, a wrong embedding dimension. The data set
  cannot be trusted, so stopping is the only honest answer.
* **Per-record content problems are counted skips** in a :class:`SkipLog`: an entity that is
  not found in its sentence, an unknown relation label, an empty or over-long sentence. One
  odd record should not stop a 5,000-sentence load, but every skip is logged with file, record,
  field and reason, and the summary is reported at the end. ``strict=True`` turns skips into
  :class:`DataError` for users who want zero tolerance.
"""

from __future__ import annotations

import logging
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

log = logging.getLogger("rinlib.data")


class DataError(ValueError):
    """A data problem; the message always names the file, the record index and the field."""

    def __init__(self, message: str, *, file: str | Path, record: int | str | None = None,
                 field: str | None = None) -> None:
        self.file = str(file)
        self.record = record
        self.field = field
        where = f"record {record}" if record is not None else "record -"
        super().__init__(f"{self.file}: {where}, field {field or '-'!s}: {message}")


@dataclass
class Skip:
    """One skipped record (or part of a record, e.g. one triple)."""

    file: str
    record: int | str | None
    field: str
    reason: str
    detail: str = ""


@dataclass
class SkipLog:
    """Counted, logged skips; ``strict=True`` raises :class:`DataError` instead of skipping."""

    strict: bool = False
    skips: list[Skip] = field(default_factory=list)
    notes: Counter = field(default_factory=Counter)

    def skip(self, reason: str, *, file: str | Path, record: int | str | None, field: str,
             detail: str = "") -> None:
        """Record a skip (or raise when strict). ``reason`` is a short stable key for counting."""
        if self.strict:
            raise DataError(f"{reason}: {detail}" if detail else reason, file=file, record=record,
                            field=field)
        s = Skip(str(file), record, field, reason, detail)
        self.skips.append(s)
        log.info("skip %s: %s record %s field %s %s", reason, s.file, record, field, detail)

    def note(self, key: str, n: int = 1) -> None:
        """Count a non-fatal event that changes nothing but must be reported (e.g. ambiguity)."""
        self.notes[key] += n

    def __len__(self) -> int:
        return len(self.skips)

    def summary(self, examples: int = 3) -> dict[str, Any]:
        """Counts by reason plus a few examples of each, JSON-safe, for provenance and reports."""
        counts = Counter(s.reason for s in self.skips)
        ex: dict[str, list[str]] = {}
        for s in self.skips:
            lst = ex.setdefault(s.reason, [])
            if len(lst) < examples:
                lst.append(f"{Path(s.file).name}#{s.record}.{s.field}: {s.detail}")
        return {"total": len(self.skips), "by_reason": dict(sorted(counts.items())), "examples": ex,
                "notes": dict(sorted(self.notes.items()))}
