"""Configuration: defaults, then the TOML file, then CTI_* variables (cti/settings.py)."""

from __future__ import annotations

from pathlib import Path

import pytest

from cti.settings import Settings, SettingsError, load


def test_defaults_run_the_embedded_setup() -> None:
    conf = load(None, environ={})

    assert conf == Settings()
    assert conf.database.url.startswith("sqlite+aiosqlite://")


def test_file_then_environment_and_the_environment_wins(tmp_path: Path) -> None:
    file = tmp_path / "cti.toml"
    file.write_text('[ami]\nhost = "10.0.0.5"\nport = 5039\n[http]\nport = 9000\n')

    conf = load(str(file), environ={"CTI_AMI_PORT": "6000", "CTI_LOG_FORMAT": "text"})

    assert (conf.ami.host, conf.ami.port) == ("10.0.0.5", 6000)
    assert conf.http.port == 9000 and conf.log.format == "text"


def test_config_path_may_come_from_the_environment(tmp_path: Path) -> None:
    file = tmp_path / "x.toml"
    file.write_text("[ami]\nping_interval = 0.5\n")

    assert load(None, environ={"CTI_CONFIG": str(file)}).ami.ping_interval == 0.5


@pytest.mark.parametrize(
    ("text", "environ", "message"),
    [
        ("[ami]\nprot = 1\n", {}, r"unknown setting\(s\) in \[ami\].*prot"),
        ("[ami]\nport = 'x'\n", {}, r"ami\.port: 'x' is not a valid int"),
        ("", {"CTI_HTTP_PORT": "eighty"}, r"CTI_HTTP_PORT: 'eighty' is not a valid int"),
        ("ami = 3\n", {}, r"\[ami\] .* must be a table"),
        ("[ami\n", {}, r"cannot read configuration"),
        ("[ami]\narm_slots = 9\n", {}, r"ami\.arm_slots: 9 is not within 0-8"),
        ("", {"CTI_AMI_ARM_SLOTS": "-1"}, r"ami\.arm_slots: -1 is not within 0-8"),
    ],
)
def test_bad_configuration_is_an_error_naming_the_setting(
    tmp_path: Path, text: str, environ: dict[str, str], message: str
) -> None:
    file = tmp_path / "cti.toml"
    file.write_text(text)

    with pytest.raises(SettingsError, match=message):
        load(str(file), environ=environ)


def test_the_centres_time_zone_is_utc_unless_set(tmp_path: Path) -> None:
    """centre.timezone (issue 14): the zone the wallboard's "today" is a day of."""
    file = tmp_path / "cti.toml"
    file.write_text('[centre]\ntimezone = "Asia/Shanghai"\n')

    assert load(None, environ={}).centre.zone().key == "UTC"
    assert load(str(file), environ={}).centre.timezone == "Asia/Shanghai"
    assert load(str(file), environ={"CTI_CENTRE_TIMEZONE": "Europe/London"}).centre.zone().key == (
        "Europe/London"
    )


@pytest.mark.parametrize("name", ["Mars/Olympus_Mons", "", "../../etc/passwd", "/etc/localtime"])
def test_a_time_zone_the_zone_database_does_not_know_is_refused(name: str) -> None:
    with pytest.raises(SettingsError, match=r"centre\.timezone: .* is not an IANA time zone"):
        load(None, environ={"CTI_CENTRE_TIMEZONE": name})


def test_the_softphones_come_from_the_file_and_the_secret_from_the_environment(
    tmp_path: Path,
) -> None:
    """softphone.* (issue 15): none by default; set, the devices as a list."""
    assert load(None, environ={}).softphone.phones() == []
    file = tmp_path / "cti.toml"
    file.write_text(
        '[softphone]\nwebsocket_url = "wss://pbx.example.com:8089/ws"\ndevices = "1901-1903,web1"\n'
    )
    secret = "s3cretS3cretS3cret"

    phones = load(str(file), environ={"CTI_SOFTPHONE_SECRET": secret}).softphone

    assert phones.phones() == ["1901", "1902", "1903", "web1"]
    assert (phones.websocket_url, phones.secret) == ("wss://pbx.example.com:8089/ws", secret)
    assert secret not in repr(phones)


@pytest.mark.parametrize(
    ("variables", "message"),
    [
        ({"CTI_SOFTPHONE_WEBSOCKET_URL": "http://pbx/ws"}, "is not ws:// or wss://"),
        ({"CTI_SOFTPHONE_DEVICES": "1905-1901"}, "runs backwards"),
        ({"CTI_SOFTPHONE_DEVICES": ""}, "no devices"),
        ({"CTI_SOFTPHONE_SECRET": "short"}, "16 to 200 letters or digits"),
        ({"CTI_SOFTPHONE_ICE_SERVERS": "http://stun"}, "is not a STUN or TURN URL"),
        ({"CTI_SOFTPHONE_ICE_SERVERS": "turn:t.example"}, "needs ice_username and ice_credential"),
    ],
)
def test_bad_softphone_settings_are_refused_at_load(
    variables: dict[str, str], message: str
) -> None:
    good = {
        "CTI_SOFTPHONE_WEBSOCKET_URL": "ws://127.0.0.1:8088/ws",
        "CTI_SOFTPHONE_DEVICES": "1901",
        "CTI_SOFTPHONE_SECRET": "s3cretS3cretS3cret",
    }
    with pytest.raises(SettingsError, match=message):
        load(None, environ=good | variables)
