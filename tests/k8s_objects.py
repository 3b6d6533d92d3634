"""Builders of raw API objects shaped like the real server's, for model tests."""

from __future__ import annotations

from typing import Any


def statefulset(
    name: str = "web",
    *,
    namespace: str = "default",
    uid: str = "sts-uid",
    replicas: int | None = 3,
    generation: int = 1,
    strategy: str = "RollingUpdate",
    partition: int | None = None,
    rolling_update: bool = False,
    ordinals_start: int | None = None,
    templates: tuple[str, ...] = ("www",),
    status: dict[str, Any] | None = None,
) -> dict[str, Any]:
    spec: dict[str, Any] = {"updateStrategy": {"type": strategy}, "podManagementPolicy": "OrderedReady"}
    if replicas is not None:
        spec["replicas"] = replicas
    if rolling_update or partition is not None:
        spec["updateStrategy"]["rollingUpdate"] = {} if partition is None else {"partition": partition}
    if ordinals_start is not None:
        spec["ordinals"] = {"start": ordinals_start}
    spec["volumeClaimTemplates"] = [{"metadata": {"name": t}} for t in templates]
    return {
        "apiVersion": "apps/v1",
        "kind": "StatefulSet",
        "metadata": {"name": name, "namespace": namespace, "uid": uid, "generation": generation},
        "spec": spec,
        "status": {"observedGeneration": generation, **(status or {})},
    }


def pod(
    name: str = "web-0",
    *,
    namespace: str = "default",
    uid: str | None = None,
    owner: str | None = "web",
    revision: str | None = "web-new",
    phase: str | None = "Running",
    ready: bool = True,
    scheduled: bool | None = True,
    deleting: bool = False,
    waiting: str | None = None,
    restarts: int = 0,
    claims: tuple[str, ...] = (),
) -> dict[str, Any]:
    conditions = []
    if scheduled is not None:
        conditions.append({"type": "PodScheduled", "status": "True" if scheduled else "False"})
    conditions.append({"type": "Ready", "status": "True" if ready else "False"})
    container: dict[str, Any] = {"name": "app", "ready": ready, "restartCount": restarts}
    container["state"] = {"waiting": {"reason": waiting}} if waiting else {"running": {}}
    metadata: dict[str, Any] = {
        "name": name,
        "namespace": namespace,
        "uid": uid or f"uid-{name}",
        "labels": {"controller-revision-hash": revision} if revision else {},
    }
    if owner:
        metadata["ownerReferences"] = [
            {"apiVersion": "apps/v1", "kind": "StatefulSet", "name": owner, "uid": "sts-uid", "controller": True}
        ]
    if deleting:
        metadata["deletionTimestamp"] = "2026-11-25T14:00:00Z"
    return {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": metadata,
        "spec": {
            "nodeName": "node-1" if scheduled else None,
            "volumes": [{"name": c, "persistentVolumeClaim": {"claimName": c}} for c in claims],
        },
        "status": {"phase": phase, "conditions": conditions, "containerStatuses": [container]},
    }


def claim(name: str, *, namespace: str = "default", phase: str = "Bound", volume: str | None = "pv-0") -> dict:
    return {
        "apiVersion": "v1",
        "kind": "PersistentVolumeClaim",
        "metadata": {"name": name, "namespace": namespace, "uid": f"uid-{name}"},
        "spec": {"volumeName": volume, "resources": {"requests": {"storage": "1Gi"}}},
        "status": {"phase": phase},
    }


def controller_revision(
    name: str,
    *,
    number: int,
    namespace: str = "default",
    owner: str | None = "web",
    image: str = "nginx:1.19",
    env: dict[str, str] | None = None,
    uid: str | None = None,
    created: str = "2026-11-25T10:00:00Z",
) -> dict[str, Any]:
    """A StatefulSet's ControllerRevision as the controller writes it: the template as a replace patch."""
    container: dict[str, Any] = {"name": "app", "image": image}
    if env is not None:
        container["env"] = [{"name": key, "value": value} for key, value in env.items()]
    metadata: dict[str, Any] = {
        "name": name,
        "namespace": namespace,
        "uid": uid or f"uid-{name}",
        "creationTimestamp": created,
        "labels": {"app": owner or "none", "controller.kubernetes.io/hash": name.rsplit("-", 1)[-1]},
    }
    if owner:
        metadata["ownerReferences"] = [
            {"apiVersion": "apps/v1", "kind": "StatefulSet", "name": owner, "uid": "sts-uid", "controller": True}
        ]
    template = {"metadata": {"labels": {"app": owner}}, "spec": {"containers": [container]}, "$patch": "replace"}
    return {
        "apiVersion": "apps/v1",
        "kind": "ControllerRevision",
        "metadata": metadata,
        "data": {"spec": {"template": template}},
        "revision": number,
    }


def event(
    name: str,
    about: str,
    message: str,
    *,
    kind: str = "Pod",
    reason: str = "BackOff",
    type_: str = "Warning",
    count: int = 3,
    last_seen: str = "2026-11-25T14:00:04Z",
) -> dict[str, Any]:
    """A core/v1 Event about object `about` of `kind` in namespace default."""
    return {
        "apiVersion": "v1",
        "kind": "Event",
        "metadata": {"name": name, "namespace": "default", "uid": f"uid-{name}"},
        "involvedObject": {"kind": kind, "name": about, "namespace": "default"},
        "type": type_,
        "reason": reason,
        "message": message,
        "count": count,
        "lastTimestamp": last_seen,
    }
