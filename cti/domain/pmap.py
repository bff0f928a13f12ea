"""PMap: an immutable mapping whose updates copy only what they touch.

Rule 1: a PMap is never mutated; `updated` returns a new PMap sharing every bucket it did
not change. With 64 buckets an update to a 1,000-entry map copies about 16 entries and a
64-slot tuple instead of the whole map, which is what lets the core stay pure at
contact-centre scale (bench/core_decisions.py).
Rule 2: the same updates give the same iteration order in every process. Buckets are
chosen by a stable code of the key (CRC-32 of a string's UTF-8; ints as themselves; tuples
combined from their parts), never by `hash()`, which changes with PYTHONHASHSEED: so the
core emits its effects in the same order wherever it runs (issue 12, item 4). Within a
bucket entries keep insertion order. Keys are strings, ints or tuples of them.
Rule 3: a key's code is worked out once and remembered (up to CODES_KEPT keys, then all
forgotten at once): a decision looks up a dozen keys, most of them seen before.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from typing import Final, Generic, TypeVar
from zlib import crc32

K = TypeVar("K")
V = TypeVar("V")

BUCKETS: Final = 64
_EMPTY_BUCKETS: Final[tuple[dict[object, object], ...]] = tuple({} for _ in range(BUCKETS))


_CODES: dict[object, int] = {}  # keys' codes already worked out (they never change)
CODES_KEPT: Final = 1 << 16  # then forgotten all at once: channel ids come and go


def code(key: object) -> int:
    """A key's stable code (rule 2), worked out once per key while it is remembered."""
    known = _CODES.get(key)
    if known is None:
        if len(_CODES) >= CODES_KEPT:
            _CODES.clear()
        known = _CODES[key] = _code(key)
    return known


def _code(key: object) -> int:
    """A key's stable code (rule 2): the same in every process, unlike hash()."""
    if isinstance(key, str):
        return crc32(key.encode("utf-8", "surrogatepass"))
    if isinstance(key, int):
        return key
    if isinstance(key, tuple):
        combined = 0x345678
        for part in key:
            combined = (combined * 1_000_003 ^ _code(part)) & 0xFFFFFFFF
        return combined
    raise TypeError(f"a PMap key must be a str, an int or a tuple of them, not {key!r}")


class _Deleted:
    pass


DELETED: Final = _Deleted()


class PMap(Mapping[K, V], Generic[K, V]):
    __slots__ = ("_buckets", "_len")

    def __init__(self, items: Mapping[K, V] | Iterable[tuple[K, V]] = ()) -> None:
        pairs = items.items() if isinstance(items, Mapping) else items
        buckets: list[dict[K, V]] = [{} for _ in range(BUCKETS)]
        for key, value in pairs:
            buckets[code(key) % BUCKETS][key] = value
        self._buckets: tuple[dict[K, V], ...] = tuple(buckets)
        self._len = sum(len(b) for b in buckets)

    @classmethod
    def _of(cls, buckets: tuple[dict[K, V], ...], length: int) -> PMap[K, V]:
        made: PMap[K, V] = cls.__new__(cls)
        made._buckets, made._len = buckets, length
        return made

    def __getitem__(self, key: K) -> V:
        return self._buckets[code(key) % BUCKETS][key]

    def get(self, key: K, default: V | None = None) -> V | None:  # type: ignore[override]
        return self._buckets[code(key) % BUCKETS].get(key, default)

    def __contains__(self, key: object) -> bool:
        return key in self._buckets[code(key) % BUCKETS]

    def __iter__(self) -> Iterator[K]:
        for bucket in self._buckets:
            yield from bucket

    def __len__(self) -> int:
        return self._len

    def __repr__(self) -> str:
        return f"PMap({dict(self.items())!r})"

    def updated(self, changes: Mapping[K, V | _Deleted]) -> PMap[K, V]:
        """A new map with `changes` applied (DELETED removes a key)."""
        if not changes:
            return self
        buckets = list(self._buckets)
        copied: set[int] = set()
        length = self._len
        for key, value in changes.items():
            index = code(key) % BUCKETS
            if index not in copied:
                buckets[index] = dict(buckets[index])
                copied.add(index)
            bucket = buckets[index]
            had = key in bucket
            if isinstance(value, _Deleted):
                if had:
                    del bucket[key]
                    length -= 1
            else:
                bucket[key] = value
                length += 0 if had else 1
        return PMap._of(tuple(buckets), length)


def empty() -> PMap[K, V]:
    return PMap._of(_EMPTY_BUCKETS, 0)  # type: ignore[arg-type]


def put(mapping: Mapping[K, V], key: K, value: V) -> PMap[K, V]:
    """`mapping` with `key` set to `value`, as a PMap."""
    base = mapping if isinstance(mapping, PMap) else PMap(mapping)
    return base.updated({key: value})


def drop(mapping: Mapping[K, V], key: K) -> PMap[K, V]:
    """`mapping` without `key`, as a PMap."""
    base = mapping if isinstance(mapping, PMap) else PMap(mapping)
    return base.updated({key: DELETED})


def changed_keys(before: Mapping[K, V], after: Mapping[K, V]) -> set[K]:
    """Keys added, removed or given another value (by identity) between two maps; between
    two PMaps only the buckets an update copied are looked at (rule 1), so this is cheap
    after a few updates however large the maps."""
    if before is after:
        return set()
    if not (isinstance(before, PMap) and isinstance(after, PMap)):
        keys = set(before) | set(after)
        return {k for k in keys if before.get(k, DELETED) is not after.get(k, DELETED)}
    changed: set[K] = set()
    for old, new in zip(before._buckets, after._buckets, strict=True):
        if old is new:
            continue
        for key in old.keys() | new.keys():
            if old.get(key, DELETED) is not new.get(key, DELETED):
                changed.add(key)
    return changed
