"""The scheduler: binds pending pods to fake nodes.

A pod whose claims are not bound yet (Immediate binding) is Unschedulable,
with the upstream message and a FailedScheduling event, and retried after a
back-off; with WaitForFirstConsumer the scheduler picks the node first,
marks the claim with it and binds the pod once the volume is there. Of the
nodes the pod fits (fit.py: its cpu and memory requests, nodeSelector and
node affinity, required pod anti-affinity), the one with fewest pods, then
name; none, and the pod is Unschedulable with upstream's count of reasons.
"""

from __future__ import annotations

from ..registry import Registry
from ..resources import NODES, PODS, PVCS
from ..store import Write, deep_copy
from .base import Controller
from .events import EventRecorder
from .fit import node_fit_reasons, requests, topologies_kept_with, unschedulable_message
from .volumes import SELECTED_NODE_ANNOTATION, storage_class

COMPONENT = "default-scheduler"


def claim_names(pod: dict) -> list[str]:
    return [
        v["persistentVolumeClaim"]["claimName"]
        for v in (pod.get("spec") or {}).get("volumes") or []
        if v.get("persistentVolumeClaim")
    ]


class Scheduler(Controller[tuple[str, str]]):
    name = COMPONENT

    def __init__(
        self,
        registry: Registry,
        recorder: EventRecorder,
        nodes: list[str],
        retry_delay: float = 2.7,
    ) -> None:
        super().__init__(registry)
        self.recorder = recorder
        self.nodes = nodes
        self.retry_delay = retry_delay
        self.instance = f"{COMPONENT}-sim"
        # Pods per node and what they request, kept from the change stream (the scheduler cache's job).
        self._load = {node: 0 for node in nodes}
        self._requested: dict[str, tuple[int, int]] = {node: (0, 0) for node in nodes}
        self._attempts: dict[str, int] = {}  # pod uid → failed attempts, for the back-off

    @staticmethod
    def _counted_node(pod: dict | None) -> str | None:
        if pod is None or (pod.get("status") or {}).get("phase") in ("Succeeded", "Failed"):
            return None
        return pod["spec"].get("nodeName")

    def on_change(self, change: Write) -> None:
        if change.resource is NODES:
            self._node_changed(change)
            return
        if change.resource is not PODS:
            return
        before = self._counted_node(change.previous)
        after = None if change.type == "DELETED" else self._counted_node(change.object)
        if before != after:
            if before in self._load:
                self._load[before] -= 1
                self._add_requests(before, change.previous, -1)
            if after in self._load:
                self._load[after] += 1
                self._add_requests(after, change.object, 1)
        if change.type == "ADDED":
            self.enqueue((change.object["metadata"]["namespace"], change.object["metadata"]["name"]))
        elif change.type == "DELETED" or after is not None:
            self._attempts.pop(change.object["metadata"]["uid"], None)

    def _node_changed(self, change: Write) -> None:
        """A node uncordoned, untainted or relabelled may fit pods that fitted nowhere: try them now, not
        after their back-off (upstream moves them back to the active queue on such node updates)."""
        before = change.previous or {}
        after = change.object
        if change.type == "DELETED" or (
            before.get("spec") == after.get("spec")
            and (before.get("metadata") or {}).get("labels") == after["metadata"].get("labels")
        ):
            return
        for pod in self.store.items(PODS):
            if not pod["spec"].get("nodeName") and not pod["metadata"].get("deletionTimestamp"):
                self.enqueue((pod["metadata"]["namespace"], pod["metadata"]["name"]))

    def reconcile(self, key: tuple[str, str]) -> None:
        namespace, name = key
        pod = self.store.view(PODS, namespace, name)
        if (
            pod is None
            or pod["spec"].get("nodeName")
            or pod["metadata"].get("deletionTimestamp")
            or pod["spec"].get("schedulerName", COMPONENT) != COMPONENT
        ):
            return
        if not self.nodes:
            self._unschedulable(pod, key, "0/0 nodes are available.")
            return
        node, message = self._pick_node(pod)
        if node is None:
            self._unschedulable(pod, key, message)
            return
        waiting_for_volumes = False
        for claim_name in claim_names(pod):
            pvc = self.store.view(PVCS, namespace, claim_name)
            if pvc is None:
                self._unschedulable(
                    pod,
                    key,
                    f"0/{len(self.nodes)} nodes are available: {len(self.nodes)} "
                    f'persistentvolumeclaim "{claim_name}" not found.',
                )
                return
            if pvc["status"].get("phase") == "Bound":
                continue
            sc = storage_class(self.store, pvc["spec"].get("storageClassName") or "")
            if sc is None or sc.binding_mode != "WaitForFirstConsumer":
                self._unschedulable(
                    pod,
                    key,
                    f"0/{len(self.nodes)} nodes are available: {len(self.nodes)} pod has "
                    "unbound immediate PersistentVolumeClaims.",
                )
                return
            waiting_for_volumes = True
            if not (pvc["metadata"].get("annotations") or {}).get(SELECTED_NODE_ANNOTATION):
                marked = deep_copy(pvc)
                marked["metadata"].setdefault("annotations", {})[SELECTED_NODE_ANNOTATION] = node
                self.registry.update(PVCS, marked, namespace, claim_name)
        if waiting_for_volumes:
            # PreBind waits for the volume binder; look again shortly.
            self.enqueue_after(key, 0.5)
            return
        self._bind(pod, node)

    def _add_requests(self, node: str, pod: dict | None, sign: int) -> None:
        if pod is not None:
            cpu, memory = requests(pod)
            held = self._requested[node]
            self._requested[node] = (held[0] + sign * cpu, held[1] + sign * memory)

    def _pick_node(self, pod: dict) -> tuple[str | None, str]:
        """The node for `pod`, or None and why no node fits."""
        nodes = {name: self.store.view(NODES, "", name) or {} for name in self.nodes}
        affinity = (pod.get("spec") or {}).get("affinity") or {}
        # Where the other pods are, those the scheduler's cache holds (not Succeeded or Failed): only asked
        # when the pod keeps with or away from some of them.
        neighbours = (
            [
                (other, nodes.get(other["spec"].get("nodeName"), {}))
                for other in self.store.items(PODS)
                if self._counted_node(other) is not None
            ]
            if affinity.get("podAntiAffinity") or affinity.get("podAffinity")
            else []
        )
        kept_with = topologies_kept_with(pod, neighbours)
        reasons = {
            name: node_fit_reasons(pod, nodes[name], self._load[name], self._requested[name], neighbours, kept_with)
            for name in self.nodes
        }
        fitting = [name for name in self.nodes if not reasons[name]]
        if not fitting:
            return None, unschedulable_message(list(reasons.values()))
        load = self._load
        return min(fitting, key=lambda n: (load[n], n)), ""

    def _unschedulable(self, pod: dict, key: tuple[str, str], message: str) -> None:
        updated = deep_copy(pod)
        conditions = [c for c in updated["status"].get("conditions") or [] if c.get("type") != "PodScheduled"]
        previous = next((c for c in pod["status"].get("conditions") or [] if c.get("type") == "PodScheduled"), None)
        condition = {
            "type": "PodScheduled",
            "status": "False",
            "lastProbeTime": None,
            "lastTransitionTime": (previous or {}).get("lastTransitionTime") or self.clock.timestamp(),
            "reason": "Unschedulable",
            "message": message,
        }
        updated["status"]["conditions"] = conditions + [condition]
        written = self.registry.update_status(PODS, updated)
        self.recorder.record_new(
            written, "Warning", "FailedScheduling", "Scheduling", message, COMPONENT, self.instance
        )
        # Back off per pod, doubling up to a minute, so a pod that can never fit does not flood events.
        attempts = self._attempts[pod["metadata"]["uid"]] = self._attempts.get(pod["metadata"]["uid"], 0) + 1
        self.enqueue_after(key, min(self.retry_delay * 2 ** (attempts - 1), 60.0))

    def _bind(self, pod: dict, node: str) -> None:
        written = self.registry.bind_pod(pod["metadata"]["namespace"], pod["metadata"]["name"], node)
        self.recorder.record_new(
            written,
            "Normal",
            "Scheduled",
            "Binding",
            f"Successfully assigned {pod['metadata']['namespace']}/{pod['metadata']['name']} to {node}",
            COMPONENT,
            self.instance,
        )
