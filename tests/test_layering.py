"""model/ and sources/ never import Textual: they must run headless and fast."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[1] / "stsviz"


def test_no_textual_import_statement_in_model_or_sources():
    offenders = []
    for folder in ("model", "sources"):
        for path in (PACKAGE / folder).rglob("*.py"):
            for node in ast.walk(ast.parse(path.read_text(), str(path))):
                names = []
                if isinstance(node, ast.Import):
                    names = [alias.name for alias in node.names]
                elif isinstance(node, ast.ImportFrom) and node.module:
                    names = [node.module]
                offenders += [f"{path.relative_to(PACKAGE)}: {n}" for n in names if n.split(".")[0] == "textual"]
    assert offenders == []


def test_importing_model_and_sources_loads_no_textual():
    code = (
        "import sys, pkgutil, importlib, stsviz.model, stsviz.sources\n"
        "for m in pkgutil.walk_packages(stsviz.sources.__path__, 'stsviz.sources.'):\n"
        "    importlib.import_module(m.name)\n"
        "print(sorted(n for n in sys.modules if n.split('.')[0] == 'textual'))\n"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert result.stdout.strip() == "[]"
