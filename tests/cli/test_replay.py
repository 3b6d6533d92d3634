"""`stsviz replay --plain/--json`: the one-shot frame a script or an incident report gets."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from tests import k8s_objects

TYPES = ("statefulsets", "pods", "persistentvolumeclaims", "events")


def stsviz(*args: str, check: bool = True) -> subprocess.CompletedProcess:
    result = subprocess.run([sys.executable, "-m", "stsviz", *args], capture_output=True, text=True, timeout=60)
    if check:
        assert result.returncode == 0, result.stderr
    return result


def one_set_file(tmp_path: Path, name: str, *, namespace: str = "ns", replicas: int = 1) -> Path:
    """A capture holding one StatefulSet, for names and counts no real cluster would send."""
    raw = {
        "type": "ADDED",
        "object": {
            "kind": "StatefulSet",
            "metadata": {"name": name, "namespace": namespace, "uid": "u", "generation": 1, "resourceVersion": "1"},
            "spec": {"replicas": replicas},
            "status": {"observedGeneration": 1},
        },
    }
    path = tmp_path / "one-set.json"
    path.write_text(json.dumps(raw) + "\n")
    return path


def frame_json(*args: str) -> dict:
    return json.loads(stsviz(*args, "--json").stdout)


def truth(recordings: Path, scenario: str, label: str) -> dict:
    [path] = recordings.glob(f"{scenario}/truth-*-{label}.json")
    return json.loads(path.read_text())


def assert_matches_truth(frame: dict, expected: dict) -> None:
    """Each pod's state and revision, and the verdict, as kubectl saw them."""
    [sts] = expected["statefulsets"]
    [row] = [s for s in frame["sets"] if s["name"] == sts["name"]]
    assert row["verdict"]["message"] == sts["rolloutStatus"]["stdout"].strip()
    assert row["verdict"]["done"] == sts["rolloutStatus"]["stdout"].startswith(
        ("statefulset rolling update complete", "partitioned roll out complete")
    )
    assert (row["replicas"], row["ready"]) == (sts["replicas"], sts["status"].get("readyReplicas", 0))
    assert row["update_revision"] == sts["status"]["updateRevision"]
    cells = {c["pod"]: c for c in row["cells"] if c["pod"]}
    assert set(cells) == {p["name"] for p in expected["pods"]}
    for pod in expected["pods"]:
        cell = cells[pod["name"]]
        assert cell["uid"] == pod["uid"]
        assert cell["restarts"] == pod["restartCount"]
        assert cell["reason"] == pod["waitingReason"]
        assert cell["revision"] == (
            "updated" if pod["controllerRevisionHash"] == sts["status"]["updateRevision"] else "old"
        )
        if pod["deletionTimestamp"]:
            assert cell["state"] == "terminating"
        elif pod["ready"]:
            assert cell["state"] == "ready"
        elif pod["phase"] == "Pending":
            assert cell["state"] in {"creating", "unscheduled"}
    claims = {c["name"]: c for cell in row["cells"] for c in cell["claims"]}
    for claim in expected["pvcs"]:
        if claim["name"] in claims:
            assert (claims[claim["name"]]["phase"], claims[claim["name"]]["volume"]) == (
                claim["phase"],
                claim["volumeName"],
            )


@pytest.mark.parametrize(("scenario", "label"), [("rolling", "complete"), ("scale", "one-replica")])
def test_end_of_kubectl_captures_matches_what_kubectl_reported(recordings, scenario, label):
    files = [str(recordings / scenario / f"kubectl-{t}.json") for t in TYPES]
    assert_matches_truth(frame_json("replay", *files, "--at", "end"), truth(recordings, scenario, label))


@pytest.mark.parametrize(
    ("scenario", "label"),
    [("rolling", "one-updated"), ("rolling", "two-updated"), ("scale", "web-2-terminating"), ("scale", "scaling-down")],
)
def test_frame_at_a_checkpoint_time_matches_kubectl(recordings, scenario, label):
    expected = truth(recordings, scenario, label)
    lines = (recordings / scenario / "merged.jsonl").read_text().splitlines()
    at = json.loads(lines[expected["event_index"] - 1])["ts"]
    assert json.loads(lines[expected["event_index"]])["ts"] > at, "checkpoint must fall between two arrivals"
    frame = frame_json("replay", str(recordings / scenario / "merged.jsonl"), "--at", at)
    assert frame["time"] == at
    assert_matches_truth(frame, expected)


def test_json_contract_shape():
    frame = frame_json("replay", "--example", "scale")
    assert set(frame) == {"time", "sets"}
    [row] = frame["sets"]
    assert set(row) == {
        "namespace",
        "name",
        "replicas",
        "ready",
        "partition",
        "current_revision",
        "update_revision",
        "verdict",
        "cells",
        "revisions",
        "template_diff",
    }
    assert set(row["verdict"]) == {"done", "stalled", "message"}
    for cell in row["cells"]:
        assert set(cell) == {"ordinal", "pod", "uid", "state", "revision", "restarts", "reason", "claims"}
        assert [*cell["claims"][0]] == ["name", "phase", "volume"]


def test_json_lists_condemned_pods_after_the_range(recordings):
    expected = truth(recordings, "scale", "scaling-down")
    lines = (recordings / "scale" / "merged.jsonl").read_text().splitlines()
    at = json.loads(lines[expected["event_index"] - 1])["ts"]
    [row] = frame_json("replay", str(recordings / "scale" / "merged.jsonl"), "--at", at)["sets"]
    # Scaled 5 -> 1: ordinal 0 is the range, 1-4 are condemned and removed from the top down.
    assert row["replicas"] == 1
    assert [c["ordinal"] for c in row["cells"]] == [0, 1, 2, 3, 4]
    assert all(c["pod"] for c in row["cells"])
    assert [c["state"] for c in row["cells"]] == ["ready", "ready", "ready", "ready", "terminating"]


def test_plain_frame_draws_ready_pods_as_r_and_no_colour_codes():
    out = stsviz("replay", "--example", "rolling", "--plain").stdout
    assert "\x1b[" not in out
    lines = out.splitlines()
    assert lines[0].startswith("time 2026-")
    assert lines[1].split() == ["STATEFULSET", "READY", "UPDATED", "VERDICT", "PODS"]
    assert lines[2].split() == ["rolling/web", "3/3", "3/3", "done", "RRR"]


def test_plain_frame_mid_rollout_shows_old_and_new_revisions(recordings):
    expected = truth(recordings, "rolling", "two-updated")
    lines = (recordings / "rolling" / "merged.jsonl").read_text().splitlines()
    at = json.loads(lines[expected["event_index"] - 1])["ts"]
    out = stsviz("replay", str(recordings / "rolling" / "merged.jsonl"), "--at", at, "--plain").stdout
    # web-0 ready on the old revision, web-1 creating on the new one, web-2 ready on the new one.
    assert out.splitlines()[2].split()[-1] == "rCR"


def test_plain_frame_draws_unscheduled_pods_as_p_not_as_creating(tmp_path):
    # Pending and not scheduled (no node fits): P on the update revision, p on an old one; C is creating.
    events = [
        ("ADDED", k8s_objects.statefulset(replicas=3, status={"updateRevision": "web-new", "readyReplicas": 0})),
        ("ADDED", k8s_objects.pod("web-0", phase="Pending", ready=False, scheduled=False)),
        ("ADDED", k8s_objects.pod("web-1", revision="web-old", phase="Pending", ready=False, scheduled=False)),
        ("ADDED", k8s_objects.pod("web-2", phase="Pending", ready=False, waiting="ContainerCreating")),
    ]
    path = tmp_path / "unscheduled.json"
    path.write_text("".join(json.dumps({"type": t, "object": o}) + "\n" for t, o in events))
    out = stsviz("replay", str(path), "--plain").stdout
    assert out.splitlines()[2].split()[-1] == "PpC"
    [row] = frame_json("replay", str(path))["sets"]
    assert [c["state"] for c in row["cells"]] == ["unscheduled", "unscheduled", "creating"]


def test_color_flag_keeps_the_screen_colours():
    out = stsviz("replay", "--example", "rolling", "--plain", "--color").stdout
    assert "\x1b[" in out


def test_at_offset_from_the_start():
    frame = frame_json("replay", "--example", "rolling", "--at", "+0")
    assert frame["sets"][0]["verdict"]["message"].startswith("Waiting for")


def test_markup_in_cluster_strings_is_shown_as_text(tmp_path):
    path = one_set_file(tmp_path, "web[/]x", namespace="[bold]ns")
    out = stsviz("replay", str(path), "--plain").stdout
    assert "[bold]ns/web[/]x" in out


@pytest.mark.parametrize(
    ("args", "needle"),
    [
        (["replay", "/nonexistent/file.jsonl", "--plain"], "/nonexistent/file.jsonl"),
        (["replay", "--example", "nope", "--plain"], "no example named 'nope'"),
        (["replay", "--plain"], "nothing to replay"),
        (["replay", "--example", "rolling", "--at", "yesterday", "--plain"], "yesterday"),
        (["replay", "--example", "rolling", "--speed", "0"], "--speed"),
        (["replay", "--example", "rolling", "--color"], "--color"),
        ([], "choose a command"),
    ],
)
def test_bad_input_is_one_line_and_exit_2(args, needle):
    result = stsviz(*args, check=False)
    assert result.returncode == 2
    assert "Traceback" not in result.stderr
    assert needle in result.stderr
    assert result.stderr.strip().splitlines()[-1].startswith("stsviz: error:")


def test_empty_and_not_json_files_are_errors(tmp_path):
    empty = tmp_path / "empty.jsonl"
    empty.write_text("")
    garbage = tmp_path / "garbage.jsonl"
    garbage.write_text("hello, this is not json\n")
    for path in (empty, garbage):
        result = stsviz("replay", str(path), "--plain", check=False)
        assert result.returncode == 2, result.stderr
        assert len(result.stderr.strip().splitlines()) == 1 and "Traceback" not in result.stderr


def test_torn_last_line_replays_the_rest_and_warns(tmp_path, recordings):
    data = (recordings / "rolling" / "merged.jsonl").read_bytes()
    torn = tmp_path / "torn.jsonl"
    torn.write_bytes(data + data.splitlines()[-1][:100])
    result = stsviz("replay", str(torn), "--json")
    assert "stsviz: warning:" in result.stderr
    assert json.loads(result.stdout)["sets"][0]["verdict"]["done"] is True


def test_list_examples():
    out = stsviz("replay", "--list-examples").stdout
    assert [line.split()[0] for line in out.splitlines()] == ["rolling", "scale", "web-lifecycle"]


def test_at_a_time_after_the_last_event_can_show_a_stall(tmp_path, recordings):
    # web-lifecycle at the moment web-1 crash-loops on the bad image; ten minutes later, nothing moved.
    lines = (recordings / "web-lifecycle" / "merged.jsonl").read_text().splitlines()
    cut = next(i for i, line in enumerate(lines) if "CrashLoopBackOff" in line) + 1
    stuck = tmp_path / "stuck.jsonl"
    stuck.write_text("\n".join(lines[:cut]) + "\n")
    last = json.loads(lines[cut - 1])["ts"]
    assert frame_json("replay", str(stuck), "--at", last)["sets"][0]["verdict"]["stalled"] is False
    result = stsviz("replay", str(stuck), "--at", "2099-01-01T00:00:00Z", "--stall-after", "600", "--json")
    later = json.loads(result.stdout)
    assert later["time"] == "2099-01-01T00:00:00.000Z"
    assert later["sets"][0]["verdict"]["stalled"] is True
    assert result.stderr == (
        f"stsviz: warning: --at 2099-01-01T00:00:00.000Z: after the end of the recording ({last});"
        " as if nothing happened since\n"
    )
    # A recorder that went on watching after the last event: the end is its stop, where `end` and G go.
    stopped = "2026-11-25T14:30:00.000Z"
    stuck.write_text("\n".join([*lines[:cut], json.dumps({"ts": stopped, "type": "MARK", "mark": "stop"})]) + "\n")
    result = stsviz("replay", str(stuck), "--at", "2099-01-01T00:00:00Z", "--json")
    assert f"after the end of the recording ({stopped})" in result.stderr


def test_a_moment_between_events_is_the_same_frame_however_at_names_it(recordings):
    # web-lifecycle: web-1 not ready since +66 s, the next event at +74.6 s; +72 is 13:58:50.325Z.
    path = str(recordings / "web-lifecycle" / "merged.jsonl")
    by_offset = frame_json("replay", path, "--at", "+72", "--stall-after", "5")
    by_time = frame_json("replay", path, "--at", "2026-11-25T13:58:50.325Z", "--stall-after", "5")
    assert by_offset == by_time
    assert by_offset["time"] == "2026-11-25T13:58:50.325Z" and by_offset["sets"][0]["verdict"]["stalled"] is True


def test_at_before_the_recording_shows_its_start_and_says_so(recordings):
    path = str(recordings / "web-lifecycle" / "merged.jsonl")
    result = stsviz("replay", path, "--at", "2026-11-25T13:00:00Z", "--json")
    assert json.loads(result.stdout) == frame_json("replay", path, "--at", "+0")
    assert result.stderr == (
        "stsviz: warning: --at 2026-11-25T13:00:00.000Z: before the recording starts (2026-11-25T13:57:38.325Z);"
        " showing its start\n"
    )


def test_an_empty_at_is_refused_not_read_as_end(recordings):
    result = stsviz("replay", str(recordings / "web-lifecycle" / "merged.jsonl"), "--at", "", "--plain", check=False)
    assert result.returncode == 2 and result.stderr.startswith("stsviz: error: --at '': expected end, +SECONDS")


def test_control_characters_never_reach_the_terminal(tmp_path):
    path = one_set_file(tmp_path, "web\x1b]0;pwned\x07")
    out = stsviz("replay", str(path), "--plain").stdout
    assert "\x1b" not in out and "\x07" not in out
    assert "web\ufffd]0;pwned\ufffd" in out


@pytest.mark.parametrize(
    "content",
    [
        '{"type": "ADDED", "object": ' + "[" * 100_000 + "]" * 100_000 + "}\n{}",
        '{"type": "ADDED",\n "object": {"kind": "Pod", "metadata": {"name": "x"}, "n": ' + "9" * 5000 + "}}\n",
        '{"type": "ADDED",\n "object": {"kind": "StatefulSet", "metadata": {"name": "a\\ud800", "namespace": "n"}}}\n',
    ],
    ids=["deep-nesting", "huge-number", "lone-surrogate"],
)
def test_pathological_json_is_an_error_or_a_warning_never_a_traceback(tmp_path, content):
    path = tmp_path / "odd.json"
    path.write_text(content)
    for flag in ("--plain", "--json"):
        result = stsviz("replay", str(path), flag, check=False)
        assert result.returncode in (0, 2), result.stderr
        assert "Traceback" not in result.stderr


def test_at_out_of_range_is_a_usage_error():
    result = stsviz("replay", "--example", "rolling", "--at", "0001-01-01T00:00:00+01:00", "--json", check=False)
    assert result.returncode == 2 and "out of range" in result.stderr


def test_a_huge_replica_count_prints_a_bounded_row(tmp_path):
    path = one_set_file(tmp_path, "typo", replicas=2_147_483_647)
    row = stsviz("replay", str(path), "--plain").stdout.splitlines()[2]
    assert row.endswith("." * 10_000 + "+2147473647")


def test_the_header_names_the_files_briefly_so_the_frame_time_fits_at_80_columns():
    from stsviz.commands.replay import replay_title

    assert replay_title(["/tmp/rec.jsonl"]) == "rec.jsonl"
    assert replay_title(["a/rolling/merged.jsonl", "b/scale/merged.jsonl", "c/x.jsonl"]) == "rolling/merged.jsonl +2"
    assert replay_title([], "web-lifecycle") == "example web-lifecycle"
    assert replay_title(["incident-2026-11-25-prod-eu-west-1-web-tier.jsonl"]) == "…u-west-1-web-tier.jsonl"
    assert len(replay_title(["x" * 200 + ".jsonl"])) == 24


def test_a_rotated_recording_without_its_current_part_replays_its_parts_with_one_warning(tmp_path):
    from tests.sources.record.test_recorder import rotated_recording

    path = tmp_path / "rec.jsonl"
    rotated_recording(path, changes=80, keep=3)
    path.unlink()
    result = stsviz("replay", str(path), "--plain")
    assert result.stderr.splitlines() == [
        f"stsviz: warning: {path}: the current part is missing; playing the 3 rotated parts before it"
    ]
    assert result.stdout.startswith("time 2026-11-25T10:00:00.500Z")  # the recording, played


@pytest.mark.parametrize("extra", [[], ["--at", "+5"]])
def test_the_screen_without_a_terminal_is_refused_in_one_line(extra):
    # `stsviz replay x > out`: the screen would write escape codes into the file and never end.
    result = stsviz("replay", "--example", "rolling", *extra, check=False)
    assert result.returncode == 2 and result.stdout == ""
    assert result.stderr.splitlines() == [
        "stsviz: error: the replay screen needs a terminal that can draw (not a pipe, nor TERM=dumb):"
        " use --plain or --json for one frame"
    ]


@pytest.mark.parametrize("command", [["replay", "--example", "rolling"], ["demo"], []], ids=["replay", "demo", "live"])
def test_a_dumb_terminal_is_refused_in_one_line_as_k9s_refuses_it(command):
    """TERM=dumb (Emacs' shell): the escape codes would come out as text. On a real terminal all the same."""
    import os
    import pty

    main, side = pty.openpty()
    try:
        result = subprocess.run(
            [sys.executable, "-m", "stsviz", *command],  # live mode checks the terminal before any kubeconfig
            stdin=side,
            stdout=side,
            stderr=subprocess.PIPE,
            env={**os.environ, "TERM": "dumb"},
            timeout=60,
        )
    finally:
        os.close(side)
        os.close(main)
    assert result.returncode == 2
    assert "needs a terminal that can draw (not a pipe, nor TERM=dumb)" in result.stderr.decode()


@pytest.mark.parametrize(("at", "shown"), [(None, b"playing"), ("+5", b"paused")])
def test_at_opens_the_screen_paused_at_that_moment(at, shown):
    """`--at 14:03` is the moment to look at: the screen opened playing and left it at once."""
    import fcntl
    import os
    import selectors
    import struct
    import termios
    import time

    master, slave = os.openpty()
    fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", 30, 120, 0, 0))
    args = [sys.executable, "-m", "stsviz", "replay", "--example", "rolling", *(["--at", at] if at else [])]
    process = subprocess.Popen(
        args,
        stdin=slave,
        stdout=slave,
        stderr=slave,
        env=os.environ | {"TERM": "xterm-256color"},
        start_new_session=True,
    )
    os.close(slave)
    seen = b""
    try:
        deadline = time.monotonic() + 20
        with selectors.DefaultSelector() as selector:
            selector.register(master, selectors.EVENT_READ)
            while time.monotonic() < deadline and not (b"playing" in seen or b"paused" in seen):
                if selector.select(0.1):
                    seen += os.read(master, 1 << 16)
        assert shown in seen
    finally:
        process.kill()
        process.wait()
        os.close(master)
