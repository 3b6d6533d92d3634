"""Slim, slotted records built straight from raw API JSON.

Only the fields the screens, the verdict and the JSON frame use are kept, so a
pod costs a few hundred bytes instead of the ~25 KB of its parsed dict.
Timestamps stay RFC3339 strings: they are compared and shown far more often
than they are computed with.

Records are never mutated after construction, and are shared (by the fold's
checkpoints, by identical container and condition lines). They are not
`frozen=True` only because a frozen dataclass's __init__ costs ~2 us per record
on the ingest hot path.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from sys import intern
from typing import Any

# StatefulSet pods are named <set>-<ordinal>; the controller matches them the same way.
ORDINAL_NAME = re.compile(r"(.*)-([0-9]+)$")

# Waiting reasons that mean the container will not start without intervention.
FAILED_WAITING_REASONS = frozenset(
    {
        "CrashLoopBackOff",
        "ImagePullBackOff",
        "ErrImagePull",
        "CreateContainerConfigError",
        "CreateContainerError",
        "InvalidImageName",
        "RunContainerError",
    }
)

# What from_dict raises for an object whose fields have types the API never sends. A field
# stsviz reads is either absent (or null), and then has its default, or of the type
# Kubernetes sends: anything else makes the whole object malformed, never a default in
# disguise (`"replicas": "three"` is not a set of 1).
MALFORMED = (AttributeError, TypeError, ValueError, KeyError, IndexError)

# Identical condition and container lines repeat across pods and events: one
# shared object each saves memory and the cost of building it again.
_SHARED_LIMIT = 50_000
_conditions_cache: dict[tuple[Any, ...], tuple[Condition, ...]] = {}
_container_cache: dict[tuple[Any, ...], Container] = {}


class WrongType(ValueError):
    """A field stsviz reads holds a value of a type Kubernetes never sends there."""


def _s(value: Any) -> str | None:
    """A string field, interned (short and repeated); None when absent."""
    if value is None:
        return None
    if type(value) is str:
        return intern(value)
    raise WrongType(f"a {type(value).__name__} where a string goes")


def _str(value: Any) -> str | None:
    """A string field kept as is (unique per object, not worth interning); None when absent."""
    if value is None or type(value) is str:
        return value
    raise WrongType(f"a {type(value).__name__} where a string goes")


def _bool(value: Any) -> bool:
    if value is None:
        return False
    if type(value) is bool:
        return value
    raise WrongType(f"a {type(value).__name__} where a boolean goes")


def _dict(value: Any) -> dict[str, Any]:
    """An object field; {} when absent."""
    if value is None:
        return {}
    if type(value) is dict:
        return value
    raise WrongType(f"a {type(value).__name__} where an object goes")


def _list(value: Any) -> list[Any]:
    """A list field; [] when absent."""
    if value is None:
        return []
    if type(value) is list:
        return value
    raise WrongType(f"a {type(value).__name__} where a list goes")


def _name(meta: dict[str, Any]) -> str:
    """An object's name: its identity, so an object without a string one is refused (ValueError)."""
    name = meta.get("name")
    if not isinstance(name, str):
        raise ValueError("metadata.name is not a string")
    return name


def _int(value: Any, default: int = 0) -> int:
    """An integer field; `default` when absent."""
    if value is None:
        return default
    if type(value) is int:
        return value
    raise WrongType(f"a {type(value).__name__} where an integer goes")


def _maybe_int(value: Any) -> int | None:
    return None if value is None else _int(value)


# (namespace, name): how an object is found. A StatefulSet's is a SetKey.
ObjectKey = tuple[str, str]
SetKey = ObjectKey


@dataclass(slots=True)
class Container:
    """One container's status line: what the detail pane shows."""

    name: str
    ready: bool
    restarts: int
    state: str  # waiting | running | terminated | unknown
    reason: str | None
    message: str | None
    init: bool = False


@dataclass(slots=True)
class Condition:
    type: str
    status: str
    reason: str | None
    since: str | None


@dataclass(slots=True)
class Pod:
    namespace: str
    name: str
    uid: str
    owner_kind: str | None
    owner_name: str | None
    set_name: str | None  # name part of <set>-<ordinal>, None when the name has no ordinal
    ordinal: int | None
    phase: str | None
    deleting: str | None  # metadata.deletionTimestamp
    revision: str | None  # controller-revision-hash label
    node: str | None
    created: str | None
    conditions: tuple[Condition, ...]
    containers: tuple[Container, ...]
    claims: tuple[str, ...]  # claimName of each persistentVolumeClaim volume

    @property
    def key(self) -> ObjectKey:
        return (self.namespace, self.name)

    def condition(self, type_: str) -> Condition | None:
        for condition in self.conditions:
            if condition.type == type_:
                return condition
        return None

    @property
    def ready(self) -> bool:
        condition = self.condition("Ready")
        return condition is not None and condition.status == "True"

    @property
    def restarts(self) -> int:
        return sum(c.restarts for c in self.containers if not c.init)

    @property
    def waiting_reason(self) -> str | None:
        """The most telling waiting reason: a failing one first, else the first one."""
        first = None
        for container in self.containers:
            if container.state == "waiting" and container.reason:
                if container.reason in FAILED_WAITING_REASONS:
                    return container.reason
                first = first or container.reason
        return first

    @classmethod
    def from_dict(cls, obj: dict[str, Any]) -> Pod:
        meta = _dict(obj.get("metadata"))
        spec = _dict(obj.get("spec"))
        status = _dict(obj.get("status"))
        name = _name(meta)
        owner = _controller_ref(meta)
        match = ORDINAL_NAME.match(name)
        return cls(
            namespace=_s(meta.get("namespace")) or "",
            name=name,
            uid=_str(meta.get("uid")) or "",
            owner_kind=_s(owner.get("kind")),
            owner_name=_s(owner.get("name")),
            set_name=_s(match.group(1)) if match else None,
            ordinal=int(match.group(2)) if match else None,
            phase=_s(status.get("phase")),
            deleting=_str(meta.get("deletionTimestamp")),
            revision=_s(_dict(meta.get("labels")).get("controller-revision-hash")),
            node=_s(spec.get("nodeName")),
            created=_str(meta.get("creationTimestamp")),
            conditions=_conditions(status.get("conditions")),
            containers=_containers(status.get("initContainerStatuses"), True)
            + _containers(status.get("containerStatuses"), False),
            claims=_claim_names(spec.get("volumes")),
        )


def _strings(value: Any) -> tuple[str, ...]:
    """A list of strings as a tuple of interned ones; () when absent."""
    items = _list(value)
    for item in items:
        if type(item) is not str:
            raise WrongType(f"a {type(item).__name__} in a list of strings")
    return tuple(intern(item) for item in items)


def _claim_names(volumes: Any) -> tuple[str, ...]:
    """claimName of each persistentVolumeClaim volume."""
    names = []
    for volume in _list(volumes):
        claim = _dict(volume).get("persistentVolumeClaim")
        if claim is not None:
            name = _s(_dict(claim).get("claimName"))
            if name is not None:
                names.append(name)
    return tuple(names)


def _conditions(raw: Any) -> tuple[Condition, ...]:
    conditions = _list(raw)
    if not conditions:
        return ()
    return shared_conditions(tuple(_condition_key(_dict(c)) for c in conditions))


def _condition_key(c: dict[str, Any]) -> tuple[str | None, str | None, str | None, str | None]:
    return (_str(c.get("type")), _str(c.get("status")), _str(c.get("reason")), _str(c.get("lastTransitionTime")))


def shared_conditions(key: tuple[tuple[Any, Any, Any, Any], ...]) -> tuple[Condition, ...]:
    """The conditions for (type, status, reason, lastTransitionTime) of each, one shared tuple per distinct key.

    Also called by the typed decoder (stsviz.sources.decoding), so both paths build identical records.
    """
    conditions = _conditions_cache.get(key)
    if conditions is None:
        if len(_conditions_cache) > _SHARED_LIMIT:  # bounded: odd inputs must not grow it forever
            _conditions_cache.clear()
        conditions = tuple(
            Condition(type=_s(t) or "", status=_s(st) or "Unknown", reason=_s(r), since=_s(since))
            for t, st, r, since in key
        )
        _conditions_cache[key] = conditions
    return conditions


def _containers(raw: Any, init: bool) -> tuple[Container, ...]:
    return tuple(_container(_dict(c), init) for c in _list(raw))


def _container(raw: dict[str, Any], init: bool) -> Container:
    # The state holds one key, the state's name: the first is taken, whatever it is.
    kind, detail = next(iter(_dict(raw.get("state")).items()), ("unknown", None))
    detail = _dict(detail)
    key = (
        _str(raw.get("name")),
        _bool(raw.get("ready")),
        _int(raw.get("restartCount")),
        kind,
        _str(detail.get("reason")),
        _str(detail.get("message")),
        init,
    )
    return shared_container(key)


def shared_container(key: tuple[Any, bool, int, Any, Any, Any, bool]) -> Container:
    """The container for (name, ready, restarts, state, reason, message, init), one shared object per key.

    Also called by the typed decoder (stsviz.sources.decoding), so both paths build identical records.
    """
    container = _container_cache.get(key)
    if container is None:
        if len(_container_cache) > _SHARED_LIMIT:
            _container_cache.clear()
        name, ready, restarts, kind, reason, message, init = key
        container = Container(
            name=_s(name) or "",
            ready=ready,
            restarts=restarts,
            state=_s(kind) or "unknown",
            reason=_s(reason),
            message=message if isinstance(message, str) else None,
            init=init,
        )
        _container_cache[key] = container
    return container


def _controller_ref(meta: dict[str, Any]) -> dict[str, Any]:
    for ref in _list(meta.get("ownerReferences")):
        ref = _dict(ref)
        if _bool(ref.get("controller")):
            return ref
    return {}


@dataclass(slots=True)
class StatefulSet:
    namespace: str
    name: str
    uid: str
    generation: int
    deleting: str | None
    created: str | None
    # spec
    replicas: int
    ordinals_start: int
    strategy: str  # RollingUpdate | OnDelete
    has_rolling_update: bool  # kubectl's verdict branches on spec.updateStrategy.rollingUpdate != nil
    partition: int | None
    min_ready_seconds: int
    pod_management: str
    claim_templates: tuple[str, ...]
    # status
    observed_generation: int
    ready_replicas: int
    current_replicas: int
    updated_replicas: int
    available_replicas: int | None
    current_revision: str | None
    update_revision: str | None
    service_name: str | None = None  # spec.serviceName: the headless Service that gives pods their DNS names

    @property
    def key(self) -> SetKey:
        return (self.namespace, self.name)

    @property
    def ordinals(self) -> range:
        return range(self.ordinals_start, self.ordinals_start + self.replicas)

    @classmethod
    def from_dict(cls, obj: dict[str, Any]) -> StatefulSet:
        meta = _dict(obj.get("metadata"))
        spec = _dict(obj.get("spec"))
        status = _dict(obj.get("status"))
        strategy = _dict(spec.get("updateStrategy"))
        rolling = strategy.get("rollingUpdate")
        partition = _maybe_int(_dict(rolling).get("partition"))
        return cls(
            namespace=_s(meta.get("namespace")) or "",
            name=intern(_name(meta)),
            uid=_str(meta.get("uid")) or "",
            generation=_int(meta.get("generation")),
            deleting=_str(meta.get("deletionTimestamp")),
            created=_str(meta.get("creationTimestamp")),
            # The API server defaults replicas to 1; a capture can still omit it.
            # Validation keeps both non-negative; a hand-made file might not.
            replicas=max(0, _int(spec.get("replicas"), 1)),
            ordinals_start=max(0, _int(_dict(spec.get("ordinals")).get("start"))),
            strategy=_s(strategy.get("type")) or "RollingUpdate",
            has_rolling_update=rolling is not None,
            partition=max(0, partition) if partition is not None else None,
            min_ready_seconds=_int(spec.get("minReadySeconds")),
            pod_management=_s(spec.get("podManagementPolicy")) or "OrderedReady",
            claim_templates=_template_names(spec.get("volumeClaimTemplates")),
            # The server omits zero counts from status, so absent means 0.
            observed_generation=_int(status.get("observedGeneration")),
            ready_replicas=_int(status.get("readyReplicas")),
            current_replicas=_int(status.get("currentReplicas")),
            updated_replicas=_int(status.get("updatedReplicas")),
            available_replicas=_maybe_int(status.get("availableReplicas")),
            current_revision=_s(status.get("currentRevision")),
            update_revision=_s(status.get("updateRevision")),
            service_name=_s(spec.get("serviceName")) or None,
        )


def _template_names(templates: Any) -> tuple[str, ...]:
    """The names of a set's volumeClaimTemplates (a template without one is left out)."""
    names = (_s(_dict(_dict(t).get("metadata")).get("name")) for t in _list(templates))
    return tuple(name for name in names if name is not None)


@dataclass(slots=True)
class Claim:
    """A PersistentVolumeClaim."""

    namespace: str
    name: str
    uid: str
    phase: str | None
    volume: str | None
    storage: str | None
    deleting: str | None
    storage_class: str | None = None  # spec.storageClassName (None: the default class, if any)
    access_modes: tuple[str, ...] = ()
    capacity: str | None = None  # status.capacity.storage, once bound
    created: str | None = None

    @property
    def key(self) -> ObjectKey:
        return (self.namespace, self.name)

    @classmethod
    def from_dict(cls, obj: dict[str, Any]) -> Claim:
        meta = _dict(obj.get("metadata"))
        spec = _dict(obj.get("spec"))
        status = _dict(obj.get("status"))
        requests = _dict(_dict(spec.get("resources")).get("requests"))
        return cls(
            namespace=_s(meta.get("namespace")) or "",
            name=_name(meta),
            uid=_str(meta.get("uid")) or "",
            phase=_s(status.get("phase")),
            volume=_str(spec.get("volumeName")),
            storage=_s(requests.get("storage")),
            deleting=_str(meta.get("deletionTimestamp")),
            storage_class=_s(spec.get("storageClassName")),
            access_modes=_strings(spec.get("accessModes")),
            capacity=_s(_dict(status.get("capacity")).get("storage")),
            created=_str(meta.get("creationTimestamp")),
        )


@dataclass(slots=True)
class Event:
    """A core/v1 Event about some object (pod, claim or StatefulSet)."""

    namespace: str
    name: str
    uid: str
    object_kind: str | None
    object_name: str | None
    object_uid: str | None  # which incarnation: a recreated pod has the same name, a new uid
    type: str | None  # Normal | Warning
    reason: str | None
    message: str
    count: int
    last_seen: str | None

    @property
    def key(self) -> ObjectKey:
        return (self.namespace, self.name)

    @classmethod
    def from_dict(cls, obj: dict[str, Any]) -> Event:
        meta = _dict(obj.get("metadata"))
        # core/v1 names the object involvedObject, events.k8s.io/v1 regarding.
        involved = _dict(obj.get("involvedObject")) or _dict(obj.get("regarding"))
        return cls(
            namespace=_s(meta.get("namespace")) or "",
            name=_name(meta),
            uid=_str(meta.get("uid")) or "",
            object_kind=_s(involved.get("kind")),
            object_name=_str(involved.get("name")),
            object_uid=_str(involved.get("uid")),
            type=_s(obj.get("type")),
            reason=_s(obj.get("reason")),
            message=_str(obj.get("message")) or _str(obj.get("note")) or "",
            count=max(1, _int(obj.get("count"), 1)),
            last_seen=_str(obj.get("lastTimestamp"))
            or _str(obj.get("eventTime"))
            or _str(meta.get("creationTimestamp")),
        )


# A container's fields besides these (command, resources, probes, ports, mounts...) are kept as compact JSON.
_CONTAINER_OWN_ENTRIES = ("name", "image", "env")
_TEMPLATE_CONTAINER_LISTS = (("initContainers", "initContainers"), ("containers", "containers"))
# The pod spec's fields besides these (nodeSelector, tolerations, affinity, serviceAccountName...) likewise.
_SPEC_OWN_ENTRIES = ("containers", "initContainers", "volumes")


def _compact(value: Any) -> str:
    """A JSON value as one short, stable string (sorted keys): equal values give equal strings."""
    return intern(json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=str))


def _object(value: Any) -> dict[str, Any]:
    return value if type(value) is dict else {}


def _field_name(name: object) -> bool:
    """A field name as Kubernetes spells them (`tolerations`): a key such as `containers[app].image` in a
    hand-written revision must not stand in for another entry's path."""
    return isinstance(name, str) and name.isascii() and name.isalnum()


def _template_entries(template: dict[str, Any]) -> tuple[tuple[str, str], ...]:
    """A pod template flattened to (path, value) pairs, sorted by path: all a template diff reads.

    Paths name containers and env variables by name (`containers[app].image`,
    `containers[app].env[LEVEL]`), so a reordered list is not a change; any
    other field is one entry of compact JSON (`containers[app].resources`,
    `tolerations`), so no change between two revisions goes unshown. The
    template's source (with its managedFields) is dropped.
    Inside the template, a value of an odd type is shown as the JSON it is, not refused:
    the diff prints values, it does not compute with them.
    """
    meta = _object(template.get("metadata"))
    spec = _object(template.get("spec"))
    entries: dict[str, str] = {}
    for field in ("labels", "annotations"):
        for key, value in _object(meta.get(field)).items():
            if isinstance(key, str):
                entries[f"{field}[{key}]"] = value if isinstance(value, str) else _compact(value)
    for field, prefix in _TEMPLATE_CONTAINER_LISTS:
        containers = spec.get(field)
        for container in containers if isinstance(containers, list) else ():
            if not isinstance(container, dict) or not isinstance(container.get("name"), str):
                continue
            base = f"{prefix}[{container['name']}]"
            image = container.get("image")
            entries[f"{base}.image"] = intern(image) if type(image) is str else "" if image is None else _compact(image)
            for name, value in container.items():
                if name not in _CONTAINER_OWN_ENTRIES and _field_name(name) and value is not None:
                    entries[f"{base}.{name}"] = _compact(value)
            env = container.get("env")
            for variable in env if isinstance(env, list) else ():
                if isinstance(variable, dict) and isinstance(variable.get("name"), str):
                    value = variable.get("value")
                    # valueFrom names a Secret's or ConfigMap's key: which one is the value here
                    entries[f"{base}.env[{variable['name']}]"] = (
                        value if isinstance(value, str) else _compact(variable.get("valueFrom"))
                    )
    for name, value in spec.items():
        if name not in _SPEC_OWN_ENTRIES and _field_name(name) and value is not None:
            entries[name] = _compact(value)
    volumes = spec.get("volumes")
    for volume in volumes if isinstance(volumes, list) else ():
        if isinstance(volume, dict) and isinstance(volume.get("name"), str):
            entries[f"volumes[{volume['name']}]"] = _compact({k: v for k, v in volume.items() if k != "name"})
    return tuple(sorted((intern(path), value) for path, value in entries.items()))


@dataclass(slots=True)
class ControllerRevision:
    """An apps/v1 ControllerRevision: one pod template a StatefulSet has had, and its number.

    Its name is `<set>-<hash>`, the `controller-revision-hash` label of the pods
    made from it and the set's currentRevision/updateRevision. The template is
    kept flattened (`_template_entries`), only what a diff between two revisions shows.
    """

    namespace: str
    name: str
    uid: str
    owner_kind: str | None
    owner_name: str | None
    revision: int
    created: str | None
    template: tuple[tuple[str, str], ...]  # (path, value), sorted by path

    @property
    def key(self) -> ObjectKey:
        return (self.namespace, self.name)

    @classmethod
    def from_dict(cls, obj: dict[str, Any]) -> ControllerRevision:
        meta = _dict(obj.get("metadata"))
        owner = _controller_ref(meta)
        template = _dict(_dict(_dict(obj.get("data")).get("spec")).get("template"))
        return cls(
            namespace=_s(meta.get("namespace")) or "",
            name=intern(_name(meta)),
            uid=_str(meta.get("uid")) or "",
            owner_kind=_s(owner.get("kind")),
            owner_name=_s(owner.get("name")),
            revision=max(0, _int(obj.get("revision"))),
            created=_str(meta.get("creationTimestamp")),
            template=_template_entries(template),
        )


@dataclass(slots=True)
class PersistentVolume:
    """A v1 PersistentVolume as the volumes panel shows it: phase, reclaim policy, the claim it is bound to.

    Cluster-scoped: its namespace is "". Its source (a host path, an NFS
    server, CSI attributes) is not kept: the panel does not show it and it may
    name what a shared recording should not.
    """

    name: str
    uid: str
    phase: str | None  # Pending | Available | Bound | Released | Failed
    reclaim_policy: str | None  # spec.persistentVolumeReclaimPolicy: Delete | Retain | Recycle
    storage_class: str | None
    capacity: str | None
    access_modes: tuple[str, ...]
    claim_namespace: str | None  # spec.claimRef: the claim it is bound (or promised) to
    claim_name: str | None
    message: str | None  # status.message: why it Failed, when it did
    created: str | None = None
    namespace: str = ""

    @property
    def key(self) -> ObjectKey:
        return ("", self.name)

    @classmethod
    def from_dict(cls, obj: dict[str, Any]) -> PersistentVolume:
        meta = _dict(obj.get("metadata"))
        spec = _dict(obj.get("spec"))
        status = _dict(obj.get("status"))
        claim = _dict(spec.get("claimRef"))
        return cls(
            name=_name(meta),
            uid=_str(meta.get("uid")) or "",
            phase=_s(status.get("phase")),
            reclaim_policy=_s(spec.get("persistentVolumeReclaimPolicy")),
            storage_class=_s(spec.get("storageClassName")),
            capacity=_s(_dict(spec.get("capacity")).get("storage")),
            access_modes=_strings(spec.get("accessModes")),
            claim_namespace=_s(claim.get("namespace")),
            claim_name=_s(claim.get("name")),
            message=_str(status.get("message")),
            created=_str(meta.get("creationTimestamp")),
        )


@dataclass(slots=True, frozen=True)
class Service:
    """A v1 Service as a StatefulSet needs it: headless (clusterIP None) gives each pod a DNS name."""

    namespace: str
    name: str
    cluster_ip: str | None  # "None" for a headless Service

    @property
    def headless(self) -> bool:
        return self.cluster_ip == "None"

    @classmethod
    def from_dict(cls, obj: dict[str, Any]) -> Service:
        meta = _dict(obj.get("metadata"))
        spec = _dict(obj.get("spec"))
        return cls(namespace=_s(meta.get("namespace")) or "", name=_name(meta), cluster_ip=_s(spec.get("clusterIP")))
