"""The pure domain of stsviz: slim records, cell rules, rollout verdicts and the fold.

Nothing here does I/O or imports Textual or the Kubernetes client: sources feed
`WatchEvent`s in, views read `Frame`s out, and tests drive it directly.
"""

from stsviz.model.cells import CELL_STATES, cell_state
from stsviz.model.events import Change, WatchEvent
from stsviz.model.frame import Cell, CellCache, Frame, SetRow, build_frame, build_row
from stsviz.model.records import Claim, Event, Pod, StatefulSet
from stsviz.model.rollout import Verdict, kubectl_status, verdict
from stsviz.model.state import ClusterState

__all__ = [
    "CELL_STATES",
    "Cell",
    "CellCache",
    "Change",
    "Claim",
    "ClusterState",
    "Event",
    "Frame",
    "Pod",
    "SetRow",
    "StatefulSet",
    "Verdict",
    "WatchEvent",
    "build_frame",
    "build_row",
    "cell_state",
    "kubectl_status",
    "verdict",
]
