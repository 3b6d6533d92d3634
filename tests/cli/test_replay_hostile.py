"""`stsviz replay` on hostile input, as a user runs it: one line on stderr, exit 2, nothing raw on the terminal.

Each run is a subprocess with a timeout and an address-space limit, so a
regression (reading /dev/zero whole, waiting on a FIFO) fails in seconds
instead of eating the machine.
"""

from __future__ import annotations

import json
import os
import resource
import subprocess
import sys
import zlib
from pathlib import Path

from rich.cells import cell_len

from stsviz.render.rows import COLUMNS, NAME_WIDTH_MAX

# Far above what replaying a small file needs (~100 MB of address space), far below a runaway read.
ADDRESS_SPACE = 1 << 30


def _limit_memory() -> None:
    resource.setrlimit(resource.RLIMIT_AS, (ADDRESS_SPACE, ADDRESS_SPACE))


def replay(*args: str, timeout: float = 30) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "stsviz", "replay", *args],
        capture_output=True,
        text=True,
        timeout=timeout,
        preexec_fn=_limit_memory,
    )


def assert_one_line_error(result: subprocess.CompletedProcess, expected: str) -> None:
    assert result.returncode == 2, result.stderr
    assert result.stdout == ""
    assert result.stderr.startswith("stsviz: error: "), result.stderr
    assert expected in result.stderr
    assert result.stderr.count("\n") == 1, result.stderr
    assert "Traceback" not in result.stderr


def test_dev_zero_is_refused_at_once():
    result = replay("/dev/zero", "--plain", timeout=20)
    assert_one_line_error(result, "/dev/zero: not a regular file")


def test_fifo_without_a_writer_is_refused_not_waited_on(tmp_path):
    fifo = tmp_path / "watch.fifo"
    os.mkfifo(fifo)
    result = replay(str(fifo), "--plain", timeout=20)
    assert_one_line_error(result, f"{fifo}: not a regular file")


def test_gzip_bomb_is_one_line_error_not_a_memory_error(tmp_path):
    """64 MB of zeros (300 KB compressed) under a 1 GB address-space limit; the 5 GB bomb is this, longer."""
    path = tmp_path / "bomb.jsonl.gz"
    compressor = zlib.compressobj(1, zlib.DEFLATED, 16 + zlib.MAX_WBITS)
    zeros = bytes(1 << 20)
    with path.open("wb") as out:
        for _ in range(64):
            out.write(compressor.compress(zeros))
        out.write(compressor.flush())
    result = replay(str(path), "--plain")
    assert_one_line_error(result, f"{path}: no line shorter than 8 MB")


def set_event(name: str, namespace: str = "ns", *, kind: str = "StatefulSet") -> str:
    return json.dumps(
        {
            "type": "ADDED",
            "object": {
                "kind": kind,
                "metadata": {
                    "name": name,
                    "namespace": namespace,
                    "uid": name,
                    "generation": 1,
                    "resourceVersion": "1",
                },
                "spec": {"replicas": 1},
                "status": {"observedGeneration": 1},
            },
        }
    )


def test_escape_sequences_from_a_file_never_reach_stderr(tmp_path):
    path = tmp_path / "escapes.jsonl"
    path.write_text(
        "\n".join(
            [
                set_event("web"),
                set_event("x", kind="\x1b]0;owned\x07\x1b]52;c;ZWNobyBoaQ==\x07\x1b[2J"),
                json.dumps({"type": "\x1b[31mRED\n", "object": {"metadata": {}}}),
            ]
        )
        + "\n"
    )
    result = replay(str(path), "--plain")
    assert result.returncode == 0, result.stderr
    assert "\x1b" not in result.stderr and "\x07" not in result.stderr
    warnings = result.stderr.splitlines()
    assert len(warnings) == 2 and all(line.startswith("stsviz: warning: ") for line in warnings)
    assert all(len(line) <= 320 for line in warnings)


def test_an_escape_in_a_file_name_is_not_printed_raw(tmp_path):
    path = tmp_path / "\x1b]0;title\x07.jsonl"
    result = replay(str(path), "--plain")
    assert result.returncode == 2
    assert "\x1b" not in result.stderr and "\x07" not in result.stderr
    assert "no such file" in result.stderr


def plain_rows(tmp_path: Path, names: list[str]) -> list[str]:
    path = tmp_path / "names.jsonl"
    path.write_text("\n".join(set_event(name) for name in names) + "\n")
    result = replay(str(path), "--plain")
    assert result.returncode == 0, result.stderr
    return result.stdout.splitlines()


def test_names_cannot_forge_rows_or_shift_columns(tmp_path):
    names = [
        "web\nns/fake   1/1     1/1        done           R",  # a newline: a forged row
        "a\u202eesrever\u202c",  # right-to-left override
        "zero\u200bwidth\ufeff",  # invisible characters
        "\u65e5\u672c\u8a9e-db",  # CJK: two cells each
        "plain",
    ]
    lines = plain_rows(tmp_path, names)
    time_line, header, *rows = lines
    assert time_line.startswith("time ")
    assert len(rows) == len(names)  # no forged row
    assert not any(char in line for line in lines for char in "\u202e\u202c\u200b\ufeff")
    ready_at = header.index(COLUMNS[1])
    pods_at = header.index(COLUMNS[-1])
    for row in rows:
        # The READY value starts under READY, and the cells under PODS, measured in terminal cells.
        name_part = row[: row.index(" 0/1 ") + 1]
        assert cell_len(name_part) == ready_at, row
        assert cell_len(row.rstrip()) == pods_at + 1, row  # one pod: one glyph
    assert any("\u65e5\u672c\u8a9e-db" in row for row in rows)


def test_wide_names_are_cut_by_cells_and_keep_verdict_and_pods_on_screen(tmp_path):
    lines = plain_rows(tmp_path, ["\u6570" * 30, "short"])
    _, header, *rows = lines
    assert header.index(COLUMNS[1]) == NAME_WIDTH_MAX + 1
    for row in rows:
        name_part = row[: row.index(" 0/1 ") + 1]
        assert cell_len(name_part) == NAME_WIDTH_MAX + 1, row
        assert cell_len(row.rstrip()) == header.index(COLUMNS[-1]) + 1
    assert "\u2026" in rows[0] or "\u2026" in rows[1]
