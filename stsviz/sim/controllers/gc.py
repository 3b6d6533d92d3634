"""The garbage collector and the namespace controller.

Garbage collector: when an owner is gone (background propagation) its
dependents are deleted; an owner held by the `orphan` finalizer lets go of
its dependents; one held by `foregroundDeletion` goes once its dependents are
gone. This is how `kubectl delete sts web` takes the pods and revisions along
while the claims stay.

Namespace controller: a namespace being deleted has its contents deleted,
then goes itself.
"""

from __future__ import annotations

from ..errors import StatusError
from ..resources import NAMESPACES, RESOURCES, Resource
from ..store import Write, deep_copy
from .base import Controller

DEPENDENT_RESOURCES = [r for r in RESOURCES if r.namespaced and r.kind != "Event"]


class GarbageCollector(Controller[tuple[str, ...]]):
    name = "garbage-collector"

    def __init__(self, registry) -> None:
        super().__init__(registry)
        # owner uid → dependents (resource, namespace, name): the GC's graph, kept from changes.
        self._graph: dict[str, set[tuple[Resource, str, str]]] = {}

    def on_change(self, change: Write) -> None:
        meta = change.object["metadata"]
        self._update_graph(change)
        if change.type == "DELETED":
            if meta["uid"] in self._graph:
                self.enqueue(("owner-gone", meta["uid"]))
            # A dependent that went may unblock a foreground deletion of its owner.
            for ref in meta.get("ownerReferences") or []:
                self.enqueue(("owner-uid", ref.get("uid")))
        elif meta.get("deletionTimestamp") and {"orphan", "foregroundDeletion"} & set(meta.get("finalizers") or []):
            self.enqueue(("finalize", change.resource.plural, meta.get("namespace", ""), meta["name"]))

    def _update_graph(self, change: Write) -> None:
        if change.resource not in DEPENDENT_RESOURCES:
            return
        meta = change.object["metadata"]
        node = (change.resource, meta.get("namespace", ""), meta["name"])
        if change.previous is not None:
            for ref in change.previous["metadata"].get("ownerReferences") or []:
                self._graph.get(ref.get("uid"), set()).discard(node)
        if change.type != "DELETED":
            for ref in meta.get("ownerReferences") or []:
                self._graph.setdefault(ref.get("uid"), set()).add(node)

    def _dependents(self, uid: str) -> list[tuple[Resource, dict]]:
        out = []
        for res, namespace, name in sorted(self._graph.get(uid, set()), key=lambda n: (n[0].plural, n[1], n[2])):
            obj = self.store.view(res, namespace, name)
            if obj is not None:
                out.append((res, obj))
        return out

    def reconcile(self, key: tuple[str, ...]) -> None:
        kind = key[0]
        if kind == "owner-gone":
            for res, obj in self._dependents(key[1]):
                if not obj["metadata"].get("deletionTimestamp"):
                    self._delete(res, obj)
            self._graph.pop(key[1], None)
        elif kind == "owner-uid":
            found = self.store.find_uid(key[1])
            if found is not None and found[1]["metadata"].get("deletionTimestamp"):
                res, obj = found
                self.enqueue(("finalize", res.plural, obj["metadata"].get("namespace", ""), obj["metadata"]["name"]))
        else:
            _, plural, namespace, name = key
            res = next(r for r in RESOURCES if r.plural == plural)
            owner = self.store.view(res, namespace, name)
            if owner is not None:
                self._finalize(res, owner)

    def _finalize(self, res: Resource, owner: dict) -> None:
        finalizers = list(owner["metadata"].get("finalizers") or [])
        dependents = self._dependents(owner["metadata"]["uid"])
        if "orphan" in finalizers:
            for dep_res, dep in dependents:
                freed = deep_copy(dep)
                freed["metadata"]["ownerReferences"] = [
                    r for r in dep["metadata"]["ownerReferences"] if r.get("uid") != owner["metadata"]["uid"]
                ]
                self.registry.update(dep_res, freed, dep["metadata"].get("namespace"), dep["metadata"]["name"])
            finalizers.remove("orphan")
        elif "foregroundDeletion" in finalizers:
            if dependents:
                for dep_res, dep in dependents:
                    if not dep["metadata"].get("deletionTimestamp"):
                        self._delete(dep_res, dep)
                return
            finalizers.remove("foregroundDeletion")
        else:
            return
        updated = deep_copy(owner)
        updated["metadata"]["finalizers"] = finalizers
        self.registry.update(res, updated, owner["metadata"].get("namespace"), owner["metadata"]["name"])

    def _delete(self, res: Resource, obj: dict) -> None:
        try:
            self.registry.delete(
                res,
                obj["metadata"].get("namespace"),
                obj["metadata"]["name"],
                {"preconditions": {"uid": obj["metadata"]["uid"]}},
            )
        except StatusError:
            pass


class NamespaceController(Controller[str]):
    name = "namespace-controller"

    def on_change(self, change: Write) -> None:
        meta = change.object["metadata"]
        if change.resource is NAMESPACES and meta.get("deletionTimestamp") and change.type != "DELETED":
            self.enqueue(meta["name"])
        elif change.type == "DELETED" and change.resource.namespaced:
            ns = self.store.view(NAMESPACES, "", meta.get("namespace", ""))
            if ns is not None and ns["metadata"].get("deletionTimestamp"):
                self.enqueue(meta["namespace"])

    def reconcile(self, key: str) -> None:
        name = key
        ns = self.store.view(NAMESPACES, "", name)
        if ns is None or not ns["metadata"].get("deletionTimestamp"):
            return
        remaining = 0
        for res in RESOURCES:
            if not res.namespaced:
                continue
            for obj in list(self.store.items(res, name)):
                remaining += 1
                if not obj["metadata"].get("deletionTimestamp"):
                    try:
                        self.registry.delete(res, name, obj["metadata"]["name"])
                    except StatusError:
                        pass
        if remaining == 0:
            self.store.remove(NAMESPACES, "", name)
