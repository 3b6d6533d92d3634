"""A cordoned node's taint, as 1.20's node lifecycle controller keeps it (doNoScheduleTaintingPass).

`kubectl cordon` sets the node's `spec.unschedulable`; the controller then
adds the NoSchedule taint `node.kubernetes.io/unschedulable` (with the time
it was added), and takes it off again on `kubectl uncordon`, so
`kubectl describe node` and `get node -o yaml` read as on a real cluster.
The scheduler refuses a cordoned node on `spec.unschedulable` itself (see
fit.py); the taint is what a pod's tolerations are read against.
The demo's nodes have no conditions that taint them: they are always Ready.
"""

from __future__ import annotations

from ..resources import NODES
from ..store import Write, deep_copy
from .base import Controller
from .fit import UNSCHEDULABLE_TAINT


class NodeLifecycleController(Controller[str]):
    name = "node-lifecycle"

    def on_change(self, change: Write) -> None:
        if change.resource is NODES and change.type != "DELETED":
            self.enqueue(change.object["metadata"]["name"])

    def reconcile(self, key: str) -> None:
        node = self.store.view(NODES, "", key)
        if node is None:
            return
        spec = node.get("spec") or {}
        taints = list(spec.get("taints") or [])
        tainted = any(_is_cordon_taint(t) for t in taints)
        wanted = bool(spec.get("unschedulable"))
        if tainted == wanted:
            return
        updated = deep_copy(node)
        if wanted:
            updated["spec"]["taints"] = taints + [{**UNSCHEDULABLE_TAINT, "timeAdded": self.clock.timestamp()}]
        else:
            kept = [t for t in taints if not _is_cordon_taint(t)]
            if kept:
                updated["spec"]["taints"] = kept
            else:
                updated["spec"].pop("taints", None)
        self.registry.update(NODES, updated, None, key)


def _is_cordon_taint(taint: dict) -> bool:
    return taint.get("key") == UNSCHEDULABLE_TAINT["key"] and taint.get("effect") == UNSCHEDULABLE_TAINT["effect"]
