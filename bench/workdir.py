"""A benchmark's run in a temporary directory of its own, within a time budget: the
directory is removed afterwards unless the run was asked to keep it (then it is named)."""

from __future__ import annotations

import asyncio
import shutil
import tempfile
from collections.abc import Awaitable, Callable
from pathlib import Path


async def in_workdir(
    prefix: str, budget_s: float, keep: bool, run: Callable[[Path], Awaitable[None]]
) -> None:
    workdir = Path(tempfile.mkdtemp(prefix=prefix))
    try:
        async with asyncio.timeout(budget_s):
            await run(workdir)
    finally:
        if keep:
            print(f"kept: the server's files in {workdir}")
        else:
            shutil.rmtree(workdir, ignore_errors=True)
