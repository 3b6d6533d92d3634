"""What the live source watches: the six kinds, their API paths, and the scope.

A kind is named by its plural resource, the word kubectl and RBAC use
("pods", "statefulsets"), and carries the slim record type its objects fold
into. `Scope` is a namespace (or all namespaces) and an optional label selector.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

from stsviz.model.records import Claim, ControllerRevision, Event, PersistentVolume, Pod, StatefulSet


@dataclass(frozen=True, slots=True)
class Kind:
    resource: str  # plural, as in RBAC and `kubectl get`: "statefulsets"
    kind: str  # the object's `kind`: "StatefulSet"
    api: str  # "/apis/apps/v1" or "/api/v1"
    record: Any  # the slim record type: StatefulSet, Pod, Claim, Event
    selectable: bool = False  # whether `-l` applies to it: to StatefulSets alone (see STATEFULSETS)
    cluster_scoped: bool = False  # no namespace: watched cluster-wide whatever the scope

    def path(self, namespace: str | None) -> str:
        """The collection URL path, in one namespace or across all."""
        if namespace is None or self.cluster_scoped:
            return f"{self.api}/{self.resource}"
        return f"{self.api}/namespaces/{quote(namespace, safe='')}/{self.resource}"


# `-l` selects sets, as `kubectl get sts -l` does. Their pods, claims and revisions carry the pod
# template's labels, not the set's: a selector on a label of the sets alone (tier=x) hid every pod
# of a healthy set, which then showed all ordinals missing beside "done". They are watched whole.
STATEFULSETS = Kind("statefulsets", "StatefulSet", "/apis/apps/v1", StatefulSet, selectable=True)
PODS = Kind("pods", "Pod", "/api/v1", Pod)
CLAIMS = Kind("persistentvolumeclaims", "PersistentVolumeClaim", "/api/v1", Claim)
EVENTS = Kind("events", "Event", "/api/v1", Event)
REVISIONS = Kind("controllerrevisions", "ControllerRevision", "/apis/apps/v1", ControllerRevision)

# Volumes are cluster-scoped: all of them are watched (a cluster has about as many as claims).
# The built-in view role may not list them: that degrades alone.
VOLUMES = Kind("persistentvolumes", "PersistentVolume", "/api/v1", PersistentVolume, cluster_scoped=True)

KINDS: tuple[Kind, ...] = (STATEFULSETS, PODS, CLAIMS, EVENTS, REVISIONS, VOLUMES)

# Short names for the status line.
SHORT_NAMES = {
    "statefulsets": "sts",
    "pods": "pods",
    "persistentvolumeclaims": "pvc",
    "events": "events",
    "controllerrevisions": "rev",
    "persistentvolumes": "pv",
}


@dataclass(frozen=True, slots=True)
class Scope:
    """Which objects to watch: one namespace or all (None), optionally a label selector."""

    namespace: str | None
    selector: str | None = None

    def describe(self) -> str:
        where = "all namespaces" if self.namespace is None else f"namespace {self.namespace}"
        return f"{where}, -l {self.selector}" if self.selector else where

    def query(self, kind: Kind) -> list[tuple[str, str]]:
        """The query parameters every list and watch of `kind` carries."""
        if self.selector and kind.selectable:
            return [("labelSelector", self.selector)]
        return []
