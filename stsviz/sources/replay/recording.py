"""`Recording`: a loaded recording, ready to play: events in playback order and their offsets."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from stsviz.model.events import Change


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

    def __post_init__(self) -> None:
        if self.loaded < 0:
            self.loaded = len(self.events)

    def __len__(self) -> int:
        return self.loaded

    @property
    def duration(self) -> float:
        loaded = self.loaded
        return self.offsets[loaded - 1] if loaded else 0.0

    @property
    def start(self) -> datetime | None:
        """The wall time of the first dated event."""
        return next((event.time for event in self.events if event.time is not None), None)

    @property
    def end(self) -> datetime | None:
        """The wall time of the last dated event."""
        events = self.events
        return next((events[i].time for i in range(self.loaded - 1, -1, -1) if events[i].time is not None), None)
