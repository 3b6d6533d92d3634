"""`python -m bench [EVENTS]`: every benchmark, as ratios against baselines of the same run.

EVENTS sizes the replay ingest (default 1,000,000); the live benchmarks have
their own sizes (`python -m bench.live [EVENTS]` runs them alone).
"""

from __future__ import annotations

import json
import sys

from bench import ingest, live, memory

events = int(sys.argv[1]) if len(sys.argv) > 1 else 1_000_000
print(json.dumps({"ingest": ingest.run(events), "memory": memory.run(), "live": live.run()}, indent=2))
