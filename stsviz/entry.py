"""The `stsviz` command's entry point: importing the CLI, then running it.

Ctrl+C in the first tenth of a second lands while Python is still importing
the CLI and its libraries, before `cli.main` can catch it: it ends here, as
it does later, with exit 130 and no traceback.
"""

from __future__ import annotations

EXIT_INTERRUPTED = 130  # as a shell reports SIGINT (commands.common says the same once imported)


def main() -> int:
    try:
        from stsviz.cli import main as run
    except KeyboardInterrupt:
        return EXIT_INTERRUPTED
    return run()
