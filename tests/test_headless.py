"""The one-shot paths run headless: importing model, sources and the renderers loads no Textual.

The import contracts (`lint-imports`, in pyproject.toml) check our own import
statements; this checks what actually gets loaded, libraries included.
"""

from __future__ import annotations

import subprocess
import sys


def test_importing_model_sources_and_renderers_loads_no_textual():
    code = (
        "import sys, pkgutil, importlib, stsviz.model, stsviz.sources, stsviz.render\n"
        "for package in (stsviz.model, stsviz.sources, stsviz.render):\n"
        "    for m in pkgutil.walk_packages(package.__path__, package.__name__ + '.'):\n"
        "        importlib.import_module(m.name)\n"
        "print(sorted(n for n in sys.modules if n.split('.')[0] == 'textual'))\n"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert result.stdout.strip() == "[]"
