"""One big StatefulSet on the screen: the cost of redrawing its row when one pod changes.

A set of 20,000 pods (10,000 cells drawn, the grid's cap) is folded; then,
ten times, one pod changes and its row is rebuilt (`build_row`) and drawn
(`render_row`, 120 columns). Baseline: the same rebuild without the cell
cache, as the grid did before it (every cell made again), in the same run.
The median of each is reported and their ratio.

    python -m bench.big_set [PODS]
"""

from __future__ import annotations

import json
import statistics
import sys
import time
from datetime import UTC, datetime

from stsviz.model import CellCache, ClusterState, WatchEvent, build_row
from stsviz.render.rows import render_row

T0 = datetime(2026, 12, 1, 12, 0, tzinfo=UTC)


def _pod(name: str, ready: bool) -> dict:
    return {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {
            "name": name,
            "namespace": "default",
            "uid": f"uid-{name}",
            "labels": {"controller-revision-hash": "web-1"},
            "ownerReferences": [{"kind": "StatefulSet", "name": "web", "controller": True, "uid": "sts"}],
        },
        "spec": {"nodeName": "node-1", "containers": [{"name": "main", "image": "nginx"}]},
        "status": {
            "phase": "Running",
            "conditions": [{"type": "PodScheduled", "status": "True"}, {"type": "Ready", "status": str(ready)}],
            "containerStatuses": [{"name": "main", "ready": ready, "restartCount": 0, "state": {"running": {}}}],
        },
    }


def run(pods: int = 20_000) -> dict:
    state = ClusterState()
    spec = {"replicas": pods, "updateStrategy": {"type": "RollingUpdate"}, "volumeClaimTemplates": []}
    sts = {"kind": "StatefulSet", "metadata": {"name": "web", "namespace": "default", "uid": "sts"}, "spec": spec}
    sts["status"] = {"observedGeneration": 0, "updateRevision": "web-1", "currentRevision": "web-1"}
    state.apply(WatchEvent("ADDED", sts, T0))
    for ordinal in range(pods):
        state.apply(WatchEvent("ADDED", _pod(f"web-{ordinal}", True), T0))
    key = ("default", "web")
    cache = CellCache()
    build_row(state, state.sets[key], now=T0, cache=cache)

    def redraws(use_cache: bool) -> list[float]:
        seconds = []
        for step in range(10):
            state.apply(WatchEvent("MODIFIED", _pod(f"web-{step * 97}", step % 2 == 1), T0))
            started = time.perf_counter()
            row = build_row(state, state.sets[key], now=T0, cache=cache if use_cache else None)
            render_row(row, 20, 120)
            seconds.append(time.perf_counter() - started)
        return seconds

    baseline = statistics.median(redraws(False))
    cached = statistics.median(redraws(True))
    return {
        "pods": pods,
        "redraw_without_cell_cache_ms": round(baseline * 1000, 1),
        "redraw_with_cell_cache_ms": round(cached * 1000, 1),
        "ratio": round(cached / baseline, 3),
    }


if __name__ == "__main__":
    print(json.dumps(run(int(sys.argv[1]) if len(sys.argv) > 1 else 20_000), indent=2))
