"""Freshness as the header words it, the event rate, and an informer that meets a malformed object."""

from __future__ import annotations

from datetime import UTC, datetime

from stsviz.sources.live import freshness as phases
from stsviz.sources.live.freshness import KindStatus, SourceStatus
from stsviz.sources.live.kinds import PODS
from stsviz.sources.live.timing import EventRate
from tests.fake_api import FakeTime, items, pod, stream
from tests.waiting import eventually

STALE = datetime(2026, 11, 25, 12, 3, 4, tzinfo=UTC)
LOCAL = STALE.astimezone().strftime("%H:%M:%S")


def test_phrases_per_phase():
    assert KindStatus("pods", phases.WATCHING, listed=True).describe(0) == "pods watching"
    assert KindStatus("pods", phases.LISTING).describe(0) == "pods listing"
    assert KindStatus("pods", phases.LISTING, listed=True, stale_since=STALE).describe(0) == (
        f"pods relisting, stale since {LOCAL}"
    )
    assert (
        KindStatus(
            "persistentvolumeclaims", phases.RECONNECTING, listed=True, stale_since=STALE, retry_at=13.2
        ).describe(10.0)
        == f"pvc reconnecting in 4s, stale since {LOCAL}"
    )
    assert KindStatus("pods", phases.RECONNECTING, retry_at=9.0).describe(10.0) == "pods reconnecting"
    assert KindStatus("statefulsets", phases.FORBIDDEN).describe(0) == "sts forbidden"
    assert KindStatus("events", phases.EXPIRED, listed=True, stale_since=STALE).describe(0) == (
        f"events unauthorized, stale since {LOCAL}"
    )


def test_header_names_only_what_is_not_current():
    watching = KindStatus("statefulsets", phases.WATCHING, listed=True)
    waiting = KindStatus("pods", phases.RECONNECTING, listed=True, stale_since=STALE, retry_at=12.0)
    assert SourceStatus((watching, watching), rate=12.34, now=10.0).describe() == "watching · 12.3 ev/s"
    assert SourceStatus((watching, waiting), rate=0.0, now=10.0).describe() == (
        f"pods reconnecting in 2s, stale since {LOCAL} · 0.0 ev/s"
    )
    assert SourceStatus((waiting,), rate=0, now=0, connection="exec plugin failed").describe() == (
        f"pods reconnecting in 12s, stale since {LOCAL} · 0.0 ev/s"
    )
    never = KindStatus("pods", phases.RECONNECTING, retry_at=3.0)
    assert SourceStatus((never,), rate=0, now=0, connection="exec plugin failed").describe() == (
        "connecting: exec plugin failed"
    )
    assert not SourceStatus((watching, waiting), 0, 0).current
    assert SourceStatus((watching, KindStatus("events", phases.FORBIDDEN)), 0, 0).current


def test_event_rate_is_a_sliding_window():
    time = FakeTime()
    rate = EventRate(time.clock, window=10.0)
    assert rate.per_second() == 0.0
    rate.add(5)
    time.now += 0.5
    assert rate.per_second() == 5.0  # less than a second in: per second so far, not per window
    for _ in range(20):
        time.now += 1.0
        rate.add(10)
    assert rate.per_second() == 10.0
    time.now += 30.0
    assert rate.per_second() == 0.0


async def test_a_malformed_object_is_skipped_counted_and_said_and_the_kind_goes_on(api, run_source, fake_time):
    # One object of a type Kubernetes never sends must not take the kind down (a relist would meet it again).
    odd = pod("web-2")
    odd["status"]["phase"] = 7
    api.script("pods", "list", items([pod("web-0"), odd], rv="10"))
    garbled = {"type": "MODIFIED", "object": {"kind": "Pod", "metadata": "garbled"}}
    api.script("pods", "watch", stream(garbled, {"type": "ADDED", "object": pod("web-1", rv="11")}, then="hang"))
    run = run_source(kinds=(PODS,))
    informer = run.source.informer("pods")
    await eventually(lambda: {name for _, name in run.state.pods} == {"web-0", "web-1"})
    assert informer.phase == phases.WATCHING and informer.relists == 0
    assert informer.warning == "2 pods skipped: fields of types Kubernetes never sends"
