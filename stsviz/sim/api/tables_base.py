"""What every Table printer shares: the column shape and kubectl's age text."""

from __future__ import annotations

from datetime import datetime

from ..clock import parse_time

Column = tuple[str, str, int]  # name, type, priority


def age(timestamp: str | None, now: datetime) -> str:
    if not timestamp:
        return "<unknown>"
    seconds = max(0, int((now - parse_time(timestamp)).total_seconds()))
    if seconds < 120:
        return f"{seconds}s"
    minutes = seconds // 60
    if minutes < 10:
        return f"{minutes}m{seconds % 60}s" if seconds % 60 else f"{minutes}m"
    if minutes < 180:
        return f"{minutes}m"
    hours = minutes // 60
    if hours < 8:
        return f"{hours}h{minutes % 60}m" if minutes % 60 else f"{hours}h"
    if hours < 48:
        return f"{hours}h"
    return f"{hours // 24}d"
