"""What every command shares: one validator for --stall-after, one error line, no import cycle."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest

from tests.locations import REPO


def stsviz(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "stsviz", *args], capture_output=True, text=True, stdin=subprocess.DEVNULL, timeout=60
    )


@pytest.mark.parametrize("value", ["nan", "inf", "-inf", "0", "-5"])
@pytest.mark.parametrize(
    "command",
    [
        ["--plain"],  # live mode: refused before any kubeconfig is read
        ["replay", "--example", "rolling", "--plain"],
        ["demo"],
    ],
    ids=["live", "replay", "demo"],
)
def test_every_command_refuses_a_stall_threshold_that_is_not_a_positive_number(command, value):
    result = stsviz(*command, f"--stall-after={value}")
    assert result.returncode == 2 and result.stdout == ""
    assert result.stderr == "stsviz: error: --stall-after must be a positive number of seconds\n"


def test_the_command_modules_import_no_other_command():
    commands = REPO / "stsviz" / "commands"
    for module in commands.glob("*.py"):
        imported = {
            node.module
            for node in ast.walk(ast.parse(module.read_text()))
            if isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("stsviz.")
        }
        others = {name for name in imported if name.startswith("stsviz.commands.") and name != "stsviz.commands.common"}
        assert not others, f"{module.name} imports {others}"
        assert "stsviz.cli" not in imported, f"{module.name} imports the CLI back"


def test_a_server_error_is_not_a_usage_error():
    from stsviz.commands.common import EXIT_SERVER, EXIT_USAGE, ServerError, UsageError

    assert not issubclass(ServerError, UsageError)
    assert (ServerError.exit_code, UsageError.exit_code) == (EXIT_SERVER, EXIT_USAGE)


@pytest.mark.parametrize("existing", [False, True], ids=["new", "was-0644"])
def test_the_log_file_is_private(tmp_path: Path, existing: bool):
    kubeconfig = tmp_path / "kubeconfig"
    kubeconfig.write_text(
        "apiVersion: v1\nkind: Config\ncurrent-context: c\n"
        "clusters: [{name: c, cluster: {server: 'http://127.0.0.1:9'}}]\n"
        "users: [{name: u, user: {}}]\ncontexts: [{name: c, context: {cluster: c, user: u}}]\n"
    )
    log = tmp_path / "stsviz.log"
    if existing:
        log.write_text("earlier run\n")
        log.chmod(0o644)
    result = subprocess.run(
        [sys.executable, "-m", "stsviz", "--kubeconfig", str(kubeconfig), "--plain"],
        capture_output=True,
        text=True,
        stdin=subprocess.DEVNULL,
        timeout=60,
        env={"STSVIZ_LOG": str(log), "PATH": "/usr/bin:/bin"},
    )
    assert result.returncode == 2 and "cannot reach" in result.stderr, result.stderr
    assert log.stat().st_mode & 0o777 == 0o600
    assert log.read_text().startswith("earlier run\n" if existing else "")  # appended, never truncated


@pytest.mark.parametrize(
    ("words", "command"),
    [
        (["demo", "--bogus"], "stsviz demo"),
        (["replay", "--example", "rolling", "--bogus"], "stsviz replay"),
        (["record", "-o", "x.jsonl", "--bogus"], "stsviz record"),
        (["--bogus", "demo"], "stsviz"),  # given to the top level, before the command
        (["--bogus"], "stsviz"),
    ],
    ids=["demo", "replay", "record", "before-the-command", "top-level"],
)
def test_an_unknown_option_is_one_line_naming_the_command_it_was_given_to(words, command):
    result = stsviz(*words)
    assert result.returncode == 2 and result.stdout == ""
    assert result.stderr == f"{command}: error: unrecognized arguments: --bogus (see {command} --help)\n"


def test_a_missing_option_value_is_one_line_too():
    result = stsviz("replay", "--at")
    assert result.returncode == 2
    assert result.stderr == "stsviz replay: error: argument --at: expected one argument (see stsviz replay --help)\n"
