"""Every shipped data file matches data/checksums.sha256 (sha256sum -c format) and vice versa."""

from __future__ import annotations

import hashlib

from rinlib.data.readers import DATA_DIR


def test_checksums_match_and_cover_every_shipped_file():
    listed = {}
    for line in (DATA_DIR / "checksums.sha256").read_text().splitlines():
        digest, name = line.split(maxsplit=1)
        listed[name.lstrip("*")] = digest
    shipped = {str(p.relative_to(DATA_DIR)) for d in ("raw", "embeddings", "taggers")
               for p in (DATA_DIR / d).rglob("*") if p.is_file()}
    assert shipped == set(listed)
    bad = [n for n, h in listed.items() if hashlib.sha256((DATA_DIR / n).read_bytes()).hexdigest() != h]
    assert not bad, f"checksum mismatch: {bad}"
