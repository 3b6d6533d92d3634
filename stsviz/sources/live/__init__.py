"""Live mode's source: list+watch of StatefulSets, pods, claims and events from a real cluster.

No Textual here. `resolve_target` finds the kubeconfig and context (or
in-cluster config), `LiveSource` runs one informer per kind and reports their
freshness as `SourceStatus`, `scrub` keeps credentials out of what is printed.

Names are imported on first use: kubernetes_asyncio takes half a second to
import, and replay, which shares the screen with live mode, never needs it.
"""

from __future__ import annotations

from importlib import import_module
from typing import Any

_EXPORTS = {
    "ConfigError": "config",
    "Connection": "config",
    "Target": "config",
    "resolve_target": "config",
    "Informer": "informer",
    "KINDS": "kinds",
    "Kind": "kinds",
    "Scope": "kinds",
    "scrub": "scrub",
    "LiveSource": "source",
    "KindStatus": "status",
    "SourceStatus": "status",
    "Timing": "timing",
    "ApiError": "wire",
    "Unreachable": "wire",
}

__all__ = sorted(_EXPORTS)


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(import_module(f"{__name__}.{module}"), name)
    globals()[name] = value
    return value
