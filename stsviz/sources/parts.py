"""How a rotated recording's parts are named, for the recorder that writes them and replay that joins them.

`FILE` is the part being written; `FILE.1.gz`, `FILE.2.gz`, ... are the older
parts in the order they were written (higher is newer). `FILE.N` without
`.gz` is a part whose compression had not finished; `FILE.N.gz.tmp` is never
a part, nor is `FILE.next.tmp` (the next part being opened, renamed to
`FILE` once its header and snapshot are written).
"""

from __future__ import annotations

import os
import re
from pathlib import Path

_PART = re.compile(r"\.(\d{1,9})(\.gz)?")


def part_path(path: Path, number: int, *, gz: bool = False) -> Path:
    return path.with_name(f"{path.name}.{number}{'.gz' if gz else ''}")


def next_part_path(path: Path) -> Path:
    """Where the recorder writes a new part's header and snapshot before renaming it to `path`."""
    return path.with_name(f"{path.name}.next.tmp")


def part_of(path: Path) -> tuple[Path, int] | None:
    """(the recording's FILE, N) when `path` is named like its part `FILE.N` or `FILE.N.gz`; else None."""
    match = re.search(r"\.(\d{1,9})(\.gz)?$", path.name)
    if match is None or match.start() == 0:
        return None
    return path.with_name(path.name[: match.start()]), int(match.group(1))


def existing_parts(path: Path) -> list[tuple[int, Path]]:
    """The rotated parts of the recording at `path` on disk, oldest first, as (N, path).

    Where a part is there both plain and gzipped (a crash before the plain one
    was removed), the plain one: it is complete, the .gz may not be. A
    directory that cannot be listed has no parts.
    """
    prefix = path.name + "."
    found: dict[int, Path] = {}
    try:
        names = os.listdir(path.parent)
    except OSError:
        return []
    for name in names:
        if not name.startswith(prefix):
            continue
        match = _PART.fullmatch(name, len(path.name))
        if match is None:
            continue
        number = int(match.group(1))
        if number not in found or not match.group(2):
            found[number] = path.with_name(name)
    return sorted(found.items())
