"""Secrets stay secret: nothing sent over plain http, nothing shown from a plugin's stderr or the server
URL, no client key left on disk. Each test is an adversarial review's reproduction, over real HTTP."""

from __future__ import annotations

import asyncio
import base64
import json
import math
import os
import signal
import sys
from pathlib import Path

import pytest
from aiohttp import web

from stsviz.sources.live import freshness as phases
from stsviz.sources.live.config import PLAIN_HTTP, ConfigError, Tls, resolve_target
from stsviz.sources.live.kinds import PODS, STATEFULSETS, Scope
from stsviz.sources.live.scrub import one_line, scrub
from stsviz.sources.live.source import LiveSource
from stsviz.ui.freshness_bar import freshness_line
from stsviz.ui.live import LiveFrameSource
from tests.fake_api import TOKEN, FakeApiServer, made_pki, obj, status
from tests.running import Running
from tests.waiting import eventually

WEB = obj("StatefulSet", "web", spec={"replicas": 1}, status={"observedGeneration": 1})


@pytest.fixture
async def http_api():
    """The scripted API server over plain http; it wants TOKEN, as a cluster without anonymous access."""
    server = FakeApiServer(tls=False)
    await server.start()
    yield server
    await server.stop()


async def stsviz(*args: str, env: dict[str, str] | None = None) -> tuple[int, str, str]:
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "stsviz",
        *args,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
        stdin=asyncio.subprocess.DEVNULL,
        env={**os.environ, **(env or {})},
    )
    out, err = await asyncio.wait_for(process.communicate(), 60)
    return process.returncode, out.decode(), err.decode()


def write_kubeconfig(path: Path, server: str, user: dict, *, ca: bytes | None = None) -> Path:
    cluster: dict = {"server": server}
    if ca is not None:
        cluster["certificate-authority-data"] = base64.b64encode(ca).decode()
    config = {
        "apiVersion": "v1",
        "kind": "Config",
        "current-context": "hostile",
        "clusters": [{"name": "hostile", "cluster": cluster}],
        "users": [{"name": "hostile", "user": user}],
        "contexts": [{"name": "hostile", "context": {"cluster": "hostile", "user": "hostile", "namespace": "ns"}}],
    }
    path.write_text(json.dumps(config))
    return path


RUNS_MARKER = r"""
import pathlib, sys
pathlib.Path(sys.argv[1]).write_text("ran")
print('{"apiVersion": "client.authentication.k8s.io/v1beta1", "kind": "ExecCredential", "status": {"token": "%s"}}'
      % sys.argv[2])
"""


# -- 1. no credentials over plain http ----------------------------------------------------------


async def test_over_plain_http_no_credential_is_sent_and_no_exec_plugin_runs(http_api, tmp_path):
    http_api.tokens.add("")  # this server lets anonymous requests in, as the demo cluster in open mode
    http_api.objects["statefulsets"] = [WEB]
    marker = tmp_path / "plugin-ran"
    (tmp_path / "plugin.py").write_text(RUNS_MARKER)
    users = {
        "token": {"token": TOKEN},
        "basic": {"username": "alice", "password": "basic-password-123"},
        "exec": {
            "exec": {
                "apiVersion": "client.authentication.k8s.io/v1beta1",
                "command": sys.executable,
                "args": [str(tmp_path / "plugin.py"), str(marker), TOKEN],
            }
        },
    }
    for name, user in users.items():
        target = resolve_target(str(write_kubeconfig(tmp_path / name, http_api.url, user)))
        assert target.withheld == PLAIN_HTTP
        source = LiveSource(target, Scope("ns"), kinds=(STATEFULSETS,))
        try:
            state, warnings = await source.snapshot()
        finally:
            await source.close()
        assert list(state.sets) == [("ns", "web")] and warnings == [], name
    assert [seen.authorization for seen in http_api.requests] == [None, None, None]
    assert not marker.exists()  # as kubectl: the exec plugin is not even run for an http server


async def test_over_https_the_token_is_sent(api, tmp_path):
    api.objects["statefulsets"] = [WEB]
    target = resolve_target(str(api.kubeconfig(tmp_path)))
    assert target.withheld is None
    source = LiveSource(target, Scope("ns"), kinds=(STATEFULSETS,))
    try:
        await source.snapshot()
    finally:
        await source.close()
    assert [seen.authorization for seen in api.requests] == [f"Bearer {TOKEN}"]


async def test_cli_401_over_http_says_the_credentials_were_not_sent(http_api, tmp_path):
    path = http_api.kubeconfig(tmp_path)  # a token, over http
    code, out, err = await stsviz("--kubeconfig", str(path), "--json")
    assert code == 1 and out == ""
    assert err.strip() == f"stsviz: error: {http_api.url}: 401 Unauthorized: Unauthorized ({PLAIN_HTTP})"
    assert {seen.authorization for seen in http_api.requests} == {None}
    assert TOKEN not in err


async def test_cli_403_over_http_says_it_once(http_api, tmp_path):
    http_api.tokens.add("")
    forbidden = 'statefulsets.apps is forbidden: User "system:anonymous" cannot list resource "statefulsets"'
    http_api.script("statefulsets", "list", status(403, "Forbidden", forbidden))
    path = http_api.kubeconfig(tmp_path)
    code, _out, err = await stsviz("--kubeconfig", str(path), "--plain")
    assert code == 1
    assert err.strip() == f"stsviz: error: {http_api.url}: 403 Forbidden: {forbidden} ({PLAIN_HTTP})"

    http_api.objects["statefulsets"] = [WEB]
    events = 'events is forbidden: User "system:anonymous" cannot list resource "events"'
    http_api.script("events", "list", status(403, "Forbidden", events))
    http_api.script("pods", "list", status(403, "Forbidden", events.replace("events", "pods")))
    code, out, err = await stsviz("--kubeconfig", str(path), "--json")
    assert code == 0 and json.loads(out)["sets"][0]["name"] == "web"
    lines = err.strip().splitlines()
    assert sorted(lines[:2]) == [
        f"stsviz: warning: events left out: {events}",
        f"stsviz: warning: pods left out: {events.replace('events', 'pods')}",
    ]
    assert lines[2:] == [f"stsviz: warning: {PLAIN_HTTP}"]


async def test_the_live_header_says_once_why_it_is_refused(http_api, tmp_path, fake_time):
    fake_time.hold = True
    target = resolve_target(str(http_api.kubeconfig(tmp_path)))
    source = LiveSource(target, Scope("ns"), timing=fake_time.timing(), kinds=(STATEFULSETS, PODS))
    run = Running(source)
    try:
        await eventually(lambda: all(i.phase == phases.EXPIRED for i in source.informers))
        header = source.status().describe()
        assert header.count(PLAIN_HTTP) == 1 and header.endswith(PLAIN_HTTP)
        assert source.informer("pods").message == f"Unauthorized ({PLAIN_HTTP})"
        assert {seen.authorization for seen in http_api.requests} == {None}
    finally:
        fake_time.hold = False
        fake_time.release()
        await run.stop()


# -- 2. a failing exec plugin's stderr ------------------------------------------------------------

JWT = (
    "eyJhbGciOiJSUzI1NiIsImtpZCI6IkFCQyJ9"
    ".eyJzdWIiOiJzeXN0ZW06c2VydmljZWFjY291bnQ6ZGVmYXVsdDp3ZWIifQ"
    ".c2lnbmF0dXJlLXNpZ25hdHVyZS1zaWduYXR1cmU"
)
EXEC_TOKEN = "EXECFAILTOKEN-7f3c9a2e5b1d4068"
ACCESS = "ya29.a0AfB_byC9xQ2kLm7Pz3Rt5Vw8Yb1Cd4Ef6Gh0Ij2Kl"
HOSTILE_STDERR = f"""
import sys
sys.stderr.write("error: cached token {EXEC_TOKEN} was rejected\\n")
sys.stderr.write("{JWT}\\n")
sys.stderr.write('{{"access_token":"{ACCESS}","id_token":"plain-id-token-value","expires_in":3599}}\\n')
sys.stderr.write("x" * 5000 + "\\n")
sys.exit(1)
"""
SECRETS = (EXEC_TOKEN, "7f3c9a2e5b1d4068", JWT.split(".")[0], JWT.split(".")[1], ACCESS, "plain-id-token-value")


def hostile_plugin(tmp_path: Path, server: str, ca: bytes | None) -> Path:
    (tmp_path / "login.py").write_text(HOSTILE_STDERR)
    user = {
        "exec": {
            "apiVersion": "client.authentication.k8s.io/v1beta1",
            "command": sys.executable,
            "args": [str(tmp_path / "login.py")],
        }
    }
    return write_kubeconfig(tmp_path / "hostile.kubeconfig", server, user, ca=ca)


@pytest.mark.parametrize("flag", ["--plain", "--json"])
async def test_a_failing_exec_plugins_stderr_is_masked_everywhere(api, tmp_path, flag):
    path = hostile_plugin(tmp_path, api.url, made_pki().pem("server"))
    log = tmp_path / "stsviz.log"
    code, out, err = await stsviz("--kubeconfig", str(path), flag, env={"STSVIZ_LOG": str(log)})
    assert code == 2 and out == ""
    assert err.startswith("stsviz: error: cannot load credentials for hostile: exec plugin python")
    assert "failed (exit 1): error: cached token *** was rejected *** " in err
    assert len(err.strip().splitlines()) == 1 and len(err) < 400 and "Traceback" not in err
    written = log.read_text() if log.exists() else ""
    for secret in SECRETS:
        assert secret not in err and secret not in written


async def test_a_failing_exec_plugins_stderr_is_masked_in_the_live_header(api, tmp_path, fake_time):
    path = hostile_plugin(tmp_path, api.url, made_pki().pem("server"))
    fake_time.hold = True
    source = LiveSource(resolve_target(str(path)), Scope("ns"), timing=fake_time.timing(), kinds=(PODS,))
    run = Running(source)
    try:
        await eventually(lambda: source.connection_problem)
        header = source.status().describe()
        assert header.startswith("connecting: cannot load credentials for hostile: exec plugin")
        assert not any(secret in header for secret in SECRETS)
    finally:
        fake_time.hold = False
        fake_time.release()
        await run.stop()


async def test_while_the_exec_plugin_fails_the_screen_counts_down_to_the_next_try(api, tmp_path, fake_time):
    """It said `all …` and a bare `Retrying.` (it did retry): every other failure counts down."""
    path = hostile_plugin(tmp_path, api.url, made_pki().pem("server"))
    fake_time.hold = True
    source = LiveSource(resolve_target(str(path)), Scope("ns"), timing=fake_time.timing(), kinds=(PODS,))
    live = LiveFrameSource(source)
    run = Running(source)
    try:
        await eventually(lambda: source.connection_problem and source.connection_retry_at is not None)
        live.status = source.status()  # as the next batch would bring it
        now = fake_time.timing().clock()
        wait = math.ceil(source.connection_retry_at - now)
        assert live.retrying() == f"Retrying in {wait}s."
        assert freshness_line(source.status(), now).plain.startswith(f"all ⟳{wait}s")
    finally:
        fake_time.hold = False
        fake_time.release()
        await run.stop()


@pytest.mark.parametrize(
    "text",
    [
        "uid 3f9a2b7c-1d4e-4f6a-9b8c-0d1e2f3a4b5c resourceVersion 123456789012345678901234567890123",
        "node ip-10-0-1-23.eu-west-1.compute.internal, pod payments-database-replica-set-12",
        "kubeconfig /home/user2/.kube/config-prod-cluster-01 not found",
        'pods "web-0" is forbidden: User "system:serviceaccount:team-a:viewer" cannot watch resource "pods"',
        "https://127.0.0.1:6443/api/v1/namespaces/ns/pods?limit=500&resourceVersion=12345",
        "too old resource version: 1234567 (1234999)",
    ],
)
def test_names_uids_paths_and_resource_versions_stay_readable(text):
    assert scrub(text) == text


@pytest.mark.parametrize(
    "secret",
    [
        JWT,
        "0123456789abcdef0123456789abcdef",  # hex, as `secrets.token_hex(16)`
        "dGhpcyBpcyBhIHZlcnkgc2VjcmV0IHRva2VuIHZhbHVlIDEyMw==",  # base64
        "sha256~Abc123Def456Ghi789Jkl012Mno345Pqr678Stu901",  # OpenShift
        "k8s-aws-v1.aHR0cHM6Ly9zdHMuYW1hem9uYXdzLmNvbS8_QWN0aW9uPUdldENhbGxlcklkZW50aXR5",  # EKS
    ],
)
def test_token_shaped_strings_are_masked(secret):
    assert secret not in scrub(f"rejected: {secret} (retry)")
    assert scrub(f"rejected: {secret} (retry)") == "rejected: *** (retry)"


def test_oauth_json_fields_are_masked():
    text = '{"access_token": "short-one", "refresh_token":"1//0gAbC", "id_token": "x.y.z", "token_type": "Bearer"}'
    assert scrub(text) == '{"access_token": "***", "refresh_token":"***", "id_token": "***", "token_type": "Bearer"}'


def test_one_line_caps_a_flood():
    assert len(one_line("word " * 1000)) == 300


# -- 3. a password in the server URL ------------------------------------------------------------


async def test_a_password_in_the_server_url_is_never_shown(tmp_path):
    for user in ({}, {"token": TOKEN}):
        path = write_kubeconfig(tmp_path / "k", "http://alice:S3cret-pw@127.0.0.1:9", user)
        target = resolve_target(str(path))
        assert (target.server, target.address) == ("http://127.0.0.1:9", "http://127.0.0.1:9")
        code, out, err = await stsviz("--kubeconfig", str(path), "--json")
        assert code == 2 and out == ""
        assert err.startswith("stsviz: error: cannot reach http://127.0.0.1:9: cannot connect to 127.0.0.1:9")
        assert len(err.strip().splitlines()) == 1 and "S3cret" not in err and "alice" not in err


def test_a_server_that_is_not_a_url_is_one_line_without_it(tmp_path):
    path = write_kubeconfig(tmp_path / "k", "http://alice:S3cret-pw@[::1", {"token": TOKEN})
    with pytest.raises(ConfigError) as raised:
        resolve_target(str(path))
    assert str(raised.value) == "context 'hostile' names cluster 'hostile', whose server is not a URL"


async def test_userinfo_in_the_server_url_is_not_sent_and_the_token_works(api, http_api, tmp_path):
    api.objects["statefulsets"] = http_api.objects["statefulsets"] = [WEB]
    http_api.tokens.add("")
    ca = made_pki().pem("server")
    for server, sent in ((api, f"Bearer {TOKEN}"), (http_api, None)):
        url = server.url.replace("://", "://alice:S3cret-pw@")
        path = write_kubeconfig(tmp_path / "k", url + "/some/path", {"token": TOKEN}, ca=ca)
        code, out, err = await stsviz("--kubeconfig", str(path), "--json")
        assert code == 0, err
        assert json.loads(out)["sets"][0]["name"] == "web"
        assert [seen.authorization for seen in server.requests if seen.resource == "statefulsets"] == [sent]
    assert resolve_target(str(path)).address == http_api.url  # no path


# -- 4. the client key never left on disk --------------------------------------------------------


def files_under(directory: Path) -> list[Path]:
    return sorted(path for path in directory.rglob("*") if path.is_file())


async def test_the_client_key_is_on_no_disk_even_after_sigterm(api, tmp_path):
    entered = asyncio.Event()

    async def never_answer(request: web.Request) -> web.StreamResponse:
        entered.set()
        await asyncio.Event().wait()
        raise AssertionError("unreachable")

    api.script("statefulsets", "list", never_answer)
    path = api.kubeconfig(tmp_path, token=None, client_certificate=True)
    temp = tmp_path / "tmp"
    temp.mkdir()
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "stsviz",
        "--kubeconfig",
        str(path),
        "--json",
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
        stdin=asyncio.subprocess.DEVNULL,
        env={**os.environ, "TMPDIR": str(temp)},
    )
    try:
        await asyncio.wait_for(entered.wait(), 30)
        assert api.seen("statefulsets")[0].client_certificate  # connected with the key
        assert files_under(temp) == []
        process.send_signal(signal.SIGTERM)
        await asyncio.wait_for(process.wait(), 30)
    finally:
        if process.returncode is None:
            process.kill()
            await process.wait()
    assert process.returncode == -signal.SIGTERM
    assert files_under(temp) == []


async def test_without_memory_files_the_key_is_deleted_as_soon_as_tls_has_read_it(api, tmp_path, monkeypatch):
    api.objects["statefulsets"] = [WEB]
    temp = tmp_path / "tmp"
    temp.mkdir()
    monkeypatch.delattr(os, "memfd_create")
    monkeypatch.setattr("tempfile.tempdir", str(temp))
    key = made_pki().pem("client-key")
    connection = await resolve_target(str(api.kubeconfig(tmp_path, token=None, client_certificate=True))).connect()
    try:
        assert connection.tls.key == key and files_under(temp) == [] and list(temp.iterdir()) == []
        source = LiveSource(connection.target, Scope("ns"), kinds=(STATEFULSETS,))
        source.connection = connection
        state, _ = await source.snapshot()
    finally:
        await connection.close()
    assert list(state.sets) == [("ns", "web")]
    assert api.seen("statefulsets")[0].client_certificate


EXEC_CERTIFICATE = r"""
import json, sys
print(json.dumps({"apiVersion": "client.authentication.k8s.io/v1beta1", "kind": "ExecCredential",
                  "status": {"clientCertificateData": open(sys.argv[1]).read(),
                             "clientKeyData": open(sys.argv[2]).read()}}))
"""


async def test_an_exec_plugins_client_certificate_is_used_and_its_key_remembered(api, tmp_path):
    api.objects["statefulsets"] = [WEB]
    (tmp_path / "cert.py").write_text(EXEC_CERTIFICATE)
    pki = made_pki()
    user = {
        "exec": {
            "apiVersion": "client.authentication.k8s.io/v1beta1",
            "command": sys.executable,
            "args": [str(tmp_path / "cert.py"), pki.path("client"), pki.path("client-key")],
        }
    }
    path = write_kubeconfig(tmp_path / "k", api.url, user, ca=pki.pem("server"))
    source = LiveSource(resolve_target(str(path)), Scope("ns"), kinds=(STATEFULSETS,))
    try:
        await source.snapshot()
    finally:
        await source.close()
    assert api.seen("statefulsets")[0].client_certificate
    assert scrub(pki.pem("client-key").decode()).strip() == "***"


async def test_a_broken_client_key_is_one_line(api, tmp_path):
    user = {
        "client-certificate-data": base64.b64encode(made_pki().pem("client")).decode(),
        "client-key-data": base64.b64encode(b"not a key").decode(),
    }
    path = write_kubeconfig(tmp_path / "k", api.url, user, ca=made_pki().pem("server"))
    with pytest.raises(ConfigError, match=r"^cannot set up TLS for hostile: ") as raised:
        await resolve_target(str(path)).connect()
    assert "\n" not in str(raised.value)


def test_tls_material_keeps_the_key_out_of_its_repr():
    assert "secret-key" not in repr(Tls(ca=b"ca", certificate=b"cert", key=b"secret-key"))
