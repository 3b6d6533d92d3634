"""The revisions panel (`H`) on the demo cluster and in replay: who runs which revision, and what changed.

The ordinals the panel gives each revision are compared with what the
machine's kubectl reads: the ControllerRevisions the set controls and its
pods' controller-revision-hash labels.
"""

from __future__ import annotations

import json

from kubernetes_asyncio.client import AppsV1Api

from stsviz.model.revisions import ordinal_ranges
from stsviz.sim import SimCluster
from stsviz.sim.resources import STATEFULSETS
from tests.locations import needs_kubectl
from tests.sim.simtools import api_client, web_manifest
from tests.sim.test_kubectl import kubectl
from tests.ui.test_actions import SPEED, live_app, ready_screen
from tests.waiting import eventually

SIZE = (120, 30)


async def canary(cluster: SimCluster, image: str = "nginx:1.20", partition: int = 2) -> None:
    """web's image changed under a partition: ordinals from `partition` up get the new revision."""
    body = {
        "spec": {
            "updateStrategy": {"type": "RollingUpdate", "rollingUpdate": {"partition": partition}},
            "template": {"spec": {"containers": [{"name": "nginx", "image": image}]}},
        }
    }
    async with api_client(cluster) as client:
        await AppsV1Api(client).patch_namespaced_stateful_set("web", "default", body)


def partitioned_out(cluster: SimCluster, updated: int) -> bool:
    sts = cluster.store.view(STATEFULSETS, "default", "web")
    status = (sts or {}).get("status") or {}
    return status.get("updatedReplicas") == updated and status.get("readyReplicas") == sts["spec"]["replicas"]


async def kubectl_ordinals(kubeconfig) -> dict[str, str]:
    """revision name -> ordinal ranges, as kubectl reads the revisions web controls and its pods' labels."""
    code, out, err = await kubectl(
        kubeconfig, "-n", "default", "get", "statefulsets,controllerrevisions,pods", "-o", "json"
    )
    assert code == 0, err
    items = json.loads(out)["items"]
    uid = next(i["metadata"]["uid"] for i in items if i["kind"] == "StatefulSet" and i["metadata"]["name"] == "web")
    names = [
        item["metadata"]["name"]
        for item in items
        if item["kind"] == "ControllerRevision"
        and any(ref.get("controller") and ref["uid"] == uid for ref in item["metadata"].get("ownerReferences", []))
    ]
    ordinals: dict[str, list[int]] = {name: [] for name in names}
    for item in items:
        if item["kind"] == "Pod" and item["metadata"]["name"].startswith("web-"):
            ordinal = int(item["metadata"]["name"].rsplit("-", 1)[1])
            ordinals[item["metadata"]["labels"]["controller-revision-hash"]].append(ordinal)
    return {name: ordinal_ranges(found) for name, found in ordinals.items()}


@needs_kubectl
async def test_the_panel_shows_who_runs_which_revision_and_the_image_that_changed(tmp_path):
    async with SimCluster(speed=SPEED, seed=1) as cluster:
        cluster.apply(web_manifest(replicas=3))
        app = await live_app(cluster, tmp_path)
        async with app.run_test(size=SIZE) as pilot:
            await ready_screen(app, cluster)
            await canary(cluster)
            await eventually(lambda: partitioned_out(cluster, 1), timeout=30)
            screen = app.screen
            await eventually(lambda: len(screen.grid.selected_row.revisions) == 2)
            await eventually(lambda: [v.ordinals for v in screen.grid.selected_row.revisions] == [(2,), (0, 1)])
            await pilot.press("H")
            panel = screen.revisions
            assert app.focused is panel
            newest, oldest = screen.grid.selected_row.revisions
            text = panel.text
            assert f"  2 {newest.name}" in text and "update  pods 2" in text
            assert f"▶   1 {oldest.name}" in text and "current  pods 0-1" in text
            # Default: current vs update, i.e. what the rollout changes.
            assert "Revision 1 → 2 (update)" in text
            assert "containers[nginx].image\n    nginx:1.19 → nginx:1.20" in text
            # The ordinals are those kubectl reads from the pods' controller-revision-hash labels.
            kubeconfig = cluster.write_kubeconfig(tmp_path / "kubectl-config")
            expected = await kubectl_ordinals(kubeconfig)
            assert expected == {newest.name: "2", oldest.name: "0-1"}
            for view in (newest, oldest):
                assert f"{view.name}" in text and f"pods {expected[view.name]}" in text
            await pilot.press("up")
            assert panel.selected == newest
            assert "the update revision itself: nothing differs" in panel.text
            await pilot.press("down", "down")  # stops at the oldest
            assert panel.selected == oldest
            await pilot.press("escape")
            assert not screen.revisions_open and app.focused is screen.grid
            assert screen.detail.text.startswith("StatefulSet default/web")


async def test_the_panel_works_in_replay_and_says_undo_is_refused(replay_app):
    app = replay_app("rolling")
    async with app.run_test(size=(80, 24)) as pilot:
        screen = app.screen
        await pilot.press("H")
        assert screen.revisions_open
        text = screen.revisions.text
        assert text.startswith("Revisions of ")
        assert "replay: a recording cannot be changed" in text
        await pilot.press("H")
        assert not screen.revisions_open
