"""`v`: the selected ordinal's volumes, followed until they bind.

For each claim of the ordinal (`<template>-<set>-<ordinal>` for every
volumeClaimTemplate, and any other claim the pod mounts): its phase, the
volume it bound, its storage class, size and access modes, how it got there
("Pending at 14:00:01, Bound 12s later") and what the cluster said about it
(WaitForFirstConsumer, ProvisioningFailed naming the class); then the bound
PersistentVolume's phase and reclaim policy where volumes are watched, and
why not where they are not (forbidden, or not in the recording).
Textual-free, like the pod's detail; cluster strings are text.
"""

from __future__ import annotations

from datetime import datetime

from rich.text import Text

from stsviz.model import Cell, ClusterState, SetRow
from stsviz.model.records import Claim, Event, PersistentVolume
from stsviz.model.times import parse_rfc3339
from stsviz.render.describe import BAD, GOOD, HEADING, LABEL, NAME, WARNING, add_events, add_field, add_heading
from stsviz.render.rows import printable
from stsviz.render.timefmt import age, human_duration

ACCESS_MODES = {"ReadWriteOnce": "RWO", "ReadOnlyMany": "ROX", "ReadWriteMany": "RWX", "ReadWriteOncePod": "RWOP"}


def describe_volumes(
    state: ClusterState, row: SetRow | None, cell: Cell | None, now: datetime | None, *, volumes_note: str | None = None
) -> Text:
    """The panel; `volumes_note` says why PersistentVolumes are not current (live: "pv forbidden")."""
    text = Text(no_wrap=False)
    if row is None or cell is None:
        text.append("No ordinal selected.", LABEL)
        return text
    sts = row.set
    text.append("Volumes", HEADING)
    text.append(" of ")
    text.append(f"{sts.name}-{cell.ordinal}", NAME)
    text.append(f"  ordinal {cell.ordinal}   v: back to the pod\n", LABEL)
    if not cell.claims:
        text.append("\nNo claims: the set has no volumeClaimTemplates and the pod mounts none.\n", LABEL)
    for view in cell.claims:
        claim = state.claims.get((sts.namespace, view.name))
        add_heading(text, view.name)
        if claim is None:
            failed = _failed_create(state, sts.namespace, sts.name, view.name)
            if failed is None:
                text.append("  not created yet", WARNING)
                text.append(": the controller creates it just before the pod.\n")
            else:
                text.append("  not created", BAD)
                text.append(f": the controller could not ({failed.reason}, {age(failed.last_seen, now)} ago): ")
                text.append(f"{failed.message}\n")
            continue
        _describe_claim(text, state, claim, now)
    bound = [
        state.claims[(sts.namespace, view.name)].volume
        for view in cell.claims
        if (sts.namespace, view.name) in state.claims
    ]
    if volumes_note is not None:
        text.append(f"\nPersistentVolumes: {volumes_note}\n", WARNING)
    elif any(bound) and not state.volumes:
        text.append(
            "\nNo PersistentVolumes seen (not in the recording): a claim's volume is named, not described.\n", LABEL
        )
    text.rstrip()
    text.plain = printable(text.plain)
    return text


def _failed_create(state: ClusterState, namespace: str, set_name: str, claim_name: str) -> Event | None:
    """The set's newest FailedCreate about this claim (the controller says "create Claim www-web-0 for Pod ...")."""
    for event in reversed(state.recent_events(namespace, "StatefulSet", set_name)):
        if event.reason == "FailedCreate" and f"Claim {claim_name} " in event.message:
            return event
    return None


def _describe_claim(text: Text, state: ClusterState, claim: Claim, now: datetime | None) -> None:
    phase = claim.phase or "-"
    add_field(text, "phase", phase, GOOD if phase == "Bound" else BAD if phase == "Lost" else WARNING)
    add_field(text, "volume", claim.volume or "(none yet)")
    volume = state.volumes.get(claim.volume) if claim.volume else None
    if volume is not None:
        _describe_volume(text, claim, volume)
    add_field(text, "class", claim.storage_class or "(the default class)")
    size = claim.capacity or claim.storage or "-"
    if claim.capacity and claim.storage and claim.capacity != claim.storage:
        size += f" (asked {claim.storage})"
    add_field(text, "size", size)
    modes = ", ".join(ACCESS_MODES.get(mode, mode) for mode in claim.access_modes) or "-"
    add_field(text, "access", modes)
    add_field(text, "age", age(claim.created, now))
    if claim.deleting:
        add_field(text, "deleting", f"for {age(claim.deleting, now)}", WARNING)
    timeline = _timeline(state.claim_phases.get(claim.key, ()), claim.created)
    if timeline:
        add_field(text, "timeline", timeline)
    add_events(text, state, claim.namespace, claim.name, claim.uid, now, kind="PersistentVolumeClaim", title="  Events")


def _describe_volume(text: Text, claim: Claim, volume: PersistentVolume) -> None:
    """The bound volume on one line: its phase and what happens to the data when the claim goes."""
    phase = volume.phase or "-"
    style = GOOD if phase == "Bound" else BAD if phase in ("Failed", "Lost") else WARNING
    line = Text(phase, style)
    if volume.reclaim_policy:
        line.append(f", reclaim {volume.reclaim_policy}")
    if volume.claim_name and (volume.claim_namespace, volume.claim_name) != (claim.namespace, claim.name):
        line.append(f", bound to {volume.claim_namespace}/{volume.claim_name}", BAD)
    add_field(text, "pv", line)
    if volume.message:
        add_field(text, "pv says", volume.message, BAD)


SEEN_LATE = 5.0  # seconds between a claim's creation and its first sighting that make "at T" a guess


def _timeline(phases: tuple[tuple[str, datetime | None], ...], created: str | None) -> str:
    """ "Pending at 14:00:01, Bound 12s later": when the claim entered each phase seen."""
    start = parse_rfc3339(created)
    parts: list[str] = []
    previous: datetime | None = None
    for phase, when in phases:
        moment = when or (start if not parts else None)
        if moment is None:
            parts.append(phase)
        elif previous is None:
            at = moment.astimezone().strftime("%H:%M:%S")
            late = (moment - start).total_seconds() if start is not None else 0.0
            if late > SEEN_LATE:
                # Listed long after it was made (stsviz started later): when it got there is not known.
                parts.append(f"{phase} when first seen at {at}, created {human_duration(late)} before")
            else:
                parts.append(f"{phase} at {at}")
        else:
            parts.append(f"{phase} {human_duration((moment - previous).total_seconds())} later")
        previous = moment or previous
    return ", ".join(parts)
