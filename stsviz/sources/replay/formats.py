"""`load_recording`: read one or more recording files into one `Recording`.

Formats (detected per file, never by name): the stsviz v1 event log, the
realk8s merged.jsonl, and `kubectl get -w --output-watch-events -o json`
captures, compact or pretty-printed, any of them gzipped. kubectl watches one
type per command, so a user brings a file per type; several files are merged
into one stream by `metadata.resourceVersion` (etcd's commit order), or by
receive time when every file carries one.

Events are kept as slim `Change`s, converted as each line is parsed (see
parsing.py): a million-event recording fits in a few GB, not tens.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime
from pathlib import Path
from typing import Any

from stsviz.model.events import Change, Record
from stsviz.sources.heap import gc_paused
from stsviz.sources.parts import existing_parts, part_of
from stsviz.sources.replay.errors import Problems, ReplayInputError
from stsviz.sources.replay.parsing import FileEvents, parse_events
from stsviz.sources.replay.reading import open_recording, recording_lines
from stsviz.sources.replay.recording import Recording
from stsviz.sources.replay.times import derive_times

# Seconds between events when the files carry no times: readable, and a
# 100-event capture still plays in under half a minute.
PACE = 0.25
# From this many events on, the loaded recording is frozen out of the cycle collector.
FREEZE_EVENTS = 50_000


# How far a load has got: (bytes of the files read so far, their total size on disk).
Progress = Callable[[int, int], None]


def load_recording(paths: Sequence[str | Path], progress: Progress | None = None) -> Recording:
    """Read, parse and merge the files. Raises ReplayInputError (one line) for unusable input.

    The files are read a slice at a time and each line is converted as it is
    read, so a load holds one line of JSON and the records made so far, never
    the file (but for a pretty-printed kubectl capture, which is parsed whole).
    `progress`, if given, is called after each slice (1 MB) read off disk, and
    once more with (total, total) when the files are read.
    """
    if isinstance(paths, (str, Path)):
        paths = [paths]
    if not paths:
        raise ReplayInputError("no recording file given")
    warnings: list[str] = []
    files: list[FileEvents] = []
    groups = recording_parts(paths)
    merging = len(groups) > 1 or any(len(group) > 1 for group in groups)
    total = sum(_size(path) for group in groups for path in group)
    before = 0  # bytes of the files already read
    with gc_paused() as pause:
        for group in groups:
            parsed: list[FileEvents] = []
            for path in group:
                name = str(path)
                problems = Problems(name, warnings)
                with open_recording(Path(path), name) as stream:
                    report = None if progress is None else _reporter(progress, before, total)
                    lines = recording_lines(stream, name, problems, report)
                    parsed.append(parse_events(name, lines, problems, merging=merging))
                before += _size(path)
            if len(parsed) > 1 and all(part.header is not None for part in parsed):
                files.append(_join(parsed))  # one recording in parts: played in order, as one file
            else:
                files += parsed
        if progress is not None:
            progress(total, total)
        recording = _assemble(files, warnings)
        pause.freeze = len(recording.events) >= FREEZE_EVENTS
    return recording


def _reporter(progress: Progress, before: int, total: int) -> Callable[[int], None]:
    """One file's progress (bytes of it read) as the load's: the files before it, plus this one's."""

    def report(read: int) -> None:
        progress(min(before + read, total), total)

    return report


def _size(path: str | Path) -> int:
    """A file's size on disk, 0 if it cannot be seen (opening it will say why)."""
    try:
        return Path(path).stat().st_size
    except OSError:
        return 0


def recording_parts(paths: Sequence[str | Path]) -> list[list[str | Path]]:
    """The files to read, grouped: a rotated recording's parts, oldest first, then its `FILE`.

    `FILE` brings its parts on disk (`FILE.1.gz`, `FILE.2.gz`, ... see
    sources/parts.py) that were not named; parts named on the command line
    (`FILE.3.gz FILE.4.gz FILE`, or a shell glob in any order) are put in
    order. Every other file stands alone. Groups keep the order in which
    their first file was named.
    """
    groups: dict[Path, dict[int, str | Path]] = {}  # base -> part number -> path (the base itself: a huge number)
    order: list[Path] = []
    seen: set[Path] = set()
    last = 1 << 40
    for path in paths:
        candidate = Path(path)
        if candidate in seen:
            continue
        seen.add(candidate)
        found = part_of(candidate)
        base, number = found if found is not None else (candidate, last)
        if base not in groups:
            groups[base] = {}
            order.append(base)
        groups[base][number] = path
        if number == last:
            for part_number, part in existing_parts(candidate):
                if part not in seen:
                    seen.add(part)
                    groups[base].setdefault(part_number, part)
    return [[group[number] for number in sorted(group)] for group in (groups[base] for base in order)]


def _join(parts: list[FileEvents]) -> FileEvents:
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
        joined.timed = joined.timed or part.timed
    return joined


def _assemble(files: list[FileEvents], warnings: list[str]) -> Recording:
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
        offsets = _offsets_from_times(stamps)  # type: ignore[arg-type]
    else:
        times = derive_times(clues, stamps)
        offsets = [index * PACE for index in range(len(types))]
    events = list(map(Change, types, records, times))
    return Recording(
        events=events, offsets=offsets, timed=timed, warnings=warnings, header=header, marks=marks, files=names
    )


def _offsets_from_times(times: list[datetime]) -> list[float]:
    """Seconds since the first event, never decreasing (a clock step back must not rewind playback)."""
    if not times:
        return []
    start = times[0]
    offsets: list[float] = []
    append = offsets.append
    previous: datetime | None = None
    offset = 0.0
    for time in times:
        if time is not previous:  # events parsed from the same ts string share one datetime
            previous = time
            seconds = (time - start).total_seconds()
            if seconds > offset:
                offset = seconds
        append(offset)
    return offsets


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
