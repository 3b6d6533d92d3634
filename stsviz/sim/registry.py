"""API semantics on top of the store: what a 1.20 API server does per verb.

Create (names, generateName, defaults, validation, namespace must exist),
update (optimistic concurrency on resourceVersion, status kept apart from the
main resource, generation bumped on spec change, no-op writes skipped), patch,
delete (graceful for scheduled pods, finalizers, propagation policy,
preconditions), paginated and selected lists, and the Scale subresource.
HTTP handlers and in-process controllers both write through here, so a
controller's pod deletion is as graceful as kubectl's.
"""

from __future__ import annotations

import base64
import builtins
import json
import random
import uuid
from collections.abc import Callable
from datetime import timedelta
from typing import Any

import orjson

from . import admission, errors
from .clock import SimClock
from .defaults import admit, apply_defaults
from .patch import PATCH_TYPES
from .resources import NAMESPACES, PODS, PVCS, SERVICES, Resource
from .selection import (
    FieldSelector,
    LabelSelector,
    fields_match,
    format_label_selector,
    from_label_selector_object,
    labels_match,
)
from .store import Expired, Store, deep_copy
from .validation import require_name, validate_create, validate_scale_replicas, validate_update
from .validation_immutable import normalize_cluster_ips

_SUFFIX_ALPHABET = "bcdfghjklmnpqrstvwxz2456789"
# Resources whose metadata.generation tracks spec changes.
_GENERATION_KINDS = {"StatefulSet", "PodDisruptionBudget"}
_SERVER_META = (
    "uid",
    "creationTimestamp",
    "deletionTimestamp",
    "deletionGracePeriodSeconds",
    "generation",
    "resourceVersion",
    "selfLink",
)
# ObjectMeta's lists that Go serialises with omitempty: written empty (a pod released by its set, an object
# whose last finalizer went), they are stored absent, and `-o yaml` shows no `ownerReferences: []`.
_OMITTED_WHEN_EMPTY = ("ownerReferences", "finalizers")
CONTINUE_EXPIRED = (
    "The provided continue parameter is too old to display a consistent list result. You can "
    "start a new list without the continue parameter, or use the continue token in this response "
    "to retrieve the remainder of the results. Continuing with the provided token results in an "
    "inconsistent list - objects that were created, modified, or deleted between the time the first "
    "chunk was returned and now may show up in the list."
)


def _omit_empty(meta: dict) -> None:
    for key in _OMITTED_WHEN_EMPTY:
        if key in meta and not meta[key]:
            del meta[key]


class Registry:
    def __init__(self, store: Store, clock: SimClock, seed: int | None = None) -> None:
        self.store = store
        self.clock = clock
        self._random = random.Random(seed)

    # helpers -----------------------------------------------------------------------

    def new_uid(self) -> str:
        return str(uuid.UUID(int=self._random.getrandbits(128), version=4))

    def _namespace_of(self, res: Resource, namespace: str | None) -> str:
        return (namespace or "") if res.namespaced else ""

    def _require(self, res: Resource, namespace: str | None, name: str) -> dict:
        obj = self.store.view(res, self._namespace_of(res, namespace), name)
        if obj is None:
            raise errors.not_found(res, name)
        return obj

    def _check_namespace(self, namespace: str, creating: bool) -> None:
        ns = self.store.view(NAMESPACES, "", namespace)
        if ns is None:
            raise errors.namespace_not_found(namespace)
        if creating and ns["metadata"].get("deletionTimestamp"):
            raise errors.StatusError(
                403,
                "Forbidden",
                f"unable to create new content in namespace {namespace} because it is being terminated",
                {
                    "name": namespace,
                    "kind": "namespaces",
                    "causes": [
                        {
                            "reason": "NamespaceTerminating",
                            "message": f"namespace {namespace} is being terminated",
                            "field": "metadata.namespace",
                        }
                    ],
                },
            )

    # create / read -----------------------------------------------------------------------

    def create(self, res: Resource, body: dict, namespace: str | None = None) -> dict:
        if not isinstance(body, dict):
            raise errors.bad_request(f"the object provided is unrecognized (must be of type {res.kind})")
        obj = deep_copy(body)
        meta = obj.setdefault("metadata", {})
        if res.namespaced:
            if namespace and meta.get("namespace") and meta["namespace"] != namespace:
                raise errors.bad_request(
                    "the namespace of the provided object does not match the namespace sent on the request"
                )
            meta["namespace"] = namespace or meta.get("namespace") or "default"
            self._check_namespace(meta["namespace"], creating=True)
        else:
            meta.pop("namespace", None)
        if not meta.get("name") and meta.get("generateName"):
            meta["name"] = meta["generateName"] + "".join(self._random.choice(_SUFFIX_ALPHABET) for _ in range(5))
        require_name(res, obj)
        for key in _SERVER_META:
            meta.pop(key, None)
        meta["uid"] = self.new_uid()
        meta["creationTimestamp"] = self.clock.timestamp()
        if res.kind in _GENERATION_KINDS:
            meta["generation"] = 1
        obj["kind"], obj["apiVersion"] = res.kind, res.api_version
        _omit_empty(meta)
        apply_defaults(res.kind, obj)
        admit(res.kind, obj)
        validate_create(res, obj)
        if res is SERVICES:
            admission.allocate_cluster_ip(self.store, obj, self._random)
        elif res is PVCS:
            admission.default_storage_class(self.store, obj)
        return self.store.create(res, obj)

    def get(self, res: Resource, namespace: str | None, name: str) -> dict:
        return deep_copy(self._require(res, namespace, name))

    # update / patch -------------------------------------------------------------------------

    def update(
        self, res: Resource, body: dict, namespace: str | None, name: str, subresource: str | None = None
    ) -> dict:
        current = self._require(res, namespace, name)
        if not isinstance(body, dict) or not isinstance(body.get("metadata"), dict):
            raise errors.bad_request(f"the object provided is unrecognized (must be of type {res.kind})")
        if body["metadata"].get("name", name) != name:
            raise errors.bad_request(
                f"the name of the object ({body['metadata']['name']}) does not match the name on the URL ({name})"
            )
        expected_rv = body["metadata"].get("resourceVersion")
        if expected_rv and expected_rv != current["metadata"]["resourceVersion"]:
            raise errors.conflict_modified(res, name)
        if subresource == "status":
            new = deep_copy(current)
            if "status" in body:
                new["status"] = deep_copy(body["status"])
        else:
            new = deep_copy(body)
            meta = new["metadata"]
            for key in _SERVER_META + ("name", "namespace"):
                if key in current["metadata"]:
                    meta[key] = current["metadata"][key]
                else:
                    meta.pop(key, None)
            new["kind"], new["apiVersion"] = res.kind, res.api_version
            if res.status_subresource:
                new["status"] = deep_copy(current.get("status", {}))
            _omit_empty(meta)
            apply_defaults(res.kind, new)
            if res is SERVICES:
                normalize_cluster_ips(current, new)
            if res.kind in _GENERATION_KINDS and new.get("spec") != current.get("spec"):
                meta["generation"] = current["metadata"].get("generation", 1) + 1
            validate_update(res, current, new)
            if res is PVCS:
                admission.check_claim_resize(self.store, current, new)
        return self._write(res, current, new)

    def update_status(self, res: Resource, obj: dict) -> dict:
        """A controller's status write (no precondition, as a controller's own informer copy)."""
        meta = obj["metadata"]
        return self.update(
            res,
            {"metadata": {"name": meta["name"]}, "status": obj.get("status", {})},
            meta.get("namespace"),
            meta["name"],
            subresource="status",
        )

    def _write(self, res: Resource, current: dict, new: dict) -> dict:
        new["metadata"]["resourceVersion"] = current["metadata"]["resourceVersion"]
        if new == current:
            # The real server skips no-op writes: no new resourceVersion, no watch event.
            return deep_copy(current)
        meta = new["metadata"]
        if (
            meta.get("deletionTimestamp")
            and not meta.get("finalizers")
            and current["metadata"].get("finalizers")
            and not meta.get("deletionGracePeriodSeconds")
        ):
            # The last finalizer is gone from an object being deleted: it goes now.
            meta.pop("finalizers", None)
            return self.store.remove(res, meta.get("namespace", ""), meta["name"], final=new)
        return self.store.replace(res, new)

    def patch(
        self,
        res: Resource,
        namespace: str | None,
        name: str,
        content_type: str,
        body: Any,
        subresource: str | None = None,
        validate: Callable[[dict], None] | None = None,
    ) -> dict:
        """`validate` sees the patched object before it is written (the fieldValidation check)."""
        apply = PATCH_TYPES.get(content_type.split(";")[0].strip())
        if apply is None:
            raise errors.unsupported_media_type()
        if subresource == "scale":
            scale = self.get_scale(res, namespace, name)
            return self.update_scale(res, namespace, name, apply(scale, body))
        current = deep_copy(self._require(res, namespace, name))
        patched = apply(current, body)
        if not isinstance(patched, dict):
            raise errors.patch_rejected()
        patched.setdefault("metadata", {})
        if validate is not None:
            validate(patched)
        return self.update(res, patched, namespace, name, subresource)

    # delete ------------------------------------------------------------------------------

    def delete(self, res: Resource, namespace: str | None, name: str, options: dict | None = None) -> tuple[int, dict]:
        """Returns (HTTP code, body): the object while it lingers, else a Status (or the Pod)."""
        options = options or {}
        current = self._require(res, namespace, name)
        meta = current["metadata"]
        preconditions = options.get("preconditions") or {}
        if preconditions.get("uid") and preconditions["uid"] != meta["uid"]:
            raise errors.conflict_uid(res, name, preconditions["uid"], meta["uid"])
        if preconditions.get("resourceVersion") and preconditions["resourceVersion"] != meta["resourceVersion"]:
            raise errors.conflict_resource_version(res, name, preconditions["resourceVersion"], meta["resourceVersion"])
        if options.get("dryRun"):
            # `kubectl delete --dry-run=server` (dryRun in the body): checked as a delete, nothing deleted.
            return 200, deep_copy(current)
        grace = self._grace_period(res, current, options.get("gracePeriodSeconds"))
        policy = options.get("propagationPolicy")
        if policy is None and options.get("orphanDependents") is not None:
            policy = "Orphan" if options["orphanDependents"] else "Background"
        new = deep_copy(current)
        new_meta = new["metadata"]
        finalizers = list(new_meta.get("finalizers") or [])
        extra = {"Orphan": "orphan", "Foreground": "foregroundDeletion"}.get(policy or "")
        if extra and extra not in finalizers:
            finalizers.append(extra)
        if res is NAMESPACES and (current.get("spec") or {}).get("finalizers"):
            # The namespace controller empties it, then removes it.
            if meta.get("deletionTimestamp"):
                return 200, deep_copy(current)
            new_meta["deletionTimestamp"] = self.clock.timestamp()
            new.setdefault("status", {})["phase"] = "Terminating"
            return 200, self._write(res, current, new)
        if grace > 0:
            return 200, self._delete_gracefully(res, current, new, grace)
        if finalizers:
            new_meta["finalizers"] = finalizers
            new_meta.setdefault("deletionTimestamp", self.clock.timestamp())
            new_meta["deletionGracePeriodSeconds"] = 0
            return 200, self._write(res, current, new)
        if meta.get("deletionTimestamp") and meta.get("deletionGracePeriodSeconds", 0) != 0:
            # Confirming a graceful deletion: the server records grace 0, then removes.
            new_meta["deletionTimestamp"] = self.clock.timestamp()
            new_meta["deletionGracePeriodSeconds"] = 0
            self.store.replace(res, new)
        removed = self.store.remove(res, meta.get("namespace", ""), name)
        if res is PODS:
            return 200, deep_copy(removed)
        details = res.details(name)
        details["uid"] = meta["uid"]
        return 200, errors.success_status(details)

    def _grace_period(self, res: Resource, obj: dict, requested: Any) -> int:
        if res is not PODS:
            return 0
        spec, status = obj.get("spec") or {}, obj.get("status") or {}
        # Unscheduled or finished pods have no kubelet to confirm: they go at once.
        if not spec.get("nodeName") or status.get("phase") in ("Succeeded", "Failed"):
            return 0
        grace = spec.get("terminationGracePeriodSeconds", 30) if requested is None else int(requested)
        return max(0, grace)

    def _delete_gracefully(self, res: Resource, current: dict, new: dict, grace: int) -> dict:
        meta = new["metadata"]
        remaining = meta.get("deletionGracePeriodSeconds")
        if remaining is not None and remaining <= grace:
            return deep_copy(current)  # already terminating at least as fast
        meta["deletionGracePeriodSeconds"] = grace
        meta["deletionTimestamp"] = (self.clock.now() + timedelta(seconds=grace)).strftime("%Y-%m-%dT%H:%M:%SZ")
        return self._write(res, current, new)

    def delete_collection(
        self,
        res: Resource,
        namespace: str | None,
        label_selector: LabelSelector,
        field_selector: FieldSelector,
        options: dict | None,
    ) -> dict:
        for obj in list(self.store.items(res, self._namespace_of(res, namespace) if res.namespaced else None)):
            if (
                labels_match(label_selector, obj["metadata"].get("labels"))
                and fields_match(field_selector, obj)
                and self.store.view(res, obj["metadata"].get("namespace", ""), obj["metadata"]["name"]) is not None
            ):
                self.delete(res, obj["metadata"].get("namespace"), obj["metadata"]["name"], options)
        return self.list(res, namespace, label_selector, field_selector)

    # list ----------------------------------------------------------------------------------

    def list(
        self,
        res: Resource,
        namespace: str | None,
        label_selector: LabelSelector = (),
        field_selector: FieldSelector = (),
        limit: int = 0,
        continue_token: str | None = None,
        resource_version: str | None = None,
        resource_version_match: str | None = None,
    ) -> dict:
        scope = namespace if res.namespaced and namespace else None
        start = ""
        if continue_token:
            list_rv, start = self._decode_continue(continue_token)
            items = self._snapshot(res, list_rv, scope, CONTINUE_EXPIRED)
        elif resource_version_match == "Exact" and resource_version not in (None, "", "0"):
            list_rv = self.parse_resource_version(resource_version)
            items = self._snapshot(res, list_rv, scope, "The resourceVersion for the provided list is too old.")
        else:
            list_rv = self.store.resource_version
            items = self.store.items(res, scope)
        selected = [
            o
            for o in items
            if (not start or self._list_key(o, scope) > start)
            and labels_match(label_selector, o["metadata"].get("labels"))
            and fields_match(field_selector, o)
        ]
        metadata: dict[str, Any] = {"resourceVersion": str(list_rv)}
        if limit and len(selected) > limit:
            page = selected[:limit]
            metadata["continue"] = self._encode_continue(list_rv, self._list_key(page[-1], scope) + "\x00")
            if not label_selector and not field_selector:
                metadata["remainingItemCount"] = len(selected) - limit
            selected = page
        return {
            "kind": res.list_kind,
            "apiVersion": res.api_version,
            "metadata": metadata,
            "items": [self._as_item(o) for o in selected],
        }

    @staticmethod
    def _as_item(obj: dict) -> dict:
        # List items carry no kind/apiVersion, as the real server's lists.
        return {k: v for k, v in obj.items() if k not in ("kind", "apiVersion")}

    @staticmethod
    def _list_key(obj: dict, scope: str | None) -> str:
        meta = obj["metadata"]
        return meta["name"] if scope is not None or not meta.get("namespace") else f"{meta['namespace']}/{meta['name']}"

    # builtins.list: inside the class, `list` is the list verb above.
    def _snapshot(self, res: Resource, rv: int, scope: str | None, message: str) -> builtins.list[dict]:
        try:
            return self.store.snapshot_at(res, rv, scope)
        except Expired:
            raise errors.expired(message) from None

    @staticmethod
    def parse_resource_version(value: str) -> int:
        try:
            rv = int(value)
            if rv < 0:
                raise ValueError
            return rv
        except ValueError:
            raise errors.StatusError(
                500,
                None,
                f'resourceVersion: Invalid value: "{value}": strconv.ParseUint: parsing "{value}": invalid syntax',
            ) from None

    @staticmethod
    def _encode_continue(rv: int, start: str) -> str:
        raw = json.dumps({"v": "meta.k8s.io/v1", "rv": rv, "start": start}, separators=(",", ":"))
        return base64.urlsafe_b64encode(raw.encode()).decode()

    @staticmethod
    def _decode_continue(token: str) -> tuple[int, str]:
        try:
            data = orjson.loads(base64.urlsafe_b64decode(token + "=" * (-len(token) % 4)))
            if data.get("v") != "meta.k8s.io/v1":
                raise errors.bad_request(
                    "invalid continue token: continue key is not valid: incorrect encoded "
                    "start resourceVersion (version meta.k8s.io/v1)"
                )
            return int(data["rv"]), str(data["start"])
        except errors.StatusError:
            raise
        except Exception as exc:
            raise errors.bad_request(f"invalid continue token: continue key is not valid: {exc}") from None

    # pods/binding subresource ------------------------------------------------------------------

    def bind_pod(self, namespace: str, name: str, node: str) -> dict:
        """What POST pods/<name>/binding does: nodeName and PodScheduled=True in one write."""
        current = self._require(PODS, namespace, name)
        if current["spec"].get("nodeName"):
            raise errors.StatusError(
                409,
                "Conflict",
                f'Operation cannot be fulfilled on pods/binding "{name}": pod '
                f'{name} is already assigned to node "{current["spec"]["nodeName"]}"',
                {"name": name, "kind": "pods/binding"},
            )
        new = deep_copy(current)
        new["spec"]["nodeName"] = node
        conditions = [c for c in new["status"].get("conditions") or [] if c.get("type") != "PodScheduled"]
        conditions.append(
            {
                "type": "PodScheduled",
                "status": "True",
                "lastProbeTime": None,
                "lastTransitionTime": self.clock.timestamp(),
            }
        )
        new["status"]["conditions"] = conditions
        return self._write(PODS, current, new)

    # scale subresource ------------------------------------------------------------------------

    def get_scale(self, res: Resource, namespace: str | None, name: str) -> dict:
        sts = self._require(res, namespace, name)
        meta = sts["metadata"]
        selector = format_label_selector(from_label_selector_object(sts["spec"].get("selector")))
        return {
            "kind": "Scale",
            "apiVersion": "autoscaling/v1",
            "metadata": {
                "name": meta["name"],
                "namespace": meta["namespace"],
                "uid": meta["uid"],
                "resourceVersion": meta["resourceVersion"],
                "creationTimestamp": meta["creationTimestamp"],
            },
            "spec": {"replicas": sts["spec"].get("replicas", 0)},
            "status": {"replicas": sts.get("status", {}).get("replicas", 0), "selector": selector},
        }

    def update_scale(self, res: Resource, namespace: str | None, name: str, scale: Any) -> dict:
        current = self._require(res, namespace, name)
        if not isinstance(scale, dict):
            raise errors.bad_request("the object provided is unrecognized (must be of type Scale)")
        replicas = (scale.get("spec") or {}).get("replicas", 0)
        validate_scale_replicas(name, replicas)
        expected_rv = (scale.get("metadata") or {}).get("resourceVersion")
        if expected_rv and expected_rv != current["metadata"]["resourceVersion"]:
            raise errors.conflict_modified(res, name)
        new = deep_copy(current)
        new["spec"]["replicas"] = replicas
        self.update(res, new, namespace, name)
        return self.get_scale(res, namespace, name)
