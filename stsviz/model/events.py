"""The one event shape every source yields: a watch event with an optional time."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from stsviz.model.records import Claim, ControllerRevision, Event, PersistentVolume, Pod, StatefulSet

Record = StatefulSet | Pod | Claim | Event | ControllerRevision | PersistentVolume
RECORD_TYPES: dict[str, Any] = {
    "StatefulSet": StatefulSet,
    "Pod": Pod,
    "PersistentVolumeClaim": Claim,
    "Event": Event,
    "ControllerRevision": ControllerRevision,
    "PersistentVolume": PersistentVolume,
}

# Watch event types the fold understands; BOOKMARK and ERROR are the source's business.
EVENT_TYPES = frozenset({"ADDED", "MODIFIED", "DELETED"})


@dataclass(slots=True, frozen=True)
class WatchEvent:
    """One ADDED/MODIFIED/DELETED of one object, as the API server sent it.

    `time` is when the event was seen (recordings carry it; kubectl captures
    do not, so it may be None). `object` is the raw JSON dict.
    """

    type: str
    object: dict[str, Any]
    time: datetime | None = None

    @property
    def kind(self) -> str:
        return self.object.get("kind") or ""

    def to_change(self) -> Change | None:
        """The event converted at the boundary, or None for a kind stsviz does not show.

        Raises one of records.MALFORMED for an object of a known kind with a broken shape.
        """
        record_type = RECORD_TYPES.get(self.kind) if isinstance(self.object, dict) else None
        if record_type is None:
            return None
        return Change(self.type, record_type.from_dict(self.object), self.time)


@dataclass(slots=True)  # not frozen: its __init__ runs once per replayed event
class Change:
    """A watch event already converted to a slim record.

    What replay keeps in memory for every event (a few hundred bytes instead of
    the ~25 KB of a parsed pod), and what the fold applies.
    """

    type: str
    record: Record
    time: datetime | None = None
