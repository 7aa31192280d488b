"""Writing files: every file beanbill writes goes through `write_atomically`."""

from __future__ import annotations

import errno
import os
import tempfile
from collections.abc import Iterable, Iterator
from contextlib import contextmanager


def write_atomically(path: str, chunks: Iterable[str]) -> None:
    """Write the text `chunks` to `path` via a temporary file in the same folder and a rename.

    The chunks are written as they come, so the whole text need never be in memory at once. A
    failure midway (in writing, or in making a chunk) leaves the previous file untouched and no
    temporary file behind.
    """
    with replacing(path) as handle, os.fdopen(handle, "w", encoding="utf-8", newline="\n") as file:
        file.writelines(chunks)
        file.flush()
        os.fsync(file.fileno())


def write_bytes_atomically(path: str, content: bytes) -> None:
    """`write_atomically` for bytes (a PDF)."""
    with replacing(path) as handle, os.fdopen(handle, "wb") as file:
        file.write(content)
        file.flush()
        os.fsync(file.fileno())


@contextmanager
def replacing(path: str) -> Iterator[int]:
    """A temporary file beside `path` (its handle), renamed over `path` when the block ends,
    removed if the block fails."""
    if os.path.isdir(path):  # said before any temporary file is made
        raise IsADirectoryError(errno.EISDIR, "is a folder, not a file", path)
    folder = os.path.dirname(os.path.abspath(path))
    os.makedirs(folder, exist_ok=True)
    handle, temporary = tempfile.mkstemp(prefix=".beanbill-", suffix=".tmp", dir=folder)
    try:
        # mkstemp makes it readable by its owner alone: give it the mode of the file it
        # replaces, else the one a new file gets (the umask's), so that a teammate, or Fava
        # run as another user, reads it as before
        os.chmod(handle, file_mode(path))
        yield handle
        os.replace(temporary, path)
    except BaseException:
        if os.path.exists(temporary):
            os.unlink(temporary)
        raise


def file_mode(path: str) -> int:
    """The permissions of the file at `path`, or those of a new file (0666 less the umask)."""
    try:
        return os.stat(path).st_mode & 0o7777
    except FileNotFoundError:
        umask = os.umask(0)
        os.umask(umask)
        return 0o666 & ~umask
