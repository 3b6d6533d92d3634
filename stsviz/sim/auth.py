"""Who is calling and what they may do: bearer tokens and a two-role RBAC.

`admin` may do anything. `viewer` has the built-in `view` ClusterRole: get,
list and watch of namespaced objects (and namespaces), nothing cluster-scoped
beyond that, no writes. Refusals carry the real authorizer's wording. kubectl
and stsviz send no token over plain http, so an anonymous caller is admin
unless the cluster runs with strict auth, where it is `system:anonymous` and
refused.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass

from . import errors
from .resources import NAMESPACES, Resource

READ_VERBS = {"get", "list", "watch"}
PUBLIC_PATHS = {"/version", "/healthz", "/livez", "/readyz"}


@dataclass(frozen=True)
class User:
    name: str
    admin: bool
    authenticated: bool = True


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
        if user.admin:
            return
        readable = res.namespaced or res is NAMESPACES
        if user.authenticated and verb in READ_VERBS and readable:
            return
        raise errors.forbidden(user.name, verb, res, subresource, namespace if res.namespaced else None, name)

    @staticmethod
    def authorize_path(user: User, path: str) -> None:
        """Non-resource URLs: discovery for any signed-in user, /version for all."""
        if user.admin or path in PUBLIC_PATHS or user.authenticated:
            return
        raise errors.StatusError(403, "Forbidden", f'forbidden: User "{user.name}" cannot get path "{path}"', {})
