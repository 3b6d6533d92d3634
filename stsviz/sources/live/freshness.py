"""How fresh the live picture is, per kind, as plain data the UI and scripts read.

A kind is `listing` (first list, or a relist after 410 Gone), `watching`
(current), `reconnecting` (its watch broke; retrying at `retry_at`),
`forbidden` (RBAC refuses it: only that kind is missing), or `expired`
(credentials were refused even after refreshing them), or `no answer` (its
watch is open, but the server stopped answering the source's probe: what the
watch shows may be old). Whenever a kind is not
watching, `stale_since` says until when its data was known to be current.
While a kind waits to reconnect, the header says why (the server's error, or
the bound a hostile server broke), and a list that worked but had to repair
objects says so until the next list.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime

from stsviz.sources.live.kinds import SHORT_NAMES

LISTING = "listing"
WATCHING = "watching"
RECONNECTING = "reconnecting"
FORBIDDEN = "forbidden"
EXPIRED = "expired"
UNANSWERED = "no answer"

PHASES = (LISTING, WATCHING, RECONNECTING, FORBIDDEN, EXPIRED, UNANSWERED)

# The reason in the header is cut here; the whole line is in the status and the log.
HEADER_REASON = 100


def _short(text: str, limit: int = HEADER_REASON) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


@dataclass(frozen=True, slots=True)
class KindStatus:
    resource: str  # "pods"
    phase: str
    listed: bool = False  # listed at least once: its objects are in the state
    stale_since: datetime | None = None  # None while current (watching) or never listed
    retry_at: float | None = None  # Timing.clock time of the next attempt, while waiting
    message: str | None = None  # the last problem, one scrubbed line
    unreachable: bool = False  # that problem was not reaching the server (no answer), not the server's answer
    warning: str | None = None  # the last list worked but not cleanly ("1 pod with invalid UTF-8: ...")
    relists: int = 0  # lists after the first (410 Gone, too large resource version)
    reconnects: int = 0  # watches opened after the first

    @property
    def current(self) -> bool:
        return self.phase == WATCHING

    @property
    def settled(self) -> bool:
        """Listed, or known not to be listable (one-shot output waits for this)."""
        return self.listed or self.phase in (FORBIDDEN, EXPIRED)

    def describe(self, now: float) -> str:
        """One phrase for the header: "pods reconnecting in 3s, stale since 12:03:04"."""
        name = SHORT_NAMES.get(self.resource, self.resource)
        if self.phase == WATCHING:
            return f"{name} watching"
        if self.phase == FORBIDDEN:
            text = f"{name} forbidden"
        elif self.phase == EXPIRED:
            text = f"{name} unauthorized"
        elif self.phase == UNANSWERED:
            text = f"{name} no answer"
        elif self.phase == LISTING:
            text = f"{name} relisting" if self.listed else f"{name} listing"
        elif self.retry_at is not None and self.retry_at > now:
            text = f"{name} reconnecting in {math.ceil(self.retry_at - now)}s"
        else:
            text = f"{name} reconnecting"
        if self.stale_since is not None:
            text += f", stale since {self.stale_since.astimezone().strftime('%H:%M:%S')}"
        if self.phase in (RECONNECTING, UNANSWERED) and self.message:
            text += f" ({_short(self.message)})"  # why: a 500, a 403 on the watch, not JSON, a bound
        return text


@dataclass(frozen=True, slots=True)
class SourceStatus:
    kinds: tuple[KindStatus, ...]
    rate: float  # watch events per second, recent window
    now: float  # the source's Timing.clock when this was taken
    connection: str | None = None  # a problem reaching the cluster at all (exec plugin, TLS), scrubbed
    connection_retry_at: float | None = None  # when connecting is tried again, while `connection` says why not
    withheld: str | None = None  # why no credentials were sent (plain http): said once when refused
    server: str = ""  # scheme://host:port, as the one-shot errors name it

    @property
    def current(self) -> bool:
        return all(kind.current or kind.phase == FORBIDDEN for kind in self.kinds) and bool(self.kinds)

    @property
    def settled(self) -> bool:
        return all(kind.settled for kind in self.kinds) and bool(self.kinds)

    def kind(self, resource: str) -> KindStatus:
        for status in self.kinds:
            if status.resource == resource:
                return status
        raise KeyError(resource)

    def headline(self) -> str | None:
        """Why the picture is not current, in the words `stsviz --plain` would print; None when it is.

        The first kind in trouble speaks (sets, then pods, claims, events): a
        refused connection is "cannot reach SERVER: why", a server's answer is
        "SERVER: answer". A kind the user may not read is a note, not a
        headline, unless it is the sets (then nothing can be shown).
        """
        if self.connection and not any(kind.listed for kind in self.kinds):
            return self.connection
        for kind in self.kinds:
            if kind.current or not kind.message:
                continue
            if kind.phase == FORBIDDEN and kind.resource != "statefulsets":
                continue
            if kind.unreachable:
                return f"cannot reach {self.server}: {kind.message}"
            return f"{self.server}: {kind.message}" if self.server else kind.message
        return None

    def stale_since(self) -> datetime | None:
        """Since when the oldest kind that is not current stopped being current (None: all current)."""
        times = [kind.stale_since for kind in self.kinds if not kind.current and kind.stale_since is not None]
        return min(times) if times else None

    def retry_in(self, now: float | None = None) -> float | None:
        """Seconds until the next attempt of the first kind waiting to retry, if any."""
        now = self.now if now is None else now
        waits = [kind.retry_at - now for kind in self.kinds if not kind.current and kind.retry_at is not None]
        if self.connection is not None and self.connection_retry_at is not None:
            waits.append(self.connection_retry_at - now)  # not connected: no kind has tried anything yet
        waits = [wait for wait in waits if wait > 0]
        return min(waits) if waits else None

    def describe(self, now: float | None = None) -> str:
        """`stsviz record`'s status line: "watching · 12.3 ev/s", or each kind that is not current."""
        now = self.now if now is None else now
        if self.connection and not any(kind.listed for kind in self.kinds):
            return f"connecting: {self.connection}"
        if all(kind.current for kind in self.kinds):
            parts = ["watching"]
        else:
            parts = [kind.describe(now) for kind in self.kinds if not kind.current]
        parts += [f"{SHORT_NAMES.get(k.resource, k.resource)}: {_short(k.warning)}" for k in self.kinds if k.warning]
        parts.append(f"{self.rate:.1f} ev/s")
        if self.withheld and any(kind.phase in (EXPIRED, FORBIDDEN) for kind in self.kinds):
            parts.append(self.withheld)
        return " · ".join(parts)
