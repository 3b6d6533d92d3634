"""ControllerRevisions for StatefulSets, hashed exactly as upstream.

A revision's data is the set's pod template as a strategic-merge patch
(`{"spec":{"template":{..., "$patch":"replace"}}}`, Go's json.Marshal:
sorted keys, compact, HTML-escaped); its name is `<set>-<hash>` where the hash
is FNV-1 32 over that data and the collision count, spelled with
SafeEncodeString. Same template, same name as on a real cluster. The data
is kept in that key order, so it is served as the bytes that were hashed
(`kubectl rollout undo` compares them with its own encoding of the set).
"""

from __future__ import annotations

import copy
import json

from ..resources import REVISIONS

_SAFE_ALPHABET = "bcdfghjklmnpqrstvwxz2456789"
HASH_LABEL = "controller.kubernetes.io/hash"


def go_json(value: object) -> bytes:
    """encoding/json.Marshal of a map[string]interface{}."""
    text = json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    text = text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")
    return text.replace("\u2028", "\\u2028").replace("\u2029", "\\u2029").encode()


def fnv1_32(data: bytes) -> int:
    h = 0x811C9DC5
    for byte in data:
        h = (h * 0x01000193) & 0xFFFFFFFF
        h ^= byte
    return h


def safe_encode(text: str) -> str:
    return "".join(_SAFE_ALPHABET[ord(c) % len(_SAFE_ALPHABET)] for c in text)


def revision_patch(sts: dict) -> dict:
    template = copy.deepcopy(sts["spec"]["template"])
    template["$patch"] = "replace"
    return {"spec": {"template": template}}


def revision_hash(patch: dict, collision_count: int) -> str:
    return safe_encode(str(fnv1_32(go_json(patch) + str(collision_count).encode())))


def controller_ref(sts: dict) -> dict:
    return {
        "apiVersion": "apps/v1",
        "kind": "StatefulSet",
        "name": sts["metadata"]["name"],
        "uid": sts["metadata"]["uid"],
        "controller": True,
        "blockOwnerDeletion": True,
    }


def new_revision(sts: dict, number: int, collision_count: int) -> dict:
    patch = revision_patch(sts)
    digest = revision_hash(patch, collision_count)
    labels = dict((sts["spec"]["template"].get("metadata") or {}).get("labels") or {})
    labels[HASH_LABEL] = digest
    meta = {
        "name": f"{sts['metadata']['name']}-{digest}",
        "namespace": sts["metadata"]["namespace"],
        "labels": labels,
        "ownerReferences": [controller_ref(sts)],
    }
    annotations = dict(sts["metadata"].get("annotations") or {})
    if annotations:
        meta["annotations"] = annotations
    return {
        "apiVersion": REVISIONS.api_version,
        "kind": REVISIONS.kind,
        "metadata": meta,
        # Served as the apiserver serves a RawExtension: the very bytes hashed (keys sorted, compact), so
        # `kubectl rollout undo` finds a template equal to its own encoding ("skipped rollback").
        "data": json.loads(go_json(patch)),
        "revision": number,
    }


def apply_revision(sts: dict, revision: dict) -> dict:
    """The set as it was at `revision`: its template restored from the revision data."""
    restored = copy.deepcopy(sts)
    template = copy.deepcopy(revision["data"]["spec"]["template"])
    template.pop("$patch", None)
    restored["spec"]["template"] = template
    return restored


def same_data(a: dict, b: dict) -> bool:
    return go_json(a["data"]) == go_json(b["data"])
