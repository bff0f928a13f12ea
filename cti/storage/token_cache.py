"""Who a token speaks for, remembered for a moment: the API asks on every request.

Rule 1: a live identity is remembered for at most TTL_S seconds after it was read from the
database, so a token revoked by another process (`cti admin token revoke`, an agent
retired by an import) stops working within TTL_S.
Rule 2: the store forgets everything at once when this process revokes a token or changes
the configuration (ConfigStore), so a logout, a takeover or a deleted agent takes effect
at the next request.
Rule 3: only live identities are remembered: an unknown or revoked token is looked up
every time (a token just issued by another process works at once).
Rule 4: at most MAX_ENTRIES are kept; when full, the oldest reading goes first.
Rule 5: a reading that began before a `forget_all` is not remembered (the revocation may
have landed after the row was read): `put` takes the generation `begin` gave.
Keys are the tokens' SHA-256 digests, as in the database: no secret is kept here.
"""

from __future__ import annotations

import time
from collections import OrderedDict
from collections.abc import Callable
from typing import Final

from cti.storage.tokens import TokenIdentity

TTL_S: Final = 1.0
MAX_ENTRIES: Final = 10_000


class TokenCache:
    def __init__(
        self,
        *,
        ttl_s: float = TTL_S,
        max_entries: int = MAX_ENTRIES,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._ttl = ttl_s
        self._max = max_entries
        self._clock = clock
        self._entries: OrderedDict[str, tuple[float, TokenIdentity]] = OrderedDict()
        self._generation = 0

    def begin(self) -> int:
        """The generation a database reading starts in (rule 5)."""
        return self._generation

    def get(self, digest: str) -> TokenIdentity | None:
        """The identity read less than TTL_S ago, or None (rule 1)."""
        found = self._entries.get(digest)
        if found is None:
            return None
        read_at, identity = found
        if self._clock() - read_at >= self._ttl:
            del self._entries[digest]
            return None
        return identity

    def put(self, digest: str, identity: TokenIdentity | None, generation: int) -> None:
        """Remember a live identity just read (rules 3-5)."""
        if generation != self._generation:
            return
        if identity is None:
            self._entries.pop(digest, None)
            return
        self._entries.pop(digest, None)
        self._entries[digest] = (self._clock(), identity)
        while len(self._entries) > self._max:
            self._entries.popitem(last=False)

    def forget_all(self) -> None:
        """Rule 2."""
        self._generation += 1
        self._entries.clear()
