"""REST handlers for the resource verbs: URL → (resource, namespace, name,
subresource) → authorization → registry call → JSON (or Table) response."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import orjson
from aiohttp import web

from .. import errors
from ..auth import Authenticator, User
from ..eviction import EVICTION, evict
from ..registry import Registry
from ..resources import BY_PATH, NAMESPACES, PODS, REVIEWS, Resource
from ..selection import parse_field_selector, parse_label_selector
from . import field_validation, protobuf, reviews, tables, type_check
from .watch import WatchHub

SUBRESOURCES = {"status", "scale", "eviction"}
USER = web.RequestKey("user", User)


def json_response(body: Any, status: int = 200, headers: dict[str, str] | None = None) -> web.Response:
    return web.Response(body=orjson.dumps(body), status=status, content_type="application/json", headers=headers)


def parse_bool(value: str | None) -> bool:
    # strconv.ParseBool, which is what the server uses: kubernetes_asyncio sends "True".
    return (value or "").strip().lower() in ("1", "t", "true")


@dataclass(frozen=True)
class Target:
    res: Resource
    namespace: str | None
    name: str | None
    subresource: str | None

    def object_name(self) -> str:
        """The name for a verb on one object (get, update, patch, delete): `_verb` picks those only with one."""
        assert self.name is not None
        return self.name


def resolve(group: str, version: str, segments: list[str]) -> Target:
    """Map the path after /api/v1 or /apis/<g>/<v> onto a resource."""

    def lookup(plural: str) -> Resource:
        res = BY_PATH.get((group, version, plural))
        if res is None:
            raise errors.no_such_route()
        return res

    if len(segments) >= 3 and segments[0] == "namespaces":
        namespaced = BY_PATH.get((group, version, segments[2]))
        if namespaced is not None and namespaced.namespaced:
            rest = segments[3:]
            if len(rest) > 2 or (len(rest) == 2 and rest[1] not in SUBRESOURCES):
                raise errors.no_such_route()
            return Target(namespaced, segments[1], rest[0] if rest else None, rest[1] if len(rest) == 2 else None)
    if not segments or len(segments) > 3:
        raise errors.no_such_route()
    res = lookup(segments[0])
    name = segments[1] if len(segments) > 1 else None
    sub = segments[2] if len(segments) > 2 else None
    if sub is not None and sub not in SUBRESOURCES:
        raise errors.no_such_route()
    if res.namespaced and name is not None:
        raise errors.no_such_route()
    return Target(res, None, name, sub)


def _verb(method: str, target: Target, watch: bool) -> str:
    if method == "GET":
        return "get" if target.name else ("watch" if watch else "list")
    if method in ("PUT", "PATCH") and not target.name:
        # No route upstream: a collection takes list, watch, create and deletecollection only.
        return ""
    return {
        "POST": "create",
        "PUT": "update",
        "PATCH": "patch",
        "DELETE": "delete" if target.name else "deletecollection",
    }.get(method, "")


async def _body(request: web.Request, res: Resource, required: bool = True) -> Any:
    raw = await request.read()
    if not raw:
        if required:
            raise errors.bad_request(f"the object provided is unrecognized (must be of type {res.kind})")
        return None
    if request.content_type == protobuf.MEDIA_TYPE:
        if request.method == "DELETE":
            # DeleteOptions in protobuf: nothing kubectl sends; the options go in the query too.
            return None
        return protobuf.decode(raw, res)
    try:
        return orjson.loads(raw)
    except orjson.JSONDecodeError as exc:
        raise errors.bad_request(
            f"the object provided is unrecognized (must be of type {res.kind}): "
            f"couldn't get version/kind; json parse error: {exc}"
        ) from None


def _warning_headers(warnings: list[str]) -> dict[str, str] | None:
    # One Warning header per message in the real server; kubectl prints each. aiohttp's headers
    # take one value per key here, so several are joined the way RFC 7234 allows.
    if not warnings:
        return None
    return {"Warning": ", ".join(f'299 - "{w.replace(chr(34), chr(39))}"' for w in warnings)}


class ResourceHandlers:
    def __init__(self, registry: Registry, auth: Authenticator, watches: WatchHub) -> None:
        self.registry = registry
        self.auth = auth
        self.watches = watches

    async def handle(self, request: web.Request, group: str, version: str, tail: str) -> web.StreamResponse:
        target = resolve(group, version, [s for s in tail.split("/") if s])
        query = request.query
        watch = parse_bool(query.get("watch"))
        verb = _verb(request.method, target, watch)
        if not verb:
            raise errors.method_not_allowed(request.method)
        if target.subresource == "scale" and not target.res.scale_subresource:
            raise errors.no_such_route()
        if target.subresource == "status" and not target.res.status_subresource:
            raise errors.no_such_route()
        if target.subresource == "eviction":
            if target.res is not PODS:
                raise errors.no_such_route()
            if verb != "create":
                raise errors.method_not_allowed(request.method)
        elif target.subresource and verb not in ("get", "update", "patch"):
            raise errors.method_not_allowed(request.method)
        user = request[USER]
        self.auth.authorize(user, verb, target.res, target.subresource, target.namespace, target.name)
        if query.get("dryRun") and verb not in ("delete", "deletecollection") and target.subresource != "eviction":
            raise errors.bad_request("dryRun is not supported by the stsviz demo cluster")
        method = getattr(self, f"_{verb}")
        return await method(request, target)

    # verbs ---------------------------------------------------------------------------------

    async def _get(self, request: web.Request, target: Target) -> web.StreamResponse:
        res = target.res
        if target.subresource == "scale":
            return json_response(self.registry.get_scale(res, target.namespace, target.object_name()))
        obj = self.registry.get(res, target.namespace, target.object_name())
        if tables.wants_table(request.headers.get("Accept")) and res.kind in tables.PRINTERS:
            meta = {"resourceVersion": obj["metadata"]["resourceVersion"]}
            return json_response(
                tables.to_table(
                    res.kind, [obj], meta, self.registry.clock.now(), request.query.get("includeObject", "Metadata")
                )
            )
        return json_response(obj)

    def _selectors(self, request: web.Request, res: Resource) -> tuple:
        return (
            parse_label_selector(request.query.get("labelSelector")),
            parse_field_selector(request.query.get("fieldSelector"), res.kind),
        )

    async def _list(self, request: web.Request, target: Target) -> web.StreamResponse:
        query = request.query
        labels, fields = self._selectors(request, target.res)
        try:
            limit = int(query.get("limit") or 0)
        except ValueError:
            raise errors.bad_request(f"invalid limit: {query.get('limit')}") from None
        rv = query.get("resourceVersion")
        if rv not in (None, ""):
            self.registry.parse_resource_version(rv)
        body = self.registry.list(
            target.res,
            target.namespace,
            labels,
            fields,
            limit,
            query.get("continue"),
            rv,
            query.get("resourceVersionMatch"),
        )
        if tables.wants_table(request.headers.get("Accept")) and target.res.kind in tables.PRINTERS:
            objects = [dict(item, kind=target.res.kind, apiVersion=target.res.api_version) for item in body["items"]]
            body = tables.to_table(
                target.res.kind,
                objects,
                body["metadata"],
                self.registry.clock.now(),
                query.get("includeObject", "Metadata"),
            )
        return json_response(body)

    async def _watch(self, request: web.Request, target: Target) -> web.StreamResponse:
        query = request.query
        labels, fields = self._selectors(request, target.res)
        rv = query.get("resourceVersion")
        if rv not in (None, ""):
            self.registry.parse_resource_version(rv)
        timeout = query.get("timeoutSeconds")
        try:
            timeout_seconds = float(timeout) if timeout not in (None, "") else None
        except ValueError:
            raise errors.bad_request(f"invalid timeoutSeconds: {timeout}") from None
        render = None
        if tables.wants_table(request.headers.get("Accept")) and target.res.kind in tables.PRINTERS:
            include = query.get("includeObject", "Metadata")
            clock = self.registry.clock

            def render(obj: dict) -> dict:
                meta = {"resourceVersion": obj["metadata"]["resourceVersion"]}
                return tables.to_table(target.res.kind, [obj], meta, clock.now(), include)

        return await self.watches.serve(
            request,
            target.res,
            target.namespace,
            labels,
            fields,
            rv,
            parse_bool(query.get("allowWatchBookmarks")),
            timeout_seconds,
            render,
        )

    async def _create(self, request: web.Request, target: Target) -> web.StreamResponse:
        if target.subresource == "eviction":
            eviction = await _body(request, EVICTION)
            if request.query.get("dryRun") and isinstance(eviction, dict):  # propagateDryRun: the body's wins
                options = eviction.get("deleteOptions")
                if options is None or (isinstance(options, dict) and not options.get("dryRun")):
                    eviction["deleteOptions"] = {**(options or {}), "dryRun": request.query.getall("dryRun")}
            return json_response(
                evict(self.registry, target.namespace or "default", target.object_name(), eviction), status=201
            )
        body = await _body(request, target.res)
        if target.res in REVIEWS:
            return json_response(reviews.review(target.res, body, request[USER]), status=201)
        type_check.check(target.res, body)
        warnings = field_validation.check(target.res, body, request.query.get("fieldValidation"))
        if target.res is NAMESPACES or not target.res.namespaced:
            obj = self.registry.create(target.res, body)
        else:
            obj = self.registry.create(target.res, body, target.namespace or "default")
        return json_response(obj, status=201, headers=_warning_headers(warnings))

    async def _update(self, request: web.Request, target: Target) -> web.StreamResponse:
        body = await _body(request, target.res)
        name = target.object_name()
        if target.subresource == "scale":
            return json_response(self.registry.update_scale(target.res, target.namespace, name, body))
        type_check.check(target.res, body)
        warnings = field_validation.check(target.res, body, request.query.get("fieldValidation"))
        return json_response(
            self.registry.update(target.res, body, target.namespace, name, target.subresource),
            headers=_warning_headers(warnings),
        )

    async def _patch(self, request: web.Request, target: Target) -> web.StreamResponse:
        body = await _body(request, target.res)
        content_type = request.headers.get("Content-Type", "")
        name = target.object_name()
        mode = request.query.get("fieldValidation")
        warnings: list[str] = []

        def validate(patched: dict) -> None:
            type_check.check(target.res, patched)
            warnings.extend(field_validation.check(target.res, patched, mode))

        obj = self.registry.patch(
            target.res,
            target.namespace,
            name,
            content_type,
            body,
            target.subresource,
            validate=validate if target.subresource != "scale" else None,
        )
        return json_response(obj, headers=_warning_headers(warnings))

    def _delete_options(self, request: web.Request, body: Any) -> dict:
        options = dict(body) if isinstance(body, dict) else {}
        query = request.query
        if query.get("gracePeriodSeconds") not in (None, ""):
            options["gracePeriodSeconds"] = int(query["gracePeriodSeconds"])
        if query.get("propagationPolicy"):
            options["propagationPolicy"] = query["propagationPolicy"]
        if query.get("orphanDependents") not in (None, ""):
            options["orphanDependents"] = parse_bool(query["orphanDependents"])
        if query.get("dryRun"):
            options["dryRun"] = query.getall("dryRun")
        return options

    async def _delete(self, request: web.Request, target: Target) -> web.StreamResponse:
        options = self._delete_options(request, await _body(request, target.res, required=False))
        code, body = self.registry.delete(target.res, target.namespace, target.object_name(), options)
        return json_response(body, status=code)

    async def _deletecollection(self, request: web.Request, target: Target) -> web.StreamResponse:
        options = self._delete_options(request, await _body(request, target.res, required=False))
        labels, fields = self._selectors(request, target.res)
        return json_response(self.registry.delete_collection(target.res, target.namespace, labels, fields, options))
