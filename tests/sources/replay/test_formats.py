"""Replay input: every format it reads, and every way a file can be wrong.

Files are written to tmp_path the way users and recorders produce them. Fatal
problems must be one line naming the file; recoverable ones are warnings with
a line number, and the rest of the file is still replayed.
"""

from __future__ import annotations

import gzip
import json
from pathlib import Path

import pytest

from stsviz.model import ClusterState
from stsviz.sources.replay import PACE, ReplayInputError, load_recording
from stsviz.sources.replay.errors import LINES_SHOWN

LEAKS = ("Traceback", "Exception", "JSONDecodeError", "UnicodeDecodeError", "OSError", "Errno", "zlib", "orjson")


# -- building files ---------------------------------------------------------------


def pod(name: str, rv: int, *, phase: str = "Running", ready: bool = True, uid: str | None = None) -> dict:
    return {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {
            "name": name,
            "namespace": "demo",
            "uid": uid or f"uid-{name}",
            "resourceVersion": str(rv),
            "creationTimestamp": "2026-11-25T10:00:00Z",
            "labels": {"controller-revision-hash": "web-aaa"},
            "ownerReferences": [{"kind": "StatefulSet", "name": "web", "uid": "uid-web", "controller": True}],
        },
        "spec": {"nodeName": "node-1"},
        "status": {
            "phase": phase,
            "conditions": [
                {"type": "PodScheduled", "status": "True", "lastTransitionTime": "2026-11-25T10:00:01Z"},
                {"type": "Ready", "status": "True" if ready else "False", "lastTransitionTime": "2026-11-25T10:00:02Z"},
            ],
        },
    }


def statefulset(rv: int, replicas: int = 2) -> dict:
    return {
        "apiVersion": "apps/v1",
        "kind": "StatefulSet",
        "metadata": {
            "name": "web",
            "namespace": "demo",
            "uid": "uid-web",
            "resourceVersion": str(rv),
            "generation": 1,
            "creationTimestamp": "2026-11-25T09:59:59Z",
        },
        "spec": {"replicas": replicas, "updateStrategy": {"type": "RollingUpdate", "rollingUpdate": {"partition": 0}}},
        "status": {"observedGeneration": 1, "replicas": replicas, "readyReplicas": replicas},
    }


def kubectl_lines(*events: tuple[str, dict]) -> list[str]:
    return [json.dumps({"type": etype, "object": obj}, separators=(",", ":")) for etype, obj in events]


BASIC = kubectl_lines(
    ("ADDED", statefulset(10)),
    ("ADDED", pod("web-0", 11, phase="Pending", ready=False)),
    ("MODIFIED", pod("web-0", 12)),
    ("ADDED", pod("web-1", 13)),
)


def write(tmp_path: Path, name: str, lines: list[str], *, ending: str = "\n") -> Path:
    path = tmp_path / name
    path.write_text(ending.join(lines) + ending, encoding="utf-8", newline="")
    return path


def fold(recording) -> ClusterState:
    state = ClusterState()
    for change in recording.events:
        state.apply_change(change)
    return state


def read(recording) -> list[tuple[str, str, str, str | None]]:
    """Each event as (type, kind, name, pod phase): what was read, in order."""
    return [
        (change.type, type(change.record).__name__, change.record.name, getattr(change.record, "phase", None))
        for change in recording.events
    ]


# What BASIC holds, event by event.
BASIC_READ = [
    ("ADDED", "StatefulSet", "web", None),
    ("ADDED", "Pod", "web-0", "Pending"),
    ("MODIFIED", "Pod", "web-0", "Running"),
    ("ADDED", "Pod", "web-1", "Running"),
]


def shown(recording) -> list[tuple[str, str]]:
    """Each event as (kind, name): what the user sees come and go."""
    return [(type(change.record).__name__, change.record.name) for change in recording.events]


def assert_user_message(message: str, path: Path | str) -> None:
    """What `stsviz: error: <message>` prints: one line, names the file, no Python internals."""
    assert "\n" not in message
    assert str(path) in message
    for leak in LEAKS:
        assert leak not in message, message


def load_error(path: Path) -> str:
    with pytest.raises(ReplayInputError) as caught:
        load_recording([path])
    message = str(caught.value)
    assert_user_message(message, path)
    return message


# -- the formats --------------------------------------------------------------------


def test_kubectl_capture_plays_at_an_even_pace_with_derived_times(tmp_path):
    recording = load_recording([write(tmp_path, "pods.json", BASIC)])
    assert read(recording) == BASIC_READ
    assert not recording.timed
    assert recording.offsets == [0.0, PACE, 2 * PACE, 3 * PACE]
    assert recording.warnings == []
    # The newest timestamp seen so far: the set's creation, then the pods' condition transitions.
    assert [e.time.isoformat() for e in recording.events] == [
        "2026-11-25T09:59:59+00:00",
        "2026-11-25T10:00:02+00:00",
        "2026-11-25T10:00:02+00:00",
        "2026-11-25T10:00:02+00:00",
    ]
    state = fold(recording)
    assert sorted(name for _, name in state.pods) == ["web-0", "web-1"]
    assert state.pods[("demo", "web-0")].phase == "Running"


def test_stsviz_recording_with_header_and_marks(tmp_path):
    lines = [
        json.dumps({"stsviz": 1, "kind": "header", "started": "2026-11-25T10:00:00.000Z", "context": "kind-a"}),
        json.dumps({"seq": 1, "ts": "2026-11-25T10:00:00.500Z", "type": "ADDED", "object": statefulset(10)}),
        json.dumps({"seq": 2, "ts": "2026-11-25T10:00:01.000Z", "type": "MARK", "mark": "disconnect"}),
        json.dumps({"seq": 3, "ts": "2026-11-25T10:00:03.250Z", "type": "ADDED", "object": pod("web-0", 11)}),
        json.dumps({"seq": 4, "ts": "2026-11-25T10:00:04.000Z", "type": "MARK", "mark": "relist"}),
    ]
    recording = load_recording([write(tmp_path, "rec.jsonl", lines)])
    assert recording.timed
    assert recording.header["context"] == "kind-a"
    assert recording.offsets == [0.0, 2.75]
    assert recording.duration == 3.5  # the recorder went on watching to its last mark, at 10:00:04
    assert recording.events[1].time.isoformat() == "2026-11-25T10:00:03.250000+00:00"
    # Markers sit between events and are not folded.
    assert [(index, mark["mark"]) for index, mark in recording.marks] == [(1, "disconnect"), (2, "relist")]
    assert read(recording) == [("ADDED", "StatefulSet", "web", None), ("ADDED", "Pod", "web-0", "Running")]
    assert fold(recording).applied == 2


def test_header_only_recording_is_empty_not_an_error(tmp_path):
    header = json.dumps({"stsviz": 1, "kind": "header", "started": "2026-11-25T10:00:00.000Z"})
    recording = load_recording([write(tmp_path, "quiet.jsonl", [header])])
    assert recording.events == [] and recording.duration == 0.0
    assert any("no events" in w for w in recording.warnings)


def test_newer_format_version_is_read_with_a_warning(tmp_path):
    lines = [json.dumps({"stsviz": 2, "kind": "header"}), *BASIC]
    recording = load_recording([write(tmp_path, "v2.jsonl", lines)])
    assert read(recording) == BASIC_READ
    assert any("version 2" in w for w in recording.warnings)


@pytest.mark.parametrize("indent", [2, 4])
def test_pretty_printed_concatenated_capture(tmp_path, indent):
    pretty = "\n".join(json.dumps(json.loads(line), indent=indent) for line in BASIC) + "\n"
    path = tmp_path / "pods-pretty.json"
    path.write_text(pretty)
    compact = load_recording([write(tmp_path, "pods.json", BASIC)])
    recording = load_recording([path])
    assert recording.warnings == []
    assert read(recording) == BASIC_READ
    assert recording.events == compact.events


def test_run_together_objects_on_one_line(tmp_path):
    path = tmp_path / "together.json"
    path.write_text("".join(BASIC))
    assert read(load_recording([path])) == BASIC_READ


def test_gzip_is_detected_by_content_not_name(tmp_path):
    plain = write(tmp_path, "pods.json", BASIC)
    zipped = tmp_path / "pods.json"  # gzip data under a .json name
    zipped.write_bytes(gzip.compress(plain.read_bytes()))
    not_zipped = tmp_path / "pods.json.gz"  # plain text under a .gz name
    not_zipped.write_text("\n".join(BASIC))
    assert read(load_recording([zipped])) == BASIC_READ
    assert read(load_recording([not_zipped])) == BASIC_READ


def test_concatenated_gzip_members(tmp_path):
    path = tmp_path / "two.gz"
    first, second = ("\n".join(BASIC[:2]) + "\n").encode(), ("\n".join(BASIC[2:]) + "\n").encode()
    path.write_bytes(gzip.compress(first) + gzip.compress(second))  # what `cat a.gz b.gz` gives
    recording = load_recording([path])
    assert read(recording) == BASIC_READ and recording.warnings == []


def test_truncated_gzip_replays_what_is_there(tmp_path):
    body = ("\n".join(BASIC * 50) + "\n").encode()
    data = gzip.compress(body)
    path = tmp_path / "cut.jsonl.gz"
    path.write_bytes(data[: len(data) * 2 // 3])
    recording = load_recording([path])
    assert 0 < len(recording.events) < 200
    assert read(recording) == (BASIC_READ * 50)[: len(recording.events)]  # a prefix, in order
    assert any("gzip stream ends early" in w for w in recording.warnings)


def test_a_small_gzip_damaged_part_way_replays_what_came_before_the_damage(tmp_path):
    # Small enough to inflate in one call: the call's output must not be lost with its error.
    examples = Path(__file__).parents[3] / "stsviz" / "examples"
    data = bytearray((examples / "web-lifecycle.jsonl.gz").read_bytes())
    whole = load_recording([examples / "web-lifecycle.jsonl.gz"])
    data[len(data) // 2] ^= 0xFF
    path = tmp_path / "flipped.jsonl.gz"
    path.write_bytes(bytes(data))
    recording = load_recording([path])
    assert any("gzip data is damaged part way; replaying what came before the damage" in w for w in recording.warnings)
    kept = len(recording.events)
    assert kept > 20  # the lines before the damage
    assert [(e.type, e.record) for e in recording.events] == [(e.type, e.record) for e in whole.events[:kept]]


def test_crlf_and_bom_just_work(tmp_path):
    path = tmp_path / "windows.json"
    path.write_bytes(b"\xef\xbb\xbf" + ("\r\n".join(BASIC) + "\r\n").encode())
    recording = load_recording([path])
    assert read(recording) == BASIC_READ
    assert recording.warnings == []


def test_crlf_and_bom_in_pretty_printed_capture(tmp_path):
    pretty = "\r\n".join(json.dumps(json.loads(line), indent=2).replace("\n", "\r\n") for line in BASIC)
    path = tmp_path / "windows-pretty.json"
    path.write_bytes(b"\xef\xbb\xbf" + pretty.encode())
    recording = load_recording([path])
    assert read(recording) == BASIC_READ and recording.warnings == []


def test_blank_lines_are_ignored(tmp_path):
    path = write(tmp_path, "gaps.json", ["", BASIC[0], "   ", "", *BASIC[1:], ""])
    recording = load_recording([path])
    assert read(recording) == BASIC_READ and recording.warnings == []


# -- recoverable damage: warnings with line numbers, the rest is replayed ------------


def test_torn_last_line_is_ignored_with_a_warning(tmp_path):
    path = tmp_path / "torn.json"
    path.write_text("\n".join(BASIC) + "\n" + BASIC[0][:57])  # killed mid-write: no newline
    recording = load_recording([path])
    assert read(recording) == BASIC_READ
    assert recording.warnings == [f"{path}: line 5: last line is incomplete (torn write?), ignored"]


def test_torn_last_object_of_a_pretty_capture(tmp_path):
    pretty = "\n".join(json.dumps(json.loads(line), indent=2) for line in BASIC)
    path = tmp_path / "torn-pretty.json"
    path.write_text(pretty[:-40])
    recording = load_recording([path])
    assert read(recording) == BASIC_READ[:3]
    [warning] = recording.warnings
    assert warning.startswith(f"{path}: line ") and "incomplete (torn write?)" in warning


def test_bad_line_in_the_middle_is_skipped_and_reported(tmp_path):
    path = write(tmp_path, "bad.json", [BASIC[0], BASIC[1], '{"type": "MODIFIED", "object": {', BASIC[3]])
    recording = load_recording([path])
    assert read(recording) == [BASIC_READ[0], BASIC_READ[1], BASIC_READ[3]]
    assert recording.warnings == [f"{path}: line 3: not valid JSON, skipped"]


def test_bad_object_in_a_pretty_capture_is_skipped(tmp_path):
    chunks = [json.dumps(json.loads(line), indent=2) for line in BASIC]
    chunks[1] = chunks[1].replace('"ADDED"', "ADDED", 1)
    path = tmp_path / "bad-pretty.json"
    path.write_text("\n".join(chunks) + "\n")
    recording = load_recording([path])
    assert read(recording) == [BASIC_READ[0], BASIC_READ[2], BASIC_READ[3]]
    [warning] = recording.warnings
    first_line_of_second = chunks[0].count("\n") + 2
    assert warning.startswith(f"{path}: line {first_line_of_second}: not valid JSON")


def test_many_bad_lines_give_a_few_warnings(tmp_path):
    lines = [BASIC[0]] + ["garbage"] * 5000 + BASIC[1:]
    recording = load_recording([write(tmp_path, "noisy.json", lines)])
    assert read(recording) == BASIC_READ
    assert len(recording.warnings) == LINES_SHOWN + 1
    assert recording.warnings[0].endswith("line 2: not valid JSON, skipped")
    assert recording.warnings[-1] == f"{tmp_path / 'noisy.json'}: and {5000 - LINES_SHOWN} more bad lines skipped"


def test_invalid_utf8_line_is_skipped(tmp_path):
    path = tmp_path / "latin1.json"
    bad = '{"type":"ADDED","object":{"kind":"Pod","metadata":{"name":"caf\xe9"}}}'.encode("latin-1")
    path.write_bytes(("\n".join(BASIC[:2]) + "\n").encode() + bad + b"\n" + (BASIC[2] + "\n").encode())
    recording = load_recording([path])
    assert read(recording) == BASIC_READ[:3]
    assert recording.warnings == [f"{path}: line 3: not valid UTF-8, skipped"]


def test_non_object_lines_are_skipped(tmp_path):
    lines = [BASIC[0], '"just a string"', "42", "[1, 2]", "null", *BASIC[1:]]
    recording = load_recording([write(tmp_path, "mixed.json", lines)])
    assert read(recording) == BASIC_READ
    assert [w.split(": ", 2)[1:] for w in recording.warnings] == [
        ["line 2", "a JSON string, not an event object"],
        ["line 3", "a JSON number, not an event object"],
        ["line 4", "a JSON array, not an event object"],
        ["line 5", "a JSON literal, not an event object"],
    ]


def test_event_without_object_is_skipped(tmp_path):
    lines = [BASIC[0], '{"type": "ADDED"}', '{"type": "ADDED", "object": "web-0"}', *BASIC[1:]]
    recording = load_recording([write(tmp_path, "holes.json", lines)])
    assert read(recording) == BASIC_READ
    assert len(recording.warnings) == 2
    assert 'line 2: no "object" field' in recording.warnings[0]
    assert "line 3:" in recording.warnings[1]


def test_object_without_metadata_is_skipped(tmp_path):
    lines = [BASIC[0], '{"type": "ADDED", "object": {"kind": "Pod", "metadata": ["x"]}}', *BASIC[1:]]
    recording = load_recording([write(tmp_path, "nometa.json", lines)])
    assert read(recording) == BASIC_READ
    assert recording.warnings == [f'{tmp_path / "nometa.json"}: line 2: the object has no "metadata", skipped']


def test_bookmark_and_error_events_are_counted_not_replayed(tmp_path):
    bookmark = {"type": "BOOKMARK", "object": {"kind": "Pod", "metadata": {"resourceVersion": "99"}}}
    error = {"type": "ERROR", "object": {"kind": "Status", "code": 410, "reason": "Expired"}}
    lines = [BASIC[0], json.dumps(bookmark), json.dumps(error), json.dumps(bookmark), *BASIC[1:]]
    path = write(tmp_path, "watch.json", lines)
    recording = load_recording([path])
    assert read(recording) == BASIC_READ
    assert recording.warnings == [f"{path}: skipped 3 watch events that are not object state (2 BOOKMARK, 1 ERROR)"]


def other_kind(kind: str, name: str, rv: int, **extra) -> str:
    obj = {"kind": kind, "metadata": {"name": name, "namespace": "demo", "resourceVersion": str(rv)}, **extra}
    return json.dumps({"type": "ADDED", "object": obj})


def test_kinds_stsviz_does_not_show_are_skipped_with_one_warning_per_file(tmp_path):
    lines = [
        BASIC[0],
        other_kind("ConfigMap", "a", 20),
        other_kind("Secret", "s", 21),
        *BASIC[1:3],
        other_kind("ConfigMap", "b", 22),
        '{"type": "ADDED", "object": {"metadata": {"name": "kindless"}}}',
        BASIC[3],
        other_kind("ConfigMap", "c", 23),
    ]
    path = write(tmp_path, "mixed.json", lines)
    recording = load_recording([path])
    assert shown(recording) == [("StatefulSet", "web"), ("Pod", "web-0"), ("Pod", "web-0"), ("Pod", "web-1")]
    assert recording.offsets == [0.0, PACE, 2 * PACE, 3 * PACE]  # no gaps where they were
    assert recording.warnings == [
        f"{path}: 5 events of kinds stsviz does not show (ConfigMap: 3, Secret: 1, no kind: 1), skipped"
    ]
    state = fold(recording)
    assert sorted(name for _, name in state.pods) == ["web-0", "web-1"] and not state.skipped


def test_one_event_of_a_kind_stsviz_does_not_show(tmp_path):
    path = write(tmp_path, "cm.json", [*BASIC, other_kind("ConfigMap", "x", 14)])
    recording = load_recording([path])
    assert read(recording) == BASIC_READ
    assert recording.warnings == [f"{path}: 1 event of a kind stsviz does not show (ConfigMap: 1), skipped"]


def test_a_file_of_only_kinds_stsviz_does_not_show_is_empty_not_an_error(tmp_path):
    configs = write(tmp_path, "cm.json", [other_kind("ConfigMap", f"c{i}", 20 + i) for i in range(3)])
    pods = write(tmp_path, "pods.json", BASIC)
    recording = load_recording([configs, pods])
    assert read(recording) == BASIC_READ
    assert recording.warnings == [f"{configs}: 3 events of kinds stsviz does not show (ConfigMap: 3), skipped"]
    alone = load_recording([configs])
    assert alone.events == [] and alone.duration == 0.0 and alone.warnings == recording.warnings


def test_skipped_kinds_still_move_the_derived_time(tmp_path):
    """A capture's times come from every object seen, shown or not."""
    later = other_kind("ConfigMap", "c", 20, data={})
    later = later.replace('"metadata": {', '"metadata": {"creationTimestamp": "2026-11-25T10:05:00Z", ', 1)
    recording = load_recording([write(tmp_path, "cm.json", [*BASIC[:2], later, *BASIC[2:]])])
    assert [e.time.isoformat() for e in recording.events] == [
        "2026-11-25T09:59:59+00:00",
        "2026-11-25T10:00:02+00:00",
        "2026-11-25T10:05:00+00:00",
        "2026-11-25T10:05:00+00:00",
    ]


def test_object_of_a_known_kind_with_a_broken_shape_is_skipped_at_load(tmp_path):
    broken_name = pod("web-1", 13)
    broken_name["metadata"]["name"] = 17  # a number where the API always has a string
    broken_status = pod("web-2", 14)
    broken_status["status"] = ["Running"]  # a list where an object belongs
    lines = [*BASIC[:3], *kubectl_lines(("ADDED", broken_name), ("MODIFIED", broken_status)), BASIC[3]]
    path = write(tmp_path, "odd.json", lines)
    recording = load_recording([path])
    assert shown(recording) == [("StatefulSet", "web"), ("Pod", "web-0"), ("Pod", "web-0"), ("Pod", "web-1")]
    assert recording.warnings == [
        f"{path}: line 4: a Pod whose fields are not of the types Kubernetes sends, skipped",
        f"{path}: line 5: a Pod whose fields are not of the types Kubernetes sends, skipped",
    ]
    assert sorted(name for _, name in fold(recording).pods) == ["web-0", "web-1"]


@pytest.mark.parametrize("replicas", ['"three"', '"3"', "2.5", "true"])
def test_a_timed_set_whose_replicas_are_not_a_number_is_skipped_not_drawn_as_one_replica(tmp_path, replicas):
    # The typed decoder's path (timed lines): msgspec refuses the field, the dict path refuses the object.
    set_line = json.dumps({"ts": "2026-11-25T10:00:00.000Z", "type": "ADDED", "object": statefulset(10, replicas=3)})
    pod_line = json.dumps({"ts": "2026-11-25T10:00:01.000Z", "type": "ADDED", "object": pod("web-0", 11)})
    broken = json.dumps({"ts": "2026-11-25T10:00:02.000Z", "type": "MODIFIED", "object": statefulset(12, replicas=3)})
    broken = broken.replace('"replicas": 3', f'"replicas": {replicas}', 1)
    path = write(tmp_path, "rec.jsonl", [set_line, pod_line, broken])
    recording = load_recording([path])
    assert recording.warnings == [
        f"{path}: line 3: a StatefulSet whose fields are not of the types Kubernetes sends, skipped"
    ]
    assert fold(recording).sets[("demo", "web")].replicas == 3


def test_many_broken_objects_give_a_few_warnings_shared_with_bad_lines(tmp_path):
    broken = pod("web-9", 99)
    broken["metadata"]["name"] = ["web-9"]
    lines = [BASIC[0], "garbage", *kubectl_lines(*[("MODIFIED", broken)] * 3000), *BASIC[1:]]
    path = write(tmp_path, "noisy.json", lines)
    recording = load_recording([path])
    assert read(recording) == BASIC_READ
    assert len(recording.warnings) == LINES_SHOWN + 1
    assert recording.warnings[0] == f"{path}: line 2: not valid JSON, skipped"
    assert recording.warnings[1] == f"{path}: line 3: a Pod whose fields are not of the types Kubernetes sends, skipped"
    assert recording.warnings[-1] == f"{path}: and {3001 - LINES_SHOWN} more bad lines skipped"


def test_bad_timestamp_takes_the_time_before_it(tmp_path):
    lines = [
        json.dumps({"ts": "2026-11-25T10:00:00.000Z", "type": "ADDED", "object": statefulset(10)}),
        json.dumps({"ts": "yesterday", "type": "ADDED", "object": pod("web-0", 11)}),
        json.dumps({"type": "ADDED", "object": pod("web-1", 12)}),
        json.dumps({"ts": "2026-11-25T10:00:02.000Z", "type": "ADDED", "object": pod("web-2", 13)}),
    ]
    path = write(tmp_path, "ts.jsonl", lines)
    recording = load_recording([path])
    assert recording.timed
    assert [name for _, _, name, _ in read(recording)] == ["web", "web-0", "web-1", "web-2"]
    assert recording.offsets == [0.0, 0.0, 0.0, 2.0]
    assert recording.warnings == [
        f"{path}: line 2: \"ts\" is not an RFC3339 time: 'yesterday'",
        f'{path}: line 3: no "ts"; using the time of the event before it',
    ]


def test_clock_stepping_back_does_not_rewind_playback(tmp_path):
    stamps = ["2026-11-25T10:00:05Z", "2026-11-25T10:00:04Z", "2026-11-25T10:00:07Z"]
    lines = [json.dumps({"ts": ts, "type": "ADDED", "object": pod(f"web-{i}", 10 + i)}) for i, ts in enumerate(stamps)]
    assert load_recording([write(tmp_path, "skew.jsonl", lines)]).offsets == [0.0, 0.0, 2.0]


# -- fatal: nothing to replay ---------------------------------------------------------


def test_missing_file(tmp_path):
    assert "no such file" in load_error(tmp_path / "nope.json")


def test_directory(tmp_path):
    assert "is a directory" in load_error(tmp_path)


def test_path_through_a_file_is_unreadable(tmp_path):
    blocker = write(tmp_path, "pods.json", BASIC)
    assert "cannot read it" in load_error(blocker / "inside.json")


@pytest.mark.parametrize("content", [b"", b"\n\n  \n", b"\xef\xbb\xbf", gzip.compress(b"")])
def test_empty_file(tmp_path, content):
    path = tmp_path / "empty.json"
    path.write_bytes(content)
    assert load_error(path) == f"{path}: file is empty"


def test_not_json_at_all(tmp_path):
    path = tmp_path / "notes.txt"
    path.write_text("NAME    READY   STATUS\nweb-0   1/1     Running\n")
    assert "not JSON" in load_error(path)


def test_binary_garbage(tmp_path):
    path = tmp_path / "image.png"
    path.write_bytes(b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 4)
    assert "not JSON" in load_error(path)


def test_damaged_gzip(tmp_path):
    path = tmp_path / "broken.gz"
    path.write_bytes(b"\x1f\x8b\x08\x00" + b"\xff" * 64)
    assert "gzip" in load_error(path)


def test_json_but_no_events_is_an_unknown_format(tmp_path):
    path = write(tmp_path, "config.json", ['{"apiVersion": "v1", "clusters": []}'])
    assert "unknown format" in load_error(path)


@pytest.mark.parametrize("compact", [True, False])
def test_top_level_json_array(tmp_path, compact):
    events = [json.loads(line) for line in BASIC]
    path = tmp_path / "array.json"
    path.write_text(json.dumps(events) if compact else json.dumps(events, indent=2))
    assert "JSON array at top level" in load_error(path)


def test_kubectl_list_snapshot_gets_a_hint(tmp_path):
    listing = {"apiVersion": "v1", "kind": "List", "items": [pod("web-0", 11)]}
    path = tmp_path / "list.json"
    path.write_text(json.dumps(listing, indent=4))
    message = load_error(path)
    assert "list snapshot, not a watch" in message and "--output-watch-events" in message


def test_watch_without_event_types_gets_a_hint(tmp_path):
    path = tmp_path / "bare.json"
    path.write_text("\n".join(json.dumps(pod(f"web-{i}", 10 + i), indent=4) for i in range(3)))
    assert "--output-watch-events" in load_error(path)


def test_only_error_events(tmp_path):
    error = {"type": "ERROR", "object": {"kind": "Status", "code": 403, "reason": "Forbidden"}}
    path = write(tmp_path, "forbidden.json", [json.dumps(error)])
    assert "no ADDED, MODIFIED or DELETED events (only 1 ERROR)" in load_error(path)


def test_only_a_torn_line(tmp_path):
    path = tmp_path / "torn-only.json"
    path.write_text(BASIC[0][:30])
    message = load_error(path)
    assert "not JSON" in message and "incomplete" in message


def test_one_bad_file_among_good_ones_names_the_bad_one(tmp_path):
    good = write(tmp_path, "pods.json", BASIC)
    bad = tmp_path / "sets.json"
    bad.write_text("oops\n")
    with pytest.raises(ReplayInputError) as caught:
        load_recording([good, bad])
    assert_user_message(str(caught.value), bad)
    assert str(good) not in str(caught.value)


def test_no_files():
    with pytest.raises(ReplayInputError):
        load_recording([])


# -- merging files ------------------------------------------------------------------------


def test_files_merge_by_resource_version(tmp_path):
    sets = write(tmp_path, "sts.json", kubectl_lines(("ADDED", statefulset(10)), ("MODIFIED", statefulset(14, 3))))
    pods = write(tmp_path, "pods.json", kubectl_lines(("ADDED", pod("web-0", 11)), ("ADDED", pod("web-1", 15))))
    for order in ([sets, pods], [pods, sets]):
        recording = load_recording(order)
        # RV 10, 11, 14, 15
        assert shown(recording) == [("StatefulSet", "web"), ("Pod", "web-0"), ("StatefulSet", "web"), ("Pod", "web-1")]
        assert recording.events[2].record.replicas == 3
        assert recording.offsets == [0.0, PACE, 2 * PACE, 3 * PACE]


def test_non_numeric_resource_version_keeps_its_place_in_its_file(tmp_path):
    odd = pod("web-1", 0)
    odd["metadata"]["resourceVersion"] = "not-a-number"
    pods = write(
        tmp_path, "pods.json", kubectl_lines(("ADDED", pod("web-0", 11)), ("ADDED", odd), ("ADDED", pod("web-2", 20)))
    )
    sets = write(tmp_path, "sts.json", kubectl_lines(("ADDED", statefulset(11)), ("MODIFIED", statefulset(12))))
    names = [change.record.name for change in load_recording([pods, sets]).events]
    # after everything at RV 11 (in file order), before RV 12
    assert names == ["web-0", "web", "web-1", "web", "web-2"]


def test_timed_files_merge_by_time(tmp_path):
    def timed(ts: str, obj: dict) -> str:
        return json.dumps({"ts": ts, "type": "ADDED", "object": obj})

    # RVs disagree with the times on purpose: when every file is timed, time wins.
    a = write(
        tmp_path,
        "a.jsonl",
        [timed("2026-11-25T10:00:00Z", pod("web-0", 50)), timed("2026-11-25T10:00:03Z", pod("web-1", 51))],
    )
    b = write(tmp_path, "b.jsonl", [timed("2026-11-25T10:00:01Z", statefulset(60))])
    recording = load_recording([a, b])
    assert recording.timed
    assert [change.record.name for change in recording.events] == ["web-0", "web", "web-1"]
    assert recording.offsets == [0.0, 1.0, 3.0]


def test_timed_and_untimed_files_together(tmp_path):
    stamped = json.dumps({"ts": "2026-11-25T10:00:00Z", "type": "ADDED", "object": pod("web-0", 11)})
    timed = write(tmp_path, "rec.jsonl", [stamped])
    untimed = write(tmp_path, "sts.json", kubectl_lines(("ADDED", statefulset(10))))
    recording = load_recording([timed, untimed])
    assert not recording.timed
    assert shown(recording) == [("StatefulSet", "web"), ("Pod", "web-0")]
    assert any("merged by resourceVersion" in w for w in recording.warnings)


def test_marks_follow_their_events_through_a_merge(tmp_path):
    def line(ts: str, obj: dict) -> str:
        return json.dumps({"ts": ts, "type": "ADDED", "object": obj})

    a = write(
        tmp_path,
        "a.jsonl",
        [
            line("2026-11-25T10:00:00Z", pod("web-0", 10)),
            json.dumps({"ts": "2026-11-25T10:00:02Z", "type": "MARK", "mark": "gap"}),
            line("2026-11-25T10:00:02Z", pod("web-1", 12)),
        ],
    )
    b = write(tmp_path, "b.jsonl", [line("2026-11-25T10:00:01Z", statefulset(11))])
    recording = load_recording([a, b])
    assert [(index, mark["mark"]) for index, mark in recording.marks] == [(2, "gap")]
    assert recording.events[2].record.name == "web-1"
