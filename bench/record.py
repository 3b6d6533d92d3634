"""`python -m bench.record [EVENTS]`: what the flight recorder costs the live ingest path, and its bytes.

The live ingest path is `Informer._take`: one network read's watch lines
parsed, slimmed, stored and handed to the sink (here a ClusterState fold).
It is timed on the same lines twice per round, without a tap (the baseline,
as today) and with a `Recorder` writing to a temporary file; best of three
rounds. The recorder's writer thread competes for the GIL, so the ratio also
counts its work up to the time the ingest ends; `drain` adds the time until
every event is on disk. Bytes: the recorded file's event lines against the
raw watch lines (real pods from bench/data, managedFields included).
"""

from __future__ import annotations

import json
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import orjson

from bench.live import _pods
from stsviz.model import ClusterState
from stsviz.sources.live.informer import Informer
from stsviz.sources.live.kinds import PODS, Scope
from stsviz.sources.record.recorder import Recorder

READ = 64  # lines per network read, as a busy watch delivers them
ROUNDS = 3


def watch_lines(events: int) -> list[bytes]:
    lines = []
    for generation in range(max(1, events // 2000)):
        for obj in _pods("bench", min(events, 2000), generation=generation):
            lines.append(orjson.dumps({"type": "MODIFIED", "object": obj}))
            if len(lines) == events:
                return lines
    return lines


def ingest(lines: list[bytes], tap: Any) -> float:
    state = ClusterState()

    def sink(changes: list) -> None:
        for change in changes:
            state.apply_change(change)

    informer = Informer(PODS, Scope("bench"), connection=None, sink=sink, tap=tap)
    reads = []
    for start in range(0, len(lines), READ):
        block = b"\n".join(lines[start : start + READ]) + b"\n"
        spans, position = [], 0
        for line in lines[start : start + READ]:
            spans.append((block, position, position + len(line)))
            position += len(line) + 1
        reads.append(spans)
    began = time.perf_counter()
    for spans in reads:
        informer._take(spans)
    return time.perf_counter() - began


def run(events: int = 50_000) -> dict:
    lines = watch_lines(events)
    raw = sum(len(line) + 1 for line in lines)
    best_plain = best_recorded = best_drained = float("inf")
    recorded_bytes = 0
    for _ in range(ROUNDS):
        best_plain = min(best_plain, ingest(lines, None))
        with tempfile.TemporaryDirectory() as folder:
            recorder = Recorder(Path(folder) / "rec.jsonl", queue_limit=len(lines) + 10).start()
            began = time.perf_counter()
            best_recorded = min(best_recorded, ingest(lines, recorder))
            recorder.close()
            best_drained = min(best_drained, time.perf_counter() - began)
            assert recorder.lost == 0 and recorder.events == len(lines)
            data = (Path(folder) / "rec.jsonl").read_bytes()
            recorded_bytes = sum(len(line) + 1 for line in data.splitlines() if line.startswith(b'{"seq"'))
    return {
        "events": len(lines),
        "ingest_events_per_s_without_recording": round(len(lines) / best_plain),
        "ingest_events_per_s_with_recording": round(len(lines) / best_recorded),
        "ingest_ratio_with_to_without": round(best_recorded / best_plain, 2),
        "until_on_disk_ratio": round(best_drained / best_plain, 2),
        "raw_watch_bytes_per_event": round(raw / len(lines)),
        "recorded_bytes_per_event": round(recorded_bytes / len(lines)),
        "recorded_to_raw": round(recorded_bytes / raw, 3),
    }


if __name__ == "__main__":
    print(json.dumps(run(int(sys.argv[1]) if len(sys.argv) > 1 else 50_000), indent=2))
