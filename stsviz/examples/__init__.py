"""Example recordings bundled with stsviz, recorded from a real Kubernetes 1.20 control plane.

- rolling: web x3 rolled from nginx:1.19 to 1.20.
- scale: web scaled 2 -> 5 -> 1, with a Ready pod deleted and recreated.
- web-lifecycle: create, roll, scale, a partitioned canary, a crash-looping bad
  image that stays stuck after the revert until its pod is deleted, then done.
"""

from __future__ import annotations

from importlib.resources import files
from pathlib import Path

DESCRIPTIONS = {
    "rolling": "web x3 rolled from nginx:1.19 to 1.20",
    "scale": "web scaled 2 -> 5 -> 1, a Ready pod deleted and recreated",
    "web-lifecycle": "create, roll, scale, partitioned canary, crash loop stuck until deleted",
}


def example_path(name: str) -> Path | None:
    path = files(__name__) / f"{name}.jsonl.gz"
    return Path(str(path)) if path.is_file() else None
