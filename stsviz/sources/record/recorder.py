"""The flight recorder: a live source's raw stream written to an stsviz v1 file, crash-safe and redacted.

`Recorder` is the live source's `Tap`. On the event loop it only puts what it
is handed on a bounded queue (a slow disk must never stall the watches); a
writer thread prunes and redacts each object (`redact.py`), keeps the last
written form of every object, and appends one complete line per `os.write`:

- a header per part (format 1, recording id, part number, start time, the
  redaction settings, and what the command adds: stsviz version, context,
  server version, scope);
- events `{"seq", "ts", "type", "object"}`, `ts` the receive time in UTC
  milliseconds;
- MARK lines: `list`/`relist` (then the difference between the list and what
  the file already holds, as ADDED, MODIFIED and DELETED, so replay folds to
  the list exactly as the live source does), `disconnect`, `reconnect`,
  `gap` (events lost: the queue was full, the disk refused, or the recorder
  was stopped before it could write them), `snapshot`
  (a new part begins with every object as ADDED, so each part replays alone),
  `start` (a recorder session appending to a file), and any mark the caller
  adds (`mark()`, for the user's actions later).

With `rotate_size`, the file is rotated once what its part recorded after its
opening (the header, and the snapshot of a rotated part) reaches that size, or
the size of that opening if it is larger: each part holds at least
`rotate_size` of new lines, and at least as much as its snapshot, so the
snapshots of a big namespace are at most half of what is written. Once
`close()` is asked the file is not rotated again. The new part is written (header, snapshot) and
synced under a temporary name and renamed into place (files.py), so FILE
always begins with a header. After each rotation the parts older than the
newest `keep` are removed (plain or gzipped), so `keep` holds while
compression lags; one compressor thread gzips the closed parts that are left
in the order they were written (a part already pruned is not compressed), and
the part it is compressing is never removed under it.

Durability: lines go to the kernel as they are written (no user-space
buffer), the file is fsynced every `fsync_interval` and after each MARK, and
a write that fails part way is truncated back to the last whole line. The
file and every rotated part are 0600 (files.py). A failure of the disk (ENOSPC,
EIO) costs the events it could not hold, counted in a gap marker once the
disk takes writes again, and a warning; never an exception into the watches.

Stopping (`close()`) never blocks on the queue and returns within one
deadline, `drain_timeout` (10 s) + CLOSE_MARGIN (5 s): the writer thread, which
alone writes the file, writes what is queued for at most `drain_timeout`,
counts the rest in a gap marker, writes the `stop` mark and syncs; the
compressor goes on until the same deadline, and a part it has not finished
stays plain (the next recorder compresses it). The file, and its lock, is
closed when both are done. A thread stuck in a write on a stalled disk is left
to finish it.
"""

from __future__ import annotations

import contextlib
import logging
import os
import queue
import secrets
import threading
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import orjson

from stsviz.model.text import printable_line
from stsviz.sources.parts import existing_parts, next_part_path, part_path
from stsviz.sources.record.files import (
    CompressionStopped,
    RecordFileError,
    compress_part,
    create_next_part,
    fsync_directory,
    next_part_number,
    open_recording,
    read_lines,
)
from stsviz.sources.record.redact import new_salt, redact

log = logging.getLogger("stsviz.record")

FORMAT_VERSION = 1
# Items waiting for the writer: at ~1 KB a pruned event, tens of MB at most; a
# list counts as one item. Enough for a burst of a 3,000-pod relist many times over.
QUEUE_LIMIT = 50_000
FSYNC_INTERVAL = 1.0
# After a failed write, the next attempt waits this long: a full disk is not retried per event.
RETRY_INTERVAL = 1.0
# Once close() is asked, the writer goes on writing what is queued for at most this long (a SIGTERM's
# grace period is 30 s in Kubernetes); what is left then is counted lost in a gap marker.
DRAIN_TIMEOUT = 10.0
# How much longer than DRAIN_TIMEOUT close() waits in all: for a writer stuck in one write (a stalled disk),
# and for the compressor still working on the rotated parts, before leaving them.
CLOSE_MARGIN = 5.0

_KINDS = {
    "statefulsets": "StatefulSet",
    "pods": "Pod",
    "persistentvolumeclaims": "PersistentVolumeClaim",
    "events": "Event",
    "controllerrevisions": "ControllerRevision",
    "persistentvolumes": "PersistentVolume",
}
_STOP = ("stop",)

Write = Callable[[int, Any], int]
ObjectKey = tuple[str, str]  # (namespace, name)


def utc_millis(when: datetime) -> str:
    """2026-11-25T10:00:00.500Z: what replay reads as a receive time."""
    return when.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.") + f"{when.microsecond // 1000:03d}Z"


class Recorder:
    """Record a live source's stream into `path` (see the module docstring); `start()`, then `close()`."""

    def __init__(
        self,
        path: str | Path,
        *,
        header: dict[str, Any] | None = None,
        redacted: bool = True,
        rotate_size: int | None = None,
        keep: int = 5,
        queue_limit: int = QUEUE_LIMIT,
        fsync_interval: float = FSYNC_INTERVAL,
        drain_timeout: float | None = None,
        write: Write = os.write,
        clock: Callable[[], float] = time.monotonic,
        wall: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self.path = Path(path)
        self.extra_header = dict(header or {})
        self.redacted = redacted
        self.rotate_size = rotate_size
        self.keep = keep
        self.fsync_interval = fsync_interval
        self.drain_timeout = DRAIN_TIMEOUT if drain_timeout is None else drain_timeout
        self._write_fn = write
        self._clock = clock
        self._wall = wall
        self._salt = new_salt() if redacted else None
        self.recording_id = secrets.token_hex(8)
        self._queue: queue.Queue[tuple[Any, ...]] = queue.Queue(queue_limit)
        self._dropped = 0  # events the queue had no room for, not yet reported (producer side)
        self._dropped_lock = threading.Lock()
        self._thread: threading.Thread | None = None  # the writer; it owns `_fd` and closes it as it ends
        self._closing = False
        self._stopping = threading.Event()  # close() was asked: the writer drains the queue and ends
        self._drain_until = 0.0  # by `clock`: what is still queued then is counted lost
        # Rotated parts waiting to be compressed, oldest first, for the one compressor thread. One
        # thread in the order written: pruning after part N removes only parts up to N, all of them
        # compressed already (threads taking turns at a lock did not keep the order, and a later part's
        # pruning removed one still waiting: "cannot compress", a .gz.tmp left, more than `keep` parts).
        self._compress_queue: queue.Queue[tuple[Path, int] | None] = queue.Queue()
        self._compressor: threading.Thread | None = None
        self._abandon = threading.Event()  # close()'s deadline passed: the compressor leaves its part plain
        # The writer and the compressor (once started) each hold FILE; the last to end closes it.
        self._holders = 1
        self._holders_lock = threading.Lock()
        # Pruning (writer and compressor) and the compressor's choice of its part, one at a time.
        self._parts_lock = threading.Lock()
        self._compressing: Path | None = None  # the plain part being compressed: never pruned under it
        self._stopped_at: datetime | None = None
        self._fd = -1
        self.appending = False  # the file was there: this session is appended to it
        self._size = 0  # bytes of whole lines in the current part
        # Bytes of the current part's header and opening snapshot: rotation counts what comes after them,
        # or a snapshot bigger than the rotate size would rotate again on every event.
        self._opening = 0
        self._seq = 0
        self._part = 0
        self._store: dict[str, dict[ObjectKey, tuple[str, bytes]]] = {resource: {} for resource in _KINDS}
        self._listed: set[str] = set()
        self._last_sync = 0.0
        self._unsynced = False
        # What is lost and not yet said in a gap marker: count, reason, since when.
        self._lost = 0
        self._lost_reason: str | None = None
        self._lost_since: str | None = None
        self._retry_at = 0.0
        self._failing = False
        # status, read by other threads (plain ints and strings: the GIL makes each read whole)
        self.events = 0  # event lines written
        self.bytes = 0  # bytes written, all parts
        self.gaps = 0  # gap markers written
        self._failed_total = 0  # events the disk refused
        self._dropped_total = 0  # events the full queue refused (counted where they were refused)
        self.warning: str | None = None  # the last loss, one line; stays until the recording ends
        self.failed: str | None = None  # the writer thread stopped on a bug

    # -- lifecycle --------------------------------------------------------------

    def start(self) -> Recorder:
        """Open (or reopen) the file and start the writer. Raises RecordFileError with a one-line reason."""
        fd, size, created = open_recording(self.path)
        self._fd, self._size = fd, size
        self._part = next_part_number(self.path)
        self.appending = not created
        if not created:
            try:
                self._restore()
            except RecordFileError:
                os.close(fd)
                raise
        started = utc_millis(self._wall())
        self._last_sync = self._clock()
        if created:
            self._write_line(self._header(started))
            self._opening = self._size
        else:
            self._write_line(self._header(started))  # replay keeps the first header; this one dates the session
            self._mark({"mark": "start", "reason": "recorder started again, appending"}, started)
        self._sync()
        if self.rotate_size is not None:
            # Parts a recorder killed mid-compression left plain: compressed now, oldest first, and pruned.
            for number, part in existing_parts(self.path):
                if not part.name.endswith(".gz"):
                    self._compress_later(part, number)
        self._thread = threading.Thread(target=self._run, name="stsviz-recorder", daemon=True)
        self._thread.start()
        return self

    def close(self) -> None:
        """Stop: the writer writes what is queued, then the stop mark, syncs and closes the file. Safe to call twice.

        Never blocks on the queue, and returns within one deadline,
        `drain_timeout` (default DRAIN_TIMEOUT, 10 s) + CLOSE_MARGIN (5 s), shared
        by the writer and the compressor. The writer drains the queue for at most
        `drain_timeout` and counts what it could not write in a gap marker. The
        writer alone writes the file, so nothing is written to a closed
        descriptor: if it is stuck in a write at the deadline (a stalled disk),
        close() returns and leaves it (a daemon thread) to end the file if the
        disk answers before the process exits, and says so in `warning`. The
        compressor goes on with the rotated parts still queued until the same
        deadline; one it has not finished then stays plain (replay reads it, the
        next recorder on the file compresses it). The file, and its lock, is
        closed only once both are done: no second recorder starts on the
        recording while this one's compressor still works on its parts.
        """
        if self._closing:
            return
        self._closing = True
        deadline = self._clock() + self.drain_timeout + CLOSE_MARGIN
        thread = self._thread
        if thread is not None:
            self._stopped_at = self._wall()  # the stop mark's time: when asked, not when the queue drained
            self._drain_until = self._clock() + self.drain_timeout
            self._stopping.set()
            with contextlib.suppress(queue.Full):  # a full queue: the writer sees `_stopping` as it drains
                self._queue.put_nowait(_STOP)  # wakes a writer waiting on an empty queue
            if not self._join_by(thread, deadline):
                self.warning = (
                    f"the disk did not take the recording's last lines within "
                    f"{self.drain_timeout + CLOSE_MARGIN:g} s; the recording may end without its stop mark"
                )
                log.warning("recording %s: %s", self.path, self.warning)
        compressor = self._compressor
        if compressor is not None:
            # No part is queued after this: nothing rotates once stopping (a rotation under way in a stuck
            # writer queues its part after it, and that part stays plain for the next recorder).
            self._compress_queue.put(None)
            if not self._join_by(compressor, deadline):
                self._abandon.set()  # it stops at its next block, leaving the part plain, and closes the file
                self.warning = (
                    "closing stopped compressing the rotated parts at its deadline; a part left plain replays "
                    "as it is, and the next recorder on the file compresses it"
                )
                log.warning("recording %s: %s", self.path, self.warning)
        if thread is None and compressor is None and self._fd >= 0:  # started neither: the file is ours to close
            os.close(self._fd)
            self._fd = -1

    def _join_by(self, thread: threading.Thread, deadline: float) -> bool:
        """Wait for `thread` until `deadline` (by `clock`): whether it ended."""
        while thread.is_alive():
            left = deadline - self._clock()
            if left <= 0:
                return False
            thread.join(min(left, _JOIN_STEP))
        return True

    @property
    def lost(self) -> int:
        """Events that are not in the file and never will be, in all (each one said in a gap marker)."""
        return self._failed_total + self._dropped_total

    def describe(self) -> str:
        """One line of progress: events, bytes, and any loss."""
        text = f"{self.events} events, {_size_text(self.bytes)}"
        if self.lost:
            text += f", {self.lost} lost"
        return text

    # -- the Tap (called on the event loop: queue and return) ---------------------

    def event(self, resource: str, type_: str, obj: dict[str, Any], when: datetime) -> None:
        self._offer(("event", resource, type_, obj, when))

    def listed(
        self, resource: str, kind: str, objects: list[dict[str, Any]], resource_version: str, when: datetime
    ) -> None:
        self._offer(("list", resource, kind, objects, resource_version, when))

    def phase(self, resource: str, mark: str, when: datetime, reason: str | None) -> None:
        self._offer(("mark", {"mark": mark, "resource": resource, "reason": reason}, when))

    def mark(self, mark: str, **fields: Any) -> None:
        """A marker of the caller's (a user's action and its outcome, ...): `{"mark": mark, **fields}`."""
        self._offer(("mark", {"mark": mark, **fields}, self._wall()))

    def _offer(self, item: tuple[Any, ...]) -> None:
        if self._stopping.is_set():
            return  # the recording has ended (its stop mark is on its way): a late event is not part of it
        # Every item carries how many were dropped just before it: the gap marker goes in their place.
        dropped = 0
        if self._dropped:
            with self._dropped_lock:
                dropped, self._dropped = self._dropped, 0
        try:
            self._queue.put_nowait((*item, dropped))
        except queue.Full:
            events = _events_in(item)
            with self._dropped_lock:
                self._dropped += events + dropped
            self._dropped_total += events
            if self.warning is None:  # said now: the writer that would say it is the one stuck
                self.warning = f"events lost: {_BEHIND}"
                log.warning("recording %s: %s", self.path, self.warning)

    # -- the writer thread --------------------------------------------------------

    def _run(self) -> None:
        get, stopping = self._queue.get, self._stopping
        try:
            while True:
                if stopping.is_set():
                    if self._clock() >= self._drain_until:
                        break  # what is still queued is counted below
                    try:
                        item = get(block=False)  # the stop sentinel may not have fit in a full queue
                    except queue.Empty:
                        break
                else:
                    try:
                        item = get(timeout=self.fsync_interval)
                    except queue.Empty:
                        self._sync_if_due()
                        continue
                if item is _STOP:
                    break
                if item[-1]:
                    self._lose(item[-1], _BEHIND, None)
                self._handle(item[:-1])
                self._sync_if_due()
            stopped = utc_millis(self._stopped_at or self._wall())
            unwritten = self._unqueue()
            with self._dropped_lock:  # a late _offer may still be counting one (it checks `_stopping` first)
                dropped, self._dropped = self._dropped, 0
            self._lose(dropped, _BEHIND, None)
            self._flush_gap(stopped, final=True)
            # Said apart from any earlier loss: these were received, and the deadline to write them passed.
            self._lose(unwritten, _STOPPED, stopped)
            self._flush_gap(stopped, final=True)
            # When the watching ended: a replay of a rollout stuck to the end plays on to here.
            self._mark({"mark": "stop"}, stopped)
        except Exception as error:  # a bug: say so, never take the watches down with it
            self.failed = f"{type(error).__name__}: {error}"
            self.warning = f"the recorder stopped: {self.failed}"
            log.exception("the recorder stopped")
        finally:
            self._close_file()

    def _unqueue(self) -> int:
        """Empty the queue past the drain deadline: the events it held (those dropped before them counted lost)."""
        unwritten = 0
        while True:
            try:
                item = self._queue.get(block=False)
            except queue.Empty:
                return unwritten
            if item is _STOP:
                continue
            if item[-1]:
                self._lose(item[-1], _BEHIND, None)
            unwritten += _events_in(item[:-1])

    def _close_file(self) -> None:
        """The writer's last act: the file synced, and closed unless the compressor still needs its lock."""
        if self._fd >= 0:
            self._sync()
        self._compress_queue.put(None)  # no part comes after this one (close() may be stuck elsewhere)
        self._release_file()

    def _release_file(self) -> None:
        """The writer and the compressor each let go of FILE as they end; the last one closes it.

        The lock on FILE goes with it: while the compressor still works on the recording's parts, a
        second recorder on it is refused (it would compress the same parts at the same time).
        """
        with self._holders_lock:
            self._holders -= 1
            if self._holders > 0:
                return
        fd, self._fd = self._fd, -1
        if fd < 0:
            return
        try:
            os.close(fd)
        except OSError as error:
            self.warning = f"cannot close the recording: {error.strerror or error}"

    def _handle(self, item: tuple[Any, ...]) -> None:
        what = item[0]
        if what == "event":
            _, resource, type_, obj, when = item
            self._event(resource, type_, obj, when)
        elif what == "list":
            _, resource, kind, objects, resource_version, when = item
            self._list(resource, kind, objects, resource_version, when)
        else:
            _, fields, when = item
            self._mark({key: value for key, value in fields.items() if value is not None}, utc_millis(when))

    def _event(self, resource: str, type_: str, obj: dict[str, Any], when: datetime) -> None:
        found = obj.get("kind")
        kind = found if isinstance(found, str) else _KINDS.get(resource, "")
        pruned = redact(kind, obj, self._salt)
        body = orjson.dumps(pruned)
        ts = utc_millis(when)
        if self._emit_event(ts, type_, body):
            self._remember(resource, type_, pruned, body)
        self._maybe_rotate(ts)

    def _remember(self, resource: str, type_: str, pruned: dict[str, Any], body: bytes) -> None:
        store = self._store.setdefault(resource, {})
        meta = pruned.get("metadata") or {}
        key = (str(meta.get("namespace") or ""), str(meta.get("name") or ""))
        uid = str(meta.get("uid") or "")
        current = store.pop(key, None)
        if type_ == "DELETED":
            if current is not None and current[0] != uid:
                store[key] = current  # a late DELETED of an earlier incarnation
            return
        store[key] = (uid, body)  # re-inserted: the store's order is last-written order, as the fold's Events

    def _list(
        self, resource: str, kind: str, objects: list[dict[str, Any]], resource_version: str, when: datetime
    ) -> None:
        ts = utc_millis(when)
        first = resource not in self._listed
        self._listed.add(resource)
        self._mark(
            {
                "mark": "list" if first else "relist",
                "resource": resource,
                "resourceVersion": resource_version,
                "objects": len(objects),
            },
            ts,
        )
        old = self._store.get(resource, {})
        fresh: dict[ObjectKey, tuple[str, bytes, dict[str, Any]]] = {}
        for obj in objects:
            pruned = redact(kind, obj, self._salt)
            meta = pruned["metadata"]
            key = (str(meta.get("namespace") or ""), str(meta.get("name") or ""))
            fresh[key] = (str(meta.get("uid") or ""), orjson.dumps(pruned), pruned)
        # The same difference the informer hands its sink: what vanished, what is new, what changed.
        for key, (uid, body) in list(old.items()):
            new = fresh.get(key)
            if (new is None or new[0] != uid) and self._emit_event(ts, "DELETED", body):
                del old[key]
        for key, (uid, body, _) in fresh.items():
            current = old.get(key)
            if current is None or current[0] != uid:
                type_ = "ADDED"
            elif current[1] != body:
                type_ = "MODIFIED"
            else:
                continue
            if self._emit_event(ts, type_, body):
                old.pop(key, None)
                old[key] = (uid, body)
        self._store[resource] = old
        self._maybe_rotate(ts)

    # -- lines -------------------------------------------------------------------

    def _header(self, started: str) -> dict[str, Any]:
        header: dict[str, Any] = {
            "stsviz": FORMAT_VERSION,
            "kind": "header",
            "recording": self.recording_id,
            "part": self._part,
            "started": started,
        }
        header.update(self.extra_header)
        # What a reader of the file needs to know of it, exactly (docs/recording-format.md, "Redaction").
        pruned = "only the fields recording-format.md lists per kind; managedFields, last-applied and more are cut"
        header["redaction"] = (
            {
                "redacted": True,
                "hashed": [
                    "env[].value",
                    "command",
                    "args",
                    "annotations but restartedAt",
                    "ControllerRevision template fields but name, image and resources",
                ],
                "hash": "redacted: and 12 hex digits of HMAC-SHA256 under a per-file salt that is not written",
                "pruned": pruned,
            }
            if self.redacted
            else {
                "redacted": False,
                "note": "recorded with --no-redact: env values, commands, args, annotations and revisions' template"
                " fields are as the cluster has them",
                "pruned": pruned,
            }
        )
        return header

    def _emit_event(self, ts: str, type_: str, body: bytes) -> bool:
        if not self._flush_gap(ts):
            self._lose(1, None, None)
            return False
        self._seq += 1
        line = b'{"seq":%d,"ts":"%s","type":"%s","object":%s}\n' % (self._seq, ts.encode(), type_.encode(), body)
        if self._put(line):
            self.events += 1
            return True
        self._seq -= 1
        self._lose(1, None, ts)
        return False

    def _mark(self, fields: dict[str, Any], ts: str) -> bool:
        if not self._flush_gap(ts):
            return False
        return self._write_mark(fields, ts)

    def _write_mark(self, fields: dict[str, Any], ts: str) -> bool:
        self._seq += 1
        line = orjson.dumps({"seq": self._seq, "ts": ts, "type": "MARK", **fields}) + b"\n"
        if not self._put(line):
            self._seq -= 1
            return False
        self._sync()  # a marker says something about everything before it: make it all durable now
        return True

    def _write_line(self, value: dict[str, Any]) -> bool:
        return self._put(orjson.dumps(value) + b"\n")

    def _put(self, line: bytes) -> bool:
        """One whole line in one write; on failure, nothing of it stays in the file."""
        if self._failing and self._clock() < self._retry_at:
            return False
        try:
            written = self._write_all(self._fd, line)
        except OSError as error:
            # Whatever of the line reached the file goes (a filesystem may keep part of a failed write):
            # the file ends on a whole line.
            try:
                os.ftruncate(self._fd, self._size)
            except OSError:
                pass
            self._failing = True
            self._retry_at = self._clock() + RETRY_INTERVAL
            self._lost_reason = self._lost_reason or f"cannot write: {error.strerror or error}"
            return False
        self._failing = False
        self._size += written
        self.bytes += written
        self._unsynced = True
        return True

    def _lose(self, count: int, reason: str | None, when: datetime | str | None) -> None:
        """Count events that will not be in the file; the next line written is a gap marker saying so."""
        if not count:
            return
        if not self._lost:
            self._lost_since = when if isinstance(when, str) else utc_millis(when or self._wall())
        if reason is not None and self._lost_reason is None:
            self._lost_reason = reason
        first = not self._lost
        self._lost += count
        if reason != _BEHIND:
            self._failed_total += count
        self.warning = f"{self.lost} events lost: {self._lost_reason or 'the recorder could not keep them'}"
        if first:
            log.warning("recording %s: %s", self.path, self.warning)

    def _flush_gap(self, ts: str, *, final: bool = False) -> bool:
        """Write the pending gap marker, if any; False while the disk still refuses."""
        if not self._lost:
            return True
        fields = {
            "mark": "gap",
            "lost": self._lost,
            "since": self._lost_since,
            "reason": self._lost_reason or "the recorder could not keep them",
        }
        if final:
            self._failing = False  # one last try at closing time
        if not self._write_mark(fields, ts):
            return False
        self.gaps += 1
        self._lost, self._lost_reason, self._lost_since = 0, None, None
        return True

    def _sync(self) -> None:
        if self._fd < 0 or not self._unsynced:
            return
        try:
            os.fsync(self._fd)
        except OSError as error:
            self.warning = f"cannot sync the recording: {error.strerror or error}"
        self._unsynced = False
        self._last_sync = self._clock()

    def _sync_if_due(self) -> None:
        if self._unsynced and self._clock() - self._last_sync >= self.fsync_interval:
            self._sync()

    # -- rotation ------------------------------------------------------------------

    def _maybe_rotate(self, ts: str) -> None:
        if self.rotate_size is None or self._failing or self._stopping.is_set():
            return  # stopping: the drain's deadline is for the queued events, not for writing a new snapshot
        # A part holds at least as many new bytes as its opening snapshot: a snapshot far bigger than
        # rotate_size (an 18 MB namespace, 64 KB parts) would otherwise be written again for every
        # rotate_size of events, a disk's worth of snapshots while the events queued behind them were lost.
        if self._size - self._opening < max(self.rotate_size, self._opening):
            return
        try:
            self._rotate(ts)
        except OSError as error:
            # Keep recording into one growing file rather than not at all.
            self.rotate_size = None
            self.warning = f"cannot rotate the recording: {error.strerror or error}; writing on without rotating"
            log.warning("recording %s: %s", self.path, self.warning)

    def _rotate(self, ts: str) -> None:
        """Close the part at FILE as FILE.N and go on in a new one that opens with a snapshot.

        The new part is written and synced as FILE.next.tmp before it takes the
        name: a recorder killed at any moment leaves a FILE that begins with a
        header (or, between the two renames, none, whose parts replay alone).
        On any failure the recording goes on in the part it was in.
        """
        self._sync()
        number = next_part_number(self.path)
        closed = part_path(self.path, number)
        temporary = next_part_path(self.path)
        fd = create_next_part(self.path)  # locked: the lock goes on with the recording
        try:
            size, lines, events = self._write_opening(fd, number + 1, ts)
            os.fsync(fd)
            os.rename(self.path, closed)
            try:
                os.rename(temporary, self.path)
            except OSError:
                with contextlib.suppress(OSError):
                    os.rename(closed, self.path)  # the part goes back under its name; the recording goes on in it
                raise
        except BaseException:
            os.close(fd)
            with contextlib.suppress(OSError):
                os.unlink(temporary)
            raise
        fsync_directory(self.path)
        # The new part is FILE now: the recorder goes on in it before anything else can fail (a failed
        # close of the old part left it writing to a closed descriptor number).
        old, self._fd, self._size, self._opening, self._unsynced = self._fd, fd, size, size, False
        self._part = number + 1
        self._seq += lines
        self.events += events
        self.bytes += size
        self._last_sync = self._clock()
        try:
            os.close(old)  # the old part's lock goes with it; the new one is held already
        except OSError as error:  # its lines were synced before the renames: nothing is lost
            self.warning = f"cannot close {closed.name}: {error.strerror or error}"
            log.warning("recording %s: %s", self.path, self.warning)
        self._prune()
        self._compress_later(closed, number)

    def _write_opening(self, fd: int, part: int, ts: str) -> tuple[int, int, int]:
        """A new part's header, snapshot mark and every object held as ADDED, into `fd`: (bytes, seq lines, events).

        Each part replays alone: it opens with every object the recording holds.
        Raises OSError if the disk refuses any of it (the rotation is then not made).
        """
        header = self._header(ts)
        header["part"] = part
        seq = self._seq + 1
        objects = sum(len(store) for store in self._store.values())
        snapshot = {"seq": seq, "ts": ts, "type": "MARK", "mark": "snapshot", "objects": objects}
        chunk = [orjson.dumps(header) + b"\n", orjson.dumps(snapshot) + b"\n"]
        pending = sum(map(len, chunk))
        size = 0
        stamp = ts.encode()
        for store in self._store.values():
            for _, body in store.values():
                seq += 1
                line = b'{"seq":%d,"ts":"%s","type":"ADDED","object":%s}\n' % (seq, stamp, body)
                chunk.append(line)
                pending += len(line)
                if pending >= _CHUNK:
                    size += self._write_all(fd, b"".join(chunk))
                    chunk, pending = [], 0
        size += self._write_all(fd, b"".join(chunk))
        return size, seq - self._seq, objects

    def _write_all(self, fd: int, data: bytes) -> int:
        view = memoryview(data)
        written = 0
        while written < len(data):
            written += self._write_fn(fd, view[written:])
        return written

    def _compress_later(self, closed: Path, number: int) -> None:
        if self._compressor is None:
            with self._holders_lock:
                self._holders += 1  # let go of as the compressor ends
            self._compressor = threading.Thread(target=self._compress_parts, name="stsviz-recorder-gzip", daemon=True)
            self._compressor.start()
        self._compress_queue.put((closed, number))

    def _compress_parts(self) -> None:
        """The compressor thread: each rotated part in the order written, compressed, then the oldest pruned."""
        try:
            while not self._abandon.is_set() and (item := self._compress_queue.get()) is not None:
                try:
                    self._compress_and_prune(*item)
                except Exception as error:  # a bug: the plain parts stay, and replay reads them
                    self.warning = f"cannot compress {item[0].name}: {type(error).__name__}: {error}"
                    log.exception("compressing %s failed", item[0])
        finally:
            self._release_file()

    def _compress_and_prune(self, closed: Path, number: int) -> None:
        self._prune()  # first: a part outside the newest `keep` is removed, not compressed to be removed
        with self._parts_lock:
            if not closed.exists():
                return  # pruned already: newer parts rotated while it waited its turn
            self._compressing = closed
        try:
            compress_part(closed, stop=self._abandon.is_set)
        except CompressionStopped:
            pass  # close()'s deadline: the part stays plain, and the next recorder compresses it
        except OSError as error:
            # The plain part stays and replays as it is: nothing recorded is lost.
            self.warning = f"cannot compress {closed.name}: {error.strerror or error}"
            log.warning("recording %s: %s", self.path, self.warning)
        finally:
            with self._parts_lock:
                self._compressing = None
        self._prune()

    def _prune(self) -> None:
        """Remove the rotated parts older than the newest `keep`, plain or gzipped, but the one being compressed.

        Called by the writer after each rotation and by the compressor around each part: `keep` holds
        while compression lags (a slow disk piled up a hundred plain parts with --keep 2, each then
        gzipped only to be deleted). The part being compressed is left to the compressor's own pruning
        after it, so nothing is removed under it.
        """
        try:
            with self._parts_lock:
                parts = existing_parts(self.path)
                doomed = [
                    (number, old) for number, old in parts[: max(0, len(parts) - self.keep)] if old != self._compressing
                ]
                for number, old in doomed:
                    os.unlink(old)
                    # A crash may have left the part gzipped too, or half gzipped: neither is kept without it.
                    gz = part_path(self.path, number, gz=True)
                    for leftover in (gz, gz.with_name(gz.name + ".tmp")):
                        if leftover != old:
                            with contextlib.suppress(FileNotFoundError):
                                os.unlink(leftover)
            if doomed:
                fsync_directory(self.path)
        except OSError as error:
            self.warning = f"cannot remove an old part of the recording: {error.strerror or error}"
            log.warning("recording %s: %s", self.path, self.warning)

    # -- appending to a file written before ---------------------------------------------

    def _check_same_watch(self, header: dict[str, Any]) -> None:
        """Refuse to append to a recording of another cluster or scope: one file, one watch (replay would
        mix both, and the first list of this one would write the other's objects as DELETED)."""
        differs = [
            field
            for field in SAME_WATCH
            if field in header and field in self.extra_header and header[field] != self.extra_header[field]
        ]
        if differs:
            before = _watch_words(header)
            raise RecordFileError(
                f"{self.path}: holds a recording of {before}, not of {_watch_words(self.extra_header)};"
                " record to another file"
            )

    def _restore(self) -> None:
        """Fold the file's own events into the store, so the first list writes only what changed since.

        Also finds where the file's opening (its header and, in a rotated part, the snapshot after
        it) ends: rotation counts the bytes after it, as it does for a part this recorder opens.
        """
        offset = 0
        opening: int | None = None  # None: still in the opening
        snapshot = -1  # ADDED lines of the opening snapshot still to come (-1: no snapshot seen)
        for index, line in enumerate(read_lines(self._fd)):
            offset += len(line)
            try:
                value = orjson.loads(line)
            except orjson.JSONDecodeError:
                value = None
            if not isinstance(value, dict):
                if opening is None:
                    opening = offset - len(line)
                continue
            if opening is None:
                if index == 0 and value.get("kind") == "header":
                    self._check_same_watch(value)
                elif index == 1 and value.get("mark") == "snapshot" and isinstance(value.get("objects"), int):
                    snapshot = value["objects"]
                elif snapshot > 0 and value.get("type") == "ADDED":
                    snapshot -= 1
                else:
                    opening = offset - len(line)
                if opening is None and snapshot == 0:
                    opening = offset
            seq = value.get("seq")
            if isinstance(seq, int):
                self._seq = max(self._seq, seq)
            obj = value.get("object")
            type_ = value.get("type")
            if not isinstance(obj, dict) or type_ not in ("ADDED", "MODIFIED", "DELETED"):
                continue
            resource = next((r for r, k in _KINDS.items() if k == obj.get("kind")), None)
            if resource is not None:
                self._remember(resource, type_, obj, orjson.dumps(obj))
        self._opening = offset if opening is None else opening


# What makes two sessions one recording: a file is appended to only by a watch of the same.
SAME_WATCH = ("context", "server", "scope")


def _watch_words(header: dict[str, Any]) -> str:
    """`context prod (https://...), namespace shop` from a header's fields, as far as it has them."""
    scope: dict[str, Any] = header["scope"] if isinstance(header.get("scope"), dict) else {}
    where = "all namespaces" if scope.get("allNamespaces") else f"namespace {scope.get('namespace')}"
    if scope.get("selector"):
        where += f" -l {scope['selector']}"
    return printable_line(f"{header.get('context')} ({header.get('server')}), {where}")


# close() checks its deadline by `clock` at least this often (seconds) while it waits for a thread.
_JOIN_STEP = 0.1
# A new part's opening is written this much at a time.
_CHUNK = 1 << 20

_BEHIND = "the recorder fell behind (its queue was full: the disk is slow)"
_STOPPED = "the recorder was stopped before writing them"


def _events_in(item: tuple[Any, ...]) -> int:
    """How many events a queued item holds: one an event, a list its objects; a mark is not an event.

    What a gap marker's `lost` counts. A mark that could not be written is not counted (nor said
    anywhere): the gap marker says what is missing from the replay's events.
    """
    if item[0] == "event":
        return 1
    if item[0] == "list":
        return len(item[3])
    return 0


def _size_text(size: int) -> str:
    for unit, scale in (("GB", 1 << 30), ("MB", 1 << 20), ("KB", 1 << 10)):
        if size >= scale:
            return f"{size / scale:.1f} {unit}"
    return f"{size} B"


__all__ = ["FORMAT_VERSION", "RecordFileError", "Recorder", "utc_millis"]
