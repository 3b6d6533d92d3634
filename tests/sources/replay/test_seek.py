"""Seeking with keyframes, and seeks split into a job that runs elsewhere (the screen's thread).

Wherever a seek lands, by whatever path, the state shown must equal a fresh
fold of the events up to there; only the latest request may land.
"""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from stsviz.model import build_frame
from stsviz.sources.replay import Player, load_recording
from stsviz.sources.replay import player as player_module
from stsviz.sources.replay.recording import Recording
from tests.folds import fold_contents
from tests.sources.replay.test_player import START, FakeClock, fresh, pod_event, timed_recording

PHASES = ("Pending", "Running", "Failed", "Succeeded")


def random_recording(tmp_path: Path, steps: list[tuple[int, str, int]]):
    """Pods of one set added, changed and deleted in the order given: (pod, type, phase)."""
    lines = [json.dumps({"stsviz": 1, "kind": "header", "started": START.isoformat()})]
    for index, (pod, etype, phase) in enumerate(steps):
        ts = (START + timedelta(seconds=index)).isoformat(timespec="milliseconds").replace("+00:00", "Z")
        event = pod_event(pod, etype, phase=PHASES[phase])
        event["object"]["metadata"]["resourceVersion"] = str(100 + index)
        lines.append(json.dumps({"seq": index + 1, "ts": ts, **event}))
    path = tmp_path / "rec.jsonl"
    path.write_text("\n".join(lines) + "\n")
    return load_recording([path])


@pytest.fixture
def no_inline(monkeypatch):
    """Seeks on these small recordings go through a job, as they would on a big one."""
    monkeypatch.setattr(player_module, "INLINE_EVENTS", 0)


def frame_json(state, recording, count: int) -> str:
    moment = recording.events[count - 1].time if count else None
    return build_frame(state, now=moment).to_json()


def assert_shows(player: Player, count: int) -> None:
    assert player.position == count and player.pending is None
    expected = fresh(player.recording, count)
    assert fold_contents(player.state) == fold_contents(expected)
    assert frame_json(player.state, player.recording, count) == frame_json(expected, player.recording, count)


def land(player: Player, index: int) -> None:
    """What the screen does: ask, run the job (here, on this thread), swap it in."""
    job = player.request_seek(index)
    if job is not None:
        assert job.run()
        assert player.finish_seek(job)


steps = st.lists(
    st.tuples(st.integers(0, 5), st.sampled_from(["ADDED", "MODIFIED", "MODIFIED", "DELETED"]), st.integers(0, 3)),
    min_size=1,
    max_size=60,
)


@settings(max_examples=60, deadline=None)
@given(steps=steps, seeks=st.lists(st.integers(-3, 65), min_size=1, max_size=12), every=st.integers(1, 7))
def test_a_seek_anywhere_shows_the_fold_from_the_start(tmp_path_factory, steps, seeks, every):
    recording = random_recording(tmp_path_factory.mktemp("rec"), steps)
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(player_module, "INLINE_EVENTS", 0)  # every seek but a no-op takes the job path
        jobs = Player(recording, clock=FakeClock(), checkpoint_every=every)
        direct = Player(recording, clock=FakeClock(), checkpoint_every=every)
        for target in seeks:  # forward and back, in the order drawn
            land(jobs, target)
            direct.seek_index(target)
            count = max(0, min(target, len(recording)))
            assert_shows(jobs, count)
            assert_shows(direct, count)
    inline = Player(recording, clock=FakeClock())
    for target in seeks:  # a small recording: every seek lands where it is asked
        assert inline.request_seek(target) is None
        assert_shows(inline, max(0, min(target, len(recording))))


def test_only_the_latest_of_several_quick_seeks_lands(tmp_path, no_inline):
    recording = timed_recording(tmp_path, [i * 0.5 for i in range(40)])
    player = Player(recording, clock=FakeClock(), checkpoint_every=5)
    player.seek_end()
    first, second, third = (player.request_seek(i) for i in (3, 30, 12))
    assert first is not None and second is not None and third is not None
    assert player.pending == 12 and player.position == 40  # the old state is on show until the seek lands
    # An obsolete job stops at its first check and never replaces what is shown.
    assert not first.run() and not player.finish_seek(first)
    assert third.run() and player.finish_seek(third)
    assert_shows(player, 12)
    # The middle one finishing last (a slow thread) must not move the screen back to it.
    second.run()
    assert not player.finish_seek(second)
    assert_shows(player, 12)


def test_steps_count_from_where_the_pending_seek_lands(tmp_path, no_inline):
    recording = timed_recording(tmp_path, [i * 0.5 for i in range(40)])
    player = Player(recording, clock=FakeClock(), checkpoint_every=5)
    player.seek_end()
    player.request_seek(20)
    job = player.request_step(-1)
    assert job is not None and player.pending == 19
    assert job.run() and player.finish_seek(job)
    assert_shows(player, 19)


def test_playing_folds_nothing_into_a_state_a_seek_will_replace(tmp_path, no_inline):
    recording = timed_recording(tmp_path, [float(i) for i in range(40)])
    clock = FakeClock()
    player = Player(recording, clock=clock, checkpoint_every=5)
    player.seek_end()
    player.play()  # at the end: starts over (a seek to 0)
    clock.advance(30)
    player.tick()
    job = player.request_seek(5)
    assert job is not None
    shown = fold_contents(player.state)
    clock.advance(3)
    assert not player.tick() and fold_contents(player.state) == shown
    assert job.run() and player.finish_seek(job)
    assert_shows(player, 5)
    # Playing goes on from the seek's place, not from where the clock would have put it.
    clock.advance(3)  # the seek put the playhead at event 5 (4 s): events up to 7 s are due
    player.tick()
    assert_shows(player, 8)


@pytest.mark.parametrize("every", [4, 7])
def test_once_keyframes_exist_a_seek_folds_at_most_one_interval(tmp_path, no_inline, every):
    recording = timed_recording(tmp_path, [i * 0.5 for i in range(60)])
    player = Player(recording, clock=FakeClock(), checkpoint_every=every)
    player.seek_end()  # passing every keyframe position takes the keyframes
    for target in (3, 59, 17, 44, 1, 30):
        job = player.request_seek(target)
        assert job is not None and job.index - job.start < every
        assert job.run() and player.finish_seek(job)
        assert_shows(player, target)


def test_a_seek_past_what_was_folded_keeps_the_keyframes_it_passed(tmp_path, no_inline):
    recording = timed_recording(tmp_path, [i * 0.5 for i in range(40)])
    player = Player(recording, clock=FakeClock(), checkpoint_every=5)
    job = player.request_seek(38)
    assert job is not None and job.start == 0 and job.run() and player.finish_seek(job)
    back = player.request_seek(22)
    assert back is not None and back.start == 20  # from a keyframe the first job took on its way
    assert back.run() and player.finish_seek(back)
    assert_shows(player, 22)


def test_a_cancelled_seek_changes_nothing(tmp_path, no_inline):
    """What quitting during a long seek does: the fold stops and the screen keeps what it showed."""
    recording = timed_recording(tmp_path, [i * 0.5 for i in range(40)])
    player = Player(recording, clock=FakeClock(), checkpoint_every=5)
    player.seek_end()
    job = player.request_seek(9)
    assert job is not None
    player.cancel_seek()
    assert player.pending is None
    assert not job.run() and not player.finish_seek(job)
    assert_shows(player, 40)


def test_a_seek_job_describes_itself_without_the_recording(tmp_path, no_inline):
    """Textual names a worker by the repr of its work: a repr holding every event froze the screen on `G`.

    (2.3 s on the UI loop at 200,000 events before the seek even started.)
    """
    player = Player(timed_recording(tmp_path, [i * 0.01 for i in range(2_000)]), clock=FakeClock())
    job = player.request_seek(len(player.recording))
    assert job is not None
    assert len(repr(job)) < 200 and "Change(" not in repr(job)


def test_a_seek_to_a_moment_shows_the_events_up_to_it_with_the_playhead_there(tmp_path):
    player = Player(timed_recording(tmp_path, [0, 1, 2, 30, 31, 32]), clock=FakeClock())
    land_at = player.request_seek_offset(15.0)
    assert land_at is None  # six events: folded at once
    assert (player.position, player.offset) == (3, 15.0)  # the events at 0, 1 and 2 s; the playhead where asked
    assert_shows(player, 3)
    player.request_seek_offset(1e9)
    assert (player.position, player.offset) == (6, 32.0)  # past the end: the end


def test_ten_second_jumps_cross_a_quiet_stretch_instead_of_landing_on_the_same_event(tmp_path):
    player = Player(timed_recording(tmp_path, [0, 1, 40, 41]), clock=FakeClock())
    places = []
    for _ in range(5):
        player.request_jump(10)
        places.append((player.position, player.offset))
    assert places == [(2, 10.0), (2, 20.0), (2, 30.0), (3, 40.0), (4, 41.0)]
    player.request_jump(-10)
    assert (player.position, player.offset) == (2, 31.0)
    assert_shows(player, 2)


def test_a_jump_counts_from_where_the_pending_seek_lands(tmp_path, no_inline):
    player = Player(timed_recording(tmp_path, [i * 1.0 for i in range(60)]), clock=FakeClock())
    first = player.request_seek_offset(30.0)
    second = player.request_jump(10)  # asked before the first landed: from 30 s, not from 0
    assert first is not None and second is not None
    assert player.pending_offset == 40.0
    assert second.run() and player.finish_seek(second)
    assert (player.position, player.offset) == (41, 40.0)
    assert_shows(player, 41)


def test_marks_are_placed_on_the_timeline_at_their_events(tmp_path):
    lines = [json.dumps({"stsviz": 1, "kind": "header", "started": START.isoformat()})]
    for index in range(4):
        ts = (START + timedelta(seconds=10 * index)).isoformat(timespec="milliseconds").replace("+00:00", "Z")
        lines.append(json.dumps({"seq": index + 1, "ts": ts, **pod_event(index, "ADDED")}))
        if index == 1:
            lines.append(json.dumps({"seq": 9, "ts": ts, "type": "MARK", "mark": "disconnect", "kind": "pods"}))
    path = tmp_path / "rec.jsonl"
    path.write_text("\n".join(lines) + "\n")
    player = Player(load_recording([path]), clock=FakeClock())
    assert player.mark_offsets == [10.0]  # after the second event, at 10 s


def test_a_mark_handed_over_before_its_events_moves_to_its_place_once_they_load(tmp_path):
    """The loader hands a mark over just before it raises `loaded`: read in between, it sat at the old end."""
    whole = timed_recording(tmp_path, [float(i) for i in range(10)])
    loading = Recording(events=whole.events, offsets=whole.offsets, timed=True, complete=False, loaded=5)
    loading.marks.append((8, {"type": "MARK", "mark": "disconnect"}))
    player = Player(loading, clock=FakeClock())
    assert player.mark_offsets == [4.0]  # as far as has loaded
    loading.loaded = 10
    assert player.mark_offsets == [7.0]  # after the eighth event, at 7 s
