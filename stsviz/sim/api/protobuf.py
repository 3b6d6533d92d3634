"""Request bodies in `application/vnd.kubernetes.protobuf`, decoded to the JSON the rest of the server reads.

kubectl's typed clients (`create namespace`, `create secret`, `create
configmap`, `create service`, `auth can-i`, ...) send protobuf. The wire
format is the 4-byte magic `k8s\\x00` and a `runtime.Unknown` message whose
`raw` bytes are the object's own message. The field tables come from the real
1.20 generated.proto files (schemas/protobuf.json.gz, made by
tools/sim_schemas.py); no maintained Python package ships the Kubernetes
protobuf types, and the wire format itself is small enough to read here.

Decoding yields what the Go server would get after unmarshalling: Go writes
every non-pointer field, zero values included, so empty strings, zeros and
false are dropped again (JSON's omitempty), which is how the same object
arrives as JSON. Anything malformed is a 400 worded as the real server's
transformDecodeError; nothing here raises anything else.
"""

from __future__ import annotations

import base64
import gzip
import struct
from datetime import UTC, datetime, timedelta
from functools import cache
from importlib import resources as package_files
from typing import Any

import orjson

from .. import errors
from ..resources import Resource

MAGIC = b"k8s\x00"
MEDIA_TYPE = "application/vnd.kubernetes.protobuf"
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
# time.Time{}.Unix(): what Go writes for a zero metav1.Time (creationTimestamp of a new object).
_GO_ZERO_SECONDS = -62135596800
_META = "k8s.io.apimachinery.pkg.apis.meta.v1."
# Go packages per API group, as generated.proto names them.
_PACKAGES = {
    "": "k8s.io.api.core",
    "apps": "k8s.io.api.apps",
    "authorization.k8s.io": "k8s.io.api.authorization",
    "autoscaling": "k8s.io.api.autoscaling",
    "networking.k8s.io": "k8s.io.api.networking",
    "policy": "k8s.io.api.policy",
    "rbac.authorization.k8s.io": "k8s.io.api.rbac",
    "storage.k8s.io": "k8s.io.api.storage",
}
# autoscaling/v2 went GA after 1.20 with v2beta2's messages.
_VERSION_ALIASES = {("autoscaling", "v2"): "v2beta2"}

Field = tuple[int, str, str, str, bool]  # number, JSON name, type, label (optional/repeated/map), inline


class DecodeError(Exception):
    pass


@cache
def messages() -> dict[str, dict[int, Field]]:
    raw = package_files.files("stsviz.sim").joinpath("schemas/protobuf.json.gz").read_bytes()
    table = orjson.loads(gzip.decompress(raw))
    return {name: {f[0]: tuple(f) for f in fields} for name, fields in table.items()}


def message_name(group: str, version: str, kind: str) -> str | None:
    package = _PACKAGES.get(group)
    if package is None:
        return None
    return f"{package}.{_VERSION_ALIASES.get((group, version), version)}.{kind}"


# the wire format -------------------------------------------------------------------------------


def _varint(data: bytes, pos: int) -> tuple[int, int]:
    result = shift = 0
    while True:
        if pos >= len(data):
            raise DecodeError("unexpected EOF")
        byte = data[pos]
        pos += 1
        result |= (byte & 0x7F) << shift
        if not byte & 0x80:
            return result, pos
        shift += 7
        if shift > 63:
            raise DecodeError("integer overflow")


def _fields(data: bytes) -> list[tuple[int, int, Any]]:
    """(number, wire type, value) for each field on the wire: ints for varints, bytes otherwise."""
    out = []
    pos = 0
    while pos < len(data):
        key, pos = _varint(data, pos)
        number, wire = key >> 3, key & 7
        value: int | bytes
        if wire == 0:
            value, pos = _varint(data, pos)
        elif wire == 1:
            value, pos = data[pos : pos + 8], pos + 8
        elif wire == 2:
            length, pos = _varint(data, pos)
            value, pos = data[pos : pos + length], pos + length
        elif wire == 5:
            value, pos = data[pos : pos + 4], pos + 4
        else:
            raise DecodeError(f"illegal wireType {wire} for field {number}")
        if pos > len(data) or number == 0:
            raise DecodeError("unexpected EOF")
        out.append((number, wire, value))
    return out


def _signed(value: int) -> int:
    return value - (1 << 64) if value >= 1 << 63 else value


def _scalar(type_: str, wire: int, value: Any) -> Any:
    if type_ in ("int32", "int64", "uint32", "uint64"):
        return _signed(value) if wire == 0 else _bad(type_)
    if type_ == "bool":
        return bool(value) if wire == 0 else _bad(type_)
    if type_ == "double":
        return struct.unpack("<d", value)[0] if wire == 1 else _bad(type_)
    if type_ == "float":
        return struct.unpack("<f", value)[0] if wire == 5 else _bad(type_)
    if wire != 2:
        _bad(type_)
    if type_ == "bytes":
        return base64.b64encode(value).decode()
    try:
        return value.decode()
    except UnicodeDecodeError:
        raise DecodeError("invalid UTF-8 in a string field") from None


def _bad(type_: str) -> Any:
    raise DecodeError(f"wrong wireType for a field of type {type_}")


def _packed(type_: str, value: bytes) -> list:
    items, pos = [], 0
    while pos < len(value):
        if type_ in ("double", "float"):
            size = 8 if type_ == "double" else 4
            items.append(_scalar(type_, 1 if size == 8 else 5, value[pos : pos + size]))
            pos += size
        else:
            number, pos = _varint(value, pos)
            items.append(_scalar(type_, 0, number))
    return items


# special messages: what their Go types marshal to in JSON ------------------------------------------


def _time(data: bytes, micro: bool) -> str | None:
    parts = {n: v for n, _, v in _fields(data)}
    seconds, nanos = _signed(parts.get(1, 0)), _signed(parts.get(2, 0))
    if seconds in (0, _GO_ZERO_SECONDS) and not nanos:
        return None
    moment = _EPOCH + timedelta(seconds=seconds, microseconds=nanos // 1000)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.%fZ" if micro else "%Y-%m-%dT%H:%M:%SZ")


def _raw_json(data: bytes) -> Any:
    raw = {n: v for n, _, v in _fields(data)}.get(1, b"")
    if not raw:
        return None
    try:
        return orjson.loads(raw)
    except orjson.JSONDecodeError:
        raise DecodeError("embedded raw object is not JSON") from None


def _int_or_string(data: bytes) -> int | str:
    parts = {n: v for n, _, v in _fields(data)}
    if parts.get(1, 0) == 1:
        return _scalar("string", 2, parts.get(3, b""))
    return _signed(parts.get(2, 0))


SPECIAL = {
    _META + "Time": lambda data: _time(data, micro=False),
    _META + "MicroTime": lambda data: _time(data, micro=True),
    _META + "FieldsV1": _raw_json,
    _META + "Duration": lambda data: f"{_signed({n: v for n, _, v in _fields(data)}.get(1, 0)) / 1e9:g}s",
    "k8s.io.apimachinery.pkg.runtime.RawExtension": _raw_json,
    "k8s.io.apimachinery.pkg.api.resource.Quantity": lambda data: _scalar(
        "string", 2, {n: v for n, _, v in _fields(data)}.get(1, b"")
    ),
    "k8s.io.apimachinery.pkg.util.intstr.IntOrString": _int_or_string,
    "k8s.io.api.authorization.v1.ExtraValue": lambda data: [
        _scalar("string", w, v) for n, w, v in _fields(data) if n == 1
    ],
}


def _value(type_: str, wire: int, value: Any) -> Any:
    if type_ in SPECIAL:
        if wire != 2:
            _bad(type_)
        return SPECIAL[type_](value)
    if type_ in messages():
        if wire != 2:
            _bad(type_)
        return decode_message(type_, value)
    return _scalar(type_, wire, value)


def _empty(value: Any) -> bool:
    # Go's omitempty for scalars; an empty message (a struct) stays, as Go's JSON keeps it.
    return value is None or value == "" or value is False or (isinstance(value, (int, float)) and value == 0)


def decode_message(name: str, data: bytes) -> dict:
    table = messages().get(name)
    if table is None:
        raise DecodeError(f"no protobuf schema for {name}")
    obj: dict[str, Any] = {}
    for number, wire, raw in _fields(data):
        field = table.get(number)
        if field is None:
            continue  # unknown fields are skipped, as gogo-protobuf does
        _, key, type_, label, inline = field
        if label == "map":
            entry = {n: (w, v) for n, w, v in _fields(raw)} if wire == 2 else _bad("map")
            map_key = _scalar("string", *entry.get(1, (2, b"")))
            wire_v, raw_v = entry.get(2, (2, b""))
            obj.setdefault(key, {})[map_key] = _value(type_, wire_v, raw_v)
        elif label == "repeated":
            if wire == 2 and type_ not in messages() and type_ not in SPECIAL and type_ not in ("string", "bytes"):
                obj.setdefault(key, []).extend(_packed(type_, raw))
            else:
                obj.setdefault(key, []).append(_value(type_, wire, raw))
        elif inline:
            obj.update(_value(type_, wire, raw))
        else:
            value = _value(type_, wire, raw)
            if _empty(value):
                obj.pop(key, None)
            else:
                obj[key] = value
    return obj


# the envelope ---------------------------------------------------------------------------------------


def _summary(body: bytes) -> str:
    # summarizeData in apiserver's handlers: JSON-looking bodies as text, anything else as hex.
    if not body:
        return "<empty>"
    head = body[:30]
    text = head.decode(errors="replace") if body[:1] == b"{" else head.hex()
    return text + (" ..." if len(body) > 30 else "")


def decode(body: bytes, res: Resource) -> dict:
    """The object in a protobuf request body, as JSON would have carried it; 400 if it is none."""

    def unrecognized(reason: str) -> errors.StatusError:
        return errors.bad_request(
            f"the object provided is unrecognized (must be of type {res.kind}): {reason} ({_summary(body)})"
        )

    if not body.startswith(MAGIC):
        raise unrecognized(f"provided data does not appear to be a protobuf message, expected prefix {list(MAGIC)}")
    try:
        envelope = {n: v for n, _, v in _fields(body[len(MAGIC) :])}
        type_meta = {n: v.decode() for n, _, v in _fields(envelope.get(1, b""))}
    except (DecodeError, UnicodeDecodeError) as exc:
        raise unrecognized(str(exc)) from None
    api_version, kind = type_meta.get(1, ""), type_meta.get(2, "")
    group, _, version = api_version.rpartition("/")
    if envelope.get(3):
        raise unrecognized(f"content encoding {envelope[3].decode(errors='replace')!r} is not supported")
    if (group, version, kind) != (res.group, res.version, res.kind):
        # A body of another kind: the real server cannot convert it into this endpoint's type.
        shown = kind or "<unknown>"
        raise errors.bad_request(
            f'{shown} in version "{version}" cannot be handled as a {res.kind}: no kind "{shown}" is registered '
            f'for version "{api_version}" in scheme "k8s.io/kubernetes/pkg/api/legacyscheme/scheme.go:30"'
        )
    name = message_name(group, version, kind)
    try:
        obj = decode_message(name or "", envelope.get(2, b""))
    except (DecodeError, struct.error) as exc:
        raise errors.bad_request(
            f'{kind} in version "{version}" cannot be handled as a {res.kind}: {exc} ({_summary(body)})'
        ) from None
    return {"apiVersion": api_version, "kind": kind, **obj}
