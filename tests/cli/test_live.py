"""`stsviz` with no command: kubectl-like flags, one frame for scripts, one-line errors."""

from __future__ import annotations

import asyncio
import json
import os
import sys

import pytest

from tests.fake_api import obj


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


def web(namespace: str = "ns") -> dict:
    return {
        k: v
        for k, v in obj(
            "StatefulSet", "web", namespace=namespace, spec={"replicas": 1}, status={"observedGeneration": 1}
        ).items()
    }


@pytest.mark.parametrize(
    ("args", "needle"),
    [
        (["--kubeconfig", "/nowhere/k"], "the live screen needs a terminal"),  # checked first
        (["--kubeconfig", "/nowhere/k", "--json"], "kubeconfig /nowhere/k not found"),
        (["--json", "--color"], "--color only applies to --plain"),
        (["--plain", "--stall-after", "0"], "--stall-after must be a positive"),
        (["--plain", "-l", " "], "-l/--selector needs a label selector"),
        ([], "the live screen needs a terminal"),
        (["--kubeconfig", "k", "replay", "--example", "rolling", "--plain"], "--kubeconfig: live-mode option"),
        (["--json", "replay", "--example", "rolling"], "--json: live-mode option"),
    ],
)
async def test_usage_problems_are_one_line_and_exit_2(args, needle):
    code, out, err = await stsviz(*args)
    assert code == 2 and out == ""
    assert "Traceback" not in err and needle in err
    assert err.strip().splitlines()[-1].startswith("stsviz: error:")


async def test_namespace_and_all_namespaces_exclude_each_other():
    code, _, err = await stsviz("-n", "a", "-A", "--json")
    assert code == 2 and "not allowed with argument" in err


async def test_the_contexts_namespace_is_the_default_and_flags_override_it(api, tmp_path):
    api.objects["statefulsets"] = [web("team")]
    path = api.kubeconfig(tmp_path, namespace="team")
    code, out, err = await stsviz("--kubeconfig", str(path), "--json")
    assert code == 0, err
    assert [row["name"] for row in json.loads(out)["sets"]] == ["web"]
    await stsviz("--kubeconfig", str(path), "-n", "other", "--json")
    await stsviz("--kubeconfig", str(path), "-A", "-l", "app=web", "--json")
    paths = [(s.resource, s.verb) for s in api.requests]
    assert all(verb == "list" for _, verb in paths)  # one frame: lists only, no watch
    sts = api.seen("statefulsets")
    assert [s.query.get("labelSelector") for s in sts] == [None, None, "app=web"]


async def test_kubeconfig_env_with_several_files_and_a_context(api, tmp_path):
    first = api.kubeconfig(tmp_path, name="first")
    second = api.kubeconfig(tmp_path, name="second", token="other-token-abcdef")
    env = {"KUBECONFIG": os.pathsep.join([str(tmp_path / "missing"), str(first), str(second)])}
    code, _out, err = await stsviz("--json", env=env)
    assert code == 0, err
    code, _out, err = await stsviz("--context", "second", "--json", env=env)
    assert code == 1 and "You must be logged in to the server" in err and "other-token" not in err
    code, _out, err = await stsviz("--context", "third", "--json", env=env)
    assert (
        code == 2 and err.strip() == "stsviz: error: context 'third' not found in kubeconfig (contexts: first, second)"
    )


async def test_plain_prints_the_same_frame_as_replay_plain(api, tmp_path):
    api.objects["statefulsets"] = [web()]
    code, out, err = await stsviz("--kubeconfig", str(api.kubeconfig(tmp_path)), "--plain")
    assert code == 0, err
    lines = out.splitlines()
    assert lines[0].startswith("time ") and lines[1].split() == ["STATEFULSET", "READY", "UPDATED", "VERDICT", "PODS"]
    assert lines[2].split()[0] == "ns/web"


async def test_a_selector_picks_sets_by_their_labels_and_shows_all_their_pods(tmp_path):
    """`-l` selects sets as `kubectl get sts -l` does; their pods carry the template's labels, not the set's."""
    from stsviz.sim import SimCluster
    from tests.sim.simtools import rolled_out, web_manifest
    from tests.waiting import eventually

    async with SimCluster(speed=20, seed=1) as cluster:
        labelled = web_manifest(replicas=2, name="web")
        labelled["metadata"]["labels"] = {"tier": "x"}  # on the set alone, as `kubectl label sts web tier=x`
        cluster.apply(labelled, web_manifest(replicas=1, name="other"))
        await eventually(lambda: rolled_out(cluster, "web") and rolled_out(cluster, "other"), timeout=20)
        kubeconfig = cluster.write_kubeconfig(tmp_path / "kubeconfig")
        code, out, err = await stsviz("--kubeconfig", str(kubeconfig), "-n", "default", "-l", "tier=x", "--json")
    assert code == 0, err
    [row] = json.loads(out)["sets"]
    assert row["name"] == "web" and row["verdict"]["done"]
    assert [cell["state"] for cell in row["cells"]] == ["ready", "ready"]  # not "missing": its pods are read
