"""Replay against recordings of a real Kubernetes 1.20 control plane.

The kubectl captures (one file per type, no times) must merge into the same
final cluster as the timed merged.jsonl, and replaying a prefix of merged.jsonl
must show exactly what kubectl reported at each checkpoint (truth-*.json).
"""

from __future__ import annotations

import gzip
import json
import random
from datetime import datetime
from pathlib import Path

import pytest

from stsviz.model import ClusterState, WatchEvent, kubectl_status
from stsviz.sources.replay import Player, load_recording
from tests.locations import RECORDINGS

SCENARIOS = ["rolling", "scale", "web-lifecycle"]
TRUTH_SCENARIOS = ["rolling", "scale"]


def captures(scenario: str) -> list[Path]:
    return sorted((RECORDINGS / scenario).glob("kubectl-*.json"))


def fold(events) -> ClusterState:
    state = ClusterState()
    for change in events:
        state.apply_change(change)
    return state


def raw_events(paths: list[Path]) -> list[dict]:
    """The files' watch events as raw dicts, read here without stsviz."""
    return [json.loads(line) for path in paths for line in path.read_text().splitlines() if line.strip()]


def in_version_order(events: list[dict]) -> list[dict]:
    return sorted(events, key=lambda e: int(e["object"]["metadata"]["resourceVersion"]))


def objects(state: ClusterState) -> dict:
    """What the screens show: the records themselves, not when they were seen."""
    return {
        "sets": state.sets,
        "pods": state.pods,
        "claims": state.claims,
        "pods_by_set": state.pods_by_set,
        "events": state.events,
        "recreations": state.recreations,
        "skipped": state.skipped,
    }


def truths() -> list[tuple[str, Path]]:
    return [(s, p) for s in TRUTH_SCENARIOS for p in sorted((RECORDINGS / s).glob("truth-*.json"))]


# -- merging one file per type ------------------------------------------------------------


@pytest.mark.parametrize("scenario", SCENARIOS)
def test_kubectl_captures_merge_into_the_same_cluster_as_merged_jsonl(scenario):
    merged = load_recording([RECORDINGS / scenario / "merged.jsonl"])
    files = captures(scenario)
    random.Random(scenario).shuffle(files)  # the order on the command line must not matter
    recording = load_recording(files)
    assert recording.warnings == [] and merged.warnings == []
    assert not recording.timed and merged.timed
    assert len(recording.events) == len(merged.events)
    assert objects(fold(recording.events)) == objects(fold(merged.events))


@pytest.mark.parametrize("scenario", SCENARIOS)
def test_merged_captures_are_in_resource_version_order(scenario):
    expected = in_version_order(raw_events(captures(scenario)))
    recording = load_recording(captures(scenario))
    assert [(change.type, change.record) for change in recording.events] == [
        (e["type"], WatchEvent(e["type"], e["object"]).to_change().record) for e in expected
    ]


@pytest.mark.parametrize("scenario", SCENARIOS)
def test_pretty_printed_and_gzipped_captures_give_the_same_events(scenario, tmp_path):
    compact = load_recording(captures(scenario))
    rewritten = []
    for index, path in enumerate(captures(scenario)):
        lines = path.read_text().splitlines()
        pretty = "\n".join(json.dumps(json.loads(line), indent=4) for line in lines) + "\n"
        target = tmp_path / path.name
        # Half pretty-printed, half gzipped compact: users mix what they have.
        target.write_bytes(pretty.encode() if index % 2 else gzip.compress(path.read_bytes()))
        rewritten.append(target)
    recording = load_recording(rewritten)
    assert recording.warnings == []
    assert recording.events == compact.events  # records and derived times


@pytest.mark.parametrize("scenario", SCENARIOS)
def test_derived_times_trail_the_real_receive_times(scenario):
    """kubectl captures have no times; what we derive must never run ahead of what happened."""
    received = {
        (e["object"]["kind"], e["type"], e["object"]["metadata"]["resourceVersion"]): datetime.fromisoformat(e["ts"])
        for e in raw_events([RECORDINGS / scenario / "merged.jsonl"])
    }
    events = load_recording(captures(scenario)).events
    times = [e.time for e in events]
    assert None not in times
    assert times == sorted(times)
    # The loaded events are the captures' events in resourceVersion order (the test above).
    raws = in_version_order(raw_events(captures(scenario)))
    assert len(raws) == len(events)
    for raw, change in zip(raws, events):
        obj = raw["object"]
        assert (change.type, change.record) == (raw["type"], WatchEvent(raw["type"], obj).to_change().record)
        real = received[(obj["kind"], raw["type"], obj["metadata"]["resourceVersion"])]
        behind = (real - change.time).total_seconds()
        assert 0 <= behind < 5, (obj["kind"], obj["metadata"]["name"], behind)


# -- kubectl's own view at each checkpoint ------------------------------------------------


@pytest.mark.parametrize(("scenario", "truth_path"), truths(), ids=lambda v: v.stem if isinstance(v, Path) else v)
def test_replaying_a_prefix_reproduces_the_kubectl_checkpoint(scenario, truth_path):
    truth = json.loads(truth_path.read_text())
    namespace = truth["namespace"]
    player = Player(load_recording([RECORDINGS / scenario / "merged.jsonl"]))
    player.seek_index(truth["event_index"])
    state = player.state
    assert player.position == truth["event_index"]

    for expected in truth["statefulsets"]:
        sts = state.sets[(namespace, expected["name"])]
        status = expected["status"]
        assert (sts.replicas, sts.partition, sts.strategy) == (
            expected["replicas"],
            expected["partition"],
            expected["updateStrategy"],
        )
        assert (sts.ready_replicas, sts.current_replicas, sts.updated_replicas) == (
            status.get("readyReplicas", 0),
            status.get("currentReplicas", 0),
            status.get("updatedReplicas", 0),
        )
        assert (sts.current_revision, sts.update_revision) == (status["currentRevision"], status["updateRevision"])
        rollout = expected["rolloutStatus"]
        said = (rollout["stdout"] if rollout["exitCode"] == 0 else rollout["stderr"]).strip()
        assert kubectl_status(sts).message == said

    pods = {name: pod for (ns, name), pod in state.pods.items() if ns == namespace}
    assert sorted(pods) == sorted(p["name"] for p in truth["pods"])
    for expected in truth["pods"]:
        pod = pods[expected["name"]]
        scheduled = pod.condition("PodScheduled")
        assert {
            "uid": pod.uid,
            "phase": pod.phase,
            "ready": pod.ready,
            "deleting": pod.deleting is not None,
            "revision": pod.revision,
            "restarts": pod.restarts,
            "waiting": pod.waiting_reason,
            "scheduled": scheduled.status if scheduled else None,
        } == {
            "uid": expected["uid"],
            "phase": expected["phase"],
            "ready": expected["ready"],
            "deleting": expected["deletionTimestamp"],
            "revision": expected["controllerRevisionHash"],
            "restarts": expected["restartCount"],
            "waiting": expected["waitingReason"],
            "scheduled": expected["scheduled"],
        }, expected["name"]
        # The grid finds the pod at its ordinal under its set.
        assert state.pods_by_set[(namespace, expected["statefulset"])][expected["ordinal"]] is pod

    claims = {name: claim for (ns, name), claim in state.claims.items() if ns == namespace}
    assert sorted(claims) == sorted(c["name"] for c in truth["pvcs"])
    for expected in truth["pvcs"]:
        claim = claims[expected["name"]]
        assert (claim.phase, claim.volume, claim.storage, claim.deleting is not None) == (
            expected["phase"],
            expected["volumeName"],
            expected["storage"],
            expected["deletionTimestamp"],
        )


@pytest.mark.parametrize("scenario", TRUTH_SCENARIOS)
def test_checkpoints_in_any_order_match_a_fresh_fold(scenario):
    """Jumping between checkpoints backwards and forwards shows what a replay from the start shows."""
    recording = load_recording([RECORDINGS / scenario / "merged.jsonl"])
    indexes = [json.loads(p.read_text())["event_index"] for p in sorted((RECORDINGS / scenario).glob("truth-*.json"))]
    player = Player(recording, checkpoint_every=16)
    for index in list(reversed(indexes)) + indexes[::2] + indexes[::-3]:
        player.seek_index(index)
        assert objects(player.state) == objects(fold(recording.events[:index]))
