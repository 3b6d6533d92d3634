"""Every cell rule of DESIGN.md, first match wins."""

from __future__ import annotations

import pytest

from stsviz.model import Pod, cell_state
from stsviz.model.cells import revision_channel
from tests.k8s_objects import pod


def state_of(**kwargs) -> str:
    return cell_state(Pod.from_dict(pod(**kwargs)))


def test_no_pod_is_missing():
    assert cell_state(None) == "missing"


def test_deletion_timestamp_wins_over_ready():
    assert state_of(deleting=True, ready=True) == "terminating"


def test_deletion_timestamp_wins_over_failed():
    assert state_of(deleting=True, phase="Failed") == "terminating"


def test_phase_failed_is_failed():
    assert state_of(phase="Failed", ready=False) == "failed"


@pytest.mark.parametrize(
    "reason",
    [
        "CrashLoopBackOff",
        "ImagePullBackOff",
        "ErrImagePull",
        "CreateContainerConfigError",
        "CreateContainerError",
        "InvalidImageName",
        "RunContainerError",
    ],
)
def test_failing_waiting_reason_is_failed_even_in_phase_running(reason):
    assert state_of(phase="Running", ready=False, waiting=reason) == "failed"


def test_failing_waiting_reason_in_pending_is_failed_not_creating():
    assert state_of(phase="Pending", ready=False, waiting="ErrImagePull") == "failed"


def test_pending_not_scheduled_is_unscheduled():
    assert state_of(phase="Pending", ready=False, scheduled=False) == "unscheduled"


def test_pending_without_podscheduled_condition_is_unscheduled():
    assert state_of(phase="Pending", ready=False, scheduled=None) == "unscheduled"


def test_pending_and_scheduled_is_creating():
    assert state_of(phase="Pending", ready=False, waiting="ContainerCreating") == "creating"


def test_running_not_ready_is_running():
    assert state_of(phase="Running", ready=False) == "running"


def test_ready_condition_true_is_ready():
    assert state_of(phase="Running", ready=True) == "ready"


def test_phase_unknown_is_unknown():
    assert state_of(phase="Unknown", ready=False) == "unknown"


def test_succeeded_is_unknown():
    assert state_of(phase="Succeeded", ready=False) == "unknown"


def test_revision_channel_compares_hash_with_update_revision():
    new = Pod.from_dict(pod(revision="web-new"))
    old = Pod.from_dict(pod(revision="web-old"))
    assert revision_channel(new, "web-new") == "updated"
    assert revision_channel(old, "web-new") == "old"
    assert revision_channel(None, "web-new") is None
    assert revision_channel(new, None) is None
