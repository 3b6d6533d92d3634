"""Wall times for replayed events: parsed from `ts`, or derived from the objects.

Recordings and merged.jsonl stamp each event with its receive time. kubectl
captures carry none, so an event's wall time is estimated as the newest
timestamp any object has shown so far: creation, deletion request (the
deletionTimestamp minus its grace period: the stamp itself is a deadline in the
future), condition transitions, container starts and finishes, Event times and
the managedFields write times (the best clue a MODIFIED carries). It never goes
backwards, and is None until a first timestamp is seen. On the real recordings
it trails the true receive time by under a second on average, never leads it.

Replay keeps no raw objects: each object's own newest time (`ObjectTimes`) is
read as it is parsed, and the running maximum is taken once the files are
merged into one stream (`derive_times`).
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timedelta
from typing import Any

from stsviz.model.times import parse_rfc3339


def time_problem(text: Any) -> str:
    """Why `parse_rfc3339(text)` gave None, for a warning: not a time, or a time out of range."""
    if type(text) is str:
        try:
            parsed = datetime.fromisoformat(text)
        except ValueError:
            return "is not an RFC3339 time"
        if parsed.tzinfo is None:
            return "is not an RFC3339 time (no zone)"
        return "is out of range (before year 1 or after 9999 in UTC)"
    return "is not an RFC3339 time"


def newest_stamp(obj: dict[str, Any]) -> str:
    """The greatest RFC3339 string among the fields that move when the object changes.

    Plain string comparison is good enough to pick a candidate: all are UTC 'Z'
    times, and the only misorder (`…:15Z` vs `…:15.5Z`) is within one second.
    """
    newest = ""
    meta = obj.get("metadata")
    if type(meta) is dict:
        value = meta.get("creationTimestamp")
        if type(value) is str and value > newest:
            newest = value
        for entry in meta.get("managedFields") or ():
            if type(entry) is dict:
                value = entry.get("time")
                if type(value) is str and value > newest:
                    newest = value
    if obj.get("kind") == "Event":
        for key in ("lastTimestamp", "eventTime"):
            value = obj.get(key)
            if type(value) is str and value > newest:
                newest = value
        return newest
    status = obj.get("status")
    if type(status) is not dict:
        return newest
    for condition in status.get("conditions") or ():
        if type(condition) is dict:
            value = condition.get("lastTransitionTime")
            if type(value) is str and value > newest:
                newest = value
    for key in ("initContainerStatuses", "containerStatuses"):
        for container in status.get(key) or ():
            state = container.get("state") if type(container) is dict else None
            if type(state) is not dict:
                continue
            for detail in state.values():
                if type(detail) is dict:
                    for field in ("startedAt", "finishedAt"):
                        value = detail.get(field)
                        if type(value) is str and value > newest:
                            newest = value
    return newest


def deletion_requested(obj: dict[str, Any]) -> datetime | None:
    """When a delete was asked for: deletionTimestamp is that moment plus the grace period."""
    meta = obj.get("metadata")
    if type(meta) is not dict:
        return None
    deleting = parse_rfc3339(meta.get("deletionTimestamp"))
    if deleting is None:
        return None
    grace = meta.get("deletionGracePeriodSeconds")
    if type(grace) is int and grace > 0:
        try:
            deleting -= timedelta(seconds=grace)
        except OverflowError:  # a grace period of more days than datetime holds: the deadline alone
            raise GraceOutOfRange(grace) from None
    return deleting


class GraceOutOfRange(ValueError):
    """deletionGracePeriodSeconds is too large to subtract from its deletionTimestamp."""


class ObjectTimes:
    """The newest time an object itself shows: a clue to when its event happened.

    Callable per object; a stamp string equal to the previous object's is
    parsed once (a watch of one object repeats its newest time often).
    """

    __slots__ = ("_last", "_parsed", "problem")

    def __init__(self) -> None:
        self._last = ""
        self._parsed: datetime | None = None
        # Why the last object's times could not all be used, for a warning; the caller resets it.
        self.problem: str | None = None

    def __call__(self, obj: dict[str, Any]) -> datetime | None:
        candidate = newest_stamp(obj)
        if candidate != self._last:
            self._last, self._parsed = candidate, parse_rfc3339(candidate)
        clue = self._parsed  # a garbage string gives None: it must not shadow later real times
        meta = obj.get("metadata")
        if type(meta) is dict and "deletionTimestamp" in meta:
            try:
                requested = deletion_requested(obj)
            except GraceOutOfRange as error:
                self.problem = f"deletionGracePeriodSeconds {error.args[0]} is out of range; not used as a time"
                requested = None
            if requested is not None and (clue is None or requested > clue):
                clue = requested
        return clue


def derive_times(clues: Iterable[datetime | None], stamps: Iterable[datetime | None]) -> list[datetime | None]:
    """Best-effort, never decreasing wall time per event (see the module docstring).

    `clues` are what `ObjectTimes` read from each event's object, `stamps` the
    known receive times (None where unknown); both count.
    """
    times: list[datetime | None] = []
    append = times.append
    current: datetime | None = None
    for clue, stamp in zip(clues, stamps):
        if clue is not None and (current is None or clue > current):
            current = clue
        if stamp is not None and (current is None or stamp > current):
            current = stamp
        append(current)
    return times
