"""`u`: roll back to a revision from the keyboard, compared with `kubectl rollout undo` on a twin set.

The twin is the same manifest in another namespace: same template, so the
same revision names; after stsviz undoes web in `default` and kubectl undoes
web in `twin`, both must hold the same template and the same update revision,
with the same number.
"""

from __future__ import annotations

from kubernetes_asyncio.client import AppsV1Api

from stsviz.model.cells import FAILED
from stsviz.sim import SimCluster, start_demo
from stsviz.sim.resources import PODS, REVISIONS, STATEFULSETS
from tests.locations import needs_kubectl
from tests.sim.simtools import api_client, rolled_out, web_manifest
from tests.sim.test_kubectl import kubectl
from tests.ui.test_actions import SPEED, confirm_dialog, live_app, ready_screen
from tests.ui.test_gate import said
from tests.waiting import eventually

SIZE = (120, 30)
TWIN = "twin"


def sts(cluster: SimCluster, namespace: str) -> dict:
    found = cluster.store.view(STATEFULSETS, namespace, "web")
    assert found is not None
    return found


def update_revision(cluster: SimCluster, namespace: str) -> tuple[str, int]:
    """The set's updateRevision and that ControllerRevision's number."""
    name = sts(cluster, namespace)["status"]["updateRevision"]
    revision = cluster.store.view(REVISIONS, namespace, name)
    assert revision is not None
    return name, revision["revision"]


async def set_image(cluster: SimCluster, namespace: str, image: str) -> None:
    body = {"spec": {"template": {"spec": {"containers": [{"name": "nginx", "image": image}]}}}}
    async with api_client(cluster) as client:
        await AppsV1Api(client).patch_namespaced_stateful_set("web", namespace, body)


def settled(cluster: SimCluster, namespace: str) -> bool:
    found = sts(cluster, namespace)
    return found.get("status", {}).get("observedGeneration") == found["metadata"]["generation"]


@needs_kubectl
async def test_undo_in_the_panel_does_what_kubectl_rollout_undo_does_on_a_twin(tmp_path):
    async with SimCluster(speed=SPEED, seed=1) as cluster:
        cluster.apply({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": TWIN}})
        for namespace in ("default", TWIN):
            cluster.apply(web_manifest(replicas=2), namespace=namespace)
        await eventually(lambda: rolled_out(cluster, namespace=TWIN), timeout=20)
        app = await live_app(cluster, tmp_path)
        told = said(app)
        kubeconfig = cluster.write_kubeconfig(tmp_path / "kubectl-config")
        async with app.run_test(size=SIZE) as pilot:
            await ready_screen(app, cluster)
            for namespace in ("default", TWIN):
                await set_image(cluster, namespace, "nginx:1.20")
            for namespace in ("default", TWIN):
                await eventually(lambda namespace=namespace: rolled_out(cluster, namespace=namespace), timeout=30)
            screen = app.screen
            await eventually(lambda: [v.revision for v in screen.grid.selected_row.revisions] == [2, 1])
            await eventually(lambda: screen.grid.selected_row.verdict.done)
            await pilot.press("H")
            assert screen.revisions.selected.revision == 1  # the newest older one: what an undo goes back to
            await pilot.press("u")
            dialog = await confirm_dialog(app)
            assert dialog.action.kubectl() == (
                f"kubectl --kubeconfig {tmp_path / 'kubeconfig'} --context admin@stsviz-sim -n default "
                "rollout undo statefulset/web --to-revision=1"
            )
            assert dialog.action.details == ("containers[nginx].image: nginx:1.20 → nginx:1.19",)
            assert app.focused is dialog.query_one("#cancel")
            await pilot.press("y")
            await eventually(lambda: any("statefulset.apps/web rolled back" in message for message in told))
            code, out, err = await kubectl(
                kubeconfig, "-n", TWIN, "rollout", "undo", "statefulset/web", "--to-revision=1"
            )
            assert (code, out.strip()) == (0, "statefulset.apps/web rolled back"), err
            for namespace in ("default", TWIN):
                await eventually(lambda namespace=namespace: settled(cluster, namespace), timeout=20)
            ours, theirs = sts(cluster, "default"), sts(cluster, TWIN)
            assert ours["spec"]["template"] == theirs["spec"]["template"]
            assert ours["spec"]["template"]["spec"]["containers"][0]["image"] == "nginx:1.19"
            assert update_revision(cluster, "default") == update_revision(cluster, TWIN)
            assert update_revision(cluster, "default")[1] == 3  # revision 1's template, renumbered as upstream does
            # The panel follows: revision 1 became 3, the update revision.
            await eventually(lambda: [v.revision for v in screen.grid.selected_row.revisions] == [3, 2])

            # The selection stayed on the revision chosen (by name: 1 is now 3), not on the one rolled away from.
            assert screen.revisions.selected.revision == 3
            # Undo to the update revision itself: kubectl skips it, and so do we, in kubectl's words.
            await pilot.press("u")
            dialog = await confirm_dialog(app)
            assert "kubectl skips the rollback" in dialog.action.warnings[0]
            await pilot.press("y")
            skipped = "statefulset.apps/web skipped rollback (current template already matches revision 3)"
            await eventually(lambda: any(skipped in message for message in told))
            code, out, err = await kubectl(
                kubeconfig, "-n", TWIN, "rollout", "undo", "statefulset/web", "--to-revision=3"
            )
            assert (code, out.strip()) == (0, skipped), err


async def test_undo_outside_the_panel_goes_to_the_previous_revision_and_a_vanished_one_is_refused(tmp_path):
    async with SimCluster(speed=SPEED, seed=1) as cluster:
        cluster.apply(web_manifest(replicas=1))
        app = await live_app(cluster, tmp_path)
        told = said(app)
        async with app.run_test(size=SIZE) as pilot:
            await ready_screen(app, cluster)
            await pilot.press("u")
            await eventually(lambda: any("web: no last revision to roll back to" in message for message in told))
            await set_image(cluster, "default", "nginx:1.20")
            screen = app.screen
            await eventually(lambda: [v.revision for v in screen.grid.selected_row.revisions] == [2, 1])
            await pilot.press("u")  # as `kubectl rollout undo` without --to-revision: the second highest
            dialog = await confirm_dialog(app)
            assert dialog.action.kubectl().endswith("rollout undo statefulset/web --to-revision=1")
            # Meanwhile revision 1 goes away (someone trimmed the history): nothing is patched.
            name = next(v.name for v in screen.grid.selected_row.revisions if v.revision == 1)
            cluster.registry.delete(REVISIONS, "default", name)
            await pilot.press("y")
            await eventually(lambda: any("unable to find specified revision 1 in history" in m for m in told))
            assert sts(cluster, "default")["spec"]["template"]["spec"]["containers"][0]["image"] == "nginx:1.20"


async def test_at_80x24_the_undo_dialog_puts_the_image_first_and_keeps_its_title_on_screen(tmp_path):
    async with SimCluster(speed=SPEED, seed=1) as cluster:
        cluster.apply(web_manifest(replicas=1))
        app = await live_app(cluster, tmp_path)
        async with app.run_test(size=(80, 24)) as pilot:
            await ready_screen(app, cluster)
            # `kubectl set env A=1 ... I=9`, then `kubectl set image`: one revision with both.
            env = [{"name": name, "value": "1"} for name in "ABCDEFGHI"]
            body = {
                "spec": {"template": {"spec": {"containers": [{"name": "nginx", "image": "nginx:1.25", "env": env}]}}}
            }
            async with api_client(cluster) as client:
                await AppsV1Api(client).patch_namespaced_stateful_set("web", "default", body)
            screen = app.screen
            await eventually(lambda: [v.revision for v in screen.grid.selected_row.revisions] == [2, 1])
            await pilot.press("u")
            dialog = await confirm_dialog(app)
            details = dialog.action.details
            assert details[0] == "containers[nginx].image: nginx:1.25 → nginx:1.19"  # not under "+N more"
            assert details[-1].endswith("more fields (H shows them all)")
            await pilot.pause()
            title = dialog.query_one(".dialog-title")
            assert title.region.y >= 0 and dialog.query_one(".dialog-body").scroll_y == 0  # the title is seen


async def test_stuck_rollout_undone_from_the_keyboard_names_the_pod_to_delete_and_deleting_it_finishes(tmp_path):
    """The issue's story on the demo's stuck-rollout: see the bad image, undo, be told web-2 is stuck, delete it."""
    async with start_demo("stuck-rollout", speed=SPEED) as demo:
        cluster = demo.cluster
        app = await live_app(cluster, tmp_path)
        told = said(app)
        async with app.run_test(size=SIZE) as pilot:
            screen = app.screen
            grid = screen.grid

            def crash_looping() -> bool:
                row = grid.selected_row
                return row is not None and len(row.cells) == 3 and row.cells[2].state == FAILED

            await eventually(crash_looping, timeout=30, message="web-2 crash-looping on the new image")
            await pilot.press("H")
            assert "containers[main].image\n    nginx:1.19 → nginx:bad-1.0" in screen.revisions.text
            assert "current  pods 0-1" in screen.revisions.text and "update  pods 2" in screen.revisions.text
            await pilot.press("u")
            dialog = await confirm_dialog(app)
            assert dialog.action.details == ("containers[main].image: nginx:bad-1.0 → nginx:1.19",)
            await pilot.press("y")
            await eventually(lambda: any("statefulset.apps/web rolled back" in message for message in told))
            await pilot.press("escape")
            # Reverted, yet web-2 stays on the bad revision: the controller waits for it to be Ready.
            stuck = "The controller will not replace web-2: not Ready on an old revision"
            await eventually(lambda: stuck in screen.detail.text, timeout=20, message="the forced-rollback note")
            await cluster.settle(30)
            web_2 = cluster.store.view(PODS, "default", "web-2")
            assert web_2["spec"]["containers"][0]["image"] == "nginx:bad-1.0"  # nothing replaced it meanwhile
            assert stuck in screen.detail.text
            await pilot.press("right", "right")  # web-2
            await pilot.press("ctrl+d")
            await confirm_dialog(app)
            await pilot.press("tab", "enter")  # Delete
            await eventually(lambda: rolled_out(cluster), timeout=30, message="web back on nginx:1.19 everywhere")
            await eventually(lambda: stuck not in screen.detail.text and grid.selected_row.verdict.done, timeout=20)
