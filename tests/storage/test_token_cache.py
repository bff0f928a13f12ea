"""The token cache's rules (cti/storage/token_cache.py), on a clock the test moves."""

from __future__ import annotations

from cti.domain.ids import AgentId
from cti.storage.token_cache import TokenCache
from cti.storage.tokens import Role, TokenIdentity

ANN = TokenIdentity(Role.AGENT, "ann", AgentId("1001"))
BOARD = TokenIdentity(Role.SUPERVISOR, "board", None)


def cache(now: list[float], **kwargs: int) -> TokenCache:
    return TokenCache(ttl_s=1.0, clock=lambda: now[0], **kwargs)


def test_a_live_identity_is_remembered_for_the_ttl_and_not_after() -> None:
    now = [0.0]
    tokens = cache(now)
    tokens.put("a", ANN, tokens.begin())
    now[0] = 0.99
    assert tokens.get("a") == ANN
    now[0] = 1.0
    assert tokens.get("a") is None
    assert tokens.get("a") is None  # and it is gone, not kept expired


def test_an_unknown_token_is_not_remembered_and_replaces_an_older_reading() -> None:
    now = [0.0]
    tokens = cache(now)
    tokens.put("a", ANN, tokens.begin())
    tokens.put("a", None, tokens.begin())  # read again: revoked meanwhile
    assert tokens.get("a") is None


def test_forget_all_forgets_and_a_reading_begun_before_it_is_not_kept() -> None:
    now = [0.0]
    tokens = cache(now)
    tokens.put("a", ANN, tokens.begin())
    begun = tokens.begin()  # a database reading starts ...
    tokens.forget_all()  # ... a revocation lands meanwhile ...
    tokens.put("b", BOARD, begun)  # ... and its answer may predate the revocation
    assert tokens.get("a") is None and tokens.get("b") is None
    tokens.put("b", BOARD, tokens.begin())
    assert tokens.get("b") == BOARD


def test_when_full_the_oldest_reading_goes_first() -> None:
    now = [0.0]
    tokens = cache(now, max_entries=2)
    for key in ("a", "b", "c"):
        tokens.put(key, ANN, tokens.begin())
    assert [tokens.get(k) for k in ("a", "b", "c")] == [None, ANN, ANN]
