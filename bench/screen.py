"""The live screen under load, as a person at a terminal sees it: key latency, quit time, frames a second.

Each figure is measured on a pseudo-terminal (bench/terminal.py) with stsviz
in a process of its own, its cluster in another, and put beside a baseline
from the same run:

- keys: `stsviz demo --scenario many` (300 sets, 3,000 pods churning at
  1,000-3,000 events a second; the header's rate is reported) in 160x45. Right
  and Left in turn; the latency of each is from writing the key to the end of
  the first frame whose detail pane shows the new ordinal. p50, p95, max.
  Baseline: the same on `--scenario rolling-update` (3 pods, nearly idle).
  Goal: p95 <= 50 ms.
- quit: `q` written until the process has exited, and whether the demo
  cluster's process is gone by then; baseline as above. Goal <= 300 ms.
- frames: `stsviz -n churn` on bench/churn.py in another process (100 sets of
  30 pods, every pod flipping Ready <-> not Ready at RATE updates a second) in
  a terminal of 200x110, tall enough for every row. Frames painted a second,
  at RATE (default 5,000) against a trickle of 100 updates a second.
  Goal >= 30 fps.

    python -m bench.screen [--presses N] [--rate RATE]
"""

from __future__ import annotations

import json
import random
import re
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from bench.live import write_kubeconfig
from bench.terminal import REPO, Terminal, alive, children, stsviz

RATE = re.compile(r" · ([0-9.]+) ev/s")  # the freshness bar's rate
RIGHT, LEFT = b"\x1b[C", b"\x1b[D"


def _rates(terminal: Terminal, start: float) -> list[float]:
    with terminal._lock:
        return [float(m.group(1)) for at, text in terminal._texts if at >= start for m in RATE.finditer(text)]


def keys_and_quit(scenario: str, presses: int, settle: float, seed: int = 8) -> dict:
    """Right/Left `presses` times on the demo's first set, then `q`; latencies in ms."""
    terminal = Terminal(stsviz("demo", "--scenario", scenario), columns=160, lines=45)
    try:
        shown = terminal.wait_until(lambda text: "ordinal 0" in text and "watching" in text, timeout=60)
        if shown is None:
            raise RuntimeError(f"demo {scenario} did not show its first pod")
        time.sleep(settle)  # the many scenario creates its 3,000 pods, then keeps a seventh of them rolling
        began = time.perf_counter()
        rng = random.Random(seed)
        latencies, missed = [], 0
        for press in range(presses):
            key, expected = (RIGHT, "ordinal 1") if press % 2 == 0 else (LEFT, "ordinal 0")
            sent = terminal.press(key)
            seen = terminal.wait_for(expected, sent, timeout=5)
            if seen is None:
                missed += 1
            else:
                latencies.append((seen - sent) * 1000)
            time.sleep(rng.uniform(0.1, 0.3))  # a person, not a key repeat
        rates = _rates(terminal, began)
        clusters = [pid for pid in children(terminal.process.pid) if alive(pid)]
        sent = terminal.press(b"q")
        exited = terminal.wait_exit(30)
        left_behind = [pid for pid in clusters if alive(pid)]
    finally:
        terminal.close()
    latencies.sort()
    return {
        "scenario": scenario,
        "presses": presses,
        "missed": missed,
        "p50_ms": round(statistics.median(latencies), 1),
        "p95_ms": round(latencies[max(0, round(0.95 * len(latencies)) - 1)], 1),
        "max_ms": round(latencies[-1], 1),
        "events_per_s_in_header": round(statistics.median(rates), 1) if rates else None,
        "quit_ms": round((exited - sent) * 1000, 1) if exited is not None else None,
        "cluster_processes": len(clusters),
        "cluster_processes_left_after_quit": len(left_behind),
    }


def frames(rate: float, seconds: float = 10.0, sets: int = 100, pods: int = 3000) -> dict:
    """Frames a second with every row on screen while pods churn at `rate` updates a second."""
    server = subprocess.Popen(
        [sys.executable, "-m", "bench.churn", str(sets), str(pods), str(rate)],
        stdout=subprocess.PIPE,
        text=True,
        cwd=REPO,
    )
    try:
        port = server.stdout.readline().strip()  # type: ignore[union-attr]
        with tempfile.TemporaryDirectory() as folder:
            kubeconfig = write_kubeconfig(Path(folder) / "kubeconfig", f"http://127.0.0.1:{port}", namespace="churn")
            terminal = Terminal(stsviz("--kubeconfig", str(kubeconfig), "-n", "churn"), columns=200, lines=110)
            try:
                last = f"churn/web{sets - 1} "
                if terminal.wait_until(lambda text: last in text and "watching" in text, timeout=60) is None:
                    raise RuntimeError("the churn screen never showed every row")
                time.sleep(3)
                start = time.perf_counter()
                time.sleep(seconds)
                end = time.perf_counter()
                count = terminal.frames_between(start, end)
                rates = _rates(terminal, start)
            finally:
                terminal.close()
    finally:
        server.kill()
        server.wait()
    return {
        "updates_per_s_sent": rate,
        "events_per_s_in_header": round(statistics.median(rates), 1) if rates else None,
        "rows": sets,
        "pods": pods,
        "fps": round(count / (end - start), 1),
    }


def run(presses: int = 60, rate: float = 5000.0) -> dict:
    idle = keys_and_quit("rolling-update", presses // 2, settle=2)
    busy = keys_and_quit("many", presses, settle=15)
    trickle = frames(100.0)
    churn = frames(rate)
    return {
        "keys": {
            "many": busy,
            "baseline_rolling_update": idle,
            "ratio_p95_many_over_idle": round(busy["p95_ms"] / idle["p95_ms"], 2),
            "goal": "p95 <= 50 ms",
        },
        "quit": {
            "many_ms": busy["quit_ms"],
            "baseline_rolling_update_ms": idle["quit_ms"],
            "ratio": round(busy["quit_ms"] / idle["quit_ms"], 2) if busy["quit_ms"] and idle["quit_ms"] else None,
            "goal": "<= 300 ms, no cluster process left",
        },
        "frames": {
            "churn": churn,
            "baseline_trickle": trickle,
            "ratio_fps_churn_over_trickle": round(churn["fps"] / trickle["fps"], 2) if trickle["fps"] else None,
            "goal": ">= 30 fps",
        },
    }


def main(argv: list[str]) -> None:
    presses = int(argv[argv.index("--presses") + 1]) if "--presses" in argv else 60
    rate = float(argv[argv.index("--rate") + 1]) if "--rate" in argv else 5000.0
    print(json.dumps(run(presses, rate), indent=2))


if __name__ == "__main__":
    main(sys.argv[1:])
