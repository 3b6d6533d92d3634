"""Frames: what one moment looks like, derived from ClusterState for the views.

A `SetRow` is everything one grid row shows; a `Frame` is all rows at one time.
The screen, `--plain` and `--json` all render the same rows, so they agree.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any

from stsviz.model.cells import MISSING, READY, UPDATED, cell_state, revision_channel
from stsviz.model.records import Claim, Pod, StatefulSet
from stsviz.model.rollout import DEFAULT_STALL_SECONDS, Verdict, verdict
from stsviz.model.state import ClusterState


@dataclass(slots=True, frozen=True)
class ClaimView:
    name: str
    phase: str | None  # None: the claim object does not exist (yet)
    volume: str | None


@dataclass(slots=True, frozen=True)
class Cell:
    ordinal: int
    pod: Pod | None
    state: str
    revision: str | None  # updated | old | None
    condemned: bool  # above the desired range, waiting to be removed
    claims: tuple[ClaimView, ...]

    def to_json(self) -> dict[str, Any]:
        pod = self.pod
        return {
            "ordinal": self.ordinal,
            "pod": pod.name if pod else None,
            "uid": pod.uid if pod else None,
            "state": self.state,
            "revision": self.revision,
            "restarts": pod.restarts if pod else 0,
            "reason": pod.waiting_reason if pod else None,
            "claims": [{"name": c.name, "phase": c.phase, "volume": c.volume} for c in self.claims],
        }


@dataclass(slots=True, frozen=True)
class SetRow:
    set: StatefulSet
    verdict: Verdict
    cells: tuple[Cell, ...]  # desired range in ordinal order, then condemned pods
    updated: int  # pods in range on the update revision
    ready: int  # pods in range that are Ready (what the screen counts, not status)

    @property
    def key(self) -> tuple[str, str]:
        return self.set.key

    @property
    def partition_index(self) -> int | None:
        """Index into cells where the partition boundary falls, if it splits the range."""
        sts = self.set
        if sts.strategy != "RollingUpdate" or not sts.partition:
            return None
        index = sts.partition - sts.ordinals_start
        return index if 0 < index <= sts.replicas else None

    @property
    def condemned_index(self) -> int:
        return self.set.replicas

    def to_json(self) -> dict[str, Any]:
        sts = self.set
        return {
            "namespace": sts.namespace,
            "name": sts.name,
            "replicas": sts.replicas,
            "ready": sts.ready_replicas,
            "partition": sts.partition,
            "current_revision": sts.current_revision,
            "update_revision": sts.update_revision,
            "verdict": self.verdict.to_json(),
            "cells": [cell.to_json() for cell in self.cells],
        }


@dataclass(slots=True, frozen=True)
class Frame:
    time: datetime | None
    rows: tuple[SetRow, ...]

    def to_json(self) -> dict[str, Any]:
        return {"time": rfc3339(self.time), "sets": [row.to_json() for row in self.rows]}


def rfc3339(time: datetime | None) -> str | None:
    if time is None:
        return None
    return time.astimezone(timezone.utc).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def _claims(state: ClusterState, sts: StatefulSet, ordinal: int, pod: Pod | None) -> tuple[ClaimView, ...]:
    # Template names exist before the pod (the controller creates claims first);
    # a pod may also mount claims of its own.
    names = [f"{template}-{sts.name}-{ordinal}" for template in sts.claim_templates]
    if pod is not None:
        names += [name for name in pod.claims if name not in names]
    views = []
    for name in names:
        claim: Claim | None = state.claims.get((sts.namespace, name))
        views.append(ClaimView(name, claim.phase if claim else None, claim.volume if claim else None))
    return tuple(views)


def build_row(
    state: ClusterState,
    sts: StatefulSet,
    *,
    now: datetime | None = None,
    stall_seconds: float = DEFAULT_STALL_SECONDS,
) -> SetRow:
    pods = state.pods_of(sts)
    update_revision = sts.update_revision
    cells: list[Cell] = []
    updated = ready = unhealthy = 0
    for ordinal in sts.ordinals:
        pod = pods.get(ordinal)
        cell = Cell(
            ordinal,
            pod,
            cell_state(pod),
            revision_channel(pod, update_revision),
            False,
            _claims(state, sts, ordinal, pod),
        )
        cells.append(cell)
        if cell.revision == UPDATED and not (pod and pod.deleting):
            updated += 1
        if cell.state == READY:
            ready += 1
        elif cell.state != MISSING:  # failed, not ready yet, or stuck terminating
            unhealthy += 1
    in_range = sts.ordinals
    for ordinal in sorted(o for o in pods if o not in in_range):
        pod = pods[ordinal]
        cells.append(
            Cell(
                ordinal,
                pod,
                cell_state(pod),
                revision_channel(pod, update_revision),
                True,
                _claims(state, sts, ordinal, pod),
            )
        )
    return SetRow(
        set=sts,
        verdict=verdict(
            sts,
            updated_pods=updated,
            ready_pods=ready,
            unhealthy_pods=unhealthy,
            idle_seconds=state.idle_seconds(sts.key, now),
            stall_seconds=stall_seconds,
        ),
        cells=tuple(cells),
        updated=updated,
        ready=ready,
    )


def build_frame(
    state: ClusterState,
    *,
    now: datetime | None = None,
    stall_seconds: float = DEFAULT_STALL_SECONDS,
    name_filter: str = "",
) -> Frame:
    """All rows, sorted by namespace/name, optionally filtered by a substring."""
    rows = tuple(
        build_row(state, sts, now=now, stall_seconds=stall_seconds)
        for key, sts in sorted(state.sets.items())
        if not name_filter or name_filter in f"{key[0]}/{key[1]}"
    )
    return Frame(now or state.now, rows)
