"""Getting a recording's bytes off disk: file errors, gzip and the UTF-8 BOM.

Gzip is recognised by its magic bytes, not the file name, so `rec.jsonl` that
was compressed by hand and `rec.jsonl.gz` that was not both work. A gzip stream
cut short (a recorder killed mid-write) still yields what it holds.
"""

from __future__ import annotations

import codecs
import zlib
from pathlib import Path

from stsviz.sources.replay.errors import Problems, ReplayInputError

GZIP_MAGIC = b"\x1f\x8b"
# Decompress in slices so a damaged stream still gives back everything before the damage.
_GZIP_SLICE = 1 << 20


def read_recording_bytes(path: Path, name: str, problems: Problems) -> bytes:
    """The file's decompressed bytes without a BOM, or ReplayInputError."""
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        raise ReplayInputError(f"{name}: no such file") from None
    except IsADirectoryError:
        raise ReplayInputError(f"{name}: is a directory, not a recording file") from None
    except PermissionError:
        raise ReplayInputError(f"{name}: cannot read it: permission denied") from None
    except OSError as error:
        raise ReplayInputError(f"{name}: cannot read it: {error.strerror or 'I/O error'}") from None
    if path.is_dir():  # some platforms read directories without raising
        raise ReplayInputError(f"{name}: is a directory, not a recording file")
    if data.startswith(GZIP_MAGIC):
        data = _gunzip(data, name, problems)
    if data.startswith(codecs.BOM_UTF8):
        data = data[len(codecs.BOM_UTF8) :]
    if not data or data.isspace():  # isspace stops at the first real byte; strip would copy it all
        raise ReplayInputError(f"{name}: file is empty")
    return data


def _gunzip(data: bytes, name: str, problems: Problems) -> bytes:
    out: list[bytes] = []
    damage: str | None = None
    while data:
        inflater = zlib.decompressobj(wbits=16 + zlib.MAX_WBITS)  # gzip framing
        try:
            for start in range(0, len(data), _GZIP_SLICE):
                out.append(inflater.decompress(data[start : start + _GZIP_SLICE]))
                if inflater.eof:
                    break
            out.append(inflater.flush())
        except zlib.error:
            damage = "gzip data is damaged part way; replaying what came before the damage"
            break
        if not inflater.eof:
            damage = "gzip stream ends early (still being written, or cut off?); replaying what is there"
            break
        # `cat a.gz b.gz` is a valid gzip file of several members; zero padding after is not data.
        data = inflater.unused_data
        if not data.strip(b"\0"):
            break
        if not data.startswith(GZIP_MAGIC):
            problems.file("ignoring bytes after the end of the gzip data")
            break
    result = b"".join(out)
    if damage is not None:
        if not result:
            raise ReplayInputError(f"{name}: gzip data is damaged or cut off; nothing could be read")
        problems.file(damage)
    return result
