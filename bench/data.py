"""Benchmark inputs made from the real recordings: many pods, many events.

The real objects (with managedFields and all) are the templates, so sizes and
shapes are what a real API server sends.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import orjson

REPO = Path(__file__).resolve().parents[1]
RECORDINGS = Path(os.environ.get("STSVIZ_RECORDINGS", REPO / "tests" / "data" / "recordings"))
BUNDLED = REPO / "stsviz" / "examples"


def recording_lines() -> list[bytes]:
    """Event lines of all real recordings, with managedFields (the shared ones if present)."""
    lines: list[bytes] = []
    for name in ("rolling", "scale", "web-lifecycle"):
        path = RECORDINGS / name / "merged.jsonl"
        if path.is_file():
            lines += path.read_bytes().splitlines()
    if not lines:
        import gzip

        for path in sorted(BUNDLED.glob("*.jsonl.gz")):
            lines += gzip.decompress(path.read_bytes()).splitlines()
    return [line for line in lines if line.strip()]


def pod_template() -> dict:
    """The last state of a real Ready pod."""
    pods = [orjson.loads(line)["object"] for line in recording_lines() if b'"kind":"Pod"' in line]
    ready = [p for p in pods if any(_is_ready(c) for c in (p.get("status") or {}).get("conditions", []))]
    return ready[-1]


def _is_ready(condition: dict) -> bool:
    return condition.get("type") == "Ready" and condition.get("status") == "True"


def pods(count: int, sets: int = 100) -> Iterator[bytes]:
    """`count` distinct Ready pods spread over `sets` StatefulSets, as JSON lines (one at a time)."""
    template = pod_template()
    per_set = max(1, count // sets)
    for n in range(count):
        set_name = f"web{n // per_set}"
        ordinal = n % per_set
        obj = orjson.loads(orjson.dumps(template))
        meta = obj["metadata"]
        meta["name"] = f"{set_name}-{ordinal}"
        meta["uid"] = f"{n:08d}-0000-4000-8000-{n:012d}"
        meta["resourceVersion"] = str(1000 + n)
        meta["ownerReferences"][0]["name"] = set_name
        meta["labels"]["statefulset.kubernetes.io/pod-name"] = meta["name"]
        yield orjson.dumps({"type": "ADDED", "object": obj})
