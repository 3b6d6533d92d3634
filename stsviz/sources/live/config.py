"""Where to connect and with what credentials: kubeconfig (several files), a context, or in-cluster.

kubernetes_asyncio reads and merges the kubeconfig files and builds the HTTP
session; stsviz adds what kubectl users expect and the library lacks:

- one-line errors for a missing kubeconfig or an unknown context, before any
  connection is tried (`resolve_target`, synchronous, runs before the TUI);
- exec credential plugins run with stdin from /dev/null, in a session of their
  own (no controlling terminal), so they never read the keys meant for the
  screen; they are told they are not interactive;
- credentials refreshed on demand after a 401 (`Connection.refresh_credentials`);
- the kubeconfig is never written to: no config persister is ever installed;
- every secret loaded is registered with `scrub.remember`;
- as kubectl (client-go's clientcmd reads a user's credentials only for an
  https server): over plain http no credential is loaded or sent, no token,
  no password, no client certificate, and no exec plugin is run. The
  connection says so (`Connection.withheld`) for the messages of a 401/403;
- a user name and password in the server URL are never sent nor shown:
  `Target.server` is the URL without them, `Target.address` the scheme, host
  and port that messages show (Kubernetes dropped basic auth in 1.19);
- the CA, client certificate and client key are held in memory and handed to
  the TLS context through memory files (`memfd_create`) that never reach a
  disk; where there are none, through files in a private directory deleted as
  soon as the context has read them. kubernetes_asyncio itself would write
  them to temp files removed only at a normal exit (SIGTERM leaves the key).
"""

from __future__ import annotations

import asyncio
import base64
import json
import os
import shutil
import signal
import tempfile
from collections.abc import Iterator, Mapping
from contextlib import ExitStack, contextmanager, suppress
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

from kubernetes_asyncio.client import ApiClient, Configuration
from kubernetes_asyncio.config.incluster_config import InClusterConfigLoader
from kubernetes_asyncio.config.kube_config import (
    ENV_KUBECONFIG_PATH_SEPARATOR,
    ConfigNode,
    FileOrData,
    KubeConfigLoader,
    KubeConfigMerger,
)

from stsviz.sources.live.scrub import one_line, remember

SERVICE_ACCOUNT_DIR = "/var/run/secrets/kubernetes.io/serviceaccount"
EXEC_TIMEOUT = 60.0  # seconds an exec plugin may take before it is given up on
EXEC_STDERR_LIMIT = 200  # characters of a failing exec plugin's stderr worth showing
PLAIN_HTTP = "credentials are not sent over plain http; kubectl does not send them either"

# The `user:` fields of a kubeconfig that hold or produce credentials.
_CREDENTIAL_FIELDS = (
    "token",
    "tokenFile",
    "username",
    "password",
    "exec",
    "auth-provider",
    "client-certificate",
    "client-certificate-data",
    "client-key",
    "client-key-data",
)


class ConfigError(Exception):
    """The kubeconfig cannot be used as asked; the message is one scrubbed line for the user."""


@dataclass(frozen=True)
class Tls:
    """The PEM bytes the TLS context needs, held in memory (see the module docstring); None: not given."""

    ca: bytes | None = None
    certificate: bytes | None = None
    key: bytes | None = field(default=None, repr=False)


@dataclass
class Target:
    """A resolved place to connect to, not yet connected."""

    context: str | None  # None in-cluster
    server: str  # the URL connected to, without any user name or password it had in the kubeconfig
    namespace: str  # the context's namespace, "default" when it names none
    in_cluster: bool = False
    paths: tuple[str, ...] = ()
    _config: Any = field(default=None, repr=False)  # the merged ConfigNode
    _user: dict[str, Any] = field(default_factory=dict, repr=False)  # the context's `user:` entry
    _user_dir: str = ""  # the directory of the kubeconfig that defines the user (relative paths)
    _service_account_dir: str = SERVICE_ACCOUNT_DIR
    _environ: Mapping[str, str] = field(default_factory=dict, repr=False)
    _kubectl_flag: tuple[str | None] | None = field(default=None, init=False, repr=False, compare=False)

    def describe(self) -> str:
        return "in-cluster" if self.in_cluster else (self.context or "?")

    @property
    def address(self) -> str:
        """The server as messages show it: scheme, host and port (as kubectl), never a path or query."""
        parts = urlsplit(self.server)
        if not parts.scheme or not parts.netloc:
            return "the server in kubeconfig"  # not a URL: whatever it holds is not shown
        return f"{parts.scheme}://{parts.netloc}"

    def contexts(self) -> list[str]:
        """The context names of the kubeconfig, in file order (none in-cluster): what :ctx offers."""
        value = getattr(self._config, "value", None)
        if not isinstance(value, dict):
            return []
        names = []
        for entry in value.get("contexts") or []:
            entry = getattr(entry, "value", entry)  # the merger wraps each entry in a ConfigNode
            name = entry.get("name") if isinstance(entry, dict) else None
            if isinstance(name, str) and name not in names:
                names.append(name)
        return names

    def kubectl_kubeconfig(self) -> str | None:
        """What kubectl must be told with `--kubeconfig` to read these files, or None when it reads them
        anyway (the same $KUBECONFIG, or ~/.kube/config): the dialogs' kubectl lines are pasted into a shell
        where `stsviz --kubeconfig F` (and `stsviz demo`'s own file) is not the default. Looked up once: the
        detail pane asks on every frame that shows a restarted container."""
        if self._kubectl_flag is None:
            self._kubectl_flag = (self._kubectl_kubeconfig(),)
        return self._kubectl_flag[0]

    def _kubectl_kubeconfig(self) -> str | None:
        if self.in_cluster or not self.paths:
            return None
        listed = [p for p in self._environ.get("KUBECONFIG", "").split(ENV_KUBECONFIG_PATH_SEPARATOR) if p]
        home = self._environ.get("HOME", os.path.expanduser("~"))
        default = listed or [os.path.join(home, ".kube", "config")]
        if [os.path.abspath(os.path.expanduser(p)) for p in default if os.path.isfile(os.path.expanduser(p))] == [
            os.path.abspath(p) for p in self.paths
        ]:
            return None
        return ENV_KUBECONFIG_PATH_SEPARATOR.join(os.path.abspath(p) for p in self.paths)

    def for_context(self, context: str) -> Target:
        """The same kubeconfig files resolved for another context; ConfigError if it cannot be used."""
        if self.in_cluster or not self.paths:
            raise ConfigError("in-cluster: there is no other context")
        environ = {**self._environ, "KUBECONFIG": ENV_KUBECONFIG_PATH_SEPARATOR.join(self.paths)}
        return resolve_target(None, context, environ=environ, service_account_dir=self._service_account_dir)

    def reread(self) -> Target | None:
        """The same context read again from the same kubeconfig files, if its user entry changed there.

        A static token or certificate cannot be refreshed, but the user can
        paste a new one into the kubeconfig (after a cluster was rebuilt, a
        token rotated): after a 401 that is worth a look, as kubectl would
        pick it up on its next run. None when nothing changed or it cannot be read.
        """
        fresh = self._read_again()
        if fresh is None or fresh._user == self._user or fresh.server != self.server:
            return None  # nothing new; or another server, which is not a credential change
        return fresh

    def current_ca(self) -> bytes | None:
        """The CA the kubeconfig names now for this context's cluster, its data or the file it points to read
        again (a rebuilt cluster's, written in place); None when there is none, or it cannot be read."""
        fresh = self._read_again()
        if fresh is None or fresh.server != self.server:
            return None  # unreadable; or another server: not this cluster's new CA
        try:
            loader = fresh._loader()
            loader._load_cluster_info()  # the cluster's part only: no credential, no exec plugin
        except Exception:  # a CA file half-written, unreadable: the next retry looks again
            return None
        ca: bytes | None = loader.tls.ca
        return ca

    def _read_again(self) -> Target | None:
        """This context resolved again from the same kubeconfig files; None in-cluster, or when it cannot be."""
        if self.in_cluster or not self.paths:
            return None
        environ = {**self._environ, "KUBECONFIG": ENV_KUBECONFIG_PATH_SEPARATOR.join(self.paths)}
        try:
            return resolve_target(None, self.context, environ=environ, service_account_dir=self._service_account_dir)
        except ConfigError:
            return None

    @property
    def secure(self) -> bool:
        """Whether the server is spoken to over TLS: the only way credentials are sent."""
        return self.in_cluster or urlsplit(self.server).scheme.lower() == "https"

    @property
    def withheld(self) -> str | None:
        """Why the kubeconfig's credentials are not sent (plain http), or None when they are (or there are none)."""
        if self.secure or not any(name in self._user for name in _CREDENTIAL_FIELDS):
            return None
        return PLAIN_HTTP

    @property
    def refreshable(self) -> bool:
        """Whether loading again could give other credentials (exec plugin, token file, pod token)."""
        if not self.secure:
            return False  # no credential is loaded at all
        return self.in_cluster or "exec" in self._user or "tokenFile" in self._user

    def _loader(self) -> Any:
        if self.in_cluster:
            sa = Path(self._service_account_dir)
            return InClusterConfigLoader(
                token_filename=str(sa / "token"), cert_filename=str(sa / "ca.crt"), environ=dict(self._environ)
            )
        return _Loader(
            config_dict=self._config,
            active_context=self.context,
            config_base_path=None,
            config_persister=None,  # never write the user's kubeconfig
            exec_config=self._user.get("exec"),
            exec_dir=self._user_dir,
            server=self.server,
        )

    async def load(self, configuration: Configuration) -> Tls:
        """Load (or load again) the credentials into `configuration`, running an exec plugin if there is one.

        What TLS needs (CA, client certificate and key) is returned, not put in
        `configuration`: `api_client` hands it to the TLS context.
        """
        # Known before anything is loaded, so that a failure to load is masked too.
        remember(*_secret_values(self._user))
        try:
            loader = self._loader()
            if isinstance(loader, InClusterConfigLoader):
                loader.load_and_set(configuration)
                tls = Tls()
            else:
                await loader.load_and_set(configuration)
                tls = loader.tls
        except Exception as error:  # the library raises many types; the user needs one line
            raise ConfigError(f"cannot load credentials for {self.describe()}: {one_line(error)}") from None
        remember(configuration.api_key.get("BearerToken"), configuration.password)
        if tls.key is not None:
            remember(tls.key.decode(errors="replace"))
        token = configuration.api_key.get("BearerToken")
        if isinstance(token, str) and token != token.strip():
            configuration.api_key["BearerToken"] = token = token.strip()  # as client-go trims a token file's newline
        for what, value in (("token", token), ("password", configuration.password)):
            # A token pasted with a line break inside: aiohttp refuses the header with a traceback; Go's HTTP
            # client (kubectl) refuses it too. Said once, in a line, without the value.
            if isinstance(value, str) and any(ord(char) < 0x20 or ord(char) == 0x7F for char in value):
                raise ConfigError(
                    f"the {what} for {self.describe()} holds a line break or control character: not sendable"
                    " in an HTTP header"
                )
        return tls

    async def connect(self) -> Connection:
        """Load credentials and open a session. Must run inside the event loop that will use it."""
        configuration = type.__call__(Configuration)
        tls = await self.load(configuration)
        try:
            return Connection(self, configuration, tls)
        except Exception as error:  # a CA or client certificate that TLS cannot load
            raise ConfigError(f"cannot set up TLS for {self.describe()}: {one_line(error)}") from None


def _secret_values(user: Mapping[str, Any]) -> Iterator[str]:
    """The secret strings a kubeconfig `user:` entry holds itself (not those in files it names)."""
    for key in ("token", "password", "client-key-data"):
        value = user.get(key)
        if isinstance(value, str):
            yield value
            if key == "client-key-data":
                try:
                    yield base64.b64decode(value).decode(errors="replace")
                except ValueError:
                    pass
    provider = user.get("auth-provider")
    config = provider.get("config") if isinstance(provider, Mapping) else None
    if isinstance(config, Mapping):
        for key in ("id-token", "refresh-token", "access-token", "client-secret"):
            value = config.get(key)
            if isinstance(value, str):
                yield value


def api_client(configuration: Configuration, tls: Tls) -> ApiClient:
    """An ApiClient whose TLS context holds `tls`, without leaving a copy of the key anywhere.

    kubernetes_asyncio's REST client reads the CA and the client certificate
    from the files `configuration` names, once, when the ApiClient is built:
    they are named only for that moment.
    """
    if tls.ca is None and tls.certificate is None:
        return ApiClient(configuration)
    saved = configuration.ssl_ca_cert, configuration.cert_file, configuration.key_file
    pems = [tls.ca, tls.certificate, tls.key if tls.certificate is not None else None]
    try:
        with pem_files(pems) as (ca, certificate, key):
            if ca is not None:
                configuration.ssl_ca_cert = ca
            if certificate is not None:
                configuration.cert_file, configuration.key_file = certificate, key
            return ApiClient(configuration)
    finally:
        configuration.ssl_ca_cert, configuration.cert_file, configuration.key_file = saved


@contextmanager
def pem_files(contents: list[bytes | None]) -> Iterator[list[str | None]]:
    """A path OpenSSL can read each of `contents` from (None for None), valid only inside the block.

    Memory files (Linux `memfd_create`, opened by OpenSSL as /proc/self/fd/N)
    never touch a disk and die with the process, whatever signal ends it.
    Without them, the files go to a private (0700) directory removed when the
    block ends; only a kill in that instant could leave them.
    """
    paths: list[str | None] = []
    with ExitStack() as stack:
        memfd = getattr(os, "memfd_create", None)
        if memfd is not None and os.path.isdir("/proc/self/fd"):
            for content in contents:
                if content is None:
                    paths.append(None)
                    continue
                fd = memfd("stsviz-tls", getattr(os, "MFD_CLOEXEC", 0))
                stack.callback(os.close, fd)
                os.write(fd, content)
                paths.append(f"/proc/self/fd/{fd}")
        else:
            directory = tempfile.mkdtemp(prefix="stsviz-tls-")  # mode 0700
            stack.callback(shutil.rmtree, directory, True)
            for index, content in enumerate(contents):
                if content is None:
                    paths.append(None)
                    continue
                path = os.path.join(directory, f"{index}.pem")
                fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
                with os.fdopen(fd, "wb") as file:
                    file.write(content)
                paths.append(path)
        yield paths


class Connection:
    """An open session to the API server, with credentials that can be refreshed."""

    def __init__(self, target: Target, configuration: Configuration, tls: Tls | None = None) -> None:
        self.target = target
        self.configuration = configuration
        self.tls = tls or Tls()
        self.api = api_client(configuration, self.tls)
        self.generation = 0  # goes up each time credentials are refreshed
        # Why a 401/403 may come: the kubeconfig's credentials were not sent (plain http); said with it.
        self.withheld = target.withheld
        self._lock = asyncio.Lock()
        self._retired: list[ApiClient] = []

    async def refresh_credentials(self, seen_generation: int) -> bool:
        """Get fresh credentials after a 401; False when nothing could give other ones.

        Informers that got their 401 on the same credentials share one refresh:
        whoever comes second sees the generation moved and just retries.
        """
        async with self._lock:
            if self.generation != seen_generation:
                return True
            if not self.target.refreshable:
                # A static token or certificate: only a kubeconfig edited since can give another.
                edited = self.target.reread() if self.target.secure else None
                if edited is None:
                    return False
                self.target = edited
            fresh = type.__call__(Configuration)
            try:
                tls = await self.target.load(fresh)
            except ConfigError:
                return False
            self.configuration.api_key = fresh.api_key
            # A client certificate lives in the TLS context: only a new session picks it up. One TLS
            # cannot load is as good as no fresh credentials.
            if tls != self.tls and not self._new_session(tls):
                return False
            self.generation += 1
            return True

    async def reload_ca(self) -> bool:
        """After a refused certificate: the kubeconfig's CA as it is now, and a new session if it changed
        (a cluster rebuilt, its kubeconfig or CA file rewritten). No exec plugin runs for it."""
        async with self._lock:
            ca = await asyncio.to_thread(self.target.current_ca)
            if ca is None or ca == self.tls.ca:
                return False
            if not self._new_session(Tls(ca=ca, certificate=self.tls.certificate, key=self.tls.key)):
                return False
            self.generation += 1
            return True

    def _new_session(self, tls: Tls) -> bool:
        """Requests go out on a session with `tls` from now on; False (the old one stays) if TLS cannot load it."""
        try:
            api = api_client(self.configuration, tls)
        except Exception:
            return False
        self.tls = tls
        self._retired.append(self.api)
        self.api = api
        return True

    async def close(self) -> None:
        for api in (*self._retired, self.api):
            await api.close()
        self._retired.clear()


class _Loader(KubeConfigLoader):
    """kubernetes_asyncio's loader, with the exec plugin run by stsviz, away from the terminal.

    It also reads the cluster first and loads credentials only for https (as
    kubectl), connects to the URL without userinfo, and keeps TLS material in
    memory (`tls`) where the library would write it to temp files.
    """

    # Set by the library's loader, which carries no annotations.
    host: str
    verify_ssl: bool
    tls_server_name: str
    proxy: str
    _cluster: Any

    def __init__(
        self, *args: Any, exec_config: Any = None, exec_dir: str = "", server: str = "", **kwargs: Any
    ) -> None:
        self._stsviz_exec = exec_config
        self._stsviz_exec_dir = exec_dir
        self._stsviz_server = server
        self._exec_certificate: tuple[bytes, bytes] | None = None
        self.tls = Tls()
        super().__init__(*args, **kwargs)

    async def load_and_set(self, client_configuration: Configuration) -> None:
        self._load_cluster_info()
        if self.host.lower().startswith("https://"):
            await self._load_authentication()
            certificate, key = self._exec_certificate or self._client_certificate()
            self.tls = Tls(ca=self.tls.ca, certificate=certificate, key=key)
        self._set_config(client_configuration)

    def _load_cluster_info(self) -> None:
        """The library's, but the CA stays in memory and the server is the one without userinfo."""
        cluster = self._cluster
        self.host = (self._stsviz_server or str(cluster["server"])).rstrip("/")
        if self.host.lower().startswith("https://"):
            self.tls = Tls(ca=_pem(cluster, "certificate-authority", self._get_base_path(cluster.path)))
        if "insecure-skip-tls-verify" in cluster:
            self.verify_ssl = not cluster["insecure-skip-tls-verify"]
        if "tls-server-name" in cluster:
            self.tls_server_name = cluster["tls-server-name"]
        if "proxy-url" in cluster:
            self.proxy = cluster["proxy-url"]

    def _client_certificate(self) -> tuple[bytes | None, bytes | None]:
        if not self._user:
            return None, None
        base_path = self._get_base_path(self._user.path)
        certificate = _pem(self._user, "client-certificate", base_path)
        key = _pem(self._user, "client-key", base_path)
        if certificate is None or key is None:
            return None, None  # as the library: both or none
        return certificate, key

    async def load_from_exec_plugin(self) -> bool:  # what load_and_set calls for a user with `exec`
        status = await run_exec_plugin(self._stsviz_exec, base_dir=self._stsviz_exec_dir)
        if "token" in status:
            self.token = f"Bearer {status['token']}"
            return True
        if "clientCertificateData" in status and "clientKeyData" in status:
            # ExecCredential carries PEM text, not base64.
            self._exec_certificate = (
                str(status["clientCertificateData"]).encode(),
                str(status["clientKeyData"]).encode(),
            )
            return True
        raise ConfigError("exec plugin gave neither a token nor a client certificate and key")


def _pem(node: Any, name: str, base_path: str) -> bytes | None:
    """The bytes of kubeconfig field `name` (a file) or `name`-data (base64); None when neither is set."""
    data = FileOrData(node, name, file_base_path=base_path).as_data()
    if not data:
        return None
    return base64.standard_b64decode(data)


def _dir_of(path: str | None) -> str:
    return os.path.abspath(os.path.dirname(path)) if path else os.getcwd()


async def run_exec_plugin(exec_config: Any, *, base_dir: str, timeout: float = EXEC_TIMEOUT) -> dict[str, Any]:
    """Run a client-go credential plugin and return its ExecCredential status.

    stdin is /dev/null and the plugin gets a session of its own: it can neither
    read the terminal nor open it. It is told `interactive: false`.
    """
    config = exec_config.value if isinstance(exec_config, ConfigNode) else exec_config
    command = config.get("command")
    api_version = config.get("apiVersion")
    if not command or not api_version:
        raise ConfigError("exec plugin in kubeconfig needs `command` and `apiVersion`")
    command = str(command)
    if os.sep in command and not os.path.isabs(command):
        command = os.path.join(base_dir, command)  # as kubectl: relative to the kubeconfig
    args = [str(arg) for arg in config.get("args") or []]
    env = dict(os.environ)
    for item in config.get("env") or []:
        if isinstance(item, dict) and "name" in item:
            env[str(item["name"])] = str(item.get("value", ""))
    env["KUBERNETES_EXEC_INFO"] = json.dumps(
        {"apiVersion": api_version, "kind": "ExecCredential", "spec": {"interactive": False}}
    )
    name = os.path.basename(command)
    try:
        process = await asyncio.create_subprocess_exec(
            command,
            *args,
            env=env,
            stdin=asyncio.subprocess.DEVNULL,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE,
            start_new_session=True,
        )
    except OSError as error:
        raise ConfigError(f"exec plugin {name}: {one_line(error.strerror or error)}") from None
    try:
        stdout, stderr = await asyncio.wait_for(process.communicate(), timeout)
    except TimeoutError:
        # The whole session it leads (start_new_session): a shell script's child still holding the pipes
        # kept the wait going, and lived on after it.
        with suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGKILL)
        await process.wait()
        raise ConfigError(f"exec plugin {name} did not answer within {timeout:g}s") from None
    if process.returncode != 0:
        detail = one_line(stderr.decode(errors="replace"), EXEC_STDERR_LIMIT) or "no message"
        raise ConfigError(f"exec plugin {name} failed (exit {process.returncode}): {detail}")
    try:
        data = json.loads(stdout)
        status = data["status"]
        if not isinstance(status, dict):
            raise TypeError
    except (ValueError, KeyError, TypeError):
        raise ConfigError(f"exec plugin {name} did not print an ExecCredential") from None
    if data.get("apiVersion") != api_version:
        raise ConfigError(f"exec plugin {name} answered apiVersion {data.get('apiVersion')!r}, not {api_version!r}")
    remember(status.get("token"), status.get("clientKeyData"))
    return status


def resolve_target(
    kubeconfig: str | None = None,
    context: str | None = None,
    *,
    environ: Mapping[str, str] | None = None,
    service_account_dir: str = SERVICE_ACCOUNT_DIR,
) -> Target:
    """Find the kubeconfig (or in-cluster config) and the context, as kubectl would.

    Order: --kubeconfig, then every file in $KUBECONFIG (merged, first wins),
    then ~/.kube/config, then the pod's service account. Raises ConfigError.
    """
    environ = os.environ if environ is None else environ
    if kubeconfig:
        path = os.path.expanduser(kubeconfig)
        if os.path.isdir(path):
            raise ConfigError(f"kubeconfig {kubeconfig} is a directory; give the file")
        if not os.path.exists(path):
            raise ConfigError(f"kubeconfig {kubeconfig} not found")
        if not os.path.isfile(path):
            # `--kubeconfig <(...)`: a pipe reads once, and the kubeconfig is read again (`:ctx`, a new token).
            raise ConfigError(
                f"kubeconfig {kubeconfig} is not a regular file (a pipe reads only once); save it to a file"
            )
        paths = [path]
    else:
        listed = [p for p in environ.get("KUBECONFIG", "").split(ENV_KUBECONFIG_PATH_SEPARATOR) if p]
        candidates = listed or [os.path.join(environ.get("HOME", os.path.expanduser("~")), ".kube", "config")]
        paths = [os.path.expanduser(p) for p in candidates if os.path.isfile(os.path.expanduser(p))]
        if not paths:
            target = _in_cluster(environ, service_account_dir, context)
            if target is not None:
                return target
            looked = ", ".join(candidates)
            raise ConfigError(f"no kubeconfig found (looked for {looked}); pass --kubeconfig or set KUBECONFIG")
    try:
        merger = KubeConfigMerger(ENV_KUBECONFIG_PATH_SEPARATOR.join(paths))
        merged = merger.config
        value = merged.value if merged is not None else None
        if not isinstance(value, dict):
            raise ConfigError(f"kubeconfig {', '.join(paths)} is empty")
        # kubectl: the first file that sets current-context wins (the library takes the last).
        current = next(
            (
                config["current-context"]
                for config in (merger.config_files.get(path) for path in merger.paths)
                if isinstance(config, dict) and config.get("current-context")
            ),
            None,
        )
    except ConfigError:
        raise
    except (AttributeError, TypeError, KeyError):  # YAML, but not shaped like a kubeconfig
        raise ConfigError(f"kubeconfig {', '.join(paths)} is empty or not a kubeconfig") from None
    except Exception as error:
        raise ConfigError(f"cannot read kubeconfig {', '.join(paths)}: {one_line(error)}") from None

    def names(section: str) -> list[str]:
        return [
            str(item.get("name") if isinstance(item, dict) else item.value.get("name"))
            for item in value.get(section) or []
        ]

    def entry_node(section: str, name: str) -> ConfigNode | None:
        """The merged entry, which remembers the file it came from (for relative paths)."""
        for item in value.get(section) or []:
            node = item if isinstance(item, ConfigNode) else ConfigNode(section, item, paths[0])
            if isinstance(node.value, dict) and node.value.get("name") == name:
                return node
        return None

    def entry(section: str, name: str) -> dict[str, Any]:
        node = entry_node(section, name)
        return node.value if node is not None else {}

    contexts = names("contexts")
    chosen = context or current
    if not chosen:
        raise ConfigError(
            "kubeconfig has no current-context; pass --context"
            + (f" (contexts: {', '.join(contexts)})" if contexts else "")
        )
    if chosen not in contexts:
        raise ConfigError(
            f"context {chosen!r} not found in kubeconfig"
            + (f" (contexts: {', '.join(contexts)})" if contexts else " (it has no contexts)")
        )
    body = entry("contexts", chosen).get("context") or {}
    cluster_name = body.get("cluster")
    cluster = entry("clusters", cluster_name).get("cluster") if cluster_name else None
    if not isinstance(cluster, dict) or not cluster.get("server"):
        raise ConfigError(f"context {chosen!r} names cluster {cluster_name!r}, which has no server in kubeconfig")
    user_name = body.get("user")
    user_entry = entry_node("users", user_name) if user_name else None
    user = (user_entry.value.get("user") if user_entry is not None else None) or {}
    server = _without_userinfo(str(cluster["server"]))
    try:
        parts = urlsplit(server)
    except ValueError:  # e.g. an unclosed [ of an IPv6 address; the text itself may hold a secret
        raise ConfigError(f"context {chosen!r} names cluster {cluster_name!r}, whose server is not a URL") from None
    if parts.netloc and parts.scheme.lower() not in ("http", "https"):
        # As kubectl: `unsupported protocol scheme "ftp"`, said before anything is asked of it.
        raise ConfigError(
            f"context {chosen!r} names cluster {cluster_name!r}, whose server {parts.scheme}://{parts.netloc} "
            f'has an unsupported protocol scheme "{parts.scheme}"'
        )
    return Target(
        context=chosen,
        server=server,
        namespace=str(body.get("namespace") or "default"),
        paths=tuple(paths),
        _config=merged,
        _user=user if isinstance(user, dict) else {},
        _user_dir=_dir_of(user_entry.path if user_entry is not None else paths[0]),
        _environ=dict(environ),
    )


def _without_userinfo(server: str) -> str:
    """`server` without the `user:password@` it may carry; the password is remembered, to be masked."""
    try:
        parts = urlsplit(server.strip())
    except ValueError:  # not a URL at all: connecting will say so, in one line
        return server
    if "@" not in parts.netloc:
        return server
    userinfo, _, host = parts.netloc.rpartition("@")
    remember(userinfo, userinfo.partition(":")[2])
    return urlunsplit(parts._replace(netloc=host))


def _in_cluster(environ: Mapping[str, str], service_account_dir: str, context: str | None) -> Target | None:
    host, port = environ.get("KUBERNETES_SERVICE_HOST"), environ.get("KUBERNETES_SERVICE_PORT")
    sa = Path(service_account_dir)
    if not host or not port or not (sa / "token").is_file():
        return None
    if context:
        raise ConfigError(f"--context {context} needs a kubeconfig; running in a pod, only in-cluster config exists")
    try:
        namespace = (sa / "namespace").read_text().strip() or "default"
    except OSError:
        namespace = "default"
    server = f"https://[{host}]:{port}" if ":" in host else f"https://{host}:{port}"
    return Target(
        context=None,
        server=server,
        namespace=namespace,
        in_cluster=True,
        _service_account_dir=service_account_dir,
        _environ=dict(environ),
    )
