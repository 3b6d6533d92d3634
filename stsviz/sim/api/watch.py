"""Watch streams: newline-delimited JSON events over a chunked HTTP response.

Semantics follow the 1.20 watch cache: no resourceVersion (or "0") starts with
ADDED for every current object; a resourceVersion resumes from the history,
and one older than the history gets a single ERROR event carrying a 410
Expired Status (HTTP 200, as the real server) before the stream ends. Label
and field selectors turn objects that stop matching into DELETED and ones
that start matching into ADDED. Bookmarks carry the newest resourceVersion of
the type, only when it moved past what the stream has sent, every
`bookmark_interval` seconds and two seconds before the stream's deadline.

The `WatchHub` knows every open stream, which is how faults close, expire or
stall them.
"""

from __future__ import annotations

import asyncio
import random
import time
from collections.abc import Callable
from typing import Any

import orjson
from aiohttp import web

from ..clock import SimClock
from ..resources import Resource
from ..selection import FieldSelector, LabelSelector, fields_match, labels_match
from ..store import Expired, Store, Write

# Upstream: a watch without timeoutSeconds lasts minRequestTimeout × [1, 2).
DEFAULT_MIN_REQUEST_TIMEOUT = 1800.0
# A stream whose client reads nothing is cut off, as the cacher drops slow watchers.
MAX_BACKLOG = 50_000
_EXPIRED_OPEN = "The resourceVersion for the provided watch is too old."


def _event_line(kind: str, obj: dict) -> bytes:
    return b'{"type":"' + kind.encode() + b'","object":' + orjson.dumps(obj) + b"}\n"


def status_event(code: int, reason: str, message: str) -> bytes:
    return _event_line(
        "ERROR",
        {
            "kind": "Status",
            "apiVersion": "v1",
            "metadata": {},
            "status": "Failure",
            "message": message,
            "reason": reason,
            "code": code,
        },
    )


def _bookmark_object(res: Resource, rv: int) -> dict:
    # The Go zero value of the type with only resourceVersion set, as upstream sends.
    obj: dict[str, Any] = {
        "kind": res.kind,
        "apiVersion": res.api_version,
        "metadata": {"resourceVersion": str(rv), "creationTimestamp": None},
    }
    shapes: dict[str, dict[str, Any]] = {
        "Pod": {"spec": {"containers": None}, "status": {}},
        "StatefulSet": {
            "spec": {
                "selector": None,
                "template": {"metadata": {"creationTimestamp": None}, "spec": {"containers": None}},
                "serviceName": "",
                "updateStrategy": {},
            },
            "status": {"replicas": 0},
        },
        "Event": {
            "involvedObject": {},
            "source": {},
            "firstTimestamp": None,
            "lastTimestamp": None,
            "eventTime": None,
            "reportingComponent": "",
            "reportingInstance": "",
        },
        "ControllerRevision": {"data": None, "revision": 0},
    }
    obj.update(shapes.get(res.kind, {"spec": {}, "status": {}}))
    return obj


Render = Callable[[dict], dict]


class WatchStream:
    def __init__(
        self,
        hub: WatchHub,
        res: Resource,
        namespace: str | None,
        labels: LabelSelector,
        fields: FieldSelector,
        render: Render | None = None,
    ) -> None:
        self.hub = hub
        # Turns an object into what the client asked for (a one-row Table for `kubectl get -w`).
        self.render = render
        self.res = res
        self.namespace = namespace
        self.labels = labels
        self.fields = fields
        self.queue: list[bytes] = []
        self.wakeup = asyncio.Event()
        self.closing = False
        self.expired = False
        self.stalled_until = 0.0
        self.last_rv = 0

    def _matches(self, obj: dict | None) -> bool:
        if obj is None:
            return False
        meta = obj["metadata"]
        if self.namespace and meta.get("namespace") != self.namespace:
            return False
        return labels_match(self.labels, meta.get("labels")) and fields_match(self.fields, obj)

    def convert(self, change: Write) -> bytes | None:
        """The event this stream reports for a change, if any (the cacher's filter rules)."""
        if change.resource is not self.res:
            return None
        now_matches = change.type != "DELETED" and self._matches(change.object)
        was_matching = change.previous is not None and self._matches(change.previous)
        if now_matches:
            kind = "MODIFIED" if was_matching else "ADDED"
            return self.line(change, kind, change.object)
        if was_matching:
            if change.type == "DELETED":
                return self.line(change, "DELETED", change.object)
            assert change.previous is not None  # was_matching says so
            gone = dict(change.previous)
            gone["metadata"] = dict(gone["metadata"], resourceVersion=str(change.rv))
            return self.line(None, "DELETED", gone)
        return None

    def line(self, change: Write | None, kind: str, obj: dict) -> bytes:
        if self.render is not None:
            return _event_line(kind, self.render(obj))
        if change is None:
            return _event_line(kind, obj)
        return self.hub.encode(change, kind, obj)

    def on_change(self, change: Write) -> None:
        if self.closing or self.stalled():
            return
        line = self.convert(change)
        if line is not None:
            self.queue.append(line)
            self.last_rv = change.rv
            if len(self.queue) > MAX_BACKLOG:
                self.close()
            self.wakeup.set()

    def stalled(self) -> bool:
        return time.monotonic() < self.stalled_until

    def close(self) -> None:
        self.closing = True
        self.wakeup.set()

    def expire(self) -> None:
        self.expired = True
        self.close()


class WatchHub:
    def __init__(
        self,
        store: Store,
        clock: SimClock,
        bookmark_interval: float = 60.0,
        min_request_timeout: float = DEFAULT_MIN_REQUEST_TIMEOUT,
    ) -> None:
        self.store = store
        self.clock = clock
        self.bookmark_interval = bookmark_interval
        self.min_request_timeout = min_request_timeout
        self.streams: set[WatchStream] = set()
        self._stall_new_until = 0.0
        self._encoded: dict[tuple[int, str], bytes] = {}
        store.add_listener(self._on_change)

    def _on_change(self, change: Write) -> None:
        for stream in list(self.streams):
            stream.on_change(change)
        self._encoded.clear()

    def encode(self, change: Write, kind: str, obj: dict) -> bytes:
        # Streams watching the same type share one encoding of each change.
        key = (change.rv, kind)
        line = self._encoded.get(key)
        if line is None:
            line = self._encoded[key] = _event_line(kind, obj)
        return line

    # fault hooks ------------------------------------------------------------------------

    def open_count(self) -> int:
        return len(self.streams)

    def stalled_count(self) -> int:
        return sum(1 for s in self.streams if s.stalled())

    def close_all(self) -> int:
        streams = list(self.streams)
        for stream in streams:
            stream.close()
        return len(streams)

    def expire_all(self) -> None:
        for stream in list(self.streams):
            stream.expire()

    def stall(self, seconds: float, include_new: bool) -> int:
        until = time.monotonic() + seconds
        for stream in self.streams:
            stream.stalled_until = until
            stream.queue.clear()
        if include_new:
            self._stall_new_until = until
        return len(self.streams)

    def unstall(self) -> None:
        self._stall_new_until = 0.0
        for stream in self.streams:
            stream.stalled_until = 0.0
            stream.wakeup.set()

    # serving ------------------------------------------------------------------------------

    async def serve(
        self,
        request: web.Request,
        res: Resource,
        namespace: str | None,
        labels: LabelSelector,
        fields: FieldSelector,
        resource_version: str | None,
        allow_bookmarks: bool,
        timeout_seconds: float | None,
        render: Render | None = None,
    ) -> web.StreamResponse:
        stream = WatchStream(self, res, namespace, labels, fields, render)
        if time.monotonic() < self._stall_new_until:
            stream.stalled_until = self._stall_new_until
        # Take the starting point and subscribe in one step (no await between),
        # so no change can fall between the initial events and the live ones.
        initial, error = self._initial_events(stream, resource_version)
        self.streams.add(stream)
        try:
            response = web.StreamResponse(
                headers={
                    "Content-Type": "application/json",
                    "Cache-Control": "no-cache, private",
                    "Date": self.clock.http_date(),
                }
            )
            response.enable_chunked_encoding()
            await response.prepare(request)
            if timeout_seconds is None:
                timeout_seconds = self.min_request_timeout * (1 + random.random())
            await self._pump(request, response, stream, initial, error, allow_bookmarks, timeout_seconds)
            return response
        finally:
            self.streams.discard(stream)

    def _initial_events(self, stream: WatchStream, resource_version: str | None) -> tuple[list[bytes], bytes | None]:
        if resource_version in (None, "", "0"):
            objects = self.store.items(stream.res, stream.namespace)
            stream.last_rv = self.store.resource_version
            return [stream.line(None, "ADDED", o) for o in objects if stream._matches(o)], None
        rv = int(resource_version)
        current = self.store.resource_version
        if rv > current:
            return [], status_event(504, "Timeout", f"Too large resource version: {rv}, current: {current}")
        try:
            changes = self.store.changes_since(rv)
        except Expired as exc:
            # Events bypass the 1.20 watch cache: their expiry is etcd's wording.
            message = _EXPIRED_OPEN if stream.res.kind == "Event" else str(exc)
            return [], status_event(410, "Expired", message)
        stream.last_rv = rv
        lines = []
        for change in changes:
            line = stream.convert(change)
            if line is not None:
                lines.append(line)
                stream.last_rv = change.rv
        return lines, None

    async def _pump(
        self,
        request: web.Request,
        response: web.StreamResponse,
        stream: WatchStream,
        initial: list[bytes],
        error: bytes | None,
        allow_bookmarks: bool,
        timeout: float,
    ) -> None:
        started = time.monotonic()
        deadline = started + timeout
        next_bookmark = min(started + self.bookmark_interval, deadline - 2.0)
        stream.queue[:0] = initial
        if error is not None:
            if not stream.stalled():
                await response.write(error)
                await response.write_eof()
            return
        while True:
            transport = request.transport
            if transport is None or transport.is_closing():
                return
            now = time.monotonic()
            if stream.stalled():
                # A dead connection: nothing, not even the end, until the stall is over.
                if stream.closing:
                    transport.abort()
                    return
                stream.queue.clear()
                stream.wakeup.clear()
                await self._wait(stream, min(1.0, stream.stalled_until - now))
                if not stream.stalled() and transport is not None:
                    transport.abort()
                    return
                continue
            if stream.queue:
                chunk = b"".join(stream.queue)
                stream.queue.clear()
                await response.write(chunk)
            if stream.closing:
                if stream.expired:
                    await response.write(status_event(410, "Expired", _EXPIRED_OPEN))
                await response.write_eof()
                return
            if now >= deadline:
                await response.write_eof()
                return
            if allow_bookmarks and now >= next_bookmark and not stream.queue:
                # Only with nothing queued: a bookmark must never overtake an event it covers.
                rv = self.store.last_resource_version_of(stream.res)
                if rv > stream.last_rv:
                    stream.last_rv = rv
                    await response.write(_event_line("BOOKMARK", _bookmark_object(stream.res, rv)))
                next_bookmark = now + self.bookmark_interval
                if next_bookmark > deadline - 2.0 >= now:
                    next_bookmark = deadline - 2.0
                elif deadline - 2.0 < now:
                    next_bookmark = deadline + 1.0
            wait_until = min(deadline, max(next_bookmark, now) if allow_bookmarks else deadline, now + 1.0)
            await self._wait(stream, wait_until - time.monotonic())

    @staticmethod
    async def _wait(stream: WatchStream, seconds: float) -> None:
        if stream.queue or stream.closing:
            return
        stream.wakeup.clear()
        try:
            await asyncio.wait_for(stream.wakeup.wait(), timeout=max(0.0, seconds))
        except TimeoutError:
            pass
