"""What may not change once written: a claim's spec, a frozen ConfigMap or Secret, a Service's cluster IP.

1.20's ValidatePersistentVolumeClaimUpdate, ValidateConfigMapUpdate,
ValidateSecretUpdate and ValidateServiceUpdate (validateUpgradeDowngradeClusterIPs),
in their words, so "edit it to fix it" is refused on the demo as on a real
cluster rather than seeming to work. A Pod's own rule is in validation_pod.
"""

from __future__ import annotations

import json

from . import quantities
from .validation_meta import Cause, go_strings

# 1.20 follows this line with a newline and a go-cmp diff of the two specs, which the demo does not
# reproduce (see validation_pod.POD_UPDATE_FORBIDDEN).
CLAIM_SPEC_FORBIDDEN = "Forbidden: spec is immutable after creation except resources.requests for bound claims"
_FROZEN = "Forbidden: field is immutable when `immutable` is set"


def claim_update_causes(old: dict, new: dict) -> list[Cause]:
    """A claim's spec is fixed, but that the binder sets volumeName once, and a bound claim's storage request
    may grow (whether it may is the PersistentVolumeClaimResize admission's call, after this)."""
    old_spec, new_spec = dict(old.get("spec") or {}), dict(new.get("spec") or {})
    if not old_spec.get("volumeName"):
        old_spec.pop("volumeName", None)
        new_spec.pop("volumeName", None)
    if (new.get("status") or {}).get("phase") == "Bound":
        old_spec["resources"], new_spec["resources"] = _without_storage(old_spec), _without_storage(new_spec)
    causes: list[Cause] = []
    if old_spec != new_spec:
        causes.append(("spec", "FieldValueForbidden", CLAIM_SPEC_FORBIDDEN))
    if _storage(new) is not None and _storage(old) is not None and _smaller(_storage(new), _storage(old)):
        where = "spec.resources.requests.storage"
        causes.append((where, "FieldValueForbidden", "Forbidden: field can not be less than previous value"))
    return causes


def _without_storage(spec: dict) -> dict:
    resources = dict(spec.get("resources") or {})
    requests = {k: v for k, v in (resources.get("requests") or {}).items() if k != "storage"}
    resources["requests"] = requests
    return resources


def _storage(claim: dict) -> object:
    return (((claim.get("spec") or {}).get("resources") or {}).get("requests") or {}).get("storage")


def _smaller(new: object, old: object) -> bool:
    if not (quantities.valid(new) and quantities.valid(old)):
        return False
    return bool(quantities.parse(new) < quantities.parse(old))


def frozen_update_causes(old: dict, new: dict, fields: tuple[str, ...]) -> list[Cause]:
    """ValidateConfigMapUpdate and ValidateSecretUpdate: once `immutable: true`, it stays so, and so does the
    data (a Secret's stringData is already folded into data when this runs)."""
    if old.get("immutable") is not True:
        return []
    causes: list[Cause] = []
    if new.get("immutable") is not True:
        causes.append(("immutable", "FieldValueForbidden", _FROZEN))
    for field in fields:
        if (old.get(field) or None) != (new.get(field) or None):
            causes.append((field, "FieldValueForbidden", _FROZEN))
    return causes


def secret_update_causes(old: dict, new: dict) -> list[Cause]:
    """ValidateSecretUpdate: the type never changes (ValidateImmutableField), then as a frozen ConfigMap."""
    causes: list[Cause] = []
    if new.get("type") != old.get("type"):
        value = json.dumps(new.get("type"))
        causes.append(("type", "FieldValueInvalid", f"Invalid value: {value}: field is immutable"))
    return causes + frozen_update_causes(old, new, ("data",))


def normalize_cluster_ips(old: dict, new: dict) -> None:
    """The Service strategy's NormalizeClusterIPs: a client that sent only `clusterIP` (a patch, or an old
    client) means clusterIPs to follow it."""
    old_spec, new_spec = old.get("spec") or {}, new.setdefault("spec", {})
    old_ips = old_spec.get("clusterIPs") or []
    if old_ips and not new_spec.get("clusterIPs") and old_spec.get("clusterIP") == new_spec.get("clusterIP"):
        new_spec["clusterIPs"] = list(old_ips)
    if old_spec.get("clusterIP") != new_spec.get("clusterIP"):
        if old_spec.get("clusterIP") and not new_spec.get("clusterIP"):
            if (new_spec.get("clusterIPs") or []) == old_ips:
                new_spec.pop("clusterIPs", None)
        elif (new_spec.get("clusterIPs") or []) == old_ips:
            new_spec["clusterIPs"] = [new_spec.get("clusterIP")]


def service_update_causes(old: dict, new: dict) -> list[Cause]:
    """validateUpgradeDowngradeClusterIPs for a single-stack Service: its cluster IP is kept for its life (but
    to or from ExternalName, or headless to headless)."""
    old_spec, new_spec = old.get("spec") or {}, new.get("spec") or {}
    if "ExternalName" in (old_spec.get("type"), new_spec.get("type")):
        return []
    old_ips, new_ips = old_spec.get("clusterIPs") or [], new_spec.get("clusterIPs") or []
    if old_spec.get("clusterIP") == "None" and new_spec.get("clusterIP") == "None":
        return []
    shown = go_strings(new_ips)
    if len(old_ips) == len(new_ips):
        return [
            (f"spec.clusterIPs[{i}]", "FieldValueInvalid", f"Invalid value: {shown}: may not change once set")
            for i, ip in enumerate(old_ips)
            if ip != new_ips[i]
        ]
    if not new_ips:
        return [
            ("spec.clusterIPs[0]", "FieldValueInvalid", f"Invalid value: {shown}: primary clusterIP can not be unset")
        ]
    if old_ips and new_ips[0] != old_ips[0]:
        return [("spec.clusterIPs[0]", "FieldValueInvalid", f"Invalid value: {shown}: may not change once set")]
    return []
