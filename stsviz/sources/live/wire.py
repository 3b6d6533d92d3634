"""The list and watch calls on the wire: raw bytes through kubernetes_asyncio.

The informer decodes most list pages and watch lines itself, with msgspec
(`stsviz.sources.decoding`). What that leaves (a line it is not sure of, an
ERROR, a PersistentVolume, every line while a recorder taps the stream) is
parsed here with orjson (`parse_list`, `parse_line`), managedFields cut first.

kubernetes_asyncio's ApiClient does the auth headers, TLS and the aiohttp
session; with `_preload_content=False` it hands back the aiohttp response
untouched, and nothing builds typed `V1Pod` models (1.2k events/s against
50k+/s for this path). A failed call becomes one of three exceptions whose
text is scrubbed: `ApiError` (the server answered with a status), `Unreachable`
(no answer: refused, reset, TLS, timeouts) and `Inactive` (a watch went silent).

Nothing a server sends is trusted to stay small or to end: a list page, a
watch line and a chain of redirects are each bounded (`Refused`, a kind of
`Unreachable`, says which bound was hit), and a bad byte in a list's UTF-8
is repaired rather than refusing the whole list.
"""

from __future__ import annotations

import logging
import socket
import ssl
from collections.abc import AsyncGenerator
from typing import Any, NamedTuple

import aiohttp
import orjson
from yarl import URL

from stsviz.model.text import printable_line
from stsviz.sources.live.scrub import one_line
from stsviz.sources.live.timing import MAX_LIST_PAGE_BYTES, MAX_WATCH_LINE_BYTES

log = logging.getLogger(__name__)

# Enough of an error body to read the Status message; the rest is not worth reading.
_ERROR_BODY_LIMIT = 64 * 1024


class ApiError(Exception):
    """The API server answered with an error status (or a watch ERROR event)."""

    def __init__(
        self,
        status: int,
        message: str,
        *,
        reason: str = "",
        retry_after: float | None = None,
        causes: tuple[str, ...] = (),
    ) -> None:
        self.status = status
        # The server's words reach stderr, logs and the status bar: printable, one line.
        self.reason = printable_line(one_line(reason))
        self.message = printable_line(one_line(message))
        self.retry_after = retry_after
        self.causes = causes
        super().__init__(f"{status} {self.reason}: {self.message}" if self.reason else f"{status}: {self.message}")

    @property
    def gone(self) -> bool:
        """410: the resourceVersion is older than the server keeps; relist."""
        return self.status == 410

    @property
    def too_large(self) -> bool:
        """The resourceVersion is ahead of this server (another apiserver, a restored etcd): relist."""
        return "ResourceVersionTooLarge" in self.causes or "too large resource version" in self.message.lower()

    @classmethod
    def from_status(cls, body: Any, http_status: int, retry_after: float | None = None) -> ApiError:
        """From a metav1.Status object (an error response body or an ERROR event's object)."""
        if not isinstance(body, dict):
            return cls(http_status, f"HTTP {http_status}", retry_after=retry_after)
        found = body.get("details")
        details: dict[str, Any] = found if isinstance(found, dict) else {}
        causes = tuple(
            str(cause.get("reason") or "") for cause in (details.get("causes") or []) if isinstance(cause, dict)
        )
        code = body.get("code")
        retry = details.get("retryAfterSeconds")
        return cls(
            code if isinstance(code, int) and code else http_status,
            str(body.get("message") or body.get("reason") or f"HTTP {http_status}"),
            reason=str(body.get("reason") or ""),
            retry_after=retry_after
            if retry_after is not None
            else (retry if isinstance(retry, (int, float)) else None),
            causes=causes,
        )


class Unreachable(Exception):
    """No usable answer: connection refused or reset, TLS failure, DNS, timeout."""

    def __init__(self, message: object) -> None:
        super().__init__(printable_line(one_line(message)))


class NotSent(Unreachable):
    """No connection could be made (refused, DNS, TLS handshake): a change was certainly not sent."""


class TlsRefused(Unreachable):
    """The TLS handshake failed (the server's certificate not trusted, ours refused): a cluster rebuilt with a
    new CA, whose kubeconfig may have been rewritten since."""


class Unreadable(Unreachable):
    """The server answered 2xx, but not with a JSON object (an auth proxy's login page, a broken server)."""


class Refused(Unreachable):
    """The server sent more than stsviz takes (a bound was hit) or sent it elsewhere: the connection is dropped."""


def size_text(size: int) -> str:
    """3145728 -> "3 MB", for the reasons bounds give."""
    for unit, scale in (("MB", 1024 * 1024), ("KB", 1024)):
        if size >= scale:
            return f"{size / scale:.3g} {unit}"
    return f"{size} bytes"


class Inactive(Exception):
    """A watch delivered no byte for the inactivity timeout: the connection is presumed dead."""


def _retry_after(response: aiohttp.ClientResponse) -> float | None:
    value = response.headers.get("Retry-After")
    if value is None:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        return None  # an HTTP date: rare from an apiserver; fall back to backoff


async def _error(response: aiohttp.ClientResponse) -> ApiError:
    retry_after = _retry_after(response)
    try:
        raw = await response.content.read(_ERROR_BODY_LIMIT)
        body = orjson.loads(raw) if raw else None
    except (orjson.JSONDecodeError, aiohttp.ClientError, TimeoutError):
        body = None
    finally:
        response.release()
    if isinstance(body, dict) and body.get("kind") == "Status":
        return ApiError.from_status(body, response.status, retry_after)
    return ApiError(response.status, f"HTTP {response.status} {response.reason or ''}".strip(), retry_after=retry_after)


# Go's http.Client, under client-go, gives up after 10 redirects.
_MAX_REDIRECTS = 10
_REDIRECTS = frozenset({301, 302, 303, 307, 308})


class _SameHostRedirects:
    """An ApiClient's aiohttp session that never follows a redirect by itself; `get` decides.

    aiohttp follows redirects to any host, and kubernetes_asyncio gives no way
    to say otherwise per request, so the session its REST client holds is
    wrapped once. client-go sends no credentials to another host; stsviz does
    not even go there: data from another server would be shown as this
    cluster's.
    """

    def __init__(self, session: Any) -> None:
        self._session = session

    def request(self, *args: Any, **kwargs: Any) -> Any:
        kwargs["allow_redirects"] = False
        return self._session.request(*args, **kwargs)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._session, name)


def _follow_no_other_host(api: Any) -> None:
    rest = getattr(api, "rest_client", None)
    session = getattr(rest, "pool_manager", None)
    if rest is not None and session is not None and not isinstance(session, _SameHostRedirects):
        rest.pool_manager = _SameHostRedirects(session)


def _origin(url: URL) -> str:
    """scheme://host:port, with the port spelled out (no path: it may carry a token)."""
    return f"{url.scheme}://{url.host}:{url.port}"


async def get(
    api: Any,
    path: str,
    query: list[tuple[str, str]],
    timeout: aiohttp.ClientTimeout,
) -> aiohttp.ClientResponse:
    """GET `path` raw; the 2xx response (the caller releases it) or an exception.

    A redirect is followed only to the same scheme, host and port; one to
    anywhere else is refused, naming where it pointed.
    """
    _follow_no_other_host(api)
    host: str | None = None  # None: the configured server
    for _ in range(_MAX_REDIRECTS + 1):
        try:
            response: aiohttp.ClientResponse = await api.call_api(
                path,
                "GET",
                query_params=query,
                header_params={"Accept": "application/json"},
                auth_settings=["BearerToken"],
                _preload_content=False,
                _request_timeout=timeout,
                _host=host,
            )
        except aiohttp.ClientSSLError as error:
            raise TlsRefused(_describe(error)) from None
        except (aiohttp.ClientError, OSError, TimeoutError) as error:
            raise Unreachable(_describe(error)) from None
        if response.status in _REDIRECTS and "Location" in response.headers:
            here = response.url
            location = response.headers["Location"]
            response.release()
            try:
                there = here.join(URL(location))
            except ValueError:
                raise Refused("server redirected to an invalid address; not followed") from None  # it may hold a token
            if there.origin() != here.origin():
                raise Refused(f"server redirected to {_origin(there)}; not followed")
            log.info("the server redirected %s to %s on the same host", here.path, there.path)
            host, path, query = str(there.origin()), there.raw_path, list(there.query.items())
            continue
        if not 200 <= response.status < 300:
            raise await _error(response)
        return response
    raise Refused(f"server redirected more than {_MAX_REDIRECTS} times; gave up")


async def send(
    api: Any,
    method: str,
    path: str,
    *,
    body: Any = None,
    content_type: str = "application/json",
    query: list[tuple[str, str]] | None = None,
    timeout: aiohttp.ClientTimeout | None = None,
) -> Any:
    """One request that changes the cluster: the parsed JSON answer, or ApiError / Unreachable.

    Only stsviz.actions calls this: the gate's actions (every mutation goes through
    the gate) and the RBAC review (`rbac.ask_review`, a create that changes nothing).
    A redirect is never followed: a write sent twice, or elsewhere, is worse than none.
    """
    _follow_no_other_host(api)
    headers = {"Accept": "application/json", "Content-Type": content_type}
    try:
        response: aiohttp.ClientResponse = await api.call_api(
            path,
            method,
            query_params=query or [],
            header_params=headers,
            body=body,
            auth_settings=["BearerToken"],
            _preload_content=False,
            _request_timeout=timeout or aiohttp.ClientTimeout(total=30),
        )
    except aiohttp.ClientConnectorError as error:
        raise NotSent(_describe(error)) from None  # before a byte of the request left
    except (aiohttp.ClientError, OSError, TimeoutError) as error:
        raise Unreachable(_describe(error)) from None
    if response.status in _REDIRECTS:
        response.release()
        raise Refused(f"server answered {response.status} (a redirect) to a change; not followed")
    if not 200 <= response.status < 300:
        raise await _error(response)
    try:
        raw = await response.content.read(_ERROR_BODY_LIMIT)
    finally:
        response.release()
    try:
        return loads(raw) if raw else None
    except orjson.JSONDecodeError:
        return None  # the change was made; an odd answer does not undo it


async def list_page(
    api: Any,
    path: str,
    query: list[tuple[str, str]],
    timeout: aiohttp.ClientTimeout,
    max_bytes: int = MAX_LIST_PAGE_BYTES,
) -> bytes:
    """One page of a list, as the raw JSON body (`parse_list` reads it); `Refused` past `max_bytes`.

    Read a piece at a time and counted, so a page that never ends (or a server
    that ignores `limit` with half a gigabyte) is dropped at the bound instead
    of filling memory first.
    """
    response = await get(api, path, query, timeout)
    complete = False
    try:
        declared = response.content_length
        if declared is not None and declared > max_bytes:
            raise Refused(f"list page of {size_text(declared)}, more than {size_text(max_bytes)}: not read")
        pieces: list[bytes] = []
        size = 0
        while piece := await response.content.readany():
            size += len(piece)
            if size > max_bytes:
                raise Refused(f"list page longer than {size_text(max_bytes)}: dropped the connection")
            pieces.append(piece)
        complete = True
        return b"".join(pieces)
    except (aiohttp.ClientError, OSError, TimeoutError) as error:
        raise Unreachable(_describe(error)) from None
    finally:
        # A page left half read must not go back to the pool.
        response.release() if complete else response.close()


async def get_object(
    api: Any, path: str, query: list[tuple[str, str]], timeout: aiohttp.ClientTimeout
) -> dict[str, Any]:
    """One JSON object by GET (a set, its Scale, a list of revisions), read as boundedly as a list page.

    `Unreadable` if the answer is not a JSON object: an auth proxy's login page
    answers 200 in HTML, and what an action reads must be what the server has.
    """
    raw = await list_page(api, path, query, timeout)
    try:
        answer = loads(raw)
    except orjson.JSONDecodeError:
        raise Unreadable(f"the server's answer is not JSON{_looks_like(raw)}") from None
    if not isinstance(answer, dict):
        raise Unreadable(f"the server's answer is JSON but not an object: {type(answer).__name__}")
    return answer


# Every object a real API server sends carries metadata.managedFields: server-side
# apply's bookkeeping, nearly half the bytes of a pod and half of what orjson
# spends parsing it, and nothing stsviz reads. It is cut out of the bytes before
# they are parsed (about 1.5 times the events parsed per second for a real pod).
_MANAGED_FIELDS = b'"managedFields":['
_CLOSE_OBJECT = ord("}")
_COMMA = ord(",")

Span = tuple[bytes, int, int]  # a line inside a network read: (the read, start, end)


def without_managed_fields(raw: bytes) -> bytes | None:
    """`raw` with every `"managedFields":[...]` member cut out; None when there is none (or one looks odd).

    Only an unescaped `"` opens a JSON string, so the pattern can only match the
    member's key. Its entries are objects of strings and nested objects, never
    arrays: the first `]` after the key ends the array unless a string in it
    holds one. When one does, the cut is wrong and what remains is not JSON:
    the cut ends inside a string, so the strings that follow (fixed words such
    as "manager", "f:spec", or an escaped `\"`) would stand outside quotes.
    `loads` and `parse_line` then fall back to parsing the bytes whole.
    """
    mark = raw.find(_MANAGED_FIELDS)
    if mark < 0:
        return None
    view = memoryview(raw)
    pieces = []
    kept = 0
    while mark >= 0:
        cut = _member_end(raw, mark, len(raw))
        if cut is None:
            return None
        pieces.append(view[kept : cut[0]])
        kept = cut[1]
        mark = raw.find(_MANAGED_FIELDS, kept)
    pieces.append(view[kept:])
    return b"".join(pieces)


def _member_end(raw: bytes, mark: int, end: int) -> tuple[int, int] | None:
    """The bytes to cut for the managedFields member whose key starts at `mark`, with one comma."""
    body = mark + len(_MANAGED_FIELDS)
    close = raw.find(b"]", body, end)
    if close < 0 or (close != body and raw[close - 1] != _CLOSE_OBJECT):
        return None
    close += 1
    following = raw[close] if close < end else None
    if following == _COMMA:  # a member follows: take its comma with the cut
        return mark, close + 1
    if following == _CLOSE_OBJECT:  # the last member: take the comma before it, if any
        return (mark - 1 if mark > 0 and raw[mark - 1] == _COMMA else mark), close
    return None


def loads(raw: bytes) -> Any:
    """orjson.loads without the managedFields; raises orjson.JSONDecodeError for what is not JSON."""
    trimmed = without_managed_fields(raw)
    if trimmed is not None:
        try:
            return orjson.loads(trimmed)
        except orjson.JSONDecodeError:
            pass  # a `]` inside a string fooled the cut: parse it all
    return orjson.loads(raw)


_REPLACEMENT = "\ufffd"
_REPLACEMENT_UTF8 = _REPLACEMENT.encode()


def _bad_utf8(error: orjson.JSONDecodeError) -> bool:
    return "UTF-8" in error.msg


def _repaired(raw: bytes | memoryview) -> bytes:
    """The document with each invalid UTF-8 sequence replaced by U+FFFD.

    orjson checks the whole document's UTF-8 before parsing anything, so one
    bad byte in one annotation refused every object of the list, on every
    retry. Go's encoding/json (under client-go and kubectl) replaces such bytes
    with U+FFFD and goes on; doing the same keeps every object, the damaged one
    included, with the damage visible where it is. Splitting the list into
    items to drop only the bad one would need a JSON scanner of our own, and a
    dropped pod would look deleted. Only a document orjson refused pays for it.
    """
    return bytes(raw).decode("utf-8", errors="replace").encode()


class ListPage(NamedTuple):
    items: list[dict[str, Any]]
    resource_version: str
    continue_token: str | None
    repaired: int  # objects with invalid UTF-8 repaired (U+FFFD in place of the bad bytes)


def parse_list(raw: bytes) -> ListPage:
    """A list body's items, its resourceVersion, its continue token and how many objects had bad UTF-8."""
    try:
        try:
            body = loads(raw)
            repaired = 0
        except orjson.JSONDecodeError as error:
            if not _bad_utf8(error):
                raise
            body = loads(_repaired(raw))
            repaired = -1  # counted below, once the items are known
    except orjson.JSONDecodeError:
        raise Unreadable(f"the server sent a list that is not JSON{_looks_like(raw)}") from None
    metadata: Any = None
    items: Any = None
    if isinstance(body, dict):
        metadata, items = body.get("metadata") or {}, body.get("items") or []
    if not (isinstance(metadata, dict) and isinstance(items, list) and all(isinstance(item, dict) for item in items)):
        # JSON, but not a list of objects (`[]`, `null`, `{"items": "x"}`): not a Kubernetes list.
        raise Unreadable(f"the server sent JSON that is not a Kubernetes list{_looks_like(raw)}")
    if repaired:
        # Only this rare path pays for finding them; an object that held U+FFFD already is counted too.
        repaired = sum(1 for item in items if _REPLACEMENT_UTF8 in orjson.dumps(item))
    return ListPage(items, str(metadata.get("resourceVersion") or ""), metadata.get("continue") or None, repaired)


def _looks_like(raw: bytes) -> str:
    """What a body that is not JSON starts with (a proxy's HTML login page, a plain-text error), quoted."""
    start = bytes(raw[:60]).decode("utf-8", errors="replace")
    return f": {one_line(start, 60)!r}" if start.strip() else ": the body is empty"


async def watch_lines(
    response: aiohttp.ClientResponse, max_line_bytes: int = MAX_WATCH_LINE_BYTES
) -> AsyncGenerator[list[Span]]:
    """The lines of an open watch (one JSON event each), a list per network read, until the server closes.

    Yielding per read rather than per line lets the caller parse and fold a
    whole read at once (and take the time once), not one event at a time. A
    line is a span of the read, not a copy of it (`parse_line` reads it in
    place): copying every line out was a fifth of the ingest time. Empty lines
    are left out.

    A line longer than `max_line_bytes` drops the connection (`Refused`). A
    line split over reads is kept as the reads it came in and joined once,
    when its newline arrives: each byte is searched and copied once, however
    many reads the line takes (adding each read to the unfinished part copied
    it all again: quadratic, 721 MB after 40 s of a line that never ended).
    """
    content = response.content
    unfinished: list[bytes] = []  # the line the last reads left open, as those reads (their tails)
    unfinished_size = 0
    finished = False

    def too_long() -> Refused:
        return Refused(f"watch line longer than {size_text(max_line_bytes)}: dropped the connection")

    try:
        while True:
            try:
                chunk = await content.readany()
            except aiohttp.SocketTimeoutError:
                raise Inactive() from None
            except (aiohttp.ClientError, OSError) as error:
                raise Unreachable(_describe(error)) from None
            if not chunk:
                finished = True
                return  # a normal close
            find = chunk.find
            spans: list[Span] = []
            position = 0
            if unfinished:
                newline = find(b"\n")
                if newline < 0:
                    unfinished_size += len(chunk)
                    if unfinished_size > max_line_bytes:
                        raise too_long()
                    unfinished.append(chunk)
                    continue
                if unfinished_size + newline > max_line_bytes:
                    raise too_long()
                unfinished.append(chunk[:newline])
                head = b"".join(unfinished)
                spans.append((head, 0, len(head)))
                unfinished, unfinished_size = [], 0
                position = newline + 1
            while (newline := find(b"\n", position)) >= 0:
                if newline - position > max_line_bytes:
                    raise too_long()
                if newline > position:
                    spans.append((chunk, position, newline))
                position = newline + 1
            if position < len(chunk):
                if len(chunk) - position > max_line_bytes:
                    raise too_long()
                unfinished, unfinished_size = [chunk[position:]], len(chunk) - position
            if spans:
                yield spans
    finally:
        # A watch left mid-stream must not go back to the pool half read.
        response.release() if finished else response.close()


def parse_line(data: bytes, start: int = 0, end: int | None = None) -> Any:
    """One watch event, data[start:end] (read in place), without its object's managedFields; None for a
    line of only whitespace.

    The hot path of ingest. An event holds one object, whose metadata comes
    before everything it holds: only the first managedFields is looked for
    (searching the rest of the line would cost more than the cut: 0.5 ns a
    byte against memchr's 0.05).
    """
    end = len(data) if end is None else end
    trimmed = None
    mark = data.find(_MANAGED_FIELDS, start, end)
    if mark >= 0:
        cut = _member_end(data, mark, end)
        if cut is not None and cut[0] >= start:
            trimmed = data[start : cut[0]] + data[cut[1] : end]
    try:
        if trimmed is not None:
            try:
                return orjson.loads(trimmed)
            except orjson.JSONDecodeError:
                pass  # a `]` inside a string fooled the cut: parse it all
        return orjson.loads(memoryview(data)[start:end])
    except orjson.JSONDecodeError as error:
        if _bad_utf8(error):
            # As in a list (see `_repaired`): otherwise every resume from this resourceVersion fails alike.
            try:
                event = loads(_repaired(memoryview(data)[start:end]))
            except orjson.JSONDecodeError:
                pass
            else:
                log.warning("a watch event with invalid UTF-8: bad bytes replaced with U+FFFD")
                return event
        elif not data[start:end].strip():
            return None
        raise Unreachable("the watch stream sent a line that is not JSON") from None


def _describe(error: BaseException) -> str:
    if isinstance(error, aiohttp.ClientConnectorCertificateError):
        return f"TLS certificate not trusted: {error.certificate_error}"
    if isinstance(error, aiohttp.ClientConnectorError):
        return f"cannot connect to {error.host}:{error.port}: {_why_not_connected(error)}"
    if isinstance(error, aiohttp.ConnectionTimeoutError):
        return "connection timed out"
    if isinstance(error, (aiohttp.SocketTimeoutError, TimeoutError)):
        return "timed out waiting for the server"
    if isinstance(error, aiohttp.ServerDisconnectedError):
        return "the server closed the connection"
    if isinstance(error, aiohttp.ClientPayloadError):
        return "the connection broke mid-response"
    text = str(error)
    return f"{type(error).__name__}: {text}" if text else type(error).__name__


def _why_not_connected(error: aiohttp.ClientConnectorError) -> str:
    """In the words kubectl uses where they say more than Python's and OpenSSL's ("Connect call failed
    ('127.0.0.1', 1)", "[SSL: WRONG_VERSION_NUMBER] wrong version number (_ssl.c:1006)")."""
    cause = error.os_error
    if isinstance(cause, ConnectionRefusedError):
        return "connection refused"
    if isinstance(cause, ssl.SSLError) and cause.reason == "WRONG_VERSION_NUMBER":
        # kubectl: "http: server gave HTTP response to HTTPS client".
        return "the server answered plain HTTP to https (is its address http:// in the kubeconfig?)"
    if isinstance(cause, socket.gaierror) and cause.errno in (socket.EAI_NONAME, getattr(socket, "EAI_NODATA", None)):
        return "no such host"  # not a resolver that failed for now (EAI_AGAIN: a VPN down): its own words say so
    return str(error.strerror or cause)
