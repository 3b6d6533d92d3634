"""Revisions: the ControllerRevision record, its fold, which ordinals run which, and the template diff."""

from __future__ import annotations

import copy
from typing import Any

import pytest

from stsviz.model import ClusterState, WatchEvent, build_frame
from stsviz.model.records import ControllerRevision
from stsviz.model.revisions import CHANGED, DiffEntry, template_diff
from stsviz.render.rows import plain_frame
from tests.k8s_objects import controller_revision, pod, statefulset

STATUS = {"currentRevision": "web-old", "updateRevision": "web-new"}


def fold(*objects: tuple[str, dict[str, Any]]) -> ClusterState:
    state = ClusterState()
    for type_, obj in objects:
        state.apply(WatchEvent(type_, obj))
    return state


def rollout(**new: Any) -> ClusterState:
    """web mid-rollout: ordinal 2 on web-new, 0 and 1 still on web-old."""
    return fold(
        ("ADDED", statefulset(status=STATUS)),
        ("ADDED", controller_revision("web-old", number=1, image="nginx:1.19")),
        ("ADDED", controller_revision("web-new", number=2, **({"image": "nginx:1.20"} | new))),
        ("ADDED", pod("web-0", revision="web-old")),
        ("ADDED", pod("web-1", revision="web-old")),
        ("ADDED", pod("web-2", revision="web-new")),
    )


def test_record_keeps_the_owner_number_and_the_flattened_template():
    raw = controller_revision("web-new", number=2, image="nginx:1.20", env={"LEVEL": "debug"})
    container = raw["data"]["spec"]["template"]["spec"]["containers"][0]
    container["resources"] = {"limits": {"memory": "1Gi", "cpu": "1"}}
    container["readinessProbe"] = {"httpGet": {"path": "/", "port": 80}}
    container["ports"] = [{"containerPort": 80}]
    raw["data"]["spec"]["template"]["spec"]["volumes"] = [{"name": "cfg", "configMap": {"name": "web"}}]
    raw["data"]["spec"]["template"]["spec"]["nodeSelector"] = {"disktype": "ssd"}
    record = ControllerRevision.from_dict(raw)
    assert (record.namespace, record.name, record.revision) == ("default", "web-new", 2)
    assert (record.owner_kind, record.owner_name, record.created) == ("StatefulSet", "web", "2026-11-25T10:00:00Z")
    assert dict(record.template) == {
        "labels[app]": "web",
        "containers[app].image": "nginx:1.20",
        "containers[app].env[LEVEL]": "debug",
        "containers[app].resources": '{"limits":{"cpu":"1","memory":"1Gi"}}',
        "containers[app].readinessProbe": '{"httpGet":{"path":"/","port":80}}',
        "containers[app].ports": '[{"containerPort":80}]',
        "nodeSelector": '{"disktype":"ssd"}',
        "volumes[cfg]": '{"configMap":{"name":"web"}}',
    }
    assert [path for path, _ in record.template] == sorted(path for path, _ in record.template)


@pytest.mark.parametrize(
    "damage",
    [
        lambda r: r.update(metadata={"namespace": "default"}),  # no name
        lambda r: r.update(metadata="web-new"),
        lambda r: r["metadata"].update(ownerReferences=7),
        # A number where one goes: revision "2" is not revision 0.
        lambda r: r.update(revision="2"),
        lambda r: r.update(data="not a patch"),
        lambda r: r["data"]["spec"].update(template=[1, 2]),
    ],
)
def test_a_broken_revision_is_counted_as_skipped_never_raised(damage):
    raw = controller_revision("web-new", number=2)
    damage(raw)
    state = fold(("ADDED", raw))
    assert sum(state.skipped.values()) == 1 and not state.revisions_by_set


@pytest.mark.parametrize(
    "damage",
    [
        lambda r: r["data"]["spec"]["template"]["spec"].update(containers=[7, {"image": "no name"}], volumes={}),
        lambda r: r["data"]["spec"]["template"]["spec"].update(containers=[{"name": "app", "image": 7}]),
        lambda r: r["data"]["spec"]["template"]["metadata"].update(labels=[], annotations={"n": 3}),
    ],
)
def test_odd_template_shapes_keep_what_is_well_formed(damage):
    raw = controller_revision("web-new", number=2)
    damage(raw)
    state = fold(("ADDED", raw))
    assert not state.skipped and list(state.revisions_by_set[("default", "web")]) == ["web-new"]


def test_fold_indexes_revisions_by_their_set_and_a_late_delete_keeps_the_replacement():
    state = rollout()
    assert list(state.revisions_by_set[("default", "web")]) == ["web-old", "web-new"]
    state.take_dirty()
    stale = controller_revision("web-old", number=1, uid="an-earlier-incarnation")
    state.apply(WatchEvent("DELETED", stale))
    assert "web-old" in state.revisions_by_set[("default", "web")]
    state.apply(WatchEvent("DELETED", controller_revision("web-old", number=1)))
    state.apply(WatchEvent("DELETED", controller_revision("web-new", number=2)))
    assert ("default", "web") not in state.revisions_by_set
    assert state.take_dirty() == {("default", "web")}


def test_revisions_of_other_owners_are_not_kept():
    state = fold(("ADDED", controller_revision("ds-abc", number=1, owner=None)))
    daemon = controller_revision("ds-def", number=1)
    daemon["metadata"]["ownerReferences"][0]["kind"] = "DaemonSet"
    state.apply(WatchEvent("ADDED", daemon))
    assert not state.revisions_by_set and not state.skipped


def test_copy_has_its_own_revision_index():
    state = rollout()
    other = state.copy()
    state.apply(WatchEvent("DELETED", controller_revision("web-old", number=1)))
    assert list(other.revisions_by_set[("default", "web")]) == ["web-old", "web-new"]
    assert list(state.revisions_by_set[("default", "web")]) == ["web-new"]


def test_revisions_newest_first_with_the_ordinals_running_each():
    [row] = build_frame(rollout()).rows
    assert [(r.name, r.revision, r.current, r.update, r.ordinals) for r in row.revisions] == [
        ("web-new", 2, False, True, (2,)),
        ("web-old", 1, True, False, (0, 1)),
    ]


def test_template_diff_names_the_image_and_hides_env_values():
    old = ControllerRevision.from_dict(controller_revision("web-old", number=1, env={"PASSWORD": "hunter2", "A": "1"}))
    raw = controller_revision("web-new", number=2, image="nginx:1.20", env={"PASSWORD": "swordfish", "B": "2"})
    raw["data"]["spec"]["template"]["metadata"]["annotations"] = {"restartedAt": "now"}
    new = ControllerRevision.from_dict(raw)
    assert template_diff(old, new) == (
        DiffEntry("annotations[restartedAt]", None, "now"),
        DiffEntry("containers[app].env[A]", CHANGED, None),
        DiffEntry("containers[app].env[B]", None, CHANGED),
        DiffEntry("containers[app].env[PASSWORD]", CHANGED, CHANGED),
        DiffEntry("containers[app].image", "nginx:1.19", "nginx:1.20"),
    )
    shown = template_diff(old, new, show_values=True)
    assert DiffEntry("containers[app].env[PASSWORD]", "hunter2", "swordfish") in shown
    assert template_diff(old, old) == () and template_diff(old, None) == () and template_diff(None, new) == ()


def test_reordered_containers_and_env_are_not_a_change():
    raw = controller_revision("web-old", number=1, env={"A": "1", "B": "2"})
    swapped = copy.deepcopy(raw)
    spec = swapped["data"]["spec"]["template"]["spec"]
    spec["containers"][0]["env"].reverse()
    spec["containers"].insert(0, {"name": "sidecar", "image": "envoy"})
    raw["data"]["spec"]["template"]["spec"]["containers"].append({"name": "sidecar", "image": "envoy"})
    assert template_diff(ControllerRevision.from_dict(raw), ControllerRevision.from_dict(swapped)) == ()


def test_json_row_carries_revisions_and_the_rollout_diff():
    [row] = build_frame(rollout(env={"TOKEN": "s3cret"})).rows
    out = row.to_json()
    assert out["revisions"] == [
        {"name": "web-new", "revision": 2, "current": False, "update": True, "ordinals": [2]},
        {"name": "web-old", "revision": 1, "current": True, "update": False, "ordinals": [0, 1]},
    ]
    assert out["template_diff"] == [
        {"path": "containers[app].env[TOKEN]", "from": None, "to": CHANGED},
        {"path": "containers[app].image", "from": "nginx:1.19", "to": "nginx:1.20"},
    ]
    assert "s3cret" not in str(out)


def test_no_diff_when_current_is_update_or_a_revision_is_unknown():
    state = rollout()
    state.apply(WatchEvent("MODIFIED", statefulset(status={"currentRevision": "web-new", "updateRevision": "web-new"})))
    assert build_frame(state).rows[0].template_diff == ()
    gone = {"currentRevision": "web-gone", "updateRevision": "web-new"}  # pruned by the history limit
    state.apply(WatchEvent("MODIFIED", statefulset(status=gone)))
    [row] = build_frame(state).rows
    assert row.template_diff == () and [r.name for r in row.revisions] == ["web-new", "web-old"]
    assert build_frame(fold(("ADDED", statefulset(status=STATUS)))).rows[0].to_json()["revisions"] == []


def test_plain_prints_the_diff_under_its_set():
    lines = [line.plain for line in plain_frame(build_frame(rollout()).rows)]
    assert lines[-1] == "  containers[app].image nginx:1.19 -> nginx:1.20"
    assert lines[-2].startswith("default/web")


def test_plain_diff_lines_are_printable():
    [row] = build_frame(rollout(image="nginx\x1b]0;owned\x07:1.20")).rows
    [line] = [line.plain for line in plain_frame((row,)) if line.plain.startswith("  containers")]
    assert "\x1b" not in line and "\x07" not in line


def test_a_change_anywhere_in_the_template_is_shown():
    """Revisions that differ only in their tolerations (or a container's ports, its security context...)
    showed no difference at all: the diff kept a fixed list of fields."""
    old = controller_revision("web-old", number=1, image="nginx:1.20")
    new = controller_revision("web-new", number=2, image="nginx:1.20")
    new["data"]["spec"]["template"]["spec"]["tolerations"] = [{"key": "spot", "operator": "Exists"}]
    new["data"]["spec"]["template"]["spec"]["containers"][0]["securityContext"] = {"runAsNonRoot": True}
    diff = template_diff(ControllerRevision.from_dict(old), ControllerRevision.from_dict(new))
    assert diff == (
        DiffEntry("containers[app].securityContext", None, '{"runAsNonRoot":true}'),
        DiffEntry("tolerations", None, '[{"key":"spot","operator":"Exists"}]'),
    )


def test_a_key_spelt_as_another_entrys_path_does_not_hide_a_change():
    """A ControllerRevision's data is raw JSON: a pod spec key `containers[app].image` took the real image's place."""
    old = controller_revision("web-old", number=1, image="nginx:1.20")
    new = controller_revision("web-new", number=2, image="evil:1")
    new["data"]["spec"]["template"]["spec"]["containers[app].image"] = "nginx:1.20"
    diff = template_diff(ControllerRevision.from_dict(old), ControllerRevision.from_dict(new))
    assert diff == (DiffEntry("containers[app].image", "nginx:1.20", "evil:1"),)
