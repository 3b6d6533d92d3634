"""Loading recording files into one `Recording`, which can be played while it loads.

Formats (detected per file, never by name): the stsviz v1 event log, the
realk8s merged.jsonl, and `kubectl get -w --output-watch-events -o json`
captures, compact or pretty-printed, any of them gzipped. Several files are
merged into one stream (merging.py).

Events are kept as slim `Change`s, converted as each line is parsed (see
parsing.py): a million-event recording fits in about a GB, not tens. A single
file with receive times (an stsviz recording, a merged.jsonl) is handed over a
slice at a time as it is read, so the replay screen shows its first frame and
plays while the rest of a multi-GB file loads on another thread.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Sequence
from datetime import datetime
from pathlib import Path

import orjson

from stsviz.model.events import Change
from stsviz.sources.heap import full_collections_paused, gc_paused
from stsviz.sources.parts import existing_parts, part_of, part_path
from stsviz.sources.replay.errors import Problems, ReplayInputError
from stsviz.sources.replay.merging import PACE, ReceiveOffsets, assemble, join_parts
from stsviz.sources.replay.parsing import FileEvents, parse_events
from stsviz.sources.replay.reading import open_recording, recording_lines
from stsviz.sources.replay.recording import Recording

__all__ = ["FREEZE_EVENTS", "PACE", "Progress", "RecordingLoad", "load_recording", "recording_parts"]

log = logging.getLogger(__name__)

# The longest a load started with `hold_first_frame` waits for the screen to draw its first events.
FIRST_FRAME_HOLD = 3.0  # seconds
# From this many events on, the loaded recording is frozen out of the cycle collector.
FREEZE_EVENTS = 50_000


# How far a load has got: (bytes of the files read so far, their total size on disk).
Progress = Callable[[int, int], None]


def load_recording(paths: Sequence[str | Path], progress: Progress | None = None) -> Recording:
    """Read, parse and merge the files, all of them before returning. Raises ReplayInputError (one line).

    The files are read a slice at a time and each line is converted as it is
    read, so a load holds one line of JSON and the records made so far, never
    the file (but for a pretty-printed kubectl capture, which is parsed whole).
    `progress`, if given, is called after each slice (1 MB) read off disk, and
    once more with (total, total) when the files are read.
    """
    return RecordingLoad(paths, progress).run()


class RecordingLoad:
    """One load, run on any thread; `recording` can be played from another while it grows.

    `recording` exists from the start, empty and not `complete`. A single file
    with receive times is handed over as it is read, a slice (1 MB of the file)
    at a time; files to merge, and captures without receive times, are put in
    order once all are read and handed over at the end. `done` and `total` are
    bytes of the files read and to read; `error` is why the load failed (one
    line), set before `run` raises. `start` runs it on a thread of its own,
    which `cancel` stops at its next slice.

    `start(hold_first_frame=True)` pauses the load once its first events are
    handed over, until `resume()` (or FIRST_FRAME_HOLD): the screen starting
    up and the load share one interpreter, and the first frame comes sooner
    if the screen has it to itself.
    """

    def __init__(self, paths: Sequence[str | Path] | str | Path, progress: Progress | None = None) -> None:
        if isinstance(paths, (str, Path)):
            paths = [paths]
        if not paths:
            raise ReplayInputError("no recording file given")
        self._notes: list[str] = []  # said about the files before any is read
        self.groups = recording_parts(paths, self._notes)
        # One file, or the parts of one recording (each opens with its header), play in file order:
        # read with the typed decoder and handed over as they are read. Anything else is merged.
        self.merging = len(self.groups) > 1 or not all(
            len(group) == 1 or all(map(_starts_with_header, group)) for group in self.groups
        )
        self.total = sum(_size(path) for group in self.groups for path in group)
        self.done = 0
        self.error: str | None = None
        self.recording = Recording(events=[], offsets=[], timed=False, complete=False)
        self._progress = progress
        self._offsets = ReceiveOffsets()
        self._reading: FileEvents | None = None  # the file being handed over as it is read
        self._streaming = not self.merging  # False once a part ended with nothing it could hand over
        self._part_base = 0  # events handed over before the part being read
        self._last_stamp: datetime | None = None  # the receive time of the last event handed over
        self._cancelled = False
        self._background = False  # run by `start`: beside a screen, which keeps collecting its garbage
        self._resumed = threading.Event()
        self._resumed.set()

    @property
    def finished(self) -> bool:
        """The load ended: the recording is complete, or `error` says why not."""
        return self.recording.complete or self.error is not None

    def warnings(self) -> list[str]:
        """What the load skipped or doubted, one line each (complete once it has finished)."""
        return self.recording.warnings

    def start(self, *, hold_first_frame: bool = False) -> threading.Thread:
        """Run the load on a daemon thread; its outcome is read from `finished` and `error`."""
        if hold_first_frame:
            self._resumed.clear()
        self._background = True
        thread = threading.Thread(target=self._run_quietly, name="stsviz-load", daemon=True)
        thread.start()
        return thread

    def cancel(self) -> None:
        """Stop a load running on another thread (the screen is closing): it ends at its next slice."""
        self._cancelled = True
        self._resumed.set()

    def resume(self) -> None:
        """Go on after the first events (the screen has drawn them); nothing if the load was not held."""
        self._resumed.set()

    def _run_quietly(self) -> None:
        try:
            self.run()
        except (ReplayInputError, _Cancelled):
            pass  # `error` says why, for whoever waits on it
        except Exception:
            log.exception("loading the recording failed")

    def run(self) -> Recording:
        """Read everything into `recording` and return it. Raises ReplayInputError (one line)."""
        try:
            return self._run()
        except ReplayInputError as error:
            self.error = str(error)
            raise
        except _Cancelled:
            self.error = "loading cancelled"
            raise
        except BaseException as error:  # a bug: a screen waiting on the load must not wait forever
            self.error = f"loading stopped: {type(error).__name__}: {error}"
            raise

    def _run(self) -> Recording:
        warnings: list[str] = list(self._notes)
        files: list[FileEvents] = []
        before = 0  # bytes of the files already read
        with full_collections_paused() if self._background else gc_paused() as pause:
            for group in self.groups:
                parsed: list[FileEvents] = []
                for path in group:
                    name = str(path)
                    problems = Problems(name, warnings)
                    self._reading = FileEvents(name) if self._streaming else None
                    self._part_base = len(self.recording.events)
                    with open_recording(Path(path), name) as stream:
                        lines = recording_lines(stream, name, problems, self._reporter(before))
                        part = parse_events(name, lines, problems, merging=self.merging, result=self._reading)
                    self._reading = None
                    if self._streaming:
                        if self._offsets.start is not None:
                            self._hand_over(part, final=True)  # the rest of it, and its marks
                        elif len(part):
                            self._streaming = False  # no receive times: the parts are put in order at the end
                        else:
                            self._take_marks(part)  # a part with a header and marks but no events yet
                    parsed.append(part)
                    before += _size(path)
                if len(parsed) > 1 and all(part.header is not None for part in parsed):
                    files.append(join_parts(parsed))  # one recording in parts: played in order, as one file
                else:
                    files += parsed
            self._read(self.total)
            recording = self.recording
            if not (self._streaming and self._offsets.start is not None):  # else all is handed over already
                whole = assemble(files, warnings)
                recording.events.extend(whole.events)
                recording.offsets.extend(whole.offsets)
                recording.header, recording.marks, recording.timed = whole.header, whole.marks, whole.timed
                recording.loaded = len(recording.events)
            recording.warnings = warnings
            recording.files = tuple(f.name for f in files)
            pause.freeze = len(recording) >= FREEZE_EVENTS
        recording.end_offset = recording.watched_until()
        recording.complete = True
        return recording

    def _take_marks(self, part: FileEvents) -> None:
        recording = self.recording
        recording.marks += [(self._part_base + index, mark) for index, mark in part.marks]
        part.marks.clear()
        if recording.header is None:
            recording.header = part.header

    def _reporter(self, before: int) -> Callable[[int], None]:
        """One file's progress (bytes of it read) as the load's, and a hand-over of what it gave so far."""

        def report(read: int) -> None:
            if self._cancelled:
                raise _Cancelled
            if self._reading is not None:
                self._hand_over(self._reading)
                if self.recording.loaded and not self._resumed.is_set():
                    self._resumed.wait(FIRST_FRAME_HOLD)
                    self._resumed.set()
            self._read(before + read)

        return report

    def _read(self, done: int) -> None:
        self.done = min(done, self.total)
        if self._progress is not None:
            self._progress(self.done, self.total)

    def _hand_over(self, pending: FileEvents, *, final: bool = False) -> None:
        """Move the events parsed so far that have a receive time into `recording`.

        Until the file shows a first receive time nothing moves: it may be a
        capture without any, whose times are derived once it is all read.
        """
        stamps = pending.stamps
        # Events before the first usable time take it, as parsing.finish does; those at the start
        # of a later part take the time of the event before them (the last of the part before).
        fill = self._last_stamp or next((stamp for stamp in stamps if stamp is not None), None)
        if fill is None:
            return
        for index, stamp in enumerate(stamps):
            if stamp is not None:
                break
            stamps[index] = fill
        if stamps:
            self._last_stamp = stamps[-1]
        recording = self.recording
        self._offsets.extend(stamps, recording.offsets)  # type: ignore[arg-type]
        recording.events.extend(map(Change, pending.types, pending.records, stamps))
        pending.flushed += len(stamps)
        for held in (pending.types, pending.records, stamps, pending.clues, pending.keys):
            held.clear()
        handed = pending.flushed
        marks = pending.marks
        while marks and (final or marks[0][0] <= handed):
            index, mark = marks.pop(0)
            recording.marks.append((self._part_base + index, mark))
        if recording.header is None:
            recording.header = pending.header  # the first part's header describes the recording
        recording.timed = True
        recording.loaded = len(recording.events)  # last: readers on other threads see complete events only


def _starts_with_header(path: str | Path) -> bool:
    """Whether the file's first line is an stsviz header: a part of a rotated recording, played in order."""
    name = str(path)
    try:
        with open_recording(Path(path), name) as stream:
            for line in recording_lines(stream, name, Problems(name, [])):
                if line.strip():
                    value = orjson.loads(line)
                    return type(value) is dict and value.get("kind") == "header" and "stsviz" in value
    except (ReplayInputError, orjson.JSONDecodeError):
        pass
    return False


def _size(path: str | Path) -> int:
    """A file's size on disk, 0 if it cannot be seen (opening it will say why)."""
    try:
        return Path(path).stat().st_size
    except OSError:
        return 0


def recording_parts(paths: Sequence[str | Path], notes: list[str] | None = None) -> list[list[str | Path]]:
    """The files to read, grouped: a rotated recording's parts, oldest first, then its `FILE`.

    `FILE` brings its parts on disk (`FILE.1.gz`, `FILE.2.gz`, ... see
    sources/parts.py) that were not named; parts named on the command line
    (`FILE.3.gz FILE.4.gz FILE`, or a shell glob in any order) are put in
    order. Every other file stands alone. Groups keep the order in which
    their first file was named. A `FILE` that is missing or empty while it
    has parts (a recorder killed as it started a new part) is left out, and
    a line in `notes` says so: its parts play without it.
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
            found_parts = existing_parts(candidate)
            for part_number, part in found_parts:
                if part not in seen:
                    seen.add(part)
                    groups[base].setdefault(part_number, part)
            absent = _missing_or_empty(candidate) if found_parts else None
            if absent is not None:
                del groups[base][last]
                count = len(groups[base])
                if notes is not None:
                    notes.append(
                        f"{path}: the current part is {absent}; "
                        f"playing the {count} rotated part{'s' if count != 1 else ''} before it"
                    )
            numbers = sorted(number for number in groups[base] if number != last)
            missing = [n for n in range(numbers[0], numbers[-1] + 1) if n not in groups[base]] if numbers else []
            if missing and notes is not None:
                # Pruning removes the oldest parts only: a hole among the kept ones is a part lost since.
                names = ", ".join(part_path(base, number, gz=True).name for number in missing)
                notes.append(
                    f"{path}: rotated part{'s' if len(missing) > 1 else ''} {names} missing; what happened then is "
                    "not replayed (the part after each hole opens with a snapshot: from there it is whole again)"
                )
    return [[group[number] for number in sorted(group)] for group in (groups[base] for base in order)]


def _missing_or_empty(path: Path) -> str | None:
    """Why a recording's current part cannot be played ("missing", "empty"); None if it can be read."""
    try:
        size = path.stat().st_size
    except FileNotFoundError:
        return "missing"
    except OSError:
        return None  # opening it says why
    if size == 0:
        return "empty"
    if size <= _BLANK_LIMIT:
        try:
            if not path.read_bytes().strip():
                return "empty"
        except OSError:
            return None
    return None


# A current part this small is looked at whole for being only blank lines; a bigger one is never blank.
_BLANK_LIMIT = 4096


class _Cancelled(Exception):
    """Raised inside a load's read when `cancel` was called: unwinds it, closing the file."""
