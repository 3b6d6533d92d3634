"""API errors as the real API server words and shapes them.

Every failure leaves the server as a `Status` object with the same `reason`,
`code`, `message` and `details` a Kubernetes 1.20 server gives, because
clients (kubectl, kubernetes_asyncio, stsviz) branch on those fields.
"""

from __future__ import annotations

from typing import Any

from .resources import Resource


class StatusError(Exception):
    """A failure the demo server answers: HTTP `code` with the Status body from `status()`.

    Raised wherever a request fails (authentication, authorization, faults,
    handlers, the registry); the server's middleware turns it into the
    response, and controllers catch it from their own registry writes. The
    live client's `ApiError` is the other end: a Status as a client receives it.
    """

    def __init__(
        self,
        code: int,
        reason: str | None,
        message: str,
        details: dict | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(message)
        self.code = code
        self.reason = reason
        self.message = message
        self.details = details
        self.headers = headers or {}

    def status(self) -> dict[str, Any]:
        body: dict[str, Any] = {
            "kind": "Status",
            "apiVersion": "v1",
            "metadata": {},
            "status": "Failure",
            "message": self.message,
        }
        if self.reason:
            body["reason"] = self.reason
        if self.details is not None:
            body["details"] = self.details
        body["code"] = self.code
        return body


def success_status(details: dict) -> dict:
    """What DELETE answers when the object is gone at once."""
    return {"kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Success", "details": details}


def not_found(res: Resource, name: str) -> StatusError:
    return StatusError(404, "NotFound", f'{res.qualified} "{name}" not found', res.details(name))


def namespace_not_found(namespace: str) -> StatusError:
    return StatusError(
        404, "NotFound", f'namespaces "{namespace}" not found', {"name": namespace, "kind": "namespaces"}
    )


def no_such_route() -> StatusError:
    return StatusError(404, "NotFound", "the server could not find the requested resource", {})


def already_exists(res: Resource, name: str) -> StatusError:
    return StatusError(409, "AlreadyExists", f'{res.qualified} "{name}" already exists', res.details(name))


def conflict_modified(res: Resource, name: str) -> StatusError:
    return StatusError(
        409,
        "Conflict",
        f'Operation cannot be fulfilled on {res.qualified} "{name}": the object has been modified; '
        "please apply your changes to the latest version and try again",
        res.details(name),
    )


def conflict_uid(res: Resource, name: str, expected: str, actual: str) -> StatusError:
    # The real server names the kind, not the resource, in this one message.
    return StatusError(
        409,
        "Conflict",
        f'Operation cannot be fulfilled on {res.kind} "{name}": the UID in the precondition '
        f"({expected}) does not match the UID in record ({actual}). "
        "The object might have been deleted and then recreated",
        {"name": name, "kind": res.kind},
    )


def conflict_resource_version(res: Resource, name: str, expected: str, actual: str) -> StatusError:
    return StatusError(
        409,
        "Conflict",
        f'Operation cannot be fulfilled on {res.kind} "{name}": the ResourceVersion in the '
        f"precondition ({expected}) does not match the ResourceVersion in record ({actual}). "
        "The object might have been modified",
        {"name": name, "kind": res.kind},
    )


def forbidden(
    user: str, verb: str, res: Resource, subresource: str | None, namespace: str | None, name: str | None
) -> StatusError:
    resource = f"{res.plural}/{subresource}" if subresource else res.plural
    scope = f'in the namespace "{namespace}"' if namespace else "at the cluster scope"
    subject = f'{res.qualified} "{name}"' if name else res.qualified
    return StatusError(
        403,
        "Forbidden",
        f'{subject} is forbidden: User "{user}" cannot {verb} resource "{resource}" in API group "{res.group}" {scope}',
        res.details(name),
    )


def unauthorized() -> StatusError:
    return StatusError(401, "Unauthorized", "Unauthorized")


def bad_request(message: str) -> StatusError:
    return StatusError(400, "BadRequest", message)


def invalid(kind: str, group: str, name: str, causes: list[tuple[str, str, str]]) -> StatusError:
    """422 Invalid; causes are (field, reason, message) as field.ErrorList renders them."""
    qualified = f"{kind}.{group}" if group else kind
    rendered = [f"{field}: {message}" for field, _, message in causes]
    summary = rendered[0] if len(rendered) == 1 else "[" + ", ".join(rendered) + "]"
    details: dict = {"name": name}
    if group:
        details["group"] = group
    details["kind"] = kind
    details["causes"] = [{"reason": reason, "message": message, "field": field} for field, reason, message in causes]
    return StatusError(422, "Invalid", f'{qualified} "{name}" is invalid: {summary}', details)


def patch_rejected() -> StatusError:
    # What a 1.20 server answers to a JSON patch that does not apply.
    return StatusError(422, "Invalid", "the server rejected our request due to an error in our request", {})


def unsupported_media_type() -> StatusError:
    return StatusError(415, "UnsupportedMediaType", "415: Unsupported Media Type", {})


def method_not_allowed(method: str) -> StatusError:
    return StatusError(405, "MethodNotAllowed", "the server does not allow this method on the requested resource", {})


def expired(message: str) -> StatusError:
    return StatusError(410, "Expired", message)


def too_many_requests(retry_after: int) -> StatusError:
    return StatusError(
        429,
        "TooManyRequests",
        "Too many requests, please try again later.",
        {
            "causes": [{"message": "the server is throttling this client (injected fault)"}],
            "retryAfterSeconds": retry_after,
        },
        headers={"Retry-After": str(retry_after)},
    )


def internal_error(cause: str) -> StatusError:
    return StatusError(500, "InternalError", f"Internal error occurred: {cause}", {"causes": [{"message": cause}]})


def service_unavailable(message: str = "the server is currently unable to handle the request") -> StatusError:
    return StatusError(503, "ServiceUnavailable", message, {})
