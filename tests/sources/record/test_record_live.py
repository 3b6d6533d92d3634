"""The recorder under a running LiveSource on the demo cluster (real HTTP on 127.0.0.1, no mock):
replaying the file reaches the live fold's frame exactly, through relists and reconnects; a stalled
disk never slows the watches and ends in a gap marker."""

from __future__ import annotations

import asyncio
import os
import threading
from datetime import UTC, datetime, timedelta
from pathlib import Path

import orjson

from stsviz.model import build_frame
from stsviz.model.times import parse_rfc3339
from stsviz.sim import start_demo
from stsviz.sources.live.config import resolve_target
from stsviz.sources.live.kinds import KINDS, Scope
from stsviz.sources.live.source import LiveSource
from stsviz.sources.live.timing import Timing
from stsviz.sources.record.recorder import Recorder
from stsviz.sources.replay.formats import load_recording
from stsviz.sources.replay.player import Player, parse_at
from tests.running import Running
from tests.waiting import eventually

FAST = dict(backoff_initial=0.05, backoff_cap=0.3)


def replayed_state(path: Path):
    recording = load_recording([path])
    player = Player(recording, checkpoint_every=len(recording) + 1)
    player.seek_at(parse_at("end"))
    return recording, player.state


def frame_json(state, now) -> dict:
    return build_frame(state, now=now, stall_seconds=300).to_json()


async def test_replaying_the_recording_reaches_the_live_fold_through_relists_and_reconnects(tmp_path: Path):
    path = tmp_path / "rec.jsonl"
    async with start_demo("parallel", speed=40) as demo:
        target = resolve_target(str(demo.cluster.write_kubeconfig(tmp_path / "kubeconfig")))
        recorder = Recorder(path).start()
        run = Running(LiveSource(target, Scope(None), tap=recorder, timing=Timing(**FAST)))
        try:
            await eventually(lambda: len(run.state.pods) >= 5, timeout=20, message="the set's pods")
            await asyncio.sleep(1.5)
            demo.cluster.faults.compact()  # the resumes get 410 Gone: every kind relists
            demo.cluster.faults.close_watches()
            await asyncio.sleep(1.5)
            demo.cluster.faults.compact(expire_open_watches=True)
            await asyncio.sleep(1.5)
        finally:
            await run.stop()
    await asyncio.to_thread(recorder.close)
    recording, state = replayed_state(path)
    marks = [mark["mark"] for _, mark in recording.marks]
    assert marks.count("list") == len(KINDS) and "relist" in marks, marks
    assert not recording.warnings
    now = run.state.now
    live = frame_json(run.state, now)
    assert live["sets"] and live == frame_json(state, now)
    assert sorted(state.pods) == sorted(run.state.pods) and sorted(state.claims) == sorted(run.state.claims)
    assert {key: list(recent) for key, recent in state.events.items()} == {
        key: list(recent) for key, recent in run.state.events.items()
    }


async def test_a_server_that_stops_answering_is_recorded_as_broken_watches_then_reopened(tmp_path: Path):
    """What the screen said live (no answer, stale) is in the file, so replay can say it too."""
    path = tmp_path / "rec.jsonl"
    async with start_demo("parallel", speed=40) as demo:
        target = resolve_target(str(demo.cluster.write_kubeconfig(tmp_path / "kubeconfig")))
        recorder = Recorder(path).start()
        timing = Timing(**FAST, probe_interval=0.2, probe_timeout=1.0)  # noticed a second or more after
        run = Running(LiveSource(target, Scope(None), tap=recorder, timing=timing))
        try:
            watching = lambda: all(i.phase == "watching" for i in run.source.informers)  # noqa: E731
            await eventually(watching, timeout=20, message="every kind watching")
            hung = datetime.now(UTC)
            demo.cluster.faults.hang(2.5)
            await eventually(lambda: run.source.unanswered is not None, timeout=5, message="no answer")
            await eventually(lambda: run.source.unanswered is None, timeout=10, message="answered again")
            await asyncio.sleep(0.5)
        finally:
            await run.stop()
    await asyncio.to_thread(recorder.close)
    recording, _state = replayed_state(path)
    broke = [m for _, m in recording.marks if m["mark"] == "disconnect" and "no answer" in (m.get("reason") or "")]
    assert {mark["resource"] for mark in broke} == {kind.resource for kind in KINDS}
    # Stale since the probe's last answer, as the screen said it: not since the outage was noticed, seconds later.
    # (A probe answered as the outage began may come back a moment after it.)
    late = hung + timedelta(seconds=0.5)
    assert all(parse_rfc3339(mark["ts"]) <= late for mark in broke), (hung, [mark["ts"] for mark in broke])
    reopened = {m["resource"] for _, m in recording.marks if m["mark"] == "reconnect"}
    assert reopened == {kind.resource for kind in KINDS}


async def test_a_stalled_disk_never_slows_the_watches_and_ends_in_a_gap(tmp_path: Path):
    path = tmp_path / "rec.jsonl"
    gate = threading.Event()

    def stalled(fd: int, data) -> int:
        gate.wait()
        return os.write(fd, data)

    async with start_demo("scale-up-down", speed=40) as demo:
        target = resolve_target(str(demo.cluster.write_kubeconfig(tmp_path / "kubeconfig")))
        recorder = Recorder(path, queue_limit=20).start()
        recorder._write_fn = stalled  # after the header: the disk stops answering
        run = Running(LiveSource(target, Scope(None), tap=recorder, timing=Timing(**FAST)))
        try:

            def current() -> bool:
                truth = demo.cluster.store
                from stsviz.sim.resources import STATEFULSETS

                sts = truth.view(STATEFULSETS, "default", "web")
                ours = run.state.sets.get(("default", "web"))
                assert sts is not None and ours is not None
                assert ours.generation == sts["metadata"]["generation"], "behind"
                return recorder.lost > 0

            # The fold keeps up with the cluster while nothing reaches the disk.
            await eventually(current, timeout=20, message="the watches current while the recorder is stalled")
            for _ in range(3):
                await asyncio.sleep(0.5)
                current()
            assert "fell behind" in (recorder.warning or "")
        finally:
            gate.set()
            await run.stop()
    await asyncio.to_thread(recorder.close)
    lines = [orjson.loads(line) for line in path.read_bytes().splitlines()]
    gaps = [line for line in lines if line.get("mark") == "gap"]
    assert gaps and gaps[0]["lost"] > 0
    load_recording([path])  # replays, gap and all
