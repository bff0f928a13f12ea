"""End to end (issue 16, C9): a real Prometheus (Debian's package) scrapes a lab server
with traffic, `cti demo` (inbound callers, one agent who never answers, preview,
progressive and predictive campaigns), loading the repository's rules; then every query of
every dashboard panel and every rule's expression is run against it and returns data (no
empty panel, no query error), and Prometheus reports every rule healthy.

An alert's condition is empty while it does not fire, so for an alert what must return
data is each series it reads, and the condition must run without error. Five wrong PINs
for one agent make the sign-in guard's finding (P22), so the findings' panels have a rule
beside the demo's ring-limit misses.
"""

from __future__ import annotations

import asyncio
import math
import shutil
import signal
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import aiohttp
import pytest
import yaml

from cti.lab import instance
from tests import waiting
from tests.lab.conftest import unique_lab_name
from tests.lab.server import free_port
from tests.lab.test_demo import console_line, demo_running
from tests.observability import promql

pytestmark = pytest.mark.lab

TIMEOUT = aiohttp.ClientTimeout(total=10)


@asynccontextmanager
async def prometheus(workdir: Path, target: str) -> AsyncIterator[str]:
    """Prometheus scraping `target` (host:port) every second with the repository's rules;
    yields its base URL."""
    binary = shutil.which("prometheus")
    assert binary, "prometheus is missing: scripts/bootstrap.sh installs Debian's package"
    config = workdir / "prometheus.yml"
    config.write_text(
        yaml.safe_dump(
            {
                "global": {"scrape_interval": "1s", "evaluation_interval": "1s"},
                "rule_files": [str(promql.RULES)],
                "scrape_configs": [{"job_name": "cti", "static_configs": [{"targets": [target]}]}],
            }
        )
    )
    port = free_port()
    with (workdir / "prometheus.log").open("wb") as log:
        proc = await asyncio.create_subprocess_exec(
            binary,
            f"--config.file={config}",
            f"--storage.tsdb.path={workdir / 'tsdb'}",
            f"--web.listen-address=127.0.0.1:{port}",
            stdout=log,
            stderr=asyncio.subprocess.STDOUT,
        )
    base = f"http://127.0.0.1:{port}"
    try:
        async with aiohttp.ClientSession(timeout=TIMEOUT) as http:

            async def ready() -> bool:
                async with http.get(f"{base}/-/ready") as answer:
                    return answer.status == 200

            await waiting.eventually(
                ready,
                within=30,
                every=0.2,
                what="Prometheus ready",
                tolerate=(aiohttp.ClientError,),
            )
        yield base
    finally:
        proc.send_signal(signal.SIGTERM)
        async with asyncio.timeout(30):
            await proc.wait()


async def query(http: aiohttp.ClientSession, base: str, expr: str) -> list[dict[str, Any]]:
    async with http.get(f"{base}/api/v1/query", params={"query": expr}) as answer:
        body = await answer.json()
    assert body["status"] == "success", (expr, body)
    return list(body["data"]["result"])


def has_numbers(result: list[dict[str, Any]]) -> bool:
    """At least one sample that is a number (a quantile of no observations is NaN)."""
    return any(not math.isnan(float(r["value"][1])) for r in result)


async def wrong_pins(http: aiohttp.ClientSession, base: str, agent: str, times: int) -> None:
    for _ in range(times):
        body = {"pin": "000000", "device": agent}
        async with http.post(f"{base}/api/v1/agents/{agent}/login", json=body) as answer:
            assert answer.status == 401, await answer.text()


async def test_every_dashboard_panel_and_rule_returns_data_from_a_real_prometheus(
    tmp_path: Path,
) -> None:
    name, passed = unique_lab_name("promtest"), False
    try:
        async with demo_running(tmp_path, name, seconds=170) as proc:
            desk = await console_line(tmp_path, r"^Agent desktop: +http://(\S+)/desk +\(agent")
            server = desk[1]
            async with (
                prometheus(tmp_path, server) as base,
                aiohttp.ClientSession(timeout=TIMEOUT) as http,
            ):
                await wrong_pins(http, f"http://{server}", "1099", 5)
                panels = promql.dashboard_queries()
                rules = promql.rule_queries()
                data = [q for q in panels + rules if not q.alert]
                alerts = [q for q in rules if q.alert]
                assert len(data) > 40 and len(alerts) >= 10  # every panel and rule, not none

                async def still_empty() -> list[str]:
                    return [
                        q.where for q in data if not has_numbers(await query(http, base, q.expr))
                    ]

                async def all_answered() -> bool:
                    return not await still_empty()

                try:
                    await waiting.eventually(all_answered, within=120, every=2.0, what="data")
                except AssertionError:
                    pytest.fail(f"queries without data: {await still_empty()}")
                for alert in alerts:
                    await query(http, base, alert.expr)  # runs without error
                    for series in promql.series_names(alert.expr):
                        assert await query(http, base, series), f"{alert.where}: no {series}"
                async with http.get(f"{base}/api/v1/rules") as answer:
                    groups = (await answer.json())["data"]["groups"]
                evaluated = [r for g in groups for r in g["rules"]]
                assert len(evaluated) == len(promql.rules())
                sick = [(r["name"], r.get("lastError")) for r in evaluated if r["health"] != "ok"]
                assert sick == []
            proc.send_signal(signal.SIGINT)
        assert proc.returncode == 0
        passed = True
    finally:
        await asyncio.to_thread(instance.down, name, purge=passed)
