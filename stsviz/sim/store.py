"""The in-memory object store: etcd's role in the demo cluster.

One global resourceVersion counter for every type (as etcd's revision), a
bounded history of changes that watches resume from, and snapshots at an older
resourceVersion rebuilt from that history (for paginated lists). Compacting
the history is how a resume becomes "410 Gone", exactly as after etcd
compaction.

Objects handed out by `view`/`items`, and returned by a write, are the
stored ones and must not be mutated; `get` returns a private copy. Every write stores a fresh copy, so a
change in history never moves under a reader.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable
from dataclasses import dataclass

import orjson

from .errors import already_exists, not_found
from .resources import RESOURCES, Resource

Key = tuple[str, str]  # (namespace or "", name)


def deep_copy(obj: dict) -> dict:
    return orjson.loads(orjson.dumps(obj))


@dataclass(frozen=True, slots=True)
class Write:
    """One committed write (what etcd calls a revision), as a watch reports it."""

    rv: int
    type: str  # ADDED, MODIFIED, DELETED
    resource: Resource
    object: dict
    previous: dict | None


class Expired(Exception):
    """The requested resourceVersion is older than the kept history."""

    def __init__(self, requested: int, oldest: int) -> None:
        super().__init__(f"too old resource version: {requested} ({oldest})")
        self.requested = requested
        self.oldest = oldest


Listener = Callable[[Write], None]


class Store:
    def __init__(self, history_limit: int = 20_000) -> None:
        self._rv = 0
        self._objects: dict[Resource, dict[Key, dict]] = {r: {} for r in RESOURCES}
        self._history: deque[Write] = deque()
        self._history_limit = history_limit
        # Every change with rv > _oldest_rv is still in the history.
        self._oldest_rv = 0
        self._last_rv: dict[Resource, int] = {}
        self._listeners: list[Listener] = []
        # Sorted key lists per (type, namespace or None), dropped when a key comes or goes:
        # lists are read far more often than objects are created.
        self._sorted: dict[tuple[Resource, str | None], list[Key]] = {}
        self._by_namespace: dict[Resource, dict[str, set[str]]] = {r: {} for r in RESOURCES}
        self._by_uid: dict[str, tuple[Resource, Key]] = {}

    # reading ---------------------------------------------------------------------

    @property
    def resource_version(self) -> int:
        return self._rv

    @property
    def oldest_resource_version(self) -> int:
        return self._oldest_rv

    def last_resource_version_of(self, res: Resource) -> int:
        """Newest rv of a change to this type (what a watch bookmark carries)."""
        return self._last_rv.get(res, 0)

    def view(self, res: Resource, namespace: str, name: str) -> dict | None:
        return self._objects[res].get((namespace if res.namespaced else "", name))

    def get(self, res: Resource, namespace: str, name: str) -> dict | None:
        obj = self.view(res, namespace, name)
        return deep_copy(obj) if obj is not None else None

    def items(self, res: Resource, namespace: str | None = None) -> list[dict]:
        """Stored objects sorted by (namespace, name), as etcd's key order."""
        objects = self._objects[res]
        cache_key = (res, namespace)
        keys = self._sorted.get(cache_key)
        if keys is None:
            if namespace is None:
                keys = sorted(objects)
            else:
                keys = [(namespace, name) for name in sorted(self._by_namespace[res].get(namespace, ()))]
            self._sorted[cache_key] = keys
        return [objects[k] for k in keys]

    def find_uid(self, uid: str) -> tuple[Resource, dict] | None:
        """The object with this metadata.uid, if it exists."""
        found = self._by_uid.get(uid)
        if found is None:
            return None
        res, key = found
        obj = self._objects[res].get(key)
        return (res, obj) if obj is not None else None

    def count(self, res: Resource) -> int:
        return len(self._objects[res])

    # writing ---------------------------------------------------------------------

    def create(self, res: Resource, obj: dict) -> dict:
        key = self._key(res, obj)
        if key in self._objects[res]:
            raise already_exists(res, key[1])
        return self._commit(res, key, "ADDED", obj, None)

    def replace(self, res: Resource, obj: dict) -> dict:
        key = self._key(res, obj)
        previous = self._objects[res].get(key)
        if previous is None:
            raise not_found(res, key[1])
        return self._commit(res, key, "MODIFIED", obj, previous)

    def remove(self, res: Resource, namespace: str, name: str, final: dict | None = None) -> dict:
        """Delete; `final` is the object's last state if it changed on the way out."""
        key = (namespace if res.namespaced else "", name)
        previous = self._objects[res].get(key)
        if previous is None:
            raise not_found(res, name)
        return self._commit(res, key, "DELETED", final if final is not None else previous, previous)

    def _key(self, res: Resource, obj: dict) -> Key:
        meta = obj["metadata"]
        return (meta.get("namespace", "") if res.namespaced else "", meta["name"])

    def _commit(self, res: Resource, key: Key, kind: str, obj: dict, previous: dict | None) -> dict:
        self._rv += 1
        stored = deep_copy(obj)
        stored["metadata"]["resourceVersion"] = str(self._rv)
        if kind == "DELETED":
            del self._objects[res][key]
            self._by_namespace[res][key[0]].discard(key[1])
            self._by_uid.pop(stored["metadata"].get("uid", ""), None)
            self._forget_order(res, key[0])
        else:
            if kind == "ADDED":
                self._by_namespace[res].setdefault(key[0], set()).add(key[1])
                self._by_uid[stored["metadata"].get("uid", "")] = (res, key)
                self._forget_order(res, key[0])
            self._objects[res][key] = stored
        change = Write(self._rv, kind, res, stored, previous)
        self._history.append(change)
        while len(self._history) > self._history_limit:
            self._oldest_rv = self._history.popleft().rv
        self._last_rv[res] = self._rv
        for listener in list(self._listeners):
            listener(change)
        return stored

    def _forget_order(self, res: Resource, namespace: str) -> None:
        self._sorted.pop((res, None), None)
        self._sorted.pop((res, namespace), None)

    # history -----------------------------------------------------------------------

    def add_listener(self, listener: Listener) -> None:
        self._listeners.append(listener)

    def remove_listener(self, listener: Listener) -> None:
        if listener in self._listeners:
            self._listeners.remove(listener)

    def changes_since(self, rv: int) -> list[Write]:
        """Changes with resourceVersion > rv; Expired if some were compacted away."""
        if rv < self._oldest_rv:
            raise Expired(rv, self._oldest_rv)
        # History is sorted by rv; walk from the end because resumes are recent.
        out: list[Write] = []
        for change in reversed(self._history):
            if change.rv <= rv:
                break
            out.append(change)
        out.reverse()
        return out

    def snapshot_at(self, res: Resource, rv: int, namespace: str | None = None) -> list[dict]:
        """The objects of one type as they were at resourceVersion rv."""
        state = {k: v for k, v in self._objects[res].items() if namespace is None or k[0] == namespace}
        for change in reversed(self.changes_since(rv)):
            if change.resource is not res:
                continue
            key = self._key(res, change.object)
            if namespace is not None and key[0] != namespace:
                continue
            if change.previous is None:
                state.pop(key, None)
            else:
                state[key] = change.previous
        return [state[k] for k in sorted(state)]

    def compact(self) -> None:
        """Forget all history: any resume from an older resourceVersion is now Expired."""
        self._history.clear()
        self._oldest_rv = self._rv
