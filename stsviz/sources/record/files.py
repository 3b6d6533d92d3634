"""The recording's files on disk: created private, reopened safely, rotated into gzipped parts.

A recording is `FILE` (the part being written) and, once it has rotated,
`FILE.1.gz`, `FILE.2.gz`, ... (older parts, numbered in the order they were
written; a higher number is newer). A part is renamed `FILE.N` first, then
compressed to `FILE.N.gz.tmp` and renamed `FILE.N.gz`; a crash in between
leaves `FILE.N` (read as it is) and perhaps a `.tmp` (never read). Every
rename, create and unlink is followed by an fsync of the directory, so a part
that was written survives a power cut under its name.

The directory is never created or changed in mode; the file is created 0600
with O_EXCL and O_NOFOLLOW (a symlink planted at FILE is refused, not
followed). An existing FILE is appended to only if it is a regular file that
starts with an stsviz header, after cutting a torn last line off.

A recorder holds an exclusive `flock` on FILE for as long as it records (on
each new FILE too, from before it takes the name) and until it has finished
compressing its rotated parts: a second recorder on the same recording is
refused ("another stsviz is recording to it") instead of interleaving its
lines or compressing the same parts. Reading (replay) takes no lock. The lock is advisory
and goes with the process: a recorder killed leaves none.

Rotating, the next part is written first as `FILE.next.tmp` (created 0600
and locked, its header and snapshot written and fsynced), then FILE is
renamed `FILE.N` and `FILE.next.tmp` renamed FILE, one system call after the
other: FILE is never empty, and missing only between those two renames. A
recorder that finds FILE missing and `FILE.next.tmp` there finishes the
rotation a killed recorder left (the part is complete: it was synced before
the first rename) by renaming it FILE, and says so in one log line.
"""

from __future__ import annotations

import contextlib
import fcntl
import gzip
import logging
import os
import stat
from collections.abc import Callable, Iterator
from pathlib import Path

from stsviz.sources.parts import existing_parts, next_part_path

log = logging.getLogger("stsviz.record")

_NOFOLLOW = getattr(os, "O_NOFOLLOW", 0)
_CLOEXEC = getattr(os, "O_CLOEXEC", 0)
# Enough to recognise an stsviz header line (it starts `{"stsviz":`).
_HEAD = 64
_TAIL_STEP = 1 << 16


class RecordFileError(Exception):
    """The recording file cannot be used: one line for the user."""


class CompressionStopped(Exception):
    """compress_part was told to stop: the plain part is left as it was, and no .tmp."""


def fsync_directory(path: Path) -> None:
    """Make the directory entry of `path` (a create, rename or unlink) durable; best effort where unsupported."""
    try:
        fd = os.open(path.parent, os.O_RDONLY | _CLOEXEC)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass  # some filesystems refuse fsync on a directory; the data itself was synced
    finally:
        os.close(fd)


def create_private(path: Path) -> int:
    """A new file at `path`, mode 0600, write-only and appending; FileExistsError if anything is there."""
    fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT | os.O_EXCL | _NOFOLLOW | _CLOEXEC, 0o600)
    fsync_directory(path)
    return fd


def lock_recording(fd: int, path: Path) -> None:
    """Take the recorder's exclusive lock on the open file; RecordFileError if another recorder has it."""
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        raise RecordFileError(f"{path}: another stsviz is recording to it") from None
    except OSError:
        pass  # a filesystem without locks (ENOLCK): recorded unguarded rather than not at all


def _still_named(fd: int, path: Path) -> bool:
    """Whether `path` still names the open file (a recorder rotating renames it away, and puts another there)."""
    try:
        here, there = os.fstat(fd), os.stat(path, follow_symlinks=False)
    except OSError:
        return False
    return (here.st_dev, here.st_ino) == (there.st_dev, there.st_ino)


def open_recording(path: Path) -> tuple[int, int, bool]:
    """(descriptor, size, created): `path` ready for appending whole lines, locked for this recorder.

    A new file is created 0600. An existing one must be a regular file holding
    an stsviz recording; it is made 0600 and a torn last line (a recorder
    killed mid-write) is cut off so the next line starts on a line of its own.
    Raises RecordFileError with the reason, also when another recorder holds it.
    """
    for _ in range(5):
        fd, created = _open_locked(path)
        # In this order: a FILE created while another recorder was between its two renames is refused
        # while that recorder's next part waits, and is found replaced once it took the name.
        if _rotation_under_way(path):
            os.close(fd)  # the file we may have created is left: the other recorder's rename replaces it
            raise RecordFileError(f"{path}: another stsviz is recording to it")
        if _still_named(fd, path):
            break
        os.close(fd)  # opened as another recorder rotated it away: open what is there now
    else:
        raise RecordFileError(f"{path}: another stsviz is recording to it (it keeps being rotated)")
    if created:
        return fd, 0, True
    return fd, _ready_to_append(fd, path), False


def create_next_part(path: Path) -> int:
    """`FILE.next.tmp`, new, 0600 and locked: the next part of the recording at `path`, until it is renamed there.

    One left by a recorder killed before the rename holds only a header and a
    snapshot of what the part before it ends with: it is replaced.
    """
    temporary = next_part_path(path)
    with contextlib.suppress(FileNotFoundError):
        os.unlink(temporary)
    fd = os.open(temporary, os.O_WRONLY | os.O_APPEND | os.O_CREAT | os.O_EXCL | _NOFOLLOW | _CLOEXEC, 0o600)
    try:
        lock_recording(fd, path)
    except RecordFileError as error:
        os.close(fd)
        raise OSError(str(error)) from None
    return fd


def _rotation_under_way(path: Path) -> bool:
    """Whether another recorder is opening the next part of `path` (it holds `FILE.next.tmp` locked).

    Called holding the lock on FILE, when no other recorder can be starting
    one: a `FILE.next.tmp` nobody holds is left from a kill, and removed.
    """
    temporary = next_part_path(path)
    try:
        # Open for writing (neither created nor truncated): on NFS flock is an fcntl lock, which a file
        # opened read-only cannot take (EBADF, read as "nobody holds it", and the other's part removed).
        fd = os.open(temporary, os.O_WRONLY | _NOFOLLOW | _CLOEXEC)
    except OSError:
        return False
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        return True
    except OSError:
        return False
    finally:
        os.close(fd)
    with contextlib.suppress(OSError):
        os.unlink(temporary)
    return False


def _finish_rotation(path: Path) -> int | None:
    """FILE.next.tmp renamed FILE, when a recorder killed between its two renames left FILE missing: its fd, locked.

    That part is complete: it was written and fsynced before FILE was renamed away. It takes the name,
    as the killed recorder would have done, and its recording goes on in it (before, it was removed
    and a new FILE started without the snapshot). None when FILE is there or there is no such part.
    """
    temporary = next_part_path(path)
    if os.path.lexists(path) or not os.path.lexists(temporary):
        return None
    try:
        fd = os.open(temporary, os.O_RDWR | os.O_APPEND | _NOFOLLOW | _CLOEXEC)
    except OSError:
        return None
    try:
        lock_recording(fd, path)  # another recorder holding it is between its renames now: refused
        if os.path.lexists(path):
            os.close(fd)  # another recorder took the name meanwhile: open what is there
            return None
        os.rename(temporary, path)
    except RecordFileError:
        os.close(fd)
        raise
    except OSError as error:
        os.close(fd)
        raise RecordFileError(f"{path}: cannot finish the rotation a stopped recorder left: {error.strerror}") from None
    fsync_directory(path)
    log.warning(
        "%s: a recorder was stopped between the two renames of a rotation; its next part now takes the name", path
    )
    return fd


def _open_locked(path: Path) -> tuple[int, bool]:
    name = str(path)
    finished = _finish_rotation(path)
    if finished is not None:
        return finished, False
    try:
        fd = create_private(path)
        created = True
    except FileExistsError:
        try:
            # Read and write (the head is checked, a torn tail cut), appending: every write lands at the end.
            fd = os.open(path, os.O_RDWR | os.O_APPEND | _NOFOLLOW | _CLOEXEC)
        except OSError as error:
            if error.errno is not None and os.path.islink(path):
                raise RecordFileError(f"{name}: is a symbolic link; not followed") from None
            raise RecordFileError(f"{name}: cannot open it: {error.strerror or error}") from None
        created = False
    except OSError as error:
        raise RecordFileError(f"{name}: cannot create it: {error.strerror or error}") from None
    try:
        lock_recording(fd, path)
    except RecordFileError:
        os.close(fd)
        raise
    return fd, created


def _ready_to_append(fd: int, path: Path) -> int:
    """Check the existing file is a recording, make it 0600 and cut a torn tail; its size then."""
    name = str(path)
    try:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode):
            raise RecordFileError(f"{name}: not a regular file; choose a file name for the recording")
        if info.st_size:
            head = os.pread(fd, _HEAD, 0)
            if not head.lstrip(b"\xef\xbb\xbf").startswith(b'{"stsviz":'):
                raise RecordFileError(f"{name}: exists and is not an stsviz recording; choose another file")
        os.fchmod(fd, 0o600)
        return cut_torn_tail(fd, info.st_size)
    except RecordFileError:
        os.close(fd)
        raise
    except OSError as error:
        os.close(fd)
        raise RecordFileError(f"{name}: cannot append to it: {error.strerror or error}") from None


def cut_torn_tail(fd: int, size: int) -> int:
    """Truncate the file after its last newline (nothing if it ends with one); the new size."""
    end = size
    while end > 0:
        start = max(0, end - _TAIL_STEP)
        block = os.pread(fd, end - start, start)
        newline = block.rfind(b"\n")
        if newline >= 0:
            keep = start + newline + 1
            break
        end = start
    else:
        keep = 0
    if keep != size:
        os.ftruncate(fd, keep)
        os.fsync(fd)
    return keep


def read_lines(fd: int, step: int = 1 << 20) -> Iterator[bytes]:
    """The lines of the open file `fd` from its start, each with its newline (the last one may have none).

    Read with pread through the descriptor the recorder holds locked: opening the file again by its
    name is refused where a lock from another descriptor is held (CIFS since Linux 5.5: EACCES),
    and on NFS closing a second descriptor would drop the recorder's (fcntl) lock.
    """
    offset, rest = 0, b""
    while block := os.pread(fd, step, offset):
        offset += len(block)
        *whole, rest = (rest + block).split(b"\n")
        for line in whole:
            yield line + b"\n"
    if rest:
        yield rest


def next_part_number(path: Path) -> int:
    """The number the next rotated part of `path` gets: one above every part there is."""
    return max((number for number, _ in existing_parts(path)), default=0) + 1


def compress_part(plain: Path, level: int = 6, *, stop: Callable[[], bool] = lambda: False) -> Path:
    """`FILE.N` -> `FILE.N.gz` (0600, synced, renamed into place), then the plain part removed.

    Called only holding the recording's lock (the recorder keeps FILE open and locked until its
    compressor ends): the `.gz.tmp` it removes as a crash's leftover is then nobody else's, and no
    other process is renaming one into `FILE.N.gz`. `stop()` is asked between blocks; when it says
    so, CompressionStopped is raised and the plain part stays.
    """
    final = plain.with_name(plain.name + ".gz")
    temporary = plain.with_name(plain.name + ".gz.tmp")
    try:
        os.unlink(temporary)  # left by a crash mid-compression
    except FileNotFoundError:
        pass
    with open(plain, "rb") as source:
        fd = create_private(temporary)
        try:
            with open(fd, "wb") as raw:
                with gzip.GzipFile(filename="", mode="wb", fileobj=raw, compresslevel=level, mtime=0) as out:
                    while block := source.read(1 << 20):
                        if stop():
                            raise CompressionStopped(plain.name)
                        out.write(block)
                raw.flush()
                os.fsync(raw.fileno())
        except BaseException:
            with contextlib.suppress(OSError):
                os.unlink(temporary)  # a half-written part is never read: do not leave it about
            raise
    os.replace(temporary, final)
    fsync_directory(final)
    os.unlink(plain)
    fsync_directory(plain)
    return final
