"""The one event shape every source yields: a watch event with an optional time."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

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
