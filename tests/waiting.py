"""The one way tests wait: poll a check until it holds, within a bound, naming what failed.

Rule 1: `check` returns a value (or an awaitable of one); the first truthy value is
returned. Past `within` seconds the test fails with `what` and the last value seen.
Rule 2: errors listed in `tolerate` (a server still starting, a key not there yet) count
as "not yet"; any other error fails the test at once.
Rule 3: a test waits for the thing it asserts (an event, a counter, a state), never for a
fixed time after which it asserts that nothing happened.
"""

from __future__ import annotations

import asyncio
import inspect
from collections.abc import Awaitable, Callable
from typing import TypeVar, cast

T = TypeVar("T")


async def eventually(
    check: Callable[[], T | Awaitable[T]],
    *,
    within: float = 5.0,
    what: str = "",
    every: float = 0.01,
    tolerate: tuple[type[BaseException], ...] = (),
) -> T:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + within
    last: object = None
    while True:
        try:
            found = check()
            if inspect.isawaitable(found):
                found = await found
            last = found
            if found:
                return cast(T, found)
        except tolerate as exc:
            last = exc
        if loop.time() > deadline:
            raise AssertionError(f"not within {within} s: {what or check} (last: {last!r})")
        await asyncio.sleep(every)
