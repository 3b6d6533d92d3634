"""RFC3339 times, read and written one way everywhere (objects, recordings, frames, `--at`).

Kubernetes writes UTC with a `Z`; stsviz writes milliseconds and `Z`. A time
without a zone is not RFC3339 and cannot be placed, so it reads as None, like
any other unparseable value; so does a time with no UTC equivalent
(`0001-01-01T00:00:00+01:00`).
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any


def parse_rfc3339(text: Any) -> datetime | None:
    """An aware UTC datetime, or None for anything that is not an RFC3339 string."""
    if type(text) is not str or not text:
        return None
    try:
        parsed = datetime.fromisoformat(text)  # 3.11 accepts the trailing Z
    except ValueError:
        return None
    if text[-1] == "Z":  # what Kubernetes and stsviz write: already UTC, the fast path
        return parsed
    if parsed.tzinfo is None:
        return None
    if parsed.utcoffset():
        try:
            parsed = parsed.astimezone(UTC)
        except OverflowError:
            return None
    return parsed


def rfc3339(time: datetime | None) -> str | None:
    """`time` as stsviz writes it: UTC, milliseconds, `Z`; None stays None."""
    if time is None:
        return None
    return time.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")
