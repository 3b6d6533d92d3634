"""The pods/eviction subresource: a pod deleted only as its PodDisruptionBudget allows, as 1.20 does it.

`kubectl drain` evicts each pod on the node through this (it finds the
subresource in discovery; without it, it deleted the pods outright), and
retries every 5 seconds while a budget says no. 1.20's EvictionREST.Create
(pkg/registry/core/pod/storage/eviction.go), step by step:

- a pod that is Pending, finished, or already being deleted goes at once;
- the budgets in its namespace whose selector matches its labels: more than
  one is a 500, none lets the pod go;
- a pod that is not Ready goes (guarded by its resourceVersion) while the
  budget has at least as many healthy pods as it wants;
- otherwise the budget must have seen its latest spec and allow a
  disruption: it then allows one fewer and lists the pod in `disruptedPods`
  (so the disruption controller counts it as gone until it is), and the pod
  is deleted; else 429, in the server's words, which kubectl retries.
"""

from __future__ import annotations

from typing import Any

from . import errors
from .controllers.statefulset_pods import is_ready
from .registry import Registry
from .resources import POD_DISRUPTION_BUDGETS, PODS, Resource
from .selection import from_label_selector_object, labels_match
from .store import deep_copy

# The body's own type: policy/v1beta1 Eviction, posted to a pod (the only version 1.20 serves).
EVICTION = Resource("evictions", "Eviction", "policy", "v1beta1", True, verbs=("create",))
VIOLATES = "Cannot evict pod as it would violate the pod's disruption budget."
_MORE_THAN_ONE = "This pod has more than one PodDisruptionBudget, which the eviction subresource does not support."
_BEING_PROCESSED = "The disruption budget {} is still being processed by the server."


def evict(registry: Registry, namespace: str, name: str, body: Any) -> dict:
    """Evict pod `name` as `body` (an Eviction) asks: the Status to answer with 201 (as the real server, even
    for a Failure it returns rather than raises), or raise the refusal."""
    metadata, options = (body.get("metadata"), body.get("deleteOptions")) if isinstance(body, dict) else (None, None)
    if not isinstance(metadata, dict) or not (options is None or isinstance(options, dict)):
        raise errors.bad_request("not a Eviction object")  # Go could not have decoded it into one
    if metadata.get("name") != name:
        raise errors.bad_request("name in URL does not match name in Eviction object")
    options = deep_copy(options or {})
    dry_run = bool(options.get("dryRun"))  # kubectl drain --dry-run=server: checked, nothing changed
    client_version = (options.get("preconditions") or {}).get("resourceVersion")
    pod = registry.get(PODS, namespace, name)
    meta, phase = pod["metadata"], (pod.get("status") or {}).get("phase")
    if phase in ("Succeeded", "Failed", "Pending") or meta.get("deletionTimestamp"):
        if phase == "Pending" and not meta.get("deletionTimestamp") and not client_version:
            _guard(options, meta)  # shouldEnforceResourceVersion: only finished or deleting pods go unguarded
        registry.delete(PODS, namespace, name, options)
        return _success()
    budgets = _budgets(registry, pod)
    if len(budgets) > 1:
        return {
            "kind": "Status",
            "apiVersion": "v1",
            "metadata": {},
            "status": "Failure",
            "message": _MORE_THAN_ONE,
            "code": 500,
        }
    if budgets:
        budget = budgets[0]
        status = budget.get("status") or {}
        healthy, desired = status.get("currentHealthy", 0), status.get("desiredHealthy", 0)
        if not is_ready(pod) and healthy >= desired and desired > 0:
            _guard(options, meta)  # the pod as seen not Ready: upstream sets this whatever the client sent
            try:
                registry.delete(PODS, namespace, name, options)
            except errors.StatusError as error:
                if error.code == 409 and not client_version:  # the pod changed since: maybe Ready, and counted
                    raise _too_many(_BEING_PROCESSED.format(_name(budget))) from None
                raise
            return _success()
        _take_disruption(registry, budget, name, dry_run)
    registry.delete(PODS, namespace, name, options)
    return _success()


def _budgets(registry: Registry, pod: dict) -> list[dict]:
    labels = pod["metadata"].get("labels")
    if not labels:
        return []
    found = []
    for budget in registry.store.items(POD_DISRUPTION_BUDGETS, pod["metadata"]["namespace"]):
        selector = from_label_selector_object((budget.get("spec") or {}).get("selector"))
        if selector and labels_match(selector, labels):  # an empty selector selects nothing here
            found.append(budget)
    return found


def _take_disruption(registry: Registry, budget: dict, pod_name: str, dry_run: bool) -> None:
    """checkAndDecrement: one disruption fewer, the pod listed as disrupted; or the refusal. A dry run is
    checked alike and writes nothing (it used up a disruption for two minutes)."""
    status = budget.get("status") or {}
    if status.get("observedGeneration", 0) < budget["metadata"].get("generation", 1):
        raise _too_many(_BEING_PROCESSED.format(_name(budget)))
    allowed = status.get("disruptionsAllowed", 0)
    if allowed < 0:
        raise errors.StatusError(
            403,
            "Forbidden",
            f'poddisruptionbudget.policy "{_name(budget)}" is forbidden: pdb disruptions allowed is negative',
            {"name": _name(budget), "group": "policy", "kind": "poddisruptionbudget"},
        )
    if allowed == 0:
        raise _too_many(
            f"The disruption budget {_name(budget)} needs {status.get('desiredHealthy', 0)} healthy pods "
            f"and has {status.get('currentHealthy', 0)} currently",
        )
    if dry_run:
        return
    updated = deep_copy(budget)
    updated_status = updated.setdefault("status", {})
    updated_status["disruptionsAllowed"] = allowed - 1
    updated_status.setdefault("disruptedPods", {})[pod_name] = registry.clock.timestamp()
    registry.update_status(POD_DISRUPTION_BUDGETS, updated)


def _too_many(cause: str) -> errors.StatusError:
    return errors.StatusError(
        429,
        "TooManyRequests",
        VIOLATES,
        {"causes": [{"reason": "DisruptionBudget", "message": cause}]},
    )


def _guard(options: dict, meta: dict) -> None:
    """Delete only the pod as it was seen (setPreconditionsResourceVersion)."""
    preconditions = options.get("preconditions")
    options["preconditions"] = {**(preconditions if isinstance(preconditions, dict) else {})}
    options["preconditions"]["resourceVersion"] = meta["resourceVersion"]


def _name(budget: dict) -> str:
    return str(budget["metadata"]["name"])


def _success() -> dict:
    return {"kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Success", "code": 201}
