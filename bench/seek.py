"""Replay seek: 100 random points forward and back, keyframes against the old synchronous path.

`python -m bench.seek [EVENTS]` (default 200,000). The real recordings are
replicated to EVENTS events (bench.ingest.write_replicated) and loaded once;
both players seek to the same seeded random targets in the same run.

- new: what the screen does: `request_seek` on the UI loop, `SeekJob.run`
  (in the app a worker thread; here inline, to time the fold alone), then
  `finish_seek` on the UI loop. Its keyframes are taken by a first pass to the
  end, as a first G would; that pass is timed too.
- old: the synchronous path before keyframes: checkpoints every
  max(5,000, EVENTS/50) events, a backward seek restores the newest one at or
  before the target and folds on, a forward seek folds on from where it is.

Also: RSS after loading and after the keyframes, and how long the UI loop
itself is busy per seek (planning and the swap). Never asserted in tests.
"""

from __future__ import annotations

import json
import random
import statistics
import tempfile
import time
from pathlib import Path

from bench.ingest import write_replicated
from stsviz.model.state import ClusterState
from stsviz.sources.replay import Player, load_recording
from stsviz.sources.replay.recording import Recording

SEEKS = 100


def rss_mb() -> float:
    """Resident set size now (not the peak), from /proc."""
    pages = int(Path("/proc/self/statm").read_text().split()[1])
    return pages * 4096 / 1e6


class OldPath:
    """The seek before keyframes, as it was in player.py: restore back, fold on forward, on one thread."""

    def __init__(self, recording: Recording) -> None:
        self.events = recording.events
        self.every = max(5_000, -(-len(self.events) // 50))
        self.checkpoints: dict[int, ClusterState] = {}
        self.state = ClusterState()
        self.position = 0

    def seek(self, index: int) -> None:
        if index < self.position:
            mark = (index // self.every) * self.every
            while mark > 0 and mark not in self.checkpoints:
                mark -= self.every
            self.state = self.checkpoints[mark].copy() if mark > 0 else ClusterState()
            self.position = mark
        apply = self.state.apply_change
        while self.position < index:
            stop = min(index, (self.position // self.every + 1) * self.every)
            for change in self.events[self.position : stop]:
                apply(change)
            self.position = stop
            if stop % self.every == 0 and stop not in self.checkpoints:
                self.checkpoints[stop] = self.state.copy()
                apply = self.state.apply_change


def percentiles(samples: list[float]) -> dict[str, float]:
    ordered = sorted(samples)
    return {
        "p50_ms": round(statistics.median(ordered) * 1000, 1),
        "p95_ms": round(ordered[max(0, round(0.95 * len(ordered)) - 1)] * 1000, 1),
        "max_ms": round(ordered[-1] * 1000, 1),
    }


def run(events: int = 200_000, seed: int = 13) -> dict:
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "replicated.jsonl"
        write_replicated(path, events)
        began = time.perf_counter()
        recording = load_recording([path])
        load_s = time.perf_counter() - began
    rss_loaded = rss_mb()
    rng = random.Random(seed)
    targets = [rng.randrange(len(recording) + 1) for _ in range(SEEKS)]

    player = Player(recording)
    began = time.perf_counter()
    player.seek_end()  # takes every keyframe on the way, as a first G would
    first_pass_s = time.perf_counter() - began
    rss_keyframes = rss_mb()
    new: dict[str, list[float]] = {"forward": [], "back": []}
    ui_loop: list[float] = []
    for target in targets:
        way = "forward" if target >= player.position else "back"
        began = time.perf_counter()
        job = player.request_seek(target)
        asked = time.perf_counter()
        if job is not None:
            job.run()
            ran = time.perf_counter()
            player.finish_seek(job)
            ui_loop.append(asked - began + time.perf_counter() - ran)
        else:
            ui_loop.append(asked - began)
        new[way].append(time.perf_counter() - began)
        assert player.position == target
    keyframes = len(player._checkpoints)
    del player

    old_path = OldPath(recording)
    old_path.seek(len(recording))  # the same first pass, so the old path has its checkpoints too
    old: dict[str, list[float]] = {"forward": [], "back": []}
    for target in targets:
        way = "forward" if target >= old_path.position else "back"
        began = time.perf_counter()
        old_path.seek(target)
        old[way].append(time.perf_counter() - began)

    return {
        "events": len(recording),
        "load_s": round(load_s, 1),
        "rss_after_load_mb": round(rss_loaded),
        "rss_with_keyframes_mb": round(rss_keyframes),
        "keyframes": keyframes,
        "keyframe_kb_per_event": round((rss_keyframes - rss_loaded) * 1000 / len(recording), 3),
        "first_pass_to_end_s": round(first_pass_s, 2),
        "seeks": SEEKS,
        "new_forward": percentiles(new["forward"]) | {"count": len(new["forward"])},
        "new_back": percentiles(new["back"]) | {"count": len(new["back"])},
        "new_ui_loop_busy": percentiles(ui_loop),
        "old_forward": percentiles(old["forward"]),
        "old_back": percentiles(old["back"]),
        "goal": "p95 <= 200 ms forward and back",
    }


if __name__ == "__main__":
    import sys

    print(json.dumps(run(int(sys.argv[1]) if len(sys.argv) > 1 else 200_000), indent=2))
