"""The watch loop's decisions, one per test, over real HTTP against the scripted server.

Every test drives the live source through kubernetes_asyncio's HTTP client to
tests/live/fake_api.py on 127.0.0.1; time is the fake clock, so backoff and
Retry-After are checked exactly and nothing waits for real.
"""

from __future__ import annotations

from stsviz.sources.live import freshness as phases
from stsviz.sources.live.kinds import CLAIMS, EVENTS, PODS, STATEFULSETS, Scope
from tests.fake_api import bookmark, error_event, event, hang, items, obj, pod, status, stream
from tests.waiting import eventually

POD_ONLY = (PODS,)


def pod_names(run) -> set[str]:
    return {name for _, name in run.state.pods}


async def test_lists_in_pages_then_watches_from_the_lists_resource_version(api, run_source):
    api.script(
        "pods", "list", items([pod("web-0"), pod("web-1")], rv="40", cont="page-2"), items([pod("web-2")], rv="40")
    )
    run = run_source(kinds=POD_ONLY, list_page_size=2)
    await eventually(lambda: api.seen("pods", "watch"))
    lists = api.seen("pods", "list")
    assert [s.query.get("limit") for s in lists] == ["2", "2"]
    assert [s.query.get("continue") for s in lists] == [None, "page-2"]
    [watch] = api.seen("pods", "watch")
    assert watch.query["resourceVersion"] == "40"
    assert watch.query["allowWatchBookmarks"] == "true"
    assert watch.query["watch"] == "true"
    assert 60 <= int(watch.query["timeoutSeconds"]) <= 75
    assert pod_names(run) == {"web-0", "web-1", "web-2"}
    await eventually(lambda: run.phase("pods") == phases.WATCHING)


async def test_namespace_all_namespaces_and_selector_shape_the_requests(api, run_source):
    run = run_source(kinds=(STATEFULSETS, EVENTS), scope=Scope(None, "app=web"))
    await eventually(lambda: api.seen("statefulsets", "watch") and api.seen("events", "watch"))
    assert api.seen("statefulsets")[0].query["labelSelector"] == "app=web"
    # Events carry no labels of their object: a selector would hide every one of them.
    assert "labelSelector" not in api.seen("events")[0].query
    assert run.source.informer("events").listed


async def test_every_event_moves_the_resource_version_bookmarks_too(api, run_source, fake_time):
    api.script("pods", "list", items([], rv="10"))
    api.script(
        "pods",
        "watch",
        stream(event("ADDED", pod("web-0", rv="11")), bookmark("57")),
        stream(event("MODIFIED", pod("web-0", rv="58", status={"phase": "Pending"}))),
    )
    run = run_source(kinds=POD_ONLY)
    await eventually(lambda: len(api.seen("pods", "watch")) >= 3)
    assert [s.query["resourceVersion"] for s in api.seen("pods", "watch")] == ["10", "57", "58"]
    # A normal close resumes silently: no relist, no wait, still watching.
    assert len(api.seen("pods", "list")) == 1
    assert fake_time.sleeps == []
    assert run.state.pods[("ns", "web-0")].phase == "Pending"
    assert run.phase("pods") == phases.WATCHING


async def test_410_status_relists_and_replaces_the_cache(api, run_source):
    api.script(
        "pods",
        "list",
        items([pod("web-0"), pod("web-1")], rv="10"),
        items([pod("web-1", rv="30"), pod("web-2", rv="31")], rv="31"),
    )
    api.script("pods", "watch", status(410, "Expired", "too old resource version: 10 (20)"))
    run = run_source(kinds=POD_ONLY)
    await eventually(lambda: len(api.seen("pods", "watch")) == 2)
    # web-0 vanished while we were not watching: it is deleted, not kept.
    assert pod_names(run) == {"web-1", "web-2"}
    assert api.seen("pods", "watch")[1].query["resourceVersion"] == "31"
    informer = run.source.informer("pods")
    assert informer.relists == 1 and set(informer.store) == {("ns", "web-1"), ("ns", "web-2")}


async def test_410_error_event_relists(api, run_source, fake_time):
    api.script("pods", "list", items([pod("web-0")], rv="10"), items([], rv="50"))
    api.script("pods", "watch", stream(error_event(410, "Expired", "too old resource version: 10 (45)")))
    run = run_source(kinds=POD_ONLY)
    await eventually(lambda: len(api.seen("pods", "watch")) == 2)
    assert pod_names(run) == set()
    assert api.seen("pods", "watch")[1].query["resourceVersion"] == "50"
    assert fake_time.sleeps == []  # a relist is not a failure: no backoff


async def test_too_large_resource_version_relists(api, run_source):
    api.script("pods", "list", items([pod("web-0")], rv="10"), items([pod("web-0")], rv="12"))
    api.script(
        "pods",
        "watch",
        status(
            504,
            "Timeout",
            "Too large resource version: 99, current: 12",
            causes=[{"reason": "ResourceVersionTooLarge", "message": "Too large"}],
        ),
    )
    run = run_source(kinds=POD_ONLY)
    await eventually(lambda: len(api.seen("pods", "watch")) == 2)
    assert len(api.seen("pods", "list")) == 2
    assert run.source.informer("pods").relists == 1


async def test_an_expired_continue_token_restarts_the_list_unpaged(api, run_source):
    api.script(
        "pods",
        "list",
        items([pod("web-0")], rv="10", cont="c1"),
        status(410, "Expired", "The provided continue parameter is too old"),
        items([pod("web-0"), pod("web-1")], rv="12"),
    )
    run = run_source(kinds=POD_ONLY, list_page_size=1)
    await eventually(lambda: api.seen("pods", "watch"))
    assert [s.query.get("limit") for s in api.seen("pods", "list")] == ["1", "1", None]
    assert pod_names(run) == {"web-0", "web-1"}


async def test_a_silent_connection_is_dropped_and_resumed_from_the_last_version(api, run_source):
    api.script("pods", "list", items([], rv="10"))
    api.script("pods", "watch", stream(event("ADDED", pod("web-0", rv="11")), then="hang"))
    run = run_source(kinds=POD_ONLY, inactivity_timeout=0.3)
    await eventually(lambda: len(api.seen("pods", "watch")) == 2)
    assert api.seen("pods", "watch")[1].query["resourceVersion"] == "11"
    assert len(api.seen("pods", "list")) == 1
    assert pod_names(run) == {"web-0"}


async def test_errors_back_off_exponentially_with_jitter_up_to_the_cap(api, run_source, fake_time):
    api.script("pods", "list", *[status(500, "InternalError", "etcd is sad")] * 30)
    fake_time.random_value = 0.0  # the low end of the jitter: half the base
    run = run_source(kinds=POD_ONLY, backoff_initial=1.0, backoff_cap=8.0)
    await eventually(lambda: len(fake_time.sleeps) >= 7)
    assert fake_time.sleeps[:7] == [0.5, 1.0, 2.0, 4.0, 4.0, 4.0, 4.0]
    assert run.source.informer("pods").message == "500 InternalError: etcd is sad"


async def test_jitter_spreads_within_the_base(api, run_source, fake_time):
    api.script("pods", "list", *[status(503, "ServiceUnavailable", "later")] * 3)
    fake_time.random_value = 0.5
    run_source(kinds=POD_ONLY, backoff_initial=1.0, backoff_cap=30.0)
    await eventually(lambda: len(fake_time.sleeps) >= 3)
    assert fake_time.sleeps[:3] == [0.75, 1.5, 3.0]


async def test_backoff_resets_after_a_healthy_period(api, run_source, fake_time):
    fake_time.random_value = 1.0
    api.script(
        "pods",
        "list",
        status(500, "InternalError", "x"),
        status(500, "InternalError", "x"),
        items([], rv="10"),
        items([], rv="20"),
    )

    # Watch 1 is healthy for 200 s (the clock moves while it runs), then a 410 and a failing watch.
    async def long_healthy_watch(request):
        fake_time.now += 200
        return await stream(error_event(410, "Expired", "too old"))(request)

    api.script("pods", "watch", long_healthy_watch, status(500, "InternalError", "x"))
    run_source(kinds=POD_ONLY, backoff_initial=1.0, backoff_reset_after=120.0)
    await eventually(lambda: len(fake_time.sleeps) >= 3)
    assert fake_time.sleeps[:3] == [1.0, 2.0, 1.0]


async def test_429_waits_for_retry_after(api, run_source, fake_time):
    api.script("pods", "list", status(429, "TooManyRequests", "slow down", headers={"Retry-After": "7"}))
    run = run_source(kinds=POD_ONLY)
    await eventually(lambda: run.source.informer("pods").listed)
    assert fake_time.sleeps == [7.0]


async def test_a_watch_that_closes_at_once_backs_off(api, run_source, fake_time):
    api.script("pods", "list", items([], rv="10"))
    api.script("pods", "watch", stream(), stream())
    run_source(kinds=POD_ONLY, short_watch=1.0)
    await eventually(lambda: len(fake_time.sleeps) >= 2)
    assert fake_time.sleeps[:2] == [0.8, 1.6]


async def test_403_on_one_kind_degrades_only_that_kind(api, run_source, fake_time):
    api.script(
        "events", "list", status(403, "Forbidden", 'events is forbidden: User "viewer" cannot list resource "events"')
    )
    api.objects["pods"] = [pod("web-0")]
    fake_time.hold = True
    run = run_source(kinds=(PODS, EVENTS), forbidden_retry=60.0)
    await eventually(lambda: run.phase("events") == phases.FORBIDDEN and run.phase("pods") == phases.WATCHING)
    status_now = run.source.status()
    assert status_now.kind("events").describe(status_now.now) == "events forbidden"
    assert "cannot list resource" in status_now.kind("events").message
    assert "events forbidden" in status_now.describe()
    assert pod_names(run) == {"web-0"}
    # It looks again later (RBAC may change), and recovers.
    fake_time.release()
    await eventually(lambda: run.phase("events") == phases.WATCHING)
    assert fake_time.sleeps == [60.0]


async def test_connection_refused_says_reconnecting_in_n_seconds_with_stale_since(api, run_source, fake_time):
    api.script("pods", "list", items([pod("web-0")], rv="10"))
    api.script("pods", "watch", stream(event("MODIFIED", pod("web-0", rv="11"))))
    fake_time.hold = True
    run = run_source(kinds=POD_ONLY, backoff_initial=4.0)
    informer = run.source.informer("pods")
    await eventually(lambda: informer.watches >= 1)
    await api.stop()  # the server goes away under the running watch
    await eventually(lambda: informer.retry_at is not None)
    now = fake_time.clock()
    kind = run.source.status().kind("pods")
    assert kind.phase == phases.RECONNECTING and not kind.current
    assert kind.stale_since is not None
    assert kind.describe(now).startswith("pods reconnecting in 4s, stale since ")
    # The stream breaks first; later attempts find nobody listening.
    assert kind.message == "the connection broke mid-response" or "cannot connect to 127.0.0.1" in kind.message
    assert pod_names(run) == {"web-0"}  # the data stays, marked stale


async def test_a_quiet_open_watch_that_breaks_is_stale_from_the_break_not_from_its_last_event(
    api, run_source, fake_time
):
    api.script("pods", "list", items([pod("web-0")], rv="10"))
    api.script("pods", "watch", stream(event("MODIFIED", pod("web-0", rv="11")), then="hang"))
    fake_time.hold = True
    run = run_source(kinds=POD_ONLY)
    informer = run.source.informer("pods")
    await eventually(lambda: informer.phase == phases.WATCHING and informer.events == 1)
    fake_time.now += 30.0  # half a minute with nothing to tell: the open watch says nothing changed
    broke = fake_time.wall()
    await api.stop()
    await eventually(lambda: informer.retry_at is not None)
    assert run.source.status().kind("pods").stale_since == broke


async def test_normal_close_keeps_watching_and_is_not_stale(api, run_source):
    api.script("pods", "list", items([], rv="10"))
    api.script("pods", "watch", stream(event("ADDED", pod("web-0", rv="11"))), hang())
    run = run_source(kinds=POD_ONLY)
    await eventually(lambda: len(api.seen("pods", "watch")) == 2)
    kind = run.source.status().kind("pods")
    assert kind.phase == phases.WATCHING and kind.stale_since is None and kind.reconnects == 1


async def test_deleted_of_an_older_incarnation_does_not_remove_the_new_pod(api, run_source):
    api.script("pods", "list", items([pod("web-0", uid="new")], rv="10"))
    api.script("pods", "watch", stream(event("DELETED", pod("web-0", uid="old", rv="11")), then="hang"))
    run = run_source(kinds=POD_ONLY)
    await eventually(lambda: run.source.informer("pods").resource_version == "11")
    assert run.state.pods[("ns", "web-0")].uid == "new"
    assert ("ns", "web-0") in run.source.informer("pods").store


async def test_a_relist_emits_only_what_changed(api, run_source):
    api.script(
        "pods",
        "list",
        items([pod("web-0"), pod("web-1")], rv="10"),
        items([pod("web-0"), pod("web-1", status={"phase": "Pending"}), pod("web-2")], rv="20"),
    )
    api.script("pods", "watch", status(410, "Expired", "too old"))
    run = run_source(kinds=POD_ONLY)
    await eventually(lambda: len(api.seen("pods", "watch")) == 2)
    first, second = run.batches[:2]
    assert [(c.type, c.record.name) for c in first] == [("ADDED", "web-0"), ("ADDED", "web-1")]
    assert sorted((c.type, c.record.name) for c in second) == [("ADDED", "web-2"), ("MODIFIED", "web-1")]


async def test_state_after_faults_equals_a_fresh_list(api, run_source):
    """Adds, changes and deletes across a close, a 410 and a broken stream end where a fresh list is."""
    sts = obj("StatefulSet", "web", spec={"replicas": 2}, status={"observedGeneration": 1})
    claim = obj("PersistentVolumeClaim", "www-web-0", status={"phase": "Bound"})
    api.script("statefulsets", "list", items([sts], rv="10"))
    api.script("persistentvolumeclaims", "list", items([claim], rv="10"), items([], rv="40"))
    api.script("persistentvolumeclaims", "watch", stream(error_event(410, "Expired", "too old")))
    api.script("pods", "list", items([pod("web-0")], rv="10"))
    api.script(
        "pods",
        "watch",
        stream(event("ADDED", pod("web-1", rv="12")), event("DELETED", pod("web-0", rv="13"))),
        stream(event("MODIFIED", pod("web-1", rv="14", status={"phase": "Pending"}))),
    )
    api.objects["statefulsets"] = [sts]
    run = run_source(kinds=(STATEFULSETS, PODS, CLAIMS))
    await eventually(
        lambda: len(api.seen("pods", "watch")) >= 3 and len(api.seen("persistentvolumeclaims", "watch")) >= 2
    )
    assert set(run.state.pods) == {("ns", "web-1")} and run.state.pods[("ns", "web-1")].phase == "Pending"
    assert run.state.claims == {}
    assert set(run.state.sets) == {("ns", "web")}


async def test_a_fresh_list_that_is_gone_at_once_again_backs_off_instead_of_spinning(api, run_source, fake_time):
    api.script("pods", "list", items([], rv="10"), items([], rv="11"), items([], rv="12"))
    api.script("pods", "watch", *[stream(error_event(410, "Expired", "too old resource version"))] * 2)
    run_source(kinds=POD_ONLY)
    await eventually(lambda: len(api.seen("pods", "watch")) == 3)
    assert fake_time.sleeps == [0.8]  # the first 410 relists at once; the second, right after a list, waits


async def test_410_after_a_long_healthy_watch_relists_at_once(api, run_source, fake_time):
    api.script("pods", "list", items([], rv="10"), items([], rv="20"), items([], rv="30"))
    api.script(
        "pods",
        "watch",
        stream(event("ADDED", pod("web-0", rv="11")), error_event(410, "Expired", "too old")),
        stream(event("ADDED", pod("web-1", rv="21")), error_event(410, "Expired", "too old")),
    )
    run_source(kinds=POD_ONLY)
    await eventually(lambda: len(api.seen("pods", "watch")) == 3)
    assert fake_time.sleeps == []
