"""The demo cluster's REST API through kubernetes_asyncio over real HTTP:
discovery, CRUD, errors shaped like a 1.20 server's, auth."""

from __future__ import annotations

from datetime import UTC

import aiohttp
import pytest
from kubernetes_asyncio.client import ApisApi, AppsV1Api, CoreApi, CoreV1Api, VersionApi
from kubernetes_asyncio.client.exceptions import ApiException

from stsviz.sim import SimCluster
from tests.sim.simtools import api_client, status_body, web_manifest


async def test_discovery_lists_the_served_types_and_the_scale_subresource(api):
    version = await VersionApi(api).get_code()
    assert (version.major, version.minor) == ("1", "20")
    assert (await CoreApi(api).get_api_versions()).versions == ["v1"]
    groups = {g.name: g.preferred_version.group_version for g in (await ApisApi(api).get_api_versions()).groups}
    assert groups == {
        "apps": "apps/v1",
        "authorization.k8s.io": "authorization.k8s.io/v1",
        "autoscaling": "autoscaling/v1",
        "networking.k8s.io": "networking.k8s.io/v1",
        "policy": "policy/v1beta1",  # 1.20's preferred version: policy/v1 came in 1.21
        "rbac.authorization.k8s.io": "rbac.authorization.k8s.io/v1",
        "storage.k8s.io": "storage.k8s.io/v1",
    }
    apps = {r.name: r for r in (await AppsV1Api(api).get_api_resources()).resources}
    assert apps["statefulsets"].short_names == ["sts"]
    assert (apps["statefulsets/scale"].group, apps["statefulsets/scale"].version, apps["statefulsets/scale"].kind) == (
        "autoscaling",
        "v1",
        "Scale",
    )
    core = {r.name for r in (await CoreV1Api(api).get_api_resources()).resources}
    assert {"pods", "persistentvolumeclaims", "persistentvolumes", "events", "namespaces", "nodes"} <= core


async def test_create_get_list_delete_a_namespaced_object(api):
    core = CoreV1Api(api)
    created = await core.create_namespaced_persistent_volume_claim(
        "default",
        {
            "metadata": {"name": "data", "labels": {"tier": "db"}},
            "spec": {
                "accessModes": ["ReadWriteOnce"],
                "storageClassName": "standard",
                "resources": {"requests": {"storage": "1Gi"}},
            },
        },
    )
    assert created.metadata.uid and created.metadata.resource_version
    # Server-side defaults and the protection finalizer, as a real server stores them.
    assert created.spec.volume_mode == "Filesystem"
    assert created.metadata.finalizers == ["kubernetes.io/pvc-protection"]
    fetched = await core.read_namespaced_persistent_volume_claim("data", "default")
    assert fetched.metadata.uid == created.metadata.uid
    listed = await core.list_namespaced_persistent_volume_claim("default", label_selector="tier=db")
    assert [p.metadata.name for p in listed.items] == ["data"]
    assert int(listed.metadata.resource_version) >= int(created.metadata.resource_version)


async def test_errors_are_status_objects_shaped_like_the_real_servers(api):
    apps, core = AppsV1Api(api), CoreV1Api(api)
    with pytest.raises(ApiException) as missing:
        await apps.read_namespaced_stateful_set("nope", "default")
    assert missing.value.status == 404
    assert status_body(missing.value) == {
        "kind": "Status",
        "apiVersion": "v1",
        "metadata": {},
        "status": "Failure",
        "message": 'statefulsets.apps "nope" not found',
        "reason": "NotFound",
        "details": {"name": "nope", "group": "apps", "kind": "statefulsets"},
        "code": 404,
    }
    await apps.create_namespaced_stateful_set("default", web_manifest())
    with pytest.raises(ApiException) as exists:
        await apps.create_namespaced_stateful_set("default", web_manifest())
    assert exists.value.status == 409 and status_body(exists.value)["reason"] == "AlreadyExists"
    assert status_body(exists.value)["message"] == 'statefulsets.apps "web" already exists'
    with pytest.raises(ApiException) as no_ns:
        await core.create_namespaced_pod(
            "nowhere", {"metadata": {"name": "p"}, "spec": {"containers": [{"name": "c", "image": "x:1"}]}}
        )
    assert status_body(no_ns.value)["message"] == 'namespaces "nowhere" not found'
    with pytest.raises(ApiException) as invalid:
        await apps.patch_namespaced_stateful_set_scale("web", "default", {"spec": {"replicas": -1}})
    body = status_body(invalid.value)
    assert invalid.value.status == 422 and body["reason"] == "Invalid"
    assert body["message"] == (
        'Scale.autoscaling "web" is invalid: spec.replicas: Invalid value: -1: must be greater than or equal to 0'
    )
    # replicas is an int32: more cannot be decoded, and the set is left as it was (it used to take it).
    for change in (
        lambda: apps.patch_namespaced_stateful_set_scale("web", "default", {"spec": {"replicas": 2**31}}),
        lambda: apps.patch_namespaced_stateful_set("web", "default", {"spec": {"replicas": 99999999999}}),
    ):
        with pytest.raises(ApiException) as too_big:
            await change()
        assert too_big.value.status == 400 and "of type int32" in status_body(too_big.value)["message"]
    assert (await apps.read_namespaced_stateful_set("web", "default")).spec.replicas == 3


async def test_selector_not_matching_template_is_rejected_with_the_upstream_message(api):
    manifest = web_manifest()
    manifest["spec"]["selector"] = {"matchLabels": {"app": "other"}}
    with pytest.raises(ApiException) as invalid:
        await AppsV1Api(api).create_namespaced_stateful_set("default", manifest)
    assert status_body(invalid.value)["details"]["causes"][0] == {
        "reason": "FieldValueInvalid",
        "field": "spec.template.metadata.labels",
        "message": 'Invalid value: map[string]string{"app":"web"}: `selector` does not match template `labels`',
    }


async def test_delete_with_a_stale_uid_precondition_is_a_conflict(api, cluster):
    core = CoreV1Api(api)
    await core.create_namespaced_persistent_volume_claim(
        "default",
        {
            "metadata": {"name": "data"},
            "spec": {
                "accessModes": ["ReadWriteOnce"],
                "storageClassName": "standard",
                "resources": {"requests": {"storage": "1Gi"}},
            },
        },
    )
    real_uid = (await core.read_namespaced_persistent_volume_claim("data", "default")).metadata.uid
    with pytest.raises(ApiException) as conflict:
        await core.delete_namespaced_persistent_volume_claim("data", "default", body={"preconditions": {"uid": "abc"}})
    assert conflict.value.status == 409
    assert status_body(conflict.value) == {
        "kind": "Status",
        "apiVersion": "v1",
        "metadata": {},
        "status": "Failure",
        "message": f'Operation cannot be fulfilled on PersistentVolumeClaim "data": the UID in the precondition (abc) '
        f"does not match the UID in record ({real_uid}). The object might have been deleted and then "
        "recreated",
        "reason": "Conflict",
        "details": {"name": "data", "kind": "PersistentVolumeClaim"},
        "code": 409,
    }


async def test_viewer_reads_but_cannot_scale_with_the_real_forbidden_message(cluster, viewer_api):
    cluster.apply(web_manifest())
    apps = AppsV1Api(viewer_api)
    assert [s.metadata.name for s in (await apps.list_namespaced_stateful_set("default")).items] == ["web"]
    with pytest.raises(ApiException) as refused:
        await apps.patch_namespaced_stateful_set_scale("web", "default", {"spec": {"replicas": 5}})
    assert refused.value.status == 403
    assert status_body(refused.value) == {
        "kind": "Status",
        "apiVersion": "v1",
        "metadata": {},
        "status": "Failure",
        "message": 'statefulsets.apps "web" is forbidden: User "viewer" cannot patch resource "statefulsets/scale" '
        'in API group "apps" in the namespace "default"',
        "reason": "Forbidden",
        "details": {"name": "web", "group": "apps", "kind": "statefulsets"},
        "code": 403,
    }
    with pytest.raises(ApiException) as nodes:
        await CoreV1Api(viewer_api).list_node()
    assert status_body(nodes.value)["message"] == (
        'nodes is forbidden: User "viewer" cannot list resource "nodes" in API group "" at the cluster scope'
    )


async def test_an_unknown_token_is_unauthorized(cluster):
    async with (
        aiohttp.ClientSession() as http,
        http.get(f"{cluster.url}/api/v1/namespaces", headers={"Authorization": "Bearer bogus"}) as response,
    ):
        assert response.status == 401
        assert (await response.json())["reason"] == "Unauthorized"


async def test_anonymous_is_admin_unless_auth_is_strict(cluster):
    async with api_client(cluster, user=None) as anonymous:
        assert (await CoreV1Api(anonymous).list_namespace()).items
    async with SimCluster(strict_auth=True) as strict, api_client(strict, user=None) as anonymous:
        with pytest.raises(ApiException) as refused:
            await CoreV1Api(anonymous).list_namespace()
        assert status_body(refused.value)["message"] == (
            'namespaces is forbidden: User "system:anonymous" cannot list resource "namespaces" in API group "" '
            "at the cluster scope"
        )


async def test_unknown_paths_answer_not_found_as_a_status(cluster):
    async with (
        aiohttp.ClientSession() as http,
        http.get(f"{cluster.url}/api/v1/namespaces/default/foos") as response,
    ):
        assert response.status == 404
        assert await response.json() == {
            "kind": "Status",
            "apiVersion": "v1",
            "metadata": {},
            "status": "Failure",
            "reason": "NotFound",
            "details": {},
            "code": 404,
            "message": "the server could not find the requested resource",
        }


@pytest.mark.parametrize("method", ["PUT", "PATCH"])
async def test_put_and_patch_on_a_collection_are_not_allowed(cluster, method):
    # A collection's routes are list, watch, create and deletecollection; upstream answers 405 to the rest.
    async with (
        aiohttp.ClientSession() as http,
        http.request(
            method,
            f"{cluster.url}/api/v1/namespaces/default/pods",
            data=b"{}",
            headers={"Content-Type": "application/merge-patch+json" if method == "PATCH" else "application/json"},
        ) as response,
    ):
        assert response.status == 405
        body = await response.json()
        assert (body["reason"], body["message"]) == (
            "MethodNotAllowed",
            "the server does not allow this method on the requested resource",
        )


async def test_date_header_is_cluster_time_which_runs_ahead_at_speed(cluster):
    import asyncio
    from datetime import datetime
    from email.utils import parsedate_to_datetime

    await asyncio.sleep(0.5)  # 0.5 s real = 20 s of cluster time at 40×
    async with aiohttp.ClientSession() as http, http.get(f"{cluster.url}/api/v1/namespaces/default") as response:
        server_now = parsedate_to_datetime(response.headers["Date"])
        created = (await response.json())["metadata"]["creationTimestamp"]
    wall_now = datetime.now(UTC)
    assert (server_now - wall_now).total_seconds() > 10
    # Ages computed against the Date header come out right; against the wall clock they would be negative.
    assert server_now >= datetime.fromisoformat(created.replace("Z", "+00:00"))
