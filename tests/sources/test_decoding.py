"""The typed decoder gives what orjson + from_dict give, for any object (or leaves it to that path).

The property: for the bytes of any object (realistic fields, each of which may
be missing, null, of the wrong type, unicode, a huge integer), either the typed
decoder answers None (the dict path decides, as before) or its record equals
`from_dict` of `orjson.loads` of the same bytes, and `from_dict` did not reject
it. A second test shows the typed path does answer for real objects (it is
not passing by always saying None).
"""

from __future__ import annotations

import gzip
import json
from pathlib import Path
from typing import Any

import orjson
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from stsviz.model.events import EVENT_TYPES, RECORD_TYPES
from stsviz.model.records import MALFORMED
from stsviz.sources.decoding import ListDecoder, WatchDecoder, decode_replay_line, record_of
from stsviz.sources.live.wire import parse_list

EXAMPLES = Path(__file__).parents[2] / "stsviz" / "examples"
REJECTED = "rejected"

# Anything JSON can hold: what a field of the wrong type is.
scalars = (
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**70), max_value=2**70)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=6)
)
anything = st.recursive(
    scalars,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=4), inner, max_size=3),
    max_leaves=6,
)
text = st.text(max_size=8) | st.sampled_from(["", "web-0", "web-12", "db-x", "é-1", "Ready", "True", "1Gi"])
counts = st.integers(min_value=-3, max_value=5) | st.integers(min_value=2**62, max_value=2**65)


def mostly(usual: st.SearchStrategy[Any], rare: st.SearchStrategy[Any], tenths: int) -> st.SearchStrategy[Any]:
    """`usual` `tenths` times in ten, else `rare` (one_of would make them even: it drops repeats)."""
    return st.tuples(st.integers(0, 9), usual, rare).map(lambda drawn: drawn[1] if drawn[0] < tenths else drawn[2])


def field(good: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
    """Mostly the right type, sometimes null or anything at all."""
    return mostly(good, st.none() | anything, 9)


def obj(**fields: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
    """A dict where every field may be missing, with extra fields now and then."""
    return st.builds(
        lambda known, extra: {**extra, **known},
        st.fixed_dictionaries({}, optional={name: field(strategy) for name, strategy in fields.items()}),
        st.dictionaries(st.sampled_from(["extra", "managedFields", "x"]), anything, max_size=1),
    )


owner = obj(kind=text, name=text, controller=st.booleans(), apiVersion=text)
metadata = obj(
    name=text,
    namespace=text,
    uid=text,
    resourceVersion=text,
    generation=counts,
    creationTimestamp=text,
    deletionTimestamp=text,
    labels=st.dictionaries(st.sampled_from(["controller-revision-hash", "app"]), field(text), max_size=2),
    ownerReferences=st.lists(field(owner), max_size=3),
)
# Usually named: without a name both paths reject the object, a dull case.
metadata = mostly(st.builds(lambda meta, name: {**meta, "name": name}, metadata, text), metadata, 9)
state = st.dictionaries(
    st.sampled_from(["waiting", "running", "terminated", "other", ""]),
    field(obj(reason=text, message=text, startedAt=text)),
    max_size=2,
)
container = obj(name=text, ready=st.booleans(), restartCount=counts, state=state)
condition = obj(type=text, status=text, reason=text, lastTransitionTime=text)
pod = obj(
    metadata=metadata,
    spec=obj(
        nodeName=text,
        volumes=st.lists(field(obj(name=text, persistentVolumeClaim=obj(claimName=text))), max_size=3),
    ),
    status=obj(
        phase=text,
        conditions=st.lists(field(condition), max_size=3),
        containerStatuses=st.lists(field(container), max_size=2),
        initContainerStatuses=st.lists(field(container), max_size=2),
    ),
)
statefulset = obj(
    metadata=metadata,
    spec=obj(
        replicas=counts,
        ordinals=obj(start=counts),
        updateStrategy=obj(type=text, rollingUpdate=obj(partition=counts)),
        minReadySeconds=counts,
        podManagementPolicy=text,
        serviceName=text,
        volumeClaimTemplates=st.lists(field(obj(metadata=obj(name=text))), max_size=2),
    ),
    status=obj(
        observedGeneration=counts,
        readyReplicas=counts,
        currentReplicas=counts,
        updatedReplicas=counts,
        availableReplicas=counts,
        currentRevision=text,
        updateRevision=text,
    ),
)
claim = obj(
    metadata=metadata,
    spec=obj(
        volumeName=text,
        resources=obj(requests=obj(storage=text)),
        storageClassName=text,
        accessModes=st.lists(field(text), max_size=2),
    ),
    status=obj(phase=text, capacity=obj(storage=text)),
)
involved = obj(kind=text, name=text, uid=text)
event = obj(
    metadata=metadata,
    involvedObject=involved,
    regarding=involved,
    type=text,
    reason=text,
    message=text,
    note=text,
    count=counts,
    lastTimestamp=text,
    eventTime=text,
)
template_container = obj(name=text, image=text, env=st.lists(field(obj(name=text, value=text)), max_size=2))
revision = obj(
    metadata=metadata,
    revision=counts,
    data=obj(spec=obj(template=obj(metadata=obj(labels=anything), spec=obj(containers=st.lists(template_container))))),
)


def with_metadata(kind: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
    """Usually with metadata (and so usually named): the interesting objects are the ones both paths read."""
    return mostly(st.builds(lambda o, meta: {**o, "metadata": meta}, kind, metadata), kind, 9)


KINDS = {
    "Pod": with_metadata(pod),
    "StatefulSet": with_metadata(statefulset),
    "PersistentVolumeClaim": with_metadata(claim),
    "Event": with_metadata(event),
    "ControllerRevision": with_metadata(revision),
}
DECODERS = {kind: WatchDecoder(kind) for kind in KINDS}
LIST_DECODERS = {kind: ListDecoder(kind) for kind in KINDS}
any_kind = st.sampled_from(sorted(KINDS)).flatmap(lambda kind: st.tuples(st.just(kind), KINDS[kind]))


def encode(value: Any, ascii_only: bool) -> bytes:
    # json, not orjson: it writes integers past 64 bits, which orjson then reads as floats.
    return json.dumps(value, ensure_ascii=ascii_only).encode()


def dict_path(kind: str, raw: bytes) -> Any:
    try:
        value = orjson.loads(raw)
    except orjson.JSONDecodeError:
        return REJECTED
    try:
        return RECORD_TYPES[kind].from_dict(value)
    except MALFORMED:
        return REJECTED


@settings(max_examples=600, deadline=None)
@given(any_kind, st.booleans())
def test_typed_record_equals_from_dict(kind_and_object: tuple[str, dict[str, Any]], ascii_only: bool) -> None:
    kind, value = kind_and_object
    raw = encode(value, ascii_only)
    typed = record_of(raw, kind)
    if typed is not None:
        assert typed == dict_path(kind, raw)


@settings(max_examples=300, deadline=None)
@given(any_kind, field(st.sampled_from(["ADDED", "MODIFIED", "DELETED", "BOOKMARK", "ERROR"])), field(text))
def test_replay_line_equals_the_dict_path(kind_and_object: tuple[str, dict[str, Any]], etype: Any, ts: Any) -> None:
    kind, value = kind_and_object
    line = encode({"seq": 1, "ts": ts, "type": etype, "object": {"kind": kind, **value}}, True) + b"\n"
    decoded = decode_replay_line(line)
    if decoded is None:
        return
    # What parsing.py's dict path keeps for this line: a timed event of a shown kind with metadata.
    parsed = orjson.loads(line)
    assert parsed["type"] in EVENT_TYPES and isinstance(parsed["object"].get("metadata"), dict)
    assert decoded == (parsed["type"], dict_path(kind, orjson.dumps(parsed["object"])), parsed["ts"])


@settings(max_examples=300, deadline=None)
@given(any_kind, field(st.sampled_from(["ADDED", "MODIFIED", "DELETED", "BOOKMARK", "ERROR"])))
def test_watch_line_equals_the_dict_path(kind_and_object: tuple[str, dict[str, Any]], etype: Any) -> None:
    kind, value = kind_and_object
    data = b"  " + encode({"type": etype, "object": value}, False) + b"\n"
    decoded = DECODERS[kind].decode(data, 2, len(data) - 1)
    if decoded is None:
        return
    # What the informer's dict path does with the line.
    parsed = orjson.loads(data)
    meta = parsed["object"].get("metadata")
    version = (meta.get("resourceVersion") or None) if meta else None
    # The informer keeps the resourceVersion it had when the line's is empty: "" stands for None.
    assert (decoded[2] or None) == version
    if parsed["type"] == "BOOKMARK":
        assert decoded[1] is None
    else:
        assert decoded[:2] == (parsed["type"], dict_path(kind, orjson.dumps(parsed["object"])))


@settings(max_examples=300, deadline=None)
@given(
    st.sampled_from(sorted(KINDS)).flatmap(lambda kind: st.tuples(st.just(kind), st.lists(KINDS[kind], max_size=4))),
    field(obj(resourceVersion=text, **{"continue": text})),
)
def test_list_page_equals_the_dict_path(kind_and_items: tuple[str, list[Any]], metadata: Any) -> None:
    kind, items = kind_and_items
    raw = encode({"kind": f"{kind}List", "metadata": metadata, "items": items}, False)
    decoded = LIST_DECODERS[kind].decode(raw)
    if decoded is None:
        return
    # What the informer's dict path makes of the page.
    page = parse_list(raw)
    assert page.repaired == 0
    assert decoded == ([RECORD_TYPES[kind].from_dict(item) for item in page.items], page[1], page[2])


@pytest.mark.parametrize(
    "raw",
    [
        b'{"metadata":{"name":"web-0"},"x":"\xff"}',  # invalid UTF-8 in a field nobody reads
        b'{"metadata":{"name":"web-0"},"x":"\xed\xa0\x80"}',  # an encoded surrogate
        b'{"metadata":{"name":"web-0","generation":1.0}}',
        b'{"metadata":{"name":"web-0"},"status":{"phase":7}}',
        b'{"metadata":{"name":"web-0"},"x":' + b"[" * 2000 + b"]" * 2000 + b"}",
        b'{"metadata":{"name":"web-0"}',
        b'{"metadata":[]}',
        b'{"metadata":{}}',
    ],
)
def test_damage_is_left_to_the_dict_path(raw: bytes) -> None:
    assert record_of(raw, "Pod") is None


def _example_lines() -> list[bytes]:
    lines: list[bytes] = []
    for path in sorted(EXAMPLES.glob("*.jsonl.gz")):
        lines += gzip.decompress(path.read_bytes()).splitlines()
    return lines


def test_real_recordings_take_the_typed_path() -> None:
    events = 0
    for line in _example_lines():
        value = orjson.loads(line)
        obj = value.get("object")
        if value.get("type") not in EVENT_TYPES or not isinstance(obj, dict) or obj.get("kind") not in RECORD_TYPES:
            assert decode_replay_line(line) is None
            continue
        decoded = decode_replay_line(line)
        assert decoded is not None, line[:200]
        assert decoded == (value["type"], RECORD_TYPES[obj["kind"]].from_dict(obj), value["ts"])
        events += 1
    assert events > 100


def test_real_controller_revisions_take_the_typed_path() -> None:
    # The real 1.20 control plane's revisions (their `data` is the whole pod template): decoded, not deferred.
    path = Path(__file__).parents[1] / "data" / "recordings" / "revisions-undo" / "merged.jsonl"
    revisions = 0
    for line in path.read_bytes().splitlines():
        value = orjson.loads(line)
        if value.get("object", {}).get("kind") != "ControllerRevision" or value.get("type") not in EVENT_TYPES:
            continue
        decoded = decode_replay_line(line)
        assert decoded is not None, line[:200]
        assert decoded[1] == RECORD_TYPES["ControllerRevision"].from_dict(value["object"])
        assert decoded[1].template  # the template was read, not left out
        revisions += 1
    assert revisions >= 2
