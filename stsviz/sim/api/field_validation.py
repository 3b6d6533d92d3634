"""Server-side field validation: the `fieldValidation` query parameter (Ignore, Warn, Strict).

1.20 had none (it came in 1.25), so the demo's OpenAPI does not list the
parameter and kubectl checks a manifest itself against /openapi/v2, as it
does against a real 1.20 server. kubectl still sends `fieldValidation=Strict`,
which 1.20 ignores; here it finds the same unknown fields against the same
schemas, after kubectl has, so a kubectl user sees no difference. Other
clients that ask for it get a newer server's answer, worded as one words it.
"""

from __future__ import annotations

from functools import cache
from typing import Any

from .. import errors
from ..resources import Resource
from . import openapi

MODES = ("Ignore", "Warn", "Strict")


@cache  # the schemas never change in a running server; every write asks
def schema_name(res: Resource) -> str | None:
    """The definition that `res`'s kind is, found by its x-kubernetes-group-version-kind."""
    for name, schema in openapi.definitions().items():
        for gvk in schema.get("x-kubernetes-group-version-kind", []):
            if (gvk.get("group"), gvk.get("version"), gvk.get("kind")) == (res.group, res.version, res.kind):
                return name
    return None


def unknown_fields(res: Resource, obj: Any) -> list[str]:
    name = schema_name(res)
    if name is None:
        return []
    found: list[str] = []
    _walk(obj, {"$ref": "#/definitions/" + name}, "", found)
    return found


def _walk(value: Any, schema: dict, path: str, found: list[str]) -> None:
    defs = openapi.definitions()
    while "$ref" in schema:
        schema = defs.get(schema["$ref"].removeprefix("#/definitions/"), {})
    if isinstance(value, dict) and "properties" in schema:
        props = schema["properties"]
        for key, item in value.items():
            where = f"{path}.{key}" if path else key
            if key in props:
                _walk(item, props[key], where, found)
            elif not (not path and key in ("apiVersion", "kind")):
                found.append(where)
    elif isinstance(value, dict) and isinstance(schema.get("additionalProperties"), dict):
        for key, item in value.items():
            _walk(item, schema["additionalProperties"], f"{path}.{key}" if path else key, found)
    elif isinstance(value, list) and isinstance(schema.get("items"), dict):
        for i, item in enumerate(value):
            _walk(item, schema["items"], f"{path}[{i}]", found)


def check(res: Resource, obj: Any, mode: str | None) -> list[str]:
    """Warnings to send (Warn), or a 400 (Strict) for fields the schema does not know."""
    if not mode or mode == "Ignore":
        return []
    if mode not in MODES:
        raise errors.bad_request(f'fieldValidation must be one of "Ignore", "Warn" or "Strict", not "{mode}"')
    unknown = unknown_fields(res, obj)
    if not unknown:
        return []
    messages = [f'unknown field "{field}"' for field in unknown]
    if mode == "Strict":
        raise errors.bad_request(
            f'{res.kind} in version "{res.version}" cannot be handled as a {res.kind}: '
            f"strict decoding error: {', '.join(messages)}"
        )
    return messages
