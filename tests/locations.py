"""Where the tests find what they read: the project, its recordings, kubectl."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]

# Watch streams recorded from a real Kubernetes 1.20 control plane, with what
# kubectl reported at checkpoints: facts, kept here so the suite stands alone.
RECORDINGS = REPO / "tests" / "data" / "recordings"

# kubectl is an independent client for the tests that compare with it.
KUBECTL: str | None = shutil.which("kubectl")

needs_kubectl = pytest.mark.skipif(
    KUBECTL is None, reason="kubectl is not on PATH: this test compares stsviz with kubectl's own answer"
)
