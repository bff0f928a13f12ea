"""Rendering the Asterisk templates (pure: no lab needed)."""

from __future__ import annotations

import subprocess

import pytest

from cti.lab.instance import TEMPLATES
from cti.lab.render import (
    PLACEHOLDER,
    RenderError,
    devices_conf,
    parse_devices,
    render_files,
    render_text,
)
from cti.softphone import password


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


def test_a_browsers_softphone_has_a_webrtc_endpoint_with_its_password() -> None:
    secret = "0123456789abcdef"
    first, second = password(secret, "1901"), password(secret, "1902")
    assert devices_conf(["1001"], ["1901", "1902"], secret).splitlines()[4:11] == [
        "[1901](webrtc-device)",
        "aors=1901",
        "auth=1901",
        "[1901](webrtc-auth)",
        "username=1901",
        f"password={first}",
        "[1901](agent-aor)",
    ]
    assert len(first) == 32 and first != second  # one phone's tells nothing of another's
    # The docker route's entrypoint derives it with openssl: the same password.
    command = ["openssl", "dgst", "-sha256", "-hmac", secret]
    done = subprocess.run(command, input=b"1901", capture_output=True, check=True)
    assert done.stdout.decode().split()[-1][:32] == first
    for bad in ("", "short", "x" * 15, "0123456789abcdef;evil"):
        with pytest.raises(RenderError, match="secret"):
            devices_conf([], ["1901"], bad)


def test_a_device_both_an_agent_phone_and_a_browsers_softphone_is_refused() -> None:
    # Two sections of one name made Asterisk answer every device's REGISTER with 401.
    with pytest.raises(RenderError, match=r"\['1901'\]"):
        devices_conf(["1001", "1901"], ["1901", "1902"], "0123456789abcdef")


def test_device_specs_mix_ranges_and_lists_without_duplicates() -> None:
    assert parse_devices("1001-1003, 1002,2001") == ["1001", "1002", "1003", "2001"]


@pytest.mark.parametrize("spec", ["", "1003-1001", "10 01", "[x]"])
def test_bad_device_specs_are_refused(spec: str) -> None:
    with pytest.raises(RenderError):
        parse_devices(spec)


def test_the_docker_route_fills_every_placeholder_the_templates_use() -> None:
    """asterisk-config/docker/entrypoint.sh renders with sed, not with render_files: each
    placeholder of the templates' settings (comments aside) must be one it fills."""
    used = {
        name
        for template in TEMPLATES.glob("*.conf")
        for line in template.read_text().splitlines()
        for name in PLACEHOLDER.findall(line.split(";", 1)[0])
    }
    filled = set(PLACEHOLDER.findall((TEMPLATES / "docker" / "entrypoint.sh").read_text()))
    assert used and used <= filled, sorted(used - filled)
