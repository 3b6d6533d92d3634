"""Cheap copies of a ClusterState, so a backward seek refolds from nearby, not from the start.

ClusterState holds frozen records in dicts (at most two levels deep), so a copy
shares every record and copies only the containers: milliseconds for thousands
of pods. The copy is generic over the state's attributes, so a field added to
the fold later is carried along without touching this module.
"""

from __future__ import annotations

from typing import Any

from stsviz.model.state import ClusterState


def copy_state(state: ClusterState) -> ClusterState:
    """An independent ClusterState equal to `state` (records are shared, they are immutable)."""
    copy = ClusterState()
    for name, value in vars(state).items():
        if _bound_to(value, state):
            continue  # dispatch tables of bound methods: the fresh instance built its own
        setattr(copy, name, _copy_containers(value))
    return copy


def _copy_containers(value: Any) -> Any:
    if isinstance(value, dict):
        copied = value.copy()  # keeps the type (Counter stays a Counter)
        for key, item in copied.items():
            if isinstance(item, (dict, set, list)):  # indexes of indexes: pods_by_set, events
                copied[key] = item.copy()
        return copied
    if isinstance(value, (set, list)):
        return value.copy()
    return value  # records, tuples, strings, numbers, datetimes: immutable


def _bound_to(value: Any, owner: object) -> bool:
    if not isinstance(value, dict) or not value:
        return False
    first = next(iter(value.values()))
    return getattr(first, "__self__", None) is owner
