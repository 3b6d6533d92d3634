"""The Recorder's file: private, whole lines, torn tails cut, rotation into gzipped parts that replay
joins, and a disk that is full or stalled costing a gap marker and a warning, never the watches."""

from __future__ import annotations

import errno
import gzip
import os
import threading
import time
from datetime import UTC, datetime
from pathlib import Path

import orjson
import pytest

from stsviz.sources.parts import existing_parts
from stsviz.sources.record.files import RecordFileError, compress_part
from stsviz.sources.record.recorder import Recorder
from stsviz.sources.replay.formats import load_recording

WHEN = datetime(2026, 11, 25, 10, 0, 0, 500_000, tzinfo=UTC)


def pod(name: str, uid: str = "u", phase: str = "Pending", secret: str = "hunter2") -> dict:
    return {
        "kind": "Pod",
        "metadata": {"name": name, "namespace": "default", "uid": f"{uid}-{name}", "resourceVersion": "1"},
        "spec": {"containers": [{"name": "main", "image": "nginx", "env": [{"name": "P", "value": secret}]}]},
        "status": {"phase": phase},
    }


def lines(path: Path) -> list[dict]:
    data = path.read_bytes()
    if data[:2] == b"\x1f\x8b":
        data = gzip.decompress(data)
    assert data.endswith(b"\n")
    return [orjson.loads(line) for line in data.splitlines()]


def marks(path: Path) -> list[str]:
    return [line["mark"] for line in lines(path) if line.get("type") == "MARK"]


def test_the_file_is_private_whole_lines_and_replays(tmp_path: Path):
    path = tmp_path / "rec.jsonl"
    recorder = Recorder(path, header={"context": "kind-a"}).start()
    recorder.listed("pods", "Pod", [pod("web-0"), pod("web-1")], "10", WHEN)
    recorder.event("pods", "MODIFIED", pod("web-0", phase="Running"), WHEN)
    recorder.phase("pods", "disconnect", WHEN, "the watch went silent")
    recorder.phase("pods", "reconnect", WHEN, None)
    recorder.event("pods", "DELETED", pod("web-1"), WHEN)
    recorder.close()
    assert path.stat().st_mode & 0o777 == 0o600
    header, *rest = lines(path)
    assert header["stsviz"] == 1 and header["context"] == "kind-a" and header["redaction"]["redacted"]
    # The header says all that is hashed: revisions' template fields too (an exec command may hold a secret).
    assert header["redaction"]["hashed"] == [
        "env[].value",
        "command",
        "args",
        "annotations but restartedAt",
        "ControllerRevision template fields but name, image and resources",
    ]
    assert [line["seq"] for line in rest] == list(range(1, len(rest) + 1))
    assert marks(path) == ["list", "disconnect", "reconnect", "stop"]  # stop: when the watching ended
    assert rest[1]["ts"] == "2026-11-25T10:00:00.500Z"
    assert b"hunter2" not in path.read_bytes()
    recording = load_recording([path])
    assert [change.type for change in recording.events] == ["ADDED", "ADDED", "MODIFIED", "DELETED"]
    assert recording.header["context"] == "kind-a" and not recording.warnings


def test_a_relist_writes_the_difference_so_replay_reaches_the_list(tmp_path: Path):
    path = tmp_path / "rec.jsonl"
    recorder = Recorder(path).start()
    recorder.listed("pods", "Pod", [pod("a"), pod("b"), pod("c")], "10", WHEN)
    # b vanished, c was recreated, a changed, d is new; nothing else is written.
    recorder.listed("pods", "Pod", [pod("a", phase="Running"), pod("c", uid="v"), pod("d")], "20", WHEN)
    recorder.close()
    *tail, stop = lines(path)[-7:]
    assert tail[0]["mark"] == "relist" and stop["mark"] == "stop"
    assert [(line["type"], line["object"]["metadata"]["name"]) for line in tail[1:]] == [
        ("DELETED", "b"),
        ("DELETED", "c"),
        ("MODIFIED", "a"),
        ("ADDED", "c"),
        ("ADDED", "d"),
    ]


def test_reopening_cuts_a_torn_tail_and_appends(tmp_path: Path):
    path = tmp_path / "rec.jsonl"
    recorder = Recorder(path).start()
    recorder.listed("pods", "Pod", [pod("a")], "10", WHEN)
    recorder.close()
    with open(path, "ab") as torn:
        torn.write(b'{"seq":9,"ts":"2026-11-25T10:00:01.000Z","type":"ADDED","obj')
    os.chmod(path, 0o644)
    recorder = Recorder(path).start()
    # a is known from the file: it shows as MODIFIED only because its env hash has a new salt; b is new.
    recorder.listed("pods", "Pod", [pod("a"), pod("b")], "11", WHEN)
    recorder.close()
    assert path.stat().st_mode & 0o777 == 0o600
    assert marks(path) == ["list", "stop", "start", "list", "stop"]  # the torn line was after the first stop
    recording = load_recording([path])
    assert not recording.warnings
    assert [(c.type, c.record.name) for c in recording.events] == [("ADDED", "a"), ("MODIFIED", "a"), ("ADDED", "b")]


def test_what_is_not_a_recording_is_never_written_to(tmp_path: Path):
    precious = tmp_path / "notes.txt"
    precious.write_text("my notes\n")
    with pytest.raises(RecordFileError, match="not an stsviz recording"):
        Recorder(precious).start()
    assert precious.read_text() == "my notes\n"
    link = tmp_path / "link.jsonl"
    link.symlink_to(tmp_path / "elsewhere.jsonl")
    with pytest.raises(RecordFileError, match="symbolic link"):
        Recorder(link).start()
    assert not (tmp_path / "elsewhere.jsonl").exists()


def rotated_recording(path: Path, *, changes: int, keep: int) -> None:
    """Three pods listed, then `changes` phase changes (P0, P1, ...), rotated every 4 KB, `keep` parts kept."""
    recorder = Recorder(path, rotate_size=4096, keep=keep).start()
    recorder.listed("pods", "Pod", [pod(f"web-{i}") for i in range(3)], "1", WHEN)
    for step in range(changes):
        recorder.event("pods", "MODIFIED", pod(f"web-{step % 3}", phase=f"P{step}"), WHEN)
    written_through(recorder, path, "written")  # once close() is asked, nothing rotates
    recorder.close()


def test_rotation_gzips_closed_parts_keeps_n_and_each_part_replays_alone(tmp_path: Path):
    path = tmp_path / "rec.jsonl"
    rotated_recording(path, changes=60, keep=2)
    parts = sorted(p.name for p in tmp_path.iterdir())
    gz = [name for name in parts if name.endswith(".gz")]
    assert len(gz) == 2 and not [name for name in parts if name.endswith((".tmp", ".1", ".2"))], parts
    for name in gz:
        assert (tmp_path / name).stat().st_mode & 0o777 == 0o600
        assert b"hunter2" not in gzip.decompress((tmp_path / name).read_bytes())
        assert marks(tmp_path / name)[0] == "snapshot"
        alone = load_recording([tmp_path / name])
        assert {c.record.name for c in alone.events} >= {"web-0", "web-1", "web-2"}
    # The whole recording: the parts that are left, in order, then the file; it ends where the recorder did.
    recording = load_recording([path])
    assert len(recording.files) == 1 and " + " in recording.files[0]
    last = {c.record.name: c.record.phase for c in recording.events}
    assert last == {"web-0": "P57", "web-1": "P58", "web-2": "P59"}
    shuffled = load_recording([tmp_path / gz[1], path, tmp_path / gz[0]])  # a shell glob's order
    assert [c.record.phase for c in shuffled.events] == [c.record.phase for c in recording.events]


class FullDisk:
    """os.write that refuses with ENOSPC while `full`, after writing part of the line (the worst case)."""

    def __init__(self) -> None:
        self.full = False

    def __call__(self, fd: int, data) -> int:
        if self.full:
            os.write(fd, bytes(data[:10]))  # a torn piece the recorder must take back
            raise OSError(errno.ENOSPC, "No space left on device")
        return os.write(fd, data)


def test_a_full_disk_costs_a_gap_marker_and_a_warning_never_a_torn_line(tmp_path: Path, monkeypatch):
    monkeypatch.setattr("stsviz.sources.record.recorder.RETRY_INTERVAL", 0.0)
    path = tmp_path / "rec.jsonl"
    disk = FullDisk()
    recorder = Recorder(path, write=disk).start()
    recorder.listed("pods", "Pod", [pod("a")], "1", WHEN)
    wait_for(lambda: recorder.events == 1)
    disk.full = True
    for step in range(5):
        recorder.event("pods", "MODIFIED", pod("a", phase=f"lost-{step}"), WHEN)
    wait_for(lambda: recorder.lost == 5)
    assert "No space left on device" in recorder.warning
    disk.full = False
    recorder.event("pods", "MODIFIED", pod("a", phase="Running"), WHEN)
    recorder.close()
    written = lines(path)  # every line whole: the torn pieces were cut
    gap = next(line for line in written if line.get("mark") == "gap")
    assert gap["lost"] == 5 and "No space left" in gap["reason"]
    assert written[-2]["object"]["status"]["phase"] == "Running" and written[-1]["mark"] == "stop"
    assert [line["seq"] for line in written[1:]] == list(range(1, len(written)))


def test_a_stalled_disk_fills_the_queue_not_the_caller_and_says_how_much_was_lost(tmp_path: Path):
    gate = threading.Event()

    def stalled(fd: int, data) -> int:
        gate.wait()
        return os.write(fd, data)

    path = tmp_path / "rec.jsonl"
    recorder = Recorder(path, queue_limit=10)
    recorder.start()  # the header is written before the writer starts: the disk stalls after it
    recorder._write_fn = stalled
    started = time.monotonic()
    for step in range(1000):
        recorder.event("pods", "ADDED", pod(f"p{step}"), WHEN)
    assert time.monotonic() - started < 1.0  # the event loop never waits for the disk
    gate.set()
    wait_for(recorder._queue.empty)
    recorder.event("pods", "ADDED", pod("after"), WHEN)
    recorder.close()
    written = lines(path)
    # One gap marker, or two when the writer took one more event off the queue while the caller was
    # still offering (a busy machine): either way every event is in the file or counted as lost.
    gaps = [line for line in written if line.get("mark") == "gap"]
    lost = sum(gap["lost"] for gap in gaps)
    kept = [line for line in written if line.get("type") == "ADDED"]
    assert 1 <= len(gaps) <= 2 and lost + len(kept) == 1001 and lost > 900
    assert kept[-1]["object"]["metadata"]["name"] == "after" and all("fell behind" in gap["reason"] for gap in gaps)


def wait_for(condition, timeout: float = 5.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.01)


def parts_on_disk(path: Path) -> list[Path]:
    """The rotated parts of the recording at `path`, oldest first (as replay finds them)."""
    return [part for _, part in existing_parts(path)]


def part_bytes(part: Path) -> bytes:
    data = part.read_bytes()
    return gzip.decompress(data) if data[:2] == b"\x1f\x8b" else data


def test_a_snapshot_larger_than_the_rotate_size_is_never_most_of_what_a_part_holds(tmp_path: Path):
    # 40 pods: the snapshot that opens every part is ~2.5 times the rotate size by itself.
    path = tmp_path / "rec.jsonl"
    recorder = Recorder(path, rotate_size=4096, keep=50).start()
    recorder.listed("pods", "Pod", [pod(f"web-{i}") for i in range(40)], "1", WHEN)
    for step in range(120):  # about 36 KB of small changes
        recorder.event("pods", "MODIFIED", pod(f"web-{step % 40}", phase=f"P{step}"), WHEN)
    written_through(recorder, path, "written")
    recorder.close()
    parts = parts_on_disk(path)
    assert len(parts) >= 2, [p.name for p in parts]
    # Every part after the first holds at least as many bytes of events as its opening snapshot (before:
    # 4 KB of events for each 10 KB snapshot, so most of the disk went to snapshots; with an 18 MB namespace
    # and 64 KB parts, gigabytes of snapshots while the events queued behind them were lost).
    for part in [*parts[1:], path]:
        data = part_bytes(part).splitlines(keepends=True)
        opening = sum(map(len, data[: 2 + 40]))  # header, snapshot mark, the 40 pods as ADDED
        assert opening > 2 * 4096
        if part != path:  # FILE is the part still being written
            assert sum(map(len, data[2 + 40 :])) >= opening
    # A recorder appending to the file counts from the end of its opening snapshot too.
    rotated = len(parts)
    again = Recorder(path, rotate_size=4096, keep=50).start()
    for step in range(120, 123):
        again.event("pods", "MODIFIED", pod(f"web-{step % 40}", phase=f"P{step}"), WHEN)
    again.close()
    assert len(parts_on_disk(path)) == rotated
    recording = load_recording([path])
    assert {c.record.name: c.record.phase for c in recording.events}["web-2"] == "P122"


def test_stopping_starts_no_new_part_so_the_drain_writes_the_queued_events(tmp_path: Path):
    gate = threading.Event()

    def stalled(fd: int, data) -> int:
        gate.wait(10)
        return os.write(fd, data)

    path = tmp_path / "rec.jsonl"
    recorder = Recorder(path, rotate_size=4096, keep=50).start()
    recorder.listed("pods", "Pod", [pod(f"web-{i}") for i in range(3)], "1", WHEN)
    written_through(recorder, path, "listed")
    recorder._write_fn = stalled
    for step in range(100):  # about 20 KB queued behind a stalled disk: five rotations' worth
        recorder.event("pods", "MODIFIED", pod(f"web-{step % 3}", phase=f"P{step}"), WHEN)
    closing = threading.Thread(target=recorder.close, daemon=True)
    closing.start()
    try:
        assert recorder._stopping.wait(5)
    finally:
        gate.set()  # the disk answers once close() is asked
    closing.join(20)
    assert not closing.is_alive()
    # The queued events went into FILE, none lost: no time of the drain went to writing snapshots.
    assert parts_on_disk(path) == []
    assert recorder.lost == 0 and marks(path)[-1] == "stop"
    phases = [line["object"]["status"]["phase"] for line in lines(path) if line.get("type") == "MODIFIED"]
    assert phases == [f"P{step}" for step in range(100)]


def test_keep_holds_while_compression_lags_and_a_part_pruned_while_it_waited_is_not_compressed(
    tmp_path: Path, monkeypatch
):
    # One part's compression is held back while many more parts rotate behind it (a slow disk).
    real = compress_part
    compressed: list[int] = []
    started, gate = threading.Event(), threading.Event()

    def held(plain: Path, **options) -> Path:
        compressed.append(int(plain.name.split(".")[2]))
        started.set()
        gate.wait(10)
        return real(plain, **options)

    monkeypatch.setattr("stsviz.sources.record.recorder.compress_part", held)
    path = tmp_path / "rec.jsonl"
    recorder = Recorder(path, rotate_size=4096, keep=2).start()
    try:
        recorder.listed("pods", "Pod", [pod(f"web-{i}") for i in range(3)], "1", WHEN)
        for step in range(300):  # about 60 KB: a dozen parts
            recorder.event("pods", "MODIFIED", pod(f"web-{step % 3}", phase=f"P{step}"), WHEN)
        written_through(recorder, path, "rotated")
        newest = recorder._part - 1  # the newest rotated part
        assert newest >= 8
        assert started.wait(5) and len(compressed) == 1
        # One thread compresses (a thread per part taking turns at a lock did not keep the order).
        assert [t.name for t in threading.enumerate()].count("stsviz-recorder-gzip") == 1
        # While it is stuck, --keep holds: the newest two and the one being compressed, nothing more (before:
        # every part piled up plain, 110 parts and 2.1 GB with --keep 2, each gzipped later only to be deleted).
        on_disk = {part.name for part in parts_on_disk(path)}
        assert {f"rec.jsonl.{newest - 1}", f"rec.jsonl.{newest}", f"rec.jsonl.{compressed[0]}"} == on_disk
    finally:
        gate.set()
    recorder.close()
    # Oldest first (by number: 'rec.jsonl.100' sorts before 'rec.jsonl.99' as a string); the parts pruned
    # while they waited were never compressed; the newest two kept, nothing half-made or left plain.
    assert compressed == sorted(compressed) and compressed[-2:] == [newest - 1, newest]
    assert len(compressed) <= 3
    assert {p.name for p in tmp_path.iterdir()} == {"rec.jsonl", f"rec.jsonl.{newest - 1}.gz", f"rec.jsonl.{newest}.gz"}
    assert recorder.warning is None
    recording = load_recording([path])
    assert {c.record.name: c.record.phase for c in recording.events}["web-2"] == "P299"


def hold_compression(monkeypatch) -> tuple[threading.Event, threading.Event]:
    """The compressor stops at its first part until the second event is set (a slow disk): (started, gate)."""
    real = compress_part
    started, gate = threading.Event(), threading.Event()

    def held(plain: Path, **options) -> Path:
        started.set()
        gate.wait(10)
        return real(plain, **options)

    monkeypatch.setattr("stsviz.sources.record.recorder.compress_part", held)
    return started, gate


def recording_with_parts(path: Path, **options) -> Recorder:
    recorder = Recorder(path, rotate_size=4096, keep=5, **options).start()
    recorder.listed("pods", "Pod", [pod(f"web-{i}") for i in range(3)], "1", WHEN)
    for step in range(60):
        recorder.event("pods", "MODIFIED", pod(f"web-{step % 3}", phase=f"P{step}"), WHEN)
    written_through(recorder, path, "rotated")
    assert parts_on_disk(path)
    return recorder


def test_closing_returns_at_one_deadline_shared_by_the_writer_and_the_compressor(tmp_path: Path, monkeypatch):
    from stsviz.sources.record.recorder import CLOSE_MARGIN, DRAIN_TIMEOUT

    started, gate = hold_compression(monkeypatch)
    now = [0.0]  # the recorder's clock: the test moves it past close()'s deadline
    path = tmp_path / "rec.jsonl"
    recorder = recording_with_parts(path, clock=lambda: now[0])
    assert started.wait(5)
    disk = threading.Event()

    def stalled(fd: int, data) -> int:
        disk.wait(10)
        return os.write(fd, data)

    recorder._write_fn = stalled  # the stop mark's write sticks too
    closing = threading.Thread(target=recorder.close, daemon=True)
    closing.start()
    try:
        assert recorder._stopping.wait(5)
        now[0] += DRAIN_TIMEOUT + CLOSE_MARGIN  # the one deadline passes
        # close() returns then, for the writer and the compressor together (before: it waited up to the
        # deadline for each in turn, 30 s by the real clock).
        closing.join(5)
        assert not closing.is_alive(), "close() waited past its deadline"
    finally:
        disk.set()
        gate.set()
    assert "the next recorder on the file compresses it" in (recorder.warning or "")
    assert recorder._compressor is not None and recorder._thread is not None
    recorder._compressor.join(10)
    recorder._thread.join(10)
    # The part being compressed at the deadline stays plain and whole; nothing half-made is left.
    assert parts_on_disk(path)[0].name == "rec.jsonl.1"
    assert not [p.name for p in tmp_path.iterdir() if p.name.endswith(".tmp")]
    assert marks(path)[-1] == "stop"
    phases = {c.record.name: c.record.phase for c in load_recording([path]).events}
    assert phases == {"web-0": "P57", "web-1": "P58", "web-2": "P59"}
    monkeypatch.undo()
    Recorder(path, rotate_size=4096, keep=5).start().close()  # the next recorder compresses it
    assert all(part.name.endswith(".gz") for part in parts_on_disk(path))


def test_the_recording_stays_locked_until_its_compressor_is_done(tmp_path: Path, monkeypatch):
    started, gate = hold_compression(monkeypatch)
    path = tmp_path / "rec.jsonl"
    first = recording_with_parts(path)
    assert started.wait(5)
    closing = threading.Thread(target=first.close, daemon=True)
    closing.start()
    try:
        assert first._thread is not None
        first._thread.join(10)
        assert not first._thread.is_alive()  # the writer has ended the file; the compressor is still at work
        # Before, the writer's close released the lock here: a second recorder started and compressed the same
        # parts (each removed the other's .gz.tmp and renamed its own half-written one into FILE.N.gz).
        with pytest.raises(RecordFileError, match="another stsviz is recording to it"):
            Recorder(path, rotate_size=4096, keep=5).start()
    finally:
        gate.set()
    closing.join(20)
    assert not closing.is_alive() and first.warning is None
    for part in parts_on_disk(path):
        assert part.name.endswith(".gz") and gzip.decompress(part.read_bytes())
    Recorder(path, rotate_size=4096, keep=5).start().close()  # done: the recording can be appended to again
    assert marks(path)[-2:] == ["start", "stop"]


def test_a_part_left_plain_by_a_killed_recorder_is_compressed_by_the_next(tmp_path: Path):
    path = tmp_path / "rec.jsonl"
    rotated_recording(path, changes=30, keep=5)
    [first, *_] = parts_on_disk(path)
    plain = first.with_name(first.name.removesuffix(".gz"))
    plain.write_bytes(gzip.decompress(first.read_bytes()))  # killed after the rename, before the compression
    first.unlink()
    plain.with_name(plain.name + ".gz.tmp").write_bytes(b"\x1f\x8b half")
    before = load_recording([path]).events
    Recorder(path, rotate_size=4096, keep=5).start().close()
    assert sorted(p.name for p in tmp_path.iterdir() if not p.name.endswith(".gz")) == ["rec.jsonl"]
    assert [c.record.phase for c in load_recording([path]).events] == [c.record.phase for c in before]


def test_closing_on_a_stalled_disk_with_a_full_queue_returns_and_the_writer_ends_the_file_itself(
    tmp_path: Path, monkeypatch
):
    # Short deadlines (the defaults are 10 s to drain and 5 s more for a write stuck in the kernel).
    monkeypatch.setattr("stsviz.sources.record.recorder.DRAIN_TIMEOUT", 0.2)
    monkeypatch.setattr("stsviz.sources.record.recorder.CLOSE_MARGIN", 0.2)
    gate = threading.Event()

    def stalled(fd: int, data) -> int:
        gate.wait()
        return os.write(fd, data)

    path = tmp_path / "rec.jsonl"
    recorder = Recorder(path, queue_limit=10).start()
    writer = recorder._thread
    recorder._write_fn = stalled
    for step in range(100):
        recorder.event("pods", "ADDED", pod(f"p{step}"), WHEN)
    closing = threading.Thread(target=recorder.close, daemon=True)
    closing.start()
    closing.join(20)
    try:
        # SIGTERM on a stalled disk ends the command: close() neither waits on the full queue nor for the disk.
        assert not closing.is_alive(), "close() blocked on a stalled disk"
        assert "may end without its stop mark" in (recorder.warning or "")
    finally:
        gate.set()
    # The writer still owns the file: once the disk answers it ends it, nothing written to a closed descriptor.
    assert writer is not None
    writer.join(20)
    assert not writer.is_alive()
    written = lines(path)
    gaps = [line for line in written if line.get("mark") == "gap"]
    kept = [line for line in written if line.get("type") == "ADDED"]
    assert kept and sum(gap["lost"] for gap in gaps) + len(kept) == 100
    assert any("stopped before writing them" in gap["reason"] for gap in gaps)
    assert written[-1]["mark"] == "stop" and recorder.failed is None
    assert [line["seq"] for line in written[1:]] == list(range(1, len(written)))


def test_closing_writes_what_it_can_before_its_deadline_and_counts_the_rest(tmp_path: Path, monkeypatch):
    monkeypatch.setattr("stsviz.sources.record.recorder.DRAIN_TIMEOUT", 0.3)

    def slow(fd: int, data) -> int:
        time.sleep(0.01)  # a slow disk (not a synchronisation): about 100 lines a second
        return os.write(fd, data)

    path = tmp_path / "rec.jsonl"
    recorder = Recorder(path, write=slow).start()
    for step in range(500):
        recorder.event("pods", "ADDED", pod(f"p{step}"), WHEN)
    recorder.close()
    written = lines(path)
    [gap] = [line for line in written if line.get("mark") == "gap"]
    kept = [line for line in written if line.get("type") == "ADDED"]
    assert gap["lost"] + len(kept) == 500 and gap["lost"] > 0
    assert gap["reason"] == "the recorder was stopped before writing them"
    assert written[-1]["mark"] == "stop" and recorder.lost == gap["lost"]
    assert "the recorder was stopped before writing them" in (recorder.warning or "")


def written_through(recorder: Recorder, path: Path, name: str) -> None:
    """Wait until the writer has written everything offered before now (a mark named `name` is in FILE)."""
    recorder.mark(name)

    def there() -> bool:
        try:
            return name in marks(path)
        except FileNotFoundError:  # between a rotation's two renames
            return False
        except AssertionError:  # read while the writer was mid-line (`lines` wants whole lines): look again
            return False

    wait_for(there)


def test_a_second_recorder_on_the_same_file_is_refused_and_replay_still_reads_it(tmp_path: Path):
    path = tmp_path / "rec.jsonl"
    first = Recorder(path, rotate_size=4096, keep=5).start()
    first.listed("pods", "Pod", [pod(f"web-{i}") for i in range(3)], "1", WHEN)
    written_through(first, path, "listed")
    with pytest.raises(RecordFileError, match=r"^.*rec\.jsonl: another stsviz is recording to it$"):
        Recorder(path).start()
    for step in range(40):  # past the rotate size: the lock goes with the recording to its new part
        first.event("pods", "MODIFIED", pod(f"web-{step % 3}", phase=f"P{step}"), WHEN)
    written_through(first, path, "rotated")
    assert parts_on_disk(path)
    with pytest.raises(RecordFileError, match="another stsviz is recording to it"):
        Recorder(path).start()
    assert load_recording([path]).events  # reading a recording being written takes no lock
    first.close()
    # One recorder's lines only: one header a part, seq rising by one throughout.
    parts = [*parts_on_disk(path), path]
    for part in parts:
        assert sum(line.get("kind") == "header" for line in lines(part)) == 1
    seqs = [line["seq"] for part in parts for line in lines(part) if "seq" in line]
    assert seqs == sorted(set(seqs))
    Recorder(path).start().close()  # closed, the recording can be appended to again
    assert marks(path)[-2:] == ["start", "stop"]


def test_while_rotating_the_file_always_holds_a_header_so_a_recorder_killed_then_leaves_it_replayable(tmp_path: Path):
    path = tmp_path / "rec.jsonl"
    heads: list[bytes] = []  # what FILE began with at each write after start: where a kill would leave it

    def watched(fd: int, data) -> int:
        if armed.is_set():
            heads.append(path.read_bytes()[:10] if path.exists() else b"(missing)")
        return os.write(fd, data)

    armed = threading.Event()
    recorder = Recorder(path, rotate_size=4096, keep=5, write=watched).start()
    armed.set()
    recorder.listed("pods", "Pod", [pod(f"web-{i}") for i in range(3)], "1", WHEN)
    for step in range(60):
        recorder.event("pods", "MODIFIED", pod(f"web-{step % 3}", phase=f"P{step}"), WHEN)
    written_through(recorder, path, "written")
    recorder.close()
    assert len(parts_on_disk(path)) >= 3
    # The new part is written (header, snapshot) and synced under another name, then renamed into place:
    # FILE was never empty (before, a kill after creating it and before its header left it so).
    assert heads and set(heads) == {b'{"stsviz":'}
    assert sorted(p.name for p in tmp_path.iterdir() if ".gz" not in p.name) == ["rec.jsonl"]  # no temporary left
    for part in [*parts_on_disk(path)[1:], path]:
        assert marks(part)[0] == "snapshot"


def test_a_recorder_started_while_another_is_between_its_two_renames_is_refused(tmp_path: Path):
    import fcntl

    path = tmp_path / "rec.jsonl"
    rotated_recording(path, changes=30, keep=5)
    # Another recorder mid-rotation: its old part renamed away, its next part written and held, not yet renamed.
    os.rename(path, tmp_path / "rec.jsonl.99")
    following = tmp_path / "rec.jsonl.next.tmp"
    following.write_bytes(lines_of(path.with_name("rec.jsonl.99"))[0])
    held = os.open(following, os.O_RDONLY)
    try:
        fcntl.flock(held, fcntl.LOCK_EX)
        with pytest.raises(RecordFileError, match="another stsviz is recording to it"):
            Recorder(path).start()
        os.rename(following, path)  # the other recorder goes on: its part takes the name
    finally:
        os.close(held)
    assert lines(path)[0]["kind"] == "header"
    # A next part nobody holds is what a killed recorder left: the next recorder removes it and records.
    following.write_bytes(b'{"stsviz":1,"kind":"header"}\n')
    Recorder(path).start().close()
    assert not following.exists() and marks(path)[-2:] == ["start", "stop"]


def lines_of(path: Path) -> list[bytes]:
    return path.read_bytes().splitlines(keepends=True)


def test_on_nfs_a_recorder_between_its_two_renames_is_still_seen(tmp_path: Path, monkeypatch):
    import fcntl

    from stsviz.sources.record import files

    real = fcntl.flock

    def nfs_flock(fd: int, operation: int) -> None:
        # NFS emulates flock with fcntl locks, which need the file open for writing.
        if fcntl.fcntl(fd, fcntl.F_GETFL) & os.O_ACCMODE == os.O_RDONLY:
            raise OSError(errno.EBADF, "Bad file descriptor")
        real(fd, operation)

    monkeypatch.setattr(files.fcntl, "flock", nfs_flock)
    path = tmp_path / "rec.jsonl"
    rotated_recording(path, changes=30, keep=5)
    following = tmp_path / "rec.jsonl.next.tmp"
    following.write_bytes(lines_of(path)[0])
    held = os.open(following, os.O_WRONLY)  # another recorder's next part, written and held
    try:
        real(held, fcntl.LOCK_EX)
        # Before, the check opened it read-only, the lock failed (EBADF) and was taken for "nobody holds it":
        # the other recorder's next part was removed and a second recorder wrote into the same recording.
        with pytest.raises(RecordFileError, match="another stsviz is recording to it"):
            Recorder(path).start()
        assert following.exists()
    finally:
        os.close(held)


def test_appending_reads_the_file_through_its_locked_descriptor(tmp_path: Path, monkeypatch):
    import builtins

    path = tmp_path / "rec.jsonl"
    first = Recorder(path).start()
    first.listed("pods", "Pod", [pod("a")], "10", WHEN)
    first.close()
    real = builtins.open

    def cifs_open(file, *args, **kwargs):
        # CIFS (Linux 5.5 and later) refuses to open a file by name while a lock on it is held elsewhere.
        if str(file) == str(path):
            raise PermissionError(errno.EACCES, "Permission denied", str(file))
        return real(file, *args, **kwargs)

    monkeypatch.setattr(builtins, "open", cifs_open)
    again = Recorder(path).start()  # before: PermissionError out of start(), nothing recorded
    again.listed("pods", "Pod", [pod("a"), pod("b")], "11", WHEN)
    again.close()
    monkeypatch.undo()
    # The file's own objects were read back: a is known (MODIFIED for its new salt only), b is new.
    written = lines(path)
    assert [(line["type"], line["object"]["metadata"]["name"]) for line in written if "object" in line][1:] == [
        ("MODIFIED", "a"),
        ("ADDED", "b"),
    ]


def test_a_gap_counts_events_a_list_its_objects_and_marks_none(tmp_path: Path):
    now = [0.0]  # the recorder's clock: the test moves it past the drain's deadline
    entered, gate = threading.Event(), threading.Event()

    def stalled(fd: int, data) -> int:
        entered.set()
        gate.wait(10)
        return os.write(fd, data)

    path = tmp_path / "rec.jsonl"
    recorder = Recorder(path, queue_limit=3, drain_timeout=1.0, clock=lambda: now[0]).start()
    recorder._write_fn = stalled
    recorder.event("pods", "ADDED", pod("blocker"), WHEN)  # the writer sticks in its write
    assert entered.wait(5)
    recorder.listed("pods", "Pod", [pod(f"web-{i}") for i in range(50)], "1", WHEN)  # queued: 50 objects
    recorder.phase("pods", "disconnect", WHEN, "eof")  # queued: a mark, no event
    recorder.mark("action", action="scale")  # queued: a mark, no event
    recorder.listed("pods", "Pod", [pod(f"web-{i}") for i in range(20)], "2", WHEN)  # the queue is full: 20 lost
    recorder.event("pods", "MODIFIED", pod("web-0", phase="Running"), WHEN)  # 1 lost
    closing = threading.Thread(target=recorder.close, daemon=True)
    closing.start()
    try:
        assert recorder._stopping.wait(5)
        now[0] += 1.5  # past the drain, short of close()'s deadline: what is queued is counted, not written
    finally:
        gate.set()
    closing.join(20)
    assert not closing.is_alive()
    gaps = {gap["reason"]: gap["lost"] for gap in lines(path) if gap.get("mark") == "gap"}
    # Before: 2 and 3 (queue items: a list of 50 pods counted one, each mark one event).
    assert gaps == {
        "the recorder fell behind (its queue was full: the disk is slow)": 21,
        "the recorder was stopped before writing them": 50,
    }
    assert recorder.lost == 71 and "71 lost" in recorder.describe()


def test_a_part_that_fails_to_close_after_its_rotation_costs_a_warning_not_the_recording(tmp_path: Path, monkeypatch):
    path = tmp_path / "rec.jsonl"
    recorder = Recorder(path, rotate_size=4096, keep=50).start()
    first = [recorder._fd]  # until it is closed: its number is reused after
    real = os.close

    def failing_close(fd: int) -> None:
        real(fd)
        if fd in first:  # an error reported as the first part is closed (NFS reports write-back errors so)
            first.clear()
            raise OSError(errno.EIO, "Input/output error")

    monkeypatch.setattr(os, "close", failing_close)
    recorder.listed("pods", "Pod", [pod(f"web-{i}") for i in range(3)], "1", WHEN)
    for step in range(100):
        recorder.event("pods", "MODIFIED", pod(f"web-{step % 3}", phase=f"P{step}"), WHEN)
    written_through(recorder, path, "written")
    recorder.close()
    monkeypatch.undo()
    # Before: the recorder stayed on the closed descriptor number, stopped rotating, and lost what came next.
    assert recorder.lost == 0 and len(parts_on_disk(path)) >= 3
    assert "cannot close rec.jsonl.1: Input/output error" in (recorder.warning or "")
    phases = [c.record.phase for c in load_recording([path]).events if c.type == "MODIFIED"]
    assert phases[-3:] == ["P97", "P98", "P99"]


def test_a_rotation_a_killed_recorder_left_between_its_renames_is_finished_by_the_next(tmp_path: Path, caplog):
    import shutil

    path = tmp_path / "rec.jsonl"
    rotated_recording(path, changes=30, keep=5)
    before = [c.record.phase for c in load_recording([path]).events]
    # Killed between the renames: FILE is FILE.N already, and the next part, written and synced, waits as
    # FILE.next.tmp (here a copy of the last part: it opens with a header and the snapshot of every object).
    following = tmp_path / "rec.jsonl.next.tmp"
    shutil.copy(path, following)
    opening = lines_of(following)
    number = len(parts_on_disk(path)) + 1
    os.rename(path, tmp_path / f"rec.jsonl.{number}")
    with caplog.at_level("WARNING", logger="stsviz.record"):
        Recorder(path, rotate_size=4096, keep=5).start().close()
    # Before: the part was removed and a new FILE began with no snapshot (its objects missing when it
    # replayed alone, or with fewer parts than --keep).
    assert not following.exists()
    assert lines_of(path)[: len(opening)] == opening and marks(path)[-2:] == ["start", "stop"]
    assert [r.getMessage() for r in caplog.records if "between the two renames" in r.getMessage()]
    assert [c.record.phase for c in load_recording([path]).events][: len(before)] == before


def test_a_recording_of_another_cluster_or_scope_is_not_appended_to(tmp_path: Path):
    """One file, one watch: appending a second cluster mixed both in replay, and wrote the first's objects
    as DELETED at the second's first list."""
    path = tmp_path / "rec.jsonl"
    scope = {"namespace": "shop", "allNamespaces": False, "selector": None}
    prod = {"context": "context prod", "server": "https://10.0.0.1:6443", "scope": scope}
    recorder = Recorder(path, header=prod).start()
    recorder.listed("pods", "Pod", [pod("a")], "10", WHEN)
    recorder.close()
    before = path.read_bytes()
    others = [
        {**prod, "context": "context dev", "server": "https://10.9.9.9:6443"},
        {**prod, "scope": {**scope, "namespace": "other"}},
        {**prod, "scope": {**scope, "selector": "tier=db"}},
    ]
    for other in others:
        with pytest.raises(RecordFileError) as refused:
            Recorder(path, header=other).start()
        message = str(refused.value)
        assert message.startswith(f"{path}: holds a recording of context prod (https://10.0.0.1:6443), namespace shop")
        assert message.endswith("; record to another file")
    assert path.read_bytes() == before  # untouched
    same = Recorder(path, header=prod).start()  # the same watch appends, as before
    assert same.appending
    same.close()
