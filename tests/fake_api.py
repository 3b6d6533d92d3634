"""A tiny Kubernetes-shaped HTTP server on 127.0.0.1, scripted per test, and a fake clock.

It speaks the real wire format (lists with metadata.resourceVersion and
continue, watch streams of one JSON event per line, metav1.Status errors,
Retry-After), so the live source is exercised through kubernetes_asyncio's
real HTTP client. It is not a mock of the client: only the server's answers
are chosen by the test.

Each request to a collection is answered by the next scripted reply for
(resource, "list" | "watch"). Once a script is used up, lists answer the
current `objects` and watches stay open and silent until the client leaves.

It serves https, as a real API server, with a certificate made for the test
run (openssl) and trusted by the kubeconfig it writes: stsviz, as kubectl,
sends no credentials over plain http (`FakeApiServer(tls=False)` for that).
A client certificate is asked for but optional; `Seen` says if one came.
"""

from __future__ import annotations

import asyncio
import atexit
import base64
import shutil
import ssl
import subprocess
import tempfile
from collections import defaultdict, deque
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import orjson
from aiohttp import web

from stsviz.sources.live.timing import Timing

T0 = datetime(2026, 11, 25, 14, 0, tzinfo=UTC)
TOKEN = "s3cr3t-token-0123456789"

Reply = Callable[[web.Request], Awaitable[web.StreamResponse]]


@dataclass
class Seen:
    resource: str
    verb: str  # list | watch
    query: dict[str, str]
    authorization: str | None
    client_certificate: bool = False  # the client presented the test's client certificate


def obj(
    kind: str, name: str, *, namespace: str = "ns", uid: str | None = None, rv: str = "1", **fields: Any
) -> dict[str, Any]:
    """A raw API object of `kind` as the server sends it."""
    body: dict[str, Any] = {
        "kind": kind,
        "apiVersion": "apps/v1" if kind == "StatefulSet" else "v1",
        "metadata": {"name": name, "namespace": namespace, "uid": uid or f"{name}-uid", "resourceVersion": rv},
    }
    body.update(fields)
    return body


def pod(name: str, **kwargs: Any) -> dict[str, Any]:
    owner = name.rsplit("-", 1)[0]
    result = obj("Pod", name, **kwargs)
    result["metadata"]["ownerReferences"] = [{"kind": "StatefulSet", "name": owner, "controller": True}]
    result.setdefault("status", {"phase": "Running"})
    return result


def event(type_: str, body: dict[str, Any]) -> dict[str, Any]:
    return {"type": type_, "object": body}


def bookmark(rv: str, kind: str = "Pod") -> dict[str, Any]:
    return {"type": "BOOKMARK", "object": {"kind": kind, "apiVersion": "v1", "metadata": {"resourceVersion": rv}}}


def status_body(code: int, reason: str, message: str, **details: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "kind": "Status",
        "apiVersion": "v1",
        "metadata": {},
        "status": "Failure",
        "message": message,
        "reason": reason,
        "code": code,
    }
    if details:
        body["details"] = details
    return body


def error_event(code: int, reason: str, message: str) -> dict[str, Any]:
    return {"type": "ERROR", "object": status_body(code, reason, message)}


def items(objects: list[dict[str, Any]], rv: str, cont: str | None = None) -> Reply:
    async def reply(request: web.Request) -> web.StreamResponse:
        metadata: dict[str, Any] = {"resourceVersion": rv}
        if cont:
            metadata["continue"] = cont
        listed = [{k: v for k, v in o.items() if k not in ("kind", "apiVersion")} for o in objects]
        return web.Response(
            body=orjson.dumps({"kind": "List", "metadata": metadata, "items": listed}), content_type="application/json"
        )

    return reply


def status(code: int, reason: str, message: str, headers: dict[str, str] | None = None, **details: Any) -> Reply:
    async def reply(request: web.Request) -> web.StreamResponse:
        return web.Response(
            status=code,
            body=orjson.dumps(status_body(code, reason, message, **details)),
            content_type="application/json",
            headers=headers or {},
        )

    return reply


def stream(*lines: dict[str, Any], then: str = "close", pause: float = 0.0) -> Reply:
    """A watch response: these events, then a normal close or a silent open connection ("hang")."""

    async def reply(request: web.Request) -> web.StreamResponse:
        response = web.StreamResponse(headers={"Content-Type": "application/json"})
        await response.prepare(request)
        for line in lines:
            await response.write(orjson.dumps(line) + b"\n")
            if pause:
                await asyncio.sleep(pause)
        if then == "hang":
            await asyncio.Event().wait()  # until the client goes or the server stops
        await response.write_eof()
        return response

    return reply


def hang() -> Reply:
    return stream(then="hang")


@dataclass(frozen=True)
class Pki:
    """PEM files made once per test run: the server's certificate (for 127.0.0.1) and a client's."""

    directory: Path

    def pem(self, name: str) -> bytes:
        return (self.directory / f"{name}.pem").read_bytes()

    def path(self, name: str) -> str:
        return str(self.directory / f"{name}.pem")


_pki: Pki | None = None


def made_pki() -> Pki:
    """Self-signed EC certificates, made with openssl on first use and removed at exit."""
    global _pki
    if _pki is None:
        directory = Path(tempfile.mkdtemp(prefix="stsviz-test-pki-"))
        atexit.register(shutil.rmtree, directory, True)
        for name, subject, extension in (
            ("server", "/CN=127.0.0.1", "subjectAltName=IP:127.0.0.1"),
            ("client", "/CN=stsviz-test-user/O=system:masters", "extendedKeyUsage=clientAuth"),
        ):
            subprocess.run(
                [
                    "openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1",
                    "-nodes", "-days", "2", "-subj", subject, "-addext", extension,
                    "-keyout", str(directory / f"{name}-key.pem"), "-out", str(directory / f"{name}.pem"),
                ],
                check=True,
                capture_output=True,
            )  # fmt: skip
        _pki = Pki(directory)
    return _pki


class FakeApiServer:
    def __init__(self, *, tls: bool = True) -> None:
        self.tls = tls
        self.scripts: dict[tuple[str, str], deque[Reply]] = defaultdict(deque)
        self.objects: dict[str, list[dict[str, Any]]] = defaultdict(list)
        self.resource_version = "100"
        self.requests: list[Seen] = []
        self.writes: list[tuple[str, str]] = []  # (method, path) of every request that would change something
        self.write_answer: tuple[int, str, str] = (405, "MethodNotAllowed", "the fake server takes no writes")
        self.write_hold: asyncio.Event | None = None  # when set, a write is answered only once the event is set
        self.rules: list[dict[str, Any]] | None = None  # what a SelfSubjectRulesReview answers, if set
        self.rules_incomplete = False  # and whether the authorizer says it could not list every rule
        self.reviews: list[str] = []  # namespaces whose rules were asked for (a review changes nothing)
        self.tokens = {TOKEN}
        self.url = ""
        self._runner: web.AppRunner | None = None

    def script(self, resource: str, verb: str, *replies: Reply) -> None:
        self.scripts[(resource, verb)].extend(replies)

    def seen(self, resource: str, verb: str | None = None) -> list[Seen]:
        return [s for s in self.requests if s.resource == resource and (verb is None or s.verb == verb)]

    async def _write(self, request: web.Request) -> web.Response:
        """Anything but GET: recorded (tests prove a refused change never got here), then refused."""
        if request.path.endswith("/selfsubjectrulesreviews") and self.rules is not None:
            namespace = (await request.json()).get("spec", {}).get("namespace", "")
            self.reviews.append(namespace)
            status = {"resourceRules": self.rules, "nonResourceRules": [], "incomplete": self.rules_incomplete}
            return web.json_response({"kind": "SelfSubjectRulesReview", "status": status}, status=201)
        self.writes.append((request.method, request.path))
        if self.write_hold is not None:
            await self.write_hold.wait()
        code, reason, message = self.write_answer
        body = {"kind": "Status", "apiVersion": "v1", "status": "Failure", "reason": reason, "code": code}
        return web.json_response(body | {"message": message}, status=code)

    async def start(self, port: int = 0) -> str:
        """Serve on 127.0.0.1:`port` (0: any free port); the URL."""
        app = web.Application()
        app.router.add_get("/{tail:.*}", self._handle)
        app.router.add_route("*", "/{tail:.*}", self._write)
        self._runner = web.AppRunner(app, handler_cancellation=True, shutdown_timeout=0.5)
        await self._runner.setup()
        context = None
        if self.tls:
            pki = made_pki()
            context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
            context.load_cert_chain(pki.path("server"), pki.path("server-key"))
            context.verify_mode = ssl.CERT_OPTIONAL
            context.load_verify_locations(pki.path("client"))
        site = web.TCPSite(self._runner, "127.0.0.1", port, ssl_context=context)
        await site.start()
        port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
        self.url = f"{'https' if self.tls else 'http'}://127.0.0.1:{port}"
        return self.url

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()

    async def _handle(self, request: web.Request) -> web.StreamResponse:
        resource = request.path.rstrip("/").rsplit("/", 1)[-1]
        verb = "watch" if request.query.get("watch", "").lower() in ("true", "1") else "list"
        peer = request.transport.get_extra_info("peercert") if request.transport is not None else None
        self.requests.append(
            Seen(resource, verb, dict(request.query), request.headers.get("Authorization"), bool(peer))
        )
        token = request.headers.get("Authorization", "").removeprefix("Bearer ")
        if token not in self.tokens and not peer:  # as an API server: a token or a client certificate
            return await status(401, "Unauthorized", "Unauthorized")(request)
        script = self.scripts.get((resource, verb))
        if script:
            return await script.popleft()(request)
        collection = request.path.rstrip("/").split("/")[-2]
        if verb == "list" and collection in self.objects:  # one object by name, as actions read it
            named = [o for o in self.objects[collection] if o["metadata"]["name"] == resource]
            if not named:
                return await status(404, "NotFound", f'{collection} "{resource}" not found')(request)
            return web.json_response(named[0])
        if verb == "list":
            return await items(self.objects[resource], self.resource_version)(request)
        return await hang()(request)

    def kubeconfig(
        self,
        directory: Path,
        *,
        token: str | None = TOKEN,
        exec_command: list[str] | None = None,
        namespace: str = "ns",
        name: str = "fake",
        client_certificate: bool = False,
        server: str | None = None,
    ) -> Path:
        """A kubeconfig for this server (or `server`), trusting its certificate; the user as asked."""
        user: dict[str, Any] = {}
        if exec_command:
            user["exec"] = {
                "apiVersion": "client.authentication.k8s.io/v1beta1",
                "command": exec_command[0],
                "args": exec_command[1:],
            }
        elif token:
            user["token"] = token
        if client_certificate:
            pki = made_pki()
            user["client-certificate-data"] = base64.b64encode(pki.pem("client")).decode()
            user["client-key-data"] = base64.b64encode(pki.pem("client-key")).decode()
        cluster: dict[str, Any] = {"server": server or self.url}
        if self.tls:
            cluster["certificate-authority-data"] = base64.b64encode(made_pki().pem("server")).decode()
        config = {
            "apiVersion": "v1",
            "kind": "Config",
            "current-context": name,
            "clusters": [{"name": name, "cluster": cluster}],
            "users": [{"name": name, "user": user}],
            "contexts": [{"name": name, "context": {"cluster": name, "user": name, "namespace": namespace}}],
        }
        path = directory / f"{name}.kubeconfig"
        path.write_bytes(orjson.dumps(config))  # JSON is YAML
        return path


@dataclass
class FakeTime:
    """A clock that moves only when the code sleeps (or the test says so); sleeps are recorded.

    With `hold` set, a sleep waits until the test calls `release()`, so the
    status during the wait can be looked at.
    """

    now: float = 1000.0
    sleeps: list[float] = field(default_factory=list)
    hold: bool = False
    random_value: float = 1.0
    _waiting: list[asyncio.Event] = field(default_factory=list)

    def clock(self) -> float:
        return self.now

    def wall(self) -> datetime:
        return T0 + timedelta(seconds=self.now - 1000.0)

    def random(self) -> float:
        return self.random_value

    async def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        if self.hold:
            released = asyncio.Event()
            self._waiting.append(released)
            await released.wait()
        self.now += seconds
        await asyncio.sleep(0)

    def release(self) -> None:
        """Let every sleep that is waiting now end (each informer may be in one)."""
        waiting, self._waiting = self._waiting, []
        for released in waiting:
            released.set()

    def timing(self, **overrides: Any) -> Timing:
        values: dict[str, Any] = dict(
            clock=self.clock,
            wall=self.wall,
            sleep=self.sleep,
            random=self.random,
            inactivity_timeout=5.0,
            probe_interval=None,  # the probe's own tests ask for it: its sleeps would crowd the backoff's
            short_watch=0.0,
            connect_timeout=2.0,
            list_timeout=5.0,
        )
        values.update(overrides)
        return Timing(**values)
