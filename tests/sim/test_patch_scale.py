"""PATCH in its three flavours and the statefulsets/{name}/scale subresource."""

from __future__ import annotations

import aiohttp
import pytest
from kubernetes_asyncio.client import AppsV1Api
from kubernetes_asyncio.client.exceptions import ApiException

from tests.sim.simtools import status_body, web_manifest


async def raw_patch(cluster, path: str, content_type: str, body) -> tuple[int, dict]:
    async with (
        aiohttp.ClientSession() as http,
        http.patch(f"{cluster.url}{path}", json=body, headers={"Content-Type": content_type}) as response,
    ):
        return response.status, await response.json()


STS = "/apis/apps/v1/namespaces/default/statefulsets/web"


async def test_strategic_merge_patch_updates_one_container_by_name(api, cluster):
    manifest = web_manifest()
    manifest["spec"]["template"]["spec"]["containers"].append({"name": "sidecar", "image": "busybox:1.36"})
    await AppsV1Api(api).create_namespaced_stateful_set("default", manifest)
    # What `kubectl set image sts/web nginx=nginx:1.20` sends.
    code, body = await raw_patch(
        cluster,
        STS,
        "application/strategic-merge-patch+json",
        {"spec": {"template": {"spec": {"containers": [{"name": "nginx", "image": "nginx:1.20"}]}}}},
    )
    assert code == 200
    containers = body["spec"]["template"]["spec"]["containers"]
    assert [(c["name"], c["image"]) for c in containers] == [("nginx", "nginx:1.20"), ("sidecar", "busybox:1.36")]
    assert body["metadata"]["generation"] == 2


async def test_merge_patch_replaces_lists_and_null_deletes(api, cluster):
    manifest = web_manifest()
    manifest["metadata"]["labels"] = {"team": "a", "tier": "web"}
    await AppsV1Api(api).create_namespaced_stateful_set("default", manifest)
    code, body = await raw_patch(
        cluster,
        STS,
        "application/merge-patch+json",
        {
            "metadata": {"labels": {"team": None}},
            "spec": {"updateStrategy": {"type": "RollingUpdate", "rollingUpdate": {"partition": 2}}},
        },
    )
    assert code == 200
    assert body["metadata"]["labels"] == {"tier": "web"}
    assert body["spec"]["updateStrategy"]["rollingUpdate"] == {"partition": 2}


async def test_json_patch_applies_operations_and_a_failing_test_rejects_all(api, cluster):
    await AppsV1Api(api).create_namespaced_stateful_set("default", web_manifest())
    code, body = await raw_patch(
        cluster,
        STS,
        "application/json-patch+json",
        [
            {"op": "replace", "path": "/spec/replicas", "value": 4},
            {"op": "add", "path": "/metadata/annotations", "value": {"note": "x"}},
        ],
    )
    assert code == 200 and body["spec"]["replicas"] == 4 and body["metadata"]["annotations"] == {"note": "x"}
    code, body = await raw_patch(
        cluster,
        STS,
        "application/json-patch+json",
        [{"op": "replace", "path": "/spec/replicas", "value": 9}, {"op": "test", "path": "/spec/replicas", "value": 7}],
    )
    assert code == 422 and body["message"] == "the server rejected our request due to an error in our request"
    assert (await AppsV1Api(api).read_namespaced_stateful_set("web", "default")).spec.replicas == 4


async def test_unsupported_patch_type_is_415(api, cluster):
    await AppsV1Api(api).create_namespaced_stateful_set("default", web_manifest())
    code, body = await raw_patch(cluster, STS, "application/json", {})
    assert code == 415 and body["reason"] == "UnsupportedMediaType"


async def test_scale_subresource_get_put_patch(api):
    apps = AppsV1Api(api)
    await apps.create_namespaced_stateful_set("default", web_manifest(replicas=3))
    scale = await apps.read_namespaced_stateful_set_scale("web", "default")
    assert (scale.spec.replicas, scale.status.selector) == (3, "app=web")
    scale.spec.replicas = 5
    replaced = await apps.replace_namespaced_stateful_set_scale("web", "default", scale)
    assert replaced.spec.replicas == 5
    # The Scale's resourceVersion is the set's: a stale one conflicts, as on a real server.
    with pytest.raises(ApiException) as conflict:
        await apps.replace_namespaced_stateful_set_scale("web", "default", scale)
    assert conflict.value.status == 409
    assert status_body(conflict.value)["message"] == (
        'Operation cannot be fulfilled on statefulsets.apps "web": the object has been modified; please apply your '
        "changes to the latest version and try again"
    )
    patched = await apps.patch_namespaced_stateful_set_scale("web", "default", {"spec": {"replicas": 1}})
    assert patched.spec.replicas == 1
    assert (await apps.read_namespaced_stateful_set("web", "default")).spec.replicas == 1


async def test_status_written_through_the_main_resource_is_ignored(api, cluster):
    apps = AppsV1Api(api)
    await apps.create_namespaced_stateful_set("default", web_manifest(replicas=0))
    code, body = await raw_patch(cluster, STS, "application/merge-patch+json", {"status": {"readyReplicas": 7}})
    assert code == 200 and "readyReplicas" not in body["status"]
