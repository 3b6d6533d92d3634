"""Server-side defaulting and admission, as a 1.20 API server applies them.

What a client sends is not what the server stores: the real server fills in
image pull policies, termination paths, update strategies, finalizers and
more. StatefulSet revision hashes are computed over the defaulted pod template,
so these defaults must match upstream byte for byte for the demo cluster to
produce the real revision names (web-847b5bcf4c for the recordings' manifest).
"""

from __future__ import annotations

import base64
from collections.abc import Callable

from . import quantities

DEFAULT_TOLERATIONS = [
    {"key": "node.kubernetes.io/not-ready", "operator": "Exists", "effect": "NoExecute", "tolerationSeconds": 300},
    {"key": "node.kubernetes.io/unreachable", "operator": "Exists", "effect": "NoExecute", "tolerationSeconds": 300},
]


def _image_pull_policy(image: str) -> str:
    # Upstream: Always for ":latest" or an untagged image, else IfNotPresent.
    name = image.rsplit("/", 1)[-1]
    if "@" in name:
        return "IfNotPresent"
    if ":" not in name or name.endswith(":latest"):
        return "Always"
    return "IfNotPresent"


def default_container(container: dict) -> None:
    container.setdefault("imagePullPolicy", _image_pull_policy(container.get("image", "")))
    container.setdefault("terminationMessagePath", "/dev/termination-log")
    container.setdefault("terminationMessagePolicy", "File")
    container.setdefault("resources", {})
    for port in container.get("ports") or []:
        port.setdefault("protocol", "TCP")
    for key in ("livenessProbe", "readinessProbe", "startupProbe"):
        probe = container.get(key)
        if isinstance(probe, dict):
            for field, value in PROBE_DEFAULTS.items():  # SetDefaults_Probe
                probe.setdefault(field, value)
            _default_http_get(probe)
    for handler in (container.get("lifecycle") or {}).values():
        if isinstance(handler, dict):
            _default_http_get(handler)


PROBE_DEFAULTS = {"timeoutSeconds": 1, "periodSeconds": 10, "successThreshold": 1, "failureThreshold": 3}


def _default_http_get(handler: dict) -> None:
    """SetDefaults_HTTPGetAction: path "/" and scheme HTTP."""
    action = handler.get("httpGet")
    if isinstance(action, dict):
        action.setdefault("path", "/")
        action.setdefault("scheme", "HTTP")


def _default_selectors(value: object) -> None:
    """Every fieldRef gets apiVersion v1 (SetDefaults_ObjectFieldSelector) and every resourceFieldRef its
    divisor "0" (a zero Quantity, which Go serialises): in env and in downwardAPI volumes alike."""
    if isinstance(value, dict):
        for key, item in value.items():
            if key == "fieldRef" and isinstance(item, dict):
                item.setdefault("apiVersion", "v1")
            elif key == "resourceFieldRef" and isinstance(item, dict):
                item.setdefault("divisor", "0")
            else:
                _default_selectors(item)
    elif isinstance(value, list):
        for item in value:
            _default_selectors(item)


def default_pod_spec(spec: dict) -> None:
    for key in ("initContainers", "containers"):
        for container in spec.get(key) or []:
            default_container(container)
    spec.setdefault("restartPolicy", "Always")
    spec.setdefault("terminationGracePeriodSeconds", 30)
    spec.setdefault("dnsPolicy", "ClusterFirst")
    spec.setdefault("securityContext", {})
    spec.setdefault("schedulerName", "default-scheduler")
    for volume in spec.get("volumes") or []:
        for source in ("secret", "configMap", "downwardAPI", "projected"):
            if isinstance(volume.get(source), dict):
                volume[source].setdefault("defaultMode", 420)
        if isinstance(volume.get("hostPath"), dict):
            volume["hostPath"].setdefault("type", "")  # SetDefaults_HostPathVolumeSource: HostPathUnset
    _default_selectors(spec)


def default_pod_template(template: dict) -> None:
    # A template's metadata serialises creationTimestamp as null; the revision
    # hash covers it, so keep it exactly so.
    meta = template.setdefault("metadata", {})
    meta.setdefault("creationTimestamp", None)
    default_pod_spec(template.setdefault("spec", {}))


def default_pod(pod: dict) -> None:
    spec = pod.setdefault("spec", {})
    default_pod_spec(spec)
    for key in ("initContainers", "containers"):
        for container in spec.get(key) or []:
            # SetDefaults_Pod (a pod, not a template): a limit without its request requests the limit.
            resources = container.get("resources") or {}
            limits = resources.get("limits")
            if isinstance(limits, dict) and limits:
                requests = resources.setdefault("requests", {})
                for name, quantity in limits.items():
                    requests.setdefault(name, quantity)
    # Admission plugins of a default 1.20 server: ServiceAccount, Priority,
    # DefaultTolerationSeconds.
    spec.setdefault("serviceAccountName", "default")
    spec.setdefault("serviceAccount", spec["serviceAccountName"])
    spec.setdefault("enableServiceLinks", True)
    spec.setdefault("priority", 0)
    spec.setdefault("preemptionPolicy", "PreemptLowerPriority")
    _default_toleration_seconds(spec)
    status = pod.setdefault("status", {})
    status.setdefault("phase", "Pending")
    status.setdefault("qosClass", qos_class(spec))


def _default_toleration_seconds(spec: dict) -> None:
    """DefaultTolerationSeconds, on create and update alike: each of the two taints no toleration covers yet
    gets its 300-second toleration at the end (so a patch replacing the list keeps them)."""
    tolerations = spec.get("tolerations") or []
    for default in DEFAULT_TOLERATIONS:
        if not any(
            isinstance(t, dict)
            and t.get("key", "") in (default["key"], "")
            and t.get("effect", "") in ("NoExecute", "")
            for t in tolerations
        ):
            tolerations = [*tolerations, dict(default)]
    spec["tolerations"] = tolerations


def qos_class(spec: dict) -> str:
    """The pod's QoS class, as upstream's GetPodQOS: no requests nor limits anywhere is BestEffort; cpu and
    memory limited in every container, each request equal to its limit, Guaranteed; else Burstable."""
    containers = [*(spec.get("initContainers") or []), *(spec.get("containers") or [])]
    resources = [c.get("resources") or {} for c in containers]
    if not any(r.get("requests") or r.get("limits") for r in resources):
        return "BestEffort"
    for r in resources:
        limits, requests = r.get("limits") or {}, r.get("requests") or {}
        for name in ("cpu", "memory"):  # the only resources QoS is about
            if name not in limits or not _same_quantity(requests.get(name, limits[name]), limits[name]):
                return "Burstable"
    return "Guaranteed"


def _same_quantity(one: object, other: object) -> bool:
    """`1` and `1000m` are one cpu."""
    try:
        return quantities.parse(one) == quantities.parse(other)
    except ValueError:
        return str(one) == str(other)


def default_statefulset(sts: dict) -> None:
    spec = sts.setdefault("spec", {})
    spec.setdefault("replicas", 1)
    spec.setdefault("podManagementPolicy", "OrderedReady")
    spec.setdefault("revisionHistoryLimit", 10)
    strategy = spec.setdefault("updateStrategy", {})
    if not strategy.get("type"):
        # As upstream's SetDefaults_StatefulSet: no type is RollingUpdate with an empty rollingUpdate, so the
        # partition below defaults to 0 (and `kubectl rollout status` speaks of a partitioned roll out).
        strategy["type"] = "RollingUpdate"
        strategy["rollingUpdate"] = {}
    # Upstream defaults the partition only when rollingUpdate is present (an explicit `type: RollingUpdate`
    # alone leaves it out); the controller's "ordinal < currentReplicas" quirk depends on that.
    # maxUnavailable is not defaulted here: upstream writes 1 only with the
    # MaxUnavailableStatefulSet gate on (off by default), and the controller
    # reads an absent value as 1 either way, so 1.20 objects keep their shape.
    if strategy["type"] == "RollingUpdate" and strategy.get("rollingUpdate") is not None:
        strategy["rollingUpdate"].setdefault("partition", 0)
    default_pod_template(spec.setdefault("template", {}))
    for claim in spec.get("volumeClaimTemplates") or []:
        claim.setdefault("apiVersion", "v1")
        claim.setdefault("kind", "PersistentVolumeClaim")
        claim.setdefault("metadata", {}).setdefault("creationTimestamp", None)
        claim.setdefault("spec", {}).setdefault("volumeMode", "Filesystem")
        claim.setdefault("status", {}).setdefault("phase", "Pending")
    sts.setdefault("status", {}).setdefault("replicas", 0)


def default_pvc(pvc: dict) -> None:
    spec = pvc.setdefault("spec", {})
    spec.setdefault("volumeMode", "Filesystem")
    pvc.setdefault("status", {}).setdefault("phase", "Pending")


def admit_pvc(pvc: dict) -> None:
    # The StorageObjectInUseProtection admission plugin, on create only: the
    # finalizer must stay removable by the pvc-protection controller.
    finalizers = pvc["metadata"].setdefault("finalizers", [])
    if "kubernetes.io/pvc-protection" not in finalizers:
        finalizers.append("kubernetes.io/pvc-protection")


def default_pv(pv: dict) -> None:
    spec = pv.setdefault("spec", {})
    spec.setdefault("persistentVolumeReclaimPolicy", "Retain")
    spec.setdefault("volumeMode", "Filesystem")
    pv.setdefault("status", {}).setdefault("phase", "Pending")


def default_namespace(ns: dict) -> None:
    ns.setdefault("spec", {}).setdefault("finalizers", ["kubernetes"])
    ns.setdefault("status", {}).setdefault("phase", "Active")


def default_event(event: dict) -> None:
    event.setdefault("reportingComponent", "")
    event.setdefault("reportingInstance", "")
    event.setdefault("source", {})
    event.setdefault("involvedObject", {})
    for key in ("firstTimestamp", "lastTimestamp", "eventTime"):
        event.setdefault(key, None)


def default_service(svc: dict) -> None:
    spec = svc.setdefault("spec", {})
    spec.setdefault("type", "ClusterIP")
    spec.setdefault("sessionAffinity", "None")
    for port in spec.get("ports") or []:
        port.setdefault("protocol", "TCP")
        if port.get("targetPort") in (None, 0, ""):
            port["targetPort"] = port.get("port")
    if spec.get("clusterIP") and not spec.get("clusterIPs"):
        spec["clusterIPs"] = [spec["clusterIP"]]
    svc.setdefault("status", {}).setdefault("loadBalancer", {})


def default_secret(secret: dict) -> None:
    secret.setdefault("type", "Opaque")
    # v1 to internal conversion: stringData is written into data (base64), then is no more.
    string_data = secret.pop("stringData", None)
    if isinstance(string_data, dict) and string_data:
        data: dict = secret["data"] if isinstance(secret.get("data"), dict) else {}
        data.update({k: base64.b64encode(str(v).encode()).decode() for k, v in string_data.items()})
        secret["data"] = data


def default_storage_class(sc: dict) -> None:
    sc.setdefault("reclaimPolicy", "Delete")
    sc.setdefault("volumeBindingMode", "Immediate")


def default_hpa(hpa: dict) -> None:
    hpa.setdefault("spec", {}).setdefault("minReplicas", 1)
    hpa.setdefault("status", {}).setdefault("currentReplicas", 0)


def default_pod_disruption_budget(pdb: dict) -> None:
    """A new budget's status: its counts at 0 (a budget naming neither bound stays so: 1.20 defaults none)."""
    status = pdb.setdefault("status", {})
    for count in ("disruptionsAllowed", "currentHealthy", "desiredHealthy", "expectedPods"):  # Go omits no zero here
        status.setdefault(count, 0)


RBAC_GROUP = "rbac.authorization.k8s.io"


def default_binding(binding: dict) -> None:
    """SetDefaults_RoleBinding/_Subject: roleRef's apiGroup, and a User's or Group's, is RBAC's own."""
    ref = binding.get("roleRef")
    if isinstance(ref, dict) and not ref.get("apiGroup"):
        ref["apiGroup"] = RBAC_GROUP
    for subject in binding.get("subjects") or []:
        if isinstance(subject, dict) and not subject.get("apiGroup") and subject.get("kind") in ("User", "Group"):
            subject["apiGroup"] = RBAC_GROUP


DEFAULTERS: dict[str, Callable[[dict], None]] = {
    "RoleBinding": default_binding,
    "ClusterRoleBinding": default_binding,
    "PodDisruptionBudget": default_pod_disruption_budget,
    "Service": default_service,
    "Secret": default_secret,
    "StorageClass": default_storage_class,
    "HorizontalPodAutoscaler": default_hpa,
    "Pod": default_pod,
    "StatefulSet": default_statefulset,
    "PersistentVolumeClaim": default_pvc,
    "PersistentVolume": default_pv,
    "Namespace": default_namespace,
    "Event": default_event,
}


ADMISSION: dict[str, Callable[[dict], None]] = {"PersistentVolumeClaim": admit_pvc}


def apply_defaults(kind: str, obj: dict) -> None:
    defaulter = DEFAULTERS.get(kind)
    if defaulter:
        defaulter(obj)


def admit(kind: str, obj: dict) -> None:
    """Mutating admission that only runs when an object is created."""
    plugin = ADMISSION.get(kind)
    if plugin:
        plugin(obj)
