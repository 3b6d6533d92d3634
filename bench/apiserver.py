"""A minimal Kubernetes list/watch endpoint for the live benchmarks, run in its own process.

    python -m bench.apiserver PODS.jsonl [NAMESPACE=EVENTS.jsonl ...]

prints its port on stdout, then serves until killed:

- pod lists per namespace from PODS.jsonl (one pod object per line, grouped by
  metadata.namespace), paged with limit/continue, at resourceVersion 1;
- the first pod watch of a NAMESPACE given an EVENTS file streams that file as
  it is (one watch event per line) as fast as the socket takes it, then ends;
  every later watch (the client's resume) stays open and silent;
- every other kind: an empty list and a silent watch.

It serves pre-encoded bytes and never parses what it sends, so the measured
side (the client) is the bottleneck, not this server. Any bearer token is
accepted; nothing here is meant to run outside the benchmark.
"""

from __future__ import annotations

import asyncio
import sys
from collections import defaultdict

import orjson
from aiohttp import web

CHUNK = 1 << 20


def load_pods(path: str) -> dict[str, list[bytes]]:
    by_namespace: dict[str, list[bytes]] = defaultdict(list)
    with open(path, "rb") as lines:
        for line in lines:
            line = line.rstrip(b"\n")
            if line:
                namespace = orjson.loads(line)["metadata"]["namespace"]
                by_namespace[namespace].append(line)
    return by_namespace


def make_app(pods: dict[str, list[bytes]], events: dict[str, str]) -> web.Application:
    streamed: set[str] = set()

    def page(kind: str, items: list[bytes], request: web.Request) -> web.Response:
        limit = int(request.query.get("limit") or 0) or len(items) or 1
        start = int(request.query.get("continue") or 0)
        end = start + limit
        metadata: dict = {"resourceVersion": "1"}
        if end < len(items):
            metadata["continue"] = str(end)
        body = (
            b'{"kind":"'
            + kind.encode()
            + b'List","apiVersion":"v1","metadata":'
            + orjson.dumps(metadata)
            + b',"items":['
            + b",".join(items[start:end])
            + b"]}"
        )
        return web.Response(body=body, content_type="application/json")

    async def silent(request: web.Request, response: web.StreamResponse) -> web.StreamResponse:
        while request.transport is not None and not request.transport.is_closing():
            await asyncio.sleep(0.5)
        return response

    async def handle(request: web.Request) -> web.StreamResponse:
        parts = request.path.strip("/").split("/")
        resource = parts[-1]
        namespace = parts[parts.index("namespaces") + 1] if "namespaces" in parts else None
        kind = {
            "pods": "Pod",
            "statefulsets": "StatefulSet",
            "persistentvolumeclaims": "PersistentVolumeClaim",
            "events": "Event",
            # stsviz watches revisions and volumes too: without them a LiveSource never settles (the memory
            # bench waits for every kind to be watching).
            "controllerrevisions": "ControllerRevision",
            "persistentvolumes": "PersistentVolume",
        }.get(resource)
        if kind is None:
            raise web.HTTPNotFound()
        if request.query.get("watch") not in ("true", "1"):
            items = pods.get(namespace or "", []) if resource == "pods" else []
            if resource == "pods" and namespace is None:
                items = [line for lines in pods.values() for line in lines]
            return page(kind, items, request)
        response = web.StreamResponse(headers={"Content-Type": "application/json"})
        response.enable_chunked_encoding()
        await response.prepare(request)
        path = events.get(namespace or "") if resource == "pods" else None
        if path is None or namespace in streamed:
            return await silent(request, response)
        streamed.add(namespace)
        with open(path, "rb") as stream:
            while chunk := stream.read(CHUNK):
                await response.write(chunk)
        await response.write_eof()
        return response

    app = web.Application()
    app.router.add_route("GET", "/{path:.*}", handle)
    return app


async def serve(pods_path: str, events: dict[str, str]) -> None:
    runner = web.AppRunner(make_app(load_pods(pods_path), events), access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    print(port, flush=True)
    await asyncio.Event().wait()


def main(argv: list[str]) -> None:
    events = dict(arg.split("=", 1) for arg in argv[1:])
    asyncio.run(serve(argv[0], events))


if __name__ == "__main__":
    main(sys.argv[1:])
