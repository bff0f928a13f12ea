"""The lab fixture: one real Asterisk per test session, torn down at the end.

A lab that cannot start fails the tests with the lab's own message (what to do), never
skips them: a skipped end-to-end suite looks green and proves nothing.
"""

from __future__ import annotations

import secrets
from collections.abc import Iterator

import pytest

from cti.lab import instance
from cti.lab.instance import LabInstance
from cti.lab.render import RenderError
from cti.lab.rootfs import LabError


def unique_lab_name(prefix: str) -> str:
    return f"{prefix}-{secrets.token_hex(4)}"


@pytest.fixture(scope="session")
def lab(request: pytest.FixtureRequest) -> Iterator[LabInstance]:
    name = unique_lab_name("pytest")
    try:
        started = instance.up(name, devices=instance.DEFAULT_DEVICES)
    except (LabError, RenderError) as exc:
        instance.down(name)
        pytest.fail(f"the lab did not start: {exc}", pytrace=False)
    yield started
    # Keep the instance's files (Asterisk's log, SIPp traces) when something failed.
    instance.down(name, purge=request.session.testsfailed == 0)
