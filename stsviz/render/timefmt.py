"""Times as the screens show them: kubectl-style ages and replay offsets.

Ages are measured against the frame's time, never the wall clock, so a paused
replay (or a snapshot test) shows the same ages every time.
"""

from __future__ import annotations

from datetime import datetime

from stsviz.model.times import parse_rfc3339


def human_duration(seconds: float) -> str:
    """kubectl's HumanDuration: 45s, 3m12s, 47m, 5h20m, 30h, 12d."""
    seconds = int(max(0.0, seconds))
    if seconds < 120:
        return f"{seconds}s"
    minutes = seconds // 60
    if minutes < 10:
        return f"{minutes}m{seconds % 60}s" if seconds % 60 else f"{minutes}m"
    hours = minutes // 60
    if hours < 3:
        return f"{minutes}m"
    if hours < 8:
        return f"{hours}h{minutes % 60}m" if minutes % 60 else f"{hours}h"
    if hours < 48:
        return f"{hours}h"
    return f"{hours // 24}d"


def age(since: str | None, now: datetime | None) -> str:
    """How long ago `since` was at frame time `now`; "?" when either is unknown."""
    then = parse_rfc3339(since)
    if then is None or now is None:
        return "?"
    if now.tzinfo is None:  # frame times are UTC; a naive one must still compare
        now = now.replace(tzinfo=then.tzinfo)
    return human_duration((now - then).total_seconds())


def offset(seconds: float | None) -> str:
    """A replay offset: m:ss.s (h:mm:ss.s past an hour), "-" when the recording has no times."""
    if seconds is None:
        return "-"
    # Round once to tenths so 59.96 s reads 1:00.0, not 0:60.0.
    minutes, tenths = divmod(round(max(0.0, seconds) * 10), 600)
    hours, minutes = divmod(minutes, 60)
    rest = f"{tenths // 10:02d}.{tenths % 10}"
    return f"{hours}:{minutes:02d}:{rest}" if hours else f"{minutes}:{rest}"
