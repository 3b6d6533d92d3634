"""A recording can be played while it loads: handed over a slice at a time, the same events in the end."""

from __future__ import annotations

import gc
import json
import threading
import time
from pathlib import Path

import pytest

from stsviz.sources.heap import gc_paused
from stsviz.sources.replay import Player, ReplayInputError, load_recording
from stsviz.sources.replay.errors import Problems
from stsviz.sources.replay.formats import RecordingLoad
from stsviz.sources.replay.merging import assemble
from stsviz.sources.replay.parsing import parse_events
from stsviz.sources.replay.reading import open_recording, recording_lines
from tests.k8s_objects import pod
from tests.sources.record.test_recorder import rotated_recording
from tests.sources.replay.test_progress import write_recording


def whole(path: Path):
    """The recording as the merge path builds it, all at once, for comparison."""
    warnings: list[str] = []
    problems = Problems(str(path), warnings)
    with open_recording(path, str(path)) as stream:
        parsed = parse_events(str(path), recording_lines(stream, str(path), problems), problems)
    return assemble([parsed], warnings)


def loaded_counts(path: Path) -> tuple[RecordingLoad, list[int]]:
    """A load, and how many events could be read each time it reported progress."""
    seen: list[int] = []
    load = RecordingLoad([path], lambda done, total: seen.append(load.recording.loaded))
    load.run()
    return load, seen


def test_a_timed_file_is_handed_over_while_it_is_read(tmp_path: Path) -> None:
    path = tmp_path / "big.jsonl"
    write_recording(path, 4000)  # ~4 MB: several slices
    load, seen = loaded_counts(path)
    total = len(load.recording)
    assert total == 4001
    # Readable part way: more than nothing, less than all, before the last slice was read.
    assert any(0 < count < total for count in seen)
    assert seen == sorted(seen)
    assert load.recording.complete and load.finished and load.done == load.total


def test_what_was_handed_over_equals_the_whole_load(tmp_path: Path) -> None:
    path = tmp_path / "big.jsonl"
    lines = [json.dumps({"stsviz": 1, "kind": "header"})]
    write_recording(path, 3000)
    data = path.read_text().splitlines()
    # Marks between events, and the first events without a receive time (they take the first one).
    body = [line for line in data if '"header"' not in line]
    first = json.loads(body[0])
    del first["ts"]
    lines.append(json.dumps(first))
    for index, line in enumerate(body[1:], 1):
        lines.append(line)
        if index % 700 == 0:
            lines.append(json.dumps({"ts": "2026-12-01T00:00:00Z", "type": "MARK", "mark": "relist", "n": index}))
    path.write_text("\n".join(lines) + "\n")
    load, seen = loaded_counts(path)
    assert any(0 < count < len(load.recording) for count in seen)
    streamed, reference = load.recording, whole(path)
    assert streamed.events == reference.events
    assert streamed.offsets == reference.offsets
    assert streamed.marks == reference.marks and len(streamed.marks) == 4
    assert streamed.header == reference.header and streamed.timed
    assert any('no "ts"' in warning for warning in streamed.warnings)


def test_an_untimed_capture_is_handed_over_at_the_end(tmp_path: Path) -> None:
    path = tmp_path / "big.jsonl"
    write_recording(path, 3000)
    untimed = []
    for line in path.read_text().splitlines():
        value = json.loads(line)
        value.pop("ts", None)
        if value.get("kind") != "header":
            untimed.append(json.dumps(value))
    path.write_text("\n".join(untimed) + "\n")
    load, seen = loaded_counts(path)
    assert set(seen[:-1]) == {0}  # its times are derived from the whole stream
    assert len(load.recording) == 3001 and not load.recording.timed
    assert load.recording.events == whole(path).events


def test_a_failed_load_says_why_and_is_finished(tmp_path: Path) -> None:
    path = tmp_path / "empty.jsonl"
    path.write_text("")
    load = RecordingLoad([path])
    with pytest.raises(ReplayInputError):
        load.run()
    assert load.finished and load.error is not None and "file is empty" in load.error
    assert not load.recording.complete


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def test_the_player_waits_at_what_has_loaded_and_plays_on(tmp_path: Path) -> None:
    path = tmp_path / "big.jsonl"
    write_recording(path, 3000)
    reference = load_recording([path])
    load = RecordingLoad([path])
    recording = load.recording
    clock = Clock()
    player = Player(recording, clock=clock)
    assert player.loading and len(recording) == 0
    player.play()
    assert player.tick() is False and player.playing  # nothing loaded yet: waiting, not at an end
    # Half of it arrives (as the loader would hand it over).
    half = 1500
    recording.events.extend(reference.events[:half])
    recording.offsets.extend(reference.offsets[:half])
    recording.timed = True
    recording.loaded = half
    clock.now = 10_000.0  # far past the loaded end
    assert player.tick()
    assert player.position == half and player.playing  # caught up with the load, still playing
    # The rest arrives and the load completes: playing goes on from where it waited.
    recording.events.extend(reference.events[half:])
    recording.offsets.extend(reference.offsets[half:])
    recording.loaded = len(reference)
    recording.complete = True
    clock.now += 1e9
    player.tick()
    assert player.at_end and not player.playing and not player.loading
    end = Player(reference)
    end.seek_end()
    assert _pods(player) == _pods(end)


def _pods(player: Player) -> dict:
    return dict(player.state.pods)


def test_seeks_while_and_after_loading_equal_folding_from_the_start(tmp_path: Path, monkeypatch) -> None:
    # Small keyframe spacing, so keyframes are taken while loading and spaced again once it is complete.
    monkeypatch.setattr("stsviz.sources.replay.player.KEYFRAME_EVERY", 500)
    monkeypatch.setattr("stsviz.sources.replay.player.MAX_KEYFRAMES", 2)
    path = tmp_path / "big.jsonl"
    write_recording(path, 3000)
    reference = load_recording([path])
    recording = RecordingLoad([path]).recording
    player = Player(recording)
    recording.events.extend(reference.events)
    recording.offsets.extend(reference.offsets)
    recording.loaded = len(reference)

    def expected(index: int) -> dict:
        other = Player(reference, checkpoint_every=len(reference) + 1)
        other.seek_index(index)
        return _pods(other)

    for index in (2600, 700, 3001, 1200):
        player.seek_index(index)
        assert _pods(player) == expected(index)
    recording.complete = True
    player.tick()
    for index in (2999, 1001, 2000, 10):
        player.seek_index(index)
        assert _pods(player) == expected(index)


def test_overlapping_pauses_on_two_threads_bring_the_collector_back_once_both_end() -> None:
    assert gc.isenabled()
    inside = threading.Event()
    release = threading.Event()

    def other() -> None:
        with gc_paused():
            inside.set()
            release.wait(5)

    worker = threading.Thread(target=other)
    with gc_paused():
        worker.start()
        assert inside.wait(5)
    assert not gc.isenabled()  # the other thread's pause has not ended
    release.set()
    worker.join(5)
    assert gc.isenabled()


def test_a_held_load_waits_after_its_first_events_until_resumed(tmp_path: Path) -> None:
    path = tmp_path / "big.jsonl"
    write_recording(path, 4000)
    load = RecordingLoad([path])
    load.start(hold_first_frame=True)
    deadline = time.monotonic() + 10
    while not load.recording.loaded and time.monotonic() < deadline:
        time.sleep(0.005)
    first = load.recording.loaded
    time.sleep(0.3)  # held: the screen draws the first frame without the load beside it
    assert 0 < first == load.recording.loaded < 4001 and not load.finished
    load.resume()
    deadline = time.monotonic() + 10
    while not load.finished and time.monotonic() < deadline:
        time.sleep(0.005)
    assert load.recording.complete and len(load.recording) == 4001


def test_the_parts_of_a_rotated_recording_are_handed_over_in_order_as_they_are_read(tmp_path: Path) -> None:
    path = tmp_path / "rec.jsonl"
    rotated_recording(path, changes=80, keep=3)
    parts = sorted(tmp_path.glob("rec.jsonl.*.gz")) + [path]
    assert len(parts) == 4
    load, seen = loaded_counts(path)
    assert not load.merging  # one recording in parts: played in file order, not merged
    last = tmp_path / "alone" / "last.jsonl"  # the file by itself (by its own name it brings its parts)
    last.parent.mkdir()
    last.write_bytes(path.read_bytes())
    alone = [load_recording([part]) for part in [*parts[:-1], last]]
    total = sum(len(recording) for recording in alone)
    assert len(load.recording) == total
    assert any(0 < count < total for count in seen)  # the first parts were playable before the last was read
    assert load.recording.events == [event for recording in alone for event in recording.events]
    expected_marks, base = [], 0
    for recording in alone:
        expected_marks += [(base + index, mark) for index, mark in recording.marks]
        base += len(recording)
    assert load.recording.marks == expected_marks and len(expected_marks) >= 4
    assert load.recording.header == alone[0].header


def test_files_that_are_not_parts_of_one_recording_are_merged(tmp_path: Path) -> None:
    first, second = tmp_path / "a.jsonl", tmp_path / "b.jsonl"
    write_recording(first, 100)
    write_recording(second, 100)
    load = RecordingLoad([first, second])
    assert load.merging
    assert len(load.run()) == 202


def _lines(path: Path, *values: dict) -> Path:
    path.write_text("".join(json.dumps(value) + "\n" for value in values))
    return path


def _event(seconds: int, phase: str, *, timed: bool = True) -> dict:
    event = {"type": "MODIFIED", "object": pod("web-0", phase=phase)}
    if timed:
        event["ts"] = f"2026-12-01T00:00:{seconds:02d}.000Z"
    return event


HEADER = {"stsviz": 1, "kind": "header"}


def test_the_marks_of_a_first_part_without_events_are_kept(tmp_path: Path) -> None:
    _lines(tmp_path / "rec.jsonl.1", HEADER, {"ts": "2026-12-01T00:00:00.000Z", "type": "MARK", "mark": "relist"})
    path = _lines(tmp_path / "rec.jsonl", HEADER, _event(1, "A"), _event(2, "B"))
    recording = load_recording([path])
    assert [mark["mark"] for _, mark in recording.marks] == ["relist"] and recording.marks[0][0] == 0
    assert [change.record.phase for change in recording.events] == ["A", "B"]


def test_a_part_without_times_before_a_timed_one_plays_at_an_even_pace(tmp_path: Path) -> None:
    _lines(tmp_path / "rec.jsonl.1", HEADER, _event(0, "A", timed=False), _event(0, "B", timed=False))
    path = _lines(tmp_path / "rec.jsonl", HEADER, _event(5, "C"))
    recording = load_recording([path])
    assert [change.record.phase for change in recording.events] == ["A", "B", "C"]
    assert not recording.timed and recording.offsets == [0.0, 0.25, 0.5]


def test_a_load_beside_the_screen_leaves_young_collections_on_and_restores_the_collector(tmp_path: Path) -> None:
    path = tmp_path / "big.jsonl"
    write_recording(path, 4000)
    threshold = gc.get_threshold()
    load = RecordingLoad([path])
    loader = load.start(hold_first_frame=True)
    deadline = time.monotonic() + 10
    while not load.recording.loaded and time.monotonic() < deadline:
        time.sleep(0.005)
    # The screen's own garbage is still collected while the recording loads; only full collections wait.
    assert gc.isenabled() and gc.get_threshold()[:2] == threshold[:2] and gc.get_threshold()[2] > threshold[2]
    load.resume()
    loader.join(10)
    assert load.recording.complete and gc.get_threshold() == threshold and gc.isenabled()


@pytest.mark.parametrize("current", ["empty", "missing"])
def test_a_rotated_recording_whose_current_part_is_empty_or_missing_plays_its_parts(
    tmp_path: Path, current: str
) -> None:
    # A recorder killed between creating the new FILE and writing its header (empty), or between renaming
    # the old part away and creating the new one (missing): the parts before it are whole.
    path = tmp_path / "rec.jsonl"
    rotated_recording(path, changes=80, keep=3)
    parts = sorted(tmp_path.glob("rec.jsonl.*.gz"))
    expected = load_recording(parts)
    if current == "empty":
        path.write_bytes(b"")
    else:
        path.unlink()
    recording = load_recording([path])
    assert recording.events == expected.events and recording.marks == expected.marks
    assert recording.warnings == [f"{path}: the current part is {current}; playing the 3 rotated parts before it"]


def test_a_part_compressed_after_it_was_listed_is_read_from_its_gz(tmp_path: Path) -> None:
    """Replaying a recording being written: the recorder may gzip FILE.N between the listing and the open."""
    import gzip

    plain = tmp_path / "rec.jsonl.3"
    write_recording(plain, 20)
    whole = plain.read_bytes()
    plain.with_name("rec.jsonl.3.gz").write_bytes(gzip.compress(whole))
    plain.unlink()  # compressed meanwhile
    warnings: list[str] = []
    with open_recording(plain, "rec.jsonl.3") as stream:
        lines = [
            line.rstrip(b"\n") for line in recording_lines(stream, "rec.jsonl.3", Problems("rec.jsonl.3", warnings))
        ]
    assert lines == whole.splitlines() and warnings == []
    with pytest.raises(ReplayInputError, match=r"^rec\.jsonl: no such file$"):
        open_recording(tmp_path / "rec.jsonl", "rec.jsonl")  # not a part: no .gz looked for


def test_a_rotated_part_missing_among_the_kept_ones_is_warned_of(tmp_path: Path) -> None:
    """Pruning removes the oldest parts only: a hole in the middle is a part lost since, and replay says so."""
    path = tmp_path / "rec.jsonl"
    rotated_recording(path, changes=80, keep=3)
    parts = sorted(tmp_path.glob("rec.jsonl.*.gz"))
    assert len(parts) == 3
    parts[1].unlink()
    recording = load_recording([path])
    assert len(recording) > 0
    assert recording.warnings == [
        f"{path}: rotated part {parts[1].name} missing; what happened then is not replayed (the part after each "
        "hole opens with a snapshot: from there it is whole again)"
    ]
    parts[0].unlink()  # the oldest gone as well: as if pruned, no hole left
    assert load_recording([path]).warnings == []
