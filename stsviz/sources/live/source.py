"""The live source: one informer per kind over one connection, and its freshness.

`LiveSource.run(sink)` connects (retrying while the exec plugin or the network
fails), then runs every informer until cancelled; the sink gets lists of
`Change`s, and a `Tap` (the recorder), if given, the raw objects and the
watches' breaks. Beside them a probe GETs /version every few seconds: while
the server does not answer it, every watching kind is `no answer`, stale
since the last answer; when it answers again, the watches are reopened from
their resourceVersion rather than trusted (the outage may have killed them). `status()` is
plain data for the header. `snapshot()` is the one-shot path behind
`stsviz --plain/--json`: list every kind once and fold.
"""

from __future__ import annotations

import asyncio
import dataclasses
import logging
from collections.abc import Sequence
from datetime import datetime
from typing import Any, Literal
from urllib.parse import quote

import aiohttp

from stsviz.model.events import Change
from stsviz.model.records import MALFORMED, Service
from stsviz.model.state import ClusterState
from stsviz.sources.live import freshness as phases
from stsviz.sources.live.config import ConfigError, Connection, Target
from stsviz.sources.live.freshness import SourceStatus
from stsviz.sources.live.informer import Informer, Sink, Tap
from stsviz.sources.live.kinds import KINDS, PODS, STATEFULSETS, Kind, Scope
from stsviz.sources.live.scrub import one_line
from stsviz.sources.live.timing import Backoff, EventRate, Timing
from stsviz.sources.live.wire import (
    ApiError,
    Refused,
    TlsRefused,
    Unreachable,
    Unreadable,
    get,
    list_page,
    loads,
    parse_list,
)

log = logging.getLogger("stsviz.live")


# The :ns picker lists this many namespaces at most: a picker is not a report.
NAMESPACES_LISTED = 500


# Seconds the scale dialog waits to know of autoscalers before it opens without knowing.
AUTOSCALERS_WAIT = 3.0

# A Service is a few hundred bytes; a bigger answer is not one (and is not read whole).
_SERVICE_BYTES = 1 << 20


class LiveSource:
    def __init__(
        self,
        target: Target,
        scope: Scope,
        *,
        timing: Timing | None = None,
        kinds: Sequence[Kind] = KINDS,
        tap: Tap | None = None,
    ) -> None:
        self.target = target
        self.scope = scope
        self.timing = timing or Timing()
        self.rate = EventRate(self.timing.clock, self.timing.rate_window)
        self.connection: Connection | None = None
        self.connection_problem: str | None = None
        self.connection_retry_at: float | None = None  # Timing.clock time of the next attempt to connect
        self._sink: Sink = _discard
        self._snapshot_taken = False
        self._answered_at: datetime | None = None  # the probe's last answer
        self.unanswered: tuple[datetime, str] | None = None  # while the probe is not answered: (stale since, why)
        self.informers = [
            Informer(kind, scope, _ConnectionRef(self), self._forward, self.timing, self.rate, tap) for kind in kinds
        ]

    def elsewhere(self, *, target: Target | None = None, scope: Scope | None = None) -> LiveSource:
        """A new, unstarted source like this one on another context or scope (the screen's :ctx and :ns)."""
        kinds = [informer.kind for informer in self.informers]
        return LiveSource(target or self.target, scope or self.scope, timing=self.timing, kinds=kinds)

    async def namespaces(self) -> list[str]:
        """The names of the namespaces the server lists, sorted: what the :ns picker offers.

        One page of at most NAMESPACES_LISTED; raises ApiError (e.g. 403: the
        user may not list namespaces) or Unreachable like any list.
        """
        connection = await self.connect()
        timeout = aiohttp.ClientTimeout(total=self.timing.list_timeout, sock_connect=self.timing.connect_timeout)
        raw = await list_page(connection.api, "/api/v1/namespaces", [("limit", str(NAMESPACES_LISTED))], timeout)
        page = parse_list(raw)
        names = [item.get("metadata", {}).get("name") for item in page.items if isinstance(item, dict)]
        return sorted(name for name in names if isinstance(name, str))

    async def autoscalers_of(self, namespace: str, name: str) -> list[str] | None:
        """The HorizontalPodAutoscalers in `namespace` that scale StatefulSet `name` (a scale will be undone).

        Empty when there is none, or when they may not be read (forbidden, not served): a warning, not a must.
        None when the server did not answer within AUTOSCALERS_WAIT: the scale dialog opens all the same
        (it said nothing for 10 s on a hung server) and says it could not tell.
        """
        if self.connection is None:
            return []
        path = f"/apis/autoscaling/v1/namespaces/{quote(namespace, safe='')}/horizontalpodautoscalers"
        timeout = aiohttp.ClientTimeout(total=AUTOSCALERS_WAIT)
        try:
            page = parse_list(await list_page(self.connection.api, path, [], timeout))
        except Unreadable:
            return []
        except Unreachable:
            return None
        except (ApiError, ValueError):
            return []
        names = []
        for item in page.items:
            ref = (item.get("spec") or {}).get("scaleTargetRef") or {}
            if ref.get("kind") == "StatefulSet" and ref.get("name") == name:
                names.append(str((item.get("metadata") or {}).get("name")))
        return names

    async def service_of(self, namespace: str, name: str) -> Service | Literal["missing"] | None:
        """The Service a set's serviceName names, "missing" on a 404, None when it cannot be known.

        Asked when the screen shows the set rather than watched: one small GET,
        and the pods' DNS names depend on it being there and headless.
        """
        if self.connection is None:
            return None
        path = f"/api/v1/namespaces/{quote(namespace, safe='')}/services/{quote(name, safe='')}"
        try:
            # list_page's bounded read serves one object as well as one page.
            timeout = aiohttp.ClientTimeout(total=10)
            raw = await list_page(self.connection.api, path, [], timeout, max_bytes=_SERVICE_BYTES)
            return Service.from_dict(loads(raw))
        except ApiError as error:
            return "missing" if error.status == 404 else None
        except (Unreachable, aiohttp.ClientError, OSError, TimeoutError, ValueError, *MALFORMED):
            return None

    @staticmethod
    def failure(error: BaseException) -> str:
        """Why the source stopped for good, as one scrubbed line for the screen."""
        return one_line(error)

    def informer(self, resource: str) -> Informer:
        for informer in self.informers:
            if informer.kind.resource == resource:
                return informer
        raise KeyError(resource)

    def status(self) -> SourceStatus:
        kinds = tuple(informer.status() for informer in self.informers)
        if self.unanswered is not None:
            since, why = self.unanswered
            kinds = tuple(
                dataclasses.replace(kind, phase=phases.UNANSWERED, stale_since=since, message=why, unreachable=True)
                if kind.current
                else kind
                for kind in kinds
            )
        return SourceStatus(
            kinds=kinds,
            rate=self.rate.per_second(),
            now=self.timing.clock(),
            connection=self.connection_problem,
            connection_retry_at=self.connection_retry_at if self.connection is None else None,
            server=self.target.address,
            withheld=self.connection.withheld if self.connection is not None else None,
        )

    def _forward(self, changes: list[Change]) -> None:
        self._sink(changes)

    async def connect(self) -> Connection:
        if self.connection is None:
            self.connection = await self.target.connect()
        return self.connection

    async def run(self, sink: Sink) -> None:
        """Connect and follow every kind until cancelled. Can be run again: informers resume."""
        self._sink = sink
        backoff = Backoff(self.timing)
        while self.connection is None:
            try:
                await self.connect()
                self.connection_problem = None
            except ConfigError as error:
                # The exec plugin may work again (a re-login, the network back): keep trying.
                self.connection_problem = one_line(error)
                log.warning("%s", self.connection_problem)
                delay = backoff.delay()
                self.connection_retry_at = self.timing.clock() + delay  # the screen counts down to it
                await self.timing.sleep(delay)
        self.connection_retry_at = None
        # Informers retry what can be retried; one that fails for good takes the others down with it,
        # or they would go on watching behind a screen that says live updates stopped.
        tasks = [asyncio.create_task(informer.run()) for informer in self.informers]
        if self.timing.probe_interval is not None:
            tasks.append(asyncio.create_task(self._probe(self.timing.probe_interval)))
        try:
            done, _ = await asyncio.wait(tasks, return_when=asyncio.FIRST_EXCEPTION)
            for task in done:
                task.result()
        finally:
            for task in tasks:
                task.cancel()
            await asyncio.wait(tasks)
            self._sink = _discard

    async def _probe(self, interval: float) -> None:
        """GET /version every `interval`: any answer (a 403 too) says the server is there; none, that what the
        watches show may be old. A connection refused is said by the informers themselves as well."""
        timing = self.timing
        timeout = aiohttp.ClientTimeout(total=timing.probe_timeout, sock_connect=timing.probe_timeout)
        while True:
            await timing.sleep(interval)
            connection = self.connection
            if connection is None:
                continue
            try:
                response = await get(connection.api, "/version", [], timeout)
                response.release()
            except (ApiError, Refused, TlsRefused):
                pass  # an answer all the same (a 403, a redirect or a certificate refused: the watches say it)
            except Unreachable as error:
                self._not_answered(f"no answer to a request in {timing.probe_timeout:g}s ({error})")
                continue
            except Exception:  # a bug here must not end the source its informers keep going
                log.exception("the probe of %s failed", self.target.address)
                continue
            self._answered()

    def _not_answered(self, why: str) -> None:
        if self.unanswered is None:
            # Stale since the server last said anything: the probe's answer, or a list or watch line after it.
            heard = [t for t in (self._answered_at, *(i.heard_at for i in self.informers)) if t is not None]
            self.unanswered = (max(heard) if heard else self.timing.wall(), why)
            log.warning("%s: %s", self.target.address, why)
            since = self.unanswered[0]
            for informer in self.informers:  # a recording tells the outage as the screen does: stale since then
                if informer.tap is not None and informer.phase == phases.WATCHING:
                    informer.tap.phase(informer.kind.resource, "disconnect", since, why)

    def _answered(self) -> None:
        self._answered_at = self.timing.wall()
        if self.unanswered is None:
            return
        self.unanswered = None
        reopened = [informer.kind.resource for informer in self.informers if informer.reopen()]
        log.warning("%s answers again; watches reopened: %s", self.target.address, ", ".join(reopened) or "none")

    async def snapshot(self) -> tuple[ClusterState, list[str]]:
        """List every kind once and fold it: the state and warnings about kinds left out.

        Raises ConfigError (credentials), ApiError (the server refused) or
        wire.Unreachable (wire.Refused, naming the kind, when the server broke
        a bound: a page too large, too many pages, the deadline). A kind other than statefulsets that is forbidden is
        left out with a warning; without statefulsets there is nothing to show.
        Once per source: informers hand on only what changed since their last
        list, so a second snapshot of the same source would miss what did not.
        """
        if self._snapshot_taken:
            raise RuntimeError("LiveSource.snapshot() is once per source; make a new source for another")
        self._snapshot_taken = True
        state = ClusterState()
        collected: list[Change] = []
        self._sink = collected.extend
        await self.connect()
        warnings: list[str] = []

        async def one(informer: Informer) -> None:
            try:
                await informer.list_once()
            except ApiError as error:
                if error.status == 403 and informer.kind is not STATEFULSETS:
                    warnings.append(f"{informer.kind.resource} left out: {error.message}")
                    if informer.kind is PODS:  # every verdict rests on them: each row says so, as on screen
                        state.note_pods_unread(f"forbidden: {error.message}")
                    return
                raise
            if informer.warning:  # listed, but some objects had to be repaired
                warnings.append(f"{informer.kind.resource}: {informer.warning}")

        withheld = self.connection.withheld if self.connection is not None else None
        try:
            await asyncio.gather(*(one(informer) for informer in self.informers))
        except ApiError as error:
            if error.status == 403 and withheld:  # anonymous: say why (a 401 says it already)
                raise ApiError(403, f"{error.message} ({withheld})", reason=error.reason) from None
            raise
        finally:
            self._sink = _discard
        if warnings and withheld:
            warnings.append(withheld)  # once, after the kinds it explains
        for change in collected:
            state.apply_change(change)
        return state, warnings

    async def close(self) -> None:
        if self.connection is not None:
            await self.connection.close()
            self.connection = None


class _ConnectionRef:
    """What an informer holds: the source's current connection, whatever it is by then."""

    def __init__(self, source: LiveSource) -> None:
        self._source = source

    @property
    def _connection(self) -> Connection:
        connection = self._source.connection
        if connection is None:
            raise RuntimeError("the live source is not connected")
        return connection

    @property
    def api(self) -> Any:
        return self._connection.api

    @property
    def generation(self) -> int:
        return self._connection.generation

    @property
    def withheld(self) -> str | None:
        return self._connection.withheld

    async def reload_ca(self) -> bool:
        return await self._connection.reload_ca()

    async def refresh_credentials(self, seen_generation: int) -> bool:
        return await self._connection.refresh_credentials(seen_generation)


def _discard(changes: list[Change]) -> None:
    pass
