"""Opening a big recording: time to the first frame, keys while it loads, when it has all loaded, memory.

`python -m bench.first_frame [EVENTS]` (default 1,000,000: a 3.5 GB file of
the real recordings replicated, bench.ingest.write_replicated). stsviz runs on
a pseudo-terminal (bench/terminal.py) at 160x45, as a person would open it:

- first frame: from starting `stsviz replay FILE` to the end of the first
  frame that shows a set's row. Baseline, same run: the same on the bundled
  `--example rolling` (94 events), i.e. Python's start, imports and Textual's
  first paint with nothing to load.
- keys while loading: Right and Left in turn, each timed to the frame whose
  detail pane shows the new ordinal (as bench.screen).
- loaded: when the status line first shows all EVENTS; before this release
  the screen opened only then.
- peak RSS of the process (VmHWM) once loaded, and per event.
- quit while loading: `q` pressed right after the first frame, until exit.

Never asserted in tests; the machine is shared, so the baseline is measured beside.
"""

from __future__ import annotations

import json
import statistics
import tempfile
import time
from pathlib import Path

from bench.ingest import write_replicated
from bench.terminal import Terminal, stsviz

RIGHT, LEFT = b"\x1b[C", b"\x1b[D"
SIZE = {"columns": 160, "lines": 45}


def first_frame(args: list[str], row: str) -> tuple[Terminal, float]:
    terminal = Terminal(stsviz("replay", *args), **SIZE)
    shown = terminal.wait_for(row, terminal.started, timeout=120)
    if shown is None:
        terminal.close()
        raise RuntimeError(f"stsviz replay {' '.join(args)} never showed {row!r}")
    return terminal, shown - terminal.started


def peak_rss_mb(terminal: Terminal) -> float:
    for line in Path(f"/proc/{terminal.process.pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1e3
    return float("nan")


def keys(terminal: Terminal, presses: int) -> list[float]:
    """Right/Left latencies in ms; a key whose frame never came counts as 2 s."""
    latencies = []
    for press in range(presses):
        key, expected = (RIGHT, "ordinal 1") if press % 2 == 0 else (LEFT, "ordinal 0")
        sent = terminal.press(key)
        shown = terminal.wait_for(expected, sent, timeout=2.0)
        latencies.append(((shown or sent + 2.0) - sent) * 1e3)
        time.sleep(0.15)
    return latencies


def run(events: int = 1_000_000, presses: int = 20) -> dict:
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "replicated.jsonl"
        size = write_replicated(path, events)
        baseline, base_ms = first_frame(["--example", "rolling"], "rolling/web")
        baseline.press(b"q")
        baseline.wait_exit(10)
        baseline.close()

        terminal, first_s = first_frame([str(path)], "copy-0/")
        try:
            loading_keys = keys(terminal, presses)
            still_loading = terminal.wait_for(f"/{events}", terminal.started, timeout=0) is None
            loaded = terminal.wait_for(f"/{events}", terminal.started, timeout=600)
            loaded_s = (loaded - terminal.started) if loaded is not None else float("nan")
            time.sleep(0.5)
            peak = peak_rss_mb(terminal)
        finally:
            terminal.press(b"q")
            terminal.wait_exit(30)
            terminal.close()

        quitter, _ = first_frame([str(path)], "copy-0/")
        pressed = quitter.press(b"q")
        exited = quitter.wait_exit(30)
        quit_ms = ((exited or float("nan")) - pressed) * 1e3
        quitter.close()
    loading_keys.sort()
    return {
        "events": events,
        "file_mb": round(size / 1e6),
        "first_frame_s": round(first_s, 2),
        "baseline_first_frame_example_s": round(base_ms, 2),
        "ratio_first_frame_over_baseline": round(first_s / base_ms, 2),
        "goal_first_frame_s": 2.0,
        "keys_while_loading_ms": {
            "p50": round(statistics.median(loading_keys)),
            "p95": round(loading_keys[int(0.95 * (len(loading_keys) - 1))]),
            "max": round(loading_keys[-1]),
            "all_while_loading": still_loading,
        },
        "all_loaded_s": round(loaded_s, 1),
        "peak_rss_mb": round(peak),
        "peak_rss_per_event_kb": round(peak * 1e3 / events, 2),
        "quit_while_loading_ms": round(quit_ms),
    }


if __name__ == "__main__":
    import sys

    print(json.dumps(run(int(sys.argv[1]) if len(sys.argv) > 1 else 1_000_000), indent=2))
