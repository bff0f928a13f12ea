"""Repeated failures are logged by cti/logs.py rule 4: in full once, then a line on the
2nd, 4th, 8th... repeat, once more when they stop; another kind of failure is a new one."""

from __future__ import annotations

import logging

import pytest

from cti.logs import Repeats


def test_an_outage_of_twenty_rounds_leaves_a_few_lines(caplog: pytest.LogCaptureFixture) -> None:
    failures = Repeats(logging.getLogger("cti.test"), "round failed")
    with caplog.at_level(logging.INFO, logger="cti.test"):
        for _ in range(20):
            failures.failed(ConnectionRefusedError(111, "refused"))
        failures.succeeded()
        failures.succeeded()  # nothing to say twice
    lines = [(r.levelname, r.getMessage(), r.exc_info is not None) for r in caplog.records]
    refused = "ConnectionRefusedError(111, 'refused')"
    again = [
        ("WARNING", f"round failed, {n} times in a row: {refused}", False) for n in (2, 4, 8, 16)
    ]
    assert lines == [
        ("ERROR", "round failed", True),
        *again,
        ("INFO", "round failed: succeeds again after 20 failures", False),
    ]
    assert failures.count == 0


def test_another_kind_of_failure_is_logged_in_full(caplog: pytest.LogCaptureFixture) -> None:
    failures = Repeats(logging.getLogger("cti.test"), "round failed")
    with caplog.at_level(logging.INFO, logger="cti.test"):
        failures.failed(TimeoutError())
        failures.failed(KeyError("x"))
    assert [r.exc_info is not None for r in caplog.records] == [True, True]
    assert failures.count == 1
