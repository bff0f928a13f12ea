"""Outbound pacing's configuration: the dial modes and the settings of the law and the pacer.

The law (UK Ofcom persistent-misuse policy; US FTC Telemarketing Sales Rule 310.4(b)(4)):
a call answered by a person and not connected to an agent within 2 seconds of the
greeting is *abandoned*; abandoned / answered by a person, per campaign over a window
(24 hours, 30 days), must never exceed a cap (3 %). Hold, window and cap are configured
here; the window itself is cti/domain/outbound/abandon_window.py, the pacer that keeps under the
cap cti/domain/outbound/predictive.py. Which contact to dial, retries and attempt limits (P17) are
the campaign's, not this.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum

from cti.domain.config import ConfigError
from cti.domain.setting import check, setting


class DialMode(StrEnum):
    PREVIEW = "preview"
    PROGRESSIVE = "progressive"
    PREDICTIVE = "predictive"


@dataclass(frozen=True, slots=True, kw_only=True)
class PacingConfig:
    """Checked when built (cti/domain/setting.py rule 2), so a pacer never sees a bad one."""

    mode: DialMode = field(default=DialMode.PREDICTIVE, metadata=setting("how calls are dialled"))
    abandon_cap_pct: float = field(
        default=3.0,
        metadata=setting("the law's cap, % of person-answered calls", gt=0, lt=100, unit="%"),
    )
    window: float = field(
        default=86_400.0,
        metadata=setting(
            "seconds the rate is measured over (24 h; 30 days 2592000)",
            gt=0,
            le=31 * 86_400,
            unit="s",
        ),
    )
    hold: float = field(
        default=2.0,
        metadata=setting(
            "seconds an answered person may wait for an agent (the law: 2)",
            ge=0,
            le=60,
            unit="s",
        ),
    )
    max_lines_per_agent: float = field(
        default=3.0,
        metadata=setting("runaway guard: calls ringing per logged-in agent", ge=1, le=50),
    )
    max_risk: float = field(
        default=0.04, metadata=setting("rule 3: accepted risk of the next call", ge=0, lt=1)
    )
    careful_from: float = field(
        default=0.5,
        metadata=setting("rule 2: share of the cap from which risk shrinks", ge=0, lt=1),
    )
    full_room: float = field(
        default=10.0,
        metadata=setting("rule 2: abandons of room for the full risk", ge=1, le=10_000),
    )

    def __post_init__(self) -> None:
        check(self, "pacing")

    @property
    def abandon_cap(self) -> float:
        return self.abandon_cap_pct / 100


def require(ok: bool, message: str) -> None:
    if not ok:
        raise ConfigError(message)
