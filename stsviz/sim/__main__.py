"""`python -m stsviz.sim SCENARIO SPEED`: the demo cluster's child process (see process.py).

Starts the scenario, prints one JSON line on stdout once the API answers
({"url", "tokens", "now", "speed"}), then serves until stdin closes, which is
how its parent says "stop" (or dies). Not a user command: `stsviz sim` is.
"""

from __future__ import annotations

import asyncio
import json
import os
import sys

from .scenarios import Demo


async def serve_until_stdin_closes(scenario: str, speed: float) -> None:
    demo = await Demo(scenario, speed).start()
    loop = asyncio.get_running_loop()
    closed = loop.create_future()

    def readable() -> None:
        if not os.read(0, 4096) and not closed.done():
            closed.set_result(None)

    loop.add_reader(0, readable)
    hello = {"url": demo.url, "tokens": demo.tokens, "now": demo.cluster.clock.now().isoformat(), "speed": speed}
    sys.stdout.write(json.dumps(hello) + "\n")
    sys.stdout.flush()
    await closed
    # The cluster lives in memory and its one client has gone: there is nothing to
    # save, and stopping 3,000 pods' controllers politely (or letting asyncio.run
    # cancel their tasks) takes seconds the user would wait for at quit. Sockets
    # and memory go with the process.
    os._exit(0)


def main(argv: list[str]) -> None:
    scenario, speed = argv
    asyncio.run(serve_until_stdin_closes(scenario, float(speed)))


if __name__ == "__main__":
    main(sys.argv[1:])
