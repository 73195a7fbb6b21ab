"""Who a token is, remembered for a few seconds: a 1-scan upload would otherwise spend a
database round trip on its token before the one that stores the scan.

Only tokens found are remembered, so a token just made works at once. A token removed
from the database (revoked) is refused by every process within ``ttl_s`` seconds: that
is how long an entry lives, whatever its use.
"""

from __future__ import annotations

import time
from collections.abc import Callable

from sync.headoffice.storage import Principal

TTL_S = 5.0
MAX_ENTRIES = 50_000  # well above a fleet's stations; past it the cache starts afresh


class CachedPrincipals:
    def __init__(
        self,
        lookup: Callable[[str], Principal | None],
        ttl_s: float = TTL_S,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._lookup = lookup
        self._ttl_s = ttl_s
        self._clock = clock
        self._entries: dict[str, tuple[Principal, float]] = {}

    def __call__(self, token_hash: str) -> Principal | None:
        now = self._clock()
        entry = self._entries.get(token_hash)
        if entry is not None and entry[1] > now:
            return entry[0]
        found = self._lookup(token_hash)
        if found is None:
            self._entries.pop(token_hash, None)
            return None
        if len(self._entries) >= MAX_ENTRIES:
            self._entries = {}  # dict assignment is atomic: threads see the old or new one
        self._entries[token_hash] = (found, now + self._ttl_s)
        return found
