"""Finding the kubeconfig and context as kubectl does, in-cluster config, and never writing the file."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import orjson
import pytest

from stsviz.sources.live.config import ConfigError, resolve_target


def kubeconfig(
    path: Path,
    *,
    current: str | None,
    contexts: dict[str, str],
    namespace: str | None = None,
    token: str = "tok-123456",
) -> Path:
    """A kubeconfig with one cluster per context, named after it."""
    config = {
        "apiVersion": "v1",
        "kind": "Config",
        "clusters": [{"name": c, "cluster": {"server": server}} for c, server in contexts.items()],
        "users": [{"name": c, "user": {"token": token}} for c in contexts],
        "contexts": [
            {"name": c, "context": {"cluster": c, "user": c, **({"namespace": namespace} if namespace else {})}}
            for c in contexts
        ],
    }
    if current:
        config["current-context"] = current
    path.write_bytes(orjson.dumps(config))
    return path


def test_explicit_kubeconfig_and_its_current_context(tmp_path):
    path = kubeconfig(tmp_path / "k", current="a", contexts={"a": "https://a:6443"}, namespace="team")
    target = resolve_target(str(path), environ={})
    assert (target.context, target.server, target.namespace) == ("a", "https://a:6443", "team")


def test_namespace_defaults_to_default(tmp_path):
    path = kubeconfig(tmp_path / "k", current="a", contexts={"a": "https://a:6443"})
    assert resolve_target(str(path), environ={}).namespace == "default"


def test_several_kubeconfig_paths_merge_and_the_first_current_context_wins(tmp_path):
    first = kubeconfig(tmp_path / "one", current="a", contexts={"a": "https://a:6443"})
    second = kubeconfig(tmp_path / "two", current="b", contexts={"b": "https://b:6443", "a": "https://other:1"})
    environ = {"KUBECONFIG": os.pathsep.join([str(tmp_path / "missing"), str(first), str(second)])}
    target = resolve_target(environ=environ)
    assert (target.context, target.server) == ("a", "https://a:6443")  # first file's `a`, first file's choice
    assert resolve_target(context="b", environ=environ).server == "https://b:6443"


def test_kubectl_is_told_the_kubeconfig_only_when_it_would_not_read_it_by_itself(tmp_path):
    """The dialogs' kubectl lines: `--kubeconfig F` for a file given to stsviz, nothing for $KUBECONFIG's files
    or ~/.kube/config, which kubectl reads in the same shell."""
    (tmp_path / ".kube").mkdir()
    home = kubeconfig(tmp_path / ".kube" / "config", current="h", contexts={"h": "https://h:6443"})
    given = kubeconfig(tmp_path / "given", current="g", contexts={"g": "https://g:6443"})
    assert resolve_target(environ={"HOME": str(tmp_path)}).kubectl_kubeconfig() is None
    assert resolve_target(str(home), environ={"HOME": str(tmp_path)}).kubectl_kubeconfig() is None
    assert resolve_target(str(given), environ={"HOME": str(tmp_path)}).kubectl_kubeconfig() == str(given)
    listed = {"HOME": str(tmp_path), "KUBECONFIG": str(given)}
    assert resolve_target(environ=listed).kubectl_kubeconfig() is None
    assert resolve_target(str(home), environ=listed).kubectl_kubeconfig() == str(home)


def test_home_kube_config_is_the_fallback(tmp_path):
    (tmp_path / ".kube").mkdir()
    kubeconfig(tmp_path / ".kube" / "config", current="h", contexts={"h": "https://h:6443"})
    assert resolve_target(environ={"HOME": str(tmp_path)}).context == "h"


def test_unknown_context_is_one_line_naming_the_choices(tmp_path):
    path = kubeconfig(tmp_path / "k", current="a", contexts={"a": "https://a:6443", "b": "https://b:6443"})
    with pytest.raises(ConfigError, match=r"^context 'nope' not found in kubeconfig \(contexts: a, b\)$"):
        resolve_target(str(path), "nope", environ={})


def test_no_current_context(tmp_path):
    path = kubeconfig(tmp_path / "k", current=None, contexts={"a": "https://a:6443"})
    with pytest.raises(ConfigError, match="no current-context; pass --context"):
        resolve_target(str(path), environ={})


def test_missing_kubeconfig_file(tmp_path):
    with pytest.raises(ConfigError, match=r"^kubeconfig /nowhere/config not found$"):
        resolve_target("/nowhere/config", environ={})
    with pytest.raises(ConfigError, match=rf"^kubeconfig {tmp_path} is a directory; give the file$"):
        resolve_target(str(tmp_path), environ={})
    with pytest.raises(ConfigError, match=r"^kubeconfig /dev/null is not a regular file"):
        resolve_target("/dev/null", environ={})  # there: not "not found"
    with pytest.raises(ConfigError, match="no kubeconfig found"):
        resolve_target(
            environ={"KUBECONFIG": str(tmp_path / "gone"), "HOME": str(tmp_path)},
            service_account_dir=str(tmp_path / "no-sa"),
        )


@pytest.mark.parametrize("content", ["", "just a string\n", "[1, 2]\n"])
def test_a_file_that_is_not_a_kubeconfig(tmp_path, content):
    path = tmp_path / "k"
    path.write_text(content)
    with pytest.raises(ConfigError) as raised:
        resolve_target(str(path), environ={})
    assert "\n" not in str(raised.value) and str(path) in str(raised.value)


def test_a_yaml_error_does_not_print_the_token_it_quotes(tmp_path):
    path = tmp_path / "k"
    path.write_text("users:\n- name: a\n  user:\n    token: hunter2-very-secret\n  : : [\n")
    with pytest.raises(ConfigError) as raised:
        resolve_target(str(path), environ={})
    assert "hunter2-very-secret" not in str(raised.value)


def service_account(tmp_path: Path) -> Path:
    sa = tmp_path / "sa"
    sa.mkdir()
    (sa / "token").write_text("in-cluster-token-abcdef")
    (sa / "ca.crt").write_text("-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n")
    (sa / "namespace").write_text("payments\n")
    return sa


def test_in_cluster_config_when_no_kubeconfig_exists(tmp_path):
    sa = service_account(tmp_path)
    environ = {"HOME": str(tmp_path), "KUBERNETES_SERVICE_HOST": "10.0.0.1", "KUBERNETES_SERVICE_PORT": "443"}
    target = resolve_target(environ=environ, service_account_dir=str(sa))
    assert target.in_cluster and target.server == "https://10.0.0.1:443" and target.namespace == "payments"
    assert target.describe() == "in-cluster"


async def test_in_cluster_connect_uses_the_service_account_token(tmp_path):
    sa = service_account(tmp_path)
    openssl = shutil.which("openssl")
    if openssl is None:
        pytest.skip("openssl not found: needed to make a CA certificate")
    subprocess.run(
        [
            openssl,
            "req",
            "-x509",
            "-newkey",
            "rsa:2048",
            "-nodes",
            "-days",
            "1",
            "-subj",
            "/CN=test-ca",
            "-keyout",
            str(tmp_path / "ca.key"),
            "-out",
            str(sa / "ca.crt"),
        ],
        check=True,
        capture_output=True,
    )
    environ = {"HOME": str(tmp_path), "KUBERNETES_SERVICE_HOST": "fd00::1", "KUBERNETES_SERVICE_PORT": "443"}
    target = resolve_target(environ=environ, service_account_dir=str(sa))
    assert target.server == "https://[fd00::1]:443"
    connection = await target.connect()
    try:
        assert connection.configuration.host == "https://[fd00::1]:443"
        assert connection.configuration.api_key["BearerToken"] == "Bearer in-cluster-token-abcdef"
        (sa / "token").write_text("rotated-token-123456")
        assert await connection.refresh_credentials(connection.generation)
        assert connection.configuration.api_key["BearerToken"] == "Bearer rotated-token-123456"
    finally:
        await connection.close()


async def test_a_broken_ca_certificate_is_one_line_not_a_traceback(tmp_path):
    sa = service_account(tmp_path)  # its ca.crt is not a certificate
    environ = {"HOME": str(tmp_path), "KUBERNETES_SERVICE_HOST": "10.0.0.1", "KUBERNETES_SERVICE_PORT": "443"}
    target = resolve_target(environ=environ, service_account_dir=str(sa))
    with pytest.raises(ConfigError, match=r"^cannot set up TLS for in-cluster: ") as raised:
        await target.connect()
    assert "in-cluster-token-abcdef" not in str(raised.value)


def test_context_flag_is_refused_in_cluster(tmp_path):
    sa = service_account(tmp_path)
    environ = {"HOME": str(tmp_path), "KUBERNETES_SERVICE_HOST": "10.0.0.1", "KUBERNETES_SERVICE_PORT": "443"}
    with pytest.raises(ConfigError, match="--context"):
        resolve_target(context="x", environ=environ, service_account_dir=str(sa))


def test_a_kubeconfig_from_a_pipe_is_refused_in_one_line(tmp_path):
    """`stsviz --kubeconfig <(vault read ...)`: a pipe reads once, and stsviz reads the kubeconfig again
    (`:ctx`, a token pasted in): refused up front rather than failing later with "no kubeconfig found"."""
    fifo = tmp_path / "fifo"
    os.mkfifo(fifo)
    with pytest.raises(ConfigError, match=r"is not a regular file \(a pipe reads only once\); save it to a file$"):
        resolve_target(str(fifo), environ={})


def test_a_server_of_another_protocol_is_one_line_as_kubectl_says_it(tmp_path):
    """`ftp://...` reached aiohttp, whose error named its own class and the request's whole path."""
    path = kubeconfig(tmp_path / "k", current="a", contexts={"a": "ftp://a:21"})
    expected = "context 'a' names cluster 'a', whose server ftp://a:21 has an unsupported protocol scheme \"ftp\""
    with pytest.raises(ConfigError) as refused:
        resolve_target(str(path), environ={})
    assert str(refused.value) == expected
    assert resolve_target(str(kubeconfig(tmp_path / "h", current="a", contexts={"a": "HTTPS://a:6443"})), environ={})
