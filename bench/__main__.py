"""`python -m bench [EVENTS]`: every benchmark, as ratios against baselines of the same run."""

from __future__ import annotations

import json
import sys

from bench import ingest, memory

events = int(sys.argv[1]) if len(sys.argv) > 1 else 1_000_000
print(json.dumps({"ingest": ingest.run(events), "memory": memory.run()}, indent=2))
