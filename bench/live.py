"""Live mode: ingest through the network into the fold, RSS per pod held, time to the first frame.

Three measurements, each a ratio against a baseline taken in the same run:

- ingest: N pod watch events (default 200,000: 20,000 real pods, ADDED then
  MODIFIED over and over) streamed by bench/apiserver.py from another process,
  received by a LiveSource and folded into a ClusterState; against bare
  `orjson.loads` of the same lines read from the same file. Goal >= 2.0.
  Also the ceiling: the same lines through stsviz's pod decoder alone.
- memory: RSS of a fresh interpreter holding 20,000 pods listed by a running
  LiveSource (every kind listed and watching), over its RSS just before, after
  the same path was warmed on 500 other pods. Goal <= 2 KB per pod.
- first frame: 10,000 pods in 100 StatefulSets in the demo cluster (put in its
  store directly, controllers stopped, so nothing moves); `stsviz -n NS --json`
  (connect, list every kind, print the frame) against `kubectl get pods -o
  json` on the same server, both as fresh processes, best of three each.
  Also reported: the same frame inside an already running interpreter (the live
  screen's path: connect, list, build the frame). Goal <= 1.0.

    python -m bench.live [EVENTS] [--stages]

--stages adds where the ingest time goes (CPU seconds per stage of the path).
"""

from __future__ import annotations

import asyncio
import gc
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import orjson

from bench.data import pod_template, recording_lines

REPO = Path(__file__).resolve().parents[1]
SETS = 100
REPEATS = 3  # first frame: best of three
INGEST_REPEATS = 5  # ingest: best of five, each run beside its own baseline


# -- inputs ---------------------------------------------------------------------------------


def _pods(namespace: str, count: int, sets: int = SETS, generation: int = 0):
    """`count` Ready pods of `sets` StatefulSets, as dicts (one dict, changed in place: dump it at once)."""
    obj = orjson.loads(orjson.dumps(pod_template()))
    meta = obj["metadata"]
    meta["namespace"] = namespace
    container = obj["status"]["containerStatuses"][0]
    claim = next(v["persistentVolumeClaim"] for v in obj["spec"]["volumes"] if "persistentVolumeClaim" in v)
    per_set = max(1, count // sets)
    for n in range(count):
        set_name = f"web{n // per_set}"
        name = f"{set_name}-{n % per_set}"
        meta["name"] = name
        meta["generateName"] = f"{set_name}-"
        meta["uid"] = f"{n:08d}-0000-4000-8000-{n:012d}"
        meta["ownerReferences"][0]["name"] = set_name
        meta["ownerReferences"][0]["uid"] = f"{n // per_set:08d}-1111-4000-8000-000000000000"
        meta["labels"]["statefulset.kubernetes.io/pod-name"] = name
        claim["claimName"] = f"www-{name}"
        container["restartCount"] = generation  # each MODIFIED round changes the pod's status
        yield obj


def write_pods(path: Path, namespaces: dict[str, int]) -> None:
    """Pod objects, one per line, `count` in each namespace."""
    with path.open("wb") as out:
        for namespace, count in namespaces.items():
            for pod in _pods(namespace, count):
                out.write(orjson.dumps(pod) + b"\n")


def write_events(path: Path, events: int, distinct: int) -> int:
    """`events` watch event lines: ADDED for `distinct` pods, then MODIFIED rounds; the byte size."""
    rv = 1
    written = 0
    with path.open("wb") as out:
        generation = 0
        while written < events:
            kind = b"ADDED" if generation == 0 else b"MODIFIED"
            chunk = []
            for pod in _pods("ingest", min(distinct, events - written), generation=generation):
                rv += 1
                pod["metadata"]["resourceVersion"] = str(rv)
                chunk.append(b'{"type":"' + kind + b'","object":' + orjson.dumps(pod) + b"}\n")
            out.write(b"".join(chunk))
            written += len(chunk)
            generation += 1
    return path.stat().st_size


def write_kubeconfig(path: Path, server: str, namespace: str = "default") -> Path:
    config = {
        "apiVersion": "v1",
        "kind": "Config",
        "current-context": "bench",
        "clusters": [{"name": "bench", "cluster": {"server": server}}],
        "users": [{"name": "bench", "user": {"token": "bench-token"}}],
        "contexts": [{"name": "bench", "context": {"cluster": "bench", "user": "bench", "namespace": namespace}}],
    }
    path.write_text(json.dumps(config))
    return path


def _rss() -> int:
    with open("/proc/self/statm") as statm:
        return int(statm.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")


def _child(*args: str) -> dict:
    out = subprocess.run([sys.executable, "-m", "bench.live", *args], capture_output=True, text=True, cwd=REPO)
    if out.returncode != 0:
        raise RuntimeError(f"bench.live {args[0]} failed:\n{out.stderr}")
    return json.loads(out.stdout)


# -- what the children run ------------------------------------------------------------------------


def _bare_orjson(path: str) -> tuple[float, float]:
    """The baseline: read the file line by line and orjson.loads every line, nothing kept; (wall, CPU) seconds."""
    gc.collect()
    loads = orjson.loads
    began, cpu = time.perf_counter(), time.process_time()
    with open(path, "rb") as lines:
        for line in lines:
            loads(line)
    return time.perf_counter() - began, time.process_time() - cpu


def _typed_decode_only(path: str) -> float:
    """The ceiling: the same lines decoded by stsviz's pod watch decoder alone, nothing built after; CPU seconds."""
    from stsviz.sources.decoding import WatchDecoder

    decode = WatchDecoder("Pod")._decode  # its msgspec decoder, without the record it goes on to build
    gc.collect()
    cpu = time.process_time()
    with open(path, "rb") as lines:
        for line in lines:
            decode(line)
    return time.process_time() - cpu


async def _follow(kubeconfig: str, namespace: str, until, kinds=None):
    """Run a LiveSource into a ClusterState until `until(source, state, seen)`; (seconds, CPU seconds, source, state).

    The clock starts after connecting (loading the kubeconfig, opening the session).
    """
    from stsviz.model import ClusterState
    from stsviz.sources.live.config import resolve_target
    from stsviz.sources.live.kinds import KINDS, Scope
    from stsviz.sources.live.source import LiveSource

    source = LiveSource(resolve_target(kubeconfig), Scope(namespace), kinds=kinds or KINDS)
    await source.connect()
    state = ClusterState()
    seen = 0
    done = asyncio.Event()

    def sink(changes: list) -> None:
        nonlocal seen
        apply = state.apply_change
        for change in changes:
            apply(change)
        seen += len(changes)
        if until(source, state, seen):
            done.set()

    gc.collect()
    began, cpu = time.perf_counter(), time.process_time()
    task = asyncio.create_task(source.run(sink))
    while not done.is_set():
        try:
            await asyncio.wait_for(done.wait(), 0.01)
        except TimeoutError:
            if until(source, state, seen):  # e.g. "every kind watching": no change comes to say so
                break
        if task.done():
            task.result()
    elapsed, cpu = time.perf_counter() - began, time.process_time() - cpu
    task.cancel()
    await asyncio.gather(task, return_exceptions=True)
    await source.close()
    return elapsed, cpu, source, state


def child_ingest(kubeconfig: str, events_path: str, events: int, namespaces: list[str]) -> dict:
    from stsviz.sources.live.kinds import PODS

    baseline, ours, ceiling, pods = [], [], [], 0
    for namespace in namespaces:
        baseline.append(_bare_orjson(events_path))
        ceiling.append(_typed_decode_only(events_path))
        elapsed, cpu, _, state = asyncio.run(
            _follow(kubeconfig, namespace, lambda source, state, seen: seen >= events, kinds=(PODS,))
        )
        ours.append((elapsed, cpu))
        pods = len(state.pods)
        del state
        gc.collect()
    return {"baseline": baseline, "stsviz": ours, "decode_only_cpu": ceiling, "pods_at_end": pods}


def child_stages(kubeconfig: str, events_path: str, namespaces: list[str]) -> dict:
    """Where the ingest time goes: the same stream taken through more and more of the path (CPU seconds).

    bytes: read the watch response; lines: find its lines; parse: + stsviz's
    parse (managedFields cut out, orjson); records: + the slim Pod records;
    fold: the whole LiveSource into a ClusterState. Each stage's cost is its
    difference from the one before.
    """
    import aiohttp

    from stsviz.model.records import Pod
    from stsviz.sources.live import wire
    from stsviz.sources.live.config import resolve_target
    from stsviz.sources.live.kinds import PODS

    async def partial(namespace: str, stage: str) -> float:
        connection = await resolve_target(kubeconfig).connect()
        timeout = aiohttp.ClientTimeout(total=None, sock_read=60)
        gc.collect()
        cpu = time.process_time()
        response = await wire.get(
            connection.api, PODS.path(namespace), [("watch", "true"), ("resourceVersion", "1")], timeout
        )
        if stage == "bytes":
            while await response.content.readany():
                pass
            response.release()
        else:
            gc.disable()
            async for lines in wire.watch_lines(response):
                if stage == "lines":
                    continue
                for data, start, end in lines:
                    event = wire.parse_line(data, start, end)
                    if stage == "records":
                        Pod.from_dict(event["object"])
            gc.enable()
        cpu = time.process_time() - cpu
        await connection.close()
        return cpu

    names = iter(namespaces)
    result = {"orjson_loads": _bare_orjson(events_path)[1]}
    for stage in ("bytes", "lines", "parse", "records"):
        result[stage] = asyncio.run(partial(next(names), stage))
    with open(events_path, "rb") as lines:
        events = sum(1 for _ in lines)
    result["fold"] = asyncio.run(
        _follow(kubeconfig, next(names), lambda source, state, seen: seen >= events, kinds=(PODS,))
    )[1]
    return {stage: round(seconds, 2) for stage, seconds in result.items()}


def child_memory(kubeconfig: str, warm_namespace: str, namespace: str, count: int) -> dict:
    def every_kind_watching(source, state, seen) -> bool:
        return source.status().current

    # Warm the whole path (imports, a session, paged lists, record caches) on other pods, then drop it.
    asyncio.run(_follow(kubeconfig, warm_namespace, every_kind_watching))
    gc.collect()
    before = _rss()

    async def hold() -> tuple[int, int, int]:
        _, _, source, state = await _follow(kubeconfig, namespace, every_kind_watching)
        gc.collect()
        # Measured while the state and the informers' stores are alive.
        return _rss(), len(state.pods), len(source.informer("pods").store)

    after, pods, stored = asyncio.run(hold())
    return {"rss_before": before, "rss_after": after, "pods": pods, "informer_store": stored}


def child_frame(kubeconfig: str, namespace: str) -> dict:
    from stsviz.model import build_frame

    def every_kind_listed(source, state, seen) -> bool:
        return source.status().settled

    times = []
    for _ in range(REPEATS):
        elapsed, _, _, state = asyncio.run(_follow(kubeconfig, namespace, every_kind_listed))
        began = time.perf_counter()
        frame = build_frame(state)
        times.append(elapsed + time.perf_counter() - began)
        cells = sum(len(row.cells) for row in frame.rows)
    return {"seconds": times, "rows": len(frame.rows), "cells": cells}


# -- the measurements ---------------------------------------------------------------------------


def _start_server(pods: Path, events: dict[str, Path]) -> tuple[subprocess.Popen, str]:
    args = [sys.executable, "-m", "bench.apiserver", str(pods)] + [f"{ns}={path}" for ns, path in events.items()]
    server = subprocess.Popen(args, stdout=subprocess.PIPE, text=True, cwd=REPO)
    port = server.stdout.readline().strip()  # type: ignore[union-attr]
    if not port:
        server.kill()
        raise RuntimeError("bench.apiserver did not start")
    return server, f"http://127.0.0.1:{port}"


def ingest_and_memory(events: int, pods: int, folder: Path, stages: bool = False) -> dict:
    events_path = folder / "events.jsonl"
    size = write_events(events_path, events, distinct=min(events, 20_000))
    pods_path = folder / "pods.jsonl"
    write_pods(pods_path, {"warm": 500, "memory": pods})
    namespaces = [f"ingest-{i}" for i in range(INGEST_REPEATS)]
    staged = [f"stage-{i}" for i in range(5)] if stages else []
    server, url = _start_server(pods_path, {ns: events_path for ns in namespaces + staged})
    try:
        kubeconfig = str(write_kubeconfig(folder / "kubeconfig", url))
        ingest = _child("ingest", kubeconfig, str(events_path), str(events), *namespaces)
        memory = _child("memory", kubeconfig, "warm", "memory", str(pods))
        breakdown = _child("stages", kubeconfig, str(events_path), *staged) if stages else None
    finally:
        server.terminate()
        server.wait()
    baseline, ours = min(wall for wall, _ in ingest["baseline"]), min(wall for wall, _ in ingest["stsviz"])
    baseline_cpu, ours_cpu = min(cpu for _, cpu in ingest["baseline"]), min(cpu for _, cpu in ingest["stsviz"])
    per_pod = (memory["rss_after"] - memory["rss_before"]) / pods
    return {
        "ingest": {
            "events": events,
            "mb": round(size / 1e6, 1),
            "bytes_per_event": round(size / events),
            "orjson_loads_s": round(baseline, 2),
            "stsviz_s": round(ours, 2),
            "all_runs_s": {
                "orjson": [round(wall, 2) for wall, _ in ingest["baseline"]],
                "stsviz": [round(wall, 2) for wall, _ in ingest["stsviz"]],
            },
            "events_per_s": round(events / ours),
            "orjson_events_per_s": round(events / baseline),
            "pods_at_end": ingest["pods_at_end"],
            "ratio_orjson_over_stsviz": round(baseline / ours, 3),
            "median_ratio_of_pairs": round(
                statistics.median(base / mine for (base, _), (mine, _) in zip(ingest["baseline"], ingest["stsviz"])), 3
            ),
            # The same in CPU seconds of the measuring process: less disturbed by other jobs on the machine.
            "cpu_s": {"orjson": round(baseline_cpu, 2), "stsviz": round(ours_cpu, 2)},
            "cpu_ratio": round(baseline_cpu / ours_cpu, 3),
            # The most an ingest that decodes every event with stsviz's decoder could reach (CPU, same run).
            "ceiling_cpu_ratio_orjson_over_decode_only": round(baseline_cpu / min(ingest["decode_only_cpu"]), 3),
            "goal": "ratio >= 2.0",
            **({"stages_cpu_s": breakdown} if breakdown else {}),
        },
        "memory": {
            "pods": memory["pods"],
            "rss_before_mb": round(memory["rss_before"] / 1e6, 1),
            "rss_after_mb": round(memory["rss_after"] / 1e6, 1),
            "bytes_per_pod": round(per_pod),
            "goal": "bytes_per_pod <= 2048",
        },
    }


async def _populate_and_time(count: int, folder: Path, kubectl: str | None) -> dict:
    from stsviz.sim import SimCluster
    from stsviz.sim.resources import NAMESPACES, PODS, STATEFULSETS

    namespace = "frame"
    async with SimCluster(speed=1.0, persistent_volumes=0) as cluster:
        # Nothing may move while it is measured: no controller, no kubelet, no event reaper.
        for controller in cluster.controllers:
            await controller.stop()
        await cluster.kubelet.stop()
        await cluster.event_reaper.stop()
        cluster.registry.create(NAMESPACES, {"metadata": {"name": namespace}})
        sts = _statefulset_template()
        per_set = count // SETS
        for s in range(SETS):
            meta = sts["metadata"]
            meta.update(name=f"web{s}", namespace=namespace, uid=f"{s:08d}-1111-4000-8000-000000000000")
            sts["spec"]["replicas"] = per_set
            sts["status"].update(
                replicas=per_set,
                readyReplicas=per_set,
                currentReplicas=per_set,
                updatedReplicas=per_set,
                availableReplicas=per_set,
            )
            cluster.store.create(STATEFULSETS, sts)
        for pod in _pods(namespace, count):
            cluster.store.create(PODS, pod)
        kubeconfig = cluster.write_kubeconfig(folder / "sim-kubeconfig", namespace=namespace)
        env = dict(os.environ, KUBECONFIG=str(kubeconfig))

        async def wall(*argv: str) -> float:
            began = time.perf_counter()
            process = await asyncio.create_subprocess_exec(
                *argv, stdout=asyncio.subprocess.DEVNULL, stderr=asyncio.subprocess.PIPE, env=env, cwd=REPO
            )
            _, err = await process.communicate()
            if process.returncode != 0:
                raise RuntimeError(f"{argv[0]} failed: {err.decode()[-500:]}")
            return time.perf_counter() - began

        cache = str(folder / "kube-cache")
        stsviz = [sys.executable, "-m", "stsviz", "-n", namespace, "--json"]
        kube = [kubectl, "--cache-dir", cache, "-n", namespace, "get", "pods", "-o", "json"] if kubectl else None
        await wall(*stsviz)  # warm: bytecode, page cache
        if kube:
            await wall(*kube)  # warm: kubectl's discovery cache
        ours, theirs = [], []
        for _ in range(REPEATS):
            ours.append(await wall(*stsviz))
            if kube:
                theirs.append(await wall(*kube))
        inside = await asyncio.to_thread(_child, "frame", str(kubeconfig), namespace)
        imports = "import stsviz.cli, stsviz.commands.live, stsviz.sources.live.source"
        startup = await wall(sys.executable, "-c", imports)
    return {"stsviz_json_s": ours, "kubectl_s": theirs, "in_process": inside, "python_startup_and_imports_s": startup}


def _statefulset_template() -> dict:
    sets = [orjson.loads(line)["object"] for line in recording_lines() if b'"kind":"StatefulSet"' in line]
    sts = sets[-1]
    sts["metadata"].pop("resourceVersion", None)
    return sts


def first_frame(count: int, folder: Path) -> dict:
    kubectl = shutil.which("kubectl")
    timed = asyncio.run(_populate_and_time(count, folder, kubectl))
    ours = min(timed["stsviz_json_s"])
    inside = min(timed["in_process"]["seconds"])
    result: dict = {
        "pods": count,
        "sets": SETS,
        "frame_cells": timed["in_process"]["cells"],
        "stsviz_json_process_s": round(ours, 3),
        "stsviz_in_process_s": round(inside, 3),
        "python_startup_and_imports_s": round(timed["python_startup_and_imports_s"], 3),
        "all_runs_s": {
            "stsviz_json": [round(t, 3) for t in timed["stsviz_json_s"]],
            "in_process": [round(t, 3) for t in timed["in_process"]["seconds"]],
            "kubectl": [round(t, 3) for t in timed["kubectl_s"]],
        },
        "goal": "ratio <= 1.0",
    }
    if not kubectl:
        reason = "kubectl not found on PATH: no baseline, no ratio"
        print(f"bench.live: first frame: {reason}", file=sys.stderr)
        result["skipped"] = reason
        return result
    theirs = min(timed["kubectl_s"])
    result["kubectl_get_pods_json_s"] = round(theirs, 3)
    result["ratio_stsviz_json_over_kubectl"] = round(ours / theirs, 3)
    result["ratio_in_process_over_kubectl"] = round(inside / theirs, 3)
    return result


def run(events: int = 200_000, pods: int = 20_000, frame_pods: int = 10_000, stages: bool = False) -> dict:
    with tempfile.TemporaryDirectory() as folder:
        result = ingest_and_memory(events, pods, Path(folder), stages)
        result["first_frame"] = first_frame(frame_pods, Path(folder))
    return result


def main(argv: list[str]) -> None:
    if argv and argv[0] == "ingest":
        kubeconfig, path, events, *namespaces = argv[1:]
        print(json.dumps(child_ingest(kubeconfig, path, int(events), namespaces)))
    elif argv and argv[0] == "memory":
        print(json.dumps(child_memory(argv[1], argv[2], argv[3], int(argv[4]))))
    elif argv and argv[0] == "frame":
        print(json.dumps(child_frame(argv[1], argv[2])))
    elif argv and argv[0] == "stages":
        print(json.dumps(child_stages(argv[1], argv[2], argv[3:])))
    else:
        stages = "--stages" in argv
        sizes = [int(arg) for arg in argv if arg != "--stages"]
        print(json.dumps(run(sizes[0] if sizes else 200_000, stages=stages), indent=2))


if __name__ == "__main__":
    main(sys.argv[1:])
