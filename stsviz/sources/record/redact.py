"""What of an API object goes into a recording: pruned to what replay and a reader need, secrets hashed.

`redact(kind, obj, salt)` is the one function every recorded object passes
through. It builds a new dict (the input is never changed: the informer's
parse is shared) holding:

- `kind`, `apiVersion`, and metadata: name, namespace, uid, resourceVersion,
  generation, creation and deletion times, the grace period, labels,
  annotations without `kubectl.kubernetes.io/last-applied-configuration`,
  owner references and finalizers; never `managedFields`;
- for a Pod: nodeName, the volumes (a claim's name only), the containers
  (init, ordinary, ephemeral: name, image, env, command, args); status whole;
- for a StatefulSet: replicas, selector, serviceName, updateStrategy,
  podManagementPolicy, ordinals, minReadySeconds, the claim templates' names,
  storage requests and classes, the retention policy, and the pod template
  (its metadata and spec pruned as a Pod's); status whole;
- for a PersistentVolumeClaim: the storage request, class, access modes and
  volume; status whole;
- for a ControllerRevision: its number and its data's pod template
  (`data.spec.template`) whole but for its volumes' sources, since a diff
  between revisions shows any change: with a salt, each container's fields
  beyond those above and its resources, and the pod spec's fields (its
  tolerations, affinity...), become `{"redacted": hash}`;
- for a PersistentVolume: capacity, access modes, class, reclaim policy and
  the claim it is bound to; never its source (a host path, an NFS server, CSI
  attributes and secret references); status whole;
- for an Event: all of it but the metadata that is cut for every kind.

With a salt (the default), every container's `env[].value`, `command` and
`args`, and every annotation's value but the restart stamp
(`kubectl.kubernetes.io/restartedAt`), become `redacted:` and a
12-hex-digit HMAC-SHA256 of the value under the salt: a change shows as a
changed hash, the value does not. The salt is
per file and never written, so the hashes cannot be tried against guesses.
`env[].valueFrom` is kept: it names a Secret or ConfigMap key, not its value.
Without a salt (`--no-redact`) the values are kept as they are; the header says so.
The pruning above applies either way: the last-applied annotation, for one,
repeats the whole spec, env values included, and is often the largest part
of an object.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import secrets
from typing import Any

LAST_APPLIED = "kubectl.kubernetes.io/last-applied-configuration"
PLAIN_ANNOTATIONS = frozenset({"kubectl.kubernetes.io/restartedAt"})  # recorded as they are, salt or not
REDACTED = "redacted:"
SALT_BYTES = 16

_METADATA = (
    "name",
    "namespace",
    "uid",
    "resourceVersion",
    "generation",
    "creationTimestamp",
    "deletionTimestamp",
    "deletionGracePeriodSeconds",
    "labels",
    "ownerReferences",
    "finalizers",
)
_CONTAINER_LISTS = ("initContainers", "containers", "ephemeralContainers")
_SET_SPEC = (
    "replicas",
    "selector",
    "serviceName",
    "updateStrategy",
    "podManagementPolicy",
    "ordinals",
    "minReadySeconds",
    "persistentVolumeClaimRetentionPolicy",
)
_CLAIM_SPEC = ("storageClassName", "accessModes", "volumeName", "volumeMode")


def new_salt() -> bytes:
    """A fresh salt for one recording file; it lives only in the recorder's memory."""
    return secrets.token_bytes(SALT_BYTES)


def redact(kind: str, obj: dict[str, Any], salt: bytes | None) -> dict[str, Any]:
    """`obj` (an API object of `kind`) pruned for a recording; with `salt`, its secrets hashed.

    Unknown shapes are passed over, never raised on: a recorder must not stop
    for an object it does not understand (replay reports it if it matters).
    """
    out: dict[str, Any] = {"kind": kind}
    api_version = obj.get("apiVersion")
    if isinstance(api_version, str):
        out["apiVersion"] = api_version
    out["metadata"] = _metadata(obj.get("metadata"), salt)
    spec = obj.get("spec")
    if kind == "Pod":
        if isinstance(spec, dict):
            out["spec"] = _pod_spec(spec, salt)
    elif kind == "StatefulSet":
        if isinstance(spec, dict):
            out["spec"] = _set_spec(spec, salt)
    elif kind == "PersistentVolumeClaim":
        if isinstance(spec, dict):
            out["spec"] = _claim_spec(spec)
    elif kind == "PersistentVolume":
        if isinstance(spec, dict):
            out["spec"] = _volume_spec(spec)
    elif kind == "ControllerRevision":
        # Its data is the whole pod template, env values included: pruned and hashed like a set's.
        if "revision" in obj:
            out["revision"] = obj["revision"]
        data = obj.get("data")
        data_spec = data.get("spec") if isinstance(data, dict) else None
        template = data_spec.get("template") if isinstance(data_spec, dict) else None
        if isinstance(template, dict):
            out["data"] = {"spec": {"template": _template(template, salt, revision=True)}}
        return out
    else:  # Event, and anything else: small objects, kept but for the metadata cut
        for name, value in obj.items():
            if name not in ("kind", "apiVersion", "metadata"):
                out[name] = value
        return out
    status = obj.get("status")
    if status is not None:
        out["status"] = status
    return out


def _metadata(meta: Any, salt: bytes | None) -> dict[str, Any]:
    if not isinstance(meta, dict):
        return {}
    out = {name: meta[name] for name in _METADATA if name in meta}
    annotations = meta.get("annotations")
    if isinstance(annotations, dict):
        kept = {
            # Injectors and operators keep tokens in annotations too: hashed, but for the restart stamp
            # (`r` and kubectl rollout restart write it; a time, and what a revision diff is about).
            name: _hash(salt, value) if salt is not None and name not in PLAIN_ANNOTATIONS else value
            for name, value in annotations.items()
            if name != LAST_APPLIED
        }
        if kept:
            out["annotations"] = kept
    return out


def _pod_spec(spec: dict[str, Any], salt: bytes | None, *, revision: bool = False) -> dict[str, Any]:
    out: dict[str, Any] = {}
    if revision:  # a revision's diff shows any field: hashed, since a hook's command may hold a secret
        for field, value in spec.items():
            if field not in _POD_SPEC_OWN:
                out[field] = _hashed(salt, value) if salt is not None else value
    if "nodeName" in spec:
        out["nodeName"] = spec["nodeName"]
    volumes = spec.get("volumes")
    if isinstance(volumes, list):
        out["volumes"] = [_volume(volume) for volume in volumes if isinstance(volume, dict)]
    for field in _CONTAINER_LISTS:
        containers = spec.get(field)
        if isinstance(containers, list):
            out[field] = [_container(c, salt, revision=revision) for c in containers if isinstance(c, dict)]
    return out


def _volume(volume: dict[str, Any]) -> dict[str, Any]:
    """A volume's name, and its claim's name if it is a claim (other sources may hold paths or secrets' names)."""
    out: dict[str, Any] = {"name": volume.get("name")}
    claim = volume.get("persistentVolumeClaim")
    if isinstance(claim, dict):
        out["persistentVolumeClaim"] = {"claimName": claim.get("claimName")}
    return out


_POD_SPEC_OWN = ("nodeName", "volumes", *_CONTAINER_LISTS)  # what every pod spec keeps, pruned as above
_CONTAINER_OWN = ("name", "image", "env", "command", "args")
_CONTAINER_PLAIN = ("resources",)  # a revision's container fields kept as they are, salt or not


def _container(container: dict[str, Any], salt: bytes | None, *, revision: bool = False) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for field in ("name", "image"):
        if field in container:
            out[field] = container[field]
    if revision:  # a revision's diff shows any field: an exec probe's command or a header may hold a secret
        for field, value in container.items():
            if field not in _CONTAINER_OWN:
                out[field] = value if salt is None or field in _CONTAINER_PLAIN else _hashed(salt, value)
    env = container.get("env")
    if isinstance(env, list):
        out["env"] = [_env(entry, salt) for entry in env if isinstance(entry, dict)]
    for field in ("command", "args"):
        if field in container:
            value = container[field]
            out[field] = [_hash(salt, value)] if salt is not None else value
    return out


def _env(entry: dict[str, Any], salt: bytes | None) -> dict[str, Any]:
    out: dict[str, Any] = {"name": entry.get("name")}
    if "value" in entry:
        out["value"] = _hash(salt, entry["value"]) if salt is not None else entry["value"]
    if "valueFrom" in entry:
        out["valueFrom"] = entry["valueFrom"]  # names a Secret's key, not its value
    return out


def _hashed(salt: bytes, value: Any) -> dict[str, str]:
    """A JSON value as `{"redacted": hash}`: a changed value shows as a changed hash, in a diff too."""
    return {"redacted": _hash(salt, json.dumps(value, sort_keys=True, default=str))}


def _hash(salt: bytes, value: Any) -> str:
    """`redacted:` and a short keyed hash: equal values hash alike within one file, and nothing else is told."""
    data = value.encode("utf-8", "surrogatepass") if isinstance(value, str) else repr(value).encode()
    if isinstance(value, list):
        data = "\0".join(str(part) for part in value).encode("utf-8", "surrogatepass")
    return REDACTED + hmac.new(salt, data, hashlib.sha256).hexdigest()[:12]


def _set_spec(spec: dict[str, Any], salt: bytes | None) -> dict[str, Any]:
    out = {name: spec[name] for name in _SET_SPEC if name in spec}
    templates = spec.get("volumeClaimTemplates")
    if isinstance(templates, list):
        out["volumeClaimTemplates"] = [
            {"metadata": {"name": (t.get("metadata") or {}).get("name")}, "spec": _claim_spec(t.get("spec") or {})}
            for t in templates
            if isinstance(t, dict) and isinstance(t.get("metadata") or {}, dict)
        ]
    template = spec.get("template")
    if isinstance(template, dict):
        out["template"] = _template(template, salt)
    return out


def _template(template: dict[str, Any], salt: bytes | None, *, revision: bool = False) -> dict[str, Any]:
    """A pod template pruned as a Pod; a revision's keeps every field (its diff shows any), hashed if salted."""
    pod: dict[str, Any] = {"metadata": _metadata(template.get("metadata"), salt)}
    pod_spec = template.get("spec")
    if isinstance(pod_spec, dict):
        pod["spec"] = _pod_spec(pod_spec, salt, revision=revision)
    return pod


_VOLUME_SPEC = ("capacity", "accessModes", "storageClassName", "persistentVolumeReclaimPolicy", "volumeMode")


def _volume_spec(spec: dict[str, Any]) -> dict[str, Any]:
    out = {name: spec[name] for name in _VOLUME_SPEC if name in spec}
    claim = spec.get("claimRef")
    if isinstance(claim, dict):
        out["claimRef"] = {name: claim[name] for name in ("namespace", "name", "uid") if name in claim}
    return out


def _claim_spec(spec: Any) -> dict[str, Any]:
    if not isinstance(spec, dict):
        return {}
    out = {name: spec[name] for name in _CLAIM_SPEC if name in spec}
    resources = spec.get("resources")
    if isinstance(resources, dict) and isinstance(resources.get("requests"), dict):
        storage = resources["requests"].get("storage")
        if storage is not None:
            out["resources"] = {"requests": {"storage": storage}}
    return out
