"""One file's bytes to watch events: the stsviz log, merged.jsonl and kubectl captures.

All three are JSON objects with `type` and `object` (stsviz and merged.jsonl add
`ts`; stsviz adds a header line and MARK lines). They arrive either one compact
object per line, the fast path (split the bytes, `orjson.loads` each line), or
pretty-printed and concatenated, as kubectl prints without a line per object,
decoded one value after another with `json.JSONDecoder.raw_decode`.

Damage is local: a bad line is skipped and reported by number, a torn last line
(a recorder killed mid-write) is ignored with a warning. Only a file with no
recognisable events at all is an error.
"""

from __future__ import annotations

import json
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import orjson

from stsviz.model.events import EVENT_TYPES
from stsviz.sources.replay.errors import LINES_SHOWN, Problems, ReplayInputError
from stsviz.sources.replay.times import parse_rfc3339

FORMATS = "an stsviz recording, a merged.jsonl or `kubectl get -w --output-watch-events -o json` output"
WATCH_HINT = "capture with `kubectl get TYPE -w --output-watch-events -o json`"
_WHITESPACE = b" \t\r\n"


@dataclass(slots=True)
class FileEvents:
    """The events of one file in file order, before merging with other files."""

    name: str
    types: list[str] = field(default_factory=list)
    objects: list[dict[str, Any]] = field(default_factory=list)
    stamps: list[datetime | None] = field(default_factory=list)  # receive time per event, if recorded
    header: dict[str, Any] | None = None
    marks: list[tuple[int, dict[str, Any]]] = field(default_factory=list)  # (events before it, marker)
    timed: bool = False

    def __len__(self) -> int:
        return len(self.types)


class _FileParser:
    def __init__(self, name: str, problems: Problems) -> None:
        self.name = name
        self.problems = problems
        self.result = FileEvents(name)
        self.parsed = 0  # values that were JSON at all
        self.skipped_types: Counter[str] = Counter()
        self.shapes: Counter[str] = Counter()  # what the unrecognised values looked like
        self.first_bad: str | None = None
        self.missing_ts: list[int] = []  # line numbers of the first events without a usable ts
        self.missing_ts_count = 0
        self._last_ts: Any = None
        self._last_stamp: datetime | None = None

    # -- per value ------------------------------------------------------------

    def stamp(self, ts: Any, lineno: int) -> datetime | None:
        """The event's receive time; identical consecutive strings are parsed once."""
        if ts is None:
            self.missing_ts_count += 1
            if len(self.missing_ts) < LINES_SHOWN:
                self.missing_ts.append(lineno)
            return None
        if ts == self._last_ts:
            return self._last_stamp
        stamp = parse_rfc3339(ts)
        if stamp is None:
            self.problems.line(lineno, f'"ts" is not an RFC3339 time: {_short(ts)}')
            return None
        self._last_ts, self._last_stamp = ts, stamp
        return stamp

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
                result.types.append(etype)
                result.objects.append(obj)
                result.stamps.append(self.stamp(value.get("ts"), lineno))
            else:
                # BOOKMARK and ERROR are about the watch, not the objects: counted, not replayed.
                self.skipped_types[etype] += 1
            return
        if etype == "MARK":
            result.marks.append((len(result.types), value))
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

    def lines(self, data: bytes) -> None:
        """One JSON value per line: the hot path, kept free of per-line calls."""
        loads = orjson.loads
        decode_error = orjson.JSONDecodeError
        fromisoformat = datetime.fromisoformat
        event_types = EVENT_TYPES
        result = self.result
        types_append = result.types.append
        objects_append = result.objects.append
        stamps_append = result.stamps.append
        missing_ts = self.missing_ts
        missing = 0
        last_ts: Any = None
        last_stamp: datetime | None = None
        parsed = 0
        lines = data.split(b"\n")
        last_index = len(lines)  # the element after the final newline ("" when there is one)
        for lineno, line in enumerate(lines, 1):
            if not line:
                continue
            try:
                value = loads(line)  # JSON whitespace includes \r, so CRLF files just work
            except decode_error:
                if line.strip(_WHITESPACE):
                    self.not_json(lineno, line, last=lineno == last_index)
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
                    ts = value.get("ts")
                    if ts is None:  # kubectl captures
                        missing += 1
                        if missing <= LINES_SHOWN:
                            missing_ts.append(lineno)
                    elif ts != last_ts:
                        if type(ts) is str and ts[-1:] == "Z":  # what recorders write: UTC, parse inline
                            try:
                                last_stamp = fromisoformat(ts)
                            except ValueError:
                                last_stamp = self.stamp(ts, lineno)
                        else:
                            last_stamp = self.stamp(ts, lineno)
                        last_ts = ts if last_stamp is not None else None
                    parsed += 1
                    types_append(etype)
                    objects_append(obj)
                    stamps_append(last_stamp if ts is not None else None)
                    continue
            # Headers, marks, skipped types and damage: none of them is stamped.
            self.value(value, lineno)
        self.missing_ts_count += missing
        self.parsed += parsed

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
            except json.JSONDecodeError:
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
        if not result.types and result.header is None:
            raise ReplayInputError(self._why_nothing())
        if self.skipped_types:
            total = sum(self.skipped_types.values())
            detail = ", ".join(f"{count} {etype}" for etype, count in self.skipped_types.most_common())
            plural = "s" if total != 1 else ""
            self.problems.file(f"skipped {total} watch event{plural} that are not object state ({detail})")
        self.problems.finish()
        if not result.types:
            self.problems.file("the recording has a header but no events")
        stamps = result.stamps
        if self.missing_ts_count < len(stamps):
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


def parse_events(name: str, data: bytes, problems: Problems) -> FileEvents:
    """Parse one file's bytes (already decompressed, BOM removed). Raises ReplayInputError."""
    parser = _FileParser(name, problems)
    start = 0
    size = len(data)
    while start < size and data[start] in _WHITESPACE:
        start += 1
    first_end = data.find(b"\n", start)
    first_line = data[start : first_end if first_end != -1 else size]
    try:
        orjson.loads(first_line)
        one_per_line = True
    except orjson.JSONDecodeError:
        one_per_line = False
    if not one_per_line and data[start : start + 1] == b"[":
        try:
            whole = orjson.loads(data)
        except orjson.JSONDecodeError:
            whole = None
        if type(whole) is list:
            raise ReplayInputError(
                f"{name}: a JSON array at top level; expected one watch event object per line ({WATCH_HINT})"
            )
    if not one_per_line and data[start : start + 1] == b"{":
        text = _text(data, problems)
        try:
            _, after = json.JSONDecoder().raw_decode(text, start_of(text))
        except json.JSONDecodeError:
            after = -1
        if after != -1:
            parser.concatenated(text, start_of(text))
            return parser.finish()
    parser.lines(data)
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
    """Events without a time take the time of the event before (the first known one at the start)."""
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
