"""The three PATCH flavours the API server accepts: JSON merge patch (RFC 7386),
strategic merge patch (for the fields kubectl and stsviz patch), JSON patch
(RFC 6902).

Strategic merge knows the merge keys of the lists our types carry (containers
by name, conditions by type, ...) and the `$patch`, `$retainKeys`,
`$setElementOrder` and `$deleteFromPrimitiveList` directives that kubectl
sends; lists without a merge key are replaced, as upstream.
"""

from __future__ import annotations

import copy
from typing import Any

from .errors import bad_request, patch_rejected

# List field name → merge key. Field names are unique enough across the types
# we serve (a Service's `ports` would need `port`, but Services are not served).
MERGE_KEYS: dict[str, str] = {
    "containers": "name",
    "initContainers": "name",
    "ephemeralContainers": "name",
    "volumes": "name",
    "volumeMounts": "mountPath",
    "volumeDevices": "devicePath",
    "env": "name",
    "ports": "containerPort",
    "conditions": "type",
    "ownerReferences": "uid",
    "imagePullSecrets": "name",
    "hostAliases": "ip",
    "topologySpreadConstraints": "topologyKey",
    "containerStatuses": "name",
    "initContainerStatuses": "name",
    "addresses": "type",
    "taints": "key",
}
# Primitive lists whose strategy is merge (a set union), not replace.
MERGED_PRIMITIVE_LISTS = {"finalizers"}


def merge_patch(target: Any, patch: Any) -> Any:
    """RFC 7386: objects merge, null deletes, everything else replaces."""
    if not isinstance(patch, dict):
        return copy.deepcopy(patch)
    result = dict(target) if isinstance(target, dict) else {}
    for key, value in patch.items():
        if value is None:
            result.pop(key, None)
        else:
            result[key] = merge_patch(result.get(key), value)
    return result


def strategic_merge_patch(target: Any, patch: Any) -> Any:
    if not isinstance(patch, dict):
        raise bad_request("invalid JSON: a strategic merge patch must be a JSON object")
    return _merge_map(target if isinstance(target, dict) else {}, patch)


def _merge_map(target: dict, patch: dict) -> dict:
    directive = patch.get("$patch")
    if directive == "replace":
        return {k: copy.deepcopy(v) for k, v in patch.items() if k != "$patch"}
    if directive == "delete":
        return {}
    result = dict(target)
    retain = patch.get("$retainKeys")
    for key, value in patch.items():
        if key in ("$patch", "$retainKeys") or key.startswith("$setElementOrder/"):
            continue
        if key.startswith("$deleteFromPrimitiveList/"):
            field = key.split("/", 1)[1]
            result[field] = [v for v in result.get(field) or [] if v not in value]
            continue
        if value is None:
            result.pop(key, None)
        elif isinstance(value, dict):
            current = result.get(key)
            result[key] = _merge_map(current if isinstance(current, dict) else {}, value)
        elif isinstance(value, list):
            result[key] = _merge_list(key, result.get(key), value)
        else:
            result[key] = copy.deepcopy(value)
    if retain is not None:
        result = {k: v for k, v in result.items() if k in retain}
    return result


def _merge_list(field: str, current: Any, patch: list) -> list:
    current = current if isinstance(current, list) else []
    merge_key = MERGE_KEYS.get(field)
    if merge_key and all(isinstance(item, dict) for item in patch):
        if any(item.get("$patch") == "replace" for item in patch):
            return [copy.deepcopy(i) for i in patch if i.get("$patch") != "replace"]
        result = [dict(item) for item in current]
        for item in patch:
            key = item.get(merge_key)
            index = next((i for i, existing in enumerate(result) if existing.get(merge_key) == key), None)
            if item.get("$patch") == "delete":
                if index is not None:
                    result.pop(index)
                continue
            if index is None:
                result.append({k: copy.deepcopy(v) for k, v in item.items() if k != "$patch"})
            else:
                result[index] = _merge_map(result[index], item)
        return result
    if field in MERGED_PRIMITIVE_LISTS:
        return list(current) + [v for v in patch if v not in current]
    return copy.deepcopy(patch)


def json_patch(target: Any, operations: Any) -> Any:
    """RFC 6902 on a deep copy; any failing operation rejects the whole patch."""
    if not isinstance(operations, list):
        raise bad_request("json: cannot unmarshal object into Go value of type jsonpatch.Patch")
    doc = copy.deepcopy(target)
    for op in operations:
        try:
            doc = _apply_op(doc, op)
        except (KeyError, IndexError, ValueError, TypeError):
            raise patch_rejected() from None
    return doc


def _pointer(path: str) -> list[str]:
    if path == "":
        return []
    if not path.startswith("/"):
        raise ValueError(path)
    return [p.replace("~1", "/").replace("~0", "~") for p in path[1:].split("/")]


def _walk(doc: Any, parts: list[str]) -> Any:
    for part in parts:
        doc = doc[int(part)] if isinstance(doc, list) else doc[part]
    return doc


def _apply_op(doc: Any, op: dict) -> Any:
    kind = op["op"]
    parts = _pointer(op["path"])
    if kind == "test":
        if _walk(doc, parts) != op["value"]:
            raise ValueError("test failed")
        return doc
    if kind in ("move", "copy"):
        source = _pointer(op["from"])
        value = copy.deepcopy(_walk(doc, source))
        if kind == "move":
            doc = _remove(doc, source)
        return _add(doc, parts, value)
    if kind == "add":
        return _add(doc, parts, copy.deepcopy(op["value"]))
    if kind == "remove":
        return _remove(doc, parts)
    if kind == "replace":
        doc = _remove(doc, parts)
        return _add(doc, parts, copy.deepcopy(op["value"]))
    raise ValueError(kind)


def _add(doc: Any, parts: list[str], value: Any) -> Any:
    if not parts:
        return value
    parent = _walk(doc, parts[:-1])
    last = parts[-1]
    if isinstance(parent, list):
        index = len(parent) if last == "-" else int(last)
        if index > len(parent):
            raise IndexError(index)
        parent.insert(index, value)
    elif isinstance(parent, dict):
        parent[last] = value
    else:
        raise TypeError(last)
    return doc


def _remove(doc: Any, parts: list[str]) -> Any:
    if not parts:
        return None
    parent = _walk(doc, parts[:-1])
    last = parts[-1]
    if isinstance(parent, list):
        parent.pop(int(last))
    else:
        del parent[last]
    return doc


PATCH_TYPES = {
    "application/merge-patch+json": merge_patch,
    "application/strategic-merge-patch+json": strategic_merge_patch,
    "application/json-patch+json": json_patch,
}
