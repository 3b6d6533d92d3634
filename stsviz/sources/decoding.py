"""Typed decoding at the boundary: watch-event bytes straight to slim records, with no dict in between.

`orjson.loads` builds a dict of every field of an object (a real pod is ~4 KB
of JSON and ~25 KB of dicts), and `from_dict` then copies the few fields
stsviz reads out of it. Here a msgspec decoder per kind (five: every kind
stsviz shows but PersistentVolume, which takes the dict path) reads only those
fields into small `Struct`s (everything else, managedFields included, is
skipped without being built), and a converter per kind turns them into the
same records `from_dict` makes. The records stay plain slotted dataclasses in
`stsviz.model` (see docs/architecture.md for why); the Structs live and die
here.

`from_dict` stays the reference. The typed path only answers when it is sure
to give what the dict path would; otherwise `decode_*` return None and the
caller parses that line as before, so bad input is handled exactly as it was:

- a field of a type other than the one Kubernetes sends (a number where a
  string goes, `true` for a count) fails msgspec's strict check: the dict
  path then refuses the object as malformed, and the caller counts it as
  skipped with its kind;
- bytes that are not valid UTF-8: msgspec does not check the strings it
  skips, so any line that is not pure ASCII is checked first (a read of a
  watch is checked once, `str.isascii` on the whole read);
- a number orjson reads as a float (an integer past 64 bits) would be an int
  here, so integers the typed path reads are bounded to what orjson reads as
  integers;
- where the dict path's answer depends on something a Struct cannot see
  (an object with no `name`, a DELETED with nothing to take it from), the
  dict path decides.

One known difference, on input no API server sends: a number too large for a
double (`1e400`) in a field stsviz never reads makes orjson refuse the line;
msgspec skips that field and the object is read (its fields are all valid).
"""

from __future__ import annotations

from sys import intern
from typing import Annotated, Any

import msgspec
import orjson

from stsviz.model.events import EVENT_TYPES, Change, Record
from stsviz.model.records import (
    ORDINAL_NAME,
    Claim,
    ControllerRevision,
    Event,
    Pod,
    StatefulSet,
    _template_entries,
    shared_conditions,
    shared_container,
)

# Within what orjson reads as an int (past 64 bits it is a float to orjson, absent to `from_dict`);
# int64 because msgspec bounds no wider: an integer between 2**63 and 2**64 goes the dict path.
Int = Annotated[int, msgspec.Meta(ge=-(2**63), le=2**63 - 1)]
# What makes the typed path give up on a line: the dict path decides instead.
UNSURE = (msgspec.DecodeError, UnicodeDecodeError, RecursionError)


class _Struct(msgspec.Struct, gc=False):
    """A decoded piece of an object: never kept, never in a cycle, so the GC need not track it."""


class _OwnerRef(_Struct):
    kind: str | None = None
    name: str | None = None
    controller: bool | None = None


class _Labels(_Struct):
    revision_hash: str | None = msgspec.field(default=None, name="controller-revision-hash")


class _Meta(_Struct):
    name: str | None = None
    namespace: str | None = None
    uid: str | None = None
    resourceVersion: str | None = None
    generation: Int | None = None
    creationTimestamp: str | None = None
    deletionTimestamp: str | None = None
    labels: _Labels | None = None
    ownerReferences: list[_OwnerRef] | None = None


class _Condition(_Struct):
    type: str | None = None
    status: str | None = None
    reason: str | None = None
    lastTransitionTime: str | None = None


class _StateDetail(_Struct):
    reason: str | None = None
    message: str | None = None


class _ContainerStatus(_Struct):
    name: str | None = None
    ready: bool | None = None
    restartCount: Int | None = None
    # A dict, not a Struct: the dict path takes the first key, whatever it is.
    state: dict[str, _StateDetail | None] | None = None


class _PodStatus(_Struct):
    phase: str | None = None
    conditions: list[_Condition] | None = None
    initContainerStatuses: list[_ContainerStatus] | None = None
    containerStatuses: list[_ContainerStatus] | None = None


class _ClaimSource(_Struct):
    claimName: str | None = None


class _Volume(_Struct):
    persistentVolumeClaim: _ClaimSource | None = None


class _PodSpec(_Struct):
    nodeName: str | None = None
    volumes: list[_Volume] | None = None


class _Object(_Struct, tag_field="kind"):
    metadata: _Meta | None = None


class _Pod(_Object, tag="Pod"):
    spec: _PodSpec | None = None
    status: _PodStatus | None = None


class _Rolling(_Struct):
    partition: Int | None = None


class _Strategy(_Struct):
    type: str | None = None
    rollingUpdate: _Rolling | None = None


class _Ordinals(_Struct):
    start: Int | None = None


class _NameOnly(_Struct):
    name: str | None = None


class _ClaimTemplate(_Struct):
    metadata: _NameOnly | None = None


class _SetSpec(_Struct):
    replicas: Int | None = None
    ordinals: _Ordinals | None = None
    updateStrategy: _Strategy | None = None
    minReadySeconds: Int | None = None
    podManagementPolicy: str | None = None
    volumeClaimTemplates: list[_ClaimTemplate] | None = None
    serviceName: str | None = None


class _SetStatus(_Struct):
    observedGeneration: Int | None = None
    readyReplicas: Int | None = None
    currentReplicas: Int | None = None
    updatedReplicas: Int | None = None
    availableReplicas: Int | None = None
    currentRevision: str | None = None
    updateRevision: str | None = None


class _StatefulSet(_Object, tag="StatefulSet"):
    spec: _SetSpec | None = None
    status: _SetStatus | None = None


class _Requests(_Struct):
    storage: str | None = None


class _Resources(_Struct):
    requests: _Requests | None = None


class _ClaimSpec(_Struct):
    volumeName: str | None = None
    resources: _Resources | None = None
    storageClassName: str | None = None
    accessModes: list[str] | None = None


class _ClaimStatus(_Struct):
    phase: str | None = None
    capacity: _Requests | None = None


class _Claim(_Object, tag="PersistentVolumeClaim"):
    spec: _ClaimSpec | None = None
    status: _ClaimStatus | None = None


class _Event(_Object, tag="Event"):
    # Dicts, not Structs: the dict path takes involvedObject only when it is a non-empty dict.
    involvedObject: dict[str, Any] | None = None
    regarding: dict[str, Any] | None = None
    type: str | None = None
    reason: str | None = None
    message: str | None = None
    note: str | None = None
    count: Int | None = None
    lastTimestamp: str | None = None
    eventTime: str | None = None


class _Revision(_Object, tag="ControllerRevision"):
    revision: Int | None = None
    # Left as bytes and parsed by orjson: the template is flattened from arbitrary JSON, as in from_dict.
    # Raw, not `Raw | None` (msgspec reads that union as null only): absent reads as null.
    data: msgspec.Raw = msgspec.Raw(b"null")


_AnyKind = _Pod | _StatefulSet | _Claim | _Event | _Revision


class _ReplayEvent(_Struct):
    """One line of a recording: an event of one of the five kinds (a MARK or header does not decode)."""

    type: str
    object: _AnyKind
    ts: str | None = None


_EMPTY_META = _Meta()
_NO_OWNER = _OwnerRef()


def _controller(meta: _Meta) -> _OwnerRef:
    for ref in meta.ownerReferences or ():
        if ref.controller:
            return ref
    return _NO_OWNER


def _s(value: str | None) -> str | None:
    return intern(value) if value is not None else None


def _int(value: int | None, default: int = 0) -> int:
    return default if value is None else value


# A pod's name split into (set name, ordinal): the same pods change again and again, so
# the regular expression runs once per name (bounded like the records' caches). Measured
# ~1 us a pod event saved, for an entry (~100 B) per pod name seen.
_ordinals: dict[str, tuple[str | None, int | None]] = {}


def _ordinal(name: str) -> tuple[str | None, int | None]:
    found = _ordinals.get(name)
    if found is None:
        if len(_ordinals) > 50_000:
            _ordinals.clear()
        match = ORDINAL_NAME.match(name)
        found = _ordinals[name] = (intern(match.group(1)), int(match.group(2))) if match else (None, None)
    return found


def _pod(obj: _Pod) -> Pod | None:
    # The hot path of both sources: positional arguments and no helper calls where a test will do.
    meta = obj.metadata or _EMPTY_META
    name = meta.name
    if name is None:
        return None
    spec = obj.spec
    status = obj.status
    owner = _controller(meta) if meta.ownerReferences else _NO_OWNER
    owner_kind = owner.kind
    owner_name = owner.name
    set_name, ordinal = _ordinal(name)
    labels = meta.labels
    revision = labels.revision_hash if labels is not None else None
    namespace = meta.namespace
    conditions: Any = ()
    containers: tuple[Any, ...] = ()
    phase = None
    if status is not None:
        phase = status.phase
        if status.conditions:
            conditions = shared_conditions(
                tuple((c.type, c.status, c.reason, c.lastTransitionTime) for c in status.conditions)
            )
        if status.initContainerStatuses:
            containers = tuple(_container(c, True) for c in status.initContainerStatuses)
        if status.containerStatuses:
            containers += tuple(_container(c, False) for c in status.containerStatuses)
    claims: tuple[str, ...] = ()
    node = None
    if spec is not None:
        node = spec.nodeName
        if spec.volumes:
            claims = tuple(
                intern(volume.persistentVolumeClaim.claimName)
                for volume in spec.volumes
                if volume.persistentVolumeClaim is not None and volume.persistentVolumeClaim.claimName is not None
            )
    return Pod(
        intern(namespace) if namespace else "",
        name,
        meta.uid or "",
        None if owner_kind is None else intern(owner_kind),
        None if owner_name is None else intern(owner_name),
        set_name,
        ordinal,
        None if phase is None else intern(phase),
        meta.deletionTimestamp,
        None if revision is None else intern(revision),
        None if node is None else intern(node),
        meta.creationTimestamp,
        conditions,
        containers,
        claims,
    )


def _container(raw: _ContainerStatus, init: bool) -> Any:
    state = raw.state
    kind, detail = next(iter(state.items())) if state else ("unknown", None)
    reason, message = (detail.reason, detail.message) if detail is not None else (None, None)
    restarts = raw.restartCount
    return shared_container((raw.name, bool(raw.ready), restarts or 0, kind, reason, message, init))


_NO_SET_SPEC = _SetSpec()
_NO_SET_STATUS = _SetStatus()
_NO_STRATEGY = _Strategy()


def _statefulset(obj: _StatefulSet) -> StatefulSet | None:
    # Positional, like _pod: a third of the ingest's StatefulSet events' cost was keyword passing and helper calls.
    meta = obj.metadata or _EMPTY_META
    name = meta.name
    if name is None:
        return None
    spec = obj.spec or _NO_SET_SPEC
    status = obj.status or _NO_SET_STATUS
    strategy = spec.updateStrategy or _NO_STRATEGY
    rolling = strategy.rollingUpdate
    partition = rolling.partition if rolling is not None else None
    namespace = meta.namespace
    replicas = spec.replicas
    start = spec.ordinals.start if spec.ordinals is not None else None
    strategy_type = strategy.type
    policy = spec.podManagementPolicy
    current = status.currentRevision
    update = status.updateRevision
    service = spec.serviceName
    return StatefulSet(
        intern(namespace) if namespace else "",
        intern(name),
        meta.uid or "",
        meta.generation or 0,
        meta.deletionTimestamp,
        meta.creationTimestamp,
        1 if replicas is None else max(0, replicas),
        max(0, start) if start is not None else 0,
        intern(strategy_type) if strategy_type else "RollingUpdate",
        rolling is not None,
        max(0, partition) if partition is not None else None,
        spec.minReadySeconds or 0,
        intern(policy) if policy else "OrderedReady",
        tuple(
            intern(t.metadata.name)
            for t in spec.volumeClaimTemplates
            if t.metadata is not None and t.metadata.name is not None
        )
        if spec.volumeClaimTemplates
        else (),
        status.observedGeneration or 0,
        status.readyReplicas or 0,
        status.currentReplicas or 0,
        status.updatedReplicas or 0,
        status.availableReplicas,
        None if current is None else intern(current),
        None if update is None else intern(update),
        intern(service) if service else None,
    )


def _claim(obj: _Claim) -> Claim | None:
    meta = obj.metadata or _EMPTY_META
    if meta.name is None:
        return None
    spec = obj.spec or _ClaimSpec()
    status = obj.status or _ClaimStatus()
    requests = spec.resources.requests if spec.resources is not None else None
    return Claim(
        namespace=_s(meta.namespace) or "",
        name=meta.name,
        uid=meta.uid or "",
        phase=_s(status.phase),
        volume=spec.volumeName,
        storage=_s(requests.storage) if requests is not None else None,
        deleting=meta.deletionTimestamp,
        storage_class=_s(spec.storageClassName),
        access_modes=tuple(intern(mode) for mode in spec.accessModes or ()),
        capacity=_s(status.capacity.storage) if status.capacity is not None else None,
        created=meta.creationTimestamp,
    )


def _event(obj: _Event) -> Event | None:
    meta = obj.metadata or _EMPTY_META
    if meta.name is None:
        return None
    involved = obj.involvedObject or obj.regarding or {}
    kind = involved.get("kind")
    object_name = involved.get("name")
    object_uid = involved.get("uid")
    if not (_maybe_str(kind) and _maybe_str(object_name) and _maybe_str(object_uid)):
        return None  # a field of the wrong type: the dict path refuses the Event
    return Event(
        namespace=_s(meta.namespace) or "",
        name=meta.name,
        uid=meta.uid or "",
        object_kind=_s(kind),
        object_name=object_name,
        object_uid=object_uid,
        type=_s(obj.type),
        reason=_s(obj.reason),
        message=obj.message or obj.note or "",
        count=max(1, _int(obj.count, 1)),
        last_seen=obj.lastTimestamp or obj.eventTime or meta.creationTimestamp,
    )


def _maybe_str(value: Any) -> bool:
    return value is None or type(value) is str


def _revision(obj: _Revision) -> ControllerRevision | None:
    meta = obj.metadata or _EMPTY_META
    if meta.name is None:
        return None
    try:
        data = orjson.loads(memoryview(obj.data))  # orjson takes a buffer, not a Raw (it says "not JSON")
    except orjson.JSONDecodeError:  # a number orjson refuses (1e400): the whole line is its business
        return None
    # data.spec.template, each an object or absent; anything else is for the dict path to refuse.
    template: Any = data
    for field in ("spec", "template"):
        if template is not None and type(template) is not dict:
            return None
        template = template.get(field) if template else None
    if template is not None and type(template) is not dict:
        return None
    owner = _controller(meta)
    return ControllerRevision(
        namespace=_s(meta.namespace) or "",
        name=intern(meta.name),
        uid=meta.uid or "",
        owner_kind=_s(owner.kind),
        owner_name=_s(owner.name),
        revision=max(0, _int(obj.revision)),
        created=meta.creationTimestamp,
        template=_template_entries(template or {}),
    )


_CONVERT: dict[type[Any], Any] = {
    _Pod: _pod,
    _StatefulSet: _statefulset,
    _Claim: _claim,
    _Event: _event,
    _Revision: _revision,
}
# The record each kind's decoder builds (the informer checks its kind folds the same one).
TYPED_RECORDS: dict[str, type[Any]] = {
    "Pod": Pod,
    "StatefulSet": StatefulSet,
    "PersistentVolumeClaim": Claim,
    "Event": Event,
    "ControllerRevision": ControllerRevision,
}
_STRUCTS: dict[str, type[Any]] = {
    "Pod": _Pod,
    "StatefulSet": _StatefulSet,
    "PersistentVolumeClaim": _Claim,
    "Event": _Event,
    "ControllerRevision": _Revision,
}


def record_of(data: bytes | memoryview, kind: str) -> Record | None:
    """One object of `kind` (its JSON) as its record, or None when the dict path must decide.

    For tests and tools; the hot paths decode whole watch events (`WatchDecoder`, `decode_replay_line`).
    """
    if not _valid_utf8(data):
        return None
    struct = _STRUCTS[kind]
    try:
        obj = msgspec.json.decode(data, type=struct)
    except UNSURE:
        return None
    return _CONVERT[struct](obj)  # type: ignore[no-any-return]


def _valid_utf8(data: bytes | memoryview) -> bool:
    """Whether orjson would accept the bytes as UTF-8 (msgspec checks only the strings it keeps)."""
    if isinstance(data, bytes) and data.isascii():
        return True
    try:
        str(data, "utf-8")
    except UnicodeDecodeError:
        return False
    return True


class WatchDecoder:
    """The live wire's decoder for one kind: a watch line to (type, record, resourceVersion), or None.

    None means "parse this line the old way": an ERROR, anything but
    ADDED/MODIFIED/DELETED/BOOKMARK, a field of an unexpected type, bytes that
    are not UTF-8. A BOOKMARK gives (type, None, resourceVersion).
    """

    __slots__ = ("_convert", "_decode", "_read", "_read_ascii")

    def __init__(self, kind: str) -> None:
        struct = _STRUCTS[kind]
        line = msgspec.defstruct(
            f"_{struct.__name__.strip('_')}WatchLine", [("type", str), ("object", struct)], gc=False
        )
        self._decode: Any = msgspec.json.Decoder(line).decode
        self._convert = _CONVERT[struct]
        self._read: bytes | None = None  # the last read checked, and whether it was all ASCII
        self._read_ascii = False

    def decode(self, data: bytes, start: int, end: int) -> tuple[str, Record | None, str | None] | None:
        """The event in data[start:end] (read in place), or None to parse it as a dict."""
        if data is self._read:
            ascii_read = self._read_ascii
        else:
            # A network read holds many lines: one check for all of them. The read itself is
            # kept (not its id, which a later read may reuse) until the next one.
            ascii_read = self._read_ascii = data.isascii()
            self._read = data
        line = memoryview(data)[start:end]
        if not ascii_read and not _valid_utf8(line):
            return None
        try:
            event = self._decode(line)
        except UNSURE:
            return None
        obj = event.object
        meta = obj.metadata
        resource_version = meta.resourceVersion if meta is not None else None
        type_ = event.type
        if type_ not in EVENT_TYPES:
            return (type_, None, resource_version) if type_ == "BOOKMARK" else None
        record = self._convert(obj)
        if record is None:
            return None
        return type_, record, resource_version


class _ListMeta(_Struct):
    resourceVersion: str | None = None
    # `continue` is a Python keyword: the field is renamed.
    token: str | None = msgspec.field(default=None, name="continue")


class ListDecoder:
    """The live wire's decoder of one kind's list pages: a page's bytes to (records, resourceVersion, continue).

    None means "parse this page the old way" (`wire.parse_list` and `from_dict`):
    bytes that are not valid UTF-8 (the old way repairs them and counts the
    objects), any object the typed path is not sure of, a body of another shape.
    """

    __slots__ = ("_convert", "_decode")

    def __init__(self, kind: str) -> None:
        struct = _STRUCTS[kind]
        page = msgspec.defstruct(
            f"_{struct.__name__.strip('_')}ListPage",
            [("metadata", _ListMeta | None, None), ("items", list[struct] | None, None)],  # type: ignore[valid-type]
            gc=False,
        )
        self._decode: Any = msgspec.json.Decoder(page).decode
        self._convert = _CONVERT[struct]

    def decode(self, raw: bytes) -> tuple[list[Record], str, str | None] | None:
        if not _valid_utf8(raw):
            return None
        try:
            page = self._decode(raw)
        except UNSURE:
            return None
        records = []
        convert = self._convert
        for obj in page.items or ():
            record = convert(obj)
            if record is None:
                return None
            records.append(record)
        meta = page.metadata or _ListMeta()
        return records, meta.resourceVersion or "", meta.token or None


_replay_decode = msgspec.json.Decoder(_ReplayEvent).decode


def decode_replay_line(line: bytes) -> tuple[str, Record, str] | None:
    """A recording's line as (type, record, ts) when it is a plain timed event of a kind stsviz shows.

    None for anything else (a header, a MARK, another kind, no `ts`, damage): the
    caller then parses the line with orjson and handles it as before.
    """
    if not line.isascii() and not _valid_utf8(line):
        return None
    try:
        event = _replay_decode(line)
    except UNSURE:
        return None
    ts = event.ts
    if ts is None or event.type not in EVENT_TYPES:
        return None
    obj = event.object
    if obj.metadata is None:
        return None
    record = _CONVERT[type(obj)](obj)
    if record is None:
        return None
    return event.type, record, ts


def change(line: bytes) -> Change | None:
    """A recording line as a Change without its time (tests compare it with `WatchEvent.to_change`)."""
    decoded = decode_replay_line(line)
    return None if decoded is None else Change(decoded[0], decoded[1])
