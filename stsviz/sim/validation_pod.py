"""A Pod's spec, as 1.20's ValidatePodSpec checks it on create, and what ValidatePodUpdate lets change.

Only Pods are checked this way: 1.20's ValidatePodTemplateSpecForStatefulSet
leaves a set's pod spec alone, so a template a Pod would be refused for makes
a set that is accepted and whose every pod create then fails, as
`FailedCreate` events on the set. Not the whole of upstream: the container
rules users trip over (names, image, ports, env names, volume mounts, pull
policy, resources) and pod affinity terms, in upstream's order and words.
"""

from __future__ import annotations

import re

from . import quantities
from .validation_meta import Cause, label_name_causes, label_selector_causes, regex_error, unsupported

DNS1123_LABEL_FMT = "[a-z0-9]([-a-z0-9]*[a-z0-9])?"
_DNS1123_LABEL = re.compile(DNS1123_LABEL_FMT)
LABEL_HELP = regex_error(
    "a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', "
    "and must start and end with an alphanumeric character",
    DNS1123_LABEL_FMT,
    "my-name",
    "123-abc",
)
_ENV_VAR_NAME_FMT = "[-._a-zA-Z][-._a-zA-Z0-9]*"
_ENV_VAR_NAME = re.compile(_ENV_VAR_NAME_FMT)
_ENV_VAR_HELP = regex_error(
    "a valid environment variable name must consist of alphabetic characters, digits, '_', '-', or '.', "
    "and must not start with a digit",
    _ENV_VAR_NAME_FMT,
    "my.env-name",
    "MY_ENV.NAME",
    "MyEnvName1",
)
_PORT_NAME_CHARSET = re.compile("[-a-z0-9]+")
_PORT_NAME_LETTER = re.compile("[a-z]")  # unanchored, as Go's MatchString
_PULL_POLICIES = ("Always", "IfNotPresent", "Never")  # sets.String.List(): sorted
PROTOCOLS = ("SCTP", "TCP", "UDP")  # supportedPortProtocols.List(): sorted


def dns1123_label_causes(value: str, path: str) -> list[Cause]:
    causes: list[Cause] = []
    if len(value) > 63:
        causes.append((path, "FieldValueInvalid", f'Invalid value: "{value}": must be no more than 63 characters'))
    if not _DNS1123_LABEL.fullmatch(value):
        causes.append((path, "FieldValueInvalid", f'Invalid value: "{value}": {LABEL_HELP}'))
    return causes


def pod_spec_causes(spec: dict) -> list[Cause]:
    """ValidatePodSpec's order: volumes, containers, initContainers, ..., affinity."""
    volumes = {v.get("name") for v in spec.get("volumes") or [] if isinstance(v, dict)}
    containers = [c if isinstance(c, dict) else {} for c in spec.get("containers") or []]
    init_containers = [c if isinstance(c, dict) else {} for c in spec.get("initContainers") or []]
    causes = _containers_causes(containers, "spec.containers", volumes)
    if init_containers:
        causes += _containers_causes(init_containers, "spec.initContainers", volumes)
    # validateInitContainers: an init container may not take a container's name either.
    names = {c.get("name") for c in containers}
    for i, container in enumerate(init_containers):
        if container.get("name") in names:
            where = f"spec.initContainers[{i}].name"
            causes.append((where, "FieldValueDuplicate", f'Duplicate value: "{container.get("name")}"'))
        if container.get("name"):
            names.add(container.get("name"))
    return causes + pod_affinity_causes(spec.get("affinity"), "spec.affinity")


def _containers_causes(containers: list[dict], path: str, volumes: set) -> list[Cause]:
    if not containers:
        return [(path, "FieldValueRequired", "Required value")]
    causes: list[Cause] = []
    seen: set[str] = set()
    for i, container in enumerate(containers):
        where, name = f"{path}[{i}]", str(container.get("name") or "")
        if not name:
            causes.append((f"{where}.name", "FieldValueRequired", "Required value"))
        else:
            causes += dns1123_label_causes(name, f"{where}.name")
        if name in seen:
            causes.append((f"{where}.name", "FieldValueDuplicate", f'Duplicate value: "{name}"'))
        seen.add(name)
        if not container.get("image"):
            causes.append((f"{where}.image", "FieldValueRequired", "Required value"))
        causes += _ports_causes(container.get("ports") or [], f"{where}.ports")
        causes += _env_causes(container.get("env") or [], f"{where}.env")
        causes += _mounts_causes(container.get("volumeMounts") or [], f"{where}.volumeMounts", volumes)
        causes += _pull_policy_causes(container.get("imagePullPolicy"), f"{where}.imagePullPolicy")
        causes += _resources_causes(container.get("resources") or {}, f"{where}.resources")
    return causes


def port_name_errors(name: str) -> list[str]:
    """IsValidPortName (an IANA service name)."""
    errors = ["must be no more than 15 characters"] if len(name) > 15 else []
    if not _PORT_NAME_CHARSET.fullmatch(name):
        errors.append("must contain only alpha-numeric characters (a-z, 0-9), and hyphens (-)")
    if not _PORT_NAME_LETTER.search(name):
        errors.append("must contain at least one letter or number (a-z, 0-9)")
    if "--" in name:
        errors.append("must not contain consecutive hyphens")
    if name.startswith("-") or name.endswith("-"):
        errors.append("must not begin or end with a hyphen")
    return errors


def port_number_causes(path: str, number: object) -> list[Cause]:
    if isinstance(number, int) and 1 <= number <= 65535:
        return []
    return [(path, "FieldValueInvalid", f"Invalid value: {number}: must be between 1 and 65535, inclusive")]


def _ports_causes(ports: list, path: str) -> list[Cause]:
    """validateContainerPorts: names valid and unique within the container, numbers in 1..65535."""
    causes: list[Cause] = []
    names: set[str] = set()
    for i, port in enumerate(ports):
        port, where = port if isinstance(port, dict) else {}, f"{path}[{i}]"
        name = port.get("name") or ""
        if name:
            errors = port_name_errors(name)
            causes += [(f"{where}.name", "FieldValueInvalid", f'Invalid value: "{name}": {e}') for e in errors]
            if not errors and name in names:
                causes.append((f"{where}.name", "FieldValueDuplicate", f'Duplicate value: "{name}"'))
            elif not errors:
                names.add(name)
        number = port.get("containerPort") or 0
        if number == 0:
            causes.append((f"{where}.containerPort", "FieldValueRequired", "Required value"))
        else:
            causes += port_number_causes(f"{where}.containerPort", number)
        if port.get("hostPort"):
            causes += port_number_causes(f"{where}.hostPort", port["hostPort"])
        protocol = port.get("protocol", "TCP")
        if protocol not in PROTOCOLS:
            causes.append(unsupported(f"{where}.protocol", protocol, PROTOCOLS))
    return causes


def _env_causes(env: list, path: str) -> list[Cause]:
    """ValidateEnv's names (the kubelet would export them to a shell)."""
    causes: list[Cause] = []
    for i, var in enumerate(env):
        where, name = f"{path}[{i}].name", str((var if isinstance(var, dict) else {}).get("name") or "")
        if not name:
            causes.append((where, "FieldValueRequired", "Required value"))
            continue
        if not _ENV_VAR_NAME.fullmatch(name):
            causes.append((where, "FieldValueInvalid", f'Invalid value: "{name}": {_ENV_VAR_HELP}'))
        causes += [(where, "FieldValueInvalid", f'Invalid value: "{name}": {e}') for e in _dot_prefix_errors(name)]
    return causes


def _dot_prefix_errors(value: str) -> list[str]:
    """hasChDirPrefix."""
    if value == ".":
        return ["must not be '.'"]
    if value == "..":
        return ["must not be '..'"]
    if value.startswith(".."):
        return ["must not start with '..'"]
    return []


def _mounts_causes(mounts: list, path: str, volumes: set) -> list[Cause]:
    """ValidateVolumeMounts: each names a volume of the pod (a set's pods get its claims' volumes), each at a
    path of its own."""
    causes: list[Cause] = []
    paths: set[str] = set()
    for i, mount in enumerate(mounts):
        mount, where = mount if isinstance(mount, dict) else {}, f"{path}[{i}]"
        name, mount_path = mount.get("name") or "", mount.get("mountPath") or ""
        if not name:
            causes.append((f"{where}.name", "FieldValueRequired", "Required value"))
        if name not in volumes:
            causes.append((f"{where}.name", "FieldValueNotFound", f'Not found: "{name}"'))
        if not mount_path:
            causes.append((f"{where}.mountPath", "FieldValueRequired", "Required value"))
        if mount_path in paths:
            causes.append((f"{where}.mountPath", "FieldValueInvalid", f'Invalid value: "{mount_path}": must be unique'))
        paths.add(mount_path)
    return causes


def _pull_policy_causes(policy: object, path: str) -> list[Cause]:
    if policy in _PULL_POLICIES:
        return []
    if not policy:
        return [(path, "FieldValueRequired", "Required value")]
    return [unsupported(path, policy, _PULL_POLICIES)]


def _resources_causes(resources: dict, path: str) -> list[Cause]:
    """ValidateResourceRequirements: quantities that parse, and cpu and memory requests within their limits."""
    limits, requests = resources.get("limits") or {}, resources.get("requests") or {}
    causes: list[Cause] = []
    for field, values in (("limits", limits), ("requests", requests)):
        for resource, value in values.items():
            if not quantities.valid(value):
                where = f"{path}.{field}[{resource}]"
                causes.append((where, "FieldValueInvalid", f'Invalid value: "{value}": {quantities.INVALID}'))
    if causes:
        return causes
    for resource in ("cpu", "memory"):
        if resource not in limits or resource not in requests:
            continue
        if quantities.parse(requests[resource]) > quantities.parse(limits[resource]):
            message = f'Invalid value: "{requests[resource]}": must be less than or equal to {resource} limit'
            causes.append((f"{path}.requests", "FieldValueInvalid", message))
    return causes


def pod_affinity_causes(affinity: object, path: str) -> list[Cause]:
    """validatePodAffinityTerm for every required and preferred term of podAffinity and podAntiAffinity: a valid
    selector (1.20 names its requirements under `matchExpressions.matchExpressions[i]`), a topologyKey that is
    a qualified name."""
    causes: list[Cause] = []
    for kind in ("podAffinity", "podAntiAffinity"):
        rules = affinity.get(kind) if isinstance(affinity, dict) else None
        if not isinstance(rules, dict):
            continue
        terms = [
            (f"{path}.{kind}.requiredDuringSchedulingIgnoredDuringExecution[{i}]", term)
            for i, term in enumerate(rules.get("requiredDuringSchedulingIgnoredDuringExecution") or [])
        ] + [
            (
                f"{path}.{kind}.preferredDuringSchedulingIgnoredDuringExecution[{i}].podAffinityTerm",
                weighted.get("podAffinityTerm"),
            )
            for i, weighted in enumerate(rules.get("preferredDuringSchedulingIgnoredDuringExecution") or [])
            if isinstance(weighted, dict)
        ]
        for where, term in terms:
            causes += _affinity_term_causes(term if isinstance(term, dict) else {}, where)
    return causes


def _affinity_term_causes(term: dict, where: str) -> list[Cause]:
    causes = label_selector_causes(term.get("labelSelector"), f"{where}.matchExpressions")
    topology = str(term.get("topologyKey") or "")
    if not topology:
        causes.append((f"{where}.topologyKey", "FieldValueRequired", "Required value: can not be empty"))
    return causes + label_name_causes(topology, f"{where}.topologyKey")


# ValidatePodUpdate's words. 1.20 goes on, after a newline, with a diff of the old and new specs (a go-cmp
# report of Go structs, `core.PodSpec{... - NodeName: "x", + NodeName: "node-1", ...}`) that the demo cannot
# reproduce: it says this first line alone, which is what kubectl's first line shows on both.
POD_UPDATE_FORBIDDEN = (
    "Forbidden: pod updates may not change fields other than `spec.containers[*].image`, "
    "`spec.initContainers[*].image`, `spec.activeDeadlineSeconds` or `spec.tolerations` "
    "(only additions to existing tolerations)"
)


def pod_update_causes(old: dict, new: dict) -> list[Cause]:
    """ValidatePodUpdate: a Pod's spec is fixed but for its images, a shorter activeDeadlineSeconds and added
    tolerations (the kubelet runs what it was given; a Pod to change is a Pod to replace)."""
    old_spec, new_spec = old.get("spec") or {}, new.get("spec") or {}
    causes: list[Cause] = []
    for key in ("containers", "initContainers"):
        olds, news = old_spec.get(key) or [], new_spec.get(key) or []
        if len(olds) != len(news):
            return causes + [
                (f"spec.{key}", "FieldValueForbidden", "Forbidden: pod updates may not add or remove containers")
            ]
        for i, container in enumerate(news):
            if not (container if isinstance(container, dict) else {}).get("image"):
                causes.append((f"spec.{key}[{i}].image", "FieldValueRequired", "Required value"))
    deadline_causes = _deadline_update_causes(
        old_spec.get("activeDeadlineSeconds"), new_spec.get("activeDeadlineSeconds")
    )
    if deadline_causes:
        return causes + deadline_causes
    causes += _tolerations_update_causes(old_spec.get("tolerations") or [], new_spec.get("tolerations") or [])
    if _munged(new_spec, old_spec) != old_spec:
        causes.append(("spec", "FieldValueForbidden", POD_UPDATE_FORBIDDEN))
    return causes


def _deadline_update_causes(old: object, new: object) -> list[Cause]:
    """Set where there was none, or shortened; never taken away."""
    path = "spec.activeDeadlineSeconds"
    if new is None:
        if old is None:
            return []
        return [
            (path, "FieldValueInvalid", 'Invalid value: "null": must not update from a positive integer to nil value')
        ]
    if not isinstance(new, int) or new < 0 or new > 2**31 - 1:
        return [(path, "FieldValueInvalid", f"Invalid value: {new}: must be between 0 and 2147483647, inclusive")]
    if isinstance(old, int) and old < new:
        return [(path, "FieldValueInvalid", f"Invalid value: {new}: must be less than or equal to previous value")]
    return []


def _tolerations_update_causes(olds: list, news: list) -> list[Cause]:
    """validateOnlyAddedTolerations: each old toleration still there (its tolerationSeconds may change)."""

    def bare(toleration: object) -> object:
        return (
            {k: v for k, v in toleration.items() if k != "tolerationSeconds"}
            if isinstance(toleration, dict)
            else toleration
        )

    kept = [bare(t) for t in news]
    if all(bare(t) in kept for t in olds):
        return []
    message = "Forbidden: existing toleration can not be modified except its tolerationSeconds"
    return [("spec.tolerations", "FieldValueForbidden", message)]


def _munged(new_spec: dict, old_spec: dict) -> dict:
    """The new spec with what may change set back to the old (ValidatePodUpdate's mungedPod)."""
    munged = dict(new_spec)
    for key in ("containers", "initContainers"):
        olds = old_spec.get(key) or []
        if key in munged:
            munged[key] = [
                {**container, "image": olds[i].get("image")} if "image" in olds[i] else _without(container, "image")
                for i, container in enumerate(munged[key])
            ]
    for key in ("activeDeadlineSeconds", "tolerations"):
        munged.pop(key, None)
        if key in old_spec:
            munged[key] = old_spec[key]
    return munged


def _without(mapping: dict, key: str) -> dict:
    return {k: v for k, v in mapping.items() if k != key}
