"""The C heap of a long-running process on a 512 MB board (glibc; a no-op elsewhere).

glibc gives each thread that allocates its own malloc arena (up to 8 per core) and keeps
what is freed in it. A waitress page with 8 threads decoding photos then holds hundreds
of MB it no longer uses. The units set MALLOC_ARENA_MAX=2; ``limit_arenas`` does the
same from inside, so `station web` run by hand or by the demo is bounded too.
"""

from __future__ import annotations

import ctypes
import logging

log = logging.getLogger(__name__)

_M_ARENA_MAX = -8  # mallopt parameter, from glibc's malloc.h


def _load_libc() -> ctypes.CDLL | None:
    try:
        libc = ctypes.CDLL("libc.so.6")
        libc.mallopt  # noqa: B018 - glibc only; musl has neither
        libc.malloc_trim  # noqa: B018
    except (OSError, AttributeError):
        return None
    return libc


_libc = _load_libc()


def limit_arenas(arenas: int = 2) -> None:
    """Call before the process starts its threads."""
    if _libc is not None and not _libc.mallopt(_M_ARENA_MAX, arenas):
        log.warning("could not limit malloc arenas to %d", arenas)


def give_back() -> None:
    """Return freed heap to the OS, e.g. after decoding a large image."""
    if _libc is not None:
        _libc.malloc_trim(0)
