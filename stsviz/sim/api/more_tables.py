"""Table printers for the kinds pasted manifests carry: Service, ConfigMap, Secret, StorageClass, HPA, PDB,
NetworkPolicy, and RBAC's roles and bindings.

Columns and cells are the 1.20 server's printers (pkg/printers/internalversion).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

from ..selection import format_label_selector, from_label_selector_object
from .tables_base import Column, age

DEFAULT_CLASS_ANNOTATION = "storageclass.kubernetes.io/is-default-class"


def _service_row(svc: dict, now: datetime) -> list[Any]:
    spec = svc.get("spec") or {}
    kind = spec.get("type", "ClusterIP")
    external = ",".join(spec.get("externalIPs") or []) or ("<pending>" if kind == "LoadBalancer" else "<none>")
    if kind == "ExternalName":
        external = spec.get("externalName", "<none>")
    ports = []
    for port in spec.get("ports") or []:
        node = f":{port['nodePort']}" if port.get("nodePort") else ""
        ports.append(f"{port.get('port')}{node}/{port.get('protocol', 'TCP')}")
    selector = ",".join(f"{k}={v}" for k, v in sorted((spec.get("selector") or {}).items())) or "<none>"
    return [
        svc["metadata"]["name"],
        kind,
        spec.get("clusterIP") or "<none>",
        external,
        ",".join(ports) or "<none>",
        age(svc["metadata"].get("creationTimestamp"), now),
        selector,
    ]


def _configmap_row(cm: dict, now: datetime) -> list[Any]:
    count = len(cm.get("data") or {}) + len(cm.get("binaryData") or {})
    return [cm["metadata"]["name"], count, age(cm["metadata"].get("creationTimestamp"), now)]


def _secret_row(secret: dict, now: datetime) -> list[Any]:
    return [
        secret["metadata"]["name"],
        secret.get("type", "Opaque"),
        len(secret.get("data") or {}),
        age(secret["metadata"].get("creationTimestamp"), now),
    ]


def _storage_class_row(sc: dict, now: datetime) -> list[Any]:
    name = sc["metadata"]["name"]
    if (sc["metadata"].get("annotations") or {}).get(DEFAULT_CLASS_ANNOTATION) == "true":
        name += " (default)"
    return [
        name,
        sc.get("provisioner", ""),
        sc.get("reclaimPolicy", "Delete"),
        sc.get("volumeBindingMode", "Immediate"),
        bool(sc.get("allowVolumeExpansion", False)),
        age(sc["metadata"].get("creationTimestamp"), now),
    ]


def _hpa_row(hpa: dict, now: datetime) -> list[Any]:
    spec, status = hpa.get("spec") or {}, hpa.get("status") or {}
    ref = spec.get("scaleTargetRef") or {}
    target = spec.get("targetCPUUtilizationPercentage")
    current = status.get("currentCPUUtilizationPercentage")
    targets = f"{'<unknown>' if current is None else f'{current}%'}/{target}%" if target is not None else "<none>"
    return [
        hpa["metadata"]["name"],
        f"{ref.get('kind', '')}/{ref.get('name', '')}",
        targets,
        spec.get("minReplicas", 1),
        spec.get("maxReplicas", 0),
        status.get("currentReplicas", 0),
        age(hpa["metadata"].get("creationTimestamp"), now),
    ]


def _pdb_row(pdb: dict, now: datetime) -> list[Any]:
    spec, status = pdb.get("spec") or {}, pdb.get("status") or {}
    bounds = [str(spec[key]) if spec.get(key) is not None else "N/A" for key in ("minAvailable", "maxUnavailable")]
    return [
        pdb["metadata"]["name"],
        *bounds,
        status.get("disruptionsAllowed", 0),
        age(pdb["metadata"].get("creationTimestamp"), now),
    ]


def _network_policy_row(policy: dict, now: datetime) -> list[Any]:
    selector = format_label_selector(from_label_selector_object((policy.get("spec") or {}).get("podSelector")))
    selector = selector or "<none>"  # an empty podSelector selects every pod in the namespace
    return [policy["metadata"]["name"], selector, age(policy["metadata"].get("creationTimestamp"), now)]


def _role_row(role: dict, now: datetime) -> list[Any]:
    return [role["metadata"]["name"], role["metadata"].get("creationTimestamp")]  # a date: kubectl prints it as is


def _binding_row(binding: dict, now: datetime) -> list[Any]:
    ref = binding.get("roleRef") or {}
    subjects = [s for s in binding.get("subjects") or [] if isinstance(s, dict)]

    def named(kind: str) -> str:
        return ", ".join(
            f"{s.get('namespace', '')}/{s.get('name', '')}" if kind == "ServiceAccount" else s.get("name", "")
            for s in subjects
            if s.get("kind") == kind
        )

    return [
        binding["metadata"]["name"],
        f"{ref.get('kind', '')}/{ref.get('name', '')}",
        age(binding["metadata"].get("creationTimestamp"), now),
        named("User"),
        named("Group"),
        named("ServiceAccount"),
    ]


_S, _I = "string", "integer"
_BINDING_COLUMNS = [
    ("Name", _S, 0),
    ("Role", _S, 0),
    ("Age", _S, 0),
    ("Users", _S, 1),
    ("Groups", _S, 1),
    ("ServiceAccounts", _S, 1),
]
PRINTERS: dict[str, tuple[list[Column], Callable[[dict, datetime], list[Any]]]] = {
    "Service": (
        [
            ("Name", _S, 0),
            ("Type", _S, 0),
            ("Cluster-IP", _S, 0),
            ("External-IP", _S, 0),
            ("Port(s)", _S, 0),
            ("Age", _S, 0),
            ("Selector", _S, 1),
        ],
        _service_row,
    ),
    "ConfigMap": ([("Name", _S, 0), ("Data", _S, 0), ("Age", _S, 0)], _configmap_row),
    "Secret": ([("Name", _S, 0), ("Type", _S, 0), ("Data", _S, 0), ("Age", _S, 0)], _secret_row),
    "StorageClass": (
        [
            ("Name", _S, 0),
            ("Provisioner", _S, 0),
            ("ReclaimPolicy", _S, 0),
            ("VolumeBindingMode", _S, 0),
            ("AllowVolumeExpansion", _S, 0),
            ("Age", _S, 0),
        ],
        _storage_class_row,
    ),
    "HorizontalPodAutoscaler": (
        [
            ("Name", _S, 0),
            ("Reference", _S, 0),
            ("Targets", _S, 0),
            ("MinPods", _S, 0),
            ("MaxPods", _S, 0),
            ("Replicas", _S, 0),
            ("Age", _S, 0),
        ],
        _hpa_row,
    ),
    "PodDisruptionBudget": (
        [
            ("Name", _S, 0),
            ("Min Available", _S, 0),
            ("Max Unavailable", _S, 0),
            ("Allowed Disruptions", _I, 0),
            ("Age", _S, 0),
        ],
        _pdb_row,
    ),
    "NetworkPolicy": ([("Name", _S, 0), ("Pod-Selector", _S, 0), ("Age", _S, 0)], _network_policy_row),
    "Role": ([("Name", _S, 0), ("Created At", "date", 0)], _role_row),
    "ClusterRole": ([("Name", _S, 0), ("Created At", "date", 0)], _role_row),
    "RoleBinding": (_BINDING_COLUMNS, _binding_row),
    "ClusterRoleBinding": (_BINDING_COLUMNS, _binding_row),
}
