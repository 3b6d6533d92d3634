"""The validation rules of a 1.20 API server that a demo user can trip over.

Not the whole of upstream validation: names, the StatefulSet rules (replicas,
selector vs template labels, which spec fields may change), what may change
in an update, and Scale replicas, with upstream's exact wording, so a mistaken
`kubectl scale --replicas=-1` reads as it would on a real cluster. Labels and
annotations are in validation_meta, a Pod's spec in validation_pod.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable

from . import quantities
from .errors import bad_request, invalid
from .resources import Resource
from .selection import from_label_selector_object, labels_match
from .validation_immutable import (
    claim_update_causes,
    frozen_update_causes,
    secret_update_causes,
    service_update_causes,
)
from .validation_meta import (
    Cause,
    annotations_causes,
    go_label_selector,
    go_strings,
    label_selector_causes,
    labels_causes,
    object_meta_causes,
    unsupported,
)
from .validation_pod import LABEL_HELP, pod_spec_causes, pod_update_causes
from .validation_service import service_causes

_SUBDOMAIN = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$")
_LABEL = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?$")
_PERCENT = re.compile(r"[0-9]+%")  # whole: fullmatch, as Go's ^...$ (Python's $ takes a final newline)
_INT_OR_PERCENT_HELP = "must be an integer or percentage (e.g '5%')"
SUBDOMAIN_HELP = (
    "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', "
    "and must start and end with an alphanumeric character (e.g. 'example.com', regex used for "
    "validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')"
)


def _go_string_map(labels: dict) -> str:
    inner = ", ".join(f'"{k}":"{v}"' for k, v in sorted(labels.items()))
    return f"map[string]string{{{inner}}}"


def _name_causes(res: Resource, name: str) -> list[Cause]:
    if res.kind == "Namespace":
        if not _LABEL.match(name) or len(name) > 63:
            return [("metadata.name", "FieldValueInvalid", f'Invalid value: "{name}": {LABEL_HELP}')]
        return []
    if not _SUBDOMAIN.match(name) or len(name) > 253:
        return [("metadata.name", "FieldValueInvalid", f'Invalid value: "{name}": {SUBDOMAIN_HELP}')]
    return []


def _claim_causes(claim: dict) -> list[Cause]:
    storage = (((claim.get("spec") or {}).get("resources") or {}).get("requests") or {}).get("storage")
    if not storage:
        return [("spec.resources[storage]", "FieldValueRequired", "Required value")]
    if not quantities.valid(storage):
        where = "spec.resources.requests[storage]"
        return [(where, "FieldValueInvalid", f'Invalid value: "{storage}": {quantities.INVALID}')]
    return []


def _max_unavailable_causes(rolling: dict) -> list[Cause]:
    """rollingUpdate.maxUnavailable: a positive integer or a percentage in 1%..100%."""
    return _int_or_percent_causes("spec.updateStrategy.rollingUpdate.maxUnavailable", rolling.get("maxUnavailable"), 1)


def _int_or_percent_causes(field: str, value: object, least: int) -> list[Cause]:
    """ValidatePositiveIntOrPercent, then (least 1) "must be greater than 0", then IsNotMoreThan100Percent."""
    if value is None:
        return []
    if isinstance(value, str):
        if not _PERCENT.fullmatch(value):
            return [(field, "FieldValueInvalid", f'Invalid value: "{value}": {_INT_OR_PERCENT_HELP}')]
        number, shown = int(value[:-1]), f'"{value}"'
        if number > 100:
            return [(field, "FieldValueInvalid", f"Invalid value: {shown}: must not be greater than 100%")]
    elif isinstance(value, int) and not isinstance(value, bool):
        number, shown = value, str(value)
        if number < 0:
            return [(field, "FieldValueInvalid", f"Invalid value: {shown}: must be greater than or equal to 0")]
    else:
        return [(field, "FieldValueInvalid", f"Invalid value: {value!r}: {_INT_OR_PERCENT_HELP}")]
    if number < least:
        return [(field, "FieldValueInvalid", f"Invalid value: {shown}: must be greater than 0")]
    return []


_RBAC_GROUP = "rbac.authorization.k8s.io"


def _mapping(value: object) -> dict:
    return value if isinstance(value, dict) else {}


def _rules_causes(role: dict, namespaced: bool) -> list[Cause]:
    """ValidatePolicyRule for each of a Role's or ClusterRole's rules."""
    causes: list[Cause] = []
    for i, rule in enumerate(role.get("rules") or []):
        rule, where = rule if isinstance(rule, dict) else {}, f"rules[{i}]"
        if not rule.get("verbs"):
            causes.append(
                (f"{where}.verbs", "FieldValueRequired", "Required value: verbs must contain at least one value")
            )
        urls = rule.get("nonResourceURLs") or []
        if urls:
            if namespaced:
                message = f"Invalid value: {go_strings(urls)}: namespaced rules cannot apply to non-resource URLs"
                causes.append((f"{where}.nonResourceURLs", "FieldValueInvalid", message))
            if rule.get("apiGroups") or rule.get("resources") or rule.get("resourceNames"):
                both = "rules cannot apply to both regular resources and non-resource URLs"
                message = f"Invalid value: {go_strings(urls)}: {both}"
                causes.append((f"{where}.nonResourceURLs", "FieldValueInvalid", message))
            continue
        if not rule.get("apiGroups"):
            message = "Required value: resource rules must supply at least one api group"
            causes.append((f"{where}.apiGroups", "FieldValueRequired", message))
        if not rule.get("resources"):
            message = "Required value: resource rules must supply at least one resource"
            causes.append((f"{where}.resources", "FieldValueRequired", message))
    return causes


def _binding_causes(binding: dict, namespaced: bool) -> list[Cause]:
    """ValidateRoleBinding / ValidateClusterRoleBinding: what roleRef names, and each subject."""
    causes: list[Cause] = []
    ref = _mapping(binding.get("roleRef"))
    if ref.get("apiGroup") != _RBAC_GROUP:
        causes.append(unsupported("roleRef.apiGroup", ref.get("apiGroup", ""), (_RBAC_GROUP,)))
    kinds = ("Role", "ClusterRole") if namespaced else ("ClusterRole",)
    if ref.get("kind") not in kinds:
        causes.append(unsupported("roleRef.kind", ref.get("kind", ""), kinds))
    if not ref.get("name"):
        causes.append(("roleRef.name", "FieldValueRequired", "Required value"))
    for i, subject in enumerate(binding.get("subjects") or []):
        subject, where = subject if isinstance(subject, dict) else {}, f"subjects[{i}]"
        if not subject.get("name"):
            causes.append((f"{where}.name", "FieldValueRequired", "Required value"))
        kind, group = subject.get("kind"), subject.get("apiGroup", "")
        if kind == "ServiceAccount":
            if group:
                causes.append(unsupported(f"{where}.apiGroup", group, ("",)))
            if not namespaced and not subject.get("namespace"):
                causes.append((f"{where}.namespace", "FieldValueRequired", "Required value"))
        elif kind in ("User", "Group"):
            if group != _RBAC_GROUP:
                causes.append(unsupported(f"{where}.apiGroup", group, (_RBAC_GROUP,)))
        else:
            supported = ("ServiceAccount", "User", "Group")
            causes.append(unsupported(f"{where}.kind", kind or "", supported))
    return causes


def _role_ref_change_causes(old: dict, new: dict) -> list[Cause]:
    """ValidateRoleBindingUpdate: roleRef is fixed once made (another role is another binding)."""
    ref = _mapping(new.get("roleRef"))
    if ref == old.get("roleRef"):
        return []
    group, kind, name = (ref.get(key, "") for key in ("apiGroup", "kind", "name"))
    shown = f'rbac.RoleRef{{APIGroup:"{group}", Kind:"{kind}", Name:"{name}"}}'  # Go's %#v of the struct
    return [("roleRef", "FieldValueInvalid", f"Invalid value: {shown}: cannot change roleRef")]


def _network_policy_causes(policy: dict) -> list[Cause]:
    return label_selector_causes((policy.get("spec") or {}).get("podSelector"), "spec.podSelector")


def _pod_disruption_budget_causes(pdb: dict) -> list[Cause]:
    """ValidatePodDisruptionBudgetSpec (1.20): one bound at most, each a count or a percentage; a valid selector."""
    spec = pdb.get("spec") or {}
    least, most = spec.get("minAvailable"), spec.get("maxUnavailable")
    causes = label_selector_causes(spec.get("selector"), "spec.selector")
    if least is not None and most is not None:
        # 1.20 shows the Go struct as the value (with pointers): the message is what a user acts on.
        causes.append(
            ("spec", "FieldValueInvalid", "Invalid value: ...: minAvailable and maxUnavailable cannot be both set")
        )
    causes += _int_or_percent_causes("spec.minAvailable", least, 0)
    return causes + _int_or_percent_causes("spec.maxUnavailable", most, 0)


INT32_MAX = 2**31 - 1


def _fits_int32(kind: str, spec_type: str, replicas: object) -> None:
    """replicas is an int32: a larger number cannot even be decoded (400 BadRequest, before validation)."""
    if isinstance(replicas, int) and not isinstance(replicas, bool) and replicas > INT32_MAX:
        raise bad_request(
            f'{kind} in version "v1" cannot be handled as a {kind}: json: cannot unmarshal number {replicas} '
            f"into Go struct field {spec_type}.spec.replicas of type int32"
        )


def _statefulset_causes(sts: dict) -> list[Cause]:
    spec = sts.get("spec") or {}
    causes: list[Cause] = []
    replicas = spec.get("replicas")
    _fits_int32("StatefulSet", "StatefulSetSpec", replicas)
    if not isinstance(replicas, int) or replicas < 0:
        causes.append(
            ("spec.replicas", "FieldValueInvalid", f"Invalid value: {replicas}: must be greater than or equal to 0")
        )
    partition = ((spec.get("updateStrategy") or {}).get("rollingUpdate") or {}).get("partition")
    if partition is not None and (not isinstance(partition, int) or partition < 0):
        causes.append(
            (
                "spec.updateStrategy.rollingUpdate.partition",
                "FieldValueInvalid",
                f"Invalid value: {partition}: must be greater than or equal to 0",
            )
        )
    causes += _max_unavailable_causes((spec.get("updateStrategy") or {}).get("rollingUpdate") or {})
    min_ready = spec.get("minReadySeconds") or 0  # absent or null: 0
    if not isinstance(min_ready, int) or isinstance(min_ready, bool) or min_ready < 0:
        causes.append(
            (
                "spec.minReadySeconds",
                "FieldValueInvalid",
                f"Invalid value: {min_ready}: must be greater than or equal to 0",
            )
        )
    start = (spec.get("ordinals") or {}).get("start", 0)
    if not isinstance(start, int) or start < 0:
        causes.append(
            ("spec.ordinals.start", "FieldValueInvalid", f"Invalid value: {start}: must be greater than or equal to 0")
        )
    retention = spec.get("persistentVolumeClaimRetentionPolicy") or {}
    for when in ("whenDeleted", "whenScaled"):
        value = retention.get(when, "Retain")
        if value not in ("Retain", "Delete"):
            causes.append(
                (
                    f"spec.persistentVolumeClaimRetentionPolicy.{when}",
                    "FieldValueNotSupported",
                    f'Unsupported value: "{value}": supported values: "Retain", "Delete"',
                )
            )
    policy = spec.get("podManagementPolicy")
    if policy not in ("OrderedReady", "Parallel"):
        causes.append(
            (
                "spec.podManagementPolicy",
                "FieldValueInvalid",
                f"Invalid value: \"{policy}\": must be 'OrderedReady' or 'Parallel'",
            )
        )
    strategy = (spec.get("updateStrategy") or {}).get("type")
    if strategy not in ("RollingUpdate", "OnDelete"):
        causes.append(
            (
                "spec.updateStrategy",
                "FieldValueInvalid",
                f"Invalid value: \"{strategy}\": must be 'RollingUpdate' or 'OnDelete'",
            )
        )
    causes += _selector_and_template_causes(spec.get("selector"), spec.get("template") or {})
    causes += _statefulset_template_causes(spec)
    return causes


def _selector_and_template_causes(selector: object, template: dict) -> list[Cause]:
    """The selector, then ValidatePodTemplateSpecForStatefulSet: the selector matches the template's labels,
    which are valid labels, and its annotations; not its pod spec (1.20 left that to each Pod's create, which
    then fails as FailedCreate). A selector that is no selector (LabelSelectorAsSelector fails) is shown
    whole, and the template is then not looked at."""
    causes = label_selector_causes(selector, "spec.selector")
    if not isinstance(selector, dict) or not (selector.get("matchLabels") or selector.get("matchExpressions")):
        return causes + [("spec.selector", "FieldValueRequired", "Required value")]
    if causes:
        return causes + [("spec.selector", "FieldValueInvalid", f"Invalid value: {go_label_selector(selector)}")]
    template_meta = template.get("metadata") or {}
    labels = template_meta.get("labels") or {}
    if not labels_match(from_label_selector_object(selector), labels):
        message = f"Invalid value: {_go_string_map(labels)}: `selector` does not match template `labels`"
        causes.append(("spec.template.metadata.labels", "FieldValueInvalid", message))
    causes += labels_causes(template_meta.get("labels"), "spec.template.labels")
    return causes + annotations_causes(template_meta.get("annotations"), "spec.template.annotations")


def _statefulset_template_causes(spec: dict) -> list[Cause]:
    """What ValidateStatefulSetSpec refuses in a template a Pod would take, and a strategy's stray partition."""
    causes: list[Cause] = []
    strategy = spec.get("updateStrategy") or {}
    if strategy.get("type") == "OnDelete" and strategy.get("rollingUpdate") is not None:
        rolling = json.dumps(strategy["rollingUpdate"], separators=(",", ":"))
        causes.append(
            (
                "spec.updateStrategy.rollingUpdate",
                "FieldValueInvalid",
                f"Invalid value: {rolling}: only allowed for updateStrategy 'RollingUpdate'",
            )
        )
    pod_spec = (spec.get("template") or {}).get("spec") or {}
    restart = pod_spec.get("restartPolicy", "Always")
    if restart != "Always":
        causes.append(
            (
                "spec.template.spec.restartPolicy",
                "FieldValueNotSupported",
                f'Unsupported value: "{restart}": supported values: "Always"',
            )
        )
    if pod_spec.get("activeDeadlineSeconds") is not None:
        causes.append(
            (
                "spec.template.spec.activeDeadlineSeconds",
                "FieldValueForbidden",
                "Forbidden: activeDeadlineSeconds in StatefulSet is not Supported",
            )
        )
    return causes


def _statefulset_update_causes(old: dict, new: dict) -> list[Cause]:
    mutable = (
        "replicas",
        "template",
        "updateStrategy",
        "ordinals",
        "persistentVolumeClaimRetentionPolicy",
        "minReadySeconds",
    )
    strip = lambda spec: {k: v for k, v in (spec or {}).items() if k not in mutable}  # noqa: E731
    if strip(old.get("spec")) != strip(new.get("spec")):
        return [
            (
                "spec",
                "FieldValueForbidden",
                "Forbidden: updates to statefulset spec for fields other than "
                "'replicas', 'template', and 'updateStrategy' are forbidden",
            )
        ]
    return []


def _raise(res: Resource, obj: dict, causes: list[Cause]) -> None:
    if causes:
        raise invalid(res.kind, res.group, obj["metadata"].get("name", ""), causes)


# What a kind's own validation refuses, the same on create and update (the update adds what may not change).
_OBJECT_CAUSES: dict[str, Callable[[dict], list[Cause]]] = {
    "StatefulSet": _statefulset_causes,
    "Pod": lambda pod: pod_spec_causes(pod.get("spec") or {}),
    "PersistentVolumeClaim": _claim_causes,
    "Service": service_causes,
    "PodDisruptionBudget": _pod_disruption_budget_causes,
    "NetworkPolicy": _network_policy_causes,
    "Role": lambda obj: _rules_causes(obj, True),
    "ClusterRole": lambda obj: _rules_causes(obj, False),
    "RoleBinding": lambda obj: _binding_causes(obj, True),
    "ClusterRoleBinding": lambda obj: _binding_causes(obj, False),
}


def validate_create(res: Resource, obj: dict) -> None:
    causes = _name_causes(res, obj["metadata"]["name"]) + object_meta_causes(obj["metadata"])
    if res.kind in _OBJECT_CAUSES:
        causes += _OBJECT_CAUSES[res.kind](obj)
    _raise(res, obj, causes)


# What may not change in an update, beyond what a kind's own validation refuses.
_UPDATE_CAUSES: dict[str, Callable[[dict, dict], list[Cause]]] = {
    "StatefulSet": _statefulset_update_causes,
    "Pod": pod_update_causes,
    "PersistentVolumeClaim": claim_update_causes,
    "ConfigMap": lambda old, new: frozen_update_causes(old, new, ("data", "binaryData")),
    "Secret": secret_update_causes,
    "Service": service_update_causes,
    "RoleBinding": _role_ref_change_causes,
    "ClusterRoleBinding": _role_ref_change_causes,
}


def validate_update(res: Resource, old: dict, new: dict) -> None:
    """The new object as on create (its name aside), then what may not change, as upstream's order."""
    causes = object_meta_causes(new["metadata"])
    if res.kind in _OBJECT_CAUSES:
        causes += _OBJECT_CAUSES[res.kind](new)
    if res.kind in _UPDATE_CAUSES:
        causes += _UPDATE_CAUSES[res.kind](old, new)
    _raise(res, new, causes)


def validate_scale_replicas(name: str, replicas: object) -> None:
    _fits_int32("Scale", "ScaleSpec", replicas)
    if not isinstance(replicas, int) or isinstance(replicas, bool) or replicas < 0:
        raise invalid(
            "Scale",
            "autoscaling",
            name,
            [("spec.replicas", "FieldValueInvalid", f"Invalid value: {replicas}: must be greater than or equal to 0")],
        )


def require_name(res: Resource, obj: dict) -> None:
    if not obj["metadata"].get("name"):
        raise invalid(
            res.kind,
            res.group,
            "",
            [("metadata.name", "FieldValueRequired", "Required value: name or generateName is required")],
        )
