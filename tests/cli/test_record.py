"""`stsviz record` from the outside, against the demo cluster on 127.0.0.1: killed with SIGKILL at
random moments it leaves files that replay and repair on reopening; planted secrets reach no part,
compressed or not; SIGINT and SIGTERM close the file with exit 0; bad input is one line and exit 2."""

from __future__ import annotations

import asyncio
import gzip
import os
import random
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import orjson
import pytest

from stsviz.sim import BackgroundDemo
from stsviz.sim.scenarios import statefulset
from stsviz.sources.record.recorder import Recorder
from stsviz.sources.replay.formats import load_recording
from tests.fake_api import items, obj, status
from tests.locations import REPO

PASSWORD = "pl4nted-Passw0rd"
TOKEN_ARG = "--api-token=pl4nted-t0ken"
COMMAND_SECRET = "pl4nted-c0mmand"
LAST_APPLIED_SECRET = "pl4nted-last-applied"
ANNOTATION_SECRET = "pl4nted-ann0tation"


def environment() -> dict[str, str]:
    return {**os.environ, "PYTHONPATH": str(REPO)}


def record(*args: str) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-m", "stsviz", "record", *args],
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env=environment(),
    )


def record_until_it_ends(path: Path, kubeconfig: Path) -> subprocess.CompletedProcess:
    """`stsviz record -o PATH --kubeconfig KUBECONFIG -A`, for a recorder expected to end by itself."""
    command = [sys.executable, "-m", "stsviz", "record", "-o", str(path), "--kubeconfig", str(kubeconfig), "-A"]
    return subprocess.run(command, capture_output=True, text=True, env=environment(), timeout=60)


@pytest.fixture
def demo(tmp_path: Path) -> Iterator[tuple[BackgroundDemo, Path]]:
    running = BackgroundDemo("scale-up-down", speed=20).start()
    try:
        yield running, running.write_kubeconfig(tmp_path / "kubeconfig")
    finally:
        running.stop()


def wait_for_file(path: Path, timeout: float = 20) -> None:
    deadline = time.monotonic() + timeout
    while not (path.exists() and path.stat().st_size > 0):
        assert time.monotonic() < deadline, f"{path} never written"
        time.sleep(0.05)


def test_sigkill_at_random_moments_leaves_files_that_replay_and_reopening_repairs_the_tail(demo, tmp_path):
    _, kubeconfig = demo
    rng = random.Random(12)
    path = tmp_path / "rec.jsonl"
    kills = 0
    started = time.monotonic()
    while kills < 25 and time.monotonic() - started < 120:
        size = path.stat().st_size if path.exists() else 0
        recorder = record("-o", str(path), "--kubeconfig", str(kubeconfig), "-A")
        # Killed at a random moment once it writes (a busy machine may take seconds to start Python):
        # mid-list, mid-event or between lines.
        deadline = time.monotonic() + 20
        while not (path.exists() and path.stat().st_size > size) and time.monotonic() < deadline:
            time.sleep(0.02)
        time.sleep(rng.uniform(0.0, 1.0))
        recorder.kill()
        recorder.wait(10)
        kills += 1
        if not path.exists():
            continue
        data = path.read_bytes()
        body, _, tail = data.rpartition(b"\n")
        for line in body.splitlines():  # every line but a torn last one is whole
            orjson.loads(line)
        if tail:
            with pytest.raises(orjson.JSONDecodeError):
                orjson.loads(tail)
        recording = load_recording([path])  # replays; at most the torn last line is skipped
        assert [w for w in recording.warnings if "incomplete (torn write?)" not in w] == []
        assert sum("incomplete" in w for w in recording.warnings) == (1 if tail else 0)
    assert kills >= 20
    sessions = path.read_bytes().count(b'"kind":"header"')
    assert sessions >= 10, "too few recorders got as far as their header"
    # Reopening for append cuts a torn tail: the file ends on a whole line and replays without warnings.
    Recorder(path).start().close()
    assert path.read_bytes().endswith(b"\n")
    recording = load_recording([path])
    assert not recording.warnings and len(recording) > 0
    assert path.stat().st_mode & 0o777 == 0o600


def planted(name: str) -> dict:
    manifest = statefulset(name, 2, "nginx:1.25")
    manifest["metadata"]["annotations"] = {
        "kubectl.kubernetes.io/last-applied-configuration": f'{{"password": "{LAST_APPLIED_SECRET}"}}',
        "vault.example/token": ANNOTATION_SECRET,  # on the set, and through the template on every pod
    }
    manifest["spec"]["template"]["metadata"]["annotations"] = {"vault.example/token": ANNOTATION_SECRET}
    container = manifest["spec"]["template"]["spec"]["containers"][0]
    container["env"] = [{"name": "DB_PASSWORD", "value": PASSWORD}]
    container["command"] = ["/bin/server", COMMAND_SECRET]
    container["args"] = [TOKEN_ARG]
    manifest["spec"]["template"]["spec"]["initContainers"] = [dict(container, name="init")]
    return manifest


def all_bytes(directory: Path) -> dict[str, bytes]:
    out = {}
    for path in directory.iterdir():
        if path.name.startswith("rec"):
            data = path.read_bytes()
            out[path.name] = gzip.decompress(data) if data[:2] == b"\x1f\x8b" else data
    return out


@pytest.mark.parametrize("stop", [signal.SIGINT, signal.SIGTERM], ids=["SIGINT", "SIGTERM"])
def test_planted_secrets_reach_no_part_and_a_signal_closes_the_file(demo, tmp_path, stop):
    cluster, kubeconfig = demo
    cluster._loop.call_soon_threadsafe(cluster._demo.cluster.apply, planted("secretive"))
    out = tmp_path / "out"
    out.mkdir()
    path = out / "rec.jsonl"
    recorder = record("-o", str(path), "--kubeconfig", str(kubeconfig), "-A", "--rotate-size", "16KB", "--keep", "3")
    wait_for_file(path)
    deadline = time.monotonic() + 30
    while len([p for p in out.iterdir() if p.name.endswith(".gz")]) < 2:
        assert time.monotonic() < deadline, sorted(p.name for p in out.iterdir())
        time.sleep(0.1)
    recorder.send_signal(stop)
    _, stderr = recorder.communicate(timeout=20)
    assert recorder.returncode == 0, stderr
    assert b"stsviz: recorded " in stderr and b"Traceback" not in stderr
    files = all_bytes(out)
    assert len(files) >= 3 and not [name for name in files if name.endswith(".tmp")]
    tokens = list(cluster.tokens.values())
    for name, data in files.items():
        assert (out / name).stat().st_mode & 0o777 == 0o600
        planted_secrets = (PASSWORD, TOKEN_ARG, COMMAND_SECRET, LAST_APPLIED_SECRET, ANNOTATION_SECRET)
        for secret in (*planted_secrets, *tokens, '"managedFields":'):
            assert secret.encode() not in data, f"{secret} in {name}"
        assert data.endswith(b"\n")
    assert b"secretive" in b"".join(files.values())
    assert b"DB_PASSWORD" in b"".join(files.values())  # the name stays, the value is hashed
    recording = load_recording([path])  # the kept parts, then the file
    assert not recording.warnings
    assert ("default", "secretive") in {change.record.key for change in recording.events}


def test_no_redact_keeps_the_values_and_the_header_says_so(demo, tmp_path):
    cluster, kubeconfig = demo
    cluster._loop.call_soon_threadsafe(cluster._demo.cluster.apply, planted("open"))
    path = tmp_path / "rec.jsonl"
    recorder = record("-o", str(path), "--kubeconfig", str(kubeconfig), "-n", "default", "--no-redact")
    deadline = time.monotonic() + 20
    while PASSWORD.encode() not in (path.read_bytes() if path.exists() else b""):
        assert time.monotonic() < deadline
        time.sleep(0.1)
    recorder.send_signal(signal.SIGINT)
    recorder.communicate(timeout=20)
    header = orjson.loads(path.read_bytes().split(b"\n", 1)[0])
    assert header["redaction"]["redacted"] is False and header["scope"]["namespace"] == "default"
    assert LAST_APPLIED_SECRET.encode() not in path.read_bytes()


@pytest.mark.parametrize(
    ("args", "message"),
    [
        ([], "record needs -o FILE"),
        (["-o", "x", "--rotate-size", "lots"], "--rotate-size 'lots': expected a size"),
        # 4KB is 4,000 bytes: the minimum is said in the units it is counted in (before: 'at least 4KB').
        (["-o", "x", "--rotate-size", "4KB"], "--rotate-size '4KB': at least 4KiB (4096 bytes)"),
        (["-o", "x", "--keep", "3"], "--keep applies to rotated parts"),
        (["-o", "x", "--kubeconfig", "/nonexistent/kubeconfig"], "/nonexistent/kubeconfig"),
    ],
)
def test_bad_input_is_one_line_and_exit_2(args, message, tmp_path):
    result = subprocess.run(
        [sys.executable, "-m", "stsviz", "record", *args],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        env=environment(),
        timeout=60,
    )
    assert result.returncode == 2, result.stderr
    [line] = result.stderr.splitlines()
    assert line.startswith("stsviz: error: ") and message in line


def test_an_unreachable_server_is_exit_2_and_a_file_that_is_not_a_recording_is_left_alone(tmp_path):
    kubeconfig = tmp_path / "kubeconfig"
    kubeconfig.write_text(
        "apiVersion: v1\nkind: Config\ncurrent-context: c\n"
        "clusters: [{name: c, cluster: {server: 'http://127.0.0.1:9'}}]\n"
        "users: [{name: u, user: {}}]\ncontexts: [{name: c, context: {cluster: c, user: u}}]\n"
    )
    result = subprocess.run(
        [sys.executable, "-m", "stsviz", "record", "-o", str(tmp_path / "r.jsonl"), "--kubeconfig", str(kubeconfig)],
        capture_output=True,
        text=True,
        env=environment(),
        timeout=60,
    )
    assert result.returncode == 2 and result.stderr.startswith("stsviz: error: cannot reach http://127.0.0.1:9")
    assert not (tmp_path / "r.jsonl").exists()


def test_a_live_option_before_the_word_record_is_refused():
    result = subprocess.run(
        [sys.executable, "-m", "stsviz", "-n", "x", "record", "-o", "f"],
        capture_output=True,
        text=True,
        env=environment(),
        timeout=60,
    )
    assert result.returncode == 2 and "live-mode option" in result.stderr


def test_a_second_recorder_on_a_file_being_recorded_is_one_line_and_exit_2(demo, tmp_path):
    _, kubeconfig = demo
    path = tmp_path / "rec.jsonl"
    first = Recorder(path).start()
    try:
        result = record_until_it_ends(path, kubeconfig)
    finally:
        first.close()
    assert result.returncode == 2, result.stderr
    assert result.stderr.splitlines() == [f"stsviz: error: {path}: another stsviz is recording to it"]
    assert path.read_bytes().count(b'"kind":"header"') == 1  # the second wrote nothing


def test_sets_the_user_may_not_list_end_the_recording_with_exit_1_and_why(tmp_path):
    """As `--plain` does: a recorder that cannot list a single set says so and ends (it retried forever, exit 0)."""
    running = BackgroundDemo("rolling-update", speed=20, strict_auth=True).start()
    try:
        kubeconfig = running.write_kubeconfig(tmp_path / "kubeconfig")  # over http no token is sent: anonymous
        path = tmp_path / "rec.jsonl"
        result = record_until_it_ends(path, kubeconfig)
    finally:
        running.stop()
    assert result.returncode == 1, result.stderr
    last = result.stderr.strip().splitlines()[-1]
    assert last.startswith("stsviz: error: ") and "forbidden" in last and "statefulsets" in last, result.stderr
    assert "Traceback" not in result.stderr
    assert b'"mark":"stop"' in path.read_bytes()  # the file was closed as on Ctrl+C


async def test_sets_refused_after_they_were_listed_are_waited_out_and_the_recording_goes_on(api, tmp_path):
    """Only a refusal from the start ends the recorder: later (a RoleBinding recreated) it keeps what it has."""
    web = obj("StatefulSet", "web", spec={"replicas": 1}, status={"observedGeneration": 1, "replicas": 1})
    refused = status(403, "Forbidden", 'statefulsets.apps is forbidden: User "x" cannot watch resource "statefulsets"')
    api.script("statefulsets", "list", items([web], rv="10"), *[refused] * 10)  # listed once, then refused
    api.script("statefulsets", "watch", refused)
    path = tmp_path / "rec.jsonl"
    command = ["record", "-o", str(path), "--kubeconfig", str(api.kubeconfig(tmp_path)), "-n", "ns"]
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "stsviz", *command, stdin=subprocess.DEVNULL, stderr=subprocess.PIPE, env=environment()
    )
    try:
        deadline = time.monotonic() + 30
        while not api.seen("statefulsets", "watch") and time.monotonic() < deadline:
            await asyncio.sleep(0.1)
        assert api.seen("statefulsets", "watch"), "the recorder never watched the sets"
        with pytest.raises(TimeoutError):  # three progress checks after the refusal: it did not end
            await asyncio.wait_for(process.wait(), 3)
        process.send_signal(signal.SIGTERM)
        _, err = await asyncio.wait_for(process.communicate(), 30)
    finally:
        if process.returncode is None:
            process.kill()
    assert process.returncode == 0, err.decode()
    recorded = path.read_bytes()
    assert b'"name":"web"' in recorded and b'"mark":"stop"' in recorded


def test_a_label_selector_the_server_cannot_parse_ends_the_recording_with_its_reason(demo, tmp_path):
    """As `--plain` does: a 400 for the sets' list will not get better by asking again (it retried forever)."""
    _, kubeconfig = demo
    path = tmp_path / "rec.jsonl"
    command = [sys.executable, "-m", "stsviz", "record", "-o", str(path), "--kubeconfig", str(kubeconfig), "-A"]
    result = subprocess.run([*command, "-l", "app in ("], capture_output=True, text=True, env=environment(), timeout=60)
    assert result.returncode == 1, result.stderr
    last = result.stderr.strip().splitlines()[-1]
    assert last.startswith("stsviz: error: ") and "400" in last, result.stderr
    assert "Traceback" not in result.stderr
    assert b'"mark":"stop"' in path.read_bytes()
