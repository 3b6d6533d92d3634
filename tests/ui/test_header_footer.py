"""The header and the footer at 80 columns: the state is whole, the keys are whole; wider, more of them."""

from __future__ import annotations

import re

from textual.app import App
from textual.widgets import Footer

from stsviz.sources.live.config import resolve_target
from stsviz.sources.live.kinds import Scope
from stsviz.sources.live.source import LiveSource
from stsviz.sources.record.recorder import Recorder
from stsviz.ui.app import StsvizApp, live_setup
from stsviz.ui.header import fit_header, fit_title
from stsviz.ui.live import LiveFrameSource
from tests.fake_api import items, obj, pod
from tests.waiting import eventually

EKS = "arn:aws:eks:us-east-1:123456789012:cluster/prod-payments"


def web() -> dict:
    status = {"observedGeneration": 1, "replicas": 1, "updateRevision": "web-1"}
    return obj("StatefulSet", "web", spec={"replicas": 1}, status=status)


def live_app(api, tmp_path, fake_time, description: str, recorder: Recorder | None = None) -> StsvizApp:
    api.objects["statefulsets"] = [web()]
    api.script("pods", "list", items([pod("web-0")], rv="10"))
    source = LiveSource(
        resolve_target(str(api.kubeconfig(tmp_path))), Scope("ns"), timing=fake_time.timing(), tap=recorder
    )
    live = LiveFrameSource(source, batch_interval=0.02, recorder=recorder)
    return StsvizApp(live_setup(live, description=description))


def row(app: App, y: int) -> str:
    """What the terminal shows on line `y`, as text."""
    return app.screen._compositor.render_strips()[y].text


def footer_row(app: App) -> tuple[str, str]:
    """The bottom line: the keys, and the command palette's key docked at its right end."""
    keys, _, palette = row(app, app.size.height - 1).partition("▏")
    return " ".join(keys.split()), palette.strip()


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
        # The context is cut in its middle, keeping the end of the cluster's name; "(read-only)" stays whole.
        assert "live ar…-payments namespa" in header and "(read-only) — watching" in header, header
        await pilot.resize_terminal(160, 24)
        await pilot.pause()
        assert f"live {EKS} namespace payments (read-only) — watching" in row(app, 0)  # whole when it fits


async def test_while_recording_the_byte_count_gives_way_before_the_namespace_and_the_order(api, tmp_path, fake_time):
    """`--record` at 80 columns: `rec rec.jsonl: 140 events, 107.3 KB` kept its width, the namespace went and the
    row order and filter became `…`. The recording's part comes last and shrinks to `rec` first."""
    recorder = Recorder(tmp_path / "rec.jsonl")
    recorder.start()
    try:
        app = live_app(api, tmp_path, fake_time, f"{EKS} namespace payments (read-only)", recorder)
        async with app.run_test(size=(80, 24)) as pilot:
            await eventually(lambda: app.screen.sub_title.startswith("watching"), message="watching")
            await pilot.press("S", "ctrl+z")
            await pilot.pause()
            header = row(app, 0)
            assert header.rstrip().endswith(" — watching · by health · not done only · rec"), header
            assert "live ar…-payments n… (read-only)" in header, header  # as it was: the title kept its room
            await pilot.resize_terminal(200, 24)
            await pilot.pause()
            assert re.search(r" · not done only · rec rec\.jsonl: \d+ events, [\d.]+ KB$", row(app, 0).rstrip())
    finally:
        recorder.close()


async def test_the_footer_shows_whole_keys_at_80_columns_and_every_change_key_at_160(api, tmp_path, fake_time):
    app = live_app(api, tmp_path, fake_time, "kind-dev namespace ns")
    async with app.run_test(size=(80, 24)) as pilot:
        await eventually(lambda: app.screen.sub_title == "watching", message="watching")
        await pilot.pause()
        keys, palette = footer_row(app)
        assert palette == "^p palette"
        assert keys == "? Help q Quit / Filter : Command s Scale ^d Delete r Restart", keys
        await pilot.resize_terminal(160, 45)
        await pilot.pause()
        keys, palette = footer_row(app)
        assert palette == "^p palette"
        for key in ("> Promote", "u Undo", "< Hold back", "p Partition", "H History", "v Volumes"):
            assert key in keys, keys
        await pilot.resize_terminal(80, 24)
        await pilot.pause()
        assert footer_row(app)[0].endswith("r Restart")  # narrower again: left out again, whole


async def test_every_key_the_footer_leaves_out_is_in_the_help(api, tmp_path, fake_time):
    app = live_app(api, tmp_path, fake_time, "kind-dev namespace ns")
    async with app.run_test(size=(80, 24)) as pilot:
        await eventually(lambda: app.screen.sub_title == "watching", message="watching")
        await pilot.pause()
        footer = app.screen.query_one(Footer)
        left_out = [key.description for key in footer.children if not key.display]
        assert "Promote" in left_out and "History" in left_out
        await pilot.press("question_mark")
        shown = {meaning for _key, meaning in app.screen.key_lines()}
        tooltips = {
            active.binding.description: active.binding.tooltip
            for active in app.screen_stack[0].active_bindings.values()
        }
        assert {tooltips[name] for name in left_out} <= shown


def test_only_a_long_word_of_the_title_is_cut_in_its_middle():
    sub_title = "watching · by health · not done only"
    demo = "live demo stuck-rollout 2x 127.0.0.1:33953 (read-only)"
    # An address is cut at its end; "(read-only)" is never cut (it was the first thing to go).
    assert fit_title(demo, sub_title, 77) == "live demo stuck-rollout 2… (read-only)"
    gke = "live gke_acme-prod_europe-west1_payments-backend-production namespace payments (read-only)"
    assert fit_title(gke, "watching", 77) == "live gke_acm…nts-backend-production namespace payments (read-only)"
    eks = f"live {EKS} namespace default"
    assert fit_title(eks, "watching", 77) == "live arn:aws:ek…3456789012:cluster/prod-payments namespace default"
    viewer = "live demo stuck-rollout 2x 127.0.0.1:33953 (read-only: RBAC)"
    assert fit_title(viewer, sub_title, 77) == "live demo stuck-rol… (read-only: RBAC)"  # its reason kept too


def test_a_short_recording_part_keeps_what_was_lost_and_why():
    """Cut at the last " (", a warning with parentheses in it lost its first half and the count of lost events."""
    sub_title = "watching · rec rec.jsonl: 140 events, 107.3 KB, 3 lost (its queue was full (the disk is slow))"
    _title, shown = fit_header("live ctx namespace a-rather-long-namespace-name (read-only)", sub_title, 80)
    assert shown == "watching · rec 3 lost (its queue was full (the disk is slow))"
