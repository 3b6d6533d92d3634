"""Lists and watches as kubernetes_asyncio and an informer use them: pages,
selectors, resuming from a resourceVersion, bookmarks, timeouts, 410 Gone."""

from __future__ import annotations

import asyncio

import aiohttp
import pytest
from kubernetes_asyncio import watch
from kubernetes_asyncio.client import CoreV1Api
from kubernetes_asyncio.client.exceptions import ApiException

from stsviz.sim import SimCluster
from tests.sim.simtools import status_body


def claim(name: str, **labels: str) -> dict:
    # Storage class "manual" has no binder in the demo cluster: the claim changes only when we change it.
    return {
        "metadata": {"name": name, "labels": labels},
        "spec": {
            "accessModes": ["ReadWriteOnce"],
            "storageClassName": "manual",
            "resources": {"requests": {"storage": "1Gi"}},
        },
    }


async def make_claims(api, count: int, **labels: str) -> None:
    core = CoreV1Api(api)
    for i in range(count):
        await core.create_namespaced_persistent_volume_claim("default", claim(f"c{i:02d}", **labels))


async def test_paginated_list_is_a_consistent_snapshot(api):
    core = CoreV1Api(api)
    await make_claims(api, 5)
    first = await core.list_namespaced_persistent_volume_claim("default", limit=2)
    assert [c.metadata.name for c in first.items] == ["c00", "c01"]
    assert first.metadata.remaining_item_count == 3
    # Changes after the first page do not show up in later pages of the same list.
    await core.create_namespaced_persistent_volume_claim("default", claim("c99"))
    await core.delete_namespaced_persistent_volume_claim("c03", "default")
    names = [c.metadata.name for c in first.items]
    token = first.metadata._continue
    while token:
        page = await core.list_namespaced_persistent_volume_claim("default", limit=2, _continue=token)
        assert page.metadata.resource_version == first.metadata.resource_version
        names += [c.metadata.name for c in page.items]
        token = page.metadata._continue
    assert names == ["c00", "c01", "c02", "c03", "c04"]


async def test_continue_token_older_than_the_history_is_410_expired(api, cluster):
    core = CoreV1Api(api)
    await make_claims(api, 3)
    first = await core.list_namespaced_persistent_volume_claim("default", limit=1)
    await core.create_namespaced_persistent_volume_claim("default", claim("late"))
    cluster.faults.compact()
    with pytest.raises(ApiException) as gone:
        await core.list_namespaced_persistent_volume_claim("default", limit=1, _continue=first.metadata._continue)
    assert gone.value.status == 410
    assert status_body(gone.value)["reason"] == "Expired"
    assert status_body(gone.value)["message"].startswith("The provided continue parameter is too old")


async def test_label_and_field_selectors_filter_lists(api):
    core = CoreV1Api(api)
    await make_claims(api, 2, tier="db")
    await core.create_namespaced_persistent_volume_claim("default", claim("web", tier="web"))

    async def names(**kw):
        return [c.metadata.name for c in (await core.list_namespaced_persistent_volume_claim("default", **kw)).items]

    assert await names(label_selector="tier=db") == ["c00", "c01"]
    assert await names(label_selector="tier in (web, cache)") == ["web"]
    assert await names(label_selector="tier!=db") == ["web"]
    assert await names(field_selector="metadata.name=c01") == ["c01"]
    with pytest.raises(ApiException) as bad:
        await names(field_selector="spec.foo=x")
    assert status_body(bad.value)["message"] == "field label not supported: spec.foo"


async def test_watch_starts_with_current_objects_then_streams_changes(api):
    core = CoreV1Api(api)
    await make_claims(api, 2)
    seen = []
    w = watch.Watch()
    async for event in w.stream(core.list_namespaced_persistent_volume_claim, "default", timeout_seconds=5):
        seen.append((event["type"], event["raw_object"]["metadata"]["name"]))
        if len(seen) == 2:
            await core.create_namespaced_persistent_volume_claim("default", claim("new"))
        if ("ADDED", "new") in seen:
            w.stop()
    assert seen[:2] == [("ADDED", "c00"), ("ADDED", "c01")]
    assert ("ADDED", "new") in seen


async def test_watch_resumes_from_a_resource_version_without_losing_events(api):
    core = CoreV1Api(api)
    listed = await core.list_namespaced_persistent_volume_claim("default")
    await make_claims(api, 3)
    await core.delete_namespaced_persistent_volume_claim("c01", "default")
    seen = []
    w = watch.Watch()
    async for event in w.stream(
        core.list_namespaced_persistent_volume_claim,
        "default",
        resource_version=listed.metadata.resource_version,
        timeout_seconds=5,
    ):
        seen.append((event["type"], event["raw_object"]["metadata"]["name"]))
        if ("MODIFIED", "c01") in seen:
            w.stop()
    # pvc-protection: the delete marks c01 first (MODIFIED), the controller then lets it go.
    assert seen[:4] == [("ADDED", "c00"), ("ADDED", "c01"), ("ADDED", "c02"), ("MODIFIED", "c01")]


async def test_a_label_selected_watch_sees_objects_leave_and_enter_the_selection(api):
    core = CoreV1Api(api)
    await core.create_namespaced_persistent_volume_claim("default", claim("moving", tier="db"))
    seen = []
    w = watch.Watch()
    async for event in w.stream(
        core.list_namespaced_persistent_volume_claim, "default", label_selector="tier=db", timeout_seconds=5
    ):
        seen.append(event["type"])
        if seen == ["ADDED"]:
            await core.patch_namespaced_persistent_volume_claim(
                "moving", "default", {"metadata": {"labels": {"tier": "web"}}}
            )
        elif seen == ["ADDED", "DELETED"]:
            await core.patch_namespaced_persistent_volume_claim(
                "moving", "default", {"metadata": {"labels": {"tier": "db"}}}
            )
        elif len(seen) == 3:
            w.stop()
    assert seen == ["ADDED", "DELETED", "ADDED"]


async def test_watch_from_a_compacted_resource_version_gets_an_expired_error_event(api, cluster):
    core = CoreV1Api(api)
    old = (await core.list_namespaced_persistent_volume_claim("default")).metadata.resource_version
    await make_claims(api, 1)
    cluster.faults.compact()
    # The real server answers HTTP 200 and one ERROR event with a 410 Status, then ends the stream.
    async with (
        aiohttp.ClientSession() as http,
        http.get(
            f"{cluster.url}/api/v1/namespaces/default/persistentvolumeclaims",
            params={"watch": "True", "resourceVersion": old},
        ) as response,
    ):
        assert response.status == 200
        lines = (await response.read()).decode().splitlines()
    assert len(lines) == 1
    import json

    event = json.loads(lines[0])
    assert event["type"] == "ERROR"
    assert event["object"]["code"] == 410 and event["object"]["reason"] == "Expired"
    assert event["object"]["message"].startswith(f"too old resource version: {old} (")
    # kubernetes_asyncio turns it into an ApiException(410) when it may not retry on its own.
    w = watch.Watch()
    with pytest.raises(ApiException) as gone:
        async for _ in w.stream(
            core.list_namespaced_persistent_volume_claim, "default", resource_version=old, timeout_seconds=5
        ):
            pass
    assert gone.value.status == 410


async def test_bookmarks_carry_the_newest_resource_version_of_the_type():
    async with SimCluster(speed=20, bookmark_interval=0.2) as cluster:
        from tests.sim.simtools import api_client

        async with api_client(cluster) as api:
            core = CoreV1Api(api)
            start = (await core.list_namespaced_persistent_volume_claim("default")).metadata.resource_version
            # A change the watch's selector filters out: only a bookmark can tell the client it happened.
            created = await core.create_namespaced_persistent_volume_claim("default", claim("x"))
            w = watch.Watch()
            events = []
            async for event in w.stream(
                core.list_namespaced_persistent_volume_claim,
                "default",
                resource_version=start,
                allow_watch_bookmarks=True,
                timeout_seconds=5,
                label_selector="nothing=matches",
            ):
                events.append(event)
                w.stop()
            assert [e["type"] for e in events] == ["BOOKMARK"]
            bookmark_rv = int(events[0]["raw_object"]["metadata"]["resourceVersion"])
            assert bookmark_rv >= int(created.metadata.resource_version) > int(start)
            assert events[0]["raw_object"]["kind"] == "PersistentVolumeClaim"
            # The client resumes from the bookmark, not from where it started.
            assert w.resource_version == str(bookmark_rv)


async def test_watch_ends_after_timeout_seconds(api):
    core = CoreV1Api(api)
    loop = asyncio.get_running_loop()
    started = loop.time()
    events = [e async for e in watch.Watch().stream(core.list_namespaced_pod, "default", timeout_seconds=1)]
    assert events == []
    assert 0.9 <= loop.time() - started < 3
