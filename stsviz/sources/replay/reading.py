"""Getting a recording's lines off disk: file errors, gzip, the UTF-8 BOM and bounds.

Gzip is recognised by its magic bytes, not the file name, so `rec.jsonl` that
was compressed by hand and `rec.jsonl.gz` that was not both work. A gzip stream
cut short (a recorder killed mid-write) still yields what it holds.

A recording is read as a stream of lines, never as one block: decompression
gives at most a slice at a time, and no line is held past MAX_LINE_BYTES. A
gzip bomb (23 MB expanding to 5 GB of zeros) is then one very long line that
is skipped with a warning, like any bad line, not a MemoryError. Only regular
files are read: /dev/zero never ends and a FIFO with no writer blocks forever.
"""

from __future__ import annotations

import codecs
import io
import os
import stat
import zlib
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import BinaryIO

from stsviz.sources.parts import part_of
from stsviz.sources.replay.errors import Problems, ReplayInputError

GZIP_MAGIC = b"\x1f\x8b"
# The longest line kept. A real watch event is a few KB, a pod with a large
# managedFields some tens of KB, the largest object etcd stores 1.5 MB (its
# default request limit); 8 MB leaves room for that pretty-printed or escaped,
# and bounds what one line of a hostile or damaged file can make us hold.
MAX_LINE_BYTES = 8 << 20
# Compressed bytes read, and decompressed bytes produced, per step: bounded
# whatever the compression ratio (zlib reaches ~1000:1 on zeros).
_SLICE = 1 << 20


def open_recording(path: Path, name: str) -> BinaryIO:
    """The file, opened for reading, or ReplayInputError (one line) if it is not a readable regular file.

    A rotated part `FILE.N` that is gone may have been compressed since it was
    listed (a recorder still writing gzips its parts): then `FILE.N.gz` is read.
    """
    try:
        fd = _open(path)
    except FileNotFoundError:
        compressed = path.with_name(path.name + ".gz")
        if part_of(path) is None or path.name.endswith(".gz"):
            raise ReplayInputError(f"{name}: no such file") from None
        try:
            fd = _open(compressed)
        except FileNotFoundError:
            raise ReplayInputError(f"{name}: no such file") from None
        except OSError as error:
            raise ReplayInputError(f"{compressed}: cannot read it: {error.strerror or 'I/O error'}") from None
    except IsADirectoryError:
        raise ReplayInputError(f"{name}: is a directory, not a recording file") from None
    except PermissionError:
        raise ReplayInputError(f"{name}: cannot read it: permission denied") from None
    except OSError as error:
        raise ReplayInputError(f"{name}: cannot read it: {error.strerror or 'I/O error'}") from None
    try:
        mode = os.fstat(fd).st_mode
        if stat.S_ISDIR(mode):
            raise ReplayInputError(f"{name}: is a directory, not a recording file")
        if not stat.S_ISREG(mode):
            raise ReplayInputError(
                f"{name}: not a regular file (a pipe, socket or device); save the recording to a file first"
            )
        os.set_blocking(fd, True)
        return open(fd, "rb", buffering=_SLICE)  # the caller closes it
    except BaseException:
        os.close(fd)
        raise


def _open(path: Path) -> int:
    # O_NONBLOCK: opening a FIFO that has no writer would otherwise wait forever.
    return os.open(path, os.O_RDONLY | os.O_NONBLOCK | getattr(os, "O_CLOEXEC", 0))


def recording_lines(
    stream: BinaryIO, name: str, problems: Problems, progress: Callable[[int], None] | None = None
) -> Iterator[bytes]:
    """The file's lines (decompressed, BOM removed), each at most MAX_LINE_BYTES.

    A longer line is skipped with a warning naming it and stands as an empty
    line, so the lines after it keep their numbers. Raises ReplayInputError
    (one line) when there is nothing in the file but blanks and skipped lines.
    `progress`, if given, is called with the bytes of the file read so far
    (compressed bytes for a gzip file: what its size on disk counts), once per
    slice read off disk.
    """
    if progress is not None:
        stream = _Reported(stream, progress)  # type: ignore[assignment]
    first = stream.read(len(GZIP_MAGIC))
    if first == GZIP_MAGIC:
        source: BinaryIO = io.BufferedReader(_Chunks(_gunzip(stream, first, name, problems)), _SLICE)
    else:
        source = io.BufferedReader(_Chunks(_plain(stream, first)), _SLICE)
    readline = source.readline
    limit = MAX_LINE_BYTES + 1  # room for the newline of a line of exactly MAX_LINE_BYTES
    lineno = 0
    too_long = 0
    seen = False  # a line with more than whitespace was given
    line = readline(limit)
    if line.startswith(codecs.BOM_UTF8):
        line = line[len(codecs.BOM_UTF8) :]
    while line:
        lineno += 1
        if len(line) == limit and line[-1:] != b"\n":
            # Drop the rest of it unread into memory, a slice at a time.
            while line and line[-1:] != b"\n":
                line = readline(_SLICE)
            too_long += 1
            problems.line(lineno, f"longer than {_megabytes(MAX_LINE_BYTES)}, the longest line stsviz reads; skipped")
            line = b"\n"
        elif not seen and not line.isspace():
            seen = True
        yield line
        line = readline(limit)
    if not seen:
        if too_long:
            raise ReplayInputError(
                f"{name}: no line shorter than {_megabytes(MAX_LINE_BYTES)} (not a recording?); nothing to replay"
            )
        raise ReplayInputError(f"{name}: file is empty")


def _before_damage(inflater: zlib._Decompress, data: bytes) -> Iterator[bytes]:
    """What `data` inflates to up to the first damage, a little at a time (ends quietly at the damage)."""
    piece = 256
    for start in range(0, len(data), piece):
        chunk = data[start : start + piece]
        try:
            while chunk:
                out = inflater.decompress(chunk, _SLICE)
                chunk = inflater.unconsumed_tail
                if out:
                    yield out
        except zlib.error:
            return
        if inflater.eof:
            return


def _megabytes(size: int) -> str:
    return f"{size / (1 << 20):g} MB"


class _Reported:
    """A file whose reads are counted and reported: how far a load has got, at the cost of one call a slice."""

    def __init__(self, stream: BinaryIO, report: Callable[[int], None]) -> None:
        self._stream = stream
        self._report = report
        self._done = 0

    def read(self, size: int = -1) -> bytes:
        data = self._stream.read(size)
        self._done += len(data)
        self._report(self._done)
        return data


class _Chunks(io.RawIOBase):
    """A raw stream over an iterator of byte strings, for io.BufferedReader's fast readline."""

    def __init__(self, chunks: Iterator[bytes]) -> None:
        self._chunks = chunks
        self._left = memoryview(b"")

    def readable(self) -> bool:
        return True

    def readinto(self, buffer) -> int:  # type: ignore[no-untyped-def]
        while not self._left:
            chunk = next(self._chunks, None)
            if chunk is None:
                return 0
            self._left = memoryview(chunk)
        count = min(len(buffer), len(self._left))
        buffer[:count] = self._left[:count]
        self._left = self._left[count:]
        return count


def _plain(stream: BinaryIO, first: bytes) -> Iterator[bytes]:
    if first:
        yield first
    while chunk := stream.read(_SLICE):
        yield chunk


def _gunzip(stream: BinaryIO, first: bytes, name: str, problems: Problems) -> Iterator[bytes]:
    """Decompressed slices of a gzip file of one or more members; damage ends it with a warning."""
    pending = first
    produced = False
    damage: str | None = None
    while True:
        inflater = zlib.decompressobj(wbits=16 + zlib.MAX_WBITS)  # gzip framing
        try:
            while not inflater.eof:
                if not pending:
                    # zlib may hold output back when the last call's was full.
                    out = inflater.decompress(b"", _SLICE)
                    if out:
                        produced = True
                        yield out
                        continue
                    pending = stream.read(_SLICE)
                    if not pending:
                        break
                before = inflater.copy()
                try:
                    out = inflater.decompress(pending, _SLICE)
                except zlib.error:
                    # This call's output is lost with the error: read the slice again in small
                    # pieces, so what came before the damage is replayed (a whole small file is one call).
                    for out in _before_damage(before, pending):
                        produced = True
                        yield out
                    raise
                pending = inflater.unconsumed_tail
                if out:
                    produced = True
                    yield out
        except zlib.error:
            damage = "gzip data is damaged part way; replaying what came before the damage"
            break
        if not inflater.eof:
            damage = "gzip stream ends early (still being written, or cut off?); replaying what is there"
            break
        # `cat a.gz b.gz` is a valid gzip file of several members; zero padding after is not data.
        pending = inflater.unused_data
        if len(pending) < len(GZIP_MAGIC):  # the next member's magic may straddle two reads
            pending += stream.read(_SLICE)
        while pending and not pending.strip(b"\0"):
            pending = stream.read(_SLICE)
        if not pending:
            break
        if not pending.startswith(GZIP_MAGIC):
            problems.file("ignoring bytes after the end of the gzip data")
            break
    if damage is not None:
        if not produced:
            raise ReplayInputError(f"{name}: gzip data is damaged or cut off; nothing could be read")
        problems.file(damage)
