"""`Recording`: a loaded recording, ready to play: events in playback order and their offsets."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from stsviz.model.events import Change
from stsviz.model.times import parse_rfc3339


@dataclass(slots=True)
class Recording:
    """Everything replay needs, independent of which files and formats it came from.

    `offsets[i]` is when event i plays, in seconds from the first event; it never
    decreases. Events are slim `Change`s (the raw objects are not kept), only of
    kinds stsviz shows. `timed` says the files carried receive times (else events
    play at an even pace and `Change.time` is derived from the objects, see times.py).
    `marks` are the recorder's markers (relist, disconnect, gap, ...) as
    (number of events before the marker, the marker line).

    A recording can be read while it loads (formats.RecordingLoad, on another
    thread): `events` and `offsets` only grow, `loaded` says how many of them
    are complete and may be read (the loader raises it after appending), and
    `complete` turns True once the files are read to the end.
    """

    events: list[Change]
    offsets: list[float]
    timed: bool
    warnings: list[str] = field(default_factory=list)
    header: dict[str, Any] | None = None
    marks: list[tuple[int, dict[str, Any]]] = field(default_factory=list)
    files: tuple[str, ...] = ()
    complete: bool = True
    loaded: int = -1  # -1: all of `events`
    # Where the timeline ends, if later than the last event: the recorder's last mark after it
    # (`stop`, a disconnect) says it went on watching; nothing happened meanwhile. Set once complete.
    end_offset: float = 0.0

    def __post_init__(self) -> None:
        if self.loaded < 0:
            self.loaded = len(self.events)

    def __len__(self) -> int:
        return self.loaded

    @property
    def duration(self) -> float:
        loaded = self.loaded
        last = self.offsets[loaded - 1] if loaded else 0.0
        return max(last, self.end_offset) if self.complete else last

    def watched_until(self) -> float:
        """Seconds from the first event to the latest mark: where the timeline ends if that is after the last event.

        0.0 for a recording without receive times or marks. A recorder that was
        killed writes no `stop`: its recording ends at its last line.
        """
        if not self.timed or not self.loaded:
            return 0.0
        # Every file's marks count: merged files each end when their own recorder stopped.
        times = [self.offset_of(mark) for _, mark in self.marks]
        return max((at for at in times if at is not None), default=0.0)

    def offset_of(self, mark: dict[str, Any]) -> float | None:
        """A mark's time as seconds from the first event, for a recording with receive times."""
        ts = mark.get("ts")
        when = parse_rfc3339(ts) if isinstance(ts, str) else None
        start = self.start if self.timed else None
        return None if when is None or start is None else (when - start).total_seconds()

    @property
    def start(self) -> datetime | None:
        """The wall time of the first dated event."""
        return next((event.time for event in self.events if event.time is not None), None)

    @property
    def end(self) -> datetime | None:
        """The wall time of the last dated event."""
        events = self.events
        return next((events[i].time for i in range(self.loaded - 1, -1, -1) if events[i].time is not None), None)
