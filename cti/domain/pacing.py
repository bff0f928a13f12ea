"""Outbound pacing's configuration: the dial modes and the settings of the law and the pacer.

The law (UK Ofcom persistent-misuse policy; US FTC Telemarketing Sales Rule 310.4(b)(4)):
a call answered by a person and not connected to an agent within 2 seconds of the
greeting is *abandoned*; abandoned / answered by a person, per campaign over a window
(24 hours, 30 days), must never exceed a cap (3 %). Hold, window and cap are configured
here; the window itself is cti/domain/abandon_window.py, the pacer that keeps under the
cap cti/domain/predictive.py. Which contact to dial, retries and attempt limits (P17) are
the campaign's, not this.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from enum import StrEnum

from cti.domain.config import ConfigError


class DialMode(StrEnum):
    PREVIEW = "preview"
    PROGRESSIVE = "progressive"
    PREDICTIVE = "predictive"


@dataclass(frozen=True, slots=True, kw_only=True)
class PacingConfig:
    mode: DialMode = DialMode.PREDICTIVE
    abandon_cap_pct: float = 3.0  # the law's cap, % of person-answered calls
    window: float = 86_400.0  # seconds the rate is measured over (24 h; 30 days 2_592_000)
    hold: float = 2.0  # seconds an answered person may wait for an agent (the law: 2)
    max_lines_per_agent: float = 3.0  # runaway guard: calls ringing per logged-in agent
    max_risk: float = 0.04  # rule 3: accepted risk of the next call, far from the cap
    careful_from: float = 0.5  # rule 2: share of the cap from which that risk shrinks
    full_room: float = 10.0  # rule 2: abandons of room needed for the full risk

    def __post_init__(self) -> None:
        cap, window = self.abandon_cap_pct, self.window
        require(0 < cap < 100, f"abandon_cap_pct must be in (0, 100) %, got {cap}")
        require(0 < window < math.inf, f"window must be positive seconds, got {window}")
        require(0 <= self.hold < math.inf, f"hold must be >= 0 seconds, got {self.hold}")
        lines = self.max_lines_per_agent
        require(1 <= lines < math.inf, f"max_lines_per_agent must be >= 1, got {lines}")
        require(0 <= self.max_risk < 1, f"max_risk must be in [0, 1), got {self.max_risk}")
        careful = self.careful_from
        require(0 <= careful < 1, f"careful_from must be in [0, 1), got {careful}")
        require(1 <= self.full_room < math.inf, f"full_room must be >= 1, got {self.full_room}")

    @property
    def abandon_cap(self) -> float:
        return self.abandon_cap_pct / 100


def require(ok: bool, message: str) -> None:
    if not ok:
        raise ConfigError(message)
