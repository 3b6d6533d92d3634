"""Revisions replayed from a real control plane agree with what kubectl reported.

`revisions-undo` (tests/data/recordings/README.md) was recorded from a real
Kubernetes 1.20 control plane with ControllerRevisions: a roll to a bad image
that got stuck, `kubectl rollout undo`, the stuck pod deleted. At the stuck
moment and at the end, each revision's name and number, which is current and
which is the update one, and which ordinals run it must be what `kubectl get
controllerrevisions,pods,sts -o json` said then; the template diff names the
image that changed.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.cli.test_replay import frame_json


def kubectl_said(folder: Path, moment: str) -> list[dict]:
    """The revisions as kubectl's objects give them, newest first, in the --json contract's shape."""
    revisions = json.loads((folder / f"truth-{moment}-revisions.json").read_text())["items"]
    pods = json.loads((folder / f"truth-{moment}-pods.json").read_text())["items"]
    status = json.loads((folder / f"truth-{moment}-sts.json").read_text())["status"]
    running: dict[str, list[int]] = {}
    for pod in pods:
        ordinal = int(pod["metadata"]["name"].rsplit("-", 1)[1])
        running.setdefault(pod["metadata"]["labels"]["controller-revision-hash"], []).append(ordinal)
    return [
        {
            "name": revision["metadata"]["name"],
            "revision": revision["revision"],
            "current": revision["metadata"]["name"] == status["currentRevision"],
            "update": revision["metadata"]["name"] == status["updateRevision"],
            "ordinals": sorted(running.get(revision["metadata"]["name"], [])),
        }
        for revision in sorted(revisions, key=lambda r: r["revision"], reverse=True)
    ]


def before_the_undo(merged: Path) -> str:
    """The arrival time of the last event before `kubectl rollout undo` changed the template."""
    lines = [json.loads(line) for line in merged.read_text().splitlines()]
    undo = next(
        i
        for i, line in enumerate(lines)
        if line["object"]["kind"] == "StatefulSet" and line["object"]["metadata"]["generation"] == 3
    )
    assert lines[undo - 1]["ts"] < lines[undo]["ts"]
    return lines[undo - 1]["ts"]


@pytest.fixture
def folder(recordings: Path) -> Path:
    return recordings / "revisions-undo"


def test_at_the_stuck_moment_the_revisions_and_the_diff_are_kubectls(folder):
    [row] = frame_json("replay", str(folder / "merged.jsonl"), "--at", before_the_undo(folder / "merged.jsonl"))["sets"]
    assert row["revisions"] == kubectl_said(folder, "stuck")
    assert [r["ordinals"] for r in row["revisions"]] == [[2], [0, 1]]  # web-2 on the bad revision, stuck
    assert {"path": "containers[nginx].image", "from": "nginx:1.19", "to": "nginx:bad-1.0"} in row["template_diff"]


def test_after_the_undo_revision_one_came_back_as_three_and_every_pod_runs_it(folder):
    [row] = frame_json("replay", str(folder / "merged.jsonl"), "--at", "end")["sets"]
    assert row["revisions"] == kubectl_said(folder, "end")
    assert row["revisions"][0]["revision"] == 3 and row["revisions"][0]["ordinals"] == [0, 1, 2]
    assert row["template_diff"] == []
