"""What a cell means: the state of the pod at one ordinal (the README's glyph table lists the rules).

First match wins; the order matters (a terminating pod that is still Ready is
terminating, a crash-looping pod in phase Running is failed).
"""

from __future__ import annotations

from stsviz.model.records import FAILED_WAITING_REASONS, Pod

MISSING = "missing"
TERMINATING = "terminating"
FAILED = "failed"
UNSCHEDULED = "unscheduled"
CREATING = "creating"
RUNNING = "running"
READY = "ready"
UNKNOWN = "unknown"

CELL_STATES = (MISSING, TERMINATING, FAILED, UNSCHEDULED, CREATING, RUNNING, READY, UNKNOWN)

UPDATED = "updated"
OLD = "old"


def cell_state(pod: Pod | None) -> str:
    if pod is None:
        return MISSING
    if pod.deleting:
        return TERMINATING
    phase = pod.phase
    if phase == "Failed" or any(c.state == "waiting" and c.reason in FAILED_WAITING_REASONS for c in pod.containers):
        return FAILED
    if phase == "Pending":
        scheduled = pod.condition("PodScheduled")
        if scheduled is None or scheduled.status != "True":
            return UNSCHEDULED
        return CREATING
    if pod.ready:
        return READY
    if phase == "Running":
        return RUNNING
    return UNKNOWN


def revision_channel(pod: Pod | None, update_revision: str | None) -> str | None:
    """updated | old | None (no pod, or the set has not reported an updateRevision yet)."""
    if pod is None or not update_revision:
        return None
    return UPDATED if pod.revision == update_revision else OLD
