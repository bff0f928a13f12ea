"""PMap's diff (cti/domain/pmap.py changed_keys): what the live views send again."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from cti.domain.pmap import DELETED, PMap, changed_keys

KEYS = st.sampled_from([f"a{n}" for n in range(300)])
UPDATES = st.lists(
    st.dictionaries(KEYS, st.one_of(st.integers(0, 3), st.just("gone")), max_size=8), max_size=6
)


@given(start=st.dictionaries(KEYS, st.integers(0, 3)), updates=UPDATES)
def test_the_changed_keys_are_exactly_those_added_removed_or_replaced(
    start: dict[str, int], updates: list[dict[str, object]]
) -> None:
    before = PMap(start)
    after = before
    for update in updates:
        after = after.updated({k: DELETED if v == "gone" else v for k, v in update.items()})
    expected = {
        k for k in set(before) | set(after) if before.get(k, DELETED) is not after.get(k, DELETED)
    }

    assert changed_keys(before, after) == expected
    assert changed_keys(dict(before), dict(after)) == expected  # plain mappings: the same


def test_an_unchanged_map_has_no_changed_keys_and_one_update_changes_one() -> None:
    big = PMap({f"a{n}": n for n in range(10_000)})
    one = big.updated({"a5": -1})

    assert changed_keys(big, big) == set()
    assert changed_keys(big, one) == {"a5"}
