"""The HTTP face of the demo cluster: aiohttp handlers for discovery, the
resource REST verbs, watch streams, Table output and the /sim/ control
endpoints."""
