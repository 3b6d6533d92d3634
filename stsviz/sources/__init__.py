"""Where events come from: `live` (list+watch of a cluster) and `replay` (recorded files). No Textual here.

Both hand the fold `stsviz.model.events.Change`s; nothing downstream knows
which source they came from.
"""
