"""Replay ingest: read, parse and fold a big recording, against bare orjson.loads.

The real recordings are replicated to N events (default 1,000,000): each copy
gets its own namespace (so the fold holds many distinct objects, as a busy
cluster would) and its receive times shifted after the previous copy's. Both
sides read the same file in the same run; the score is a ratio, so a noisy
shared machine affects both alike.

Also measured in the same run, as the ceiling of the ratio: stsviz's typed
decoder alone on the same lines (msgspec reading just the fields the records
are built from, every other byte skipped), with no record built and nothing
folded. No ingest that decodes every event with it can beat that ratio.
"""

from __future__ import annotations

import gc
import json
import tempfile
import time
from datetime import UTC
from pathlib import Path

import orjson

from bench.data import recording_lines


def write_replicated(path: Path, events: int) -> int:
    """Write `events` lines made of copies of the real recordings; returns the byte size."""
    template = [orjson.loads(line) for line in recording_lines()]
    template = [e for e in template if "ts" in e]
    epoch = monotonic([time_seconds(e["ts"]) for e in template])
    start, span = epoch[0], epoch[-1] - epoch[0] + 1
    written = 0
    with path.open("wb") as out:
        copy = 0
        while written < events:
            shift = copy * span
            namespace = f"copy-{copy}"
            chunk = []
            for event, seconds in zip(template, epoch):
                if written >= events:
                    break
                obj = event["object"]
                original = obj["metadata"].get("namespace")
                obj["metadata"]["namespace"] = namespace
                line = orjson.dumps(
                    {"ts": iso(start + (seconds - start) + shift), "type": event["type"], "object": obj}
                )
                obj["metadata"]["namespace"] = original
                chunk.append(line)
                written += 1
            out.write(b"\n".join(chunk) + b"\n")
            copy += 1
    return path.stat().st_size


def monotonic(seconds: list[float]) -> list[float]:
    """The recordings one after another in time: each one that starts earlier than the one before ended
    (they were recorded on different days) is moved to start a second after it, so the replicated file's
    timeline is as long as all of them together (steps back under a second, as in the real files, stay)."""
    result: list[float] = []
    shift = 0.0
    for value in seconds:
        if result and value + shift < result[-1] - 1:
            shift = result[-1] + 1 - value
        result.append(value + shift)
    return result


def time_seconds(ts: str) -> float:
    from datetime import datetime

    return datetime.fromisoformat(ts).timestamp()


def iso(seconds: float) -> str:
    from datetime import datetime

    return datetime.fromtimestamp(seconds, UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def bare_orjson(path: Path) -> float:
    """The baseline: read the file line by line and orjson.loads every line, nothing kept."""
    gc.collect()
    began = time.perf_counter()
    loads = orjson.loads
    with path.open("rb") as lines:
        for line in lines:
            loads(line)
    return time.perf_counter() - began


def typed_decode_only(path: Path) -> float:
    """The ceiling: read the same lines and decode each with stsviz's replay decoder, nothing built after."""
    import msgspec

    # The decoder's Struct of a recording line (private to decoding.py: only this measurement needs it).
    from stsviz.sources.decoding import _ReplayEvent

    decode = msgspec.json.Decoder(_ReplayEvent).decode
    gc.collect()
    began = time.perf_counter()
    with path.open("rb") as lines:
        for line in lines:
            decode(line)
    return time.perf_counter() - began


def stsviz_ingest(path: Path) -> tuple[float, int]:
    """What `stsviz replay FILE --at end` does before it draws: load, then fold to the end."""
    from stsviz.sources.replay import Player, load_recording

    gc.collect()
    began = time.perf_counter()
    player = Player(load_recording([path]))
    player.seek_end()
    elapsed = time.perf_counter() - began
    return elapsed, len(player.state.pods)


def run(events: int = 1_000_000) -> dict:
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "replicated.jsonl"
        size = write_replicated(path, events)
        baseline = bare_orjson(path)
        ceiling = typed_decode_only(path)
        ours, pods = stsviz_ingest(path)
    return {
        "events": events,
        "file_mb": round(size / 1e6, 1),
        "orjson_loads_s": round(baseline, 2),
        "stsviz_ingest_s": round(ours, 2),
        "events_per_s": round(events / ours),
        "pods_at_end": pods,
        "ratio_orjson_over_stsviz": round(baseline / ours, 3),
        "typed_decode_only_s": round(ceiling, 2),
        "ceiling_ratio_orjson_over_decode_only": round(baseline / ceiling, 3),
        "goal": "ratio >= 2.0",
    }


if __name__ == "__main__":
    import sys

    print(json.dumps(run(int(sys.argv[1]) if len(sys.argv) > 1 else 1_000_000), indent=2))
