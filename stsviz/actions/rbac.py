"""What the user may change, from a SelfSubjectRulesReview: the keys the user may not use are dimmed.

One review per namespace (cached by the screen, asked again now and then),
asked by `ask_review`: a create that changes nothing, so the gate does not
stand in front of it.
A review that is incomplete (the server's authorizer could not list every
rule) or that could not be had at all decides nothing: the change is tried
and a 403 is shown as kubectl shows it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from stsviz.sources.live.wire import send

# What each mutating action needs: (verb, API group, resource), as RBAC names them.
NEEDS: dict[str, tuple[tuple[str, str, str], ...]] = {
    "scale": (("get", "apps", "statefulsets/scale"), ("update", "apps", "statefulsets/scale")),
    "scale_by": (("get", "apps", "statefulsets/scale"), ("update", "apps", "statefulsets/scale")),
    "delete_pod": (("delete", "", "pods"),),
    # Each reads the set first (the stamp or the partition it has), as kubectl does, then patches it.
    "restart": (("get", "apps", "statefulsets"), ("patch", "apps", "statefulsets")),
    "set_partition": (("get", "apps", "statefulsets"), ("patch", "apps", "statefulsets")),
    "move_partition": (("get", "apps", "statefulsets"), ("patch", "apps", "statefulsets")),
    "undo": (
        ("get", "apps", "statefulsets"),
        ("list", "apps", "controllerrevisions"),
        ("patch", "apps", "statefulsets"),
    ),
}
REVIEWS = "/apis/authorization.k8s.io/v1/selfsubjectrulesreviews"


@dataclass(frozen=True)
class Rule:
    verbs: frozenset[str]
    groups: frozenset[str]
    resources: frozenset[str]
    names: frozenset[str]  # resourceNames: a rule limited to some objects does not grant the whole resource

    def grants(self, verb: str, group: str, resource: str) -> bool:
        return (
            not self.names
            and ("*" in self.verbs or verb in self.verbs)
            and ("*" in self.groups or group in self.groups)
            and ("*" in self.resources or resource in self.resources or _parent_star(resource, self.resources))
        )


def _parent_star(resource: str, resources: frozenset[str]) -> bool:
    """`statefulsets/*` grants every subresource of statefulsets."""
    parent, _, sub = resource.partition("/")
    return bool(sub) and f"{parent}/*" in resources


@dataclass(frozen=True)
class Review:
    """The rules the server says the user has in one namespace; `complete` False decides nothing."""

    namespace: str
    rules: tuple[Rule, ...]
    complete: bool

    def denial(self, action: str) -> str | None:
        """Why `action` is not allowed here, in RBAC's words, or None (allowed, or not known)."""
        if not self.complete:
            return None
        for verb, group, resource in NEEDS.get(action, ()):
            if not any(rule.grants(verb, group, resource) for rule in self.rules):
                # As `kubectl auth can-i` spells it: statefulsets.apps/scale, pods.
                name, _, subresource = resource.partition("/")
                qualified = (f"{name}.{group}" if group else name) + (f"/{subresource}" if subresource else "")
                return f"you may not {verb} {qualified} in {self.namespace} (RBAC)"
        return None


async def ask_review(api: Any, namespace: str) -> Review:
    """The server's review of what the user may do in `namespace`; ApiError or Unreachable when it could not be had."""
    return parse_review(namespace, await send(api, "POST", REVIEWS, body=request_body(namespace)))


def request_body(namespace: str) -> dict[str, Any]:
    return {"apiVersion": "authorization.k8s.io/v1", "kind": "SelfSubjectRulesReview", "spec": {"namespace": namespace}}


def parse_review(namespace: str, body: Any) -> Review:
    """The server's answer as a Review; anything unexpected is an incomplete one (decides nothing)."""
    status = body.get("status") if isinstance(body, dict) else None
    if not isinstance(status, dict):
        return Review(namespace, (), False)
    rules = []
    for raw in status.get("resourceRules") or ():
        if not isinstance(raw, dict):
            continue
        rules.append(
            Rule(
                frozenset(_strings(raw.get("verbs"))),
                frozenset(_strings(raw.get("apiGroups"))),
                frozenset(_strings(raw.get("resources"))),
                frozenset(_strings(raw.get("resourceNames"))),
            )
        )
    return Review(namespace, tuple(rules), not status.get("incomplete", False))


def _strings(value: Any) -> list[str]:
    return [item for item in value if isinstance(item, str)] if isinstance(value, list) else []
