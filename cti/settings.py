"""Server configuration: defaults, then a TOML file, then CTI_* environment variables.

Rule 1: every setting has a default that runs the embedded setup (SQLite, no Redis).
Rule 2: the environment wins over the file: CTI_<SECTION>_<KEY>, e.g. CTI_AMI_PORT=5038.
Rule 3: a bad value is an error that names the setting and where it came from.
The keys are documented in README.md (Configuration).
"""

from __future__ import annotations

import os
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field, fields, replace
from pathlib import Path
from typing import Any, Final, TypeVar
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from cti.devices import parse_devices
from cti.domain.compliance.qa_sample import Rates
from cti.softphone import check_secret

ENV_PREFIX: Final = "CTI_"


class SettingsError(ValueError):
    pass


MAX_ARM_SLOTS: Final = 8


@dataclass(frozen=True, slots=True)
class AmiSettings:
    host: str = "127.0.0.1"
    port: int = 5038
    username: str = "cti"
    secret: str = ""
    action_timeout: float = 5.0
    ping_interval: float = 2.0
    max_missed_pings: int = 3
    max_backoff: float = 30.0
    outbound_dial: str = "PJSIP/{number}@trunk"  # how a campaign's number is dialled
    # Pre-armed routing (cti/domain/arming.py): offers armed per queue, at most the
    # dialplan's CTI_ARM_SLOTS; 0 routes every caller by the event path.
    arm_slots: int = 3  # 3 beat 2 at Poisson arrivals (README, Benchmarks)

    def __post_init__(self) -> None:
        if not 0 <= self.arm_slots <= MAX_ARM_SLOTS:
            raise SettingsError(
                f"ami.arm_slots: {self.arm_slots!r} is not within 0-{MAX_ARM_SLOTS}"
            )


SESSION_HOURS: Final = 12.0  # a supervisor's session in the pages, by default
SESSION_SECONDS: Final = SESSION_HOURS * 3600
SESSION_RANGE: Final = (0.25, 168.0)  # hours: a quarter of an hour to a week


@dataclass(frozen=True, slots=True)
class HttpSettings:
    host: str = "127.0.0.1"
    port: int = 8080
    session_hours: float = SESSION_HOURS

    def __post_init__(self) -> None:
        low, high = SESSION_RANGE
        if not low <= self.session_hours <= high:  # also refuses NaN
            raise SettingsError(
                f"http.session_hours: {self.session_hours!r} is not within {low}-{high} hours"
            )


@dataclass(frozen=True, slots=True)
class DatabaseSettings:
    url: str = "sqlite+aiosqlite:///cti.db"
    spool: str = "cti-history.spool"


@dataclass(frozen=True, slots=True)
class LogSettings:
    level: str = "INFO"
    format: str = "json"  # json | text
    file: str = ""  # empty: stderr


@dataclass(frozen=True, slots=True)
class CentreSettings:
    """The contact centre itself: the time zone its "today" is a day of (the wallboard's
    figures, cti/domain/today.py), an IANA name such as Europe/London."""

    timezone: str = "UTC"

    def __post_init__(self) -> None:
        self.zone()  # a name the zone database does not know is refused at load (rule 3)

    def zone(self) -> ZoneInfo:
        try:
            return ZoneInfo(self.timezone)
        except (ZoneInfoNotFoundError, ValueError) as exc:
            raise SettingsError(
                f"centre.timezone: {self.timezone!r} is not an IANA time zone "
                "(such as Europe/London or Asia/Shanghai)"
            ) from exc


@dataclass(frozen=True, slots=True)
class ComplianceSettings:
    """The auditor (issue 16): seconds between its rounds, in which schedules and logins
    are judged (a late login is a finding within one round), and schedule adherence's
    target and grace (P14)."""

    interval: float = 15.0
    adherence_target: float = 0.995  # P14
    adherence_grace: float = 60.0  # seconds forgiven after each scheduled change
    qa_rate: int = 2  # P11: calls sampled for QA per agent and week
    qa_rate_new: int = 4  # ... for an agent whose first login is within qa_new_days
    qa_new_days: float = 30.0
    qa_rate_low: int = 4  # ... for an agent whose mean score is below qa_low_score
    qa_low_score: float = 80.0

    def rates(self) -> Rates:
        return Rates(base=self.qa_rate, new=self.qa_rate_new, new_days=self.qa_new_days,
                     low=self.qa_rate_low, low_score=self.qa_low_score)  # fmt: skip

    def __post_init__(self) -> None:
        if not 0.1 <= self.interval <= 3600:
            raise SettingsError(f"compliance.interval: {self.interval} is not 0.1-3600 s")
        if not 0 < self.adherence_target <= 1:
            raise SettingsError(
                f"compliance.adherence_target: {self.adherence_target} is not in (0, 1]"
            )
        for name in ("qa_rate", "qa_rate_new", "qa_rate_low"):
            if not 0 <= getattr(self, name) <= 100:
                raise SettingsError(f"compliance.{name}: {getattr(self, name)} is not 0-100")
        if not 0 <= self.qa_new_days <= 3650 or not 0 <= self.qa_low_score <= 100:
            raise SettingsError("compliance.qa_new_days is 0-3650 days, qa_low_score 0-100")
        if not 0 <= self.adherence_grace <= 3600:
            raise SettingsError(
                f"compliance.adherence_grace: {self.adherence_grace} is not 0-3600 s"
            )


@dataclass(frozen=True, slots=True)
class RecordingSettings:
    """Call recording (issue 16, P11): where the server finds the files Asterisk's
    MixMonitor writes (its monitor directory, `astspooldir`/monitor, as this host sees
    it), and how many days a recording is kept before retention deletes it."""

    directory: str = "/var/spool/asterisk/monitor"
    retention_days: float = 90.0

    def __post_init__(self) -> None:
        if not self.directory:
            raise SettingsError("recording.directory: empty")
        if not 0 < self.retention_days <= 3650:
            raise SettingsError(
                f"recording.retention_days: {self.retention_days} is not in (0, 3650] days"
            )


@dataclass(frozen=True, slots=True)
class ServerSettings:
    """The running server that `cti admin`, `cti campaign` and `cti dnc` change things
    through (cti/cli/server.py): its base URL and an admin token; empty: the database."""

    url: str = ""
    token: str = ""


ICE_SCHEMES: Final = ("stun:", "stuns:", "turn:", "turns:")


@dataclass(frozen=True, slots=True)
class SoftphoneSettings:
    """The browsers' softphones of the agent desktop (issue 15): where they connect (SIP
    over WebSocket: ws:// on a loopback lab, wss:// anywhere else), which PJSIP devices
    they are (cti/devices.py lists, e.g. "1901-1904"), and the secret their passwords are
    derived from (cti/softphone.py; better in CTI_SOFTPHONE_SECRET than in the file).
    Empty websocket_url: the desktop offers no softphone. Across NAT, ice_servers lists the
    STUN and TURN servers the browsers use (space or comma separated `stun:`, `stuns:`,
    `turn:`, `turns:` URLs), a TURN server with ice_username and ice_credential."""

    websocket_url: str = ""
    devices: str = ""
    secret: str = field(default="", repr=False)
    ice_servers: str = ""
    ice_username: str = ""
    ice_credential: str = field(default="", repr=False)

    def __post_init__(self) -> None:
        if not self.websocket_url:
            return
        if not self.websocket_url.startswith(("ws://", "wss://")):
            raise SettingsError(
                f"softphone.websocket_url: {self.websocket_url!r} is not ws:// or wss://"
            )
        try:
            parse_devices(self.devices)
            check_secret(self.secret)
        except ValueError as exc:
            raise SettingsError(f"softphone: {exc}") from None
        for url in self.ice_urls():
            if not url.startswith(ICE_SCHEMES):
                raise SettingsError(f"softphone.ice_servers: {url!r} is not a STUN or TURN URL")
            if url.startswith("turn") and not (self.ice_username and self.ice_credential):
                raise SettingsError(
                    f"softphone.ice_servers: {url!r} needs ice_username and ice_credential"
                )

    def phones(self) -> list[str]:
        return parse_devices(self.devices) if self.websocket_url else []

    def ice_urls(self) -> list[str]:
        return self.ice_servers.replace(",", " ").split()


@dataclass(frozen=True, slots=True)
class Settings:
    ami: AmiSettings = field(default_factory=AmiSettings)
    http: HttpSettings = field(default_factory=HttpSettings)
    database: DatabaseSettings = field(default_factory=DatabaseSettings)
    log: LogSettings = field(default_factory=LogSettings)
    server: ServerSettings = field(default_factory=ServerSettings)
    centre: CentreSettings = field(default_factory=CentreSettings)
    softphone: SoftphoneSettings = field(default_factory=SoftphoneSettings)
    compliance: ComplianceSettings = field(default_factory=ComplianceSettings)
    recording: RecordingSettings = field(default_factory=RecordingSettings)


def load(path: str | None = None, environ: Mapping[str, str] | None = None) -> Settings:
    env = os.environ if environ is None else environ
    file = path or env.get(f"{ENV_PREFIX}CONFIG")
    data: dict[str, Any] = {}
    if file:
        try:
            data = tomllib.loads(Path(file).read_text())
        except (OSError, tomllib.TOMLDecodeError) as exc:
            raise SettingsError(f"cannot read configuration {file}: {exc}") from exc
    settings = Settings()
    for section in fields(Settings):
        current = getattr(settings, section.name)
        table = data.get(section.name, {})
        if not isinstance(table, dict):
            raise SettingsError(f"[{section.name}] in {file} must be a table")
        updated = _section(current, section.name, table, env, str(file))
        settings = replace(settings, **{section.name: updated})
    return settings


T = TypeVar("T")


def _section(current: T, name: str, table: dict[str, Any], env: Mapping[str, str], src: str) -> T:
    known = {f.name for f in fields(current)}  # type: ignore[arg-type]
    unknown = set(table) - known
    if unknown:
        raise SettingsError(
            f"unknown setting(s) in [{name}] of {src}: {', '.join(sorted(unknown))}"
        )
    changes: dict[str, Any] = {}
    for f in fields(current):  # type: ignore[arg-type]
        var = f"{ENV_PREFIX}{name}_{f.name}".upper()
        if var in env:
            changes[f.name] = _coerce(env[var], type(getattr(current, f.name)), var)
        elif f.name in table:
            changes[f.name] = _coerce(
                table[f.name], type(getattr(current, f.name)), f"{name}.{f.name}"
            )
    return replace(current, **changes)  # type: ignore[type-var]


def _coerce(value: object, kind: type, where: str) -> object:
    try:
        if kind is bool:
            return str(value).lower() in {"1", "true", "yes", "on"}
        return kind(value)
    except (TypeError, ValueError) as exc:
        raise SettingsError(f"{where}: {value!r} is not a valid {kind.__name__}") from exc
