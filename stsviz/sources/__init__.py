"""Where events come from: `live` (list+watch of a cluster) and `replay` (recorded files). No Textual here.

Both hand the fold `stsviz.model.events.Change`s; nothing downstream knows
which source they came from. Beside them: `record` (the recorder that writes
what a live source watches to a file replay reads), `decoding` (msgspec
decoding of watch lines straight into records, for both sources), `heap`
(keeping the cycle collector out of bulk work) and `parts` (how a rotated
recording's parts are named, for the recorder and replay).
"""
