"""Credentials: exec plugins away from the terminal, 401 refresh-once, and nothing secret printed."""

from __future__ import annotations

import asyncio
import json
import logging
import os
import socket
import sys
from contextlib import contextmanager
from pathlib import Path

import aiohttp
import pytest

from stsviz.sources.live import freshness as phases
from stsviz.sources.live.config import ConfigError, resolve_target
from stsviz.sources.live.informer import CREDENTIALS_EXPIRED
from stsviz.sources.live.kinds import PODS, STATEFULSETS, Scope
from stsviz.sources.live.scrub import ScrubFilter, one_line, remember, scrub
from stsviz.sources.live.source import LiveSource
from tests.fake_api import TOKEN, pod, status
from tests.running import Running
from tests.waiting import eventually

PLUGIN = r"""
import json, os, stat, sys
state = sys.argv[1]
count_file = os.path.join(state, "count")
n = int(open(count_file).read()) if os.path.exists(count_file) else 0
open(count_file, "w").write(str(n + 1))
tokens = open(os.path.join(state, "tokens")).read().split()
stdin = os.fstat(0)
try:
    os.close(os.open("/dev/tty", os.O_RDWR))
    tty = "opened"
except OSError:
    tty = "refused"
seen = {
    "stdin_is_devnull": stat.S_ISCHR(stdin.st_mode) and stdin.st_rdev == os.stat("/dev/null").st_rdev,
    "stdin_read": sys.stdin.read(),
    "session_leader": os.getsid(0) == os.getpid(),
    "tty": tty,
    "info": json.loads(os.environ["KUBERNETES_EXEC_INFO"]),
}
json.dump(seen, open(os.path.join(state, f"seen-{n}.json"), "w"))
if tokens[min(n, len(tokens) - 1)] == "FAIL":
    sys.stderr.write("login failed for token " + tokens[0] + "\n")
    sys.exit(3)
print(json.dumps({"apiVersion": "client.authentication.k8s.io/v1beta1", "kind": "ExecCredential",
                  "status": {"token": tokens[min(n, len(tokens) - 1)]}}))
"""


@pytest.fixture
def plugin(tmp_path: Path):
    """An exec credential plugin handing out the tokens in `state/tokens`, one per run (the last repeats)."""
    state = tmp_path / "plugin-state"
    state.mkdir()
    script = tmp_path / "plugin.py"
    script.write_text(PLUGIN)

    class Plugin:
        command = [sys.executable, str(script), str(state)]

        def tokens(self, *tokens: str) -> None:
            (state / "tokens").write_text(" ".join(tokens))

        @property
        def runs(self) -> int:
            path = state / "count"
            return int(path.read_text()) if path.exists() else 0

        def seen(self, run: int) -> dict:
            return json.loads((state / f"seen-{run}.json").read_text())

    return Plugin()


@contextmanager
def stdin_is_a_pipe_with_keys():
    """Put a pipe holding keypresses on fd 0, as a terminal would be: a plugin must not get it."""
    read, write = os.pipe()
    os.write(write, b"q\n")
    saved = os.dup(0)
    os.dup2(read, 0)
    try:
        yield
    finally:
        os.dup2(saved, 0)
        for fd in (read, write, saved):
            os.close(fd)


async def start(api, tmp_path, fake_time, kubeconfig: Path, kinds=(PODS,)) -> LiveSource:
    target = resolve_target(str(kubeconfig))
    return LiveSource(target, Scope("ns"), timing=fake_time.timing(), kinds=kinds)


async def test_exec_plugin_gets_no_stdin_no_terminal_and_is_told_not_interactive(api, tmp_path, plugin):
    plugin.tokens(TOKEN)
    path = api.kubeconfig(tmp_path, exec_command=plugin.command)
    with stdin_is_a_pipe_with_keys():
        connection = await resolve_target(str(path)).connect()
    await connection.close()
    seen = plugin.seen(0)
    assert seen["stdin_is_devnull"] and seen["stdin_read"] == ""
    assert seen["session_leader"] and seen["tty"] == "refused"
    assert seen["info"]["spec"] == {"interactive": False}
    assert connection.configuration.api_key["BearerToken"] == f"Bearer {TOKEN}"


async def test_401_refreshes_exec_credentials_once_and_goes_on(api, tmp_path, fake_time, plugin, run_source):
    plugin.tokens("stale-token-aaaaaa", TOKEN)
    api.objects["pods"] = [pod("web-0")]
    source = await start(api, tmp_path, fake_time, api.kubeconfig(tmp_path, exec_command=plugin.command))
    run = Running(source)
    try:
        await eventually(lambda: run.phase("pods") == phases.WATCHING)
        assert plugin.runs == 2
        assert [s.authorization for s in api.seen("pods")] == [
            "Bearer stale-token-aaaaaa",
            f"Bearer {TOKEN}",
            f"Bearer {TOKEN}",
        ]
        assert {name for _, name in run.state.pods} == {"web-0"}
        assert fake_time.sleeps == []
    finally:
        await run.stop()


async def test_401_again_after_the_refresh_says_credentials_expired(api, tmp_path, fake_time, plugin):
    plugin.tokens("stale-token-aaaaaa", "stale-token-bbbbbb")
    fake_time.hold = True
    source = await start(
        api, tmp_path, fake_time, api.kubeconfig(tmp_path, exec_command=plugin.command), kinds=(STATEFULSETS, PODS)
    )
    run = Running(source)
    try:
        await eventually(lambda: all(i.phase == phases.EXPIRED for i in source.informers))
        # Both kinds got 401 on the same credentials: one refresh between them.
        assert plugin.runs == 2
        status_now = source.status()
        assert status_now.kind("pods").describe(status_now.now) == "pods unauthorized"
        assert "stale-token" not in repr(status_now)
    finally:
        fake_time.hold = False
        fake_time.release()
        await run.stop()


async def test_a_static_token_refused_is_credentials_expired_at_once(api, tmp_path, fake_time):
    fake_time.hold = True
    source = await start(api, tmp_path, fake_time, api.kubeconfig(tmp_path, token="wrong-static-token"))
    run = Running(source)
    try:
        await eventually(lambda: run.phase("pods") == phases.EXPIRED)
        assert len(api.seen("pods")) == 1
    finally:
        fake_time.hold = False
        fake_time.release()
        await run.stop()


async def test_a_failing_exec_plugin_is_one_scrubbed_line(api, tmp_path, plugin):
    # The first run hands out a token; the next fails and prints that token on stderr.
    plugin.tokens("leaked-in-stderr-123456", "FAIL")
    path = api.kubeconfig(tmp_path, exec_command=plugin.command)
    connection = await resolve_target(str(path)).connect()
    try:
        assert not await connection.refresh_credentials(connection.generation)  # nothing fresh to be had
    finally:
        await connection.close()
    with pytest.raises(ConfigError) as raised:
        await resolve_target(str(path)).connect()
    message = str(raised.value)
    assert message.startswith("cannot load credentials for fake: exec plugin ")
    assert "failed (exit 3): login failed for token ***" in message and "\n" not in message
    assert "leaked-in-stderr" not in message


async def test_the_kubeconfig_is_never_written(api, tmp_path, plugin, fake_time):
    plugin.tokens("stale-token-aaaaaa", TOKEN)
    path = api.kubeconfig(tmp_path, exec_command=plugin.command)
    before = (path.read_bytes(), path.stat().st_mtime_ns)
    source = await start(api, tmp_path, fake_time, path)
    run = Running(source)
    try:
        await eventually(lambda: run.phase("pods") == phases.WATCHING)
    finally:
        await run.stop()
    assert (path.read_bytes(), path.stat().st_mtime_ns) == before


# -- scrubbing -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "text",
    [
        "Authorization: Bearer abc.def-ghi_jkl",
        "{'authorization': 'Bearer abc.def-ghi_jkl'}",
        "headers={'Authorization': 'Basic dXNlcjpwYXNzd29yZA=='}",
        "token: abc.def-ghi_jkl",
        '"token": "abc.def-ghi_jkl"',
        "password=abc.def-ghi_jkl",
        "client-key-data: abc.def-ghi_jkl",
        "failed: bearer abc.def-ghi_jkl was refused",
    ],
)
def test_credential_shapes_are_masked(text):
    assert "abc.def-ghi_jkl" not in scrub(text) and "dXNlcjpwYXNzd29yZA" not in scrub(text)
    assert "***" in scrub(text)


def test_remembered_secrets_are_masked_anywhere():
    remember("Bearer zz-remembered-secret-1")
    assert scrub("the server said zz-remembered-secret-1!") == "the server said ***!"
    assert one_line("a\nzz-remembered-secret-1\n  b") == "a *** b"


def test_ordinary_text_is_left_alone():
    text = 'pods is forbidden: User "viewer" cannot list resource "pods" (token bucket full)'
    assert scrub(text) == text


def test_log_records_are_scrubbed_including_tracebacks():
    records: list[str] = []

    class Collect(logging.Handler):
        def emit(self, record):
            records.append(self.format(record))

    handler = Collect()
    handler.addFilter(ScrubFilter())
    logger = logging.getLogger("kubernetes_asyncio.test_scrub")
    logger.addHandler(handler)
    try:
        logger.error("request headers %s", {"Authorization": "Bearer log-secret-abcdef"})
        try:
            raise RuntimeError("token: log-secret-ghijkl")
        except RuntimeError:
            logger.exception("failed")
    finally:
        logger.removeHandler(handler)
    assert records and not any("log-secret" in line for line in records)
    assert "RuntimeError" in records[1]


async def test_a_server_echoing_the_token_never_reaches_the_status_line(api, run_source, fake_time):
    api.script("pods", "list", status(500, "InternalError", f"bad header Authorization: Bearer {TOKEN} / {TOKEN}"))
    fake_time.hold = True
    run = run_source(kinds=(PODS,))
    await eventually(lambda: run.source.informer("pods").message)
    message = run.source.informer("pods").message
    assert TOKEN not in message and "***" in message
    assert TOKEN not in run.source.status().describe()


async def stsviz(*args: str) -> tuple[int, str, str]:
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "stsviz",
        *args,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
        stdin=asyncio.subprocess.DEVNULL,
    )
    out, err = await asyncio.wait_for(process.communicate(), 60)
    return process.returncode, out.decode(), err.decode()


@pytest.mark.parametrize("record", [False, True], ids=["json", "record"])
async def test_cli_401_is_exit_1_in_kubectls_words_without_the_token(api, tmp_path, record):
    path = str(api.kubeconfig(tmp_path, token="cli-wrong-token-777777"))
    words = ["record", "--kubeconfig", path, "-o", str(tmp_path / "rec.jsonl")] if record else ["--kubeconfig", path]
    code, out, err = await stsviz(*words, *([] if record else ["--json"]))
    assert code == 1 and out == ""
    assert err.strip() == (
        f"stsviz: error: {api.url}: 401 Unauthorized: "
        "You must be logged in to the server (the credentials are expired or wrong)"
    ), err
    assert "cli-wrong-token" not in err


async def test_cli_server_error_echoing_the_token_is_scrubbed(api, tmp_path):
    api.script("statefulsets", "list", status(500, "InternalError", f"saw Authorization: Bearer {TOKEN}"))
    code, _out, err = await stsviz("--kubeconfig", str(api.kubeconfig(tmp_path)), "--plain")
    assert code == 1 and TOKEN not in err and len(err.strip().splitlines()) == 1 and "Traceback" not in err


async def test_cli_forbidden_events_still_print_the_frame_with_a_warning(api, tmp_path):
    api.objects["statefulsets"] = [
        {
            "metadata": {"name": "web", "namespace": "ns", "uid": "u1"},
            "spec": {"replicas": 1},
            "status": {"observedGeneration": 1},
        }
    ]
    api.script(
        "events", "list", status(403, "Forbidden", 'events is forbidden: User "x" cannot list resource "events"')
    )
    code, out, err = await stsviz("--kubeconfig", str(api.kubeconfig(tmp_path)), "--json")
    assert code == 0, err
    assert json.loads(out)["sets"][0]["name"] == "web"
    assert (
        err.strip() == 'stsviz: warning: events left out: events is forbidden: User "x" cannot list resource "events"'
    )
    assert [s.query.get("labelSelector") for s in api.seen("statefulsets")] == [None]
    assert api.seen("statefulsets")[0].query == {"limit": "500"}


async def test_cli_forbidden_pods_make_every_verdict_say_so_not_done(api, tmp_path):
    """As the screen's `pods unread`: a set whose status says complete is not called done without its pods."""
    complete = {"observedGeneration": 1, "replicas": 1, "readyReplicas": 1, "updatedReplicas": 1}
    api.objects["statefulsets"] = [
        {"metadata": {"name": "web", "namespace": "ns", "uid": "u1"}, "spec": {"replicas": 1}, "status": complete}
    ]
    forbidden = 'pods is forbidden: User "x" cannot list resource "pods" in API group "" in the namespace "ns"'
    api.script("pods", "list", status(403, "Forbidden", forbidden))
    code, out, err = await stsviz("--kubeconfig", str(api.kubeconfig(tmp_path)), "--json")
    assert code == 0, err
    [row] = json.loads(out)["sets"]
    assert row["verdict"] == {"done": False, "stalled": False, "message": f"pods not read yet: forbidden: {forbidden}"}
    assert err.strip() == f"stsviz: warning: pods left out: {forbidden}"


async def test_cli_forbidden_revisions_leave_out_only_revisions_and_the_selector_picks_sets_alone(api, tmp_path):
    api.objects["statefulsets"] = [
        {
            "metadata": {"name": "web", "namespace": "ns", "uid": "u1"},
            "spec": {"replicas": 1},
            "status": {"observedGeneration": 1, "currentRevision": "web-a", "updateRevision": "web-b"},
        }
    ]
    forbidden = 'controllerrevisions.apps is forbidden: User "x" cannot list resource "controllerrevisions"'
    api.script("controllerrevisions", "list", status(403, "Forbidden", forbidden))
    code, out, err = await stsviz("--kubeconfig", str(api.kubeconfig(tmp_path)), "--json", "-l", "app=web")
    assert code == 0, err
    [row] = json.loads(out)["sets"]
    assert row["revisions"] == [] and row["template_diff"] == []
    assert err.strip() == f"stsviz: warning: controllerrevisions left out: {forbidden}"
    # The selector picks sets (as kubectl get sts -l): revisions carry the template's labels, not the set's.
    assert [s.query.get("labelSelector") for s in api.seen("controllerrevisions")] == [None]


async def test_cli_unreachable_server_is_exit_2(tmp_path):
    from tests.fake_api import FakeApiServer

    server = FakeApiServer()
    server.url = "http://127.0.0.1:9"  # discard port: nobody listens
    code, out, err = await stsviz("--kubeconfig", str(server.kubeconfig(tmp_path)), "--json")
    assert code == 2 and out == ""
    assert err.startswith("stsviz: error: cannot reach http://127.0.0.1:9: cannot connect to 127.0.0.1:9")
    assert len(err.strip().splitlines()) == 1


async def test_cli_connection_failures_read_as_kubectl_says_them_not_as_python_or_openssl(tmp_path):
    """`Connect call failed ('127.0.0.1', 9)` and `[SSL: WRONG_VERSION_NUMBER] wrong version number
    (_ssl.c:1006)` (https:// to a plain http server, a common mix-up) sent the reader looking for a TLS
    problem mid-incident."""
    from tests.fake_api import FakeApiServer

    closed = FakeApiServer()
    closed.url = "http://127.0.0.1:9"  # discard port: nobody listens
    code, _, err = await stsviz("--kubeconfig", str(closed.kubeconfig(tmp_path, name="closed")), "--json")
    assert (code, err.strip()) == (
        2,
        "stsviz: error: cannot reach http://127.0.0.1:9: cannot connect to 127.0.0.1:9: connection refused",
    )
    plain = FakeApiServer(tls=False)
    url = await plain.start()
    try:
        kubeconfig = plain.kubeconfig(tmp_path, name="plain", server=url.replace("http://", "https://"))
        code, _, err = await stsviz("--kubeconfig", str(kubeconfig), "--json")
    finally:
        await plain.stop()
    assert code == 2
    assert err.strip().endswith(
        "the server answered plain HTTP to https (is its address http:// in the kubeconfig?)"
    ), err


async def test_a_relative_exec_command_is_found_beside_the_kubeconfig(api, tmp_path, plugin, monkeypatch):
    plugin.tokens(TOKEN)
    (tmp_path / "bin").mkdir()
    wrapper = tmp_path / "bin" / "login"
    wrapper.write_text(f"#!/bin/sh\nexec {' '.join(plugin.command)}\n")
    wrapper.chmod(0o755)
    path = api.kubeconfig(tmp_path, exec_command=["bin/login"])
    monkeypatch.chdir("/")
    connection = await resolve_target(str(path)).connect()
    await connection.close()
    assert plugin.runs == 1


async def test_a_static_token_refused_is_read_again_from_the_kubeconfig_after_the_wait(api, tmp_path, fake_time):
    """After a cluster is rebuilt the user pastes a new token into the kubeconfig: stsviz picks it up."""
    fake_time.hold = True
    path = api.kubeconfig(tmp_path, token="old-static-token-0123")
    source = await start(api, tmp_path, fake_time, path, kinds=(STATEFULSETS, PODS))
    run = Running(source)
    try:
        await eventually(lambda: run.phase("statefulsets") == phases.EXPIRED)
        assert source.status().headline() == f"{source.target.address}: {CREDENTIALS_EXPIRED}"
        api.kubeconfig(tmp_path, token=TOKEN)  # the same file, edited: the token the server takes now
        fake_time.hold = False
        fake_time.release()
        await eventually(lambda: run.phase("statefulsets") == run.phase("pods") == phases.WATCHING)
        assert source.connection is not None and source.connection.generation == 1
    finally:
        fake_time.hold = False
        fake_time.release()
        await run.stop()


async def test_an_unchanged_kubeconfig_gives_no_fresh_static_token(api, tmp_path, fake_time):
    path = api.kubeconfig(tmp_path, token="old-static-token-0123")
    connection = await resolve_target(str(path)).connect()
    try:
        assert not await connection.refresh_credentials(connection.generation)
    finally:
        await connection.close()


@pytest.mark.parametrize("token", ["abc\r\ndef", "abc\ndef\n\n", "abc\x00def"])
async def test_a_token_with_a_line_break_inside_is_one_line_without_the_token(api, tmp_path, token):
    """A token pasted with a line break in it cannot be sent as a header: aiohttp raised a 69-line traceback."""
    code, out, err = await stsviz("--kubeconfig", str(api.kubeconfig(tmp_path, token=token)), "--plain")
    assert code == 2 and out == "" and "Traceback" not in err, err
    assert len(err.strip().splitlines()) == 1 and "holds a line break or control character" in err, err
    assert "abc" not in err and "def" not in err


async def test_a_token_file_ending_in_a_newline_still_works(api, tmp_path):
    """As kubectl: a token read from a file loses its trailing newline; only one inside the token is refused."""
    config = json.loads(api.kubeconfig(tmp_path).read_text())
    (tmp_path / "token").write_text(TOKEN + "\n")
    config["users"][0]["user"] = {"tokenFile": str(tmp_path / "token")}
    path = tmp_path / "file.kubeconfig"
    path.write_text(json.dumps(config))
    code, _out, err = await stsviz("--kubeconfig", str(path), "--plain")
    assert code == 0, err


async def test_an_exec_plugin_that_hangs_is_given_up_with_its_children_at_the_timeout(tmp_path):
    """A shell plugin whose child holds the pipes: the timeout ended only once the child did, and left it."""
    from stsviz.sources.live.config import run_exec_plugin

    script = tmp_path / "hang.sh"
    pid_file = tmp_path / "child.pid"
    script.write_text(f"#!/bin/sh\nsleep 1000 &\necho $! > {pid_file}\nwait\n")
    script.chmod(0o755)
    config = {"apiVersion": "client.authentication.k8s.io/v1beta1", "command": str(script)}
    began = asyncio.get_running_loop().time()
    with pytest.raises(ConfigError, match=r"exec plugin hang.sh did not answer within 0.5s"):
        await run_exec_plugin(config, base_dir=str(tmp_path), timeout=0.5)
    assert asyncio.get_running_loop().time() - began < 5
    child = int(pid_file.read_text())
    await eventually(lambda: not _alive(child), timeout=5, message="the plugin's child killed")


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    state = Path(f"/proc/{pid}/stat").read_text().split()[2] if Path(f"/proc/{pid}/stat").exists() else "X"
    return state != "Z"  # a zombie waits for its parent (init) to reap it: it is dead


async def test_cli_a_skipped_object_is_warned_of_once(api, tmp_path):
    """The log's WARNING and --plain's own warning said the same on stderr."""
    from tests.fake_api import items, obj

    odd = pod("web-1")
    odd["status"]["phase"] = 7
    api.script("statefulsets", "list", items([obj("StatefulSet", "web", spec={"replicas": 2})], rv="10"))
    api.script("pods", "list", items([pod("web-0"), odd], rv="10"))
    code, _out, err = await stsviz("--kubeconfig", str(api.kubeconfig(tmp_path)), "--plain")
    assert code == 0, err
    assert err.count("skipped: fields of types Kubernetes never sends") == 1, err


@pytest.mark.parametrize("how", ["data", "file", "exec"])
async def test_a_kubeconfig_rewritten_with_the_new_ca_is_picked_up_without_a_restart(
    api, tmp_path, fake_time, plugin, how
):
    """A cluster rebuilt with a new CA: kubectl works as soon as the kubeconfig (or the CA file it names) is
    rewritten; the screen said 'TLS certificate not trusted' until it was restarted. An exec plugin's user is
    followed too, and the plugin is not run again for it."""
    import base64

    from tests.fake_api import made_pki

    old_ca, new_ca = made_pki().pem("client"), made_pki().pem("server")  # the server's certificate is the new one
    path = api.kubeconfig(tmp_path, exec_command=plugin.command if how == "exec" else None)
    config = json.loads(path.read_text())
    cluster = config["clusters"][0]["cluster"]
    ca_file = tmp_path / "ca.crt"

    def write(ca: bytes) -> None:
        if how == "file":
            cluster.pop("certificate-authority-data", None)
            cluster["certificate-authority"] = str(ca_file)
            ca_file.write_bytes(ca)  # rewritten in place: the kubeconfig itself does not change
        else:
            cluster["certificate-authority-data"] = base64.b64encode(ca).decode()
        path.write_text(json.dumps(config))

    plugin.tokens(TOKEN)
    write(old_ca)
    api.objects["pods"] = [pod("web-0")]
    run = Running(LiveSource(resolve_target(str(path)), Scope("ns"), timing=fake_time.timing(), kinds=(PODS,)))
    try:
        informer = run.source.informer("pods")
        await eventually(lambda: "TLS certificate not trusted" in (informer.message or ""), message="not trusted")
        runs = plugin.runs
        write(new_ca)  # the rebuilt cluster's CA, as `kind get kubeconfig` writes it
        await eventually(lambda: informer.phase == phases.WATCHING, message="watching with the new CA")
        assert {name for _, name in run.state.pods} == {"web-0"}
        if how == "exec":
            assert plugin.runs == runs  # a refused certificate is no reason to ask the plugin for a token
    finally:
        await run.stop()


@pytest.mark.parametrize(
    ("errno", "said"),
    [
        (socket.EAI_NONAME, "no such host"),
        # A resolver that failed for now (a VPN down) is not a wrong name: its own words.
        (socket.EAI_AGAIN, "Temporary failure in name resolution"),
    ],
)
def test_a_name_that_does_not_resolve_is_no_such_host_but_a_failing_resolver_says_so(errno, said):
    from aiohttp.client_reqrep import ConnectionKey

    from stsviz.sources.live.wire import _describe

    key = ConnectionKey("api.example", 6443, True, True, None, None, None, None)
    error = aiohttp.ClientConnectorError(key, socket.gaierror(errno, said if errno != socket.EAI_NONAME else "x"))
    assert _describe(error) == f"cannot connect to api.example:6443: {said}"
