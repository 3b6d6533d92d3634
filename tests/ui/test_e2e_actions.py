"""The keys on a real Kubernetes 1.20 control plane: scale, delete a pod, partition, restart, undo; a viewer is refused.

The cells follow what the real StatefulSet controller does, as the watch
reports it; the viewer's keys are dimmed by the real RBAC authorizer's rules.
"""

from __future__ import annotations

import asyncio
import json
import subprocess

import pytest

from stsviz.sources.live.config import resolve_target
from stsviz.sources.live.kinds import Scope
from stsviz.sources.live.source import LiveSource
from stsviz.sources.live.timing import Timing
from stsviz.ui.app import StsvizApp, live_setup
from stsviz.ui.dialogs import ConfirmDialog
from stsviz.ui.live import LiveFrameSource
from tests.realk8s import Kubectl
from tests.sources.live.test_e2e import FAST, rollout_status, statefulset
from tests.ui.test_gate import said
from tests.waiting import eventually

pytestmark = pytest.mark.e2e
SIZE = (120, 30)


def live_app(kubeconfig, namespace: str) -> StsvizApp:
    source = LiveSource(resolve_target(str(kubeconfig)), Scope(namespace), timing=Timing(**FAST))
    return StsvizApp(live_setup(LiveFrameSource(source, batch_interval=0.02), description=namespace))


async def confirm(app: StsvizApp, pilot, *keys: str) -> None:
    await eventually(lambda: isinstance(app.screen, ConfirmDialog), message="the confirm dialog")
    await pilot.press(*keys)


def spec(k: Kubectl) -> dict:
    return json.loads(k("get", "statefulset", "web", "-o", "json"))


async def test_scale_delete_partition_and_restart_from_the_keys(realk8s_kubeconfig, kubectl, namespace):
    k = Kubectl(kubectl, realk8s_kubeconfig, namespace)
    await asyncio.to_thread(k, "apply", "-f", "-", input=statefulset(3))
    await rollout_status(k)
    app = live_app(realk8s_kubeconfig, namespace)
    async with app.run_test(size=SIZE) as pilot:
        grid = app.screen.grid
        in_range = lambda: [c for c in grid.selected_row.cells if not c.condemned]  # noqa: E731
        await eventually(lambda: grid.selected_row is not None and grid.selected_row.verdict.done, timeout=30)

        await pilot.press("plus")
        await confirm(app, pilot, "y")
        await eventually(lambda: spec(k)["spec"]["replicas"] == 4, timeout=20)
        await eventually(lambda: len(in_range()) == 4 and all(c.state == "ready" for c in in_range()), timeout=60)

        await pilot.press("right")  # web-1
        uid = grid.selected_cell.pod.uid
        await pilot.press("ctrl+d")
        await confirm(app, pilot, "tab", "enter")
        # It goes, and the controller brings it back under the same name with a new UID.
        await eventually(lambda: (c := grid.selected_cell).pod is not None and c.pod.uid != uid, timeout=60)
        await rollout_status(k)

        await pilot.press("p")
        await eventually(lambda: app.screen.__class__.__name__ == "NumberDialog")
        app.screen.query_one("Input").value = "2"
        await pilot.press("enter")
        await confirm(app, pilot, "y")
        await eventually(lambda: spec(k)["spec"]["updateStrategy"]["rollingUpdate"]["partition"] == 2, timeout=20)

        await pilot.press("r")
        await confirm(app, pilot, "y")
        # With the partition at 2 only ordinals 2 and 3 take the restarted template, as the controller does.
        await eventually(
            lambda: (
                [c.revision for c in in_range()] == ["old", "old", "updated", "updated"]
                and all(c.state == "ready" for c in in_range())
            ),
            timeout=90,
        )
        annotations = spec(k)["spec"]["template"]["metadata"]["annotations"]
        assert "kubectl.kubernetes.io/restartedAt" in annotations


async def test_the_viewer_sees_dimmed_keys_and_nothing_changes(realk8s_kubeconfig, realk8s_run_dir, kubectl, namespace):
    k = Kubectl(kubectl, realk8s_kubeconfig, namespace)
    await asyncio.to_thread(k, "apply", "-f", "-", input=statefulset(2))
    await rollout_status(k)
    app = live_app(realk8s_run_dir / "viewer.kubeconfig", namespace)
    told = said(app)
    async with app.run_test(size=SIZE) as pilot:
        screen = app.screen
        await eventually(lambda: screen.grid.selected_row is not None, timeout=30)
        await eventually(lambda: screen.check_action("scale", ()) is None, timeout=30, message="scale dimmed")
        assert app.title.endswith(" (read-only: RBAC)")  # the `view` role allows none of the changes
        await pilot.press("s")
        await pilot.pause()
        assert any("you may not update statefulsets.apps/scale" in message for message in told), told
        assert spec(k)["spec"]["replicas"] == 2
        # The view role reads claims but not the cluster-scoped volumes: `v` says so rather than nothing.
        await pilot.press("v")
        await eventually(lambda: "PersistentVolumes: pv forbidden" in screen.detail.text, timeout=20)
        assert "phase     Bound" in screen.detail.text


async def test_v_follows_a_claim_to_its_volume(realk8s_kubeconfig, kubectl, namespace):
    k = Kubectl(kubectl, realk8s_kubeconfig, namespace)
    await asyncio.to_thread(k, "apply", "-f", "-", input=statefulset(1))
    await rollout_status(k)
    claim = json.loads(k("get", "pvc", "www-web-0", "-o", "json"))
    volume = json.loads(k("get", "pv", claim["spec"]["volumeName"], "-o", "json"))
    app = live_app(realk8s_kubeconfig, namespace)
    async with app.run_test(size=SIZE) as pilot:
        screen = app.screen
        await eventually(lambda: screen.grid.selected_row is not None, timeout=30)
        await pilot.press("v")
        expected = f"pv        {volume['status']['phase']}, reclaim {volume['spec']['persistentVolumeReclaimPolicy']}"
        await eventually(lambda: expected in screen.detail.text, timeout=20, message=expected)
        assert f"volume    {volume['metadata']['name']}" in screen.detail.text


async def test_undo_from_the_revisions_panel_matches_kubectl_rollout_undo_on_a_twin(
    realk8s_kubeconfig, kubectl, namespace
):
    """`H`, select revision 1, `u`: the same template and update revision (name and number) as kubectl's undo."""
    twin = f"{namespace}-twin"[:63]
    Kubectl(kubectl, realk8s_kubeconfig)("create", "namespace", twin)
    try:
        ours, theirs = Kubectl(kubectl, realk8s_kubeconfig, namespace), Kubectl(kubectl, realk8s_kubeconfig, twin)
        for k in (ours, theirs):
            await asyncio.to_thread(k, "apply", "-f", "-", input=statefulset(2))
        for k in (ours, theirs):
            await rollout_status(k)
            await asyncio.to_thread(k, "set", "image", "statefulset/web", "app=nginx:1.26")
        for k in (ours, theirs):
            await rollout_status(k)
        app = live_app(realk8s_kubeconfig, namespace)
        told = said(app)
        async with app.run_test(size=SIZE) as pilot:
            screen = app.screen
            grid = screen.grid
            await eventually(
                lambda: grid.selected_row is not None and [v.revision for v in grid.selected_row.revisions] == [2, 1],
                timeout=30,
            )
            await pilot.press("H")
            assert "nginx:1.25 → nginx:1.26" in screen.revisions.text
            assert screen.revisions.selected.revision == 1
            await pilot.press("u")
            await eventually(lambda: isinstance(app.screen, ConfirmDialog), message="the confirm dialog")
            assert app.screen.action.details == ("containers[app].image: nginx:1.26 → nginx:1.25",)
            await pilot.press("y")
            await eventually(lambda: any("statefulset.apps/web rolled back" in m for m in told), timeout=20)
            out = await asyncio.to_thread(theirs, "rollout", "undo", "statefulset/web", "--to-revision=1")
            assert out.strip() == "statefulset.apps/web rolled back"
            for k in (ours, theirs):
                await rollout_status(k)

            def update_revision(k: Kubectl) -> tuple[str, int]:
                name = spec(k)["status"]["updateRevision"]
                return name, json.loads(k("get", "controllerrevision", name, "-o", "json"))["revision"]

            assert spec(ours)["spec"]["template"] == spec(theirs)["spec"]["template"]
            assert update_revision(ours) == update_revision(theirs)
            assert update_revision(ours)[1] == 3
            await eventually(lambda: [v.revision for v in grid.selected_row.revisions] == [3, 2], timeout=20)
            # Undo to the update revision: the real kubectl and stsviz both skip it.
            await pilot.press("up")
            await pilot.press("u")
            await eventually(lambda: isinstance(app.screen, ConfirmDialog), message="the confirm dialog")
            await pilot.press("y")
            skipped = "statefulset.apps/web skipped rollback (current template already matches revision 3)"
            await eventually(lambda: any(skipped in m for m in told), timeout=20)
            out = await asyncio.to_thread(theirs, "rollout", "undo", "statefulset/web", "--to-revision=3")
            assert out.strip() == skipped
    finally:
        await asyncio.to_thread(
            subprocess.run,
            [kubectl, "--kubeconfig", str(realk8s_kubeconfig), "delete", "namespace", twin, "--wait=false"],
            capture_output=True,
        )


async def test_s_scales_three_to_five_to_two_and_the_cells_follow_in_order(realk8s_kubeconfig, kubectl, namespace):
    k = Kubectl(kubectl, realk8s_kubeconfig, namespace)
    await asyncio.to_thread(k, "apply", "-f", "-", input=statefulset(3))
    await rollout_status(k)
    app = live_app(realk8s_kubeconfig, namespace)
    seen: list[tuple[int, ...]] = []  # the ordinals that have a pod, as the grid showed them over time

    grids: list = []  # the rollout screen's grid (a dialog may be on top when the timer fires)

    def watch_cells() -> None:
        row = grids[0].selected_row
        if row is not None:
            present = tuple(c.ordinal for c in row.cells if c.pod is not None and c.state != "terminating")
            if not seen or seen[-1] != present:
                seen.append(present)

    async def scale_to(pilot, replicas: int) -> None:
        await pilot.press("s")
        await eventually(lambda: app.screen.__class__.__name__ == "NumberDialog")
        app.screen.query_one("Input").value = str(replicas)
        await pilot.press("enter")
        await confirm(app, pilot, "y")

    async with app.run_test(size=SIZE) as pilot:
        grid = app.screen.grid
        await eventually(lambda: grid.selected_row is not None and grid.selected_row.verdict.done, timeout=30)
        grids.append(grid)
        app.set_interval(0.02, watch_cells)
        await scale_to(pilot, 5)
        await eventually(lambda: grid.selected_row.verdict.done and len(grid.selected_row.cells) == 5, timeout=60)
        await scale_to(pilot, 2)
        await eventually(lambda: grid.selected_row.verdict.done and len(grid.selected_row.cells) == 2, timeout=60)
    assert spec(k)["spec"]["replicas"] == 2
    # The set is Parallel: the controller may add or remove several at once, but the pods are
    # always ordinals 0..n-1 (removed from the top), growing to 5, then shrinking to 2, never back.
    assert seen[0] == (0, 1, 2) and seen[-1] == (0, 1) and (0, 1, 2, 3, 4) in seen, seen
    assert all(present == tuple(range(len(present))) for present in seen), seen
    sizes = [len(present) for present in seen]
    peak = sizes.index(5)
    assert sizes[: peak + 1] == sorted(sizes[: peak + 1]) and sizes[peak:] == sorted(sizes[peak:], reverse=True), seen
