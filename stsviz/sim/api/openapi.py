"""OpenAPI documents: /openapi/v2, the /openapi/v3 index and one v3 document per group/version.

The schemas are the real 1.20 server's (schemas/openapi-v2.json.gz, cut from
the upstream swagger.json by tools/sim_schemas.py), with the StatefulSet
fields of later releases the demo runs (ordinals, minReadySeconds, the PVC
retention policy, maxUnavailable, status.availableReplicas) added, so `kubectl explain` reads
upstream's descriptions and `kubectl apply` computes strategic merge patches
with upstream's `x-kubernetes-patch-merge-key`/`-strategy`.

kubectl 1.32 reads the v3 documents (as JSON) for `explain` and for apply's
patches, and checks manifests on its own side against v2, which it wants as
gnostic protobuf (openapi_protobuf.py); v2 is served as JSON to whoever asks
for JSON. The v3 documents are converted from v2 here (1.20 had no v3). Their
write operations do not list the `fieldValidation` parameter, as 1.20's had
none: so kubectl validates a manifest itself, against the 1.20 schemas, and
words what it finds exactly as against a real 1.20 server.
"""

from __future__ import annotations

import gzip
import hashlib
from functools import cache
from importlib import resources as package_files
from typing import Any

import orjson

from ..resources import RESOURCES


@cache
def v2_document() -> dict:
    raw = package_files.files("stsviz.sim").joinpath("schemas/openapi-v2.json.gz").read_bytes()
    document = orjson.loads(gzip.decompress(raw))
    _add_later_statefulset_fields(document["definitions"])
    return document


def _add_later_statefulset_fields(definitions: dict[str, dict]) -> None:
    """The StatefulSet fields added after 1.20 that the demo's controller honours, with upstream's words.

    Without them `kubectl apply` (strict field validation) refused a manifest using any of them, and
    `kubectl explain` did not know them, though the demo is where they can be tried.
    """
    apps = "io.k8s.api.apps.v1."
    int32 = {"format": "int32", "type": "integer"}
    definitions[apps + "StatefulSetOrdinals"] = {
        "description": "StatefulSetOrdinals describes the policy used for replica ordinal assignment in this "
        "StatefulSet.",
        "properties": {"start": {**int32, "description": LATER_WORDS["start"]}},
        "type": "object",
    }
    definitions[apps + "StatefulSetPersistentVolumeClaimRetentionPolicy"] = {
        "description": "StatefulSetPersistentVolumeClaimRetentionPolicy describes the policy used for PVCs created "
        "from the StatefulSet VolumeClaimTemplates.",
        "properties": {
            "whenDeleted": {"type": "string", "description": LATER_WORDS["whenDeleted"]},
            "whenScaled": {"type": "string", "description": LATER_WORDS["whenScaled"]},
        },
        "type": "object",
    }
    spec = definitions[apps + "StatefulSetSpec"]["properties"]
    spec["minReadySeconds"] = {**int32, "description": LATER_WORDS["minReadySeconds"]}
    spec["ordinals"] = {"$ref": f"#/definitions/{apps}StatefulSetOrdinals", "description": LATER_WORDS["ordinals"]}
    spec["persistentVolumeClaimRetentionPolicy"] = {
        "$ref": f"#/definitions/{apps}StatefulSetPersistentVolumeClaimRetentionPolicy",
        "description": LATER_WORDS["persistentVolumeClaimRetentionPolicy"],
    }
    definitions[apps + "RollingUpdateStatefulSetStrategy"]["properties"]["maxUnavailable"] = {
        "$ref": "#/definitions/io.k8s.apimachinery.pkg.util.intstr.IntOrString",
        "description": LATER_WORDS["maxUnavailable"],
    }
    definitions[apps + "StatefulSetStatus"]["properties"]["availableReplicas"] = {
        **int32,
        "description": LATER_WORDS["availableReplicas"],
    }


# Upstream's descriptions (k8s.io/api apps/v1, 1.27 and later).
LATER_WORDS = {
    "minReadySeconds": "Minimum number of seconds for which a newly created pod should be ready without any of its "
    "container crashing for it to be considered available. Defaults to 0 (pod will be considered available as soon "
    "as it is ready)",
    "ordinals": "ordinals controls the numbering of replica indices in a StatefulSet. The default ordinals behavior "
    'assigns a "0" index to the first replica and increments the index by one for each additional replica requested.',
    "start": "start is the number representing the first replica's index. It may be used to number replicas from an "
    "alternate index (eg: 1-indexed) over the default 0-indexed names, or to orchestrate progressive movement of "
    "replicas from one StatefulSet to another. If set, replica indices will be in the range: [.spec.ordinals.start, "
    ".spec.ordinals.start + .spec.replicas). If unset, defaults to 0. Replica indices will be in the range: "
    "[0, .spec.replicas).",
    "persistentVolumeClaimRetentionPolicy": "persistentVolumeClaimRetentionPolicy describes the lifecycle of "
    "persistent volume claims created from volumeClaimTemplates. By default, all persistent volume claims are created "
    "as needed and retained until manually deleted. This policy allows the lifecycle to be altered, for example by "
    "deleting persistent volume claims when their stateful set is deleted, or when their pod is scaled down.",
    "whenDeleted": "WhenDeleted specifies what happens to PVCs created from StatefulSet VolumeClaimTemplates when the "
    "StatefulSet is deleted. The default policy of `Retain` causes PVCs to not be affected by StatefulSet deletion. "
    "The `Delete` policy causes those PVCs to be deleted.",
    "whenScaled": "WhenScaled specifies what happens to PVCs created from StatefulSet VolumeClaimTemplates when the "
    "StatefulSet is scaled down. The default policy of `Retain` causes PVCs to not be affected by a scaledown. The "
    "`Delete` policy causes the associated PVCs for any excess pods above the replica count to be deleted.",
    "maxUnavailable": "The maximum number of pods that can be unavailable during the update. Value can be an absolute "
    "number (ex: 5) or a percentage of desired pods (ex: 10%). Absolute number is calculated from percentage by "
    "rounding up. This can not be 0. Defaults to 1.",
    "availableReplicas": "Total number of available pods (ready for at least minReadySeconds) targeted by this "
    "statefulset.",
}


@cache
def v2_bytes() -> bytes:
    return orjson.dumps(v2_document())


def definitions() -> dict[str, dict]:
    return v2_document()["definitions"]


def accepts_json(accept: str | None) -> bool:
    """Whether an Accept header takes JSON: a bare protobuf request (kubectl's v2 fetch) does not."""
    if not accept:
        return True
    types = [part.split(";")[0].strip().lower() for part in accept.split(",")]
    return any(t in ("application/json", "*/*", "application/*") for t in types)


def _group_versions() -> list[str]:
    """The v3 index's keys: api/v1, apis/apps/v1, ..."""
    out: list[str] = []
    for res in RESOURCES:
        key = f"apis/{res.group}/{res.version}" if res.group else f"api/{res.version}"
        if key not in out:
            out.append(key)
    return out


def v3_index() -> dict:
    return {
        "paths": {gv: {"serverRelativeURL": f"/openapi/v3/{gv}?hash={_hash(v3_bytes(gv))}"} for gv in _group_versions()}
    }


def _hash(data: bytes) -> str:
    return hashlib.sha512(data).hexdigest()[:128].upper()


@cache
def v3_bytes(group_version: str) -> bytes:
    return orjson.dumps(v3_document(group_version))


def v3_document(group_version: str) -> dict | None:
    if group_version not in _group_versions():
        return None
    doc = v2_document()
    prefix = "/" + group_version + "/"
    paths = {path: _v3_path(item) for path, item in doc["paths"].items() if path.startswith(prefix)}
    schemas: dict[str, Any] = {}
    _collect(paths, doc["definitions"], schemas)
    for res in RESOURCES:
        if ("apis/" + res.group if res.group else "api") + "/" + res.version == group_version:
            for name, schema in doc["definitions"].items():
                if any(g.get("kind") == res.kind for g in schema.get("x-kubernetes-group-version-kind", [])):
                    _collect({"$ref": "#/definitions/" + name}, doc["definitions"], schemas)
    rendered = orjson.loads(
        orjson.dumps({"paths": paths, "schemas": schemas}).replace(b"#/definitions/", b"#/components/schemas/")
    )
    return {
        "openapi": "3.0.0",
        "info": {"title": "Kubernetes", "version": "v1.20.2"},
        "paths": rendered["paths"],
        "components": {"schemas": rendered["schemas"]},
    }


def _collect(node: Any, defs: dict, out: dict) -> None:
    stack = [node]
    while stack:
        item = stack.pop()
        if isinstance(item, dict):
            ref = item.get("$ref")
            if isinstance(ref, str) and ref.startswith("#/definitions/"):
                name = ref.removeprefix("#/definitions/")
                if name not in out:
                    out[name] = defs[name]
                    stack.append(defs[name])
            stack.extend(item.values())
        elif isinstance(item, list):
            stack.extend(item)


def _v3_parameter(param: dict) -> dict:
    out = {k: v for k, v in param.items() if k in ("name", "in", "description", "required", "$ref")}
    if "type" in param:
        out["schema"] = {k: v for k, v in param.items() if k in ("type", "uniqueItems", "items")}
    return out


def _v3_operation(op: dict, verb: str) -> dict:
    out = {k: v for k, v in op.items() if k not in ("parameters", "responses", "consumes", "produces", "schemes")}
    params = []
    for param in op.get("parameters", []):
        if param.get("in") == "body":
            types = op.get("consumes") or ["application/json"]
            out["requestBody"] = {
                "content": {t: {"schema": param["schema"]} for t in types},
                "required": bool(param.get("required")),
            }
        else:
            params.append(_v3_parameter(param))
    if params:
        out["parameters"] = params
    produces = op.get("produces") or ["application/json"]
    out["responses"] = {
        code: {
            "description": response.get("description", ""),
            **({"content": {t: {"schema": response["schema"]} for t in produces}} if "schema" in response else {}),
        }
        for code, response in op.get("responses", {}).items()
    }
    return out


def _v3_path(item: dict) -> dict:
    out: dict[str, Any] = {}
    for key, value in item.items():
        if key == "parameters":
            out["parameters"] = [_v3_parameter(p) for p in value]
        else:
            out[key] = _v3_operation(value, key)
    return out
