"""Rollout verdicts: exactly `kubectl rollout status` for StatefulSets, and more.

`kubectl_status` mirrors kubectl's StatefulSetStatusViewer branch by branch,
with its messages verbatim, so the screen and kubectl never disagree. `verdict`
adds what kubectl cannot say: progress of an OnDelete rollout and a "stalled"
rollout that has made no progress for a while with a pod failed or not ready.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from stsviz.model.records import StatefulSet

DEFAULT_STALL_SECONDS = 300.0


# Which branch of kubectl's StatefulSetStatusViewer answered.
UNSUPPORTED = "unsupported"  # not RollingUpdate: kubectl prints an error
OBSERVING = "observing"  # the controller has not seen the latest spec
WAITING_FOR_READY = "ready"  # waiting for pods to be ready
PARTITIONED = "partitioned"  # rollingUpdate set: counting updated pods down to the partition
ROLLING = "rolling"  # no rollingUpdate: waiting for currentRevision to reach updateRevision
COMPLETE = "complete"


@dataclass(slots=True, frozen=True)
class KubectlStatus:
    message: str  # without kubectl's trailing newline
    done: bool
    branch: str


@dataclass(slots=True, frozen=True)
class Verdict:
    done: bool
    stalled: bool
    message: str  # kubectl's message, or ours where kubectl has none
    label: str  # short for the grid: done, observing, ready N/M, rolling N/M, ondel N/M, stalled, deleting, no status

    def to_json(self) -> dict[str, Any]:
        return {"done": self.done, "stalled": self.stalled, "message": self.message}


def kubectl_status(sts: StatefulSet) -> KubectlStatus:
    if sts.strategy != "RollingUpdate":
        # kubectl reports done=true with this error; it exits 1.
        return KubectlStatus(
            "error: rollout status is only available for RollingUpdate strategy type", True, UNSUPPORTED
        )
    if sts.observed_generation == 0 or sts.generation > sts.observed_generation:
        return KubectlStatus("Waiting for statefulset spec update to be observed...", False, OBSERVING)
    if sts.ready_replicas < sts.replicas:
        return KubectlStatus(
            f"Waiting for {sts.replicas - sts.ready_replicas} pods to be ready...", False, WAITING_FOR_READY
        )
    if sts.has_rolling_update:
        if sts.partition is not None:
            target = sts.replicas - sts.partition
            if sts.updated_replicas < target:
                return KubectlStatus(
                    "Waiting for partitioned roll out to finish: "
                    f"{sts.updated_replicas} out of {target} new pods have been updated...",
                    False,
                    PARTITIONED,
                )
        return KubectlStatus(
            f"partitioned roll out complete: {sts.updated_replicas} new pods have been updated...", True, COMPLETE
        )
    if sts.update_revision != sts.current_revision:
        return KubectlStatus(
            "waiting for statefulset rolling update to complete "
            f"{sts.updated_replicas} pods at revision {sts.update_revision}...",
            False,
            ROLLING,
        )
    return KubectlStatus(
        f"statefulset rolling update complete {sts.current_replicas} pods at revision {sts.current_revision}...",
        True,
        COMPLETE,
    )


def verdict(
    sts: StatefulSet,
    *,
    updated_pods: int,
    unhealthy_pods: int,
    idle_seconds: float | None,
    stall_seconds: float = DEFAULT_STALL_SECONDS,
    first_unhealthy: str | None = None,
) -> Verdict:
    """The set's verdict at one moment.

    `updated_pods` counts live pods in range on the update revision;
    `unhealthy_pods` counts ordinals in range whose pod is missing, failed, not
    ready or stuck terminating;
    `idle_seconds` is how long the rollout has made no progress (None: unknown);
    `first_unhealthy` names the lowest of those ordinals and why ("web-4 CrashLoopBackOff"), for "stalled".
    """
    if sts.deleting:
        return Verdict(False, False, "StatefulSet is being deleted", "deleting")
    if sts.strategy == "OnDelete":
        # kubectl refuses OnDelete; the useful answer is how many pods still await a delete.
        fresh = sts.observed_generation >= sts.generation and sts.observed_generation > 0
        done = fresh and updated_pods >= sts.replicas and sts.ready_replicas >= sts.replicas
        message = (
            f"OnDelete: {updated_pods} of {sts.replicas} pods at revision {sts.update_revision}"
            + ("" if done else f", {sts.replicas - min(updated_pods, sts.replicas)} to delete")
            + ("" if sts.ready_replicas >= sts.replicas else f", {sts.replicas - sts.ready_replicas} not ready")
        )
        base = Verdict(done, False, message, "done" if done else f"ondel {updated_pods}/{sts.replicas}")
    else:
        status = kubectl_status(sts)
        if status.branch == UNSUPPORTED:
            # An update strategy this kubectl does not know: say so, claim nothing.
            base = Verdict(False, False, status.message, "no status")
        else:
            # A partitioned rollout counts as kubectl does: the pods at or above the partition.
            target = sts.replicas - (sts.partition or 0) if status.branch == PARTITIONED else sts.replicas
            label = {
                COMPLETE: "done",
                OBSERVING: "observing",
                WAITING_FOR_READY: f"ready {sts.ready_replicas}/{sts.replicas}",
            }.get(status.branch, f"rolling {sts.updated_replicas}/{target}")
            base = Verdict(status.done, False, status.message, label)
    if not base.done and unhealthy_pods > 0 and idle_seconds is not None and idle_seconds >= stall_seconds:
        minutes = int(idle_seconds // 60)
        idle = f"{minutes}m{int(idle_seconds % 60):02d}s" if minutes else f"{int(idle_seconds)}s"
        # The pod to look at first, named: mid-incident, "1 pod(s)" sent the reader hunting through cells.
        which = f"{first_unhealthy}; " if first_unhealthy else ""
        return Verdict(
            False,
            True,
            f"stalled: no progress for {idle} with {unhealthy_pods} {'pod' if unhealthy_pods == 1 else 'pods'} "
            "missing, failed or not ready; "
            f"{which}{base.message}",
            "stalled",
        )
    return base
