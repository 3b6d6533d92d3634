"""Replay: recordings and kubectl captures played back into a ClusterState.

`load_recording` reads and merges files into a `Recording`; `Player` plays it
with a clock that is passed in. Nothing here imports Textual: the screen drives
a Player from its own timer.
"""

from stsviz.sources.replay.errors import ReplayInputError
from stsviz.sources.replay.formats import PACE, load_recording
from stsviz.sources.replay.player import MAX_SPEED, MIN_SPEED, Player, SeekTarget, parse_at
from stsviz.sources.replay.recording import Recording

__all__ = [
    "MAX_SPEED",
    "MIN_SPEED",
    "PACE",
    "Player",
    "Recording",
    "ReplayInputError",
    "SeekTarget",
    "load_recording",
    "parse_at",
]
