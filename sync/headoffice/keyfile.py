"""A secret file made once per data folder, safe when several workers start together.

Under ``--workers N`` every process loads its keys at boot. Creating the file with
``O_EXCL`` and then writing it let a second worker either crash on ``FileExistsError``
(the server then stops) or read a half-written key. Here the key is written
whole to a private temporary file and linked into place: ``link`` fails if another worker
won, and then that worker's complete key is the one everybody reads.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
from collections.abc import Callable
from pathlib import Path


def made_once(path: Path, make: Callable[[], bytes]) -> bytes:
    """The bytes in ``path``; on first use ``make()`` them (mode 600, fsynced)."""
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".key-")  # mode 600
        try:
            with os.fdopen(fd, "wb") as handle:
                handle.write(make())
                handle.flush()
                os.fsync(handle.fileno())
            with contextlib.suppress(FileExistsError):  # another process won: use theirs
                os.link(tmp, path)
        finally:
            Path(tmp).unlink(missing_ok=True)
        dir_fd = os.open(path.parent, os.O_RDONLY)
        try:
            os.fsync(dir_fd)
        finally:
            os.close(dir_fd)
    return path.read_bytes()
