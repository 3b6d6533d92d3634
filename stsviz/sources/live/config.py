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
- every secret loaded is registered with `scrub.remember`.
"""

from __future__ import annotations

import asyncio
import json
import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

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


class ConfigError(Exception):
    """The kubeconfig cannot be used as asked; the message is one scrubbed line for the user."""


@dataclass
class Target:
    """A resolved place to connect to, not yet connected."""

    context: str | None  # None in-cluster
    server: str
    namespace: str  # the context's namespace, "default" when it names none
    in_cluster: bool = False
    paths: tuple[str, ...] = ()
    _config: Any = field(default=None, repr=False)  # the merged ConfigNode
    _user: dict[str, Any] = field(default_factory=dict, repr=False)  # the context's `user:` entry
    _user_dir: str = ""  # the directory of the kubeconfig that defines the user (relative paths)
    _service_account_dir: str = SERVICE_ACCOUNT_DIR
    _environ: Mapping[str, str] = field(default_factory=dict, repr=False)

    def describe(self) -> str:
        return "in-cluster" if self.in_cluster else (self.context or "?")

    @property
    def refreshable(self) -> bool:
        """Whether loading again could give other credentials (exec plugin, token file, pod token)."""
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
        )

    async def load(self, configuration: Configuration) -> None:
        """Load (or load again) the credentials into `configuration`; running an exec plugin if there is one."""
        try:
            loader = self._loader()
            if isinstance(loader, InClusterConfigLoader):
                loader.load_and_set(configuration)
            else:
                await loader.load_and_set(configuration)
        except Exception as error:  # the library raises many types; the user needs one line
            raise ConfigError(f"cannot load credentials for {self.describe()}: {one_line(error)}") from None
        remember(configuration.api_key.get("BearerToken"), configuration.password)
        for key in ("token", "password"):
            value = self._user.get(key)
            if isinstance(value, str):
                remember(value)

    async def connect(self) -> Connection:
        """Load credentials and open a session. Must run inside the event loop that will use it."""
        configuration = type.__call__(Configuration)
        await self.load(configuration)
        try:
            return Connection(self, configuration)
        except Exception as error:  # a CA or client certificate that TLS cannot load
            raise ConfigError(f"cannot set up TLS for {self.describe()}: {one_line(error)}") from None


class Connection:
    """An open session to the API server, with credentials that can be refreshed."""

    def __init__(self, target: Target, configuration: Configuration) -> None:
        self.target = target
        self.configuration = configuration
        self.api = ApiClient(configuration)
        self.generation = 0  # goes up each time credentials are refreshed
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
                return False  # a static token or certificate: loading again changes nothing
            fresh = type.__call__(Configuration)
            try:
                await self.target.load(fresh)
            except ConfigError:
                return False
            self.configuration.api_key = fresh.api_key
            if (fresh.cert_file, fresh.key_file) != (self.configuration.cert_file, self.configuration.key_file):
                # A client certificate lives in the TLS context: only a new session picks it up.
                self.configuration.cert_file = fresh.cert_file
                self.configuration.key_file = fresh.key_file
                self._retired.append(self.api)
                self.api = ApiClient(self.configuration)
            self.generation += 1
            return True

    async def close(self) -> None:
        for api in (*self._retired, self.api):
            await api.close()
        self._retired.clear()


class _Loader(KubeConfigLoader):
    """kubernetes_asyncio's loader, with the exec plugin run by stsviz, away from the terminal."""

    def __init__(self, *args: Any, exec_config: Any = None, exec_dir: str = "", **kwargs: Any) -> None:
        self._stsviz_exec = exec_config
        self._stsviz_exec_dir = exec_dir
        super().__init__(*args, **kwargs)

    async def load_from_exec_plugin(self) -> bool:  # what load_and_set calls for a user with `exec`
        status = await run_exec_plugin(self._stsviz_exec, base_dir=self._stsviz_exec_dir)
        if "token" in status:
            self.token = f"Bearer {status['token']}"
            return True
        if "clientCertificateData" in status and "clientKeyData" in status:
            files = {}
            for key in ("clientCertificateData", "clientKeyData"):
                files[key] = FileOrData(
                    status, None, data_key_name=key, file_base_path=self._stsviz_exec_dir, base64_file_content=False
                ).as_file()
            self.cert_file, self.key_file = files["clientCertificateData"], files["clientKeyData"]
            return True
        raise ConfigError("exec plugin gave neither a token nor a client certificate and key")


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
        process.kill()
        await process.wait()
        raise ConfigError(f"exec plugin {name} did not answer within {timeout:g}s") from None
    if process.returncode != 0:
        detail = one_line(stderr.decode(errors="replace")) or "no message"
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
        if not os.path.isfile(path):
            raise ConfigError(f"kubeconfig {kubeconfig} not found")
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
    return Target(
        context=chosen,
        server=str(cluster["server"]),
        namespace=str(body.get("namespace") or "default"),
        paths=tuple(paths),
        _config=merged,
        _user=user if isinstance(user, dict) else {},
        _user_dir=_dir_of(user_entry.path if user_entry is not None else paths[0]),
        _environ=dict(environ),
    )


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
