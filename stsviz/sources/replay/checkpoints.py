"""Checkpoints: copies of the state kept along a recording, so a backward seek refolds from nearby.

ClusterState.copy() shares every record and copies only the indexes:
milliseconds for thousands of pods.
"""

from __future__ import annotations

from stsviz.model.state import ClusterState


def copy_state(state: ClusterState) -> ClusterState:
    """An independent ClusterState equal to `state`."""
    return state.copy()
