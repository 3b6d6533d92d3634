"""A load reports how far it has got, a slice at a time; one-shot --plain/--json show it on a terminal's stderr."""

from __future__ import annotations

import gzip
import io
import json
from pathlib import Path

import pytest

from stsviz import cli
from stsviz.commands.replay import LoadProgress
from stsviz.sources.replay import load_recording
from tests import k8s_objects


def write_recording(path: Path, pods: int, *, compress: bool = False) -> int:
    """A v1 recording of one set and `pods` pod events (~1 KB each, restarts counting up); its size on disk."""
    lines = [{"stsviz": 1, "kind": "header"}]
    lines.append(
        {"ts": "2026-12-01T00:00:00.000Z", "type": "ADDED", "object": k8s_objects.statefulset("web", replicas=3)}
    )
    for n in range(pods):
        pod = k8s_objects.pod(f"web-{n % 3}", restarts=n)  # each event changes what is shown
        pod["metadata"]["annotations"] = {"note": f"{n:08d}" * 100}  # bulk, and poor compression
        lines.append({"ts": f"2026-12-01T00:00:{n % 60:02d}.000Z", "type": "MODIFIED", "object": pod})
    data = b"".join(json.dumps(line).encode() + b"\n" for line in lines)
    path.write_bytes(gzip.compress(data) if compress else data)
    return path.stat().st_size


@pytest.mark.parametrize("compress", [False, True])
def test_progress_rises_a_slice_at_a_time_to_the_total(tmp_path: Path, compress: bool) -> None:
    path = tmp_path / "big.jsonl"
    size = write_recording(path, 4000, compress=compress)
    calls: list[tuple[int, int]] = []
    recording = load_recording([path], lambda done, total: calls.append((done, total)))
    assert {total for _, total in calls} == {size}
    done = [d for d, _ in calls]
    assert done == sorted(done) and done[-1] == size
    if not compress:
        assert len(set(done)) >= 3  # several MB: several slices, not one report at the end
    assert recording.events == load_recording([path]).events


def test_progress_counts_every_file_of_a_merge(tmp_path: Path) -> None:
    first, second = tmp_path / "a.jsonl", tmp_path / "b.jsonl"
    total = write_recording(first, 1500) + write_recording(second, 1500)
    calls: list[tuple[int, int]] = []
    load_recording([first, second], lambda done, total: calls.append((done, total)))
    assert {t for _, t in calls} == {total}
    done = [d for d, _ in calls]
    assert done == sorted(done) and done[-1] == total
    assert any(d > first.stat().st_size for d in done[:-1])  # the second file's reads count on from the first's


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def test_the_progress_line_waits_redraws_in_place_and_is_erased() -> None:
    out = io.StringIO()
    clock = Clock()
    progress = LoadProgress(out, clock)
    progress(10, 100)
    assert out.getvalue() == ""  # a quick load draws nothing
    clock.now += LoadProgress.DELAY
    progress(42_000_000, 100_000_000)
    assert out.getvalue() == "\rstsviz: loading 42% (42 of 100 MB)\x1b[K"
    progress(43_000_000, 100_000_000)  # within the interval: not redrawn
    clock.now += LoadProgress.INTERVAL
    progress(100_000_000, 100_000_000)
    assert out.getvalue().endswith("\rstsviz: loading 100% (100 of 100 MB)\x1b[K")
    progress.clear()
    assert out.getvalue().endswith("\r\x1b[K")


class Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_one_shot_json_shows_progress_on_a_terminal_and_erases_it(tmp_path, monkeypatch, capsys) -> None:
    path = tmp_path / "big.jsonl"
    write_recording(path, 3000)
    monkeypatch.setattr(LoadProgress, "DELAY", 0.0)
    monkeypatch.setattr(LoadProgress, "INTERVAL", 0.0)
    terminal = Terminal()
    monkeypatch.setattr("sys.stderr", terminal)
    assert cli.main(["replay", str(path), "--json"]) == 0
    shown = terminal.getvalue()
    assert "stsviz: loading 100% (" in shown and "stsviz: loading 0% (" in shown
    assert shown.endswith("\r\x1b[K")  # erased before anything else is written
    assert json.loads(capsys.readouterr().out)["sets"][0]["name"] == "web"


def test_no_progress_when_stderr_is_not_a_terminal(tmp_path, monkeypatch, capsys) -> None:
    path = tmp_path / "big.jsonl"
    write_recording(path, 3000)
    monkeypatch.setattr(LoadProgress, "DELAY", 0.0)
    assert cli.main(["replay", str(path), "--plain"]) == 0
    assert "loading" not in capsys.readouterr().err
