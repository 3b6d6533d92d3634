"""Shared fixtures: where the real recordings are, and builders of raw API objects."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
RECORDINGS = Path(os.environ.get("STSVIZ_RECORDINGS", REPO.parent / "shared" / "recordings"))


@pytest.fixture
def recordings() -> Path:
    """The real Kubernetes 1.20 recordings in ../shared/recordings."""
    if not (RECORDINGS / "rolling" / "merged.jsonl").is_file():
        pytest.skip(f"real recordings not found at {RECORDINGS} (set STSVIZ_RECORDINGS)")
    return RECORDINGS
