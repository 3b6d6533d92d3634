"""Admission that needs the cluster's state: Service cluster IPs, DefaultStorageClass, PVC resize.

The first two run once, when an object is created, after defaulting (defaults.py
holds the stateless part); PersistentVolumeClaimResize on a claim's update,
after validation. Cluster IPs come from 10.96.0.0/12, kubeadm's and kind's
service range; 10.96.0.1 is the `kubernetes` Service's, as on those clusters.
"""

from __future__ import annotations

import ipaddress
import random

from . import errors, quantities
from .resources import SERVICES, STORAGE_CLASSES
from .store import Store

SERVICE_RANGE = ipaddress.ip_network("10.96.0.0/12")
DEFAULT_CLASS_ANNOTATION = "storageclass.kubernetes.io/is-default-class"


def allocate_cluster_ip(store: Store, svc: dict, rng: random.Random) -> None:
    spec = svc["spec"]
    if spec.get("type") == "ExternalName" or spec.get("clusterIP") == "None":
        if spec.get("clusterIP") == "None":
            spec["clusterIPs"] = ["None"]
        return
    used = {(s.get("spec") or {}).get("clusterIP") for s in store.items(SERVICES)}
    wanted = spec.get("clusterIP")
    if wanted:
        try:
            address = ipaddress.ip_address(wanted)
        except ValueError:
            address = None
        if address is None or address not in SERVICE_RANGE:
            raise errors.invalid(
                "Service",
                "",
                svc["metadata"]["name"],
                [
                    (
                        "spec.clusterIPs",
                        "FieldValueInvalid",
                        f'Invalid value: []string{{"{wanted}"}}: failed to allocated ip:{wanted} with error:provided '
                        f"IP is not in the valid range. The range of valid IPs is {SERVICE_RANGE}",
                    )
                ],
            )
        if wanted in used:
            raise errors.invalid(
                "Service",
                "",
                svc["metadata"]["name"],
                [
                    (
                        "spec.clusterIPs",
                        "FieldValueInvalid",
                        f'Invalid value: []string{{"{wanted}"}}: failed to allocated ip:{wanted} with error:provided '
                        "IP is already allocated",
                    )
                ],
            )
    else:
        while True:
            wanted = str(SERVICE_RANGE[rng.randrange(2, SERVICE_RANGE.num_addresses - 1)])
            if wanted not in used:
                break
    spec["clusterIP"] = wanted
    spec["clusterIPs"] = [wanted]


def default_class_name(store: Store) -> str | None:
    """The default StorageClass, as the admission plugin picks it: the newest of those annotated."""
    marked = [
        sc
        for sc in store.items(STORAGE_CLASSES)
        if (sc["metadata"].get("annotations") or {}).get(DEFAULT_CLASS_ANNOTATION) == "true"
    ]
    if not marked:
        return None
    return max(marked, key=lambda sc: (sc["metadata"]["creationTimestamp"], sc["metadata"]["name"]))["metadata"]["name"]


def default_storage_class(store: Store, pvc: dict) -> None:
    # Only a claim that says nothing gets the default; "" asks for no class at all.
    spec = pvc["spec"]
    if "storageClassName" not in spec or spec["storageClassName"] is None:
        name = default_class_name(store)
        if name is not None:
            spec["storageClassName"] = name


def _storage_request(pvc: dict) -> object:
    return (((pvc.get("spec") or {}).get("resources") or {}).get("requests") or {}).get("storage")


def check_claim_resize(store: Store, old: dict, new: dict) -> None:
    """PersistentVolumeClaimResize: a claim grows only if bound and its class says allowVolumeExpansion."""
    old_size, new_size = _storage_request(old), _storage_request(new)
    if not (quantities.valid(old_size) and quantities.valid(new_size)):
        return
    if quantities.parse(new_size) <= quantities.parse(old_size):
        return
    if (old.get("status") or {}).get("phase") != "Bound":
        _refuse_claim(new, "Only bound persistent volume claims can be expanded")
    name = (new.get("spec") or {}).get("storageClassName") or ""
    sc = store.view(STORAGE_CLASSES, "", name) if name else None
    if (
        sc is None
        or name != ((old.get("spec") or {}).get("storageClassName") or "")
        or sc.get("allowVolumeExpansion") is not True
    ):
        _refuse_claim(
            new,
            "only dynamically provisioned pvc can be resized and "
            "the storageclass that provisions the pvc must support resize",
        )


def _refuse_claim(pvc: dict, reason: str) -> None:
    name = pvc["metadata"]["name"]
    raise errors.StatusError(
        403,
        "Forbidden",
        f'persistentvolumeclaims "{name}" is forbidden: {reason}',
        {"name": name, "kind": "persistentvolumeclaims"},
    )
