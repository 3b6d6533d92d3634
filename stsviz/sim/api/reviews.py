"""SelfSubjectAccessReview and SelfSubjectRulesReview: "may I?" and "what may I?".

`kubectl auth can-i` and `auth can-i --list` ask these, and stsviz's keyboard
actions will too, to dim what the signed-in user may not do. Answers come
from the same rules the server enforces (auth.py). Reviews are not stored;
the answer echoes the spec with a status, as the real server's does.
"""

from __future__ import annotations

from typing import Any

from .. import errors
from ..auth import DISCOVERY_URLS, PUBLIC_URLS, User
from ..resources import SELF_SUBJECT_ACCESS_REVIEWS, Resource


def review(res: Resource, body: Any, user: User) -> dict:
    if not isinstance(body, dict):
        raise errors.bad_request(f"the object provided is unrecognized (must be of type {res.kind})")
    spec: dict = body["spec"] if isinstance(body.get("spec"), dict) else {}
    if res is SELF_SUBJECT_ACCESS_REVIEWS:
        status = {"allowed": _access(spec, user)}
    else:
        # The real server answers with an empty spec (it drops the namespace it was asked about).
        status = _rules(user)
        spec = {}
    return {
        "kind": res.kind,
        "apiVersion": res.api_version,
        "metadata": {"creationTimestamp": None},
        "spec": spec,
        "status": status,
    }


def _access(spec: dict, user: User) -> bool:
    resource, non_resource = spec.get("resourceAttributes"), spec.get("nonResourceAttributes")
    if isinstance(resource, dict) == isinstance(non_resource, dict):
        # Exactly one of them, as the real validation demands.
        raise errors.invalid(
            "SelfSubjectAccessReview",
            "authorization.k8s.io",
            "",
            [
                (
                    "spec.resourceAttributes",
                    "FieldValueInvalid",
                    'Invalid value: "null": exactly one of nonResourceAttributes or resourceAttributes must be '
                    "specified",
                )
            ],
        )
    if isinstance(non_resource, dict):
        path, verb = str(non_resource.get("path", "")), str(non_resource.get("verb", ""))
        if user.admin:
            return True
        urls = DISCOVERY_URLS if user.authenticated else PUBLIC_URLS
        return verb == "get" and any(path == u or (u.endswith("*") and path.startswith(u[:-1])) for u in urls)
    assert isinstance(resource, dict)
    plural = str(resource.get("resource", ""))
    sub = resource.get("subresource")
    return user.can(str(resource.get("verb", "")), str(resource.get("group", "")), f"{plural}/{sub}" if sub else plural)


def _rules(user: User) -> dict:
    non_resource = [{"nonResourceURLs": list(PUBLIC_URLS), "verbs": ["get"]}]
    if user.admin:
        non_resource.append({"nonResourceURLs": ["*"], "verbs": ["*"]})
    if user.authenticated:
        non_resource.append({"nonResourceURLs": list(DISCOVERY_URLS), "verbs": ["get"]})
    return {
        "resourceRules": [dict(rule) for rule in user.rules],
        "nonResourceRules": non_resource,
        "incomplete": False,
    }
