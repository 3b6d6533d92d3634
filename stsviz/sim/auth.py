"""Who is calling and what they may do: bearer tokens and a two-role RBAC.

`admin` may do anything. `viewer` has the built-in `view` ClusterRole: get,
list and watch of most namespaced objects (not Secrets) and namespaces,
nothing cluster-scoped beyond that, no writes. Both rule sets are the real
1.20 server's, as its SelfSubjectRulesReview lists them, so the reviews
(api/reviews.py) and the checks here give the same answers. Refusals carry the real authorizer's wording. kubectl
and stsviz send no token over plain http, so an anonymous caller is admin
unless the cluster runs with strict auth, where it is `system:anonymous` and
refused.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass

from . import errors
from .resources import Resource

PUBLIC_PATHS = {"/version", "/healthz", "/livez", "/readyz"}

_READ = ["get", "list", "watch"]
# The system:basic-user ClusterRole: every signed-in user may ask what they may do.
REVIEW_RULE = {
    "apiGroups": ["authorization.k8s.io"],
    "resources": ["selfsubjectaccessreviews", "selfsubjectrulesreviews"],
    "verbs": ["create"],
}
ADMIN_RULES = [{"apiGroups": ["*"], "resources": ["*"], "verbs": ["*"]}, REVIEW_RULE]
# The `view` ClusterRole of a 1.20 server, in the order its SelfSubjectRulesReview lists it.
VIEWER_RULES = [
    {
        "apiGroups": [""],
        "resources": [
            "configmaps",
            "endpoints",
            "persistentvolumeclaims",
            "persistentvolumeclaims/status",
            "pods",
            "replicationcontrollers",
            "replicationcontrollers/scale",
            "serviceaccounts",
            "services",
            "services/status",
        ],
        "verbs": _READ,
    },
    {
        "apiGroups": [""],
        "resources": [
            "bindings",
            "events",
            "limitranges",
            "namespaces/status",
            "pods/log",
            "pods/status",
            "replicationcontrollers/status",
            "resourcequotas",
            "resourcequotas/status",
        ],
        "verbs": _READ,
    },
    {"apiGroups": [""], "resources": ["namespaces"], "verbs": _READ},
    {
        "apiGroups": ["apps"],
        "resources": [
            "controllerrevisions",
            "daemonsets",
            "daemonsets/status",
            "deployments",
            "deployments/scale",
            "deployments/status",
            "replicasets",
            "replicasets/scale",
            "replicasets/status",
            "statefulsets",
            "statefulsets/scale",
            "statefulsets/status",
        ],
        "verbs": _READ,
    },
    {
        "apiGroups": ["autoscaling"],
        "resources": ["horizontalpodautoscalers", "horizontalpodautoscalers/status"],
        "verbs": _READ,
    },
    {"apiGroups": ["batch"], "resources": ["cronjobs", "cronjobs/status", "jobs", "jobs/status"], "verbs": _READ},
    {
        "apiGroups": ["extensions"],
        "resources": [
            "daemonsets",
            "daemonsets/status",
            "deployments",
            "deployments/scale",
            "deployments/status",
            "ingresses",
            "ingresses/status",
            "networkpolicies",
            "replicasets",
            "replicasets/scale",
            "replicasets/status",
            "replicationcontrollers/scale",
        ],
        "verbs": _READ,
    },
    {"apiGroups": ["policy"], "resources": ["poddisruptionbudgets", "poddisruptionbudgets/status"], "verbs": _READ},
    {
        "apiGroups": ["networking.k8s.io"],
        "resources": ["ingresses", "ingresses/status", "networkpolicies"],
        "verbs": _READ,
    },
    REVIEW_RULE,
]
DISCOVERY_URLS = [
    "/api",
    "/api/*",
    "/apis",
    "/apis/*",
    "/healthz",
    "/livez",
    "/openapi",
    "/openapi/*",
    "/readyz",
    "/version",
    "/version/",
]
PUBLIC_URLS = ["/healthz", "/livez", "/readyz", "/version", "/version/"]


def _matches(values: list[str], wanted: str) -> bool:
    return "*" in values or wanted in values


def allowed_by(rules: list[dict], verb: str, group: str, resource: str) -> bool:
    """RBAC's rule match: `resource` is `plural` or `plural/subresource`."""
    return any(
        _matches(rule["apiGroups"], group) and _matches(rule["resources"], resource) and _matches(rule["verbs"], verb)
        for rule in rules
    )


@dataclass(frozen=True)
class User:
    name: str
    admin: bool
    authenticated: bool = True

    @property
    def rules(self) -> list[dict]:
        if self.admin:
            return ADMIN_RULES
        return VIEWER_RULES if self.authenticated else []

    def can(self, verb: str, group: str, resource: str) -> bool:
        return allowed_by(self.rules, verb, group, resource)


ADMIN = User("admin", True)
VIEWER = User("viewer", False)
ANONYMOUS = User("system:anonymous", False, authenticated=False)


class Authenticator:
    def __init__(self, tokens: dict[str, str] | None = None, strict: bool = False) -> None:
        """`tokens` maps user name ("admin", "viewer") to its bearer token."""
        self.tokens = tokens or {"admin": secrets.token_hex(16), "viewer": secrets.token_hex(16)}
        self._users = {self.tokens["admin"]: ADMIN, self.tokens["viewer"]: VIEWER}
        self.strict = strict

    def authenticate(self, authorization: str | None) -> User:
        if not authorization:
            return ANONYMOUS if self.strict else ADMIN
        scheme, _, token = authorization.partition(" ")
        user = self._users.get(token.strip()) if scheme.lower() == "bearer" else None
        if user is None:
            raise errors.unauthorized()
        return user

    @staticmethod
    def authorize(
        user: User, verb: str, res: Resource, subresource: str | None, namespace: str | None, name: str | None
    ) -> None:
        resource = f"{res.plural}/{subresource}" if subresource else res.plural
        if user.can(verb, res.group, resource):
            return
        raise errors.forbidden(user.name, verb, res, subresource, namespace if res.namespaced else None, name)

    @staticmethod
    def authorize_path(user: User, path: str) -> None:
        """Non-resource URLs: discovery for any signed-in user, /version for all."""
        if user.admin or path in PUBLIC_PATHS or user.authenticated:
            return
        raise errors.StatusError(403, "Forbidden", f'forbidden: User "{user.name}" cannot get path "{path}"', {})
