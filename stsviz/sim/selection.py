"""Label and field selectors: parsing the query strings and matching objects.

Label selectors follow k8s.io/apimachinery/pkg/labels (`a=b`, `a!=b`,
`a in (x,y)`, `a notin (x)`, `a`, `!a`); field selectors support the fields
the real server indexes for the types we serve, and reject others with the
same message.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

from .errors import bad_request

_KEY = re.compile(r"^([A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?/)?[A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?$")


@dataclass(frozen=True)
class Requirement:
    key: str
    operator: str  # "=", "!=", "in", "notin", "exists", "!"
    values: tuple[str, ...] = ()

    def matches(self, labels: dict[str, str]) -> bool:
        present = self.key in labels
        if self.operator == "exists":
            return present
        if self.operator == "!":
            return not present
        if self.operator in ("=", "in"):
            return present and labels[self.key] in self.values
        # != and notin also match objects without the label, as upstream.
        return not present or labels[self.key] not in self.values


LabelSelector = tuple[Requirement, ...]


def _split_top_level(text: str) -> list[str]:
    parts: list[str] = []
    current: list[str] = []
    depth = 0
    for ch in text:
        if ch == "(":
            depth += 1
        elif ch == ")":
            depth -= 1
        if ch == "," and depth == 0:
            parts.append("".join(current))
            current = []
        else:
            current.append(ch)
    parts.append("".join(current))
    return parts


def parse_label_selector(text: str | None) -> LabelSelector:
    if not text or not text.strip():
        return ()
    requirements = []
    for raw in _split_top_level(text):
        part = raw.strip()
        if not part:
            raise bad_request("unable to parse requirement: found '', expected: identifier")
        match = re.fullmatch(r"(\S+?)\s+(notin|in)\s*\((.*)\)", part)
        if match:
            key, op, values = match.group(1), match.group(2), match.group(3)
            requirements.append(Requirement(_key(key), op, tuple(v.strip() for v in values.split(",") if v.strip())))
            continue
        match = re.fullmatch(r"([^=!\s]+)\s*(==|=|!=)\s*(\S*)", part)
        if match:
            key, op, value = match.groups()
            requirements.append(Requirement(_key(key), "!=" if op == "!=" else "=", (value,)))
            continue
        if part.startswith("!"):
            requirements.append(Requirement(_key(part[1:].strip()), "!"))
            continue
        if " " in part:
            found = part.split()[1]
            raise bad_request(f"unable to parse requirement: found '{found}', expected: '=', '!=', '==', 'in', notin'")
        requirements.append(Requirement(_key(part), "exists"))
    return tuple(requirements)


def _key(key: str) -> str:
    if not _KEY.match(key):
        raise bad_request(f'unable to parse requirement: invalid label key "{key}"')
    return key


def labels_match(selector: LabelSelector, labels: dict[str, str] | None) -> bool:
    labels = labels or {}
    return all(r.matches(labels) for r in selector)


def from_label_selector_object(selector: dict | None) -> LabelSelector:
    """A metav1.LabelSelector (matchLabels, matchExpressions) as requirements."""
    if not selector:
        return ()
    requirements = [Requirement(k, "=", (v,)) for k, v in sorted((selector.get("matchLabels") or {}).items())]
    for expr in selector.get("matchExpressions") or []:
        op = {"In": "in", "NotIn": "notin", "Exists": "exists", "DoesNotExist": "!"}[expr["operator"]]
        requirements.append(Requirement(expr["key"], op, tuple(expr.get("values") or ())))
    return tuple(requirements)


def format_label_selector(selector: LabelSelector) -> str:
    """The string form, as metav1.FormatLabelSelector (used by Scale status.selector)."""
    out = []
    for r in sorted(selector, key=lambda r: r.key):
        if r.operator in ("=", "!="):
            out.append(f"{r.key}{r.operator}{r.values[0]}")
        elif r.operator == "exists":
            out.append(r.key)
        elif r.operator == "!":
            out.append(f"!{r.key}")
        else:
            out.append(f"{r.key} {r.operator} ({','.join(sorted(r.values))})")
    return ",".join(out)


# Field selectors -----------------------------------------------------------------


def _get(path: str) -> Callable[[dict], str]:
    keys = path.split(".")

    def read(obj: dict) -> str:
        value: object = obj
        for key in keys:
            value = value.get(key) if isinstance(value, dict) else None
        if value is None:
            return ""
        return str(value).lower() if isinstance(value, bool) else str(value)

    return read


_COMMON_FIELDS = ("metadata.name", "metadata.namespace")
FIELDS_BY_KIND: dict[str, tuple[str, ...]] = {
    "Pod": (
        "spec.nodeName",
        "spec.restartPolicy",
        "spec.schedulerName",
        "spec.serviceAccountName",
        "status.phase",
        "status.podIP",
        "status.nominatedNodeName",
    ),
    "Event": (
        "involvedObject.kind",
        "involvedObject.namespace",
        "involvedObject.name",
        "involvedObject.uid",
        "involvedObject.apiVersion",
        "involvedObject.resourceVersion",
        "involvedObject.fieldPath",
        "reason",
        "reportingComponent",
        "source",
        "type",
    ),
    "Namespace": ("status.phase",),
    "Node": ("spec.unschedulable",),
    "PersistentVolume": (),
    "PersistentVolumeClaim": (),
    "StatefulSet": ("status.successful",),
    "ControllerRevision": (),
}


@dataclass(frozen=True)
class FieldRequirement:
    field: str
    negate: bool
    value: str
    read: Callable[[dict], str]

    def matches(self, obj: dict) -> bool:
        return (self.read(obj) == self.value) != self.negate


FieldSelector = tuple[FieldRequirement, ...]


def parse_field_selector(text: str | None, kind: str) -> FieldSelector:
    if not text or not text.strip():
        return ()
    supported = _COMMON_FIELDS + FIELDS_BY_KIND.get(kind, ())
    out = []
    for part in text.split(","):
        match = re.fullmatch(r"\s*([^=!\s]+)\s*(==|=|!=)\s*(.*?)\s*", part)
        if not match:
            raise bad_request(f"invalid selector: '{text}'; can't understand '{part}'")
        field, op, value = match.groups()
        if field not in supported:
            raise bad_request(f"field label not supported: {field}")
        read = _get("source.component") if (kind == "Event" and field == "source") else _get(field)
        out.append(FieldRequirement(field, op == "!=", value, read))
    return tuple(out)


def fields_match(selector: FieldSelector, obj: dict) -> bool:
    return all(r.matches(obj) for r in selector)
