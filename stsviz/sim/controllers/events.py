"""core/v1 Events as the components of a 1.20 cluster record them.

Controllers (statefulset-controller, persistentvolume-controller, kubelet)
use the legacy recorder: identical events on the same object aggregate into
one Event whose `count` grows and `lastTimestamp` moves. The scheduler uses
the events.k8s.io recorder: `action`, `eventTime`, `reportingComponent`, no
count. Event names are `<object>.<unix nanos in hex>`, as upstream.
"""

from __future__ import annotations

from ..errors import StatusError
from ..registry import Registry
from ..resources import EVENTS


def object_reference(obj: dict) -> dict:
    meta = obj["metadata"]
    ref = {
        "kind": obj["kind"],
        "namespace": meta.get("namespace"),
        "name": meta["name"],
        "uid": meta["uid"],
        "apiVersion": obj["apiVersion"],
        "resourceVersion": meta.get("resourceVersion"),
    }
    return {k: v for k, v in ref.items() if v is not None}


class EventRecorder:
    def __init__(self, registry: Registry) -> None:
        self.registry = registry
        self._aggregated: dict[tuple, str] = {}
        self._last_nanos = 0

    def _name(self, obj: dict) -> str:
        nanos = max(self.registry.clock.nanos(), self._last_nanos + 1)
        self._last_nanos = nanos
        return f"{obj['metadata']['name']}.{nanos:x}"

    @staticmethod
    def _namespace(obj: dict) -> str:
        return obj["metadata"].get("namespace") or "default"

    def record(
        self,
        obj: dict,
        type_: str,
        reason: str,
        message: str,
        component: str,
        host: str | None = None,
        field_path: str | None = None,
    ) -> None:
        """A legacy (core/v1) event, aggregated like the client-go EventCorrelator."""
        ref = object_reference(obj)
        if field_path:
            ref["fieldPath"] = field_path
        namespace = self._namespace(obj)
        key = (namespace, ref["uid"], ref.get("fieldPath"), type_, reason, message, component)
        now = self.registry.clock.timestamp()
        existing_name = self._aggregated.get(key)
        if existing_name is not None:
            existing = self.registry.store.view(EVENTS, namespace, existing_name)
            if existing is not None:
                updated = dict(existing)
                updated["count"] = existing.get("count", 1) + 1
                updated["lastTimestamp"] = now
                self.registry.update(EVENTS, updated, namespace, existing_name)
                return
        source = {"component": component}
        if host:
            source["host"] = host
        event = {
            "metadata": {"name": self._name(obj), "namespace": namespace},
            "involvedObject": ref,
            "reason": reason,
            "message": message,
            "source": source,
            "firstTimestamp": now,
            "lastTimestamp": now,
            "count": 1,
            "type": type_,
            "eventTime": None,
            "reportingComponent": "",
            "reportingInstance": "",
        }
        try:
            created = self.registry.create(EVENTS, event, namespace)
        except StatusError:
            return  # the namespace is going away; upstream drops such events too
        self._aggregated[key] = created["metadata"]["name"]

    def record_new(
        self, obj: dict, type_: str, reason: str, action: str, message: str, component: str, instance: str
    ) -> None:
        """An events.k8s.io-style event, as the scheduler writes them."""
        event = {
            "metadata": {"name": self._name(obj), "namespace": self._namespace(obj)},
            "involvedObject": object_reference(obj),
            "reason": reason,
            "message": message,
            "source": {},
            "firstTimestamp": None,
            "lastTimestamp": None,
            "type": type_,
            "action": action,
            "eventTime": self.registry.clock.micro_timestamp(),
            "reportingComponent": component,
            "reportingInstance": instance,
        }
        try:
            self.registry.create(EVENTS, event, self._namespace(obj))
        except StatusError:
            pass
