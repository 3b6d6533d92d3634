"""Frames: what one moment looks like, derived from ClusterState for the views.

A `SetRow` is everything one grid row shows; a `Frame` is all rows at one time.
The screen, `--plain` and `--json` all render the same rows, so they agree.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from stsviz.model.cells import MISSING, READY, RUNNING, TERMINATING, UNKNOWN, UPDATED, cell_state, revision_channel
from stsviz.model.records import Claim, Pod, SetKey, StatefulSet
from stsviz.model.revisions import DiffEntry, RevisionView, rollout_diff, set_revisions
from stsviz.model.rollout import DEFAULT_STALL_SECONDS, Verdict, verdict
from stsviz.model.state import ClusterState
from stsviz.model.times import parse_rfc3339, rfc3339

PODS_UNREAD = "pods unread"  # the verdict's label while pods are not read (live, their list failing)


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
    available: bool = False  # Ready for minReadySeconds (the screen shows it brighter)

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
    hidden: int = 0  # ordinals past MAX_CELLS, not built
    revisions: tuple[RevisionView, ...] = ()  # newest first
    template_diff: tuple[DiffEntry, ...] = ()  # currentRevision -> updateRevision; empty when same or unknown

    @property
    def key(self) -> SetKey:
        return self.set.key

    @property
    def partition_index(self) -> int | None:
        """Index into cells where the partition boundary falls, if it splits the range."""
        sts = self.set
        if sts.strategy != "RollingUpdate" or not sts.partition or not sts.replicas:
            return None
        # The controller counts the partition from the first ordinal of the range
        # (replicas[ordinal - start]), and a partition at or past the end updates nothing.
        return min(sts.partition, sts.replicas)

    @property
    def condemned_index(self) -> int:
        return min(self.set.replicas, MAX_CELLS)

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
            "revisions": [revision.to_json() for revision in self.revisions],
            "template_diff": [entry.to_json() for entry in self.template_diff],
        }


@dataclass(slots=True, frozen=True)
class Frame:
    time: datetime | None
    rows: tuple[SetRow, ...]

    def to_json(self) -> dict[str, Any]:
        return {"time": rfc3339(self.time), "sets": [row.to_json() for row in self.rows]}


# A row never builds more cells than this: a typo like replicas: 2000000 must
# not freeze the screen. The rest is summarised as a count (SetRow.hidden).
MAX_CELLS = 10_000


def _claims(state: ClusterState, sts: StatefulSet, names: tuple[str, ...], pod: Pod | None) -> tuple[ClaimView, ...]:
    # Template names exist before the pod (the controller creates claims first);
    # a pod may also mount claims of its own.
    if pod is not None and pod.claims:
        names = names + tuple(name for name in pod.claims if name not in names)
    claims = state.claims
    views = []
    for name in names:
        claim: Claim | None = claims.get((sts.namespace, name))
        views.append(ClaimView(name, claim.phase if claim else None, claim.volume if claim else None))
    return tuple(views)


def _available(pod: Pod | None, min_ready_seconds: int, now: datetime | None) -> bool:
    """Ready for at least minReadySeconds (what status.availableReplicas counts)."""
    if pod is None or not pod.ready:
        return False
    if min_ready_seconds <= 0:
        return True
    since = pod.condition("Ready").since  # type: ignore[union-attr]
    moment = parse_rfc3339(since)
    return moment is not None and now is not None and (now - moment).total_seconds() >= min_ready_seconds


def matches_filter(key: SetKey, name_filter: str) -> bool:
    """The `/` filter and `build_frame(name_filter=...)`: a substring of "namespace/name"."""
    return not name_filter or name_filter in f"{key[0]}/{key[1]}"


class CellCache:
    """Each set's last cells, reused while what they are made of is the same.

    Records are never mutated, so a pod that did not change is the same object
    and its cell is too. A cell depends on its pod, on the set's update
    revision, claim templates and minReadySeconds, and on the claims (any claim
    change rebuilds the set's cells: claims change rarely). With it, a
    10,000-cell row rebuilt because one pod changed costs that pod's cell.
    """

    __slots__ = ("_sets",)

    def __init__(self) -> None:
        self._sets: dict[SetKey, tuple[tuple[Any, ...], dict[int, Cell]]] = {}

    def cells(self, state: ClusterState, sts: StatefulSet) -> dict[int, Cell]:
        """The set's cells by ordinal from the last build, or an empty dict to fill if they cannot be reused."""
        inputs = (sts.update_revision, sts.claim_templates, sts.min_ready_seconds, state.claims_version)
        cached = self._sets.get(sts.key)
        if cached is None or cached[0] != inputs:
            cached = self._sets[sts.key] = (inputs, {})
        return cached[1]

    def forget(self, key: SetKey) -> None:
        self._sets.pop(key, None)


def build_row(
    state: ClusterState,
    sts: StatefulSet,
    *,
    now: datetime | None = None,
    stall_seconds: float = DEFAULT_STALL_SECONDS,
    cache: CellCache | None = None,
) -> SetRow:
    pods = state.pods_of(sts)
    now = now or state.now
    update_revision = sts.update_revision
    prefix = f"-{sts.name}-"
    templates = sts.claim_templates
    shown = range(sts.ordinals_start, sts.ordinals_start + min(sts.replicas, MAX_CELLS))
    in_range = sts.ordinals
    condemned = sorted(o for o in pods if o not in in_range)
    # The desired range first, then the condemned pods above it, within one cap.
    ordinals = [(o, False) for o in shown] + [(o, True) for o in condemned[: max(0, MAX_CELLS - len(shown))]]
    cells: list[Cell] = []
    updated = unhealthy = 0
    first_unhealthy: Cell | None = None
    previous = cache.cells(state, sts) if cache is not None else None
    # No pod where none was read yet (pods listing, forbidden) is not known missing: `?`, not `.`.
    podless = UNKNOWN if state.pods_unread is not None else MISSING
    for ordinal, is_condemned in ordinals:
        pod = pods.get(ordinal)
        cell = previous.get(ordinal) if previous is not None else None
        # Reused unless its pod changed, or it is Ready and waiting out minReadySeconds (time moves).
        if (
            cell is None
            or cell.pod is not pod
            or cell.condemned != is_condemned
            or (cell.state == READY and not cell.available)
            or (pod is None and cell.state != podless)
        ):
            state_ = podless if pod is None else cell_state(pod)
            cell = Cell(
                ordinal,
                pod,
                state_,
                revision_channel(pod, update_revision),
                is_condemned,
                _claims(state, sts, tuple(f"{t}{prefix}{ordinal}" for t in templates), pod),
                state_ == READY and _available(pod, sts.min_ready_seconds, now),
            )
            if previous is not None:
                previous[ordinal] = cell
        cells.append(cell)
        state_, revision = cell.state, cell.revision
        if is_condemned:
            continue  # outside the desired range: not part of the rollout's progress
        if revision == UPDATED and state_ != TERMINATING:
            updated += 1
        if state_ != READY:  # missing, failed, not ready yet, or stuck terminating
            unhealthy += 1
            first_unhealthy = first_unhealthy or cell
    if state.pods_unread is not None:
        # The set's status may say complete, but without its pods nothing here is known: claim nothing.
        verdict_ = Verdict(False, False, f"pods not read yet: {state.pods_unread}", PODS_UNREAD)
    else:
        idle = state.idle_seconds(sts.key, now) if unhealthy else None  # only then can it stall
        stalls = idle is not None and idle >= stall_seconds
        verdict_ = verdict(
            sts,
            updated_pods=updated,
            unhealthy_pods=unhealthy,
            idle_seconds=idle,
            stall_seconds=stall_seconds,
            # Worded only for a row that stalls: every row of a rollout is rebuilt on each of its changes.
            first_unhealthy=_why_unhealthy(sts, first_unhealthy) if stalls and first_unhealthy is not None else None,
        )
    revisions = state.revisions_of(sts)
    return SetRow(
        set=sts,
        verdict=verdict_,
        cells=tuple(cells),
        hidden=sts.replicas + len(condemned) - len(cells),
        revisions=set_revisions(sts, revisions, pods) if revisions else (),
        template_diff=rollout_diff(sts, revisions),
    )


UNHEALTHY_WORDS = {RUNNING: "running, not ready"}


def _why_unhealthy(sts: StatefulSet, cell: Cell) -> str:
    """`web-4 CrashLoopBackOff`, `web-2 missing`, `web-1 not ready`: the cell's pod and what holds it."""
    pod = cell.pod
    if pod is None:
        return f"{sts.name}-{cell.ordinal} missing"
    return f"{pod.name} {pod.waiting_reason or UNHEALTHY_WORDS.get(cell.state, cell.state)}"


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
        if matches_filter(key, name_filter)
    )
    return Frame(now or state.now, rows)
