"""Server-side printing: the meta.k8s.io/v1 Table that `kubectl get` asks for.

Columns and cell texts follow the 1.20 server's printers for the types we
serve (pod STATUS as kubectl shows it: CrashLoopBackOff, Terminating, ...),
so `kubectl get pods` against the demo cluster reads like a real one.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

from . import more_tables
from .tables_base import Column
from .tables_base import age as _age


def pod_status_reason(pod: dict) -> str:
    """kubectl's STATUS column for a pod (printPod in upstream printers.go)."""
    status = pod.get("status") or {}
    reason = status.get("reason") or status.get("phase") or ""
    initializing = False
    for i, container in enumerate(status.get("initContainerStatuses") or []):
        state = container.get("state") or {}
        if (state.get("terminated") or {}).get("exitCode") == 0:
            continue
        if state.get("waiting", {}).get("reason") and state["waiting"]["reason"] != "PodInitializing":
            reason = f"Init:{state['waiting']['reason']}"
        else:
            reason = f"Init:{i}/{len((pod.get('spec') or {}).get('initContainers') or [])}"
        initializing = True
        break
    if not initializing:
        has_running = False
        for container in reversed(status.get("containerStatuses") or []):
            state = container.get("state") or {}
            if (state.get("waiting") or {}).get("reason"):
                reason = state["waiting"]["reason"]
            elif "terminated" in state:
                terminated = state["terminated"]
                reason = terminated.get("reason") or (
                    f"Signal:{terminated['signal']}"
                    if terminated.get("signal")
                    else f"ExitCode:{terminated.get('exitCode', 0)}"
                )
            elif "running" in state and container.get("ready"):
                has_running = True
        if reason == "Completed" and has_running:
            reason = "Running"
    if (pod.get("metadata") or {}).get("deletionTimestamp"):
        reason = "Unknown" if status.get("reason") == "NodeLost" else "Terminating"
    return reason


def _pod_row(pod: dict, now: datetime) -> list[Any]:
    statuses = (pod.get("status") or {}).get("containerStatuses") or []
    total = len((pod.get("spec") or {}).get("containers") or [])
    ready = sum(1 for c in statuses if c.get("ready"))
    restarts = sum(int(c.get("restartCount", 0)) for c in statuses)
    status = pod.get("status") or {}
    return [
        pod["metadata"]["name"],
        f"{ready}/{total}",
        pod_status_reason(pod),
        restarts,
        _age(pod["metadata"].get("creationTimestamp"), now),
        status.get("podIP") or "<none>",
        (pod.get("spec") or {}).get("nodeName") or "<none>",
        status.get("nominatedNodeName") or "<none>",
        "<none>",
    ]


def _containers(template: dict) -> tuple[str, str]:
    containers = (template.get("spec") or {}).get("containers") or []
    return ",".join(c.get("name", "") for c in containers), ",".join(c.get("image", "") for c in containers)


def _sts_row(sts: dict, now: datetime) -> list[Any]:
    names, images = _containers(sts["spec"].get("template") or {})
    ready = (sts.get("status") or {}).get("readyReplicas", 0)
    return [
        sts["metadata"]["name"],
        f"{ready}/{sts['spec'].get('replicas', 0)}",
        _age(sts["metadata"].get("creationTimestamp"), now),
        names,
        images,
    ]


def _access_modes(modes: list[str] | None) -> str:
    short = {"ReadWriteOnce": "RWO", "ReadOnlyMany": "ROX", "ReadWriteMany": "RWX"}
    return ",".join(short.get(m, m) for m in modes or [])


def _pvc_row(pvc: dict, now: datetime) -> list[Any]:
    status, spec = pvc.get("status") or {}, pvc.get("spec") or {}
    phase = "Terminating" if pvc["metadata"].get("deletionTimestamp") else status.get("phase", "")
    return [
        pvc["metadata"]["name"],
        phase,
        spec.get("volumeName", ""),
        (status.get("capacity") or {}).get("storage", ""),
        _access_modes(status.get("accessModes")),
        spec.get("storageClassName", ""),
        _age(pvc["metadata"].get("creationTimestamp"), now),
        spec.get("volumeMode", "Filesystem"),
    ]


def _pv_row(pv: dict, now: datetime) -> list[Any]:
    spec, status = pv.get("spec") or {}, pv.get("status") or {}
    claim = spec.get("claimRef")
    return [
        pv["metadata"]["name"],
        (spec.get("capacity") or {}).get("storage", ""),
        _access_modes(spec.get("accessModes")),
        spec.get("persistentVolumeReclaimPolicy", ""),
        "Terminating" if pv["metadata"].get("deletionTimestamp") else status.get("phase", ""),
        f"{claim['namespace']}/{claim['name']}" if claim else "",
        spec.get("storageClassName", ""),
        status.get("reason", ""),
        _age(pv["metadata"].get("creationTimestamp"), now),
        spec.get("volumeMode", "Filesystem"),
    ]


def _event_row(event: dict, now: datetime) -> list[Any]:
    involved = event.get("involvedObject") or {}
    last = event.get("lastTimestamp") or event.get("eventTime") or event["metadata"].get("creationTimestamp")
    first = event.get("firstTimestamp") or event.get("eventTime") or event["metadata"].get("creationTimestamp")
    source = event.get("source") or {}
    component = source.get("component") or event.get("reportingComponent", "")
    instance = source.get("host") or event.get("reportingInstance", "")
    return [
        _age(last, now),
        event.get("type", ""),
        event.get("reason", ""),
        f"{involved.get('kind', '').lower()}/{involved.get('name', '')}",
        involved.get("fieldPath", ""),
        f"{component}, {instance}" if instance else component,
        event.get("message", ""),
        _age(first, now),
        event.get("count", 1),
        event["metadata"]["name"],
    ]


def _node_row(node: dict, now: datetime) -> list[Any]:
    conditions = {c["type"]: c["status"] for c in (node.get("status") or {}).get("conditions") or []}
    ready = "Ready" if conditions.get("Ready") == "True" else "NotReady"
    if (node.get("spec") or {}).get("unschedulable"):
        ready += ",SchedulingDisabled"
    info = (node.get("status") or {}).get("nodeInfo") or {}
    addresses = {a["type"]: a["address"] for a in (node.get("status") or {}).get("addresses") or []}
    return [
        node["metadata"]["name"],
        ready,
        "<none>",
        _age(node["metadata"].get("creationTimestamp"), now),
        info.get("kubeletVersion", ""),
        addresses.get("InternalIP", "<none>"),
        addresses.get("ExternalIP", "<none>"),
        info.get("osImage", ""),
        info.get("kernelVersion", ""),
        info.get("containerRuntimeVersion", ""),
    ]


def _namespace_row(ns: dict, now: datetime) -> list[Any]:
    return [
        ns["metadata"]["name"],
        (ns.get("status") or {}).get("phase", ""),
        _age(ns["metadata"].get("creationTimestamp"), now),
    ]


def _revision_row(rev: dict, now: datetime) -> list[Any]:
    owner = next((o for o in rev["metadata"].get("ownerReferences") or [] if o.get("controller")), None)
    controller = f"{owner['kind'].lower()}.{owner['apiVersion'].split('/')[0]}/{owner['name']}" if owner else "<none>"
    return [
        rev["metadata"]["name"],
        controller,
        rev.get("revision", 0),
        _age(rev["metadata"].get("creationTimestamp"), now),
    ]


_S, _I = "string", "integer"
PRINTERS: dict[str, tuple[list[Column], Callable[[dict, datetime], list[Any]]]] = {
    "Pod": (
        [
            ("Name", _S, 0),
            ("Ready", _S, 0),
            ("Status", _S, 0),
            ("Restarts", _I, 0),
            ("Age", _S, 0),
            ("IP", _S, 1),
            ("Node", _S, 1),
            ("Nominated Node", _S, 1),
            ("Readiness Gates", _S, 1),
        ],
        _pod_row,
    ),
    "StatefulSet": (
        [("Name", _S, 0), ("Ready", _S, 0), ("Age", _S, 0), ("Containers", _S, 1), ("Images", _S, 1)],
        _sts_row,
    ),
    "PersistentVolumeClaim": (
        [
            ("Name", _S, 0),
            ("Status", _S, 0),
            ("Volume", _S, 0),
            ("Capacity", _S, 0),
            ("Access Modes", _S, 0),
            ("StorageClass", _S, 0),
            ("Age", _S, 0),
            ("VolumeMode", _S, 1),
        ],
        _pvc_row,
    ),
    "PersistentVolume": (
        [
            ("Name", _S, 0),
            ("Capacity", _S, 0),
            ("Access Modes", _S, 0),
            ("Reclaim Policy", _S, 0),
            ("Status", _S, 0),
            ("Claim", _S, 0),
            ("StorageClass", _S, 0),
            ("Reason", _S, 0),
            ("Age", _S, 0),
            ("VolumeMode", _S, 1),
        ],
        _pv_row,
    ),
    "Event": (
        [
            ("Last Seen", _S, 0),
            ("Type", _S, 0),
            ("Reason", _S, 0),
            ("Object", _S, 0),
            ("Subobject", _S, 1),
            ("Source", _S, 1),
            ("Message", _S, 0),
            ("First Seen", _S, 1),
            ("Count", _S, 1),
            ("Name", _S, 1),
        ],
        _event_row,
    ),
    "Node": (
        [
            ("Name", _S, 0),
            ("Status", _S, 0),
            ("Roles", _S, 0),
            ("Age", _S, 0),
            ("Version", _S, 0),
            ("Internal-IP", _S, 1),
            ("External-IP", _S, 1),
            ("OS-Image", _S, 1),
            ("Kernel-Version", _S, 1),
            ("Container-Runtime", _S, 1),
        ],
        _node_row,
    ),
    "Namespace": ([("Name", _S, 0), ("Status", _S, 0), ("Age", _S, 0)], _namespace_row),
    "ControllerRevision": (
        [("Name", _S, 0), ("Controller", _S, 0), ("Revision", _S, 0), ("Age", _S, 0)],
        _revision_row,
    ),
}


PRINTERS.update(more_tables.PRINTERS)


def wants_table(accept: str | None) -> bool:
    return accept is not None and "as=Table" in accept


def to_table(kind: str, objects: list[dict], list_meta: dict, now: datetime, include_object: str) -> dict:
    columns, row = PRINTERS[kind]
    definitions = [
        {"name": name, "type": typ, "format": "name" if name == "Name" else "", "description": "", "priority": priority}
        for name, typ, priority in columns
    ]
    rows = []
    for obj in objects:
        entry: dict[str, Any] = {"cells": row(obj, now)}
        if include_object == "Object":
            entry["object"] = obj
        elif include_object != "None":
            entry["object"] = {
                "kind": "PartialObjectMetadata",
                "apiVersion": "meta.k8s.io/v1",
                "metadata": obj["metadata"],
            }
        rows.append(entry)
    return {
        "kind": "Table",
        "apiVersion": "meta.k8s.io/v1",
        "metadata": list_meta,
        "columnDefinitions": definitions,
        "rows": rows,
    }
