"""`kubectl drain` on the demo and on the real 1.20 control plane: the same words, the same pods moved.

The incident an operator rehearses most with a StatefulSet: a node drained
for maintenance, its pods evicted only as the set's PodDisruptionBudget
allows, the evicted pod scheduled elsewhere or left Pending, then the node
uncordoned. The demo had no eviction subresource (kubectl deleted the pods
outright, budget or not), and its scheduler placed pods on cordoned nodes.
"""

from __future__ import annotations

import asyncio
from pathlib import Path

from tests.locations import needs_kubectl
from tests.sim.test_kubectl import kubectl
from tests.sim.test_kubectl_twin import twins

pytestmark = needs_kubectl

# Two pods that may not share a node: each node runs one, and an evicted one has nowhere else to go.
APART = """\
apiVersion: apps/v1
kind: StatefulSet
metadata: {name: web}
spec:
  serviceName: web
  replicas: 2
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web, twin: NAMESPACE}}
    spec:
      terminationGracePeriodSeconds: 1
      affinity:
        podAntiAffinity:
          requiredDuringSchedulingIgnoredDuringExecution:
          - {labelSelector: {matchLabels: {app: web}}, topologyKey: kubernetes.io/hostname}
      containers: [{name: app, image: nginx:1.25}]
"""
BUDGET = """\
apiVersion: policy/v1beta1
kind: PodDisruptionBudget
metadata: {name: NAME}
spec: {BOUND, selector: {matchLabels: {app: web}}}
"""


async def _ok(kubeconfig: Path, *args: str, timeout: float = 30) -> str:
    code, out, err = await kubectl(kubeconfig, *args, timeout=timeout)
    assert code == 0, (args, err)
    return out


async def _apply(kubeconfig: Path, namespace: str, manifest: str) -> None:
    path = kubeconfig.with_name(f"{namespace}-{abs(hash(manifest))}.yaml")
    path.write_text(manifest.replace("NAMESPACE", namespace))
    await _ok(kubeconfig, "-n", namespace, "apply", "-f", str(path))


async def _settled(kubeconfig: Path, namespace: str, budget: str, allowed: int) -> None:
    """Until the budget allows `allowed` disruptions, as its controller last counted them."""
    for _ in range(300):
        out = await _ok(kubeconfig, "-n", namespace, "get", "pdb", budget, "-o", "jsonpath={.status}")
        if f'"disruptionsAllowed":{allowed},' in out and '"observedGeneration":1' in out and "disruptedPods" not in out:
            return
        await asyncio.sleep(0.2)
    raise AssertionError(f"{budget} never allowed {allowed}: {out}")


def _said(text: str, node: str, namespace: str) -> list[str]:
    """kubectl's lines with the node and namespace named alike on both clusters; each line once, in order
    (how often the 5-second retry line shows depends on timing)."""
    text = text.replace(node, "NODE").replace(namespace, "NS")
    return list(dict.fromkeys(line for line in text.splitlines() if line.strip()))


async def test_drain_evicts_as_the_budget_allows_and_the_pod_waits_as_on_a_real_server(
    cluster, tmp_path, realk8s_kubeconfig
):
    async with twins(cluster, tmp_path, realk8s_kubeconfig) as (demo, real, namespace):
        kubeconfigs = (demo, real)
        nodes: dict[Path, str] = {}
        try:
            await asyncio.gather(*(_apply(k, namespace, APART) for k in kubeconfigs))
            await asyncio.gather(
                *(
                    _ok(k, "-n", namespace, "rollout", "status", "sts/web", "--timeout=90s", timeout=100)
                    for k in kubeconfigs
                )
            )
            for k in kubeconfigs:
                nodes[k] = (
                    await _ok(k, "-n", namespace, "get", "pod", "web-0", "-o", "jsonpath={.spec.nodeName}")
                ).strip()

            async def drain(k: Path, timeout: str) -> tuple[int, list[str]]:
                code, out, err = await kubectl(
                    k, "drain", nodes[k], f"--pod-selector=twin={namespace}", f"--timeout={timeout}", timeout=60
                )
                return code, _said(out + err, nodes[k], namespace)

            # A budget that allows no disruption: the eviction is refused, retried, and the drain gives up.
            strict = BUDGET.replace("NAME", "strict").replace("BOUND", "minAvailable: 2")
            await asyncio.gather(*(_apply(k, namespace, strict) for k in kubeconfigs))
            await asyncio.gather(*(_settled(k, namespace, "strict", 0) for k in kubeconfigs))
            ours, theirs = await asyncio.gather(*(drain(k, "7s") for k in kubeconfigs))
            assert ours == theirs, f"demo:\n{ours}\nreal:\n{theirs}"
            assert ours[0] == 1 and "node/NODE cordoned" in ours[1], ours
            refused = (
                'error when evicting pods/"web-0" -n "NS" (will retry after 5s): '
                "Cannot evict pod as it would violate the pod's disruption budget."
            )
            assert refused in ours[1], ours

            # One that allows one: web-0 is evicted, and its new pod has nowhere to go (its twin holds the
            # other node), in the scheduler's words.
            await asyncio.gather(*(_ok(k, "-n", namespace, "delete", "pdb", "strict") for k in kubeconfigs))
            loose = BUDGET.replace("NAME", "loose").replace("BOUND", "maxUnavailable: 1")
            await asyncio.gather(*(_apply(k, namespace, loose) for k in kubeconfigs))
            await asyncio.gather(*(_settled(k, namespace, "loose", 1) for k in kubeconfigs))
            ours, theirs = await asyncio.gather(*(drain(k, "30s") for k in kubeconfigs))
            assert ours == theirs, f"demo:\n{ours}\nreal:\n{theirs}"
            assert ours == (
                0,
                ["node/NODE already cordoned", "evicting pod NS/web-0", "pod/web-0 evicted", "node/NODE drained"],
            )

            async def pending(k: Path) -> tuple[str, str, str]:
                condition = "jsonpath={.status.conditions[?(@.type=='PodScheduled')].message}"
                message = await _ok(k, "-n", namespace, "get", "pod", "web-0", "-o", condition)
                taints = await _ok(k, "get", "node", nodes[k], "-o", "jsonpath={.spec.taints[*].key}")
                shown = (await _ok(k, "get", "node", nodes[k], "--no-headers")).split()[1]
                return message, taints, shown

            for _ in range(150):
                ours, theirs = await asyncio.gather(*(pending(k) for k in kubeconfigs))
                if ours == theirs and ours[0]:
                    break
                await asyncio.sleep(0.2)
            assert ours == theirs, f"demo: {ours}\nreal: {theirs}"
            assert ours[0] == (
                "0/2 nodes are available: 1 node(s) didn't match pod affinity/anti-affinity, "
                "1 node(s) didn't match pod anti-affinity rules, 1 node(s) were unschedulable."
            )
            assert ours[1:] == ("node.kubernetes.io/unschedulable", "Ready,SchedulingDisabled")

            # Uncordoned: the pod goes back where it was, at once, not after its back-off.
            await asyncio.gather(*(_ok(k, "uncordon", nodes[k]) for k in kubeconfigs))
            await asyncio.gather(
                *(
                    _ok(k, "-n", namespace, "rollout", "status", "sts/web", "--timeout=30s", timeout=40)
                    for k in kubeconfigs
                )
            )
            for k in kubeconfigs:
                assert await _ok(k, "get", "node", nodes[k], "-o", "jsonpath={.spec}") == "{}"
                placed = await _ok(k, "-n", namespace, "get", "pod", "web-0", "-o", "jsonpath={.spec.nodeName}")
                assert placed.strip() == nodes[k]
        finally:
            for k, node in nodes.items():
                await kubectl(k, "uncordon", node)  # the real cluster is shared with the other tests


def _set(name: str, pod_spec: str, replicas: int = 2) -> str:
    """A set whose pods may not share a node, with `pod_spec` added to its pods' spec."""
    return (
        APART.replace("name: web}", f"name: {name}}}")
        .replace("serviceName: web", f"serviceName: {name}")
        .replace("app: web", f"app: {name}")
        .replace("replicas: 2", f"replicas: {replicas}")
        .replace("      terminationGracePeriodSeconds: 1\n", f"      terminationGracePeriodSeconds: 1\n{pod_spec}")
    )


async def test_a_tainted_node_takes_only_pods_that_tolerate_it_in_the_real_schedulers_words(
    cluster, tmp_path, realk8s_kubeconfig
):
    """The scheduler's filters in 1.20's order, the first to fail speaking for the node: a taint before node
    affinity, node affinity before the node's free cpu. The demo ignored taints, and put cpu first."""
    async with twins(cluster, tmp_path, realk8s_kubeconfig) as (demo, real, namespace):
        kubeconfigs = (demo, real)
        tainted: dict[Path, str] = {}
        taint = f"twin-{namespace}"
        try:
            for k in kubeconfigs:
                tainted[k] = (await _ok(k, "get", "nodes", "-o", "name")).split()[0].removeprefix("node/")
                await _ok(k, "taint", "node", tainted[k], f"{taint}=x:NoSchedule")
            tolerates = f"      tolerations: [{{key: {taint}, operator: Exists}}]\n"
            for k in kubeconfigs:
                picky = (
                    f"      nodeSelector: {{kubernetes.io/hostname: {tainted[k]}}}\n{tolerates}"
                    "      initContainers: [{name: big, image: nginx:1.25, resources: {requests: {cpu: '100'}}}]\n"
                )
                manifest = "---\n".join(
                    (_set("plain", ""), _set("tolerant", tolerates), _set("picky", picky, replicas=1))
                )
                await _apply(k, namespace, manifest)

            async def placed(k: Path) -> dict[str, str]:
                columns = "custom-columns=N:.metadata.name,NODE:.spec.nodeName,WHY:.status.conditions[0].message"
                out = await _ok(k, "-n", namespace, "get", "pods", "--no-headers", "-o", columns)
                rows = (line.split(None, 2) for line in out.splitlines())
                where = {tainted[k]: "TAINTED", "<none>": None}
                return {name: where.get(node, "OTHER") or why for name, node, why in rows}

            for _ in range(150):
                ours, theirs = await asyncio.gather(*(placed(k) for k in kubeconfigs))
                if ours == theirs and len(ours) == 5 and "plain-1" in ours:
                    break
                await asyncio.sleep(0.2)
            assert ours == theirs, f"demo: {ours}\nreal: {theirs}"
            assert (ours["plain-0"], {ours["tolerant-0"], ours["tolerant-1"]}) == ("OTHER", {"TAINTED", "OTHER"})
            assert ours["plain-1"] == (
                "0/2 nodes are available: 1 node(s) didn't match pod affinity/anti-affinity, "
                f"1 node(s) didn't match pod anti-affinity rules, 1 node(s) had taint {{{taint}: x}}, "
                "that the pod didn't tolerate."
            )
            assert ours["picky-0"] == (
                "0/2 nodes are available: 1 Insufficient cpu, 1 node(s) didn't match Pod's node affinity."
            )
        finally:
            for k, node in tainted.items():
                await kubectl(k, "taint", "node", node, f"{taint}-")
