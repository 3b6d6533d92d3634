"""`python -m bench [EVENTS]`: every benchmark, as ratios against baselines of the same run.

EVENTS sizes the replay ingest and the opening of a big recording (default
1,000,000); the live benchmarks have their own sizes (`python -m bench.live
[EVENTS]` runs them alone). The screen and seek benchmarks run alone too
(`python -m bench.screen`, `python -m bench.seek`).
"""

from __future__ import annotations

import json
import sys

from bench import first_frame, ingest, live, memory

events = int(sys.argv[1]) if len(sys.argv) > 1 else 1_000_000
results = {
    "ingest": ingest.run(events),
    "first_frame": first_frame.run(events),
    "memory": memory.run(),
    "live": live.run(),
}
print(json.dumps(results, indent=2))
