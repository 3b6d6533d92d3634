"""A list/watch endpoint whose pods churn at a steady rate, for the frame-rate benchmark; its own process.

    python -m bench.churn SETS PODS RATE

prints its port on stdout, then serves namespace `churn` until killed: SETS
StatefulSets (`web0`..) of PODS/SETS real pods each (managedFields and all),
listed Ready; every pod watch then streams MODIFIED events at RATE a second,
round after round over every pod, each flipping the pod between Ready and
running-not-Ready, so every row on screen keeps changing. Other kinds: empty
lists, silent watches. Events are encoded before serving starts, so the
client (the screen) is what is measured.
"""

from __future__ import annotations

import asyncio
import itertools
import sys
import time

import orjson
from aiohttp import web

from bench.live import _pods, _statefulset_template

NAMESPACE = "churn"
TICK = 0.01  # seconds between writes: 100 small bursts a second, not one big one


def statefulsets(sets: int, per_set: int) -> list[bytes]:
    sts = _statefulset_template()
    items = []
    for index in range(sets):
        sts["metadata"].update(name=f"web{index}", namespace=NAMESPACE, uid=f"{index:08d}-1111-4000-8000-000000000000")
        sts["spec"]["replicas"] = per_set
        counts = ("replicas", "readyReplicas", "currentReplicas", "updatedReplicas", "availableReplicas")
        sts["status"].update(dict.fromkeys(counts, per_set))
        items.append(orjson.dumps(sts))
    return items


def pods(count: int, sets: int) -> tuple[list[bytes], list[bytes]]:
    """Each pod Ready (listed, and every other round) and running-not-Ready, as JSON."""
    ready, not_ready = [], []
    for pod in _pods(NAMESPACE, count, sets):
        ready.append(orjson.dumps(pod))
        conditions = pod["status"]["conditions"]
        flipped = [dict(c, status="False") if c["type"] in ("Ready", "ContainersReady") else c for c in conditions]
        statuses = [dict(s, ready=False) for s in pod["status"]["containerStatuses"]]
        not_ready.append(
            orjson.dumps(dict(pod, status=dict(pod["status"], conditions=flipped, containerStatuses=statuses)))
        )
    return ready, not_ready


def make_app(sets: list[bytes], ready: list[bytes], not_ready: list[bytes], rate: float) -> web.Application:
    watch_lines = [
        [b'{"type":"MODIFIED","object":' + obj + b"}\n" for obj in variant] for variant in (not_ready, ready)
    ]

    def listing(kind: str, items: list[bytes]) -> web.Response:
        body = b'{"kind":"' + kind.encode() + b'List","apiVersion":"v1","metadata":{"resourceVersion":"1"},"items":['
        return web.Response(body=body + b",".join(items) + b"]}", content_type="application/json")

    async def churn(response: web.StreamResponse) -> None:
        events = itertools.cycle(line for variant in watch_lines for line in variant)
        began, sent = time.perf_counter(), 0
        while True:
            await asyncio.sleep(TICK)
            due = int((time.perf_counter() - began) * rate) - sent
            if due > 0:
                await response.write(b"".join(itertools.islice(events, due)))
                sent += due

    async def handle(request: web.Request) -> web.StreamResponse:
        resource = request.path.rstrip("/").rsplit("/", 1)[-1]
        kinds = {"pods": "Pod", "statefulsets": "StatefulSet", "persistentvolumeclaims": "PersistentVolumeClaim"}
        kind = kinds.get(resource, "Event")
        if request.query.get("watch") not in ("true", "1"):
            return listing(kind, {"pods": ready, "statefulsets": sets}.get(resource, []))
        response = web.StreamResponse(headers={"Content-Type": "application/json"})
        response.enable_chunked_encoding()
        await response.prepare(request)
        if resource == "pods":
            await churn(response)
        while request.transport is not None and not request.transport.is_closing():
            await asyncio.sleep(0.5)
        return response

    app = web.Application()
    app.router.add_route("GET", "/{path:.*}", handle)
    return app


async def serve(sets: int, count: int, rate: float) -> None:
    ready, not_ready = pods(count, sets)
    app = make_app(statefulsets(sets, count // sets), ready, not_ready, rate)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    print(site._server.sockets[0].getsockname()[1], flush=True)  # type: ignore[union-attr]
    await asyncio.Event().wait()


if __name__ == "__main__":
    sets_, count_, rate_ = sys.argv[1:4]
    asyncio.run(serve(int(sets_), int(count_), float(rate_)))
