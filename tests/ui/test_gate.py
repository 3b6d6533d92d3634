"""Every key and palette command that would change the cluster is refused by the one gate:
in replay, with --read-only, and for a context the settings file marks read-only.

The live screens here run against the scripted server, which records every
request that is not a GET: a refused change must never reach it.
"""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

import pytest
from textual.binding import Binding
from textual.screen import ModalScreen

from stsviz.actions.gate import READ_ONLY, REPLAY, Gate, Refused
from stsviz.actions.verbs import Restart, Target
from stsviz.settings import ContextSettings, Settings
from stsviz.sources.live.config import resolve_target
from stsviz.sources.live.kinds import Scope
from stsviz.sources.live.source import LiveSource
from stsviz.ui.action_keys import MUTATING_ACTIONS
from stsviz.ui.app import StsvizApp, live_setup
from stsviz.ui.grid import StatefulSetGrid
from stsviz.ui.live import LiveFrameSource
from stsviz.ui.palette import screen_actions
from stsviz.ui.screen import RolloutScreen
from tests.fake_api import FakeApiServer, obj, pod
from tests.waiting import eventually

SIZE = (120, 30)
HARMLESS_TO_SKIP = {"quit", "command_line", "help", "open_filter"}  # they open screens or leave; no change


def web() -> dict:
    return obj("StatefulSet", "web", spec={"replicas": 2}, status={"observedGeneration": 1, "replicas": 2})


def every_binding() -> list[Binding]:
    return [*RolloutScreen.BINDINGS, *StatefulSetGrid.BINDINGS]


def test_every_binding_that_changes_the_cluster_is_registered_as_mutating():
    actions = {binding.action.split("(")[0] for binding in every_binding()}
    assert actions >= MUTATING_ACTIONS  # the registry names real keys
    assert {"scale", "delete_pod", "restart", "set_partition", "move_partition", "scale_by", "undo"} == MUTATING_ACTIONS


def said(app: StsvizApp, titles: list[str] | None = None) -> list[str]:
    """Every notification the app shows, kept (shown ones expire after a few seconds); their titles in `titles`."""
    told: list[str] = []
    notify = app.notify

    def keep(message: str, *args, **kwargs):
        told.append(str(message))
        if titles is not None:
            titles.append(str(kwargs.get("title", "")))
        return notify(message, *args, **kwargs)

    app.notify = keep  # type: ignore[method-assign]
    return told


async def settle_dialogs(app, pilot) -> None:
    """Whatever dialog an action opened: accept it as a hurried user would (Enter, y), then leave it."""
    for key in ("enter", "y", "enter", "y", "escape", "escape"):
        if isinstance(app.screen, ModalScreen):
            await pilot.press(key)
            await pilot.pause()


def live_app(api, tmp_path, fake_time, *, read_only: bool = False, settings: Settings | None = None) -> StsvizApp:
    source = LiveSource(resolve_target(str(api.kubeconfig(tmp_path))), Scope("ns"), timing=fake_time.timing())
    live = LiveFrameSource(source, batch_interval=0.02)
    setup = live_setup(live, description="fake", read_only=read_only, settings=settings)
    return StsvizApp(setup)


@pytest.mark.parametrize(
    ("read_only", "settings", "reason"),
    [
        (True, None, READ_ONLY),
        (False, Settings(((("fak*"), ContextSettings(read_only=True)),), "/cfg.toml"), "context fake is read-only"),
    ],
    ids=["--read-only", "read-only context"],
)
async def test_every_key_that_changes_the_cluster_is_dimmed_said_and_nothing_is_sent(
    api, tmp_path, fake_time, read_only, settings, reason
):
    """As k9s's --readonly: the keys are not offered as usable (dimmed, not in the palette); pressed, they say why."""
    api.objects["statefulsets"] = [web()]
    api.objects["pods"] = [pod("web-0"), pod("web-1")]
    app = live_app(api, tmp_path, fake_time, read_only=read_only, settings=settings)
    titles: list[str] = []
    told = said(app, titles)
    async with app.run_test(size=SIZE) as pilot:
        screen = app.screen
        assert isinstance(screen, RolloutScreen)
        await eventually(lambda: screen.grid.selected_cell is not None and screen.grid.selected_cell.pod is not None)
        mutating = [b for b in every_binding() if b.action.split("(")[0] in MUTATING_ACTIONS]
        assert {b.action.split("(")[0] for b in mutating} == MUTATING_ACTIONS
        for binding in mutating:
            assert screen.check_action(binding.action.split("(")[0], ()) is None  # dimmed
            await pilot.press(binding.key.split(",")[0])
            await pilot.pause()
            await settle_dialogs(app, pilot)
        offered = {name for name, _help, _run in screen_actions(screen)}
        assert not offered & {"Scale", "Delete", "Restart", "Partition", "+1", "-1", "Undo"}
        assert api.writes == []  # nothing that changes anything reached the server
        # Pressed, each key said why in the gate's words, once, its toast naming it (one toast for all of them
        # left the later keys looking ignored).
        assert len([message for message in told if reason in message]) == len(mutating), told
        # (Kept as said: on a loaded machine the first toasts expire before the last key is pressed.)
        assert titles == [f"{binding.description}: not allowed" for binding in mutating], titles
        await pilot.press(mutating[-1].key.split(",")[0])  # the same key again while its toast is up
        await pilot.pause()
        assert len(titles) == len(mutating), titles  # not said again: on the source's clock, exact here


async def test_in_replay_the_keys_are_not_offered_and_the_gate_refuses_anyway(replay_app):
    app = replay_app("rolling")
    async with app.run_test(size=SIZE):
        screen = app.screen
        assert isinstance(screen, RolloutScreen)
        for action in MUTATING_ACTIONS:
            assert screen.check_action(action, ()) is False
        offered = {name for name, _help, _run in screen_actions(screen)}
        assert not offered & {"Scale", "Delete", "Restart", "Partition", "+1", "-1"}
        gate = screen.gate()
        assert gate.refusal() == REPLAY
        with pytest.raises(Refused, match="replay"):
            await gate.run(Restart(Target(None, "rolling", "web")))


async def test_the_gate_refuses_a_read_only_context_even_when_called_directly():
    sent = []
    gate = Gate(
        api=lambda: sent.append("api asked") or object(),
        context=lambda: "prod-eu",
        settings=Settings((("prod*", ContextSettings(read_only=True)),), "/cfg.toml"),
    )
    with pytest.raises(Refused, match=r"context prod-eu is read-only in /cfg\.toml"):
        await gate.run(Restart(Target("prod-eu", "default", "web")))
    assert sent == []


VIEW_RULES = [{"verbs": ["get", "list", "watch"], "apiGroups": ["*"], "resources": ["*"]}]


async def test_keys_rbac_refuses_are_dimmed_and_say_why_without_sending(api, tmp_path, fake_time):
    api.objects["statefulsets"] = [web()]
    api.objects["pods"] = [pod("web-0"), pod("web-1")]
    api.rules = VIEW_RULES  # a viewer: the `view` ClusterRole's reading verbs only
    app = live_app(api, tmp_path, fake_time)
    told = said(app)
    async with app.run_test(size=SIZE) as pilot:
        screen = app.screen
        await eventually(lambda: api.reviews == ["ns"], message="the namespace's rules asked for")
        await eventually(lambda: screen.check_action("scale", ()) is None, message="scale dimmed")
        assert screen.check_action("delete_pod", ()) is None and screen.check_action("restart", ()) is None
        assert screen.check_action("open_filter", ()) is True  # reading keys are untouched
        assert app.title.endswith(" (read-only: RBAC)")  # the header says why every change key is dimmed
        await pilot.press("s")
        await pilot.pause()
        assert "you may not update statefulsets.apps/scale in ns (RBAC)" in told
        assert not isinstance(app.screen, ModalScreen) and api.writes == []


async def test_a_review_that_failed_is_asked_again_soon_not_trusted_for_a_minute(api, tmp_path, fake_time):
    api.objects["statefulsets"] = [web()]
    api.objects["pods"] = [pod("web-0")]
    api.write_answer = (503, "ServiceUnavailable", "the authorizer is restarting")  # the first review fails
    app = live_app(api, tmp_path, fake_time)
    async with app.run_test(size=SIZE):
        screen = app.screen
        await eventually(lambda: ("POST", "/apis/authorization.k8s.io/v1/selfsubjectrulesreviews") in api.writes)
        assert screen.check_action("scale", ()) is True  # nothing known: the keys stay, a 403 would be shown
        api.rules = VIEW_RULES
        fake_time.now += 6  # past the retry, well inside the minute a good review is trusted for
        await eventually(lambda: api.reviews == ["ns"], message="the review asked again")
        await eventually(lambda: screen.check_action("scale", ()) is None, message="scale dimmed")


async def test_an_incomplete_review_is_asked_again_soon_and_less_often_each_time(api, tmp_path, fake_time):
    """As just after an apiserver restart, when its RBAC caches are not filled yet: the keys are dimmed in
    seconds once the server can say, not after a minute; a server that never can is asked less and less."""
    api.objects["statefulsets"] = [web()]
    api.objects["pods"] = [pod("web-0")]
    api.rules, api.rules_incomplete = VIEW_RULES, True
    app = live_app(api, tmp_path, fake_time)
    async with app.run_test(size=SIZE) as pilot:
        screen = app.screen
        await eventually(lambda: api.reviews == ["ns"])
        assert screen.check_action("scale", ()) is True  # an incomplete review cannot say no
        fake_time.now += 6
        await eventually(lambda: api.reviews == ["ns"] * 2, message="asked again after 5s")
        fake_time.now += 6
        await pilot.pause(0.3)  # a second miss waits 10s
        assert api.reviews == ["ns"] * 2
        api.rules_incomplete = False
        fake_time.now += 5
        assert "read-only" not in app.title  # nothing is known to be refused yet
        await eventually(lambda: api.reviews == ["ns"] * 3, message="asked again after 10s")
        await eventually(lambda: screen.check_action("scale", ()) is None, message="scale dimmed")
        assert app.title.endswith(" (read-only: RBAC)")


async def test_a_review_that_decides_nothing_later_keeps_what_the_last_complete_one_said(api, tmp_path, fake_time):
    """The minute's review asked again of a restarting server: the keys stay dimmed and the header says so,
    rather than undimming until a review succeeds again."""
    api.objects["statefulsets"] = [web()]
    api.objects["pods"] = [pod("web-0")]
    api.rules = VIEW_RULES
    app = live_app(api, tmp_path, fake_time)
    async with app.run_test(size=SIZE):
        screen = app.screen
        await eventually(lambda: app.title.endswith(" (read-only: RBAC)"))
        api.rules_incomplete = True
        fake_time.now += 61  # the minute is up: asked again
        await eventually(lambda: api.reviews == ["ns"] * 2, message="asked again")
        fake_time.now += 6  # and again, soon, as it decided nothing
        await eventually(lambda: api.reviews == ["ns"] * 3, message="asked again soon")
        assert screen.check_action("scale", ()) is None and app.title.endswith(" (read-only: RBAC)")


async def test_an_admin_keeps_every_key():
    from stsviz.actions.rbac import parse_review

    admin = parse_review(
        "ns", {"status": {"resourceRules": [{"verbs": ["*"], "apiGroups": ["*"], "resources": ["*"]}]}}
    )
    assert all(admin.denial(action) is None for action in MUTATING_ACTIONS)
    unknown = parse_review("ns", {"status": {"resourceRules": [], "incomplete": True}})
    assert all(unknown.denial(action) is None for action in MUTATING_ACTIONS)  # incomplete decides nothing

    def rules(*verbs: str):
        return parse_review(
            "ns",
            {
                "status": {
                    "resourceRules": [{"verbs": list(verbs), "apiGroups": ["apps"], "resources": ["statefulsets"]}]
                }
            },
        )

    assert rules("get", "patch").denial("restart") is None and rules("get", "patch").denial("scale") is not None
    # A restart reads the set first (a stamp it already has is refused, as kubectl does): patch alone is not enough.
    assert rules("patch").denial("restart") == "you may not get statefulsets.apps in ns (RBAC)"


async def restart_held_at_the_server(app: StsvizApp, pilot, api: FakeApiServer) -> None:
    """`r`, `y`: the restart is sent, and the server holds its answer until `api.write_hold` is set."""
    await eventually(lambda: app.screen.grid.selected_row is not None)
    await pilot.press("r")
    await eventually(lambda: isinstance(app.screen, ModalScreen), message="the confirm dialog")
    await pilot.press("y")
    await eventually(lambda: ("PATCH", "/apis/apps/v1/namespaces/ns/statefulsets/web") in api.writes)


def with_a_second_context(api: FakeApiServer, tmp_path: Path, name: str) -> Path:
    """The fake server's kubeconfig with another context `name` on the same cluster and user."""
    config = json.loads(api.kubeconfig(tmp_path).read_text())
    config["contexts"].append({"name": name, "context": {**config["contexts"][0]["context"]}})
    path = tmp_path / "two.kubeconfig"
    path.write_text(json.dumps(config))
    return path


async def test_a_change_in_flight_is_not_cancelled_by_the_next_key(api, tmp_path, fake_time):
    """A key pressed while a confirmed change is being sent is refused, said; the change's outcome is still told."""
    api.objects["statefulsets"] = [web()]
    api.write_hold = asyncio.Event()  # the server takes its time answering the restart
    api.write_answer = (403, "Forbidden", "restart refused by the fake server")
    app = live_app(api, tmp_path, fake_time)
    told = said(app)
    async with app.run_test(size=SIZE) as pilot:
        await restart_held_at_the_server(app, pilot, api)
        await pilot.press("plus")
        await eventually(lambda: "still sending: restart statefulset web; wait for its outcome" in told)
        assert not isinstance(app.screen, ModalScreen)  # no second dialog
        api.write_hold.set()
        await eventually(lambda: any("restart refused by the fake server" in message for message in told))
        await pilot.press("plus")  # and afterwards keys work again
        await eventually(lambda: isinstance(app.screen, ModalScreen), message="the scale dialog")


async def test_q_while_a_change_is_sent_says_so_first_and_q_again_leaves(api, tmp_path, fake_time):
    """Leaving cancels the change unseen: whether it reached the server would never be told."""
    api.objects["statefulsets"] = [web()]
    api.write_hold = asyncio.Event()  # the server takes its time answering the restart
    app = live_app(api, tmp_path, fake_time)
    told = said(app)
    async with app.run_test(size=SIZE) as pilot:
        await restart_held_at_the_server(app, pilot, api)
        await pilot.press("q")
        await eventually(
            lambda: "still sending: restart statefulset web; q again leaves without waiting for its outcome" in told
        )
        assert app.return_code is None  # still here
        await pilot.press("q")
        await eventually(lambda: app.return_code == 0, message="the second q leaves")


async def test_ctx_to_a_read_only_context_dims_its_keys_at_once(api, tmp_path, fake_time):
    api.objects["statefulsets"] = [web()]
    path = with_a_second_context(api, tmp_path, "prod")
    settings = Settings((("prod", ContextSettings(read_only=True)),), "/cfg.toml")
    source = LiveSource(resolve_target(str(path)), Scope("ns"), timing=fake_time.timing())
    app = StsvizApp(live_setup(LiveFrameSource(source, batch_interval=0.02), description="fake", settings=settings))

    def scale_key_disabled() -> bool | None:
        """Whether the footer's `s` is dimmed; None while the footer is being composed again."""
        keys = [key for key in app.screen.query("FooterKey") if key.action == "scale"]
        return keys[0].has_class("-disabled") if keys else None

    async with app.run_test(size=(160, 30)):
        screen = app.screen
        await eventually(lambda: screen.grid.selected_row is not None)
        await eventually(lambda: scale_key_disabled() is False, message="scale offered in fake")
        await screen._command_line("ctx prod").wait()
        await eventually(lambda: app.setup.live.source.target.context == "prod")
        await eventually(lambda: screen.check_action("scale", ()) is None, message="scale refused in prod")
        await eventually(lambda: scale_key_disabled() is True, message="scale dimmed in the read-only context")


async def test_ns_while_a_change_is_sent_waits_for_its_outcome(api, tmp_path, fake_time):
    """Switching closes the connection the change is on: its outcome would be "unknown" though it was sent."""
    api.objects["statefulsets"] = [web()]
    api.write_hold = asyncio.Event()
    app = live_app(api, tmp_path, fake_time)
    told = said(app)
    async with app.run_test(size=SIZE) as pilot:
        await restart_held_at_the_server(app, pilot, api)
        source = app.setup.live.source
        await app.screen._command_line("ns other").wait()
        assert "still sending: restart statefulset web; switch once its outcome is told" in told
        assert app.setup.live.source is source  # not switched
        api.write_hold.set()


async def test_after_ctx_the_keys_follow_the_new_users_rules(api, tmp_path, fake_time):
    """Rules are a user's: `:ctx` asks for them again (they were kept per namespace and trusted for a minute)."""
    api.objects["statefulsets"] = [web()]
    api.rules = VIEW_RULES
    path = with_a_second_context(api, tmp_path, "admin")
    source = LiveSource(resolve_target(str(path)), Scope("ns"), timing=fake_time.timing())
    app = StsvizApp(live_setup(LiveFrameSource(source, batch_interval=0.02), description="fake"))
    async with app.run_test(size=SIZE):
        screen = app.screen
        await eventually(lambda: screen.check_action("scale", ()) is None, message="a viewer: scale dimmed")
        await eventually(lambda: app.title.endswith(" (read-only: RBAC)"))
        api.rules = [{"verbs": ["*"], "apiGroups": ["*"], "resources": ["*"]}]  # the admin context's user
        await screen._command_line("ctx admin").wait()
        await eventually(lambda: app.setup.live.source.target.context == "admin")
        await eventually(lambda: api.reviews == ["ns", "ns"], message="the rules asked for again")
        await eventually(lambda: screen.check_action("scale", ()) is True, message="scale offered to the admin")
        assert "read-only" not in app.title


@pytest.mark.parametrize(
    ("answer", "told_as"),
    [
        # An auth proxy's login page answers 200 in HTML.
        ("<html><body>Sign in</body></html>", "error: the server's answer is not JSON: '<html>"),
        # A set whose spec is not an object: the restart cannot read its template.
        ('{"kind": "StatefulSet", "spec": 5}', "error: the server's answer was not understood"),
    ],
)
async def test_an_answer_the_restart_cannot_read_is_told_and_the_app_goes_on(api, tmp_path, fake_time, answer, told_as):
    from aiohttp import web as aioweb

    async def odd_answer(request):
        return aioweb.Response(text=answer, content_type="text/html")

    api.objects["statefulsets"] = [web()]
    app = live_app(api, tmp_path, fake_time)
    told = said(app)
    async with app.run_test(size=SIZE) as pilot:
        await eventually(lambda: app.screen.grid.selected_row is not None)
        api.script("web", "list", odd_answer)  # the restart's GET of statefulsets/web
        await pilot.press("r")
        await eventually(lambda: isinstance(app.screen, ModalScreen), message="the confirm dialog")
        await pilot.press("y")
        await eventually(lambda: any(line.startswith(told_as) for line in told), message="the failure told")
        line = next(line for line in told if line.startswith(told_as))
        assert line.endswith("; nothing was sent, nothing changed"), line
        assert not [write for write in api.writes if write[0] == "PATCH"]
        assert isinstance(app.screen, RolloutScreen) and app.return_code is None  # still running


async def test_a_flow_that_fails_unexpectedly_is_said_and_the_app_goes_on(api, tmp_path, fake_time, monkeypatch):
    """A bug in a key's flow is one toast, not the end of the app with a traceback (and its request's headers)."""

    async def broken(self, transport):
        raise RuntimeError("a bug in the restart")

    monkeypatch.setattr(Restart, "perform", broken)
    api.objects["statefulsets"] = [web()]
    app = live_app(api, tmp_path, fake_time)
    told = said(app)
    async with app.run_test(size=SIZE) as pilot:
        await eventually(lambda: app.screen.grid.selected_row is not None)
        await pilot.press("r")
        await eventually(lambda: isinstance(app.screen, ModalScreen), message="the confirm dialog")
        await pilot.press("y")
        await eventually(lambda: "RuntimeError: a bug in the restart" in told, message="the failure told")
        assert isinstance(app.screen, RolloutScreen) and app.return_code is None
        await pilot.press("r")  # and the keys still work
        await eventually(lambda: isinstance(app.screen, ModalScreen), message="a second confirm dialog")


async def test_a_change_asked_before_a_switch_is_not_sent_to_the_new_scope(api, tmp_path, fake_time):
    """A flow that waited (for the autoscalers, the confirm) while the view moved sends nothing anywhere."""
    api.objects["statefulsets"] = [web()]
    app = live_app(api, tmp_path, fake_time)
    async with app.run_test(size=SIZE):
        screen = app.screen
        await eventually(lambda: screen.grid.selected_row is not None)
        gate = screen.gate()  # as a key's flow takes it, before it waits
        await screen._command_line("ns other").wait()
        await eventually(lambda: app.setup.live.source.scope.namespace == "other")
        with pytest.raises(Refused, match="the view moved to another namespace or context"):
            await gate.run(Restart(Target("fake", "ns", "web")))
        assert not [write for write in api.writes if write[0] == "PATCH"]  # (a rules review is a POST)
