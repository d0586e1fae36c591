"""Shared pytest fixtures. Keep this file small: one fixture per shared resource."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="session")
def shared_dir() -> Path:
    """The shared/ folder beside the repo (or ``$RIN_SHARED``); skips when it is absent."""
    path = Path(os.environ.get("RIN_SHARED", REPO.parent / "shared"))
    if not path.is_dir():
        pytest.skip(f"shared folder {path} is absent (set RIN_SHARED); the test needs it")
    return path
