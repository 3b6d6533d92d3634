"""What the app is given: a source of frames, and replay controls when replaying.

The app reads the fold and the frame time from any source through the same
small protocol; only the replay bar and its keys need the Player's controls.
Live mode (a cluster or the demo cluster) plugs in here without the widgets knowing.
"""

from __future__ import annotations

from collections.abc import Callable, Sized
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Protocol

from stsviz.model import ClusterState
from stsviz.model.rollout import DEFAULT_STALL_SECONDS
from stsviz.settings import Settings


class FrameSource(Protocol):
    """Anything that folds events into a ClusterState and can be polled for more."""

    @property
    def state(self) -> ClusterState: ...

    @property
    def frame_time(self) -> datetime | None: ...

    def tick(self) -> bool:
        """Fold whatever is due now; True when the state changed."""
        ...


class SeekRun(Protocol):
    """A seek's fold (stsviz.sources.replay.player.SeekJob): safe to run on a worker thread."""

    def run(self) -> bool:
        """Fold; False if it stopped because a newer seek made it unwanted."""
        ...


class ReplayControls(FrameSource, Protocol):
    """The replay Player's controls (stsviz.sources.replay.player.Player)."""

    @property
    def recording(self) -> Sized:
        """What is replayed; its length is the number of events."""
        ...

    @property
    def position(self) -> int:
        """How many events have been folded."""
        ...

    @property
    def playing(self) -> bool: ...

    @property
    def speed(self) -> float: ...

    @property
    def offset(self) -> float | None: ...

    @property
    def duration(self) -> float | None: ...

    @property
    def at_end(self) -> bool: ...

    def broken_watches(self) -> dict[str, dict[str, Any]]:
        """The kinds whose watch the recorder marked broken and not open again here, with the breaking mark."""
        ...

    def verdict_time(self, now: datetime | None = None) -> datetime | None:
        """The frame time, stopped where the recorder's watch of the sets or pods broke while it stays broken."""
        ...

    def broken_since(self, resources: tuple[str, ...] | None = None) -> datetime | None:
        """When the first of those broken watches broke, by its mark's time."""
        ...

    def sets_unlisted(self) -> bool:
        """The recorder's first list of StatefulSets is still to play: no row is not "no StatefulSets"."""
        ...

    @property
    def loading(self) -> bool:
        """The recording is still loading: its end is where the load has got."""
        ...

    def toggle(self) -> None: ...
    def play(self) -> None: ...
    def pause(self) -> None: ...
    def set_speed(self, speed: float) -> None: ...
    def step(self, events: int) -> None:
        """Apply (or, negative, take back) whole events; pauses playback."""
        ...

    def seek_index(self, index: int) -> None: ...
    def seek_end(self) -> None: ...

    @property
    def pending(self) -> int | None:
        """The event index a seek in flight will show, or None."""
        ...

    @property
    def pending_offset(self) -> float | None:
        """Where on the timeline a seek in flight will put the playhead, or None."""
        ...

    def mark_here(self) -> dict[str, Any] | None:
        """The recorder's mark the playhead has just passed, no event since; None elsewhere."""
        ...

    @property
    def mark_offsets(self) -> list[float]:
        """Where the recorder's marks are on the timeline, in seconds."""
        ...

    def request_seek(self, index: int) -> SeekRun | None:
        """Seek now if cheap (None), else a fold to run off the UI loop; the latest request wins."""
        ...

    def request_seek_offset(self, seconds: float) -> SeekRun | None:
        """`request_seek` to a point on the timeline (seconds from the first event); the playhead goes there."""
        ...

    def request_jump(self, seconds: float) -> SeekRun | None:
        """`request_seek_offset` this many seconds on (or back) from where the screen is or is going."""
        ...

    def request_step(self, count: int) -> SeekRun | None:
        """`step` as a request: counts from where a pending seek will land; pauses."""
        ...

    def finish_seek(self, job: Any) -> bool:
        """Swap in a job that ran (on the UI loop); False if a newer request made it obsolete."""
        ...

    def cancel_seek(self) -> None:
        """Drop the pending seek; its job stops early."""
        ...


class Loading(Protocol):
    """A recording still loading on another thread (stsviz.sources.replay.formats.RecordingLoad)."""

    @property
    def done(self) -> int:
        """Bytes of the files read so far."""
        ...

    @property
    def total(self) -> int:
        """Bytes of the files in all."""
        ...

    @property
    def finished(self) -> bool: ...

    @property
    def error(self) -> str | None:
        """Why the load failed, one line; None while it runs or once it succeeded."""
        ...

    def warnings(self) -> list[str]:
        """What the load skipped, once it has finished."""
        ...

    def cancel(self) -> None: ...

    def resume(self) -> None:
        """Go on loading: the screen has drawn the first events (a load may wait for that)."""
        ...


class LiveControls(FrameSource, Protocol):
    """A live source the screen follows from a worker (stsviz.ui.live.LiveFrameSource)."""

    async def follow(self, post: Callable[[Any], object]) -> None:
        """Run until cancelled, posting a LiveBatch message now and then."""
        ...

    def push(self, batch: Any) -> None:
        """Take in a LiveBatch the worker posted; the next tick folds it."""
        ...

    def header(self) -> str:
        """How fresh the picture is, in a few words, for the header."""
        ...

    def recording(self) -> str | None:
        """What is being recorded, for the header's end; None when nothing is."""
        ...

    def freshness(self) -> tuple[Any, float]:
        """The source's status (sources.live.freshness.SourceStatus) and the clock it is measured on."""
        ...

    def problem(self) -> str | None:
        """Why the picture is not current, in the words `--plain` uses; None while it is."""
        ...

    def retrying(self) -> str:
        """When the next attempt is ("Retrying in 27s."), and why no credentials were sent if that is why."""
        ...

    def stale(self) -> bool:
        """Whether the rows are not current (their kinds are not being watched)."""
        ...

    def describe(self) -> str:
        """What is watched: the context and the scope."""
        ...

    def switch(self, source: Any) -> None:
        """Follow another live source (sources.live.source.LiveSource) from now on, from a fresh fold."""
        ...

    @property
    def source(self) -> Any:
        """The live source followed now (sources.live.source.LiveSource)."""
        ...

    def failure(self, error: BaseException) -> str:
        """Why following stopped for good, as one line safe to show."""
        ...

    def not_current(self, resource: str) -> str | None:
        """Why one kind ("events", "persistentvolumeclaims") is not current, or None if it is."""
        ...


@dataclass(frozen=True)
class AppSetup:
    """Everything the app needs to start, whatever feeds it."""

    mode: str  # shown in the header: "replay" or "live" (the demo is live mode on the demo cluster)
    description: str  # what is shown: the files replayed, or the context watched
    source: FrameSource
    replay: ReplayControls | None = None  # the same object as `source` when replaying
    live: LiveControls | None = None  # the same object as `source` when live
    read_only: bool = False  # mutating actions are refused (live mode's --read-only)
    stall_seconds: float = DEFAULT_STALL_SECONDS
    fps: float = 30.0  # at most this many redraws a second
    warnings: tuple[str, ...] = ()  # what loading skipped (replay): a notification, and listed in help
    notes: tuple[str, ...] = ()  # listed in help: how to reach the demo cluster with kubectl
    loading: Loading | None = None  # a replay whose recording is still loading: a progress bar until it ends
    settings: Settings = field(default_factory=Settings)  # the settings file: read-only and protected contexts
    # Told every change sent and its outcome (the recorder writes them as markers).
    action_listeners: tuple[Callable[[Any, str, bool], None], ...] = ()
