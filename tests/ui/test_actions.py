"""Changing the cluster from the keyboard, on the demo cluster: kubectl's semantics, safe on a stale view.

Each change is asked for with keys, confirmed in the dialog, sent through the
gate, and then seen on the screen only when the watch reports it.
"""

from __future__ import annotations

import asyncio
import os
import re
import shlex

import pytest
from kubernetes_asyncio.client import AppsV1Api, CoreV1Api, V1DeleteOptions

from stsviz.actions.gate import Failed, Gate
from stsviz.actions.verbs import Restart, Scale, Target
from stsviz.settings import ContextSettings, Settings
from stsviz.sim import SimCluster
from stsviz.sim.resources import PODS, STATEFULSETS
from stsviz.sources.live.config import resolve_target
from stsviz.sources.live.kinds import Scope
from stsviz.sources.live.source import LiveSource
from stsviz.ui.app import StsvizApp, live_setup
from stsviz.ui.dialogs import ConfirmDialog, NumberDialog
from stsviz.ui.live import LiveFrameSource
from tests.locations import KUBECTL, needs_kubectl
from tests.sim.simtools import api_client, rolled_out, web_manifest
from tests.ui.test_gate import said
from tests.waiting import eventually

SIZE = (120, 30)
SPEED = 40.0  # cluster seconds per real second: a rollout takes a second or two


def sts(cluster: SimCluster, name: str = "web") -> dict:
    found = cluster.store.view(STATEFULSETS, "default", name)
    assert found is not None
    return found


def pod_uid(cluster: SimCluster, name: str) -> str | None:
    found = cluster.store.view(PODS, "default", name)
    return found["metadata"]["uid"] if found else None


async def live_app(cluster: SimCluster, tmp_path, settings: Settings | None = None) -> StsvizApp:
    kubeconfig = cluster.write_kubeconfig(tmp_path / "kubeconfig")
    target = resolve_target(str(kubeconfig))
    live = LiveFrameSource(LiveSource(target, Scope("default")), batch_interval=0.02)
    return StsvizApp(live_setup(live, description="demo", settings=settings))


async def ready_screen(app: StsvizApp, cluster: SimCluster) -> None:
    await eventually(lambda: rolled_out(cluster), timeout=20)
    grid = app.screen.grid
    await eventually(lambda: grid.selected_row is not None and grid.selected_row.verdict.done, timeout=20)


def labels(dialog: ConfirmDialog) -> list[str]:
    return [str(label.render()) for label in dialog.query("Label")]


async def confirm_dialog(app: StsvizApp) -> ConfirmDialog:
    await eventually(lambda: isinstance(app.screen, ConfirmDialog), message="the confirm dialog")
    dialog = app.screen
    assert isinstance(dialog, ConfirmDialog)
    return dialog


async def test_plus_scales_up_by_one_after_confirming_and_the_grid_follows_the_watch(tmp_path):
    async with SimCluster(speed=SPEED, seed=1) as cluster:
        cluster.apply(web_manifest(replicas=2))
        app = await live_app(cluster, tmp_path)
        async with app.run_test(size=SIZE) as pilot:
            await ready_screen(app, cluster)
            await pilot.press("plus")
            dialog = await confirm_dialog(app)
            assert dialog.action.kubectl() == (
                f"kubectl --kubeconfig {tmp_path / 'kubeconfig'} --context admin@stsviz-sim -n default "
                "scale statefulset/web --current-replicas=2 --replicas=3"
            )
            assert app.focused is dialog.query_one("#cancel")  # Enter on a reflex cancels
            await pilot.press("c")  # the command whole: the terminal's copy takes the border and line breaks
            assert app.clipboard == dialog.action.kubectl()
            assert sts(cluster)["spec"]["replicas"] == 2  # nothing sent before the confirmation
            await pilot.press("y")
            await eventually(lambda: sts(cluster)["spec"]["replicas"] == 3)
            grid = app.screen.grid
            await eventually(lambda: len([c for c in grid.selected_row.cells if not c.condemned]) == 3)


@needs_kubectl
async def test_the_dialogs_kubectl_line_works_pasted_into_a_shell_that_has_no_kubeconfig(tmp_path):
    """stsviz was given its kubeconfig (as `stsviz demo` gives its own): the line names it, so pasted where
    kubectl would read another kubeconfig, or none, it does what the dialog would. It named the context only."""
    async with SimCluster(speed=SPEED, seed=1) as cluster:
        cluster.apply(web_manifest(replicas=2))
        app = await live_app(cluster, tmp_path)
        async with app.run_test(size=SIZE) as pilot:
            await ready_screen(app, cluster)
            await pilot.press("plus")
            line = (await confirm_dialog(app)).action.kubectl()
            await pilot.press("escape")
        words = shlex.split(line)
        shell = {"PATH": os.environ.get("PATH", ""), "HOME": str(tmp_path / "home")}  # no ~/.kube/config
        ran = await asyncio.create_subprocess_exec(
            KUBECTL, *words[1:], env=shell, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE
        )
        out, err = await ran.communicate()
        assert (ran.returncode, out.decode().strip()) == (0, "statefulset.apps/web scaled"), err.decode()
        assert sts(cluster)["spec"]["replicas"] == 3


async def test_a_scale_on_a_stale_view_is_refused_in_kubectls_words(tmp_path):
    async with SimCluster(speed=SPEED, seed=1) as cluster:
        cluster.apply(web_manifest(replicas=2))
        app = await live_app(cluster, tmp_path)
        told = said(app)
        async with app.run_test(size=SIZE) as pilot, api_client(cluster) as client:
            await ready_screen(app, cluster)
            await pilot.press("plus")
            await confirm_dialog(app)
            # Someone else scales while the dialog is open: the user decided on 2.
            await AppsV1Api(client).patch_namespaced_stateful_set_scale("web", "default", {"spec": {"replicas": 5}})
            await pilot.press("y")
            await eventually(lambda: any("Expected replicas to be 2, was 5" in message for message in told))
            assert sts(cluster)["spec"]["replicas"] == 5


async def test_enter_on_cancel_says_nothing_was_sent(tmp_path):
    """Focus starts on Cancel: Enter closed the dialog without a word, and the user could not tell."""
    async with SimCluster(speed=SPEED, seed=1) as cluster:
        cluster.apply(web_manifest(replicas=2))
        app = await live_app(cluster, tmp_path)
        told = said(app)
        async with app.run_test(size=SIZE) as pilot:
            await ready_screen(app, cluster)
            await pilot.press("plus")
            await confirm_dialog(app)
            await pilot.press("enter")
            await eventually(lambda: "cancelled: scale statefulset web from 2 to 3; nothing was sent" in told)
            assert sts(cluster)["spec"]["replicas"] == 2


async def test_the_scale_dialog_sends_nothing_for_the_same_number_or_a_set_that_moved_meanwhile(tmp_path):
    """`s` Enter asked to confirm scaling 2 to 2; a set scaled by someone else while the number was typed got a
    confirmation bound to fail (the precondition is what was seen)."""
    async with SimCluster(speed=SPEED, seed=1) as cluster:
        cluster.apply(web_manifest(replicas=2))
        app = await live_app(cluster, tmp_path)
        told = said(app)
        async with app.run_test(size=SIZE) as pilot, api_client(cluster) as client:
            await ready_screen(app, cluster)
            await pilot.press("s")
            await eventually(lambda: isinstance(app.screen, NumberDialog), message="the number dialog")
            await pilot.press("enter")
            await eventually(lambda: "web has 2 replicas already: nothing to do" in told)
            assert not isinstance(app.screen, ConfirmDialog)

            await pilot.press("s")
            await eventually(lambda: isinstance(app.screen, NumberDialog), message="the number dialog")
            await AppsV1Api(client).patch_namespaced_stateful_set_scale("web", "default", {"spec": {"replicas": 1}})
            grid = app.screen_stack[0].grid  # under the dialog
            await eventually(lambda: grid.row(grid.cursor_key).set.replicas == 1, message="the grid sees 1")
            await pilot.press("backspace", "4", "enter")
            await eventually(
                lambda: (
                    "web: its replicas went from 2 to 1 while the dialog was open; nothing was sent, ask again" in told
                )
            )
            assert not isinstance(app.screen, ConfirmDialog) and sts(cluster)["spec"]["replicas"] == 1


async def test_ctrl_d_deletes_the_pod_the_user_saw_and_a_replaced_one_is_left_alone(tmp_path):
    async with SimCluster(speed=SPEED, seed=1) as cluster:
        cluster.apply(web_manifest(replicas=2))
        app = await live_app(cluster, tmp_path)
        told = said(app)
        async with app.run_test(size=SIZE) as pilot, api_client(cluster) as client:
            await ready_screen(app, cluster)
            await pilot.press("right")  # web-1
            first = pod_uid(cluster, "web-1")
            await pilot.press("ctrl+d")
            dialog = await confirm_dialog(app)
            assert "ordinal 1" in str(dialog.query("Label")[2].render())
            # What each button sends is seen before it is pressed (Delete now goes at once).
            context = (
                f"kubectl --kubeconfig {tmp_path / 'kubeconfig'} --context admin@stsviz-sim -n default delete pod web-1"
            )
            assert {f"Delete now: {context} --now", f"Force delete: {context} --force --grace-period=0"} <= set(
                labels(dialog)
            )
            # Meanwhile web-1 is deleted and the controller makes a new one under the same name.
            now = V1DeleteOptions(grace_period_seconds=0)
            await CoreV1Api(client).delete_namespaced_pod("web-1", "default", body=now)
            await eventually(lambda: pod_uid(cluster, "web-1") not in (None, first), timeout=20)
            replacement = pod_uid(cluster, "web-1")
            await pilot.press("tab", "enter")  # from Cancel to Delete
            await eventually(lambda: any("web-1 was already replaced" in message for message in told))
            assert pod_uid(cluster, "web-1") == replacement  # the new pod was not touched
            # Now on the pod as it is: it goes.
            await eventually(lambda: app.screen.grid.selected_cell.pod.uid == replacement)
            await pilot.press("ctrl+d")
            dialog = await confirm_dialog(app)
            assert "y: Delete; Tab to Delete now or Force delete; c: copy the command; n or Escape: cancel" in labels(
                dialog
            )
            await pilot.press("y")  # the plain Delete, as the dialog says
            await eventually(lambda: pod_uid(cluster, "web-1") != replacement, timeout=20)


async def test_r_restarts_as_kubectl_rollout_restart_does(tmp_path):
    async with SimCluster(speed=SPEED, seed=1) as cluster:
        cluster.apply(web_manifest(replicas=2))
        app = await live_app(cluster, tmp_path)
        async with app.run_test(size=SIZE) as pilot:
            await ready_screen(app, cluster)
            revision = sts(cluster)["status"]["updateRevision"]
            await pilot.press("r")
            await confirm_dialog(app)
            await pilot.press("y")
            annotations = lambda: sts(cluster)["spec"]["template"]["metadata"].get("annotations") or {}  # noqa: E731
            await eventually(lambda: "kubectl.kubernetes.io/restartedAt" in annotations())
            # Go's RFC3339, as kubectl writes it: `Z` for UTC, never Python's `+00:00`.
            stamp = annotations()["kubectl.kubernetes.io/restartedAt"]
            assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(Z|[+-]\d\d:\d\d)", stamp), stamp
            assert not stamp.endswith("+00:00"), stamp
            await eventually(lambda: sts(cluster)["status"].get("updateRevision") != revision)


async def test_moves_count_from_where_the_set_is_a_partition_past_the_end_and_zero_replicas(tmp_path):
    held = web_manifest(replicas=3, updateStrategy={"type": "RollingUpdate", "rollingUpdate": {"partition": 5}})
    async with SimCluster(speed=SPEED, seed=1) as cluster:
        cluster.apply(held)
        cluster.apply(web_manifest(replicas=0, name="zero"))
        app = await live_app(cluster, tmp_path)
        told = said(app)
        async with app.run_test(size=SIZE) as pilot:
            await eventually(lambda: rolled_out(cluster) and len(app.screen.grid.all_keys) == 2, timeout=20)
            await pilot.press("greater_than_sign")  # web: partition 5 holds back all 3 ordinals
            dialog = await confirm_dialog(app)
            assert dialog.action.summary == "set the partition of statefulset web from 5 to 2"  # promotes web-2
            await pilot.press("escape", "p")  # the dialog offers 3, where moves count from; taken, it is a change
            await eventually(lambda: isinstance(app.screen, NumberDialog), message="the number dialog")
            await pilot.press("enter")
            dialog = await confirm_dialog(app)
            assert dialog.action.summary == "set the partition of statefulset web from 5 to 3"
            await pilot.press("escape", "down", "minus")  # zero: nothing to scale down
            await eventually(lambda: any("zero is at 0 replicas already" in message for message in told))
            await pilot.press("less_than_sign")  # nor any ordinal to hold back
            await eventually(lambda: "zero has 0 replicas: no ordinal to promote or hold back" in told)
            assert not isinstance(app.screen, ConfirmDialog)
            assert not any("None" in message for message in told)


async def test_a_restart_says_which_pods_the_partition_lets_it_roll(tmp_path):
    def held(partition: int, name: str, replicas: int = 3, **spec) -> dict:
        strategy = {"type": "RollingUpdate", "rollingUpdate": {"partition": partition}}
        return web_manifest(replicas=replicas, name=name, updateStrategy=strategy, **spec)

    async with SimCluster(speed=SPEED, seed=1) as cluster:
        cluster.apply(held(1, "canary"))
        cluster.apply(held(10, "held"))
        # Ordinals 1-4: the controller counts the partition from the first ordinal, so 1 and 2 are held.
        cluster.apply(held(2, "shifted", replicas=4, ordinals={"start": 1}))
        cluster.apply(held(0, "web"))
        app = await live_app(cluster, tmp_path)
        async with app.run_test(size=SIZE) as pilot:
            await eventually(lambda: len(app.screen.grid.all_keys) == 4, timeout=20)
            expected = {
                "canary": "Partition 1: only ordinals 1 and above restart; ordinal 0 keeps the revision it runs.",
                "held": "Partition 10: no pod restarts until the partition is moved down (> or p).",
                "shifted": "Partition 2: only ordinals 3 and above restart; ordinals 1-2 keep the revisions they run.",
                "web": None,
            }
            for name, warning in expected.items():
                await pilot.press("r")
                dialog = await confirm_dialog(app)
                assert dialog.action.summary == f"restart statefulset {name}"  # not "(roll every pod)"
                assert dialog.action.warnings == ((warning,) if warning else ())
                await pilot.press("escape", "down")


async def test_greater_than_promotes_the_next_ordinal_and_ondelete_has_no_partition(tmp_path):
    partitioned = web_manifest(replicas=3, updateStrategy={"type": "RollingUpdate", "rollingUpdate": {"partition": 2}})
    ondelete = web_manifest(replicas=1, name="old", updateStrategy={"type": "OnDelete"})
    async with SimCluster(speed=SPEED, seed=1) as cluster:
        cluster.apply(partitioned)
        cluster.apply(ondelete)
        app = await live_app(cluster, tmp_path)
        told = said(app)
        async with app.run_test(size=SIZE) as pilot:
            await eventually(lambda: rolled_out(cluster) and rolled_out(cluster, "old"), timeout=20)
            grid = app.screen.grid
            await eventually(lambda: len(grid.all_keys) == 2)
            await pilot.press("greater_than_sign")  # old (OnDelete) is first by name
            await eventually(lambda: any("old uses OnDelete: there is no partition" in message for message in told))
            await pilot.press("down", "greater_than_sign")
            dialog = await confirm_dialog(app)
            assert dialog.action.summary == "set the partition of statefulset web from 2 to 1"
            await pilot.press("y")
            strategy = lambda: sts(cluster)["spec"]["updateStrategy"]  # noqa: E731
            await eventually(lambda: strategy()["rollingUpdate"]["partition"] == 1)


async def test_less_than_over_an_updated_canary_says_it_is_not_rolled_back(tmp_path):
    """Holding a canary back: the ordinal already on the new revision stays on it; the dialog says so, and how."""
    strategy = {"type": "RollingUpdate", "rollingUpdate": {"partition": 2}}
    async with SimCluster(speed=SPEED, seed=1) as cluster:
        cluster.apply(web_manifest(replicas=3, updateStrategy=strategy))
        await eventually(lambda: rolled_out(cluster), timeout=20)
        image = {"spec": {"template": {"spec": {"containers": [{"name": "nginx", "image": "nginx:1.20"}]}}}}
        cluster.registry.patch(STATEFULSETS, "default", "web", "application/strategic-merge-patch+json", image)
        app = await live_app(cluster, tmp_path)
        async with app.run_test(size=SIZE) as pilot:
            grid = app.screen.grid

            def canary_updated() -> bool:
                row = grid.selected_row
                return row is not None and any(c.ordinal == 2 and c.revision == "updated" for c in row.cells)

            await eventually(canary_updated, timeout=20, message="web-2 on the new revision, on screen")
            await pilot.press("less_than_sign")
            dialog = await confirm_dialog(app)
            assert dialog.action.summary == "set the partition of statefulset web from 2 to 3"
            assert dialog.action.warnings == (
                "Ordinal 2 runs the update revision already: raising the partition does not roll it back. "
                "Delete it (Ctrl+D) to have it made again at the current revision.",
            )
            await pilot.press("escape")
            await pilot.press("greater_than_sign")  # lowering it holds nothing back: nothing to warn of
            dialog = await confirm_dialog(app)
            assert dialog.action.warnings == ()


async def test_scale_on_a_server_that_does_not_answer_opens_its_dialog_in_seconds_and_says_what_is_unknown(
    tmp_path,
):
    """+ asks for the set's autoscalers first: on a hung server it showed nothing for 10 s."""
    import time

    async with SimCluster(speed=SPEED, seed=1) as cluster:
        cluster.apply(web_manifest(replicas=2))
        app = await live_app(cluster, tmp_path)
        async with app.run_test(size=SIZE) as pilot:
            await ready_screen(app, cluster)
            cluster.faults.hang(30)
            began = time.monotonic()
            await pilot.press("plus")
            dialog = await confirm_dialog(app)
            assert time.monotonic() - began < 6
            assert dialog.action.warnings == (
                "Whether a HorizontalPodAutoscaler targets this set is not known: the server did not answer.",
            )
            await pilot.press("escape")
            cluster.faults.clear()


async def test_a_protected_context_asks_to_type_the_sets_name(tmp_path):
    settings = Settings((("admin@*", ContextSettings(protected=True, color="red")),), "/cfg.toml")
    async with SimCluster(speed=SPEED, seed=1) as cluster:
        cluster.apply(web_manifest(replicas=2))
        app = await live_app(cluster, tmp_path, settings=settings)
        async with app.run_test(size=SIZE) as pilot:
            await ready_screen(app, cluster)
            assert app.screen.query_one("StatusHeader").has_class("-context-red")
            await pilot.press("plus")
            dialog = await confirm_dialog(app)
            assert "Enter: Confirm once the name is typed; Escape: cancel" in labels(dialog)
            await pilot.press("enter")  # not yet: the name is not typed
            await pilot.press("w", "e", "enter")  # nor a part of it
            assert app.screen is dialog and sts(cluster)["spec"]["replicas"] == 2
            # Said in the dialog, not in a toast over its buttons.
            assert "Type web first. Enter: Confirm once the name is typed; Escape: cancel" in labels(dialog)
            # Typed where the focus starts, as a user would, and Enter.
            await pilot.press("b", "enter")
            await eventually(lambda: sts(cluster)["spec"]["replicas"] == 3)


async def failed_restart(kubeconfig, fake_time) -> str:
    """What the gate says when a restart sent through it fails (it must fail)."""
    source = LiveSource(resolve_target(str(kubeconfig)), Scope("ns"), timing=fake_time.timing())
    await source.connect()
    try:
        gate = Gate(api=lambda: source.connection.api, context=lambda: "fake")
        try:
            await gate.run(Restart(Target("fake", "ns", "web")))
        except Failed as failed:
            return str(failed)
        raise AssertionError("the restart was expected to fail")
    finally:
        await source.close()


async def test_a_forbidden_change_reads_like_kubectl(api, tmp_path, fake_time):
    message = 'statefulsets.apps "web" is forbidden: User "viewer" cannot patch resource "statefulsets"'
    api.write_answer = (403, "Forbidden", message)
    said_back = await failed_restart(api.kubeconfig(tmp_path), fake_time)
    assert said_back == f"Error from server (Forbidden): {message}"
    assert [method for method, _path in api.writes] == ["PATCH"]  # one try: a refusal (4xx) is not retried


async def test_a_scale_whose_first_read_fails_says_nothing_was_sent(api, tmp_path, fake_time):
    # Scale reads the set before it writes: a read that failed, however, changed nothing.
    import socket

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        closed = probe.getsockname()[1]
    kubeconfig = api.kubeconfig(tmp_path, server=f"https://127.0.0.1:{closed}")
    source = LiveSource(resolve_target(str(kubeconfig)), Scope("ns"))
    await source.connect()
    try:
        gate = Gate(api=lambda: source.connection.api, context=lambda: "fake")
        with pytest.raises(Failed) as failed:
            await gate.run(Scale(Target("fake", "ns", "web"), seen=2, replicas=3))
    finally:
        await source.close()
    assert str(failed.value).startswith("Unable to connect to the server: ")
    assert str(failed.value).endswith("; nothing was sent, nothing changed")


async def test_a_change_that_could_not_connect_says_nothing_was_sent(api, tmp_path, fake_time):
    # Connection refused: the request never left, so unlike a timeout the outcome is known.
    import socket

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        closed = probe.getsockname()[1]
    message = await failed_restart(api.kubeconfig(tmp_path, server=f"https://127.0.0.1:{closed}"), fake_time)
    assert message.startswith("Unable to connect to the server: ")
    assert message.endswith("; nothing was sent, nothing changed")
