"""What the StatefulSet controller will not do by itself, and how far a partitioned rollout has gone.

After a revert, a pod still on the bad revision that is not Ready is never
replaced by the RollingUpdate controller when pods are managed OrderedReady:
the controller waits for every pod to be Running and Ready before it
changes anything (kubernetes#67250; "forced rollback" in the StatefulSet
docs). The pod must be deleted; it comes back at the update revision. Only
a pod that will not become Ready is named: one that has failed
(CrashLoopBackOff, an image that cannot be pulled), or any not Ready once
the rollout is stalled. A pod on an old revision that is only starting (a
scale-up, a restart) becomes Ready and is replaced in turn. An
OnDelete set replaces no pod at all: the ordinals still on an old revision
wait for a delete. Pure functions over a frame's row.
"""

from __future__ import annotations

from dataclasses import dataclass

from stsviz.model.cells import FAILED, READY, TERMINATING
from stsviz.model.frame import Cell, SetRow
from stsviz.model.revisions import ordinal_ranges

ON_DELETE = "OnDelete"
ROLLING_UPDATE = "RollingUpdate"
ORDERED_READY = "OrderedReady"


@dataclass(slots=True, frozen=True)
class ControllerNote:
    """Something the controller will not do, and the pods the user has to delete for it."""

    message: str
    delete: tuple[str, ...]  # pod names, lowest ordinal first


def controller_notes(row: SetRow) -> tuple[ControllerNote, ...]:
    """The pods the controller will leave as they are, with why, for the detail pane."""
    sts = row.set
    update = sts.update_revision
    if not update or sts.deleting:
        return ()
    cells = [cell for cell in row.cells if not cell.condemned and cell.pod is not None and cell.state != TERMINATING]
    old = [cell for cell in cells if cell.pod is not None and cell.pod.revision not in (None, update)]
    if sts.strategy == ON_DELETE:
        if not old:
            return ()
        ordinals = ordinal_ranges([cell.ordinal for cell in old])
        message = (
            f"OnDelete: {'ordinal' if len(old) == 1 else 'ordinals'} {ordinals} still"
            f" {'runs' if len(old) == 1 else 'run'} an old revision;"
            " the controller replaces no pod, "
            f"delete {'it' if len(old) == 1 else 'them'} (ctrl+d) to get {update}."
        )
        return (ControllerNote(message, _names(old)),)
    if sts.strategy != ROLLING_UPDATE or sts.pod_management != ORDERED_READY:
        return ()
    partition = sts.partition or 0
    stalled = row.verdict.stalled
    stuck = [
        cell
        for cell in old
        if cell.ordinal - sts.ordinals_start >= partition
        and (cell.state == FAILED or (stalled and cell.state != READY))
    ]
    if not stuck:
        return ()
    names = _names(stuck)
    pods = ", ".join(names)
    they = "it is" if len(names) == 1 else "they are"
    message = (
        f"The controller will not replace {pods}: not Ready on an old revision, and OrderedReady waits "
        f"until {they} Ready (kubernetes#67250, forced rollback). Delete {'it' if len(names) == 1 else 'them'} "
        f"(ctrl+d) to get {update}."
    )
    return (ControllerNote(message, names),)


def staged_rollout(row: SetRow) -> str | None:
    """`partition 3: ordinals 3-4 may update (2 of 5)`: what a partitioned RollingUpdate lets take the update
    revision; None without a partition, or at 0 (every ordinal may: the default, read as progress it was not)."""
    sts = row.set
    if sts.strategy != ROLLING_UPDATE or not sts.partition or sts.partition < 0:
        return None
    start = sts.ordinals_start
    first = start + min(sts.partition, sts.replicas)
    eligible = range(first, start + sts.replicas)
    which = f"ordinals {ordinal_ranges(list(eligible))}" if len(eligible) > 1 else f"ordinal {first}"
    if not eligible:
        return f"partition {sts.partition}: no ordinal may update (0 of {sts.replicas})"
    return f"partition {sts.partition}: {which} may update ({len(eligible)} of {sts.replicas})"


def _names(cells: list[Cell]) -> tuple[str, ...]:
    return tuple(cell.pod.name for cell in sorted(cells, key=lambda cell: cell.ordinal) if cell.pod is not None)
