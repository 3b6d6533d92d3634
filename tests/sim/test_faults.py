"""Every injected fault as kubernetes_asyncio experiences it, from Python and
through the /sim/faults HTTP endpoint."""

from __future__ import annotations

import asyncio
import time

import aiohttp
import pytest
from kubernetes_asyncio import watch
from kubernetes_asyncio.client import CoreV1Api
from kubernetes_asyncio.client.exceptions import ApiException

from tests.sim.simtools import api_client, status_body
from tests.waiting import eventually


def claim(name: str) -> dict:
    return {
        "metadata": {"name": name},
        "spec": {
            "accessModes": ["ReadWriteOnce"],
            "storageClassName": "manual",
            "resources": {"requests": {"storage": "1Gi"}},
        },
    }


async def next_event(w_iter, timeout: float = 3.0):
    return await asyncio.wait_for(w_iter.__anext__(), timeout)


async def test_close_watches_ends_open_streams_and_a_resume_loses_nothing(api, cluster):
    core = CoreV1Api(api)
    w = watch.Watch()
    stream = w.stream(core.list_namespaced_persistent_volume_claim, "default", timeout_seconds=30)
    await core.create_namespaced_persistent_volume_claim("default", claim("before"))
    assert (await next_event(stream))["raw_object"]["metadata"]["name"] == "before"
    started = time.monotonic()
    assert cluster.faults.close_watches() == 1
    with pytest.raises(StopAsyncIteration):
        await next_event(stream)
    assert time.monotonic() - started < 2  # ended by the fault, not by its 30 s timeout
    await core.create_namespaced_persistent_volume_claim("default", claim("while-away"))
    resumed = watch.Watch().stream(
        core.list_namespaced_persistent_volume_claim, "default", resource_version=w.resource_version, timeout_seconds=30
    )
    assert (await next_event(resumed))["raw_object"]["metadata"]["name"] == "while-away"
    await resumed.close()


async def test_compact_makes_a_resume_fail_with_410(api, cluster):
    core = CoreV1Api(api)
    rv = (await core.list_namespaced_persistent_volume_claim("default")).metadata.resource_version
    await core.create_namespaced_persistent_volume_claim("default", claim("x"))
    cluster.faults.compact()
    stream = watch.Watch().stream(
        core.list_namespaced_persistent_volume_claim, "default", resource_version=rv, timeout_seconds=5
    )
    with pytest.raises(ApiException) as gone:
        await next_event(stream)
    assert gone.value.status == 410 and "Expired" in gone.value.reason


async def test_compact_can_expire_open_watches_with_an_error_event(api, cluster):
    core = CoreV1Api(api)
    stream = watch.Watch().stream(core.list_namespaced_persistent_volume_claim, "default", timeout_seconds=30)
    await core.create_namespaced_persistent_volume_claim("default", claim("x"))
    await next_event(stream)
    cluster.faults.compact(expire_open_watches=True)
    with pytest.raises(ApiException) as gone:
        await next_event(stream)
    assert gone.value.status == 410
    assert "The resourceVersion for the provided watch is too old." in gone.value.reason


async def test_unavailable_answers_503_for_a_while(api, cluster):
    core = CoreV1Api(api)
    cluster.faults.unavailable(0.5)
    with pytest.raises(ApiException) as unavailable:
        await core.list_namespace()
    assert unavailable.value.status == 503 and status_body(unavailable.value)["reason"] == "ServiceUnavailable"
    await asyncio.sleep(0.6)
    assert (await core.list_namespace()).items


async def test_refused_connections_then_listening_again(cluster):
    cluster.faults.refuse_connections(0.5)
    await asyncio.sleep(0.05)
    async with api_client(cluster) as client:
        with pytest.raises(aiohttp.ClientConnectorError):
            await CoreV1Api(client).list_namespace()

    async def answering():
        async with api_client(cluster) as client:
            try:
                return bool((await CoreV1Api(client).list_namespace()).items)
            except aiohttp.ClientConnectorError:
                return False

    assert await eventually(answering, timeout=5, interval=0.1)


async def test_a_stalled_watch_sends_nothing_not_even_its_end(api, cluster):
    core = CoreV1Api(api)
    stream = watch.Watch().stream(
        core.list_namespaced_persistent_volume_claim, "default", timeout_seconds=1, allow_watch_bookmarks=True
    )
    await core.create_namespaced_persistent_volume_claim("default", claim("first"))
    await next_event(stream)
    cluster.faults.stall_watches(3.0, include_new=False)
    await core.create_namespaced_persistent_volume_claim("default", claim("unseen"))
    # Past its own 1 s timeout the stream neither delivers the event nor ends: only a client
    # inactivity timeout notices.
    with pytest.raises(asyncio.TimeoutError):
        await next_event(stream, timeout=1.5)
    await stream.close()
    # A new watch is not stalled (include_new=False) and sees everything.
    fresh = watch.Watch().stream(core.list_namespaced_persistent_volume_claim, "default", timeout_seconds=5)
    names = {(await next_event(fresh))["raw_object"]["metadata"]["name"] for _ in range(2)}
    assert names == {"first", "unseen"}
    await fresh.close()


async def test_throttle_answers_429_with_retry_after(cluster):
    cluster.faults.throttle(requests=2, retry_after=3)
    async with aiohttp.ClientSession() as http:
        for _ in range(2):
            async with http.get(f"{cluster.url}/api/v1/namespaces") as response:
                assert response.status == 429 and response.headers["Retry-After"] == "3"
                body = await response.json()
                assert body["reason"] == "TooManyRequests" and body["details"]["retryAfterSeconds"] == 3
        async with http.get(f"{cluster.url}/api/v1/namespaces") as response:
            assert response.status == 200


async def test_fail_requests_answers_500_to_the_next_n(api, cluster):
    core = CoreV1Api(api)
    cluster.faults.fail_requests(2)
    for _ in range(2):
        with pytest.raises(ApiException) as failed:
            await core.list_namespace()
        assert failed.value.status == 500 and status_body(failed.value)["reason"] == "InternalError"
    assert (await core.list_namespace()).items


async def test_faults_are_reachable_over_http_for_admin_only(cluster):
    admin = {"Authorization": f"Bearer {cluster.tokens['admin']}"}
    viewer = {"Authorization": f"Bearer {cluster.tokens['viewer']}"}
    async with aiohttp.ClientSession() as http:
        async with http.post(f"{cluster.url}/sim/faults/fail-requests", json={"requests": 1}, headers=admin) as r:
            assert r.status == 200 and (await r.json())["state"]["failRequestsLeft"] == 1
        async with http.get(f"{cluster.url}/api/v1/nodes", headers=admin) as r:
            assert r.status == 500
        async with http.post(f"{cluster.url}/sim/faults/unavailable", json={"seconds": 5}, headers=viewer) as r:
            assert r.status == 403
        async with http.post(f"{cluster.url}/sim/faults/nope", headers=admin) as r:
            assert r.status == 404
        async with http.post(f"{cluster.url}/sim/faults/throttle", json={"bogus": 1}, headers=admin) as r:
            assert r.status == 400
        async with http.get(f"{cluster.url}/sim/faults", headers=admin) as r:
            assert (await r.json())["failRequestsLeft"] == 0
        async with http.get(f"{cluster.url}/sim/info", headers=admin) as r:
            info = await r.json()
            assert info["url"] == cluster.url and info["speed"] == cluster.clock.speed
