"""What a recording's header says about where it came from, gathered by the commands that record.

Never a credential: the context's name, the server as scheme://host:port
(no path, no user, no password), what /version answers, and the scope. The
kubeconfig and the request headers are not written anywhere.
"""

from __future__ import annotations

from typing import Any

import aiohttp
import orjson

from stsviz.sources.live.config import Target
from stsviz.sources.live.kinds import Scope
from stsviz.sources.live.source import LiveSource
from stsviz.sources.live.wire import get

_VERSION_BODY_LIMIT = 64 * 1024


def header_fields(target: Target, scope: Scope, server: dict[str, str] | None, version: str) -> dict[str, Any]:
    """The header fields a recording command adds to the recorder's own (see recorder.py)."""
    return {
        "version": version,
        "context": target.describe(),
        "server": target.address,
        "serverVersion": server,
        "scope": {"namespace": scope.namespace, "allNamespaces": scope.namespace is None, "selector": scope.selector},
    }


async def server_version(source: LiveSource) -> dict[str, str] | None:
    """The server's /version (gitVersion, platform), or None when its answer is not one.

    Connects the source. Raises as `wire.get` does (ApiError, Unreachable) and
    ConfigError from connecting: the caller decides what each means.
    """
    connection = await source.connect()
    timeout = aiohttp.ClientTimeout(total=source.timing.connect_timeout + 10)
    response = await get(connection.api, "/version", [], timeout)
    try:
        body = orjson.loads(await response.content.read(_VERSION_BODY_LIMIT))
    except (orjson.JSONDecodeError, aiohttp.ClientError, TimeoutError):
        return None
    finally:
        response.release()
    if not isinstance(body, dict):
        return None
    return {key: str(body[key]) for key in ("gitVersion", "platform") if key in body}
