"""Replay against hostile or broken files: bounded memory, one-line errors, nothing raw on the terminal.

Each file is made in tmp_path the way an attacker or a broken disk would: a
gzip bomb streamed from zeros, a line longer than any object, a device, times
outside what datetime holds, escape sequences where a kind or type should be.
The rest of what the user recorded is still replayed.
"""

from __future__ import annotations

import json
import os
import tracemalloc
import zlib
from pathlib import Path

import pytest

from stsviz.model.times import parse_rfc3339
from stsviz.sources.replay import load_recording, reading
from tests.sources.replay.test_formats import BASIC, load_error, pod, shown

MB = 1 << 20


def gzip_stream(path: Path, *parts: bytes | int) -> Path:
    """A gzip file of `parts`: bytes as given, an int as that many zero bytes, streamed (never all in memory)."""
    compressor = zlib.compressobj(1, zlib.DEFLATED, 16 + zlib.MAX_WBITS)
    zeros = bytes(MB)
    with path.open("wb") as out:
        for part in parts:
            if isinstance(part, int):
                for _ in range(part // MB):
                    out.write(compressor.compress(zeros))
                out.write(compressor.compress(bytes(part % MB)))
            else:
                out.write(compressor.compress(part))
        out.write(compressor.flush())
    return path


def lines_bytes(lines: list[str]) -> bytes:
    return "".join(line + "\n" for line in lines).encode()


@pytest.fixture
def one_mb_lines(monkeypatch):
    """A 1 MB line cap, so that over-long lines are quick to make."""
    monkeypatch.setattr(reading, "MAX_LINE_BYTES", MB)


# -- a line longer than the cap ------------------------------------------------------


def test_a_line_over_the_cap_is_skipped_with_a_warning_naming_it(tmp_path, one_mb_lines):
    path = tmp_path / "long-line.jsonl"
    huge = '{"type":"ADDED","object":{"kind":"Pod","metadata":{"name":"' + "x" * (3 * MB) + '"}}}'
    path.write_bytes(lines_bytes([BASIC[0], huge, *BASIC[1:]]))
    recording = load_recording([path])
    assert recording.warnings == [f"{path}: line 2: longer than 1 MB, the longest line stsviz reads; skipped"]
    assert len(shown(recording)) == len(BASIC)  # everything else the user recorded


def test_the_cap_itself_is_a_line_of_max_line_bytes(tmp_path):
    """A line of exactly MAX_LINE_BYTES is read (and found not JSON); one byte more is skipped unread."""
    cap = reading.MAX_LINE_BYTES
    assert 1 * MB <= cap <= 16 * MB  # a few MB: over any real object, under what hurts
    path = tmp_path / "at-the-cap.jsonl"
    path.write_bytes(lines_bytes([BASIC[0]]) + b"a" * cap + b"\n" + b"b" * (cap + 1) + b"\n" + lines_bytes(BASIC[1:]))
    recording = load_recording([path])
    assert recording.warnings == [
        f"{path}: line 2: not valid JSON, skipped",
        f"{path}: line 3: longer than {cap // MB} MB, the longest line stsviz reads; skipped",
    ]
    assert len(recording) == len(BASIC)


def test_an_over_long_line_in_a_pretty_printed_capture_keeps_later_line_numbers(tmp_path, one_mb_lines):
    objects = [json.loads(line) for line in BASIC]
    text = "\n".join(json.dumps(obj, indent=2) for obj in objects[:2])
    text += "\n" + "z" * (2 * MB) + "\n" + "\n".join(json.dumps(obj, indent=2) for obj in objects[2:]) + "\n"
    path = tmp_path / "pretty.json"
    path.write_text(text)
    recording = load_recording([path])
    long_line = text.count("\n", 0, text.index("z")) + 1
    assert (
        recording.warnings[0] == f"{path}: line {long_line}: longer than 1 MB, the longest line stsviz reads; skipped"
    )
    assert len(recording) == len(BASIC)


# -- gzip bombs ---------------------------------------------------------------------


def test_gzip_bomb_is_one_line_error_in_bounded_memory(tmp_path):
    """64 MB of zeros from 300 KB of gzip: one endless line, skipped a slice at a time."""
    path = gzip_stream(tmp_path / "bomb.jsonl.gz", 64 * MB)
    assert path.stat().st_size < MB
    tracemalloc.start()
    try:
        message = load_error(path)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    cap = reading.MAX_LINE_BYTES
    assert message == f"{path}: no line shorter than {cap // MB} MB (not a recording?); nothing to replay"
    # io.BufferedReader.readline joins the chunks of a line (twice the cap at most),
    # plus a few slices; never the 64 MB.
    assert peak < 2 * cap + 8 * MB, f"peak {peak / MB:.1f} MB"


def test_gzip_bomb_inside_a_recording_skips_only_that_line(tmp_path, one_mb_lines):
    path = gzip_stream(
        tmp_path / "bomb-inside.jsonl.gz", lines_bytes(BASIC[:1]), 16 * MB, b"\n", lines_bytes(BASIC[1:])
    )
    recording = load_recording([path])
    assert recording.warnings == [f"{path}: line 2: longer than 1 MB, the longest line stsviz reads; skipped"]
    assert len(recording) == len(BASIC)


def gzip_member(data: bytes, level: int = 6) -> bytes:
    compressor = zlib.compressobj(level, zlib.DEFLATED, 16 + zlib.MAX_WBITS)
    return compressor.compress(data) + compressor.flush()


def test_gzip_member_magic_split_across_reads(tmp_path):
    """`cat a.gz b.gz` where b's magic bytes straddle two reads of the file still gives both members."""
    # The file is read as 2 bytes (the magic), then slices: the second member must start one byte
    # before the end of the first slice. Stored (level 0) members have a size that is easy to set.
    head = lines_bytes(BASIC[:2])
    target = 2 + reading._SLICE - 1
    overhead = len(gzip_member(head + b" " * (target - len(head) - 200) + b"\n", 0)) - (target - 199)
    first = gzip_member(head + b" " * (target - overhead - len(head) - 1) + b"\n", 0)
    assert len(first) == target
    path = tmp_path / "two-members.jsonl.gz"
    path.write_bytes(first + gzip_member(lines_bytes(BASIC[2:])))
    recording = load_recording([path])
    assert recording.warnings == []
    assert len(recording) == len(BASIC)


# -- files that are not files ---------------------------------------------------------


def test_a_device_is_refused_before_reading(tmp_path):
    assert load_error(Path("/dev/null")) == (
        "/dev/null: not a regular file (a pipe, socket or device); save the recording to a file first"
    )


def test_a_fifo_with_no_writer_is_refused_not_waited_on(tmp_path):
    fifo = tmp_path / "capture.fifo"
    os.mkfifo(fifo)
    # O_NONBLOCK at open: a regression would hang here, and pytest's timeout or the CLI test catches it.
    assert "not a regular file" in load_error(fifo)


# -- times outside what datetime holds --------------------------------------------------


def stamped(ts: str, obj: dict, etype: str = "ADDED") -> str:
    return json.dumps({"ts": ts, "type": etype, "object": obj})


@pytest.mark.parametrize("ts", ["0001-01-01T00:00:00+01:00", "9999-12-31T23:59:59-01:00"])
def test_ts_outside_datetime_range_is_a_warning(tmp_path, ts):
    path = tmp_path / "far.jsonl"
    path.write_bytes(
        lines_bytes(
            [
                stamped("2026-11-25T10:00:00Z", pod("web-0", 1)),
                stamped(ts, pod("web-1", 2)),
                stamped("2026-11-25T10:00:02Z", pod("web-2", 3)),
            ]
        )
    )
    recording = load_recording([path])
    assert recording.warnings == [
        f"{path}: line 2: \"ts\" is out of range (before year 1 or after 9999 in UTC): '{ts}'"
    ]
    assert len(recording) == 3
    assert recording.duration == 2.0  # the bad one took the time before it


def test_huge_deletion_grace_period_is_a_warning(tmp_path):
    """deletionGracePeriodSeconds: 1e15 cannot be subtracted from a datetime (OverflowError)."""
    deleting = pod("web-0", 2)
    deleting["metadata"]["deletionTimestamp"] = "2026-11-25T10:00:30Z"
    deleting["metadata"]["deletionGracePeriodSeconds"] = 1_000_000_000_000_000
    path = tmp_path / "grace.json"
    path.write_bytes(lines_bytes([BASIC[0], json.dumps({"type": "MODIFIED", "object": deleting})]))
    recording = load_recording([path])
    assert recording.warnings == [
        f"{path}: line 2: deletionGracePeriodSeconds 1000000000000000 is out of range; not used as a time"
    ]
    assert len(recording) == 2


@pytest.mark.parametrize("text", ["0001-01-01T00:00:00+01:00", "9999-12-31T23:59:59-01:00"])
def test_object_times_outside_utc_range_are_unknown(text):
    """Every time in a record is UTC (frames print it as such): one with no UTC datetime is unknown."""
    assert parse_rfc3339(text) is None
    assert parse_rfc3339("2026-11-25T11:00:00+01:00") == parse_rfc3339("2026-11-25T10:00:00Z")


# -- strings that would write to the terminal ---------------------------------------------

OSC_TITLE = "\x1b]0;pwned\x07"
OSC_CLIPBOARD = "\x1b]52;c;Y3VybCBldmlsLnNoIHwgc2g=\x07"


def test_kinds_and_types_in_warnings_are_printable_and_short(tmp_path):
    strange = pod("web-1", 2)
    strange["kind"] = OSC_TITLE + "\x1b[31m" + "K" * 1000
    lines = [
        BASIC[0],
        json.dumps({"type": "ADDED", "object": strange}),
        json.dumps({"type": OSC_CLIPBOARD, "object": pod("web-2", 3)}),
        json.dumps([OSC_TITLE]),
        json.dumps({"kind": "x\u202eList\n", "items": []}),
    ]
    path = tmp_path / "escapes.jsonl"
    path.write_bytes(lines_bytes(lines))
    recording = load_recording([path])
    assert len(recording.warnings) == 4
    for warning in recording.warnings:
        assert not any(char in warning for char in "\x1b\x07\n\u202e"), repr(warning)
        assert len(warning) <= 300
    assert "\ufffd]0;pwned\ufffd" in " ".join(recording.warnings)  # shown, not obeyed
