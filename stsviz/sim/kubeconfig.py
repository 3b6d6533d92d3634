"""Kubeconfig files pointing kubectl and kubernetes_asyncio at the demo cluster.

Plain http on 127.0.0.1 with a bearer token, which kubectl and stsviz do not
send over http: they are treated as admin unless the cluster runs with strict
auth. Clients that do send it (kubernetes_asyncio on its own, curl) get the
user's role. Written as JSON, which every kubeconfig reader
accepts (YAML is a superset), so the demo cluster needs no YAML library.
"""

from __future__ import annotations

import errno
import json
import os
from pathlib import Path


def kubeconfig(url: str, tokens: dict[str, str], user: str = "admin", namespace: str = "default") -> dict:
    users = [{"name": name, "user": {"token": token}} for name, token in sorted(tokens.items())]
    contexts = [
        {"name": f"{name}@stsviz-sim", "context": {"cluster": "stsviz-sim", "user": name, "namespace": namespace}}
        for name in sorted(tokens)
    ]
    return {
        "apiVersion": "v1",
        "kind": "Config",
        "preferences": {},
        "clusters": [{"name": "stsviz-sim", "cluster": {"server": url}}],
        "users": users,
        "contexts": contexts,
        "current-context": f"{user}@stsviz-sim",
    }


def write_kubeconfig(
    path: str | Path, url: str, tokens: dict[str, str], user: str = "admin", namespace: str = "default"
) -> Path:
    """Write a kubeconfig with a context per user; `user` is the current one. File mode 0600, no symlinks."""
    if user not in tokens:
        raise ValueError(f"unknown user {user!r}; known: {', '.join(sorted(tokens))}")
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    text = json.dumps(kubeconfig(url, tokens, user, namespace), indent=2) + "\n"
    # The file holds bearer tokens: created 0600 (never readable by others, not even
    # for a moment), and a symlink planted at the path is not followed to overwrite
    # whatever it points at.
    flags = os.O_WRONLY | os.O_CREAT | os.O_TRUNC | os.O_NOFOLLOW | os.O_CLOEXEC
    try:
        fd = os.open(target, flags, 0o600)
    except OSError as error:
        if error.errno == errno.ELOOP:
            raise OSError(f"{target} is a symbolic link; not writing a kubeconfig through it") from None
        raise
    with os.fdopen(fd, "w") as out:
        os.fchmod(fd, 0o600)  # an existing file keeps its mode through O_CREAT: narrow it before writing
        out.write(text)
    return target
