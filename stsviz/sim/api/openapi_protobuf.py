"""/openapi/v2 as gnostic protobuf (`openapi.v2.Document`), as kubectl asks a real server for it.

kubectl 1.32 reads its schemas from /openapi/v3, but checks a `kind: List`
(what `kubectl get a,b -o yaml` writes) on its own side against the v2
schemas, which it will only take as protobuf: without them `kubectl apply`
of a List failed on the demo with "the server was unable to respond with a
content type that the client supports", and worked on a real 1.20 server.

The message numbers are those of gnostic's openapiv2/OpenAPIv2.proto. Only
what kubectl reads of v2 is written: `swagger`, `info` and the definitions,
whose schemas use a handful of keywords (a keyword with no encoding here
raises, so a schema that grows one is noticed). The paths are left out:
kubectl reads them only when the v3 documents fail it, and with none it
validates on its own side against the definitions, as it does against 1.20.
Vendor extensions (`x-kubernetes-group-version-kind`, the patch strategies)
are `Any` values holding YAML text; JSON is YAML, so they are written as JSON.
No maintained Python package ships these types, and writing the wire format
takes a few lines (protobuf.py reads it for the request bodies).
"""

from __future__ import annotations

from collections.abc import Iterable
from functools import cache
from typing import Any

import orjson

from . import openapi

MEDIA_TYPE = "application/com.github.proto-openapi.spec.v2@v1.0+protobuf"
# The spelling of the same type that older clients send (the apiserver takes both).
MEDIA_TYPES = (MEDIA_TYPE, "application/com.github.proto-openapi.spec.v2.v1.0+protobuf")
# What a 1.20 server answers it as: Go's mime parser refuses the `@` of MEDIA_TYPE in a Content-Type.
CONTENT_TYPE = "application/octet-stream"

# openapi.v2.Schema's field numbers for the keywords the 1.20 schemas use.
_SCHEMA_STRINGS = {"$ref": 1, "format": 2, "title": 3, "description": 4}
_REQUIRED, _ADDITIONAL_PROPERTIES, _TYPE, _ITEMS, _PROPERTIES, _VENDOR_EXTENSION = 19, 21, 22, 23, 25, 31


@cache
def v2_bytes() -> bytes:
    """The demo's v2 document (openapi.v2_document) as one openapi.v2.Document message."""
    document = openapi.v2_document()
    info = document.get("info", {})
    return (
        _string(1, document.get("swagger", "2.0"))
        + _message(2, _string(1, info.get("title", "")) + _string(2, info.get("version", "")))
        + _message(9, _named_schemas(document["definitions"]))  # Definitions
    )


def wants_protobuf(accept: str | None) -> bool:
    """Whether an Accept header asks for the protobuf document before JSON (kubectl's v2 fetch does)."""
    for part in (accept or "").split(","):
        media_type = part.split(";")[0].strip().lower()
        if media_type in MEDIA_TYPES:
            return True
        if media_type in ("application/json", "*/*", "application/*"):
            return False
    return False


def _schema(schema: dict[str, Any]) -> bytes:
    out = bytearray()
    for key, value in schema.items():
        if key in _SCHEMA_STRINGS:
            out += _string(_SCHEMA_STRINGS[key], value)
        elif key == "required":
            out += b"".join(_string(_REQUIRED, name) for name in value)
        elif key == "type":  # TypeItem: repeated string value = 1
            out += _message(_TYPE, b"".join(_string(1, t) for t in _listed(value)))
        elif key == "items":  # ItemsItem: repeated Schema schema = 1
            out += _message(_ITEMS, b"".join(_message(1, _schema(item)) for item in _listed(value)))
        elif key == "properties":
            out += _message(_PROPERTIES, _named_schemas(value))
        elif key == "additionalProperties":  # AdditionalPropertiesItem: oneof Schema schema = 1, bool boolean = 2
            inner = _bool(2, value) if isinstance(value, bool) else _message(1, _schema(value))
            out += _message(_ADDITIONAL_PROPERTIES, inner)
        elif key.startswith("x-"):  # NamedAny {name = 1, Any value = 2 {string yaml = 2}}
            out += _message(_VENDOR_EXTENSION, _string(1, key) + _message(2, _string(2, orjson.dumps(value).decode())))
        else:
            raise ValueError(f"no openapi.v2.Schema encoding here for the keyword {key!r}")
    return bytes(out)


def _named_schemas(schemas: dict[str, dict[str, Any]]) -> bytes:
    """Definitions' and Properties' body: repeated NamedSchema additional_properties = 1 {name = 1, value = 2}."""
    return b"".join(_message(1, _string(1, name) + _message(2, _schema(schema))) for name, schema in schemas.items())


def _listed(value: Any) -> Iterable[Any]:
    return value if isinstance(value, list) else [value]


def _varint(number: int) -> bytes:
    out = bytearray()
    while True:
        low, number = number & 0x7F, number >> 7
        if number:
            out.append(low | 0x80)
        else:
            out.append(low)
            return bytes(out)


def _message(field: int, body: bytes) -> bytes:
    """A length-delimited field (wire type 2): a message, or a string's bytes."""
    return _varint(field << 3 | 2) + _varint(len(body)) + body


def _string(field: int, text: str) -> bytes:
    return _message(field, text.encode()) if text else b""  # proto3 leaves an empty string out


def _bool(field: int, value: bool) -> bytes:
    return _varint(field << 3) + b"\x01" if value else b""
