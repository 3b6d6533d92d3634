"""RSS per pod held by the fold, against the interpreter's own baseline.

Each measurement runs in a fresh subprocess so one does not inherit another's
heap. Reported: bytes per pod for ClusterState, and for holding the parsed raw
dicts (what a naive client keeps), measured in the same run.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]

CHILD = r"""
import gc, json, sys
import orjson
from bench.data import pods
from stsviz.model import ClusterState, WatchEvent

def rss():
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * 4096

count, mode = int(sys.argv[1]), sys.argv[2]
lines = pods(count)
first = next(lines)  # warm imports and caches before the baseline
state = ClusterState()
gc.collect()
before = rss()
held = []
if mode == "fold":
    state.apply(WatchEvent("ADDED", orjson.loads(first)["object"]))
    for line in lines:
        event = orjson.loads(line)
        state.apply(WatchEvent(event["type"], event["object"]))
else:
    held.append(orjson.loads(first))
    for line in lines:
        held.append(orjson.loads(line))
gc.collect()
print(json.dumps({"bytes_per_pod": (rss() - before) / count, "pods": len(state.pods) or len(held)}))
"""


def measure(count: int, mode: str) -> dict:
    out = subprocess.run(
        [sys.executable, "-c", CHILD, str(count), mode], capture_output=True, text=True, check=True, cwd=REPO
    ).stdout
    return json.loads(out)


def run(count: int = 20_000) -> dict:
    fold = measure(count, "fold")
    raw = measure(count, "raw")
    return {
        "pods": count,
        "fold_bytes_per_pod": round(fold["bytes_per_pod"]),
        "raw_dict_bytes_per_pod": round(raw["bytes_per_pod"]),
        "fold_over_raw": round(fold["bytes_per_pod"] / raw["bytes_per_pod"], 4),
        "goal": "fold_bytes_per_pod <= 2048",
    }


if __name__ == "__main__":
    print(json.dumps(run(), indent=2))
