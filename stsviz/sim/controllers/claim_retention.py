"""persistentVolumeClaimRetentionPolicy (a Kubernetes 1.27+ field; absent on
1.20, where claims always outlive their pods and set).

The StatefulSet controller expresses the policy as owner references on the
claims and lets the garbage collector do the deleting, as upstream does:
`whenDeleted: Delete` makes the set an owner of every claim; `whenScaled:
Delete` makes a condemned pod (ordinal beyond the replicas) the owner of its
claims, so they go with it.
"""

from __future__ import annotations


def policy(sts: dict) -> tuple[str, str] | None:
    """(whenDeleted, whenScaled), or None when the set has no policy (1.20 behaviour)."""
    spec = sts["spec"].get("persistentVolumeClaimRetentionPolicy")
    if not spec:
        return None
    return spec.get("whenDeleted", "Retain"), spec.get("whenScaled", "Retain")


def _ref(obj: dict, api_version: str, kind: str) -> dict:
    return {"apiVersion": api_version, "kind": kind, "name": obj["metadata"]["name"], "uid": obj["metadata"]["uid"]}


def desired_owner_refs(claim: dict, sts: dict, pod: dict | None, condemned: bool) -> list[dict]:
    when_deleted, when_scaled = policy(sts) or ("Retain", "Retain")
    ours = {sts["metadata"]["uid"]} | ({pod["metadata"].get("uid")} if pod else set())
    refs = [r for r in claim["metadata"].get("ownerReferences") or [] if r.get("uid") not in ours]
    if when_deleted == "Delete":
        refs.append(_ref(sts, "apps/v1", "StatefulSet"))
    if when_scaled == "Delete" and condemned and pod is not None and pod["metadata"].get("uid"):
        refs.append(_ref(pod, "v1", "Pod"))
    return refs
