"""Helpers for the demo cluster tests: clients, manifests, a watch recorder."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from kubernetes_asyncio.client import ApiClient, Configuration
from kubernetes_asyncio.client.exceptions import ApiException

from tests.waiting import eventually

# Cluster seconds per real second: a 40 s rollout takes 1 s.
SPEED = 40.0


@asynccontextmanager
async def api_client(cluster, user: str | None = "admin") -> AsyncIterator[ApiClient]:
    config = Configuration(host=cluster.url)
    if user is not None:
        config.api_key = {"BearerToken": cluster.tokens[user]}
        config.api_key_prefix = {"BearerToken": "Bearer"}
    async with ApiClient(config) as client:
        yield client


def status_body(exc: ApiException) -> dict:
    return json.loads(exc.body)


def web_manifest(replicas: int = 3, image: str = "nginx:1.19", name: str = "web", **spec: Any) -> dict:
    """The recordings' manifest (tests/data/recordings/*/manifest-web.yaml) as a dict."""
    body = {
        "apiVersion": "apps/v1",
        "kind": "StatefulSet",
        "metadata": {"name": name},
        "spec": {
            "serviceName": name,
            "replicas": replicas,
            "podManagementPolicy": "OrderedReady",
            "updateStrategy": {"type": "RollingUpdate"},
            "selector": {"matchLabels": {"app": name}},
            "template": {
                "metadata": {"labels": {"app": name}},
                "spec": {
                    "terminationGracePeriodSeconds": 10,
                    "containers": [
                        {
                            "name": "nginx",
                            "image": image,
                            "ports": [{"name": "http", "containerPort": 80}],
                            "volumeMounts": [{"name": "www", "mountPath": "/data"}],
                        }
                    ],
                },
            },
            "volumeClaimTemplates": [
                {
                    "metadata": {"name": "www"},
                    "spec": {
                        "accessModes": ["ReadWriteOnce"],
                        "storageClassName": "fake-local",
                        "resources": {"requests": {"storage": "1Gi"}},
                    },
                }
            ],
        },
    }
    body["spec"].update(spec)
    return body


def sts_status(cluster, name: str = "web", namespace: str = "default") -> dict:
    from stsviz.sim.resources import STATEFULSETS

    sts = cluster.store.view(STATEFULSETS, namespace, name)
    return dict(sts.get("status") or {}) if sts else {}


def rolled_out(cluster, name: str = "web", namespace: str = "default") -> bool:
    from stsviz.sim.resources import STATEFULSETS

    sts = cluster.store.view(STATEFULSETS, namespace, name)
    if sts is None:
        return False
    status, replicas = sts.get("status") or {}, sts["spec"]["replicas"]
    return (
        status.get("observedGeneration") == sts["metadata"]["generation"]
        and status.get("readyReplicas", 0) == replicas
        and status.get("updatedReplicas", 0) == replicas
        and status.get("currentRevision") == status.get("updateRevision")
        and status.get("replicas") == replicas
    )


class WatchRecorder:
    """Collects every event of one or more kubernetes_asyncio watches, in arrival order."""

    def __init__(self, api: ApiClient, namespace: str = "default") -> None:
        from kubernetes_asyncio.client import AppsV1Api, CoreV1Api

        self.core, self.apps = CoreV1Api(api), AppsV1Api(api)
        self.namespace = namespace
        self.events: list[dict] = []
        self._tasks: list[asyncio.Task] = []
        self._kinds: list[str] = []

    async def start(self, *kinds: str) -> WatchRecorder:
        functions = {
            "pods": self.core.list_namespaced_pod,
            "persistentvolumeclaims": self.core.list_namespaced_persistent_volume_claim,
            "events": self.core.list_namespaced_event,
            "statefulsets": self.apps.list_namespaced_stateful_set,
        }
        self._kinds += kinds
        for kind in kinds:
            listed = await functions[kind](self.namespace)
            self._tasks.append(
                asyncio.get_running_loop().create_task(self._run(functions[kind], listed.metadata.resource_version))
            )
        return self

    async def _run(self, function, resource_version: str) -> None:
        from kubernetes_asyncio import watch

        w = watch.Watch()
        async for event in w.stream(function, self.namespace, resource_version=resource_version):
            self.events.append({"type": event["type"], "object": event["raw_object"]})

    async def stop(self, cluster=None) -> None:
        """Stop watching; with `cluster`, first wait until every committed change has arrived."""
        if cluster is not None:
            from stsviz.sim.resources import RESOURCES

            plural_to_res = {r.plural: r for r in RESOURCES}

            def caught_up() -> bool:
                seen = max((int(e["object"]["metadata"]["resourceVersion"]) for e in self.events), default=0)
                wanted = max(cluster.store.last_resource_version_of(plural_to_res[k]) for k in self._kinds)
                return seen >= wanted

            await eventually(caught_up, timeout=5, message="watch caught up with the store")
        for task in self._tasks:
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)

    def of_kind(self, kind: str) -> list[dict]:
        return [e for e in self.events if e["object"].get("kind") == kind]

    def ordered(self) -> list[dict]:
        """All events in commit order: one global resourceVersion orders events across watches."""
        return sorted(self.events, key=lambda e: int(e["object"]["metadata"]["resourceVersion"]))


def cell_state(event: dict) -> str:
    """The DESIGN.md cell rule for one pod watch event (first match wins)."""
    if event["type"] == "DELETED":
        return "missing"
    pod = event["object"]
    status = pod.get("status") or {}
    conditions = {c["type"]: c["status"] for c in status.get("conditions") or []}
    waiting = {
        ((c.get("state") or {}).get("waiting") or {}).get("reason") for c in status.get("containerStatuses") or []
    }
    if pod["metadata"].get("deletionTimestamp"):
        return "terminating"
    if status.get("phase") == "Failed" or waiting & {
        "CrashLoopBackOff",
        "ImagePullBackOff",
        "ErrImagePull",
        "CreateContainerConfigError",
        "CreateContainerError",
        "InvalidImageName",
        "RunContainerError",
    }:
        return "failed"
    if status.get("phase") == "Pending":
        return "creating" if conditions.get("PodScheduled") == "True" else "unscheduled"
    if conditions.get("Ready") == "True":
        return "ready"
    if status.get("phase") == "Running":
        return "running"
    return "unknown"


def transitions(events: list[dict]) -> dict[str, list[tuple[str, str]]]:
    """Per pod name: the sequence of (cell state, controller-revision-hash), repeats collapsed."""
    out: dict[str, list[tuple[str, str]]] = {}
    for event in events:
        pod = event["object"]
        if pod.get("kind", "Pod") != "Pod":
            continue
        state = (cell_state(event), (pod["metadata"].get("labels") or {}).get("controller-revision-hash", ""))
        sequence = out.setdefault(pod["metadata"]["name"], [])
        if not sequence or sequence[-1] != state:
            sequence.append(state)
    return out
