"""Files' events into one stream: a rotated recording's parts joined, other files merged.

kubectl watches one type per command, so a user brings a file per type; they
are merged by `metadata.resourceVersion` (etcd's commit order), or by receive
time when every file carries one. The parts of one stsviz recording (each with
its header) are played in order, as one file. Untimed streams play at an even
pace, with wall times derived from the objects (times.py).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from stsviz.model.events import Change, Record
from stsviz.sources.replay.parsing import FileEvents
from stsviz.sources.replay.recording import Recording
from stsviz.sources.replay.times import derive_times

# Seconds between events when the files carry no times: readable, and a
# 100-event capture still plays in under half a minute.
PACE = 0.25


def join_parts(parts: list[FileEvents]) -> FileEvents:
    """The parts of one recording as one file: events and marks in order, the first part's header."""
    joined = FileEvents(" + ".join(part.name for part in parts))
    joined.header = parts[0].header
    for part in parts:
        base = len(joined.types)
        joined.types += part.types
        joined.records += part.records
        joined.stamps += part.stamps
        joined.clues += part.clues
        joined.keys += part.keys
        joined.marks += [(base + index, mark) for index, mark in part.marks]
    # Timed only if every part with events has receive times; else all play at an even pace.
    joined.timed = any(len(part) for part in parts) and all(part.timed for part in parts if len(part))
    return joined


def assemble(files: list[FileEvents], warnings: list[str]) -> Recording:
    header = next((f.header for f in files if f.header is not None), None)
    names = tuple(f.name for f in files)
    with_events = [f for f in files if len(f)]
    timed = bool(with_events) and all(f.timed for f in with_events)
    if len(files) == 1:
        only = files[0]
        types, records, stamps, clues, marks = only.types, only.records, only.stamps, only.clues, only.marks
    else:
        if with_events and not timed and any(f.timed for f in with_events):
            warnings.append(
                "some files have receive times and some do not: merged by resourceVersion, played at an even pace"
            )
        types, records, stamps, clues, marks = _merge(files, by_time=timed)
    if timed:
        times: list[datetime | None] = stamps
        offsets = offsets_from_times(stamps)  # type: ignore[arg-type]
    else:
        times = derive_times(clues, stamps)
        offsets = [index * PACE for index in range(len(types))]
    events = list(map(Change, types, records, times))
    return Recording(
        events=events, offsets=offsets, timed=timed, warnings=warnings, header=header, marks=marks, files=names
    )


def offsets_from_times(times: list[datetime]) -> list[float]:
    """Seconds since the first event, never decreasing (a clock step back must not rewind playback)."""
    offsets: list[float] = []
    ReceiveOffsets().extend(times, offsets)
    return offsets


class ReceiveOffsets:
    """`offsets_from_times` a batch at a time, for a recording handed over while it loads."""

    def __init__(self) -> None:
        self.start: datetime | None = None
        self._offset = 0.0
        self._previous: datetime | None = None

    def extend(self, times: list[datetime], offsets: list[float]) -> None:
        if not times:
            return
        if self.start is None:
            self.start = times[0]
        start, previous, offset = self.start, self._previous, self._offset
        append = offsets.append
        for time in times:
            if time is not previous:  # events parsed from the same ts string share one datetime
                previous = time
                seconds = (time - start).total_seconds()
                if seconds > offset:
                    offset = seconds
            append(offset)
        self._previous, self._offset = previous, offset


def _merge(
    files: list[FileEvents], *, by_time: bool
) -> tuple[list[str], list[Record], list[datetime | None], list[datetime | None], list[tuple[int, dict[str, Any]]]]:
    """One stream from several files: a stable sort, so ties keep file order."""
    types: list[str] = []
    records: list[Record] = []
    stamps: list[datetime | None] = []
    clues: list[datetime | None] = []
    keys: list[Any] = []
    for f in files:
        types += f.types
        records += f.records
        stamps += f.stamps
        clues += f.clues
        keys += zip(f.stamps, f.keys) if by_time else f.keys
    order = sorted(range(len(keys)), key=keys.__getitem__)
    # Where each file's local event index landed, to carry its markers along.
    landed = [0] * len(order)
    for position, index in enumerate(order):
        landed[index] = position
    marks: list[tuple[int, dict[str, Any]]] = []
    base = 0
    for f in files:
        for local, mark in f.marks:
            if local < len(f):
                marks.append((landed[base + local], mark))
            else:  # after the file's last event
                marks.append(((landed[base + local - 1] + 1) if local else 0, mark))
        base += len(f)
    marks.sort(key=lambda pair: pair[0])
    return (
        [types[i] for i in order],
        [records[i] for i in order],
        [stamps[i] for i in order],
        [clues[i] for i in order],
        marks,
    )
