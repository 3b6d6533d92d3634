"""One file's bytes to slim changes: the stsviz log, merged.jsonl and kubectl captures.

All three are JSON objects with `type` and `object` (stsviz and merged.jsonl add
`ts`; stsviz adds a header line and MARK lines). They arrive either one compact
object per line, the fast path (read the lines one at a time, `orjson.loads`
each), or pretty-printed and concatenated, as kubectl prints without a line per
object, decoded one value after another with `json.JSONDecoder.raw_decode`.

Each object is converted to its slim record as soon as it is parsed, and the
raw dict is dropped: a real pod event is ~24 KB as a dict and a few hundred
bytes as a record. What replay needs of the raw object beyond the record (the
merge key from resourceVersion, the times an untimed capture's object shows)
is read from it first. Objects of kinds stsviz does not show are dropped here
and counted in one warning per file.

Damage is local: a bad line, or an object of a known kind that its record
cannot be built from, is skipped and reported by number; a torn last line (a
recorder killed mid-write) is ignored with a warning. Only a file with no
recognisable events at all is an error.
"""

from __future__ import annotations

import io
import itertools
import json
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import orjson

from stsviz.model.events import EVENT_TYPES, RECORD_TYPES, Record
from stsviz.model.records import MALFORMED
from stsviz.model.times import parse_rfc3339
from stsviz.sources.decoding import decode_replay_line
from stsviz.sources.replay.errors import LINES_SHOWN, Problems, ReplayInputError
from stsviz.sources.replay.times import ObjectTimes, time_problem

FORMATS = "an stsviz recording, a merged.jsonl or `kubectl get -w --output-watch-events -o json` output"
WATCH_HINT = "capture with `kubectl get TYPE -w --output-watch-events -o json`"
_WHITESPACE = b" \t\r\n"


@dataclass(slots=True)
class FileEvents:
    """The kept events of one file in file order, converted, before merging with other files."""

    name: str
    types: list[str] = field(default_factory=list)
    records: list[Record] = field(default_factory=list)
    stamps: list[datetime | None] = field(default_factory=list)  # receive time per event, if recorded
    # The newest time each object showed (see times.py), read where the file has no
    # receive times or will be merged; None elsewhere.
    clues: list[datetime | None] = field(default_factory=list)
    keys: list[int] = field(default_factory=list)  # merge keys from resourceVersion, only when merging
    header: dict[str, Any] | None = None
    marks: list[tuple[int, dict[str, Any]]] = field(default_factory=list)  # (events before it, marker)
    timed: bool = False
    # Events already handed over to a recording that is read while it loads, and
    # removed from the lists above: the file's event i is at index i - flushed.
    flushed: int = 0

    def __len__(self) -> int:
        return len(self.types)


class _FileParser:
    def __init__(
        self, name: str, problems: Problems, *, merging: bool = False, result: FileEvents | None = None
    ) -> None:
        self.name = name
        self.problems = problems
        self.merging = merging
        self.result = result if result is not None else FileEvents(name)
        self.parsed = 0  # values that were JSON at all
        self.seen = 0  # ADDED/MODIFIED/DELETED events, kept or not
        self.skipped_types: Counter[str] = Counter()
        self.skipped_kinds: Counter[str] = Counter()  # events of kinds stsviz does not show
        self.shapes: Counter[str] = Counter()  # what the unrecognised values looked like
        self.first_bad: str | None = None
        self.missing_ts: list[int] = []  # line numbers of the first events without a usable ts
        self.missing_ts_count = 0
        self._last_ts: Any = None  # the last ts string that parsed, and what it parsed to
        self._stamp: datetime | None = None
        self._version = 0  # the last numeric resourceVersion seen
        self._carried: datetime | None = None  # the newest object time of events dropped since the last kept one
        self._object_times = ObjectTimes()

    # -- per value ------------------------------------------------------------

    def event(self, etype: str, obj: dict[str, Any], ts: Any, lineno: int) -> None:
        """One ADDED/MODIFIED/DELETED of an object with metadata: converted and kept, or counted and dropped."""
        self.seen += 1
        # The receive time: an event without a usable one takes the time of the event before it.
        if ts is None:
            self.missing_ts_count += 1
            if len(self.missing_ts) < LINES_SHOWN:
                self.missing_ts.append(lineno)
        elif ts != self._last_ts:  # identical consecutive strings are parsed once
            stamp = parse_rfc3339(ts)
            if stamp is None:
                self.problems.line(lineno, f'"ts" {time_problem(ts)}: {_short(ts)}')
            else:
                self._last_ts, self._stamp = ts, stamp
        merging = self.merging
        if merging:
            # Sort key for merging files (as in etcd's commit order): 2*RV, and an RV that is
            # missing or not a number sorts right after the one before it in this file.
            version = obj["metadata"].get("resourceVersion")
            try:
                self._version = int(version)
                key = 2 * self._version
            except (TypeError, ValueError):
                key = 2 * self._version + 1
        if ts is None or merging:
            object_times = self._object_times
            clue = object_times(obj)
            if object_times.problem is not None:
                self.problems.line(lineno, object_times.problem)
                object_times.problem = None
        else:
            clue = None
        kind = obj.get("kind")
        record_type = RECORD_TYPES.get(kind) if type(kind) is str else None
        if record_type is None:
            self.skipped_kinds[kind if type(kind) is str and kind else "no kind"] += 1
            self._carry(clue)
            return
        try:
            record = record_type.from_dict(obj)
        except MALFORMED:
            self.problems.line(lineno, f"a {kind} whose fields are not of the types Kubernetes sends, skipped")
            self._carry(clue)
            return
        self._keep(etype, record, clue)
        if merging:
            self.result.keys.append(key)

    def typed_event(self, etype: str, record: Record, ts: str, lineno: int) -> None:
        """`event` for a line the typed decoder read: timed, not merging, its record already built."""
        self.seen += 1
        if ts != self._last_ts:
            stamp = parse_rfc3339(ts)
            if stamp is None:
                self.problems.line(lineno, f'"ts" {time_problem(ts)}: {_short(ts)}')
            else:
                self._last_ts, self._stamp = ts, stamp
        self._keep(etype, record, None)

    def _keep(self, etype: str, record: Record, clue: datetime | None) -> None:
        carried = self._carried
        if carried is not None:
            if clue is None or carried > clue:
                clue = carried
            self._carried = None
        result = self.result
        result.types.append(etype)
        result.records.append(record)
        result.stamps.append(self._stamp)
        result.clues.append(clue)

    def _carry(self, clue: datetime | None) -> None:
        """A dropped event's object time still tells when the events after it happened."""
        if clue is not None and (self._carried is None or clue > self._carried):
            self._carried = clue

    def value(self, value: Any, lineno: int) -> None:
        """Any decoded JSON value that is not the common case of a plain event."""
        self.parsed += 1
        if type(value) is not dict:
            shape = "array" if type(value) is list else "scalar"
            self.shapes[shape] += 1
            self.bad(lineno, f"a JSON {'array' if shape == 'array' else _json_type(value)}, not an event object")
            return
        obj = value.get("object")
        etype = value.get("type")
        result = self.result
        if type(obj) is dict and type(etype) is str:
            if etype in EVENT_TYPES:
                if type(obj.get("metadata")) is not dict:
                    self.shapes["other"] += 1
                    self.bad(lineno, 'the object has no "metadata", skipped')
                    return
                self.event(etype, obj, value.get("ts"), lineno)
            else:
                # BOOKMARK and ERROR are about the watch, not the objects: counted, not replayed.
                self.skipped_types[etype] += 1
            return
        if etype == "MARK":
            result.marks.append((result.flushed + len(result.types), value))
            return
        if value.get("kind") == "header" and "stsviz" in value:
            self.header(value, lineno)
            return
        if isinstance(value.get("items"), list) and "kind" in value:
            self.shapes["list"] += 1
            kind = value.get("kind")
            self.bad(lineno, f"a {kind if isinstance(kind, str) else 'list'} snapshot, not a watch event")
        elif "kind" in value and "metadata" in value:
            self.shapes["object"] += 1
            self.bad(lineno, "a bare Kubernetes object without a watch event type")
        elif "object" not in value:
            self.shapes["other"] += 1
            self.bad(lineno, 'no "object" field, skipped')
        else:
            self.shapes["other"] += 1
            self.bad(lineno, 'no usable "type" and "object", skipped')

    def header(self, value: dict[str, Any], lineno: int) -> None:
        if self.result.header is not None:
            return  # `cat a.jsonl b.jsonl`: the first header describes the replay
        self.result.header = value
        if value.get("stsviz") != 1:
            self.problems.file(
                f"line {lineno}: recording format version {_short(value.get('stsviz'))} is not 1; reading it as 1"
            )

    def bad(self, lineno: int, what: str) -> None:
        if self.first_bad is None:
            self.first_bad = f"line {lineno} is {what.removesuffix(', skipped')}"
        self.problems.line(lineno, what)

    def not_json(self, lineno: int, raw: bytes | str, *, last: bool, unit: str = "line") -> None:
        if last:
            # A recorder killed mid-write leaves a partial line with no newline after it.
            unit = unit.format(lineno=lineno)
            self.problems.file(f"line {lineno}: last {unit} is incomplete (torn write?), ignored")
            self.first_bad = self.first_bad or f"the last {unit} is incomplete"
            return
        if isinstance(raw, bytes):
            try:
                raw.decode("utf-8")
            except UnicodeDecodeError:
                self.bad(lineno, "not valid UTF-8, skipped")
                return
        self.bad(lineno, "not valid JSON, skipped")

    # -- the two layouts --------------------------------------------------------

    def lines(self, lines: Iterable[bytes]) -> None:
        """One JSON value per line: the hot path, one line in memory at a time."""
        loads = orjson.loads
        decode_error = orjson.JSONDecodeError
        event_types = EVENT_TYPES
        event = self.event
        # Typed decoding reads only the record's fields; a merge also needs the object's times
        # and resourceVersion, so merged files take the dict path.
        decode = None if self.merging else decode_replay_line
        typed_event = self.typed_event
        for lineno, line in enumerate(lines, 1):
            if decode is not None and (decoded := decode(line)) is not None:
                self.parsed += 1
                typed_event(decoded[0], decoded[1], decoded[2], lineno)
                continue
            # Anything the typed decoder left (headers, marks, other kinds, untimed or damaged lines): as before.
            try:
                value = loads(line)  # JSON whitespace includes \r, so CRLF files just work
            except decode_error:
                if line.strip(_WHITESPACE):
                    # Only a last line has no newline: a recorder killed mid-write.
                    self.not_json(lineno, line, last=line[-1:] != b"\n")
                continue
            if type(value) is dict:
                obj = value.get("object")
                etype = value.get("type")
                if (
                    type(obj) is dict
                    and type(etype) is str
                    and etype in event_types
                    and type(obj.get("metadata")) is dict
                ):
                    self.parsed += 1
                    event(etype, obj, value.get("ts"), lineno)
                    continue
            # Headers, marks, skipped types and damage.
            self.value(value, lineno)

    def concatenated(self, text: str, start: int) -> None:
        """Pretty-printed or run-together JSON objects, one after another."""
        decode = json.JSONDecoder().raw_decode
        end = len(text)
        position = start
        # Line numbers are counted incrementally between values: O(file) in all.
        counted, lineno = 0, 1
        while True:
            while position < end and text[position] in " \t\r\n":
                position += 1
            if position >= end:
                break
            lineno += text.count("\n", counted, position)
            counted = position
            try:
                value, after = decode(text, position)
            except (ValueError, RecursionError):  # bad JSON, a 5,000-digit number, absurd nesting
                # Pretty-printed top-level objects open with "{" at column 0: resume at the next one.
                resume = text.find("\n{", position)
                if resume == -1:
                    self.not_json(lineno, "", last=True, unit="object (from line {lineno})")
                    break
                next_line = lineno + text.count("\n", position, resume) + 1
                self.bad(lineno, f"not valid JSON, skipped to line {next_line}")
                position = resume + 1
                continue
            self.value(value, lineno)
            position = after

    # -- verdict --------------------------------------------------------------

    def finish(self) -> FileEvents:
        result = self.result
        if not self.seen and result.header is None:
            raise ReplayInputError(self._why_nothing())
        if self.skipped_types:
            total = sum(self.skipped_types.values())
            detail = ", ".join(f"{count} {etype}" for etype, count in self.skipped_types.most_common())
            plural = "s" if total != 1 else ""
            self.problems.file(f"skipped {total} watch event{plural} that are not object state ({detail})")
        if self.skipped_kinds:
            total = sum(self.skipped_kinds.values())
            detail = ", ".join(f"{kind}: {count}" for kind, count in self.skipped_kinds.most_common())
            what = "1 event of a kind" if total == 1 else f"{total} events of kinds"
            self.problems.file(f"{what} stsviz does not show ({detail}), skipped")
        self.problems.finish()
        if not self.seen:
            self.problems.file("the recording has a header but no events")
        stamps = result.stamps
        if self.missing_ts_count < self.seen:
            result.timed = True
            if self.missing_ts_count or None in stamps:
                _fill_stamps(stamps)
                for lineno in self.missing_ts:
                    self.problems.file(f'line {lineno}: no "ts"; using the time of the event before it')
                hidden = self.missing_ts_count - len(self.missing_ts)
                if hidden > 0:
                    self.problems.file(f'and {hidden} more events without "ts"')
        return result

    def _why_nothing(self) -> str:
        name = self.name
        if self.parsed == 0:
            first_bad = self.first_bad or ""
            detail = f" ({first_bad})" if "UTF-8" in first_bad or "incomplete" in first_bad else ""
            return f"{name}: not JSON{detail}; expected {FORMATS}"
        if self.shapes["array"] and self.shapes["array"] == self.parsed:
            return f"{name}: a JSON array at top level; expected one watch event object per line ({WATCH_HINT})"
        if self.shapes["list"]:
            return f"{name}: a `kubectl get -o json` list snapshot, not a watch; {WATCH_HINT}"
        if self.shapes["object"]:
            return (
                f"{name}: Kubernetes objects without watch event types"
                f" (kubectl -w without --output-watch-events?); {WATCH_HINT}"
            )
        if self.skipped_types:
            detail = ", ".join(f"{count} {etype}" for etype, count in self.skipped_types.most_common())
            return f"{name}: no ADDED, MODIFIED or DELETED events (only {detail})"
        return f"{name}: unknown format: JSON, but no watch events; expected {FORMATS}"


def parse_events(
    name: str,
    lines: Iterable[bytes],
    problems: Problems,
    *,
    merging: bool = False,
    result: FileEvents | None = None,
) -> FileEvents:
    """Parse one file's lines (decompressed, BOM removed, see reading.py). Raises ReplayInputError.

    `merging`: the file will be merged with others, so keep each event's merge
    key and the time its object shows (in case another file has no receive times).
    `result`: where the events go (returned), for a caller that takes them out
    while the lines are still being read.
    One compact object per line is parsed as the lines come; only a pretty-printed
    capture is joined into one text, as its objects span lines.
    """
    parser = _FileParser(name, problems, merging=merging, result=result)
    lines = iter(lines)
    head: list[bytes] = []  # blank lines, then the first line with something on it
    first_line = b""
    for line in lines:
        head.append(line)
        first_line = line.strip(_WHITESPACE)
        if first_line:
            break
    if not first_line:
        raise ReplayInputError(f"{name}: file is empty")
    try:
        orjson.loads(first_line)
        one_per_line = True
    except orjson.JSONDecodeError:
        one_per_line = False
    if one_per_line or first_line[:1] not in (b"[", b"{"):
        parser.lines(itertools.chain(head, lines))
        return parser.finish()
    data = b"".join(itertools.chain(head, lines))
    del head
    start = len(data) - len(data.lstrip(_WHITESPACE))
    if data[start : start + 1] == b"[":
        try:
            whole = orjson.loads(data)
        except orjson.JSONDecodeError:
            whole = None
        if type(whole) is list:
            raise ReplayInputError(
                f"{name}: a JSON array at top level; expected one watch event object per line ({WATCH_HINT})"
            )
    else:
        text = _text(data, problems)
        try:
            _, after = json.JSONDecoder().raw_decode(text, start_of(text))
        except (ValueError, RecursionError):
            after = -1
        if after != -1:
            del data
            parser.concatenated(text, start_of(text))
            return parser.finish()
    parser.lines(io.BytesIO(data))  # shares `data`, does not copy it
    return parser.finish()


def start_of(text: str) -> int:
    return len(text) - len(text.lstrip(" \t\r\n"))


def _text(data: bytes, problems: Problems) -> str:
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as error:
        lineno = data.count(b"\n", 0, error.start) + 1
        problems.line(lineno, "not valid UTF-8; replaced the bad bytes")
        return data.decode("utf-8", errors="replace")


def _fill_stamps(stamps: list[datetime | None]) -> None:
    """Events before the first usable time take that time (the others already took the one before them)."""
    previous = next((stamp for stamp in stamps if stamp is not None), None)
    for index, stamp in enumerate(stamps):
        if stamp is None:
            stamps[index] = previous
        else:
            previous = stamp


def _json_type(value: Any) -> str:
    if isinstance(value, str):
        return "string"
    if isinstance(value, bool) or value is None:
        return "literal"
    return "number"


def _short(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 40 else text[:37] + "..."
