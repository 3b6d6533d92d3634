"""A value of the wrong JSON type is refused with 400, as a real server refuses what Go cannot decode.

A real server decodes a body into Go structs: `data: {port: 8080}` in a
ConfigMap (a number where Go has a string) is a 400 BadRequest, "cannot be
handled as a ConfigMap". kubectl checks most fields on its side first, but
not the values of maps (labels, annotations, a ConfigMap's data, a
nodeSelector), so without this check the demo kept what a real cluster
refuses. The types are read from the 1.20 schemas; the types whose Go
decoders take more than their schema says are named below. The message is
worded as servers since 1.23 word it (encoding/json's); 1.20's json-iterator
said the same in more obscure words.
"""

from __future__ import annotations

from typing import Any

from .. import errors
from ..resources import Resource
from . import field_validation, openapi

_META = "io.k8s.apimachinery.pkg."
# Types with their own UnmarshalJSON, and what JSON each takes (None: anything).
_DECODERS: dict[str, tuple[type, ...] | None] = {
    _META + "api.resource.Quantity": (str, int, float),  # `memory: 512` is 512 bytes
    _META + "util.intstr.IntOrString": (str, int),
    _META + "runtime.RawExtension": None,
    _META + "apis.meta.v1.FieldsV1": None,
}
_GO_SCALARS = {"string": "string", "boolean": "bool", "int32": "int32", "int64": "int64", "double": "float64"}


def check(res: Resource, obj: Any) -> None:
    """Raise 400 for the first value Go would not decode into `res`'s type."""
    name = field_validation.schema_name(res)
    if name is None:
        return
    found = _first(obj, {"$ref": "#/definitions/" + name}, _short(name), "")
    if found is not None:
        raise errors.bad_request(f'{res.kind} in version "{res.version}" cannot be handled as a {res.kind}: {found}')


def _first(value: Any, schema: dict, struct: str, path: str) -> str | None:
    """encoding/json's UnmarshalTypeError for the first misfit in `value`, or None.

    `struct` is the Go struct holding the field at `path` (the path from the top, as Go gives it).
    """
    inner = struct  # the struct the value itself is, if it is one: its fields' errors name it
    while "$ref" in schema:
        ref = schema["$ref"].removeprefix("#/definitions/")
        if ref in _DECODERS:
            takes = _DECODERS[ref]
            if value is None or takes is None or (isinstance(value, takes) and not isinstance(value, bool)):
                return None
            return _misfit(value, struct, path, _go_type(schema))
        schema = openapi.definitions().get(ref, {})
        inner = _short(ref)
    if value is None:
        return None  # null decodes into anything as its zero value
    kind = schema.get("type", "object")
    if kind == "object":
        if not isinstance(value, dict):
            return _misfit(value, struct, path, _go_type(schema))
        properties, values = schema.get("properties"), schema.get("additionalProperties")
        for key, item in value.items():
            if properties is not None:  # a struct: unknown fields are field_validation's
                sub, where, holder = properties.get(key), f"{path}.{key}" if path else key, inner
            else:  # a map: Go names the map's field, whatever the key
                sub, where, holder = values if isinstance(values, dict) else None, path, struct
            if sub is not None and (found := _first(item, sub, holder, where)) is not None:
                return found
        return None
    if kind == "array":
        if not isinstance(value, list):
            return _misfit(value, struct, path, _go_type(schema))
        items = schema.get("items")
        items = items if isinstance(items, dict) else {}
        return next((found for item in value if (found := _first(item, items, struct, path)) is not None), None)
    fits = {
        "string": isinstance(value, str),
        "boolean": isinstance(value, bool),
        "integer": isinstance(value, int) and not isinstance(value, bool),
        "number": isinstance(value, int | float) and not isinstance(value, bool),
    }.get(kind, True)
    return None if fits else _misfit(value, struct, path, _go_type(schema))


def _misfit(value: Any, struct: str, path: str, go_type: str) -> str:
    if isinstance(value, bool):
        what = "bool"
    elif isinstance(value, int | float):
        what = f"number {value}" if isinstance(value, float) else "number"
    elif isinstance(value, str):
        what = "string"
    else:
        what = "array" if isinstance(value, list) else "object"
    return f"json: cannot unmarshal {what} into Go struct field {struct}.{path} of type {go_type}"


def _go_type(schema: dict) -> str:
    """The Go type a schema stands for, as encoding/json names it."""
    if "$ref" in schema:
        ref = schema["$ref"].removeprefix("#/definitions/")
        return ref.rsplit(".", 2)[-2] + "." + _short(ref)  # v1.Container
    kind = schema.get("type", "object")
    if kind == "array":
        return "[]" + _go_type(schema.get("items") or {})
    if kind == "object":
        additional = schema.get("additionalProperties")
        return "map[string]" + _go_type(additional) if isinstance(additional, dict) else "struct"
    if kind == "integer":
        return _GO_SCALARS.get(schema.get("format", ""), "int")
    if kind == "number":
        return "float64"
    return _GO_SCALARS.get(kind, kind)


def _short(definition: str) -> str:
    return definition.rsplit(".", 1)[-1]
