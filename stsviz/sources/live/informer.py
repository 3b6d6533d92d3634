"""One informer: list, then watch from the list's resourceVersion, for one kind, forever.

The contract (client-go's reflector and kopf's watching.py are the models):

- list in pages (limit/continue), replace this kind's cache with the result
  (objects that vanished meanwhile become DELETED changes), and watch from the
  list's resourceVersion with bookmarks;
- every event moves the resourceVersion on, BOOKMARK included;
- a normal close resumes from it at once, silently; so does a connection that
  sent nothing for the inactivity timeout (it is presumed dead);
- 410 Gone (HTTP status or ERROR event) and "too large resource version" relist;
- other failures wait: exponential backoff with jitter up to a cap, reset after
  a healthy period; 429 waits for the server's Retry-After instead;
- 401 refreshes the credentials once (exec plugin, token file) and then says,
  as kubectl, "You must be logged in to the server" (expired or wrong); 403
  marks only this kind forbidden and looks again later. When the connection
  sent no credentials (plain http), a 401 says that instead, with the
  server's message;
- a list is bounded (a deadline for all its pages, a number of pages, bytes
  per page) and so is a watch line: a server that never stops talking is a
  failure like any other, with its reason in the status and the log.

The informer keeps its own store (key -> slim record) so a relist can tell what
vanished; what it hands the sink are `Change`s, so the consumer's ClusterState
stays a pure fold and equals a fresh list after any fault.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from contextlib import aclosing
from datetime import datetime
from typing import Any, Protocol

import aiohttp

from stsviz.model.events import EVENT_TYPES, Change
from stsviz.model.records import MALFORMED, ObjectKey
from stsviz.sources.decoding import TYPED_RECORDS, ListDecoder, WatchDecoder
from stsviz.sources.heap import gc_paused
from stsviz.sources.live import freshness as phases
from stsviz.sources.live.freshness import KindStatus
from stsviz.sources.live.kinds import Kind, Scope
from stsviz.sources.live.scrub import one_line
from stsviz.sources.live.timing import Backoff, EventRate, Timing
from stsviz.sources.live.wire import (
    ApiError,
    Inactive,
    Refused,
    Span,
    TlsRefused,
    Unreachable,
    Unreadable,
    get,
    list_page,
    parse_line,
    parse_list,
    watch_lines,
)

log = logging.getLogger("stsviz.live")

Sink = Callable[[list[Change]], None]


class Tap(Protocol):
    """Who else sees the raw watch stream (the recorder): the objects as the API sent them, before slimming.

    Called on the event loop, so it must only hand the work on (a queue) and
    return at once. The dicts are the parsed objects (managedFields already
    cut); the informer drops them after the call, so the tap may keep them but
    must not change them.
    """

    def event(self, resource: str, type_: str, obj: dict[str, Any], when: datetime) -> None:
        """One ADDED, MODIFIED or DELETED from a watch."""

    def listed(
        self, resource: str, kind: str, objects: list[dict[str, Any]], resource_version: str, when: datetime
    ) -> None:
        """A whole list (first or relist): every object this kind now has (items carry no `kind`: `kind` says it)."""

    def phase(self, resource: str, mark: str, when: datetime, reason: str | None) -> None:
        """The watch of this kind broke (`disconnect`) or opened again (`reconnect`)."""


# kubectl's words; a 401 cannot tell an expired token from a wrong one.
CREDENTIALS_EXPIRED = "You must be logged in to the server (the credentials are expired or wrong)"


class ShortWatch(Exception):
    """A watch closed almost at once with nothing in it: treated as a failure, not a close."""


class Interrupted(Exception):
    """The watch was closed by `reopen`: it may have died while the server did not answer."""


class Informer:
    """List+watch of one kind in one scope; `status()` says how fresh its data is."""

    def __init__(
        self,
        kind: Kind,
        scope: Scope,
        connection: Any,  # .api, .generation, refresh_credentials() and maybe .withheld; see config.Connection
        sink: Sink,
        timing: Timing | None = None,
        rate: EventRate | None = None,
        tap: Tap | None = None,
    ) -> None:
        self.kind = kind
        self.tap = tap  # None: nothing records, and the hot path pays one test per read
        self.scope = scope
        self.connection = connection
        self.sink = sink
        self.timing = timing or Timing()
        self.rate = rate
        self.backoff = Backoff(self.timing)
        self.store: dict[ObjectKey, Any] = {}
        # The typed decoder builds the records from_dict builds, for the kinds it knows.
        typed = TYPED_RECORDS.get(kind.kind) is kind.record
        self._decoder = WatchDecoder(kind.kind) if typed else None
        self._list_decoder = ListDecoder(kind.kind) if typed else None
        self.resource_version: str | None = None
        # status
        self.phase = phases.LISTING
        self.listed = False
        self.retry_at: float | None = None
        self.message: str | None = None
        self.unreachable = False  # the last problem was not reaching the server at all (vs. its answer)
        self.warning: str | None = None  # about the last list, which still worked (objects with bad UTF-8)
        self.malformed = 0  # objects skipped for fields of types Kubernetes never sends, since the start
        self.relists = 0
        self.relist_reason: str | None = None  # why the last relist happened ("too old resource version: ...")
        self.bad_request = False  # the last failure was a 400: asking again will not help
        self.watches = 0
        self.events = 0  # watch events folded (not list items)
        self._current_until: datetime | None = None  # data known current up to here
        self._stale_since: datetime | None = None
        self._generation = 0  # the credentials' generation the last request went out with
        self._refreshed = False  # credentials refreshed since the last request that got through
        self._events_since_list = 0
        self._watching: asyncio.Future[int] | None = None  # the open watch request, while one is

    # -- what the UI reads -----------------------------------------------------------

    @property
    def heard_at(self) -> datetime | None:
        """When the server last sent this kind anything (a list, a watch line), by the source's wall clock."""
        return self._current_until

    def status(self) -> KindStatus:
        return KindStatus(
            resource=self.kind.resource,
            phase=self.phase,
            listed=self.listed,
            stale_since=self._stale_since if self.phase != phases.WATCHING else None,
            retry_at=self.retry_at,
            message=self.message,
            unreachable=self.unreachable,
            warning=self.warning,
            relists=self.relists,
            reconnects=max(0, self.watches - 1),
        )

    # -- the loop ------------------------------------------------------------------

    async def run(self) -> None:
        """List and watch until cancelled. May be run again later: it resumes from its resourceVersion."""
        timing = self.timing
        must_list = self.resource_version is None
        gone_without_events = 0
        while True:
            wait: float | None = None
            try:
                if must_list:
                    await self._list()
                    must_list = False
                await self._watch_interruptibly()
                continue  # a normal close: resume silently
            except Interrupted:
                log.info("%s: the server answers again; reopening the watch", self.kind.resource)
                self._leave_watching("reopened after the server did not answer", quiet=True, silent=True)
                continue
            except Inactive:
                log.info("%s: no byte for %ss, reconnecting", self.kind.resource, timing.inactivity_timeout)
                self._leave_watching("the watch went silent", quiet=True, silent=True)
                continue
            except ApiError as error:
                if error.gone or error.too_large:
                    # Gone again before a single event since the last list: something is off; do not spin.
                    gone_without_events = gone_without_events + 1 if not self._events_since_list else 1
                    must_list = True
                    self.relist_reason = error.message
                    self._leave_watching(error.message, quiet=True)
                    log.info("%s: %s, relisting", self.kind.resource, error.message)
                    if gone_without_events < 2:
                        continue
                    wait = self.backoff.delay()
                elif error.status == 401:
                    if not self._refreshed:
                        self._refreshed = True
                        if await self.connection.refresh_credentials(self._generation):
                            continue
                    self._refreshed = False  # after the wait, one more refresh may be tried
                    self._leave_watching(self._unauthorized(error), phase=phases.EXPIRED)
                    wait = timing.forbidden_retry
                elif error.status == 403:
                    self._leave_watching(error.message, phase=phases.FORBIDDEN)
                    wait = timing.forbidden_retry
                elif error.status == 429:
                    self._leave_watching(error.message)
                    wait = min(error.retry_after, timing.retry_after_cap) if error.retry_after is not None else None
                    wait = self.backoff.delay() if wait is None else wait
                else:
                    self._leave_watching(str(error))
                    self.bad_request = (
                        error.status == 400
                    )  # the request itself is wrong: a selector that does not parse
                    wait = self.backoff.delay()
            except TlsRefused as error:
                self._leave_watching(str(error))
                self.unreachable = True
                # A cluster rebuilt with a new CA: the kubeconfig's CA is read again, as kubectl reads it on
                # each run (the screen said "not trusted" until restarted). A new one is tried at once.
                wait = None if await self.connection.reload_ca() else self.backoff.delay()
            except (Unreachable, ShortWatch) as error:
                self._leave_watching(str(error) or "the watch closed at once")
                # A bound a server broke (Refused), or an answer that is not JSON of the right shape
                # (Unreadable), was an answer; a refused connection was not.
                self.unreachable = isinstance(error, Unreachable) and not isinstance(error, (Refused, Unreadable))
                wait = self.backoff.delay()
            except Exception as error:  # a bug or an object nobody expected: say so, start over, never stop
                log.exception("%s: unexpected error", self.kind.resource)
                self._leave_watching(f"unexpected error: {type(error).__name__}: {error}")
                must_list = True
                wait = self.backoff.delay()
            if wait is not None:
                await self._wait(wait)

    async def list_once(self) -> None:
        """List this kind once into the sink (the one-shot `--plain/--json` path).

        401 refreshes the credentials once; 429 waits for Retry-After once.
        Anything else is raised to the caller; a bound the server broke names
        this kind (one line for `stsviz --plain`).
        """
        refreshed = throttled = False
        while True:
            try:
                await self._list()
                return
            except Refused as error:
                raise Refused(f"{self.kind.resource}: {error}") from None
            except ApiError as error:
                if error.status == 401 and not refreshed:
                    refreshed = True
                    if await self.connection.refresh_credentials(self._generation):
                        continue
                if error.status == 401:
                    raise ApiError(401, self._unauthorized(error), reason="Unauthorized") from None
                if error.status == 429 and not throttled:
                    throttled = True
                    await self.timing.sleep(min(error.retry_after or 1.0, 10.0))
                    continue
                raise

    def reopen(self) -> bool:
        """Close the open watch, if one is; it reopens at once from its resourceVersion, without a relist.

        After the server did not answer for a while: a connection the outage killed silently would
        otherwise wait out the inactivity timeout, showing "watching" all the while. One that lived
        through it loses nothing by being reopened.
        """
        watching = self._watching  # open, or still opening: a request stuck on a dead connection too
        if watching is None or watching.done():
            return False
        watching.cancel()
        return True

    def _unauthorized(self, error: ApiError) -> str:
        """What a 401 that refreshing did not cure means: expired or wrong credentials, or none sent at all."""
        withheld = getattr(self.connection, "withheld", None)
        return f"{error.message} ({withheld})" if withheld else CREDENTIALS_EXPIRED

    # -- steps ---------------------------------------------------------------------

    async def _list(self) -> None:
        timing = self.timing
        if self.phase not in (phases.FORBIDDEN, phases.EXPIRED):
            self.phase = phases.LISTING  # forbidden stays forbidden until a list succeeds
        self._generation = self.connection.generation
        fresh, resource_version, repaired, raw = await self._list_all()
        now = timing.wall()
        if self.tap is not None:
            self.tap.listed(self.kind.resource, self.kind.kind, raw, resource_version, now)
        changes: list[Change] = []
        old_store = self.store
        for key, old in old_store.items():
            new = fresh.get(key)
            if new is None or new.uid != old.uid:
                changes.append(Change("DELETED", old, now))
        for key, record in fresh.items():
            old = old_store.get(key)
            if old is None or old.uid != record.uid:
                changes.append(Change("ADDED", record, now))
            elif old != record:
                changes.append(Change("MODIFIED", record, now))
        if self.listed:
            self.relists += 1
        self.store = fresh
        self.resource_version = resource_version
        self.listed = True
        self._events_since_list = 0
        self._refreshed = False
        self.phase = phases.LISTING  # until the watch opens
        self.message = None
        self.bad_request = False
        self.unreachable = False
        self.warning = self._repaired_warning(repaired) or self._malformed_warning()
        self._current_until = now
        self._stale_since = None
        self.backoff.healthy()
        if changes:
            self.sink(changes)

    async def _list_all(self) -> tuple[dict[ObjectKey, Any], str, int, list[dict[str, Any]]]:
        """Every object as a slim record, the list's resourceVersion, how many objects had bad UTF-8,
        and the raw objects when a tap records them (else an empty list).

        Paged; an expired continue token restarts with one unpaged list.

        Each page's dicts become records at once, so a list of 20,000 pods never
        holds 20,000 parsed pods in memory together. The whole list has a
        deadline and a number of pages, each page a number of bytes (see
        timing.py for why those numbers): a list that never ends is a failure.
        """
        timing = self.timing
        deadline = asyncio.timeout(timing.list_deadline)
        try:
            async with deadline:
                return await self._pages()
        except TimeoutError:
            if not deadline.expired():
                raise
            raise Refused(f"list took longer than {timing.list_deadline:g}s: gave up") from None

    async def _pages(self) -> tuple[dict[ObjectKey, Any], str, int, list[dict[str, Any]]]:
        timing = self.timing
        path = self.kind.path(self.scope.namespace)
        timeout = aiohttp.ClientTimeout(total=None, sock_connect=timing.connect_timeout, sock_read=timing.list_timeout)
        base = self.scope.query(self.kind)
        record_type = self.kind.record
        records: dict[ObjectKey, Any] = {}
        token: str | None = None
        limit: list[tuple[str, str]] = [("limit", str(timing.list_page_size))]
        repaired = 0
        keep_raw = self.tap is not None  # only a recorder holds the list's dicts until it ends
        raw_objects: list[dict[str, Any]] = []
        for _ in range(timing.list_max_pages):
            query = base + limit + ([("continue", token)] if token else [])
            try:
                raw = await list_page(self.connection.api, path, query, timeout, timing.list_max_page_bytes)
            except ApiError as error:
                if error.gone and token:
                    # The snapshot behind the continue token was compacted away.
                    records, token, limit, repaired = {}, None, [], 0
                    raw_objects = []
                    continue
                raise
            with gc_paused():
                # Typed when nothing records (a recorder keeps the list's dicts) and the page is plain.
                decoded = None if keep_raw or self._list_decoder is None else self._list_decoder.decode(raw)
                if decoded is not None:
                    for record in decoded[0]:
                        records[record.key] = record
                    _, resource_version, token = decoded
                    del raw, decoded
                else:
                    page, resource_version, token, page_repaired = parse_list(raw)
                    del raw
                    for obj in page:
                        try:
                            record = record_type.from_dict(obj)
                        except MALFORMED:
                            self._malformed(obj)  # skipped and counted, the rest of the kind goes on
                            continue
                        records[record.key] = record
                    if keep_raw:
                        raw_objects += page
                    del page
                    repaired += page_repaired
            if not token:
                return records, resource_version, repaired, raw_objects
        raise Refused(f"list did not end after {timing.list_max_pages} pages: gave up")

    def _malformed(self, obj: dict[str, Any]) -> None:
        """An object whose fields have types Kubernetes never sends: skipped, counted, said (never a default)."""
        self.malformed += 1
        self.warning = self._malformed_warning()
        meta = obj.get("metadata")
        named = meta.get("name") if isinstance(meta, dict) else None
        # INFO, as a repaired list: the status and --plain's warnings say it (it was said twice on stderr).
        log.info("%s: %s (the last: %r)", self.kind.resource, self.warning, named)

    def _malformed_warning(self) -> str | None:
        count = self.malformed
        if not count:
            return None
        name = self.kind.resource if count > 1 else self.kind.resource.removesuffix("s")
        return f"{count} {name} skipped: fields of types Kubernetes never sends"

    def _repaired_warning(self, repaired: int) -> str | None:
        if not repaired:
            return None
        name = self.kind.resource if repaired > 1 else self.kind.resource.removesuffix("s")
        warning = f"{repaired} {name} with invalid UTF-8: bad bytes shown as \ufffd"
        log.info("%s list: %s", self.kind.resource, warning)  # INFO: the status and --plain's warnings say it
        return warning

    async def _watch_interruptibly(self) -> None:
        """`_watch`, which `reopen` may end (then Interrupted), told apart from this informer's own
        cancellation (which is passed on)."""
        watching = asyncio.ensure_future(self._watch())
        self._watching = watching
        try:
            await asyncio.wait([watching])
        finally:
            self._watching = None
            if not watching.done():  # this informer was cancelled: so is its watch
                watching.cancel()
                await asyncio.wait([watching])
        if watching.cancelled():
            raise Interrupted()
        watching.result()

    async def _watch(self) -> int:
        """One watch request, until the server closes it; how many lines it delivered."""
        timing = self.timing
        query = self.scope.query(self.kind) + [
            ("watch", "true"),
            ("resourceVersion", self.resource_version or ""),
            ("allowWatchBookmarks", "true"),
            ("timeoutSeconds", str(timing.server_watch_timeout())),
        ]
        timeout = aiohttp.ClientTimeout(
            total=None, sock_connect=timing.connect_timeout, sock_read=timing.inactivity_timeout
        )
        self._generation = self.connection.generation
        response = await get(self.connection.api, self.kind.path(self.scope.namespace), query, timeout)
        opened = timing.clock()
        if self.tap is not None and self.phase != phases.LISTING:
            self.tap.phase(self.kind.resource, "reconnect", timing.wall(), None)
        self.watches += 1
        self._refreshed = False
        self.phase = phases.WATCHING
        self.retry_at = None
        self.message = None
        self.unreachable = False
        self._stale_since = None
        self.backoff.healthy()
        received = 0
        async with aclosing(watch_lines(response, timing.watch_max_line_bytes)) as stream:
            async for lines in stream:
                received += len(lines)
                with gc_paused():
                    self._take(lines)
        self._current_until = timing.wall()
        if not received and timing.clock() - opened < timing.short_watch:
            raise ShortWatch("the watch closed at once")
        return received

    def _take(self, lines: list[Span]) -> None:
        """Parse one read's lines, update the store and the resourceVersion, hand the changes on."""
        now = self.timing.wall()
        from_dict = self.kind.record.from_dict
        store = self.store
        tap = self.tap
        # The recorder takes the objects as dicts, so with a tap every line is parsed into one.
        decode = self._decoder.decode if tap is None and self._decoder is not None else None
        changes: list[Change] = []
        resource_version = None
        taken = 0
        try:
            for data, start, end in lines:
                if decode is not None and (decoded := decode(data, start, end)) is not None:
                    type_, record, version = decoded
                    taken += 1
                    resource_version = version or resource_version
                    if record is None:
                        continue  # BOOKMARK: only its resourceVersion matters
                    key = record.key
                    if type_ == "DELETED":
                        current = store.get(key)
                        if current is not None and current.uid == record.uid:
                            del store[key]
                    else:
                        store[key] = record
                    changes.append(Change(type_, record, now))
                    continue
                # Not decoded (an ERROR, a field of an unexpected type, bad UTF-8): as a dict, as it always was.
                event = parse_line(data, start, end)
                if event is None:
                    continue
                if not isinstance(event, dict):  # `[1,2]`: JSON, not an event; the watch starts over
                    raise Unreadable(f"the server sent a watch event that is not a JSON object: {type(event).__name__}")
                event_type: Any = event.get("type")
                obj = event.get("object")
                if event_type == "ERROR":
                    raise ApiError.from_status(obj, 200)
                if not isinstance(obj, dict):
                    continue
                taken += 1
                metadata = obj.get("metadata")
                if isinstance(metadata, dict):
                    resource_version = metadata.get("resourceVersion") or resource_version
                if event_type not in EVENT_TYPES:
                    continue  # BOOKMARK: only its resourceVersion matters
                if tap is not None:
                    tap.event(
                        self.kind.resource, event_type, obj, now
                    )  # recorded as sent: replay skips it the same way
                try:
                    record = from_dict(obj)
                except MALFORMED:
                    self._malformed(obj)
                    continue
                key = record.key
                if event_type == "DELETED":
                    current = store.get(key)
                    if current is not None and current.uid == record.uid:
                        del store[key]
                else:
                    store[key] = record
                changes.append(Change(event_type, record, now))
        finally:
            if resource_version:
                self.resource_version = resource_version
            self._events_since_list += taken
            self._current_until = now
            if changes:  # what came before an ERROR still happened
                self.events += len(changes)
                if self.rate is not None:
                    self.rate.add(len(changes))
                self.sink(changes)

    def _leave_watching(
        self, message: str, *, phase: str = phases.RECONNECTING, quiet: bool = False, silent: bool = False
    ) -> None:
        """The data stops being current (if it ever was): say since when, and why (to the log too).

        `quiet`: a routine reconnect (a silent watch, 410 Gone) the caller logs at INFO itself.
        `silent`: the watch went quiet for too long, so it may have been dead since its last byte.
        """
        if self.listed and self._stale_since is None:
            # An open watch was current until it broke (the server would have sent any change): stale
            # from now, not from its last event a quiet minute ago; one that went silent, from its last byte.
            open_until_now = self.phase == phases.WATCHING and not silent
            self._stale_since = self.timing.wall() if open_until_now else self._current_until or self.timing.wall()
        if self.tap is not None and self.phase == phases.WATCHING:
            self.tap.phase(self.kind.resource, "disconnect", self.timing.wall(), one_line(message))
        self.phase = phase
        self.message = one_line(message)
        self.unreachable = False
        if not quiet:
            log.warning("%s %s: %s", self.kind.resource, phase, self.message)

    async def _wait(self, seconds: float) -> None:
        self.retry_at = self.timing.clock() + seconds
        try:
            await self.timing.sleep(seconds)
        finally:
            self.retry_at = None
