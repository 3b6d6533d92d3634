"""The `stsviz` command: Ctrl+C while it is still starting ends as quietly as later."""

from __future__ import annotations

import subprocess
import sys

# Ctrl+C arriving while the CLI and its libraries are still being imported (the first ~0.1 s).
INTERRUPTED_WHILE_IMPORTING = """
import sys

class CtrlC:
    def find_spec(self, name, path=None, target=None):
        if name == "stsviz.cli":
            raise KeyboardInterrupt
        return None

sys.meta_path.insert(0, CtrlC())
from stsviz.entry import main
sys.exit(main())
"""


def test_ctrl_c_while_starting_exits_130_without_a_traceback():
    result = subprocess.run(
        [sys.executable, "-c", INTERRUPTED_WHILE_IMPORTING], capture_output=True, text=True, timeout=60
    )
    assert (result.returncode, result.stdout, result.stderr) == (130, "", "")
