"""PodDisruptionBudgets and NetworkPolicies on the demo: their status and validation, as 1.20's.

The common case (a set's budget, read with kubectl beside a real 1.20 server)
is in test_kubectl_twin; here the cases around it, against 1.20's source
(pkg/controller/disruption, ValidateLabelSelector).
"""

from __future__ import annotations

import pytest

from stsviz.sim.errors import StatusError
from stsviz.sim.resources import EVENTS, POD_DISRUPTION_BUDGETS
from tests.sim.simtools import rolled_out, web_manifest
from tests.waiting import eventually


def budget(name: str, selector: dict | None, **bounds) -> dict:
    spec = {"selector": selector, **bounds} if selector is not None else dict(bounds)
    return {"apiVersion": "policy/v1beta1", "kind": "PodDisruptionBudget", "metadata": {"name": name}, "spec": spec}


def status(cluster, name: str) -> dict:
    return cluster.store.view(POD_DISRUPTION_BUDGETS, "default", name).get("status") or {}


def warnings(cluster, name: str) -> list[str]:
    return [
        f"{e['reason']}: {e['message']}"
        for e in cluster.store.items(EVENTS, "default")
        if e["involvedObject"]["name"] == name and e["involvedObject"]["kind"] == "PodDisruptionBudget"
    ]


async def test_a_pod_no_controller_owns_allows_no_disruption_and_says_which(cluster):
    """getExpectedScale cannot count a bare pod's replicas: upstream's failSafe allows none (the demo counted
    the set's 3 and allowed 2)."""
    cluster.apply(web_manifest(replicas=3))
    await eventually(lambda: rolled_out(cluster), timeout=20)
    stray = {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "stray", "labels": {"app": "web"}}}
    stray["spec"] = {"containers": [{"name": "c", "image": "nginx"}]}
    cluster.apply(stray, budget("web", {"matchLabels": {"app": "web"}}, maxUnavailable=1))
    await eventually(lambda: 'NoControllerRef: found no controller ref for pod "stray"' in warnings(cluster, "web"))
    await eventually(lambda: status(cluster, "web").get("disruptionsAllowed") == 0)
    cluster.registry.delete(cluster.resource_of(stray), "default", "stray", {"gracePeriodSeconds": 0})
    await eventually(lambda: status(cluster, "web").get("disruptionsAllowed") == 1, message="counted again")


async def test_an_empty_selector_selects_no_pod(cluster):
    """v1beta1: `selector: {}` (or no requirement at all) matches nothing; the demo matched every pod."""
    cluster.apply(web_manifest(replicas=2))
    await eventually(lambda: rolled_out(cluster), timeout=20)
    cluster.apply(budget("all", {"matchLabels": {}}, minAvailable=1))
    await eventually(lambda: "NoPods: No matching pods found" in warnings(cluster, "all"))
    assert status(cluster, "all") == {
        "observedGeneration": 1,
        "disruptionsAllowed": 0,
        "currentHealthy": 0,
        "desiredHealthy": 1,
        "expectedPods": 0,
    }


@pytest.mark.parametrize(
    ("manifest", "said"),
    [
        (
            budget("b", {"matchExpressions": [{"key": "app", "operator": "Foo"}]}, minAvailable=1),
            'spec.selector.matchExpressions[0].operator: Invalid value: "Foo": not a valid selector operator',
        ),
        (
            budget("b", {"matchExpressions": [{"key": "app", "operator": "In"}]}, minAvailable=1),
            "spec.selector.matchExpressions[0].values: Required value: must be specified when `operator` is",
        ),
        (
            budget("b", {"matchLabels": {"app": "web"}}, minAvailable="50%\n"),
            """spec.minAvailable: Invalid value: "50%\n": must be an integer or percentage""",
        ),
        (
            {
                "apiVersion": "networking.k8s.io/v1",
                "kind": "NetworkPolicy",
                "metadata": {"name": "n"},
                "spec": {"podSelector": {"matchExpressions": [{"key": "app", "operator": "Exists", "values": ["x"]}]}},
            },
            "spec.podSelector.matchExpressions[0].values: Forbidden: may not be specified when `operator` is",
        ),
        (
            web_manifest(selector={"matchExpressions": [{"key": "app", "operator": "Foo"}]}),
            'spec.selector.matchExpressions[0].operator: Invalid value: "Foo": not a valid selector operator',
        ),
    ],
)
async def test_a_selector_or_bound_a_real_server_refuses_is_a_422_not_a_500(cluster, manifest, said):
    with pytest.raises(StatusError) as refused:
        cluster.apply(manifest)
    assert refused.value.code == 422 and said in refused.value.message
