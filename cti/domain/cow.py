"""Copy-on-write views of the state's maps for building one decision.

Rule 1: the state's maps (PMap) are never mutated: writes collect in an overlay, and
`result()` applies them in one `updated` (copying only the buckets touched), or hands back
the base itself when nothing was written. So `decide` stays pure while a decision costs
only what it changes (1,000 agents, 500 callers).
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Generic, TypeVar

from cti.domain.pmap import DELETED, PMap, _Deleted

K = TypeVar("K")
V = TypeVar("V")


class Cow(Generic[K, V]):
    def __init__(self, base: Mapping[K, V]) -> None:
        self._base: PMap[K, V] = base if isinstance(base, PMap) else PMap(base)
        self._changes: dict[K, V | _Deleted] = {}

    def get(self, key: K) -> V | None:
        if key in self._changes:
            value = self._changes[key]
            return None if isinstance(value, _Deleted) else value
        return self._base.get(key)

    def __getitem__(self, key: K) -> V:
        value = self.get(key)
        if value is None:
            raise KeyError(key)
        return value

    def __contains__(self, key: object) -> bool:
        if key in self._changes:
            return not isinstance(self._changes[key], _Deleted)
        return key in self._base

    def __iter__(self) -> Iterator[K]:
        return iter(self.result())

    def __len__(self) -> int:
        return len(self.result())

    def values(self) -> list[V]:
        return list(self.result().values())

    def items(self) -> list[tuple[K, V]]:
        return list(self.result().items())

    def __setitem__(self, key: K, value: V) -> None:
        self._changes[key] = value

    def pop(self, key: K) -> V | None:
        value = self.get(key)
        if value is not None:
            self._changes[key] = DELETED
        return value

    def result(self) -> PMap[K, V]:
        if not self._changes:
            return self._base
        self._base = self._base.updated(self._changes)
        self._changes = {}
        return self._base
