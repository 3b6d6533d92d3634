"""Rollout verdicts: exactly `kubectl rollout status` for StatefulSets, and more.

`kubectl_status` mirrors kubectl's StatefulSetStatusViewer branch by branch,
with its messages verbatim, so the screen and kubectl never disagree. `verdict`
adds what kubectl cannot say: progress of an OnDelete rollout and a "stalled"
rollout that has made no progress for a while with a pod failed or not ready.
"""

from __future__ import annotations

from dataclasses import dataclass

from stsviz.model.records import StatefulSet

DEFAULT_STALL_SECONDS = 300.0


@dataclass(slots=True, frozen=True)
class KubectlStatus:
    message: str  # without kubectl's trailing newline
    done: bool
    error: bool = False  # kubectl exits non-zero (OnDelete)


@dataclass(slots=True, frozen=True)
class Verdict:
    done: bool
    stalled: bool
    message: str  # kubectl's message, or ours where kubectl has none
    label: str  # short word for the grid: done, rolling, waiting, observing, stalled, ondelete, deleting

    def to_json(self) -> dict:
        return {"done": self.done, "stalled": self.stalled, "message": self.message}


def kubectl_status(sts: StatefulSet) -> KubectlStatus:
    if sts.strategy != "RollingUpdate":
        return KubectlStatus(
            "error: rollout status is only available for RollingUpdate strategy type", True, error=True
        )
    if sts.observed_generation == 0 or sts.generation > sts.observed_generation:
        return KubectlStatus("Waiting for statefulset spec update to be observed...", False)
    if sts.ready_replicas < sts.replicas:
        return KubectlStatus(f"Waiting for {sts.replicas - sts.ready_replicas} pods to be ready...", False)
    if sts.has_rolling_update:
        if sts.partition is not None:
            target = sts.replicas - sts.partition
            if sts.updated_replicas < target:
                return KubectlStatus(
                    "Waiting for partitioned roll out to finish: "
                    f"{sts.updated_replicas} out of {target} new pods have been updated...",
                    False,
                )
        return KubectlStatus(f"partitioned roll out complete: {sts.updated_replicas} new pods have been updated...", True)
    if sts.update_revision != sts.current_revision:
        return KubectlStatus(
            "waiting for statefulset rolling update to complete "
            f"{sts.updated_replicas} pods at revision {sts.update_revision}...",
            False,
        )
    return KubectlStatus(
        f"statefulset rolling update complete {sts.current_replicas} pods at revision {sts.current_revision}...",
        True,
    )


def verdict(
    sts: StatefulSet,
    *,
    updated_pods: int,
    ready_pods: int,
    unhealthy_pods: int,
    idle_seconds: float | None,
    stall_seconds: float = DEFAULT_STALL_SECONDS,
) -> Verdict:
    """The set's verdict at one moment.

    `updated_pods`/`ready_pods` count live pods in range on the update revision /
    Ready; `unhealthy_pods` counts pods in range that are failed or not ready;
    `idle_seconds` is how long the rollout has made no progress (None: unknown).
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
        if status.done:
            label = "done"
        elif status.message.startswith("Waiting for statefulset spec"):
            label = "observing"
        elif status.message.startswith("Waiting for") and "pods to be ready" in status.message:
            label = f"ready {sts.ready_replicas}/{sts.replicas}"
        else:
            label = f"rolling {sts.updated_replicas}/{sts.replicas}"
        base = Verdict(status.done, False, status.message, label)
    if (
        not base.done
        and unhealthy_pods > 0
        and idle_seconds is not None
        and idle_seconds >= stall_seconds
    ):
        minutes = int(idle_seconds // 60)
        idle = f"{minutes}m{int(idle_seconds % 60):02d}s" if minutes else f"{int(idle_seconds)}s"
        return Verdict(
            False,
            True,
            f"stalled: no progress for {idle} with {unhealthy_pods} pod(s) failed or not ready; {base.message}",
            "stalled",
        )
    return base
