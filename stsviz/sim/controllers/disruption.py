"""PodDisruptionBudgets' status, as 1.20's disruption controller writes it (pkg/controller/disruption).

A StatefulSet bundle usually brings a PDB (the database charts do): the demo
serves policy/v1beta1 PDBs, as 1.20 does, and this fills their status, so
`kubectl get pdb` says how many disruptions the budget allows now, as on a
real cluster, and the eviction subresource (stsviz/sim/eviction.py, what
`kubectl drain` calls) enforces it.

Per budget: the pods its selector matches in its namespace (an empty or
missing selector matches none, in v1beta1); the expected count (the pods
matched, or for a percentage or maxUnavailable the sum of their
controllers' replicas, StatefulSets being the only controller here); the
healthy ones (Ready, not being deleted, and not just evicted: a pod the
eviction listed in `disruptedPods` counts as gone for two minutes, until its
deletion shows); and the disruptions allowed, healthy minus desired, never
below 0. A matched pod that no controller
owns, or whose controller is gone, leaves the count unknown: as upstream's
failSafe, no disruption is allowed then, and a Warning says which pod.
"""

from __future__ import annotations

from datetime import timedelta

from ..clock import parse_time
from ..quantities import int_or_percent
from ..registry import Registry
from ..resources import POD_DISRUPTION_BUDGETS, PODS, STATEFULSETS
from ..selection import from_label_selector_object, labels_match
from ..store import Write
from .base import Controller
from .events import EventRecorder
from .statefulset_pods import is_ready

COMPONENT = "controllermanager"  # the source 1.20's disruption controller records its Events under
DELETION_TIMEOUT = timedelta(minutes=2)  # how long an evicted pod may take to show its deletion


class Unknowable(Exception):
    """The expected count cannot be had (getExpectedScale's error): (reason, message) for the Warning."""


class DisruptionController(Controller[tuple[str, str]]):
    name = "disruption"

    def __init__(self, registry: Registry, recorder: EventRecorder) -> None:
        super().__init__(registry)
        self.recorder = recorder

    def on_change(self, change: Write) -> None:
        meta = change.object["metadata"]
        if change.resource is POD_DISRUPTION_BUDGETS and change.type != "DELETED":
            self.enqueue((meta["namespace"], meta["name"]))
        elif change.resource is PODS or change.resource is STATEFULSETS:
            for pdb in self.store.items(POD_DISRUPTION_BUDGETS, meta["namespace"]):
                self.enqueue((meta["namespace"], pdb["metadata"]["name"]))

    def reconcile(self, key: tuple[str, str]) -> None:
        namespace, name = key
        pdb = self.store.view(POD_DISRUPTION_BUDGETS, namespace, name)
        if pdb is None:
            return
        spec = pdb.get("spec") or {}
        # An empty selector (no requirement at all) selects nothing in v1beta1, as a missing one.
        matching = from_label_selector_object(spec.get("selector"))
        pods = (
            [pod for pod in self.store.items(PODS, namespace) if labels_match(matching, pod["metadata"].get("labels"))]
            if matching
            else []
        )
        if not pods:
            self.recorder.record(pdb, "Normal", "NoPods", "No matching pods found", COMPONENT)
        try:
            expected, desired = self._expected_and_desired(spec, pods, namespace)
        except Unknowable as unknown:
            reason, message = unknown.args
            self.recorder.record(pdb, "Warning", reason, message, COMPONENT)
            status = {**(pdb.get("status") or {}), "disruptionsAllowed": 0}  # failSafe: the rest as it was
        else:
            disrupted = self._disrupted(pdb, pods)
            healthy = sum(
                1
                for pod in pods
                if not pod["metadata"].get("deletionTimestamp")
                and pod["metadata"]["name"] not in disrupted
                and is_ready(pod)
            )
            status = {
                "observedGeneration": pdb["metadata"].get("generation", 1),
                "disruptionsAllowed": max(0, healthy - desired) if expected > 0 else 0,
                "currentHealthy": healthy,
                "desiredHealthy": desired,
                "expectedPods": expected,
            }
            if disrupted:
                status["disruptedPods"] = disrupted
        if pdb.get("status") != status:
            self.registry.update_status(POD_DISRUPTION_BUDGETS, {"metadata": pdb["metadata"], "status": status})

    def _disrupted(self, pdb: dict, pods: list[dict]) -> dict[str, str]:
        """buildDisruptedPodMap: the evicted pods still to show their deletion, within the timeout. One past it
        gets a Warning and counts again; the budget is looked at again when the first one expires."""
        listed = (pdb.get("status") or {}).get("disruptedPods") or {}
        kept: dict[str, str] = {}
        now = self.clock.now()
        for pod in pods:
            name = pod["metadata"]["name"]
            if pod["metadata"].get("deletionTimestamp") or name not in listed:
                continue
            try:
                expires = parse_time(listed[name]) + DELETION_TIMEOUT
            except (TypeError, ValueError):  # a hand-written status 1.20 would have refused: forget the entry
                continue
            if expires < now:
                namespace = pdb["metadata"]["namespace"]  # upstream names the namespace twice
                message = f"Pod was expected by PDB {namespace}/{namespace} to be deleted but it wasn't"
                self.recorder.record(pod, "Warning", "NotDeleted", message, COMPONENT)
            else:
                kept[name] = listed[name]
                self.enqueue_after(
                    (pdb["metadata"]["namespace"], pdb["metadata"]["name"]), (expires - now).total_seconds()
                )
        return kept

    def _expected_and_desired(self, spec: dict, pods: list[dict], namespace: str) -> tuple[int, int]:
        """getExpectedPodCount: (expectedPods, desiredHealthy)."""
        max_unavailable, min_available = spec.get("maxUnavailable"), spec.get("minAvailable")
        if max_unavailable is not None:
            expected = self._scale(pods, namespace)
            return expected, max(0, expected - int_or_percent(max_unavailable, expected, round_up=True))
        if isinstance(min_available, int):
            return len(pods), min_available
        if isinstance(min_available, str):
            expected = self._scale(pods, namespace)
            return expected, int_or_percent(min_available, expected, round_up=True)
        return 0, 0

    def _scale(self, pods: list[dict], namespace: str) -> int:
        """getExpectedScale: the replicas of the matched pods' controllers, each counted once; Unknowable if
        a pod has no controller, or one that is gone (its name taken by another object is gone too)."""
        owners: dict[str, int] = {}
        for pod in pods:
            name = pod["metadata"]["name"]
            ref = next((r for r in pod["metadata"].get("ownerReferences") or [] if r.get("controller")), None)
            if ref is None:
                raise Unknowable("NoControllerRef", f'found no controller ref for pod "{name}"')
            sts = (
                self.store.view(STATEFULSETS, namespace, ref.get("name", ""))
                if ref.get("kind") == "StatefulSet"
                else None
            )
            if sts is None or sts["metadata"].get("uid") != ref.get("uid"):
                raise Unknowable("NoControllers", f'found no controllers for pod "{name}"')
            owners[sts["metadata"]["uid"]] = sts["spec"].get("replicas", 1)
        return sum(owners.values())
