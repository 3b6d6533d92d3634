"""The aiohttp application: routes, the fault/auth middleware, listening.

Everything under /api and /apis is the Kubernetes API; /sim/ is the demo
cluster's own control surface (fault injection, facts about the cluster),
admin only and never subject to injected faults.
"""

from __future__ import annotations

import asyncio
import ipaddress
import logging
import time
from collections.abc import Awaitable, Callable
from typing import Any
from urllib.parse import urlsplit

import orjson
from aiohttp import web

from .. import errors
from ..auth import Authenticator
from ..faults import Faults, invoke
from ..registry import Registry
from . import discovery, openapi, openapi_protobuf
from .handlers import USER, ResourceHandlers, json_response
from .watch import WatchHub

log = logging.getLogger(__name__)
Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]

# The media types the Kubernetes API takes a request body in; a real apiserver
# answers others 415. A browser can POST text/plain (or a form) to any address
# without asking first, so accepting it would let any web page drive the demo
# cluster, which treats kubectl without a token as admin.
BODY_MEDIA_TYPES = frozenset(
    {
        "application/json",
        "application/yaml",
        "application/vnd.kubernetes.protobuf",
        "application/merge-patch+json",
        "application/strategic-merge-patch+json",
        "application/json-patch+json",
        "application/apply-patch+yaml",
    }
)
# asyncio's message when accept() fails for lack of file descriptors (or memory).
ACCEPT_ERROR = "socket.accept() out of system resource"
# At most one such report per this many seconds: asyncio retries every accept in
# its backlog and logs each (91,780 tracebacks in 40 s when out of descriptors).
ACCEPT_ERROR_INTERVAL = 10.0


def loopback_host(host: str) -> bool:
    """Whether a Host header (or an Origin's host) names this machine: 127.0.0.0/8, ::1, localhost; any port."""
    name = host.strip().lower()
    if name.startswith("["):  # [::1]:6443
        name = name[1 : name.find("]")] if "]" in name else name
    elif name.count(":") == 1:  # host:port (a bare IPv6 address has several colons)
        name = name.partition(":")[0]
    name = name.removesuffix(".")
    if name == "localhost":
        return True
    try:
        return ipaddress.ip_address(name).is_loopback
    except ValueError:
        return False


class AcceptErrorLimiter(logging.Filter):
    """On the asyncio logger: one accept() resource error per interval, saying how many were not shown."""

    def __init__(self, interval: float = ACCEPT_ERROR_INTERVAL, clock: Callable[[], float] = time.monotonic) -> None:
        super().__init__()
        self.interval = interval
        self.clock = clock
        self._last: float | None = None
        self._hidden = 0

    def filter(self, record: logging.LogRecord) -> bool:
        if not str(record.msg).startswith(ACCEPT_ERROR):
            return True
        now = self.clock()
        if self._last is not None and now - self._last < self.interval:
            self._hidden += 1
            return False
        self._last = now
        # One line: the error (EMFILE...) says it all; a traceback per report does not help.
        error = record.exc_info[1] if record.exc_info else None
        record.msg = f"{ACCEPT_ERROR}: {error or 'unknown error'}; retrying"
        if self._hidden:
            record.msg += f" ({self._hidden} more since the last report)"
        record.args = None
        record.exc_info = None
        record.exc_text = None
        self._hidden = 0
        return True


def limit_accept_errors() -> None:
    """Install the AcceptErrorLimiter on asyncio's logger, once per process."""
    asyncio_log = logging.getLogger("asyncio")
    if not any(isinstance(each, AcceptErrorLimiter) for each in asyncio_log.filters):
        asyncio_log.addFilter(AcceptErrorLimiter())


class ApiServer:
    def __init__(
        self,
        registry: Registry,
        auth: Authenticator,
        watches: WatchHub,
        host: str = "127.0.0.1",
        port: int = 0,
        info: Callable[[], dict] | None = None,
    ) -> None:
        self.registry = registry
        self.auth = auth
        self.watches = watches
        self.host = host
        self.port = port
        self.faults = Faults(registry.store, watches, self.pause_listening)
        self._info = info or (lambda: {})
        self._handlers = ResourceHandlers(registry, auth, watches)
        self._runner: web.AppRunner | None = None
        self._site: web.TCPSite | None = None
        self.app = web.Application(middlewares=[self._middleware])
        self.app.router.add_route("*", "/{path:.*}", self._route)

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    async def start(self) -> None:
        limit_accept_errors()
        # Short shutdown timeout: open watches must not hold a stop for a minute.
        self._runner = web.AppRunner(self.app, access_log=None, shutdown_timeout=0.5)
        await self._runner.setup()
        await self._listen()

    async def _listen(self) -> None:
        assert self._runner is not None
        self._site = web.TCPSite(self._runner, self.host, self.port, reuse_address=True)
        await self._site.start()
        # The bound port, which differs from the requested one when that was 0.
        self.port = self._site.port

    async def stop(self) -> None:
        await self.faults.aclose()
        self.watches.close_all()
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    async def pause_listening(self, seconds: float) -> None:
        """Refuse connections for `seconds`: stop listening, drop open connections, listen again."""
        if self._site is not None:
            await self._site.stop()
            self._site = None
        server = self._runner.server if self._runner else None
        for connection in list(getattr(server, "connections", []) or []):
            connection.force_close()
        await asyncio.sleep(seconds)
        if self._runner is not None:
            await self._listen()

    # middleware and routing ---------------------------------------------------------------

    @web.middleware
    async def _middleware(self, request: web.Request, handler: Handler) -> web.StreamResponse:
        try:
            self._check_origin(request)
            if not request.path.startswith("/sim/"):
                await self.faults.hold()
                self.faults.check_request()
            request[USER] = self.auth.authenticate(request.headers.get("Authorization"))
            response = await handler(request)
        except errors.StatusError as exc:
            response = json_response(exc.status(), status=exc.code, headers=exc.headers)
        except (ConnectionResetError, asyncio.CancelledError):
            raise
        except web.HTTPException:
            raise
        except Exception as exc:
            log.exception("request %s %s failed", request.method, request.path)
            error = errors.internal_error(repr(exc))
            response = json_response(error.status(), status=500)
        if not response.prepared:
            # The cluster's clock runs `speed` times faster than the wall clock; Date tells
            # clients the server's "now", so ages can be computed against it.
            response.headers["Date"] = self.registry.clock.http_date()
        return response

    def _check_origin(self, request: web.Request) -> None:
        """Refuse what a web page could send: another Host (DNS rebinding), another Origin, a non-API body."""
        host = request.headers.get("Host")
        if host is not None and not (loopback_host(host) or host.rpartition(":")[0] == self.host):
            raise errors.StatusError(
                403,
                "Forbidden",
                f"forbidden: the demo cluster answers only requests for 127.0.0.1, ::1 or localhost, not Host {host!r}",
                {},
            )
        origin = request.headers.get("Origin")
        if origin is not None and not loopback_host(urlsplit(origin).netloc):
            # kubectl and client libraries send no Origin; a browser does, on every cross-site POST.
            raise errors.StatusError(
                403, "Forbidden", f"forbidden: requests from web pages ({origin!r}) are not served", {}
            )
        if request.body_exists:
            media_type = request.headers.get("Content-Type", "").partition(";")[0].strip().lower()
            # A PUT without one is read as JSON, as a real server reads it: kubectl's scale client sends
            # `scale --current-replicas` so. A web page cannot send a PUT elsewhere without asking first.
            if media_type not in BODY_MEDIA_TYPES and not (request.method == "PUT" and not media_type):
                raise errors.unsupported_media_type()

    async def _route(self, request: web.Request) -> web.StreamResponse:
        parts = [p for p in request.path.split("/") if p]
        user = request[USER]
        if parts[:1] == ["sim"]:
            return await self._sim(request, parts[1:])
        if request.method == "GET" and parts in (["healthz"], ["livez"], ["readyz"]):
            return web.Response(text="ok")
        if request.method == "GET" and parts[:1] == ["openapi"]:
            self.auth.authorize_path(user, request.path)
            return self._openapi(request, parts[1:])
        if request.method == "GET" and len(parts) <= 3:
            doc = self._discovery(parts)
            if doc is not None:
                self.auth.authorize_path(user, request.path)
                return json_response(doc)
        if len(parts) >= 3 and parts[0] == "api" and parts[1] == "v1":
            return await self._handlers.handle(request, "", "v1", "/".join(parts[2:]))
        if len(parts) >= 4 and parts[0] == "apis":
            return await self._handlers.handle(request, parts[1], parts[2], "/".join(parts[3:]))
        raise errors.no_such_route()

    def _openapi(self, request: web.Request, parts: list[str]) -> web.StreamResponse:
        if parts == ["v2"]:
            accept = request.headers.get("Accept")
            if openapi_protobuf.wants_protobuf(accept):  # kubectl, to check a `kind: List` on its side
                return web.Response(body=openapi_protobuf.v2_bytes(), content_type=openapi_protobuf.CONTENT_TYPE)
            if not openapi.accepts_json(accept):
                raise errors.StatusError(406, "NotAcceptable", "only JSON or gnostic protobuf is served here", {})
            return web.Response(body=openapi.v2_bytes(), content_type="application/json")
        if parts == ["v3"]:
            return json_response(openapi.v3_index())
        if len(parts) >= 3 and parts[0] == "v3" and openapi.v3_document("/".join(parts[1:])) is not None:
            return web.Response(body=openapi.v3_bytes("/".join(parts[1:])), content_type="application/json")
        raise errors.no_such_route()

    def _discovery(self, parts: list[str]) -> dict | None:
        if parts == ["version"]:
            return discovery.VERSION_INFO
        if parts == ["api"]:
            return discovery.api_versions(f"{self.host}:{self.port}")
        if parts == ["api", "v1"]:
            return discovery.api_resource_list("", "v1")
        if parts == ["apis"]:
            return discovery.api_group_list()
        if len(parts) == 2 and parts[0] == "apis":
            return discovery.api_group(parts[1])
        if len(parts) == 3 and parts[0] == "apis":
            return discovery.api_resource_list(parts[1], parts[2])
        return None

    async def _sim(self, request: web.Request, parts: list[str]) -> web.StreamResponse:
        if not request[USER].admin:
            raise errors.StatusError(
                403,
                "Forbidden",
                f'forbidden: User "{request[USER].name}" cannot use the demo cluster\'s control endpoints',
                {},
            )
        if parts == ["info"] and request.method == "GET":
            return json_response(self._info())
        if parts == ["faults"] and request.method == "GET":
            return json_response(self.faults.describe())
        if len(parts) == 2 and parts[0] == "faults" and request.method == "POST":
            raw = await request.read()
            params: Any = {}
            if raw:
                try:
                    params = orjson.loads(raw)
                except orjson.JSONDecodeError:
                    raise errors.bad_request("fault parameters must be a JSON object") from None
            if not isinstance(params, dict):
                raise errors.bad_request("fault parameters must be a JSON object")
            result = invoke(self.faults, parts[1], params)
            return json_response({"fault": parts[1], "result": result, "state": self.faults.describe()})
        raise errors.no_such_route()
