"""The replay Player: play, pause, speed, step and seek, driven by a fake clock.

Whatever path the user takes through a recording, the state shown must equal a
fresh fold of the events up to the position shown.
"""

from __future__ import annotations

import gc
import json
import subprocess
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from stsviz.model import ClusterState, build_frame
from stsviz.model.times import parse_rfc3339, rfc3339
from stsviz.sources.replay import (
    MAX_SPEED,
    MIN_SPEED,
    PACE,
    Player,
    ReplayInputError,
    SeekTarget,
    load_recording,
    parse_at,
)
from tests.folds import fold_contents

START = datetime(2026, 11, 25, 10, 0, 0, tzinfo=UTC)
EXAMPLES = Path(__file__).parents[3] / "stsviz" / "examples"


class FakeClock:
    def __init__(self) -> None:
        self.now = 5000.0

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


def pod_event(index: int, etype: str = "ADDED", *, phase: str = "Running") -> dict:
    ordinal = index % 4
    return {
        "type": etype,
        "object": {
            "kind": "Pod",
            "metadata": {
                "name": f"web-{ordinal}",
                "namespace": "demo",
                "uid": f"uid-{ordinal}",
                "resourceVersion": str(100 + index),
                "creationTimestamp": "2026-11-25T09:00:00Z",
                "ownerReferences": [{"kind": "StatefulSet", "name": "web", "controller": True}],
                "labels": {"controller-revision-hash": f"web-{index // 4}"},
            },
            "status": {"phase": phase},
        },
    }


def timed_recording(tmp_path: Path, seconds: list[float]):
    """One event at each of the given seconds after START, in an stsviz-style file."""
    lines = [json.dumps({"stsviz": 1, "kind": "header", "started": START.isoformat()})]
    for index, second in enumerate(seconds):
        ts = (START + timedelta(seconds=second)).isoformat(timespec="milliseconds").replace("+00:00", "Z")
        lines.append(json.dumps({"seq": index + 1, "ts": ts, **pod_event(index, "ADDED" if index < 4 else "MODIFIED")}))
    path = tmp_path / "rec.jsonl"
    path.write_text("\n".join(lines) + "\n")
    return load_recording([path])


@pytest.fixture
def ten(tmp_path):
    """Ten events, one per second: event i plays at offset i."""
    return timed_recording(tmp_path, [float(i) for i in range(10)])


def fresh(recording, count: int) -> ClusterState:
    state = ClusterState()
    for change in recording.events[:count]:
        state.apply_change(change)
    return state


def assert_shows(player: Player, count: int) -> None:
    assert player.position == count
    assert fold_contents(player.state) == fold_contents(fresh(player.recording, count))


# -- playing ---------------------------------------------------------------------------


def test_nothing_is_applied_before_play(ten):
    player = Player(ten, clock=FakeClock())
    assert (player.position, player.offset, player.playing, player.frame_time) == (0, 0.0, False, None)
    assert player.tick() is False
    assert player.duration == 9.0


def test_play_at_speed_two_reaches_the_right_event(ten):
    clock = FakeClock()
    player = Player(ten, clock=clock)
    player.set_speed(2)
    player.play()
    assert player.tick() is True  # the event at offset 0 is due at once
    assert player.position == 1
    clock.advance(2.2)  # 4.4 s of recording
    assert player.tick() is True
    assert player.offset == pytest.approx(4.4)
    assert_shows(player, 5)
    assert player.frame_time == START + timedelta(seconds=4.4)  # the playhead's time, between two events
    clock.advance(0.1)  # 4.6 s: nothing new is due, and still the same second
    assert player.tick() is False
    assert player.position == 5


def test_time_goes_on_between_events_so_a_rollout_with_nothing_happening_turns_stalled():
    # The real control plane's web-lifecycle: at +66 s web-1 is not ready, and nothing happens until +74.6 s.
    player = Player(load_recording([EXAMPLES / "web-lifecycle.jsonl.gz"]), clock=(clock := FakeClock()))
    player.seek_offset(66)
    position = player.position

    def verdict() -> str:
        [row] = build_frame(player.state, now=player.frame_time, stall_seconds=5).rows
        return row.verdict.label

    assert verdict() == "ready 1/2"
    player.play()
    clock.advance(4)
    assert player.tick() is True  # a new second is a new frame, with no event
    assert player.position == position and verdict() == "stalled"
    assert player.frame_time == player.recording.start + timedelta(seconds=70)


def test_pause_stops_and_play_resumes_where_it_stopped(ten):
    clock = FakeClock()
    player = Player(ten, clock=clock)
    player.play()
    clock.advance(3.5)
    player.tick()
    player.pause()
    clock.advance(100)
    assert player.tick() is False
    assert (player.position, player.offset, player.playing) == (4, 3.5, False)
    player.toggle()
    clock.advance(1.0)
    player.tick()
    assert player.offset == pytest.approx(4.5)
    assert player.position == 5


def test_changing_speed_while_playing_keeps_the_playhead(ten):
    clock = FakeClock()
    player = Player(ten, clock=clock)
    player.play()
    clock.advance(2.0)  # 2 s at 1x
    player.set_speed(4)
    clock.advance(1.0)  # + 4 s at 4x
    player.tick()
    assert player.offset == pytest.approx(6.0)
    assert player.position == 7


def test_speed_is_clamped(ten):
    player = Player(ten, clock=FakeClock())
    player.set_speed(1000)
    assert player.speed == MAX_SPEED
    player.set_speed(0)
    assert player.speed == MIN_SPEED
    player.set_speed(float("nan"))
    assert player.speed == 1.0


def test_playing_to_the_end_stops_there(ten):
    clock = FakeClock()
    player = Player(ten, clock=clock)
    player.play()
    clock.advance(60)
    assert player.tick() is True
    assert player.at_end and not player.playing
    assert player.offset == player.duration == 9.0
    assert_shows(player, 10)
    assert player.tick() is False


def test_play_at_the_end_starts_over(ten):
    clock = FakeClock()
    player = Player(ten, clock=clock)
    player.seek_end()
    player.play()
    assert player.playing
    player.tick()
    assert_shows(player, 1)


def test_untimed_capture_plays_at_an_even_pace(tmp_path):
    path = tmp_path / "pods.json"
    path.write_text("\n".join(json.dumps(pod_event(i)) for i in range(8)) + "\n")
    clock = FakeClock()
    player = Player(load_recording([path]), clock=clock)
    player.play()
    clock.advance(3 * PACE + PACE / 2)
    player.tick()
    assert player.position == 4


# -- stepping and seeking ---------------------------------------------------------------


def test_step_forward_and_back(ten):
    player = Player(ten, clock=FakeClock())
    player.step()
    player.step(3)
    assert_shows(player, 4)
    assert player.offset == 3.0
    player.step(-2)
    assert_shows(player, 2)
    assert player.frame_time == START + timedelta(seconds=1)
    player.step(-10)  # clamped at the start, where `g` goes: the first moment's events folded
    assert_shows(player, 1)
    assert player.frame_time == START
    player.step(50)  # and at the end
    assert_shows(player, 10)


def test_step_pauses_playback(ten):
    clock = FakeClock()
    player = Player(ten, clock=clock)
    player.play()
    clock.advance(2.5)
    player.tick()
    player.step()
    assert not player.playing
    assert_shows(player, 4)


def test_seek_offset(ten):
    player = Player(ten, clock=FakeClock())
    player.seek_offset(6.5)
    assert_shows(player, 7)
    assert player.offset == 6.5
    player.seek_offset(-3)  # clamped to 0, where the first event happens
    assert_shows(player, 1)
    assert player.offset == 0.0
    player.seek_offset(1e9)
    assert_shows(player, 10)
    assert player.offset == 9.0


def test_seek_time_shows_the_last_event_at_or_before_it(ten):
    player = Player(ten, clock=FakeClock())
    player.seek_time(START + timedelta(seconds=5))
    assert_shows(player, 6)
    assert player.frame_time == START + timedelta(seconds=5)
    player.seek_time(START + timedelta(seconds=2, milliseconds=500))
    assert_shows(player, 3)
    assert player.offset == 2.5  # the playhead goes where asked
    player.seek_time(START - timedelta(hours=1))
    assert_shows(player, 0)
    player.seek_time(datetime(2026, 11, 25, 10, 0, 7))  # naive: UTC
    assert_shows(player, 8)


def test_seek_time_in_an_untimed_capture_uses_derived_times(tmp_path):
    lines = []
    for i in range(6):
        event = pod_event(i)
        event["object"]["status"]["conditions"] = [
            {"type": "Ready", "status": "True", "lastTransitionTime": f"2026-11-25T10:00:0{i}Z"}
        ]
        lines.append(json.dumps(event))
    path = tmp_path / "pods.json"
    path.write_text("\n".join(lines) + "\n")
    player = Player(load_recording([path]), clock=FakeClock())
    player.seek_time(START + timedelta(seconds=3, milliseconds=200))
    assert_shows(player, 4)
    assert player.offset == 3 * PACE


def test_seek_end(ten):
    player = Player(ten, clock=FakeClock())
    player.seek_end()
    assert player.at_end
    assert_shows(player, 10)
    assert player.offset == player.duration


def test_seek_back_refolds_to_the_same_state_as_a_fresh_fold(ten):
    player = Player(ten, clock=FakeClock())
    player.seek_end()
    old_state = player.state
    player.seek_index(3)
    assert player.state is not old_state and player.refolds == 1  # views redraw everything
    assert_shows(player, 3)
    player.seek_index(8)
    assert_shows(player, 8)


def test_checkpoints_are_not_changed_by_playing_on_from_them(tmp_path):
    recording = timed_recording(tmp_path, [i * 0.5 for i in range(40)])
    player = Player(recording, clock=FakeClock(), checkpoint_every=5)
    player.seek_end()
    for target in (12, 33, 7, 20, 0, 39, 10, 10, 5):
        player.seek_index(target)
        assert_shows(player, target)


def stuck_rollout(tmp_path: Path):
    """web at 1/2 ready from START on, web-1 crash-looping: the set's status never moves again.

    Events at 0, 1, 2, 100, 200, 310, 400 and 500 s; with checkpoints every 3
    events the copies are taken at 200 s (not yet stalled) and 310 s (stalled).
    """
    sts = {
        "kind": "StatefulSet",
        "metadata": {"name": "web", "namespace": "demo", "uid": "uid-web", "generation": 1},
        "spec": {"replicas": 2, "updateStrategy": {"type": "RollingUpdate"}},
        "status": {"observedGeneration": 1, "replicas": 2, "readyReplicas": 1, "updateRevision": "web-1"},
    }
    changes = [("ADDED", sts)]
    for index in range(7):
        ready = pod_event(0 if index == 0 else 1, "ADDED" if index < 2 else "MODIFIED")["object"]
        # Created as the recording shows them added (a pod's own times say when the set last moved).
        ready["metadata"]["creationTimestamp"] = f"2026-11-25T10:00:0{min(index, 1)}Z"
        ready["status"] = {
            "phase": "Running",
            "conditions": [{"type": "Ready", "status": "True" if index == 0 else "False"}],
            "containerStatuses": []
            if index == 0
            else [{"name": "app", "restartCount": index, "state": {"waiting": {"reason": "CrashLoopBackOff"}}}],
        }
        changes.append(("ADDED" if index < 2 else "MODIFIED", ready))
    lines = [json.dumps({"stsviz": 1, "kind": "header", "started": START.isoformat()})]
    for seq, ((etype, obj), second) in enumerate(zip(changes, [0, 1, 2, 100, 200, 310, 400, 500]), 1):
        ts = (START + timedelta(seconds=second)).isoformat().replace("+00:00", "Z")
        lines.append(json.dumps({"seq": seq, "ts": ts, "type": etype, "object": obj}))
    path = tmp_path / "stuck.jsonl"
    path.write_text("\n".join(lines) + "\n")
    return load_recording([path])


def shown_verdict(state: ClusterState) -> tuple[bool, str, float | None]:
    """What the row says (stalled?, label) and the idle time it is measured by, at the state's own time."""
    [row] = build_frame(state, stall_seconds=300).rows
    return (row.verdict.stalled, row.verdict.label, state.idle_seconds(row.key))


def test_a_stalled_rollout_is_stalled_again_after_seeking_back_and_forth(tmp_path):
    recording = stuck_rollout(tmp_path)
    clock = FakeClock()
    player = Player(recording, clock=clock, checkpoint_every=3, speed=64)
    player.play()
    clock.advance(8)  # 512 s of recording: played past the stall to the end
    player.tick()
    assert player.at_end and not player.playing
    assert shown_verdict(player.state) == (True, "stalled", 500.0)
    # Back to a checkpoint taken after the stall began, then to one before it, then forward again.
    for target, expected in [
        (6, (True, "stalled", 310.0)),
        (2, (False, "ready 1/2", 1.0)),
        (8, (True, "stalled", 500.0)),
        (4, (False, "ready 1/2", 100.0)),
        (3, (False, "ready 1/2", 2.0)),
        (7, (True, "stalled", 400.0)),
        (6, (True, "stalled", 310.0)),
        (8, (True, "stalled", 500.0)),
    ]:
        player.seek_index(target)
        assert shown_verdict(player.state) == expected, f"after seeking to event {target}"
        assert shown_verdict(player.state) == shown_verdict(fresh(recording, target))
    # Every move back refolded from a keyframe or the start (5), and so did the two jumps
    # forward past a keyframe (2 to 8, 3 to 7): one copy is cheaper than folding the gap.
    assert player.refolds == 7


def test_seeking_while_playing_continues_from_the_new_place(ten):
    clock = FakeClock()
    player = Player(ten, clock=clock)
    player.play()
    clock.advance(8)
    player.tick()
    player.seek_offset(2.0)
    assert player.playing
    clock.advance(1.0)
    player.tick()
    assert player.offset == pytest.approx(3.0)
    assert_shows(player, 4)


def test_empty_recording(tmp_path):
    path = tmp_path / "quiet.jsonl"
    path.write_text(json.dumps({"stsviz": 1, "kind": "header"}) + "\n")
    player = Player(load_recording([path]), clock=FakeClock())
    player.play()
    assert not player.playing and player.at_end
    player.step(-1)
    player.seek_end()
    player.seek_time(START)
    assert (player.position, player.offset, player.frame_time) == (0, 0.0, None)


def test_no_clock_is_read_except_the_injected_one(ten, monkeypatch):
    def forbidden() -> float:
        raise AssertionError("the wall clock was read")

    monkeypatch.setattr(time, "monotonic", forbidden)
    monkeypatch.setattr(time, "time", forbidden)
    monkeypatch.setattr(time, "perf_counter", forbidden)
    clock = FakeClock()
    player = Player(ten, clock=clock)
    player.play()
    clock.advance(3)
    player.tick()
    player.set_speed(2)
    player.seek_time(START + timedelta(seconds=1))
    player.step(-1)
    assert player.position == 1


def test_broken_object_of_a_known_kind_is_skipped_not_raised(tmp_path):
    bad = pod_event(1)
    bad["object"]["metadata"]["name"] = 17  # a number where the API always has a string
    path = tmp_path / "odd.json"
    path.write_text("\n".join(json.dumps(e) for e in (pod_event(0), bad, pod_event(2))) + "\n")
    recording = load_recording([path])
    assert recording.warnings == [f"{path}: line 2: a Pod whose fields are not of the types Kubernetes sends, skipped"]
    player = Player(recording, clock=FakeClock())
    player.seek_end()
    assert player.position == 2
    assert sorted(name for _, name in player.state.pods) == ["web-0", "web-2"]


# -- any path through a recording ---------------------------------------------------------

operations = st.lists(
    st.one_of(
        st.tuples(st.just("step"), st.integers(-15, 15)),
        st.tuples(st.just("index"), st.integers(-2, 42)),
        st.tuples(st.just("offset"), st.floats(-1, 25, allow_nan=False)),
        st.tuples(st.just("time"), st.floats(-5, 25, allow_nan=False)),
        st.tuples(st.just("play"), st.floats(0, 6, allow_nan=False)),
        st.tuples(st.just("speed"), st.sampled_from([0.25, 1, 3, 64])),
        st.tuples(st.just("end"), st.none()),
    ),
    max_size=25,
)


@settings(max_examples=60, deadline=None)
@given(operations)
def test_any_sequence_of_moves_shows_a_fresh_fold(tmp_path_factory, moves):
    recording = timed_recording(tmp_path_factory.mktemp("rec"), [i * 0.5 for i in range(40)])
    clock = FakeClock()
    player = Player(recording, clock=clock, checkpoint_every=6)
    for move, value in moves:
        if move == "step":
            player.step(value)
        elif move == "index":
            player.seek_index(value)
        elif move == "offset":
            player.seek_offset(value)
        elif move == "time":
            player.seek_time(START + timedelta(seconds=value))
        elif move == "play":
            player.play()
            clock.advance(value)
            player.tick()
        elif move == "speed":
            player.set_speed(value)
        else:
            player.seek_end()
        assert 0 <= player.offset <= player.duration
        # Everything due at the playhead is shown, nothing later.
        assert player.position == 0 or recording.offsets[player.position - 1] <= player.offset + 1e-9
    assert_shows(player, player.position)


# -- --at -----------------------------------------------------------------------------------


def test_parse_at_accepts_the_three_forms():
    assert parse_at("end") == SeekTarget(end=True)
    assert parse_at("+90") == SeekTarget(offset=90.0)
    assert parse_at("+1.5") == SeekTarget(offset=1.5)
    assert parse_at("+.5") == SeekTarget(offset=0.5) and parse_at("+1e3") == SeekTarget(offset=1000.0)
    assert parse_at("2026-11-25T10:00:05Z") == SeekTarget(time=START + timedelta(seconds=5))
    assert parse_at("2026-11-25T12:00:05+02:00") == SeekTarget(time=START + timedelta(seconds=5))


@pytest.mark.parametrize(
    "value",
    [
        *("", "soon", "+", "+-3", "+abc", "+inf", "90", "2026-13-01T00:00:00Z", "2026-11-25T10:00:00"),
        *("+1e12", "+99999999999999999999", "+1e20", "+1_000", "+ 5", "+\uff11"),  # too far; odd spellings
    ],
)
def test_parse_at_rejects_anything_else_in_one_line(value):
    with pytest.raises(ReplayInputError) as caught:
        parse_at(value)
    message = str(caught.value)
    assert message.startswith("--at ") and "\n" not in message
    assert "Error" not in message and "Traceback" not in message


def test_seek_at(ten):
    player = Player(ten, clock=FakeClock())
    player.seek_at(parse_at("+3.5"))
    assert player.position == 4
    player.seek_at(parse_at("end"))
    assert player.at_end
    player.seek_at(parse_at("2026-11-25T10:00:01.000Z"))
    assert player.position == 2


def test_seek_at_outside_the_recording_shows_its_start_or_end_and_says_so(ten):
    player = Player(ten, clock=FakeClock())
    assert player.seek_at(parse_at("+30")) == "--at +30: the recording is 9.0s long; showing its end"
    assert player.at_end
    assert player.seek_at(parse_at("2030-01-01T00:00:00Z")) == (
        "--at 2030-01-01T00:00:00.000Z: after the recording ends (2026-11-25T10:00:09.000Z); showing its end"
    )
    assert player.at_end and player.frame_time == START + timedelta(seconds=9)
    assert player.seek_at(parse_at("2026-11-25T09:00:00+00:00")) == (
        "--at 2026-11-25T09:00:00.000Z: before the recording starts (2026-11-25T10:00:00.000Z); showing its start"
    )
    assert (player.position, player.frame_time) == (1, START)  # as `--at +0`: what happened at the very start
    assert player.seek_at(parse_at("+3")) is None and player.seek_at(parse_at("end")) is None


def test_loading_leaves_the_cycle_collector_as_it_was(tmp_path):
    path = tmp_path / "pods.json"
    path.write_text(json.dumps(pod_event(0)) + "\n")
    assert gc.isenabled()
    load_recording([path])
    assert gc.isenabled()
    with pytest.raises(ReplayInputError):
        load_recording([tmp_path / "missing.json"])
    assert gc.isenabled()
    gc.disable()
    try:
        load_recording([path])
        assert not gc.isenabled()
    finally:
        gc.enable()


# -- layering -------------------------------------------------------------------------------


def test_replay_never_imports_textual():
    probe = (
        "import sys, stsviz.sources.replay, stsviz.sources.replay.player;"
        "bad = sorted(m for m in sys.modules if m == 'textual' or m.startswith('textual.'));"
        "print(bad); sys.exit(1 if bad else 0)"
    )
    result = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr


def stuck_then_stopped(tmp_path: Path, minutes: float) -> Path:
    """web-lifecycle cut where web-1 crash-loops, then the recorder's stop `minutes` later: nothing moved meanwhile."""
    import gzip

    lines = gzip.decompress((EXAMPLES / "web-lifecycle.jsonl.gz").read_bytes()).decode().splitlines()
    cut = next(i for i, line in enumerate(lines) if "CrashLoopBackOff" in line) + 1
    last = parse_rfc3339(json.loads(lines[cut - 1])["ts"])
    stop = rfc3339(last + timedelta(minutes=minutes))
    path = tmp_path / "stuck.jsonl"
    path.write_text("\n".join([*lines[:cut], json.dumps({"ts": stop, "type": "MARK", "mark": "stop"})]) + "\n")
    return path


def test_a_recording_plays_on_to_when_the_recorder_stopped_and_a_stuck_rollout_ends_stalled(tmp_path):
    recording = load_recording([stuck_then_stopped(tmp_path, 10)])
    last_event = recording.offsets[-1]
    assert recording.duration == pytest.approx(last_event + 600)
    clock = FakeClock()
    player = Player(recording, clock=clock, speed=64)
    player.seek_index(len(recording) - 1)
    player.play()
    clock.advance(60 / 64)  # a minute of recording: every event is in, the watching goes on
    player.tick()
    assert player.position == len(recording) and player.playing and not player.at_end
    clock.advance(600 / 64)
    player.tick()
    assert not player.playing and player.at_end and player.offset == pytest.approx(recording.duration)
    [row] = build_frame(player.state, now=player.frame_time, stall_seconds=300).rows
    assert row.verdict.stalled and player.frame_time == recording.start + timedelta(seconds=recording.duration)
    assert player.mark_offsets == [pytest.approx(recording.duration)]  # the stop sits at its own time
    player.seek_end()
    assert player.offset == pytest.approx(recording.duration)


def test_a_recording_without_a_last_mark_ends_at_its_last_event(tmp_path):
    path = stuck_then_stopped(tmp_path, 10)
    path.write_text("\n".join(path.read_text().splitlines()[:-1]) + "\n")  # killed: no stop mark
    recording = load_recording([path])
    assert recording.duration == recording.offsets[-1]


def test_between_the_last_event_and_the_stop_a_time_and_an_offset_are_the_same_moment(tmp_path):
    recording = load_recording([stuck_then_stopped(tmp_path, 10)])
    last = recording.offsets[-1]
    by_time, by_offset = Player(recording, clock=FakeClock()), Player(recording, clock=FakeClock())
    assert by_time.seek_at(SeekTarget(time=recording.start + timedelta(seconds=last + 300))) is None
    assert by_offset.seek_at(SeekTarget(offset=last + 300)) is None
    assert by_time.offset == pytest.approx(by_offset.offset) == pytest.approx(last + 300)


def test_a_step_forward_at_the_end_stays_at_the_end(tmp_path):
    player = Player(load_recording([stuck_then_stopped(tmp_path, 10)]), clock=FakeClock())
    player.seek_end()
    end = player.offset
    player.step(1)
    assert player.at_end and player.offset == end
    assert player.request_step(1) is None and player.offset == end


def test_marks_sit_at_their_own_time_between_events(tmp_path):
    lines = [
        {"ts": "2026-11-25T10:00:00.500Z", "type": "ADDED", "object": pod_event(0)["object"]},
        {"ts": "2026-11-25T10:00:01.000Z", "type": "MARK", "mark": "disconnect"},
        {"ts": "2026-11-25T10:00:03.250Z", "type": "ADDED", "object": pod_event(1)["object"]},
        {"ts": "2026-11-25T10:00:09.000Z", "type": "MARK", "mark": "stop"},
    ]
    path = tmp_path / "marks.jsonl"
    path.write_text("".join(json.dumps(line) + "\n" for line in lines))
    player = Player(load_recording([path]), clock=FakeClock())
    assert player.mark_offsets == [0.5, 8.5] and player.duration == 8.5


def test_merged_recordings_end_when_the_last_recorder_stopped(tmp_path):
    def one(name: str, first: int, stop: str) -> Path:
        path = tmp_path / name
        events = [{"ts": f"2026-11-25T10:00:0{first}.000Z", "type": "ADDED", "object": pod_event(first)["object"]}]
        events.append({"ts": stop, "type": "MARK", "mark": "stop"})
        path.write_text("".join(json.dumps(line) + "\n" for line in events))
        return path

    recording = load_recording(
        [one("a.jsonl", 0, "2026-11-25T10:01:40.000Z"), one("b.jsonl", 1, "2026-11-25T10:01:00.000Z")]
    )
    assert recording.duration == 100.0  # a's stop, though b's event is the last one


def test_pods_are_not_known_until_the_recorders_first_list_of_them_has_played(tmp_path):
    """The recorder's opening list plays one object at a time: web first, then its pods. Between the two
    the row says its pods are not read yet (`?`), as live does while listing; it said they were missing."""
    web = {
        "kind": "StatefulSet",
        "metadata": {"name": "web", "namespace": "demo", "uid": "uid-web", "generation": 1},
        "spec": {"replicas": 2, "updateStrategy": {"type": "RollingUpdate"}},
        "status": {"observedGeneration": 1, "replicas": 2, "readyReplicas": 2},
    }
    ts = "2026-11-25T10:00:00.100Z"
    lines = [
        {"stsviz": 1, "kind": "header", "started": ts},
        {"ts": ts, "type": "MARK", "mark": "list", "resource": "statefulsets", "objects": 1},
        {"ts": ts, "type": "ADDED", "object": web},
        {"ts": ts, "type": "MARK", "mark": "list", "resource": "pods", "objects": 2},
        {"ts": ts, "type": "ADDED", "object": pod_event(0)["object"]},
        {"ts": ts, "type": "ADDED", "object": pod_event(1)["object"]},
    ]
    path = tmp_path / "opening.jsonl"
    path.write_text("".join(json.dumps(line) + "\n" for line in lines))
    player = Player(load_recording([path]), clock=FakeClock())

    def shown() -> tuple[list[str], str]:
        [row] = build_frame(player.state).rows
        return [cell.state for cell in row.cells], row.verdict.label

    player.seek_index(1)
    assert shown() == (["unknown", "unknown"], "pods unread")
    player.seek_index(2)  # web-0 listed, web-1 not yet
    assert shown()[0] == ["running", "unknown"]
    player.seek_index(3)
    assert shown()[0] == ["running", "running"] and shown()[1] != "pods unread"
    player.seek_index(1)  # back again, from a keyframe or the start
    assert shown()[0] == ["unknown", "unknown"]


def test_stepping_onto_a_mark_says_what_it_was(tmp_path):
    from stsviz.render.timeline import describe_mark
    from stsviz.ui.replay_bar import status_line

    lines = [
        {"ts": "2026-11-25T10:00:00.500Z", "type": "ADDED", "object": pod_event(0)["object"]},
        {"ts": "2026-11-25T10:00:01.000Z", "type": "MARK", "mark": "disconnect", "resource": "pods", "reason": "EOF"},
        {"ts": "2026-11-25T10:00:03.250Z", "type": "ADDED", "object": pod_event(1)["object"]},
    ]
    path = tmp_path / "marks.jsonl"
    path.write_text("".join(json.dumps(line) + "\n" for line in lines))
    player = Player(load_recording([path]), clock=FakeClock())
    player.seek_offset(0.2)  # the first event, before the mark
    assert player.mark_here() is None
    player.seek_offset(0.5)  # on the ◆: past the mark, no event since
    assert describe_mark(player.mark_here()) == "pods watch broke: EOF"
    assert str(status_line(player)).endswith("◆ pods watch broke: EOF")
    player.step(1)  # the next event: the mark is behind
    assert player.mark_here() is None


def test_the_verdicts_clock_stops_while_the_recorders_pods_watch_was_broken(tmp_path):
    """Live, a rollout out of sight did not turn stalled (the verdicts' clock stopped at the break); a replay of
    the same outage said 'stalled' ten minutes in."""
    from tests.k8s_objects import pod, statefulset

    lines = [
        {"ts": "2026-11-25T10:00:00.000Z", "type": "ADDED", "object": statefulset("web", replicas=2)},
        {"ts": "2026-11-25T10:00:00.500Z", "type": "ADDED", "object": pod("web-0")},
        {"ts": "2026-11-25T10:00:00.600Z", "type": "ADDED", "object": pod("web-1", ready=False)},
        {"ts": "2026-11-25T10:00:30.000Z", "type": "MARK", "mark": "disconnect", "resource": "pods", "reason": "EOF"},
        {"ts": "2026-11-25T10:20:00.000Z", "type": "MARK", "mark": "reconnect", "resource": "pods"},
        {"ts": "2026-11-25T10:30:00.000Z", "type": "MARK", "mark": "stop"},
    ]
    path = tmp_path / "outage.jsonl"
    path.write_text("".join(json.dumps(line) + "\n" for line in lines))
    player = Player(load_recording([path]), clock=FakeClock())

    def verdict_at(when: str) -> str:
        player.seek_at(parse_at(when))
        frame = build_frame(player.state, now=player.verdict_time(), stall_seconds=300)
        return frame.rows[0].verdict.label

    assert verdict_at("2026-11-25T10:10:00Z") == "ready 0/2"  # out of sight since 10:00:30: not stalled
    assert player.verdict_time() == datetime(2026, 11, 25, 10, 0, 30, tzinfo=UTC)
    assert verdict_at("2026-11-25T10:25:00Z") == "stalled"  # in sight again, and still stuck
    assert verdict_at("2026-11-25T10:10:00Z") == "ready 0/2"  # and back again
