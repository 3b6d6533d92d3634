"""The demo cluster's one time source.

Cluster time runs `speed` times faster than the event loop's clock, so a test
can live through a minute of rollout in a second. Every controller delay is
given in cluster seconds and goes through here; HTTP-facing times (watch
timeouts, Retry-After, fault windows) stay in real seconds because the client
on the other side of the socket measures them with a real clock.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from typing import Any


class SimClock:
    """Cluster wall time = start + elapsed real time × speed."""

    def __init__(self, speed: float = 1.0, start: datetime | None = None) -> None:
        if speed <= 0:
            raise ValueError(f"speed must be positive, got {speed}")
        self.speed = speed
        self._epoch = start or datetime.now(UTC)
        self._t0 = time.monotonic()
        self._handles: set[asyncio.TimerHandle] = set()

    def elapsed(self) -> float:
        """Cluster seconds since the clock started."""
        return (time.monotonic() - self._t0) * self.speed

    def now(self) -> datetime:
        return self._epoch + timedelta(seconds=self.elapsed())

    def timestamp(self) -> str:
        """RFC 3339 to the second, as metav1.Time serialises."""
        return self.now().strftime("%Y-%m-%dT%H:%M:%SZ")

    def micro_timestamp(self) -> str:
        """RFC 3339 with microseconds, as metav1.MicroTime serialises (eventTime)."""
        return self.now().strftime("%Y-%m-%dT%H:%M:%S.%fZ")

    def http_date(self) -> str:
        """The HTTP Date header for cluster now (RFC 9110 IMF-fixdate)."""
        return format_datetime(self.now(), usegmt=True)

    def nanos(self) -> int:
        """Unix nanoseconds of cluster time; event names are built from it."""
        return int(self.now().timestamp() * 1e9)

    def real_seconds(self, cluster_seconds: float) -> float:
        return cluster_seconds / self.speed

    def call_later(self, cluster_seconds: float, callback: Callable[..., Any], *args: Any) -> asyncio.TimerHandle:
        """Run `callback` after `cluster_seconds` of cluster time."""
        loop = asyncio.get_running_loop()
        handle: asyncio.TimerHandle

        def fire() -> None:
            self._handles.discard(handle)
            callback(*args)

        handle = loop.call_later(max(0.0, cluster_seconds) / self.speed, fire)
        self._handles.add(handle)
        return handle

    async def sleep(self, cluster_seconds: float) -> None:
        await asyncio.sleep(max(0.0, cluster_seconds) / self.speed)

    def cancel_all(self) -> None:
        """Drop every pending timer (cluster shutdown)."""
        for handle in self._handles:
            handle.cancel()
        self._handles.clear()


def parse_time(value: str) -> datetime:
    """Parse an RFC 3339 timestamp as written by the API server."""
    return datetime.fromisoformat(value.replace("Z", "+00:00"))
