"""What a StatefulSet's pods and claims look like: names, identity, storage,
and the readiness predicates the controller decides on (stateful_set_utils.go).
"""

from __future__ import annotations

import copy
import re
from datetime import datetime, timedelta

from ..clock import parse_time
from ..quantities import int_or_percent
from .revisions import controller_ref

POD_NAME_LABEL = "statefulset.kubernetes.io/pod-name"
REVISION_LABEL = "controller-revision-hash"
_ORDINAL = re.compile(r"^(.*)-([0-9]+)$")


def parent_and_ordinal(pod: dict) -> tuple[str, int]:
    match = _ORDINAL.match(pod["metadata"]["name"])
    if not match:
        return "", -1
    return match.group(1), int(match.group(2))


def ordinal_of(pod: dict) -> int:
    return parent_and_ordinal(pod)[1]


def start_ordinal(sts: dict) -> int:
    """spec.ordinals.start: the first ordinal (a 1.26+ field; 0 when absent, as on 1.20)."""
    return ((sts["spec"].get("ordinals") or {}).get("start")) or 0


def pod_name(sts: dict, ordinal: int) -> str:
    return f"{sts['metadata']['name']}-{ordinal}"


def claim_name(sts: dict, template_name: str, ordinal: int) -> str:
    return f"{template_name}-{sts['metadata']['name']}-{ordinal}"


def pod_revision(pod: dict) -> str:
    return (pod["metadata"].get("labels") or {}).get(REVISION_LABEL, "")


def is_created(pod: dict) -> bool:
    return bool((pod.get("status") or {}).get("phase"))


def is_terminating(pod: dict) -> bool:
    return bool(pod["metadata"].get("deletionTimestamp"))


def is_failed(pod: dict) -> bool:
    return (pod.get("status") or {}).get("phase") == "Failed"


def is_ready(pod: dict) -> bool:
    return any(
        c.get("type") == "Ready" and c.get("status") == "True"
        for c in (pod.get("status") or {}).get("conditions") or []
    )


def is_running_and_ready(pod: dict) -> bool:
    return (pod.get("status") or {}).get("phase") == "Running" and is_ready(pod)


def min_ready_seconds(sts: dict) -> int:
    """spec.minReadySeconds (a 1.22+ field; 0 when absent, as on 1.20)."""
    return sts["spec"].get("minReadySeconds") or 0


def ready_since(pod: dict) -> datetime | None:
    """When the Ready condition last turned True, to the second as the server stores it."""
    for condition in (pod.get("status") or {}).get("conditions") or []:
        if condition.get("type") == "Ready" and condition.get("status") == "True":
            since = condition.get("lastTransitionTime")
            return parse_time(since) if since else None
    return None


def is_running_and_available(pod: dict, min_ready: int, now: datetime) -> bool:
    """isRunningAndAvailable → podutil.IsPodAvailable: Ready, and Ready since strictly more than min_ready seconds."""
    if not is_running_and_ready(pod):
        return False
    if min_ready == 0:
        return True
    since = ready_since(pod)
    return since is not None and since + timedelta(seconds=min_ready) < now


def is_unavailable(pod: dict, min_ready: int, now: datetime) -> bool:
    """isUnavailable: what the rolling update waits on and maxUnavailable counts (with 0, the same as not healthy)."""
    return not is_running_and_available(pod, min_ready, now) or is_terminating(pod)


def seconds_until_available(pod: dict, min_ready: int, now: datetime) -> float | None:
    """For a Ready pod still inside its minReadySeconds: how long until it counts as available."""
    if min_ready == 0 or not is_running_and_ready(pod) or is_running_and_available(pod, min_ready, now):
        return None
    since = ready_since(pod)
    if since is None:
        return None  # upstream never counts a Ready condition without a transition time as available
    return (since + timedelta(seconds=min_ready) - now).total_seconds()


def max_unavailable(sts: dict, replica_count: int) -> int:
    """getStatefulSetMaxUnavailable: rollingUpdate.maxUnavailable (default 1), a percent of
    spec.replicas rounded down, never below 1 so a small percentage still makes progress."""
    value = ((sts["spec"].get("updateStrategy") or {}).get("rollingUpdate") or {}).get("maxUnavailable") or 1
    return max(1, int_or_percent(value, replica_count, round_up=False))


def claims_for(sts: dict, ordinal: int) -> list[dict]:
    """The PVCs of one ordinal: template + the set's selector labels, named <template>-<set>-<ordinal>."""
    claims = []
    match_labels = (sts["spec"].get("selector") or {}).get("matchLabels") or {}
    for template in sts["spec"].get("volumeClaimTemplates") or []:
        claim = copy.deepcopy(template)
        claim.pop("status", None)
        meta = claim.setdefault("metadata", {})
        meta.pop("creationTimestamp", None)
        meta["name"] = claim_name(sts, template["metadata"]["name"], ordinal)
        meta["namespace"] = sts["metadata"]["namespace"]
        meta["labels"] = {**(meta.get("labels") or {}), **match_labels}
        claims.append(claim)
    return claims


def identity_matches(sts: dict, pod: dict) -> bool:
    parent, ordinal = parent_and_ordinal(pod)
    return (
        ordinal >= 0
        and parent == sts["metadata"]["name"]
        and pod["metadata"]["name"] == pod_name(sts, ordinal)
        and pod["metadata"].get("namespace") == sts["metadata"]["namespace"]
        and (pod["metadata"].get("labels") or {}).get(POD_NAME_LABEL) == pod["metadata"]["name"]
    )


def storage_matches(sts: dict, pod: dict) -> bool:
    ordinal = ordinal_of(pod)
    if ordinal < 0:
        return False
    volumes = {v["name"]: v for v in (pod.get("spec") or {}).get("volumes") or []}
    for template in sts["spec"].get("volumeClaimTemplates") or []:
        volume = volumes.get(template["metadata"]["name"])
        claim = (volume or {}).get("persistentVolumeClaim") or {}
        if claim.get("claimName") != claim_name(sts, template["metadata"]["name"], ordinal):
            return False
    return True


def update_identity(sts: dict, pod: dict) -> None:
    meta = pod["metadata"]
    meta["name"] = pod_name(sts, ordinal_of(pod))
    meta["namespace"] = sts["metadata"]["namespace"]
    meta.setdefault("labels", {})[POD_NAME_LABEL] = meta["name"]
    pod["spec"]["hostname"] = meta["name"]
    if sts["spec"].get("serviceName"):
        pod["spec"]["subdomain"] = sts["spec"]["serviceName"]


def update_storage(sts: dict, pod: dict) -> None:
    ordinal = ordinal_of(pod)
    templates = [t["metadata"]["name"] for t in sts["spec"].get("volumeClaimTemplates") or []]
    if not templates:
        return
    claim_volumes = [
        {"name": name, "persistentVolumeClaim": {"claimName": claim_name(sts, name, ordinal)}} for name in templates
    ]
    others = [v for v in pod["spec"].get("volumes") or [] if v["name"] not in templates]
    pod["spec"]["volumes"] = claim_volumes + others


def new_pod(sts: dict, ordinal: int, revision_name: str) -> dict:
    """newStatefulSetPod: the template, the controller reference, identity, storage, revision label."""
    template = sts["spec"]["template"]
    template_meta = template.get("metadata") or {}
    meta: dict = {
        "name": pod_name(sts, ordinal),
        "generateName": f"{sts['metadata']['name']}-",
        "labels": dict(template_meta.get("labels") or {}),
        "ownerReferences": [controller_ref(sts)],
    }
    if template_meta.get("annotations"):
        meta["annotations"] = dict(template_meta["annotations"])
    pod: dict = {"apiVersion": "v1", "kind": "Pod", "metadata": meta, "spec": copy.deepcopy(template.get("spec") or {})}
    update_identity(sts, pod)
    update_storage(sts, pod)
    pod["metadata"]["labels"][REVISION_LABEL] = revision_name
    return pod
