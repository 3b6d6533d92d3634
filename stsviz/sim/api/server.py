"""The aiohttp application: routes, the fault/auth middleware, listening.

Everything under /api and /apis is the Kubernetes API; /sim/ is the demo
cluster's own control surface (fault injection, facts about the cluster),
admin only and never subject to injected faults.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from typing import Any

import orjson
from aiohttp import web

from .. import errors
from ..auth import Authenticator
from ..faults import Faults, invoke
from ..registry import Registry
from . import discovery
from .handlers import USER, ResourceHandlers, json_response
from .watch import WatchHub

log = logging.getLogger(__name__)
Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


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
        # Short shutdown timeout: open watches must not hold a stop for a minute.
        self._runner = web.AppRunner(self.app, access_log=None, shutdown_timeout=0.5)
        await self._runner.setup()
        await self._listen()

    async def _listen(self) -> None:
        assert self._runner is not None
        self._site = web.TCPSite(self._runner, self.host, self.port, reuse_address=True)
        await self._site.start()
        sockets = self._site._server.sockets if self._site._server else []  # type: ignore[union-attr]
        if sockets:
            self.port = sockets[0].getsockname()[1]

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
            if not request.path.startswith("/sim/"):
                self.faults.check_request()
            request[USER] = self.auth.authenticate(request.headers.get("Authorization"))
            response = await handler(request)
        except errors.ApiError as exc:
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

    async def _route(self, request: web.Request) -> web.StreamResponse:
        parts = [p for p in request.path.split("/") if p]
        user = request[USER]
        if parts[:1] == ["sim"]:
            return await self._sim(request, parts[1:])
        if request.method == "GET" and parts in (["healthz"], ["livez"], ["readyz"]):
            return web.Response(text="ok")
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
            raise errors.ApiError(
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
