"""Time for the live source, always passed in: clocks, sleeps, timeouts, backoff, rates.

Nothing in the live source reads the wall or sleeps on its own: it asks its
`Timing`. Tests hand in a fake clock and a sleep that returns at once (and
records what it was asked), so backoff and countdowns are checked to the
millisecond without waiting.
"""

from __future__ import annotations

import asyncio
import random
import time
from collections import deque
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime

MB = 1024 * 1024

# Bounds against a server that never stops talking. Each is far above what a
# real cluster sends and far below what hurts: a 500 MB list that ignored
# `limit` took 4.2 GB of RSS (then orjson crashed under a memory limit), and a
# watch line that never ended was re-copied into 721 MB in 40 s.
#
# One watch event holds one object, and etcd refuses to store more than 1.5 MB
# in one request (its --max-request-bytes), so no real object is larger; twice
# that leaves room for the event's envelope and JSON escaping.
MAX_WATCH_LINE_BYTES = 3 * MB
# A page holds `list_page_size` (500) objects. The field that can make an
# object large is metadata.annotations, which the apiserver caps at 256 KB per
# object: 500 x 256 KB = 125 MB. Real pods are 5-20 KB, so a 3,000-pod cluster
# lists in 6 pages of 2.5-10 MB; even a server that ignores `limit` and sends
# all 3,000 pods at once (about 60 MB) still fits.
MAX_LIST_PAGE_BYTES = 128 * MB
# 1,000 pages of 500 are 500,000 objects: more events than an apiserver keeps
# (they expire after an hour), and 160 times the pods of a 3,000-pod cluster.
MAX_LIST_PAGES = 1000
# The apiserver ends a request after 60 s (--request-timeout), so each real
# page comes within that; a 3,000-pod list of 6 pages takes a few seconds. A
# list still unfinished after 5 minutes (one byte every 30 s, pages that never
# end) will not finish.
LIST_DEADLINE = 300.0


def _utc_now() -> datetime:
    return datetime.now(UTC)


@dataclass(frozen=True)
class Timing:
    """Clocks, sleeps and the knobs of the watch contract (seconds)."""

    clock: Callable[[], float] = time.monotonic  # for durations and countdowns
    wall: Callable[[], datetime] = _utc_now  # for "stale since" and event times
    sleep: Callable[[float], Awaitable[None]] = asyncio.sleep
    random: Callable[[], float] = random.random

    connect_timeout: float = 10.0
    # A list may take a while before its first byte (10k pods from etcd).
    list_timeout: float = 60.0
    list_page_size: int = 500
    list_deadline: float = LIST_DEADLINE  # every page of one list, from the first request to the last byte
    list_max_pages: int = MAX_LIST_PAGES
    list_max_page_bytes: int = MAX_LIST_PAGE_BYTES
    watch_max_line_bytes: int = MAX_WATCH_LINE_BYTES
    # Server-side watch timeout, spread over [watch_timeout, 1.25 x) so informers
    # do not reconnect in step. Kubernetes before 1.27 sends bookmarks only near a
    # watch's end, so a quiet watch is silent until then.
    watch_timeout: float = 60.0
    # No byte for this long: the connection is dead. Longer than the server's
    # watch timeout and than the 1-minute bookmark period of newer servers.
    inactivity_timeout: float = 90.0
    # A watch that closes this fast without any event counts as a failure (client-go's "very short watch").
    short_watch: float = 1.0
    # A silent watch cannot tell a quiet cluster from a server that stopped answering (a stopped
    # apiserver, a network dropping packets) before the inactivity timeout. A GET of /version this
    # often, unanswered within probe_timeout, tells in seconds. None: no probe.
    probe_interval: float | None = 5.0
    probe_timeout: float = 5.0

    backoff_initial: float = 0.8
    backoff_cap: float = 30.0
    backoff_factor: float = 2.0
    backoff_reset_after: float = 120.0  # healthy this long: the next failure starts small again
    retry_after_cap: float = 300.0  # never trust a server's Retry-After beyond this
    forbidden_retry: float = 60.0  # RBAC may be granted later: look again this often

    rate_window: float = 10.0  # the event rate is measured over this many seconds

    def server_watch_timeout(self) -> int:
        return max(1, int(self.watch_timeout * (1.0 + 0.25 * self.random())))


class Backoff:
    """Exponential backoff with jitter up to a cap, reset after a healthy period.

    The base delay doubles from `initial` up to `cap`; each delay is drawn from
    [base/2, base] so informers that failed together do not retry together.
    """

    def __init__(self, timing: Timing) -> None:
        self.timing = timing
        self.failures = 0
        self._healthy_since: float | None = None

    def healthy(self) -> None:
        """The connection works (a list finished or a watch opened)."""
        if self._healthy_since is None:
            self._healthy_since = self.timing.clock()

    def delay(self) -> float:
        """Record a failure; how long to wait before the next attempt."""
        timing = self.timing
        if self._healthy_since is not None and timing.clock() - self._healthy_since >= timing.backoff_reset_after:
            self.failures = 0
        self._healthy_since = None
        base = min(timing.backoff_cap, timing.backoff_initial * timing.backoff_factor**self.failures)
        self.failures += 1
        return base * (0.5 + 0.5 * timing.random())


@dataclass
class EventRate:
    """Watch events per second over a sliding window, in one-second buckets."""

    clock: Callable[[], float]
    window: float = 10.0
    _buckets: deque[list[float]] = field(default_factory=deque)  # [second, count]
    _started: float | None = None

    def add(self, count: int = 1) -> None:
        now = self.clock()
        if self._started is None:
            self._started = now
        second = float(int(now))
        if self._buckets and self._buckets[-1][0] == second:
            self._buckets[-1][1] += count
        else:
            self._buckets.append([second, float(count)])
        self._expire(now)

    def per_second(self) -> float:
        now = self.clock()
        self._expire(now)
        if self._started is None:
            return 0.0
        span = min(self.window, max(1.0, now - self._started))
        return sum(count for _, count in self._buckets) / span

    def _expire(self, now: float) -> None:
        while self._buckets and self._buckets[0][0] <= now - self.window:
            self._buckets.popleft()
