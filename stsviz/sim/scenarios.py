"""Demo scenarios: a cluster plus a script that keeps StatefulSets moving.

Each scenario creates its StatefulSets and then acts on them in cluster time
(set image, scale, move a partition, delete pods), the way an operator would,
so `stsviz demo` has something true to show. Scripts run until cancelled.

    async with start_demo("rolling-update", speed=2.0) as demo:
        demo.url, demo.tokens, demo.cluster
"""

from __future__ import annotations

import asyncio
import itertools
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from .cluster import SimCluster
from .errors import StatusError
from .resources import NAMESPACES, PODS, SERVICES, STATEFULSETS

log = logging.getLogger(__name__)
SMP = "application/strategic-merge-patch+json"
MERGE = "application/merge-patch+json"


def statefulset(
    name: str,
    replicas: int,
    image: str,
    *,
    policy: str = "OrderedReady",
    strategy: str = "RollingUpdate",
    partition: int | None = None,
    claim_class: str | None = "standard",
    labels: dict[str, str] | None = None,
) -> dict:
    """A web-like StatefulSet manifest, as a user would write it."""
    selector = labels or {"app": name}
    update: dict[str, Any] = {"type": strategy}
    if partition is not None:
        update["rollingUpdate"] = {"partition": partition}
    container: dict[str, Any] = {"name": "main", "image": image, "ports": [{"name": "http", "containerPort": 80}]}
    spec: dict[str, Any] = {
        "serviceName": name,
        "replicas": replicas,
        "podManagementPolicy": policy,
        "updateStrategy": update,
        "selector": {"matchLabels": selector},
        "template": {
            "metadata": {"labels": dict(selector)},
            "spec": {"terminationGracePeriodSeconds": 10, "containers": [container]},
        },
    }
    if claim_class is not None:
        container["volumeMounts"] = [{"name": "data", "mountPath": "/data"}]
        spec["volumeClaimTemplates"] = [
            {
                "metadata": {"name": "data"},
                "spec": {
                    "accessModes": ["ReadWriteOnce"],
                    "storageClassName": claim_class,
                    "resources": {"requests": {"storage": "1Gi"}},
                },
            }
        ]
    return {"apiVersion": "apps/v1", "kind": "StatefulSet", "metadata": {"name": name}, "spec": spec}


class Operator:
    """What a scenario does to the cluster, in cluster time."""

    def __init__(self, cluster: SimCluster, namespace: str = "default") -> None:
        self.cluster = cluster
        self.registry = cluster.registry
        self.namespace = namespace

    def ensure_namespace(self) -> None:
        if self.cluster.store.view(NAMESPACES, "", self.namespace) is None:
            self.registry.create(NAMESPACES, {"metadata": {"name": self.namespace}})

    def create(self, manifest: dict) -> None:
        """The set, and the headless Service its serviceName names, as a user's manifest holds both."""
        self.ensure_namespace()
        spec = manifest["spec"]
        service = spec.get("serviceName")
        if service and self.cluster.store.view(SERVICES, self.namespace, service) is None:
            selector = spec["selector"]["matchLabels"]
            ports = [{"name": "http", "port": 80}]
            service_spec = {"clusterIP": "None", "selector": selector, "ports": ports}
            self.registry.create(SERVICES, {"metadata": {"name": service}, "spec": service_spec}, self.namespace)
        self.registry.create(STATEFULSETS, manifest, self.namespace)

    def set_image(self, name: str, image: str) -> None:
        sts = self.registry.get(STATEFULSETS, self.namespace, name)
        container = sts["spec"]["template"]["spec"]["containers"][0]["name"]
        self.registry.patch(
            STATEFULSETS,
            self.namespace,
            name,
            SMP,
            {"spec": {"template": {"spec": {"containers": [{"name": container, "image": image}]}}}},
        )

    def scale(self, name: str, replicas: int) -> None:
        self.registry.patch(
            STATEFULSETS, self.namespace, name, MERGE, {"spec": {"replicas": replicas}}, subresource="scale"
        )

    def partition(self, name: str, partition: int) -> None:
        self.registry.patch(
            STATEFULSETS,
            self.namespace,
            name,
            MERGE,
            {"spec": {"updateStrategy": {"type": "RollingUpdate", "rollingUpdate": {"partition": partition}}}},
        )

    def delete_pod(self, name: str) -> None:
        try:
            self.registry.delete(PODS, self.namespace, name)
        except StatusError:
            pass

    def status(self, name: str) -> dict:
        sts = self.cluster.store.view(STATEFULSETS, self.namespace, name)
        return (
            {}
            if sts is None
            else {"spec": sts["spec"], **(sts.get("status") or {}), "generation": sts["metadata"].get("generation")}
        )

    def rolled_out(self, name: str) -> bool:
        """kubectl rollout status's "complete" for a RollingUpdate set without partition."""
        s = self.status(name)
        replicas = s.get("spec", {}).get("replicas", 0)
        return (
            s.get("observedGeneration") == s.get("generation")
            and s.get("readyReplicas", 0) == replicas
            and s.get("updatedReplicas", 0) == replicas
            and s.get("currentRevision") == s.get("updateRevision")
        )

    async def pause(self, cluster_seconds: float) -> None:
        await self.cluster.clock.sleep(cluster_seconds)

    async def until(self, predicate: Callable[[], bool], timeout: float = 600.0) -> bool:
        """Wait (cluster seconds) until predicate holds; False on timeout."""
        deadline = self.cluster.clock.elapsed() + timeout
        while not predicate():
            if self.cluster.clock.elapsed() > deadline:
                return False
            await self.cluster.clock.sleep(0.25)
        return True


# the scenarios ------------------------------------------------------------------------------------


async def rolling_update(op: Operator) -> None:
    op.create(statefulset("web", 3, "nginx:1.19"))
    await op.until(lambda: op.rolled_out("web"))
    for image in itertools.cycle(["nginx:1.20", "nginx:1.21", "nginx:1.19"]):
        await op.pause(5)
        op.set_image("web", image)
        await op.until(lambda: op.rolled_out("web"))


async def stuck_rollout(op: Operator) -> None:
    op.create(statefulset("web", 3, "nginx:1.19"))
    await op.until(lambda: op.rolled_out("web"))
    await op.pause(3)
    # web-2 crash-loops on the new image; OrderedReady then blocks the rollout.
    op.set_image("web", "nginx:bad-1.0")
    await asyncio.Event().wait()


async def scale_up_down(op: Operator) -> None:
    op.create(statefulset("web", 2, "nginx:1.19"))
    for replicas in itertools.cycle([5, 1, 3, 2]):
        await op.until(lambda: op.rolled_out("web"))
        await op.pause(5)
        op.scale("web", replicas)


async def canary_partition(op: Operator) -> None:
    op.create(statefulset("web", 4, "nginx:1.19", partition=4))
    await op.until(lambda: op.rolled_out("web"))
    for image in itertools.cycle(["nginx:1.20", "nginx:1.19"]):
        op.partition("web", 3)
        op.set_image("web", image)
        for partition in (2, 1, 0):
            # A def rather than a lambda: mypy cannot type a lambda's default argument.
            def canaries_ready(partition: int = partition) -> bool:
                return (
                    op.status("web").get("updatedReplicas", 0) == 4 - (partition + 1)
                    and op.status("web").get("readyReplicas", 0) == 4
                )

            await op.until(canaries_ready)
            await op.pause(8)  # the canary soaks before the partition moves
            op.partition("web", partition)
        await op.until(lambda: op.rolled_out("web"))
        await op.pause(5)
        op.partition("web", 4)


async def parallel(op: Operator) -> None:
    op.create(statefulset("cache", 5, "redis:6.0", policy="Parallel"))
    for step in itertools.cycle(["image", "scale-up", "scale-down"]):
        await op.until(lambda: op.rolled_out("cache"))
        await op.pause(5)
        if step == "image":
            current = op.status("cache")["spec"]["template"]["spec"]["containers"][0]["image"]
            op.set_image("cache", "redis:6.2" if current == "redis:6.0" else "redis:6.0")
        else:
            op.scale("cache", 8 if step == "scale-up" else 5)


async def pvc_pending(op: Operator) -> None:
    # db's claims use a storage class whose provisioner always fails: its pods stay unschedulable.
    op.create(statefulset("db", 2, "postgres:13", claim_class="broken"))
    # cache's claims wait for their first consumer, then bind.
    op.create(statefulset("cache", 2, "redis:6.0", claim_class="late-binding"))
    await asyncio.Event().wait()


async def ondelete(op: Operator) -> None:
    op.create(statefulset("web", 3, "nginx:1.19", strategy="OnDelete"))
    await op.until(lambda: op.status("web").get("readyReplicas", 0) == 3)
    for image in itertools.cycle(["nginx:1.20", "nginx:1.19"]):
        await op.pause(5)
        op.set_image("web", image)  # nothing moves until pods are deleted by hand
        await op.pause(10)
        for ordinal in (2, 1, 0):
            op.delete_pod(f"web-{ordinal}")
            await op.until(lambda: op.status("web").get("readyReplicas", 0) == 3)
            await op.pause(4)


async def many(op: Operator, sets: int = 300, replicas: int = 10, namespaces: int = 10) -> None:
    operators = [Operator(op.cluster, f"team-{i}") for i in range(namespaces)]
    for index in range(sets):
        team = operators[index % namespaces]
        team.create(statefulset(f"svc-{index:03d}", replicas, "app:1.0", policy="Parallel", claim_class=None))
        if index % 20 == 19:
            await asyncio.sleep(0)  # let the API answer while thousands of pods are created
    version = itertools.count(1)
    while True:
        await op.pause(10)
        n = next(version)
        for index in range(n % 7, sets, 7):
            operators[index % namespaces].set_image(f"svc-{index:03d}", f"app:1.{n}")


@dataclass(frozen=True)
class Scenario:
    name: str
    description: str
    script: Callable[[Operator], Awaitable[None]]
    cluster_options: tuple[tuple[str, Any], ...] = ()  # defaults this scenario needs from the cluster


SCENARIOS: dict[str, Scenario] = {
    s.name: s
    for s in (
        Scenario("rolling-update", "web x3 rolls through nginx images, highest ordinal first", rolling_update),
        Scenario(
            "stuck-rollout",
            "web x3 updated to a crash-looping image: web-2 in CrashLoopBackOff blocks the rollout",
            stuck_rollout,
        ),
        Scenario("scale-up-down", "web scales 2 → 5 → 1 → 3 → 2, ordered up and down", scale_up_down),
        Scenario(
            "canary-partition", "web x4: the partition walks down 3 → 0 after each canary soaks", canary_partition
        ),
        Scenario("parallel", "cache x5 with Parallel pod management: updates and scaling in one step", parallel),
        Scenario(
            "pvc-pending",
            "db's volumes never provision (ProvisioningFailed); cache's wait for first consumer",
            pvc_pending,
        ),
        Scenario("ondelete", "web x3 with OnDelete: a new image lands only as pods are deleted one by one", ondelete),
        # Thousands of pods write ~150 Events a second: keep them 5 minutes, not an hour. A node runs
        # 110 pods at most, as a kubelet's default: 3,000 pods need 28 nodes.
        Scenario(
            "many",
            "300 StatefulSets x 10 pods in 10 namespaces on 30 nodes, a seventh of them updating every 10 s",
            many,
            (("event_ttl", 300.0), ("nodes", 30)),
        ),
    )
}


class Demo:
    """A running demo: the cluster and its scenario script."""

    def __init__(self, scenario: str, speed: float = 1.0, **cluster_options: Any) -> None:
        if scenario not in SCENARIOS:
            raise ValueError(f"unknown scenario {scenario!r}; known: {', '.join(SCENARIOS)}")
        self.scenario = SCENARIOS[scenario]
        self.cluster = SimCluster(speed=speed, **{**dict(self.scenario.cluster_options), **cluster_options})
        self.task: asyncio.Task | None = None

    @property
    def url(self) -> str:
        return self.cluster.url

    @property
    def tokens(self) -> dict[str, str]:
        return self.cluster.tokens

    async def start(self) -> Demo:
        await self.cluster.start()
        self.task = asyncio.get_running_loop().create_task(self._run(), name=f"scenario-{self.scenario.name}")
        return self

    async def _run(self) -> None:
        try:
            await self.scenario.script(Operator(self.cluster))
        except asyncio.CancelledError:
            raise
        except Exception:
            log.exception("scenario %s stopped", self.scenario.name)

    async def stop(self) -> None:
        if self.task is not None:
            self.task.cancel()
            await asyncio.gather(self.task, return_exceptions=True)
        await self.cluster.stop()

    async def __aenter__(self) -> Demo:
        return await self.start()

    async def __aexit__(self, *exc: object) -> None:
        await self.stop()


def start_demo(scenario: str = "rolling-update", speed: float = 1.0, **cluster_options: Any) -> Demo:
    """A demo cluster running `scenario`; `await` its start() or use it with `async with`."""
    return Demo(scenario, speed, **cluster_options)


async def serve(
    port: int = 0,
    kubeconfig_out: str | None = None,
    scenario: str | None = None,
    speed: float = 1.0,
    strict_auth: bool = False,
    ready: Callable[[SimCluster], None] | None = None,
) -> None:
    """Run the cluster (optionally with a scenario) until cancelled: what `stsviz sim` needs."""
    demo = Demo(scenario, speed, port=port, strict_auth=strict_auth) if scenario else None
    cluster = demo.cluster if demo else SimCluster(speed=speed, port=port, strict_auth=strict_auth)
    if demo:
        await demo.start()
    else:
        await cluster.start()
    try:
        if kubeconfig_out:
            cluster.write_kubeconfig(kubeconfig_out)
        if ready:
            ready(cluster)
        await asyncio.Event().wait()
    finally:
        if demo:
            await demo.stop()
        else:
            await cluster.stop()
