"""Regenerate the bundled example recordings from tests/data/recordings.

The examples ship inside the package so `stsviz replay --example NAME` works
after `pip install .`. They keep the merged.jsonl shape ({"ts","type","object"})
but drop managedFields and last-applied-configuration, which no screen uses
and which make up most of the bytes.

    python tools/bundle_examples.py [RECORDINGS_DIR]
"""

from __future__ import annotations

import gzip
import sys
from pathlib import Path

import orjson

REPO = Path(__file__).resolve().parents[1]
NAMES = ("rolling", "scale", "web-lifecycle")


def prune(obj: dict) -> dict:
    meta = obj.get("metadata") or {}
    meta.pop("managedFields", None)
    annotations = meta.get("annotations") or {}
    annotations.pop("kubectl.kubernetes.io/last-applied-configuration", None)
    return obj


def main() -> int:
    source = Path(sys.argv[1]) if len(sys.argv) > 1 else REPO / "tests" / "data" / "recordings"
    target = REPO / "stsviz" / "examples"
    for name in NAMES:
        lines = []
        for raw in (source / name / "merged.jsonl").read_bytes().splitlines():
            event = orjson.loads(raw)
            prune(event["object"])
            lines.append(orjson.dumps(event))
        # mtime=0 keeps the bytes stable across regenerations.
        with gzip.GzipFile(target / f"{name}.jsonl.gz", "wb", mtime=0) as out:
            out.write(b"\n".join(lines) + b"\n")
        print(f"{name}: {len(lines)} events")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
