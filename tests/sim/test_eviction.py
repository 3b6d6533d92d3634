"""The pods/eviction subresource on the demo, through the client library, against 1.20's EvictionREST.

`kubectl drain` beside a real 1.20 server is in test_kubectl_twin_drain; here
the cases around it: pods that go whatever the budget says, a pod two budgets
select, two evictions faster than the disruption controller recounts, and a
user whose RBAC does not allow evicting.
"""

from __future__ import annotations

import json
import re

import aiohttp
import pytest
from kubernetes_asyncio.client import CoreV1Api

from stsviz.sim.resources import PODS
from tests.sim.simtools import rolled_out, web_manifest
from tests.sim.test_disruption import budget, status
from tests.waiting import eventually

SUCCESS = {"kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Success", "code": 201}


def eviction(name: str) -> dict:
    return {"apiVersion": "policy/v1beta1", "kind": "Eviction", "metadata": {"name": name, "namespace": "default"}}


async def evict(api, name: str) -> tuple[int, dict]:
    """The HTTP code and the Status as sent (the client would read a 201's body as an Eviction, and drop
    the Status's fields)."""
    answer = await CoreV1Api(api).create_namespaced_pod_eviction(
        name, "default", eviction(name), _preload_content=False
    )
    return answer.status, json.loads(await answer.read())


def deleting(cluster, name: str) -> bool:
    pod = cluster.store.view(PODS, "default", name)
    return pod is None or bool(pod["metadata"].get("deletionTimestamp"))


async def test_a_budget_lets_one_pod_go_and_refuses_the_next_at_once(cluster, api):
    """The eviction takes the disruption itself (disruptionsAllowed - 1, the pod in disruptedPods), so a second
    eviction at once is refused in the server's words, whether or not the controller has recounted."""
    cluster.apply(web_manifest(replicas=3), budget("web", {"matchLabels": {"app": "web"}}, maxUnavailable=1))
    await eventually(lambda: rolled_out(cluster), timeout=20)
    await eventually(lambda: status(cluster, "web").get("disruptionsAllowed") == 1)

    assert await evict(api, "web-2") == (201, SUCCESS)
    code, body = await evict(api, "web-1")
    assert code == 429
    assert body["message"] == "Cannot evict pod as it would violate the pod's disruption budget."
    # 3 healthy if the disruption controller has not counted web-2 out yet, 2 once it has: refused either way.
    (cause,) = body["details"]["causes"]
    assert cause["reason"] == "DisruptionBudget"
    assert re.fullmatch(r"The disruption budget web needs 2 healthy pods and has [23] currently", cause["message"])
    assert deleting(cluster, "web-2") and not deleting(cluster, "web-1")
    # Once web-2 is back and Ready, its entry is gone and one disruption is allowed again.
    await eventually(lambda: status(cluster, "web").get("disruptionsAllowed") == 1, timeout=20)
    assert "disruptedPods" not in status(cluster, "web")


async def test_a_pending_pod_goes_whatever_the_budget_says(cluster, api):
    """canIgnorePDB: a pod that runs nowhere disrupts nothing; the budget (which allows none) is not asked."""
    manifest = web_manifest(replicas=1)
    manifest["spec"]["template"]["spec"]["nodeSelector"] = {"disk": "ssd"}  # no node has it: Pending
    cluster.apply(manifest, budget("web", {"matchLabels": {"app": "web"}}, minAvailable=1))
    await eventually(lambda: cluster.store.view(PODS, "default", "web-0") is not None)
    await eventually(
        lambda: status(cluster, "web").get("disruptionsAllowed") == 0 and "expectedPods" in status(cluster, "web")
    )
    uid = cluster.store.view(PODS, "default", "web-0")["metadata"]["uid"]
    assert await evict(api, "web-0") == (201, SUCCESS)
    pod = cluster.store.view(PODS, "default", "web-0")
    assert pod is None or pod["metadata"]["uid"] != uid  # gone at once (no node to confirm), maybe recreated


async def test_a_pod_two_budgets_select_is_not_evicted_and_the_answer_says_why(cluster, api):
    cluster.apply(
        web_manifest(replicas=1),
        budget("one", {"matchLabels": {"app": "web"}}, maxUnavailable=1),
        budget("two", {"matchLabels": {"app": "web"}}, maxUnavailable=1),
    )
    await eventually(lambda: rolled_out(cluster), timeout=20)
    code, answer = await evict(api, "web-0")
    assert (code, answer["status"], answer["code"]) == (201, "Failure", 500)  # the real server's 201, as sent
    assert answer["message"] == (
        "This pod has more than one PodDisruptionBudget, which the eviction subresource does not support."
    )
    assert not deleting(cluster, "web-0")
    assert all("disruptedPods" not in status(cluster, name) for name in ("one", "two"))


async def test_a_viewer_may_not_evict(cluster, viewer_api):
    cluster.apply(web_manifest(replicas=1))
    await eventually(lambda: rolled_out(cluster), timeout=20)
    code, body = await evict(viewer_api, "web-0")
    assert code == 403
    assert 'cannot create resource "pods/eviction"' in body["message"]
    assert not deleting(cluster, "web-0")


async def test_a_dry_run_eviction_is_checked_and_changes_nothing(cluster, api):
    """`kubectl drain --dry-run=server`: the pod stays and the budget keeps its disruption (1.20's
    checkAndDecrement returns before writing); it used one up for two minutes, and a real drain then got 429."""
    cluster.apply(web_manifest(replicas=3), budget("web", {"matchLabels": {"app": "web"}}, maxUnavailable=1))
    await eventually(lambda: rolled_out(cluster), timeout=20)
    await eventually(lambda: status(cluster, "web").get("disruptionsAllowed") == 1)
    body = {**eviction("web-2"), "deleteOptions": {"dryRun": ["All"]}}
    answer = await CoreV1Api(api).create_namespaced_pod_eviction("web-2", "default", body, _preload_content=False)
    assert answer.status == 201
    assert not deleting(cluster, "web-2")
    assert status(cluster, "web").get("disruptionsAllowed") == 1 and "disruptedPods" not in status(cluster, "web")
    assert await evict(api, "web-2") == (201, SUCCESS)  # the real one still may


@pytest.mark.parametrize("body", [{"metadata": "web-0"}, {"metadata": {"name": "web-0"}, "deleteOptions": []}, []])
async def test_an_eviction_that_is_no_eviction_is_a_400(cluster, body):
    """Go could not decode these into an Eviction; the demo answered 500 and logged a traceback."""
    cluster.apply(web_manifest(replicas=1))
    await eventually(lambda: rolled_out(cluster), timeout=20)
    async with aiohttp.ClientSession() as http:
        url = f"{cluster.url}/api/v1/namespaces/default/pods/web-0/eviction"
        async with http.post(url, json=body) as response:
            assert response.status == 400, await response.text()
    assert not deleting(cluster, "web-0")
