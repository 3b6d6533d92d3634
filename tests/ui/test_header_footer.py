"""The header at 80 columns: the state is whole, the title gives way."""

from __future__ import annotations

from textual.app import App

from stsviz.sources.live.config import resolve_target
from stsviz.sources.live.kinds import Scope
from stsviz.sources.live.source import LiveSource
from stsviz.ui.app import StsvizApp, live_setup
from stsviz.ui.live import LiveFrameSource
from tests.fake_api import items, obj, pod
from tests.waiting import eventually

EKS = "arn:aws:eks:us-east-1:123456789012:cluster/prod-payments"


def web() -> dict:
    status = {"observedGeneration": 1, "replicas": 1, "updateRevision": "web-1"}
    return obj("StatefulSet", "web", spec={"replicas": 1}, status=status)


def live_app(api, tmp_path, fake_time, description: str) -> StsvizApp:
    api.objects["statefulsets"] = [web()]
    api.script("pods", "list", items([pod("web-0")], rv="10"))
    source = LiveSource(resolve_target(str(api.kubeconfig(tmp_path))), Scope("ns"), timing=fake_time.timing())
    return StsvizApp(live_setup(LiveFrameSource(source, batch_interval=0.02), description=description))


def row(app: App, y: int) -> str:
    """What the terminal shows on line `y`, as text."""
    return app.screen._compositor.render_strips()[y].text


async def test_a_long_context_gives_way_to_the_state_and_the_order_in_the_header_at_80_columns(
    api, tmp_path, fake_time
):
    app = live_app(api, tmp_path, fake_time, f"{EKS} namespace payments (read-only)")
    async with app.run_test(size=(80, 24)) as pilot:
        await eventually(lambda: app.screen.sub_title == "watching", message="watching")
        await pilot.press("S", "ctrl+z")
        await pilot.pause()
        header = row(app, 0)
        assert header.rstrip().endswith(" — watching · by health · not done only"), header
        # The context is cut in its middle, keeping the end of the cluster's name; the namespace stays.
        assert "live ar…" in header and "-payments namespace payments" in header, header
        await pilot.resize_terminal(160, 24)
        await pilot.pause()
        assert f"live {EKS} namespace payments (read-only) — watching" in row(app, 0)  # whole when it fits
