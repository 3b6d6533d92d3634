"""Player: plays a Recording into a ClusterState with play/pause, speed, step and seek.

The playhead is an offset in seconds on the recording's axis; `position` is how
many events have been folded into `state`. While playing, `tick()` moves the
playhead by (clock delta x speed) and folds every event that has become due.
Time only comes from the injected `clock`, so tests and snapshots drive it.

Seeking uses keyframes: a `ClusterState.copy()` kept every `checkpoint_every`
events (KEYFRAME_EVERY, spread out past MAX_KEYFRAMES) as the fold passes
them. A seek starts from the newest keyframe at or before the target (or from
the current state when that is nearer, going forward), so it costs one copy
plus at most one interval of folded events once the keyframes up to the
target exist. When `state` is replaced that way
`refolds` goes up: a view redraws everything then, not only `state.take_dirty()`.

A seek can also be split so the fold runs elsewhere (the screen runs it in a
thread): `request_seek` returns a `SeekJob` (or None when folding on a few
events now is cheaper than a thread), `SeekJob.run` folds into a state nothing
else holds, and `finish_seek` swaps it in. Only the latest request is
pending: an older job stops at its next check and is never swapped in, and
`tick()` folds nothing while a seek is pending, so playback never folds into a
state about to be replaced.

A recording may still be loading (formats.RecordingLoad on another thread):
the player plays and seeks within what has loaded (`len(recording)`), waits at
its end instead of stopping, and spaces its keyframes for the whole recording
once it is complete.
"""

from __future__ import annotations

import gc
import math
import re
import time
from bisect import bisect_right
from collections.abc import Callable, Sequence
from contextlib import nullcontext
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from itertools import islice
from typing import Any

from stsviz.model.events import Change
from stsviz.model.state import ClusterState
from stsviz.model.times import parse_rfc3339, rfc3339
from stsviz.sources.heap import gc_paused
from stsviz.sources.replay.errors import ReplayInputError
from stsviz.sources.replay.formats import FREEZE_EVENTS
from stsviz.sources.replay.recording import Recording

MIN_SPEED = 0.25
MAX_SPEED = 64.0
# A keyframe per this many events at least, and at most MAX_KEYFRAMES in all.
# Measured (2026-12-01, shared 2-core machine, real recordings replicated):
# a fold costs ~2-4 us/event, so 10,000 events is ~20-45 ms of folding per
# seek, well under the 200 ms goal even with the copy; a keyframe costs its flat
# indexes plus what changes after it (copy-on-write: ~1.3 MB on average over
# 1,000,000 events), so more of them would cost memory for little gain. Past
# 1,000,000 events they spread out.
KEYFRAME_EVERY = 10_000
MAX_KEYFRAMES = 100
# A seek that folds at most this many events without a copy (~9 ms) runs where it
# is asked: a thread's round trip would only make steps on a small recording lag.
INLINE_EVENTS = 2_000
# A job's fold looks at whether it is still wanted this often (events).
_CHECK_EVERY = 1_000
# Folding more events than this at once runs with the cycle collector paused.
_BULK = 5_000


@dataclass(slots=True, frozen=True)
class SeekTarget:
    """Where `--at` points: the end, an offset in seconds from the start, or a wall time."""

    end: bool = False
    offset: float | None = None
    time: datetime | None = None

    def __str__(self) -> str:
        """As the user would write it (the time in stsviz's form)."""
        if self.offset is not None:
            return f"+{self.offset:g}"
        return rfc3339(self.time) or "end"


# What the rows say before the recording's first list of pods has played (live says "listing" then too).
PODS_LISTING = "listing (the recording's first list of pods is still playing)"
AT_HELP = "expected end, +SECONDS or an RFC3339 time such as 2026-11-25T14:11:35Z"
AT_MAX_SECONDS = 10 * 365 * 86400
_SECONDS = re.compile(r"(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][+-]?[0-9]+)?", re.ASCII)


def parse_at(value: str) -> SeekTarget:
    """Parse `--at end|+SECONDS|RFC3339`; ReplayInputError with a one-line message if it is neither."""
    text = value.strip()
    if text.lower() == "end":
        return SeekTarget(end=True)
    if text.startswith("+"):
        # ASCII digits only: float() also takes "1_000", " 5" and fullwidth digits.
        if not _SECONDS.fullmatch(text[1:]):
            raise ReplayInputError(f"--at {value!r}: {AT_HELP}")
        seconds = float(text[1:])
        if seconds > AT_MAX_SECONDS:  # no recording is that long; its time would not be a date either
            raise ReplayInputError(f"--at {value!r}: more than ten years into a recording; use end")
        return SeekTarget(offset=seconds)
    moment = parse_rfc3339(text)
    if moment is not None:
        return SeekTarget(time=moment)
    # Say which part is wrong: a missing zone is the usual slip.
    try:
        zone = datetime.fromisoformat(text).tzinfo
    except ValueError:
        raise ReplayInputError(f"--at {value!r}: {AT_HELP}") from None
    if zone is None:
        raise ReplayInputError(f"--at {value!r}: the time needs a zone, such as Z or +02:00")
    raise ReplayInputError(f"--at {value!r}: out of range")  # 0001-01-01T00:00:00+01:00 has no UTC time


class Player:
    """Owns the replayed ClusterState and the playhead; the screen calls `tick()` on its timer."""

    def __init__(
        self,
        recording: Recording,
        *,
        clock: Callable[[], float] = time.monotonic,
        speed: float = 1.0,
        checkpoint_every: int | None = None,
    ) -> None:
        self.recording = recording
        self._events = recording.events
        self._offsets = recording.offsets
        self._clock = clock
        self.state = ClusterState()
        self.refolds = 0  # how many times `state` was replaced by a refold
        self._position = 0
        self._offset = 0.0
        self._playing = False
        self._speed = _clamp_speed(speed)
        # While playing, the playhead is anchor_offset + (clock() - anchor_clock) * speed.
        self._anchor_clock = 0.0
        self._anchor_offset = 0.0
        count = len(recording)
        self._spaced = checkpoint_every is not None or recording.complete  # keyframe spacing is final
        self._checkpoint_every = checkpoint_every or _keyframe_every(count)
        self._checkpoints: dict[int, ClusterState] = {}  # the keyframes, by position; never folded into
        self._time_keys: list[float] | None = None
        self._mark_offsets: list[float] = []
        self._marks_placed = (0, 0, True)  # (marks, events loaded, loading) when _mark_offsets was made
        self._pending: SeekJob | None = None  # the latest seek requested and not yet swapped in
        self._lists_end: dict[str, int] = {}  # see _first_list_end
        # broken_watches' scan: marks read, what they left broken, at which (position, offset).
        self._broken_scan: tuple[int, dict[str, dict[str, Any]], tuple[int, float]] = (0, {}, (0, 0.0))
        self._marks_searched = 0
        # Kept keyframes are frozen out of the cycle collector's sight (gc.freeze: a constant-time
        # move) on a recording big enough for the loader to freeze it too. Measured at 1,000,000
        # events: 100 keyframes are millions of tracked dicts, and each full collection walked
        # them all, ~1 s, in a seek or on the UI loop (seek p95 ~760 ms, 40 ms typical). Frozen,
        # they are still freed by refcount; keyframes hold no cycles.
        self._freeze_keyframes = count >= FREEZE_EVENTS

    # -- what the screen shows ------------------------------------------------

    @property
    def position(self) -> int:
        """Number of events folded into `state`."""
        return self._position

    @property
    def offset(self) -> float:
        """The playhead, in seconds from the first event (as of the last tick or seek)."""
        return self._offset

    @property
    def pending(self) -> int | None:
        """The event index a seek in flight will show, or None when no seek is pending."""
        return self._pending.index if self._pending is not None else None

    @property
    def pending_offset(self) -> float | None:
        """Where on the timeline a seek in flight will put the playhead, or None when none is pending."""
        return self._pending.offset if self._pending is not None else None

    @property
    def duration(self) -> float:
        return self.recording.duration

    @property
    def playing(self) -> bool:
        return self._playing

    @property
    def loading(self) -> bool:
        """The recording is still being read: its end is where the load has got."""
        return not self.recording.complete

    @property
    def speed(self) -> float:
        return self._speed

    @property
    def at_end(self) -> bool:
        """Every event is in, and the playhead is at the end of the timeline (which a recorder's last mark
        may put after the last event: the watching went on, and nothing happened)."""
        return self._position >= len(self.recording) and self._offset >= self.duration

    @property
    def mark_offsets(self) -> list[float]:
        """Where the recorder's marks (disconnect, relist, gap, action...) are on the timeline, in seconds."""
        marks, loaded = self.recording.marks, len(self.recording)
        # Again when more has loaded: the loader hands marks over before it raises `loaded`, so a mark
        # read in between sits at the end of what had loaded until then.
        placed = (len(marks), loaded, self.loading)
        if self._marks_placed != placed:
            self._marks_placed = placed
            self._mark_offsets = [self._place(index, mark, loaded) for index, mark in marks]
        return self._mark_offsets

    def mark_here(self) -> dict[str, Any] | None:
        """The recorder's mark the playhead has just passed, with no event since (stepping or clicking onto
        a ◆ lands here): the status bar says what it was. None elsewhere."""
        marks, offsets = self.recording.marks, self.mark_offsets
        # Marks are in file order, so by events before them: the ones right after the event shown end here.
        index = bisect_right(marks, self._position, hi=len(offsets), key=lambda entry: entry[0]) - 1
        while index >= 0 and marks[index][0] == self._position:
            if offsets[index] <= self._offset:
                return marks[index][1]
            index -= 1
        return None

    def broken_watches(self) -> dict[str, dict[str, Any]]:
        """The kinds whose watch the recorder marked broken and not open again at the playhead, each with the
        mark that broke it: what the live screen showed as stale then (and what replay now shows so)."""
        marks, offsets = self.recording.marks, self.mark_offsets
        passed = bisect_right(marks, self._position, hi=len(offsets), key=lambda entry: entry[0])
        # Asked for every frame: the scan goes on from where the last one stopped while the playhead
        # moves forward (a recording of a day has thousands of marks), and starts over when it goes back.
        here = (self._position, self._offset)
        index, broken, then = self._broken_scan
        if here < then:
            index, broken = 0, {}
        while index < passed:
            before, mark = marks[index]
            if before == self._position and offsets[index] > self._offset:
                break  # after the event shown, but ahead of the playhead still
            index += 1
            kind, resource = mark.get("mark"), mark.get("resource")
            if not isinstance(resource, str):
                continue
            if kind == "disconnect":
                broken.setdefault(resource, mark)
            elif kind in ("reconnect", "list", "relist"):
                broken.pop(resource, None)
        self._broken_scan = (index, broken, here)
        return broken

    def _place(self, index: int, mark: dict[str, Any], loaded: int) -> float:
        """Where a mark goes on the timeline: at its own time with receive times (merged files' marks
        included), else after the events before it."""
        before = self._offsets[min(index, loaded) - 1] if index and loaded else 0.0
        if index >= loaded and self.loading:
            return before  # the events after it have not loaded yet
        at = self.recording.offset_of(mark)
        return before if at is None else min(max(at, 0.0), self.duration)

    @property
    def frame_time(self) -> datetime | None:
        """What "now" is in the replayed cluster: the playhead's wall time (None before any event).

        With receive times, the playhead's: between two events time goes on, so
        ages grow and a rollout with nothing happening turns stalled, as it did
        live. Without them (a kubectl capture plays at an even pace) only the
        objects tell the time: the last folded event's.
        """
        if not self._position:
            return None
        last = self._events[self._position - 1].time
        start = self._start
        if start is None or last is None:
            return last
        return max(last, start + timedelta(seconds=self._offset))

    def verdict_time(self, now: datetime | None = None) -> datetime | None:
        """`now` (the frame time), stopped where the recorder's watch of the sets or pods broke while it stays
        broken: live, the verdicts' clock stopped there, so a rollout out of sight did not turn stalled."""
        now = self.frame_time if now is None else now
        since = self.broken_since(("statefulsets", "pods"))
        return min(now, since) if now is not None and since is not None else now

    def broken_since(self, resources: tuple[str, ...] | None = None) -> datetime | None:
        """When the first of the broken watches (of `resources`, or any) broke, by its mark's time; None if
        none is broken, or none of their marks has a time."""
        broken = self.broken_watches()
        marks = [mark for kind, mark in broken.items() if resources is None or kind in resources]
        times = [time for time in (parse_rfc3339(mark.get("ts")) for mark in marks) if time is not None]
        return min(times, default=None)

    @property
    def _start(self) -> datetime | None:
        """The wall time the timeline counts from, for a recording with receive times."""
        recording = self.recording
        return recording.start if recording.timed and len(recording) else None

    # -- transport --------------------------------------------------------------

    def play(self) -> None:
        if self._playing:
            return
        if self.at_end and not self.loading:
            self.seek_index(0)  # play at the end starts over, as media players do
            if self.at_end:
                return  # nothing to play
        self._playing = True
        self._anchor(self._offset)

    def pause(self) -> None:
        """Stop where the last tick left the playhead: the screen keeps what it shows."""
        self._playing = False

    def toggle(self) -> None:
        if self._playing:
            self.pause()
        else:
            self.play()

    def set_speed(self, speed: float) -> None:
        """Clamped to MIN_SPEED..MAX_SPEED; playback continues from where it is now."""
        if self._playing:
            self._anchor(self._playhead())
        self._speed = _clamp_speed(speed)

    def tick(self) -> bool:
        """Fold every event due at the clock's time. True if the state or `playing` changed."""
        loading = self._follow_load()
        if not self._playing or self._pending is not None:
            return False  # a pending seek replaces `state`: folding into it now would be lost
        playhead = self._playhead()
        duration = self.duration
        if playhead > duration:
            playhead = duration
            if loading:
                self._anchor(duration)  # wait at what has loaded, and go on from there when more comes
        # The frame's time moves on between events: a new second is a new frame (ages, stalled).
        changed = int(playhead) != int(self._offset) and self._start is not None
        self._offset = playhead
        end = bisect_right(self._offsets, playhead, lo=self._position, hi=len(self.recording))
        if end > self._position:
            self._fold_to(end)
            changed = True
        if self.at_end and not loading:
            self._playing = False  # reached the end: stop rather than spin
            changed = True
        return changed

    def _follow_load(self) -> bool:
        """Whether the recording is still loading; once it is complete, keyframes are spaced for its size."""
        if self._spaced:
            return False
        recording = self.recording
        if not recording.complete:
            return True
        self._spaced = True
        count = len(recording)
        # Keep the keyframes taken while loading that fall on the new spacing (a multiple of the old).
        every = self._checkpoint_every
        every = -(-_keyframe_every(count) // every) * every
        self._checkpoint_every = every
        self._checkpoints = {position: state for position, state in self._checkpoints.items() if position % every == 0}
        self._freeze_keyframes = count >= FREEZE_EVENTS
        return False

    # -- stepping and seeking -----------------------------------------------------

    def step(self, count: int = 1) -> None:
        """Apply (or, negative, take back) whole events; pauses playback."""
        self.pause()
        self.seek_index(self._stepped(count))

    def _stepped(self, count: int) -> int:
        """Where a step of `count` events lands: never before the start, which is where `g`, `0` and
        `--at +0` go (every event of the first moment folded; before it no set exists yet)."""
        target = self._target() + count
        return max(target, min(self._at(0.0)[0], self._target())) if count < 0 else target

    def seek_index(self, index: int) -> None:
        """Show the state after the first `index` events."""
        index = max(0, min(index, len(self.recording)))
        offset = self._offset_of_index(index, self._position, self._offset)
        self._move_to(index)
        self._set_offset(offset)

    def _offset_of_index(self, index: int, now_index: int, now_offset: float) -> float:
        """Where the playhead goes for "after `index` events": on that event, or where it is when a step
        forward finds no event left (past the last one, the watching went on: it stays, not back)."""
        offset = self._offsets[index - 1] if index else 0.0
        if index == now_index == len(self.recording):
            offset = max(offset, now_offset)
        return offset

    def seek_offset(self, seconds: float) -> None:
        """Move the playhead; every event at or before it is applied."""
        index, seconds = self._at(seconds)
        self._move_to(index)
        self._set_offset(seconds)

    def _at(self, seconds: float) -> tuple[int, float]:
        """A moment on the timeline, kept within the recording, and how many events are at or before it."""
        seconds = max(0.0, min(float(seconds), self.duration))
        return bisect_right(self._offsets, seconds, hi=len(self.recording)), seconds

    def seek_time(self, moment: datetime) -> None:
        """Show the state after the last event with time <= `moment` (naive means UTC).

        Events with no known time (before the first timestamp of an untimed
        capture) count as earlier than any time.
        """
        if moment.tzinfo is None:
            moment = moment.replace(tzinfo=UTC)
        index = bisect_right(self._times(), moment.timestamp())
        self._move_to(index)
        start = self.recording.start
        if self.recording.timed and start is not None:
            # The playhead goes where asked (between events), not back to the last event.
            seconds = (moment - start).total_seconds()
            low = self._offsets[index - 1] if index else 0.0
            high = self._offsets[index] if index < len(self.recording) else self.duration
            self._set_offset(max(low, min(seconds, high)))
        else:
            self._set_offset(self._offsets[index - 1] if index else 0.0)

    def seek_end(self) -> None:
        self._move_to(len(self.recording))
        self._set_offset(self.duration)

    def seek_at(self, target: SeekTarget) -> str | None:
        """Go where `parse_at` pointed; outside the recording, to its start or end, and say so (one line)."""
        if target.end:
            self.seek_end()
            return None
        if target.offset is not None:
            self.seek_offset(target.offset)
            if target.offset > self.duration and len(self.recording):
                return f"--at {target}: the recording is {self.duration:.1f}s long; showing its end"
            return None
        moment = target.time
        if moment is None:
            return None
        start, end = self.recording.start, self.recording.end
        if start is not None and self.recording.timed:
            end = start + timedelta(seconds=self.duration)  # the timeline's end: a mark may come after the last event
        if start is not None and moment < start:
            self.seek_offset(0.0)
            return f"--at {target}: before the recording starts ({rfc3339(start)}); showing its start"
        self.seek_time(moment)
        if end is not None and moment > end:
            return f"--at {target}: after the recording ends ({rfc3339(end)}); showing its end"
        return None

    def asked_time(self, target: SeekTarget) -> datetime | None:
        """The wall time `target` names, if it names one: a time, or an offset into a recording with receive times."""
        if target.time is not None:
            return target.time
        start = self._start
        if target.offset is not None and start is not None:
            return start + timedelta(seconds=target.offset)
        return None

    # -- internals ----------------------------------------------------------------

    def _playhead(self) -> float:
        return self._anchor_offset + (self._clock() - self._anchor_clock) * self._speed

    def _anchor(self, offset: float) -> None:
        self._anchor_clock = self._clock()
        self._anchor_offset = offset

    def _set_offset(self, seconds: float) -> None:
        self._offset = seconds
        if self._playing:
            self._anchor(seconds)

    def _move_to(self, index: int) -> None:
        """Show the state after `index` events now, on this thread (the bounded way, from a keyframe)."""
        self._pending = None  # a synchronous seek is the latest request: any job in flight is dropped
        job = self._plan(index, 0.0)
        if job is None:
            self._fold_to(index)
        else:
            job.run()
            self._swap(job)

    def _target(self) -> int:
        """Where the screen will be once the pending seek lands: steps count from there."""
        return self._pending.index if self._pending is not None else self._position

    def _plan(self, index: int, offset: float) -> SeekJob | None:
        """A job that reaches `index` from the best keyframe, or None to fold on from `state`."""
        job = self._plan_from_keyframes(index, offset)
        position = self._position
        if position <= index and (job.start <= position or index - position <= self._checkpoint_every):
            return None  # the current state is as near as any keyframe (or near enough): fold on from it
        return job

    def _swap(self, job: SeekJob) -> None:
        assert job.state is not None
        self._keep_keyframes(job)
        self.state = job.state
        self._position = job.index
        self.refolds += 1
        self._note_listing()

    def _note_listing(self) -> None:
        """Before the recording's first list of pods has played out, its pods are not known yet: the rows say
        so (`?` cells, "pods not read yet"), as live mode does while it lists, not "missing"."""
        listed = self._first_list_end("pods")
        unread = listed is not None and self._position < listed
        self.state.note_pods_unread(PODS_LISTING if unread else None)

    def sets_unlisted(self) -> bool:
        """Whether the recorder's first list of StatefulSets is still to play here: no row yet is not "no
        StatefulSets" (False for a kubectl capture, which has no lists)."""
        listed = self._first_list_end("statefulsets")
        return listed is not None and self._position < listed

    def _first_list_end(self, resource: str) -> int | None:
        """How many events in the recorder's first list of `resource` (or the snapshot opening a part) ends;
        None for a kubectl capture (no marks), or while the load has not reached it."""
        marks = self.recording.marks
        while resource not in self._lists_end and self._marks_searched < len(marks):
            before, mark = marks[self._marks_searched]
            self._marks_searched += 1
            objects = mark.get("objects")
            if type(objects) is not int:
                continue
            if mark.get("mark") == "snapshot":  # every kind at once
                for kind in ("statefulsets", "pods"):
                    self._lists_end.setdefault(kind, before + objects)
            elif mark.get("mark") == "list" and isinstance(mark.get("resource"), str):
                self._lists_end.setdefault(mark["resource"], before + objects)
        return self._lists_end.get(resource)

    def _keep_keyframes(self, job: SeekJob) -> None:
        added = False
        every = self._checkpoint_every  # a job planned before the load completed may have taken more
        for position, keyframe in job.keyframes.items():
            if position % every == 0:
                added |= self._checkpoints.setdefault(position, keyframe) is keyframe
        if added and self._freeze_keyframes:
            gc.freeze()

    # -- seeking off this thread ---------------------------------------------------

    def request_seek(self, index: int) -> SeekJob | None:
        """Ask for the state after `index` events; the latest request wins.

        None: it was cheap (a short fold, no copy: INLINE_EVENTS) and is shown already.
        Else the returned job must be `run()` (any thread) and then handed to
        `finish_seek` on this thread; until then `pending` says where it goes,
        `tick()` folds nothing, and a newer request makes this one obsolete.
        Playing goes on from the new place once it is swapped in.
        """
        self._follow_load()
        index = max(0, min(index, len(self.recording)))
        pending = self._pending
        now_offset = pending.offset if pending is not None else self._offset
        return self._request(index, self._offset_of_index(index, self._target(), now_offset))

    def request_seek_offset(self, seconds: float) -> SeekJob | None:
        """`request_seek` to a point on the timeline, in seconds from the first event.

        The events at or before it are shown and the playhead is put there (not
        back on the last event), so jumps of a few seconds through a quiet stretch
        move on instead of landing on the same event again.
        """
        self._follow_load()
        return self._request(*self._at(seconds))

    def request_jump(self, seconds: float) -> SeekJob | None:
        """`request_seek_offset` this many seconds on (negative: back) from where the screen is or is going."""
        target = self._pending.offset if self._pending is not None else self._offset
        return self.request_seek_offset(target + seconds)

    def _request(self, index: int, offset: float) -> SeekJob | None:
        if self._pending is None and self._position <= index <= self._position + INLINE_EVENTS:
            self._fold_to(index)  # a step or a short hop forward: quicker than a thread's round trip
            self._set_offset(offset)
            return None
        # The state on show may be folded into by the UI loop: a job starts from a keyframe (never
        # changed after it is taken) or from nothing.
        job = self._plan_from_keyframes(index, offset)
        if job.base is None and index <= INLINE_EVENTS:
            job.run()  # near the start (or a small recording): no copy and a short fold
            self._pending = None
            self._swap(job)
            self._set_offset(offset)
            return None
        self._pending = job
        job.wanted = lambda: self._pending is job
        return job

    def request_step(self, count: int) -> SeekJob | None:
        """`step` as a request (it pauses too): counts from where the pending seek, if any, will land."""
        self.pause()
        return self.request_seek(self._stepped(count))

    def finish_seek(self, job: SeekJob) -> bool:
        """Swap in a job that ran; False (nothing changes) if a newer request made it obsolete."""
        if job.state is not None:
            self._keep_keyframes(job)  # valid whoever asked: they spare the next seek the fold
        if job is not self._pending or job.state is None:
            return False
        self._pending = None
        self._swap(job)
        self._set_offset(job.offset)
        return True

    def cancel_seek(self) -> None:
        """Drop the pending seek: its job stops at its next check and is never swapped in."""
        self._pending = None

    def _plan_from_keyframes(self, index: int, offset: float) -> SeekJob:
        """A job from the newest keyframe at or before `index` (or from an empty state)."""
        every = self._checkpoint_every
        mark = (index // every) * every
        while mark > 0 and mark not in self._checkpoints:
            mark -= every
        base = self._checkpoints.get(mark) if mark > 0 else None
        return SeekJob(index, offset, self._events, base, mark, every, self._checkpoints.keys() | set())

    def _fold_to(self, index: int) -> None:
        events = self._events
        every = self._checkpoint_every
        position = self._position
        with gc_paused() if index - position > _BULK else nullcontext():
            while position < index:
                stop = min(index, (position // every + 1) * every)
                apply = self.state.apply_change
                for change in events[position:stop]:
                    apply(change)
                position = stop
                if position % every == 0 and position not in self._checkpoints:
                    self._checkpoints[position] = self.state.copy()
                    if self._freeze_keyframes:
                        gc.freeze()
        self._position = position
        self._note_listing()

    def _times(self) -> list[float]:
        """Per event, the newest known wall time so far as POSIX seconds (-inf before any)."""
        count = len(self.recording)
        if self._time_keys is None or len(self._time_keys) != count:  # none yet, or more has loaded
            keys: list[float] = []
            newest = -math.inf
            last = None
            for event in islice(self._events, count):
                moment = event.time
                if moment is not None and moment is not last:
                    last = moment
                    seconds = moment.timestamp()
                    if seconds > newest:
                        newest = seconds
                keys.append(newest)
            self._time_keys = keys
        return self._time_keys


@dataclass(slots=True, eq=False)
class SeekJob:
    """One seek's fold: `base` (a keyframe, or empty) copied, then events[start:index] folded.

    `run` touches nothing but its own new state, so it may run on any thread;
    the keyframes it passes are kept in `keyframes` for the player to take.
    """

    # Only the positions are in its repr: the events are the whole recording (Textual describes
    # a worker by the repr of its work: 2.3 s on the UI loop at 200,000 events, before this).
    index: int
    offset: float
    events: Sequence[Change] = field(repr=False)
    base: ClusterState | None = field(repr=False)
    start: int
    every: int
    known: set[int] = field(repr=False)  # keyframe positions the player has already
    wanted: Callable[[], bool] = field(default=lambda: True, repr=False)
    state: ClusterState | None = field(default=None, repr=False)  # set when `run` finished; None if unwanted
    keyframes: dict[int, ClusterState] = field(default_factory=dict, repr=False)

    def run(self) -> bool:
        """Fold to `index`; False if it stopped early because a newer seek made it unwanted."""
        if not self.wanted():
            return False  # overtaken before it started (keys pressed in a row): not even the copy
        state = self.base.copy() if self.base is not None else ClusterState()
        apply = state.apply_change
        events, every, wanted = self.events, self.every, self.wanted
        position = self.start
        while position < self.index:
            if not wanted():
                return False
            stop = min(self.index, position + _CHECK_EVERY, (position // every + 1) * every)
            for change in events[position:stop]:
                apply(change)
            position = stop
            if position % every == 0 and position not in self.known:
                self.keyframes[position] = state.copy()
        self.state = state
        return True


def _keyframe_every(count: int) -> int:
    return max(KEYFRAME_EVERY, -(-count // MAX_KEYFRAMES))


def _clamp_speed(speed: float) -> float:
    if not isinstance(speed, (int, float)) or math.isnan(speed):
        return 1.0
    return max(MIN_SPEED, min(float(speed), MAX_SPEED))
