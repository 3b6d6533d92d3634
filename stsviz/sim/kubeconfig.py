"""Kubeconfig files pointing kubectl and kubernetes_asyncio at the demo cluster.

Plain http on 127.0.0.1 with a bearer token, which kubectl and stsviz do not
send over http: they are treated as admin unless the cluster runs with strict
auth. Clients that do send it (kubernetes_asyncio on its own, curl) get the
user's role. Written as JSON, which every kubeconfig reader
accepts (YAML is a superset), so the demo cluster needs no YAML library.
"""

from __future__ import annotations

import json
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
    """Write a kubeconfig with a context per user; `user` is the current one. File mode 0600."""
    if user not in tokens:
        raise ValueError(f"unknown user {user!r}; known: {', '.join(sorted(tokens))}")
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(json.dumps(kubeconfig(url, tokens, user, namespace), indent=2) + "\n")
    target.chmod(0o600)
    return target
