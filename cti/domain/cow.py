"""Copy-on-write maps for building one decision.

Rule 1: the state's maps are never mutated: the first write copies, later writes go to
the copy, and `result()` hands back the base itself when nothing was written. This keeps
`decide` pure while a decision costs only what it changes (1,000 agents, 500 callers).
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Generic, TypeVar

K = TypeVar("K")
V = TypeVar("V")


class Cow(Generic[K, V]):
    def __init__(self, base: Mapping[K, V]) -> None:
        self._base = base
        self._own: dict[K, V] | None = None

    def _read(self) -> Mapping[K, V]:
        return self._base if self._own is None else self._own

    def _write(self) -> dict[K, V]:
        if self._own is None:
            self._own = dict(self._base)
        return self._own

    def get(self, key: K) -> V | None:
        return self._read().get(key)

    def __getitem__(self, key: K) -> V:
        return self._read()[key]

    def __contains__(self, key: object) -> bool:
        return key in self._read()

    def __iter__(self) -> Iterator[K]:
        return iter(self._read())

    def __len__(self) -> int:
        return len(self._read())

    def values(self) -> list[V]:
        return list(self._read().values())

    def items(self) -> list[tuple[K, V]]:
        return list(self._read().items())

    def __setitem__(self, key: K, value: V) -> None:
        self._write()[key] = value

    def pop(self, key: K) -> V | None:
        if key not in self._read():
            return None
        return self._write().pop(key)

    def result(self) -> Mapping[K, V]:
        return self._read()
