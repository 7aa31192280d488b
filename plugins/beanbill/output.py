"""Writing files: every file beanbill writes goes through `write_atomically`."""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterable


def write_atomically(path: str, chunks: Iterable[str]) -> None:
    """Write the text `chunks` to `path` via a temporary file in the same folder and a rename.

    The chunks are written as they come, so the whole text need never be in memory at once. A
    failure midway (in writing, or in making a chunk) leaves the previous file untouched and no
    temporary file behind.
    """
    folder = os.path.dirname(os.path.abspath(path))
    os.makedirs(folder, exist_ok=True)
    handle, temporary = tempfile.mkstemp(prefix=".beanbill-", suffix=".tmp", dir=folder)
    try:
        with os.fdopen(handle, "w", encoding="utf-8", newline="\n") as file:
            file.writelines(chunks)
            file.flush()
            os.fsync(file.fileno())
        os.replace(temporary, path)
    except BaseException:
        if os.path.exists(temporary):
            os.unlink(temporary)
        raise
