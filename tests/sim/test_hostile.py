"""The demo cluster against a hostile web page and a hostile machine.

In open mode a request without a token is admin (that is how kubectl reaches
it over http), so a web page must not be able to send it anything: a
cross-site POST with a text/plain or form body gets 415 like a real
apiserver, another Host (DNS rebinding) or a cross-site Origin gets 403. The
kubeconfig it writes holds tokens: 0600 from the start, and no symlink is
followed. Out of file descriptors, the accept error is logged once per
interval, not per retry. All over real HTTP on 127.0.0.1.
"""

from __future__ import annotations

import asyncio
import logging
import os
import stat
import subprocess
import sys
import textwrap

import aiohttp
import pytest

from stsviz.sim.api.server import ACCEPT_ERROR, AcceptErrorLimiter, loopback_host

NAMESPACE = {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "from-a-web-page"}}


async def namespace_exists(http: aiohttp.ClientSession, cluster) -> bool:
    async with http.get(f"{cluster.url}/api/v1/namespaces/from-a-web-page") as response:
        return response.status == 200


@pytest.mark.parametrize(
    "content_type", ["text/plain", "text/plain;charset=UTF-8", "application/x-www-form-urlencoded", ""]
)
async def test_a_body_that_is_not_json_yaml_or_protobuf_is_415(cluster, content_type):
    import orjson

    headers = {"Content-Type": content_type} if content_type else {}
    async with aiohttp.ClientSession(skip_auto_headers=["Content-Type"]) as http:
        async with http.post(f"{cluster.url}/api/v1/namespaces", data=orjson.dumps(NAMESPACE), headers=headers) as r:
            assert r.status == 415
            body = await r.json()
        assert body["kind"] == "Status" and body["reason"] == "UnsupportedMediaType" and body["code"] == 415
        assert not await namespace_exists(http, cluster)
        # The control endpoint too: a form cannot inject faults.
        async with http.post(f"{cluster.url}/sim/faults/fail-requests", data=b"requests=5", headers=headers) as r:
            assert r.status == 415
        assert cluster.server.faults.describe()["failRequestsLeft"] == 0


async def test_json_bodies_and_bodyless_requests_still_work(cluster):
    async with aiohttp.ClientSession() as http:
        async with http.post(f"{cluster.url}/api/v1/namespaces", json=NAMESPACE) as r:
            assert r.status == 201
        assert await namespace_exists(http, cluster)
        async with http.post(f"{cluster.url}/sim/faults/nope") as r:  # no body: no media type to check
            assert r.status == 404


@pytest.mark.parametrize("host", ["evil.example", "evil.example:80", "127.0.0.1.evil.example", "10.0.0.1", "[::2]:1"])
async def test_another_host_is_403_dns_rebinding(cluster, host):
    async with (
        aiohttp.ClientSession() as http,
        http.get(f"{cluster.url}/api/v1/namespaces", headers={"Host": host}) as r,
    ):
        assert r.status == 403
        body = await r.json()
    assert body["kind"] == "Status" and body["reason"] == "Forbidden"


@pytest.mark.parametrize("host", ["127.0.0.1", "localhost", "LOCALHOST:1", "127.0.0.2:6443", "[::1]:6443", "::1"])
async def test_loopback_hosts_on_any_port_are_served(cluster, host):
    async with (
        aiohttp.ClientSession() as http,
        http.get(f"{cluster.url}/api/v1/namespaces", headers={"Host": host}) as r,
    ):
        assert r.status == 200


async def test_a_cross_site_origin_is_403_even_without_a_body(cluster):
    async with aiohttp.ClientSession() as http:
        for origin in ("http://evil.example", "null"):
            async with http.post(f"{cluster.url}/sim/faults/fail-requests", headers={"Origin": origin}) as r:
                assert r.status == 403
        assert cluster.server.faults.describe()["failRequestsLeft"] == 0
        async with http.get(f"{cluster.url}/api/v1/namespaces", headers={"Origin": "http://localhost:8080"}) as r:
            assert r.status == 200


def test_loopback_host():
    assert all(map(loopback_host, ["127.0.0.1", "127.9.9.9:1", "localhost:6443", "localhost.", "[::1]", "::1"]))
    assert not any(map(loopback_host, ["", "evil", "localhost.evil", "0.0.0.0", "[::]:1", "192.168.1.1:80"]))


# -- the kubeconfig file --------------------------------------------------------------------


def test_kubeconfig_out_is_0600_from_the_start(cluster, tmp_path):
    path = cluster.write_kubeconfig(tmp_path / "kubeconfig")
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    existing = tmp_path / "existing"
    existing.write_text("old, and readable by all")
    existing.chmod(0o644)
    cluster.write_kubeconfig(existing)
    assert stat.S_IMODE(existing.stat().st_mode) == 0o600
    assert cluster.tokens["admin"] in existing.read_text()


def test_kubeconfig_out_does_not_follow_a_symlink(cluster, tmp_path):
    victim = tmp_path / "victim"
    victim.write_text("not yours")
    victim.chmod(0o644)
    link = tmp_path / "kubeconfig"
    link.symlink_to(victim)
    with pytest.raises(OSError, match="symbolic link"):
        cluster.write_kubeconfig(link)
    assert victim.read_text() == "not yours"
    assert stat.S_IMODE(victim.stat().st_mode) == 0o644


# -- out of file descriptors ----------------------------------------------------------------


async def test_accept_errors_are_logged_once_per_interval(caplog, monkeypatch):
    """Through asyncio's own reporting path (call_exception_handler), with a fake clock."""
    now = [0.0]
    limiter = AcceptErrorLimiter(interval=10.0, clock=lambda: now[0])
    # Only this limiter: a cluster started earlier in this process installed one on the real clock.
    monkeypatch.setattr(logging.getLogger("asyncio"), "filters", [limiter])
    loop = asyncio.get_running_loop()
    context = {"message": ACCEPT_ERROR, "exception": OSError(24, "Too many open files")}
    with caplog.at_level(logging.ERROR, logger="asyncio"):
        for _ in range(1000):
            loop.call_exception_handler(context)
        now[0] = 10.5
        loop.call_exception_handler(context)
        loop.call_exception_handler({"message": "something else", "exception": ValueError("x")})
    messages = [record.getMessage() for record in caplog.records if record.name == "asyncio"]
    assert messages[:2] == [
        f"{ACCEPT_ERROR}: [Errno 24] Too many open files; retrying",
        f"{ACCEPT_ERROR}: [Errno 24] Too many open files; retrying (999 more since the last report)",
    ]
    assert messages[2].startswith("something else")  # other loop errors pass untouched
    assert len(messages) == 3


RUN_OUT_OF_DESCRIPTORS = textwrap.dedent(
    """
    import asyncio, logging, os, resource, socket
    from stsviz.sim import SimCluster

    reports = []
    class Collect(logging.Handler):
        def emit(self, record):
            reports.append(record.getMessage())
    logging.getLogger("asyncio").addHandler(Collect())

    async def main():
        async with SimCluster(speed=1) as cluster:
            # Connections wait in the listen backlog while the loop is busy here...
            clients = [socket.create_connection(("127.0.0.1", cluster.port)) for _ in range(20)]
            # ...then no descriptor is left for accept(): the lowest free number is the limit.
            free = os.dup(0)
            os.close(free)
            soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
            resource.setrlimit(resource.RLIMIT_NOFILE, (free, hard))
            await asyncio.sleep(2.5)
            resource.setrlimit(resource.RLIMIT_NOFILE, (soft, hard))
            for client in clients:
                client.close()
        print(sum(report.startswith("socket.accept() out of system resource") for report in reports))

    asyncio.run(main())
    """
)


def test_out_of_descriptors_logs_one_accept_error_not_thousands():
    result = subprocess.run(
        [sys.executable, "-c", RUN_OUT_OF_DESCRIPTORS],
        capture_output=True,
        text=True,
        timeout=60,
        env={**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)},
    )
    assert result.returncode == 0, result.stderr
    assert int(result.stdout.strip()) == 1  # asyncio alone reports ~100 per retry, a retry a second
