"""Rendering the Asterisk templates (pure: no lab needed)."""

from __future__ import annotations

import pytest

from cti.lab.render import RenderError, devices_conf, parse_devices, render_files, render_text


def test_every_placeholder_in_code_is_filled() -> None:
    text = "bind = @@SIP_BIND@@:@@SIP_PORT@@\n"

    assert render_text(text, {"SIP_BIND": "127.0.0.1", "SIP_PORT": "15060"}, source="t") == (
        "bind = 127.0.0.1:15060\n"
    )


def test_unfilled_placeholders_are_named_with_their_file() -> None:
    templates = {"a.conf": "x = @@ONE@@\n", "b.conf": "y = @@TWO@@ @@ONE@@\n"}

    with pytest.raises(RenderError, match=r"a\.conf: no value for @@ONE@@.*b\.conf: .*@@TWO@@"):
        render_files(templates, {})


def test_placeholders_in_comments_are_left_as_written() -> None:
    text = "; every @@NAME@@ is filled\nport = @@PORT@@ ; not @@THIS@@\n"

    assert render_text(text, {"PORT": "1"}, source="t") == (
        "; every @@NAME@@ is filled\nport = 1 ; not @@THIS@@\n"
    )


def test_values_that_would_inject_configuration_are_refused() -> None:
    with pytest.raises(RenderError, match="@@SECRET@@"):
        render_files({"m.conf": "secret = @@SECRET@@\n"}, {"SECRET": "x\n[evil]"})


def test_devices_conf_has_an_endpoint_and_aor_per_device() -> None:
    assert devices_conf(["1001", "1002"]).splitlines()[1:] == [
        "[1001](agent-device)",
        "aors=1001",
        "[1001](agent-aor)",
        "[1002](agent-device)",
        "aors=1002",
        "[1002](agent-aor)",
    ]


def test_device_specs_mix_ranges_and_lists_without_duplicates() -> None:
    assert parse_devices("1001-1003, 1002,2001") == ["1001", "1002", "1003", "2001"]


@pytest.mark.parametrize("spec", ["", "1003-1001", "10 01", "[x]"])
def test_bad_device_specs_are_refused(spec: str) -> None:
    with pytest.raises(RenderError):
        parse_devices(spec)
