"""`:ns` and `:ctx` switch what the live screen watches, as k9s does, without a restart."""

from __future__ import annotations

from textual.widgets import Input

from stsviz.sim import SimCluster
from stsviz.sources.live.config import resolve_target
from stsviz.sources.live.kinds import Scope
from stsviz.sources.live.source import LiveSource
from stsviz.ui.app import StsvizApp, live_setup
from stsviz.ui.grid import StatefulSetGrid
from stsviz.ui.live import LiveFrameSource
from stsviz.ui.switcher import Picker, parse_command
from tests.sim.simtools import web_manifest
from tests.ui.test_gate import said
from tests.waiting import eventually

SIZE = (120, 30)


def test_the_command_line_reads_k9s_spellings():
    assert parse_command("ns") == parse_command(":namespace")
    assert parse_command("ns shop").argument == "shop"
    assert parse_command("ctx kind-dev").verb == "ctx"
    assert parse_command("deploy") is None and parse_command("ns a b") is None
    assert parse_command(":q").verb == parse_command("quit").verb == "quit" and parse_command("q now") is None
    assert parse_command(":sts").verb == "sts"


async def test_colon_q_quits_and_colon_sts_says_this_is_the_view(tmp_path):
    async with SimCluster(seed=3) as cluster:
        cluster.apply(web_manifest(name="web"), namespace="default")
        app = await live_app(cluster, tmp_path)
        told = said(app)
        async with app.run_test(size=SIZE):
            grid = app.query_one(StatefulSetGrid)
            await eventually(lambda: grid.all_keys == [("default", "web")])
            await app.screen._command_line("sts").wait()
            assert any("StatefulSets only" in message for message in told), told
            await app.screen._command_line("q").wait()
            await eventually(lambda: app.return_code == 0, message="the app exits as on q")


async def live_app(cluster: SimCluster, tmp_path) -> StsvizApp:
    kubeconfig = cluster.write_kubeconfig(tmp_path / "kubeconfig")
    target = resolve_target(str(kubeconfig))
    live = LiveFrameSource(LiveSource(target, Scope("default")), batch_interval=0.02)
    return StsvizApp(live_setup(live, description=f"{target.describe()} namespace default"))


def web_and_cart(cluster: SimCluster) -> None:
    """web in default, cart in shop: two namespaces to switch between."""
    cluster.apply({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "shop"}})
    cluster.apply(web_manifest(name="web"), namespace="default")
    cluster.apply(web_manifest(name="cart"), namespace="shop")


async def test_ns_picker_lists_the_servers_namespaces_and_switches(tmp_path):
    async with SimCluster(seed=3) as cluster:
        web_and_cart(cluster)
        app = await live_app(cluster, tmp_path)
        async with app.run_test(size=SIZE) as pilot:
            grid = app.query_one(StatefulSetGrid)
            await eventually(lambda: grid.all_keys == [("default", "web")])
            await pilot.press("colon", *"ns", "enter")
            await eventually(lambda: isinstance(app.screen, Picker))
            assert {"all", "default", "shop"} <= set(app.screen.choices)
            await pilot.press("end", "enter")  # the last namespace listed
            choice = app.setup.live.source.scope.namespace
            await eventually(lambda: grid.all_keys == [(choice, "cart" if choice == "shop" else "web")] or None)
            assert app.title == f"live admin@stsviz-sim namespace {choice}"
            # Typed keys wait for an idle app, which a live screen seldom is: run the line as typed.
            app.screen._command_line("ns all")
            await eventually(lambda: set(grid.all_keys) == {("default", "web"), ("shop", "cart")})
            assert app.setup.live.source.scope.namespace is None
            assert app.title.endswith("all namespaces")


async def test_ns_with_a_name_the_server_does_not_have_says_so_and_stays(tmp_path):
    """A typo (`:ns shpo`) watched an empty namespace: "No StatefulSets" and "watching", as if all were well."""
    async with SimCluster(seed=3) as cluster:
        web_and_cart(cluster)
        app = await live_app(cluster, tmp_path)
        told = said(app)
        async with app.run_test(size=SIZE):
            grid = app.query_one(StatefulSetGrid)
            await eventually(lambda: grid.all_keys == [("default", "web")])
            source = app.setup.live.source
            await app.screen._command_line("ns shpo").wait()
            assert 'namespace "shpo" not found; :ns alone lists them' in told
            assert app.setup.live.source is source and grid.all_keys == [("default", "web")]
            app.screen._command_line("ns shop")  # one it has: switched
            await eventually(lambda: grid.all_keys == [("shop", "cart")])


async def test_ctx_switches_to_another_context_of_the_kubeconfig(tmp_path):
    async with SimCluster(seed=3) as cluster:
        cluster.apply(web_manifest(name="web"), namespace="default")
        app = await live_app(cluster, tmp_path)
        async with app.run_test(size=SIZE) as pilot:
            grid = app.query_one(StatefulSetGrid)
            await eventually(lambda: grid.all_keys == [("default", "web")])
            first = app.setup.live.source
            await pilot.press("colon")
            app.screen.query_one(Input).value = "ctx viewer@stsviz-sim"
            await pilot.press("enter")
            await eventually(lambda: app.setup.live.source is not first)
            assert app.setup.live.source.target.context == "viewer@stsviz-sim"
            await eventually(lambda: grid.all_keys == [("default", "web")])
            assert app.title == "live viewer@stsviz-sim namespace default"
            await app.screen._command_line("ctx nowhere").wait()
            assert app.setup.live.source.target.context == "viewer@stsviz-sim"  # unknown: nothing changed
            assert any("no context 'nowhere'" in n.message for n in app._notifications)


async def test_the_command_line_is_refused_in_replay(replay_app):
    app = replay_app("rolling")
    async with app.run_test(size=SIZE):
        assert app.screen.check_action("command_line", ()) is False


async def test_k9s_zero_watches_every_namespace_and_d_y_say_the_kubectl_command(tmp_path):
    async with SimCluster(seed=3) as cluster:
        web_and_cart(cluster)
        app = await live_app(cluster, tmp_path)
        async with app.run_test(size=SIZE) as pilot:
            grid = app.query_one(StatefulSetGrid)
            await eventually(lambda: grid.all_keys == [("default", "web")])
            await pilot.press("d", "y")
            messages = [n.message for n in app._notifications]
            assert any(
                m.endswith(
                    f"kubectl --kubeconfig {tmp_path / 'kubeconfig'} --context admin@stsviz-sim -n default "
                    "describe statefulset web"
                )
                for m in messages
            ), messages
            assert any(
                m.endswith(
                    f"kubectl --kubeconfig {tmp_path / 'kubeconfig'} --context admin@stsviz-sim -n default "
                    "get statefulset web -o yaml"
                )
                for m in messages
            ), messages
            await pilot.press("0")  # k9s: every namespace
            await eventually(lambda: set(grid.all_keys) == {("default", "web"), ("shop", "cart")})
            assert app.title.endswith("all namespaces")
            source = app.setup.live.source
            await pilot.press("0")  # already: said, and nothing listed again
            await eventually(lambda: any(n.message == "already watching every namespace" for n in app._notifications))
            assert app.setup.live.source is source


async def test_in_replay_zero_is_still_the_start_of_the_recording(replay_app):
    app = replay_app("rolling", 40)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("0")
        await pilot.pause()
        assert app.setup.replay.position <= 1


async def test_the_demo_keeps_its_description_in_the_header_across_ns_and_zero(tmp_path):
    async with SimCluster(seed=3) as cluster:
        web_and_cart(cluster)
        target = resolve_target(str(cluster.write_kubeconfig(tmp_path / "kubeconfig")))
        label = "demo two-sets 1x 127.0.0.1:1"  # as `stsviz demo` labels its cluster
        live = LiveFrameSource(LiveSource(target, Scope(None)), batch_interval=0.02, label=label)
        app = StsvizApp(live_setup(live, description=f"{label} all namespaces", read_only=True))  # as `demo` does
        async with app.run_test(size=SIZE) as pilot:
            grid = app.query_one(StatefulSetGrid)
            await eventually(lambda: set(grid.all_keys) == {("default", "web"), ("shop", "cart")})
            assert app.title == f"live {label} all namespaces (read-only)"
            app.screen._command_line("ns shop")
            await eventually(lambda: grid.all_keys == [("shop", "cart")])
            assert app.title == f"live {label} namespace shop (read-only)"  # not the context's name; still read-only
            await pilot.press("0")
            await eventually(lambda: len(grid.all_keys) == 2)
            assert app.title == f"live {label} all namespaces (read-only)"  # said: it was left unsaid
