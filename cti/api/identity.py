"""An authenticated caller of the API, and the names of the tokens issued at agent login.

Rule 1: `by` is how commands record who asked ("agent:1001", "supervisor:ann") (P3 audit).
Rule 1a: supervisors and admins supervise: they see callers' numbers and act on any agent.
A viewer (a wall display, P22) watches the wallboard only: numbers masked, no action, no
history. An agent acts on itself and sees its own calls' numbers.
Rule 2: a token issued at login is named `login:<agent>:<login instant>`, so the token
itself says which login it belongs to (cti/api/auth.py, rule 3).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

from cti.domain.ids import AgentId, Instant
from cti.domain.state import AcdState
from cti.storage.tokens import Role

LOGIN_PREFIX: Final = "login:"
LOGIN_PRECISION: Final = 1e-6  # seconds: how exactly a stored login instant comes back
SUPERVISING: Final = (Role.SUPERVISOR, Role.ADMIN)  # rule 1a: the floor's managers


@dataclass(frozen=True, slots=True, kw_only=True)
class Identity:
    role: Role
    name: str
    agent: AgentId | None = None
    login: Instant | None = None  # the login an agent token was issued for
    expires_at: Instant | None = None  # a session's end (cti/api/session.py)

    @property
    def by(self) -> str:
        """Who asked, as commands record it."""
        if self.role is Role.AGENT and self.agent is not None:
            return f"agent:{self.agent}"
        return f"{self.role.value}:{self.name}"

    @property
    def supervises(self) -> bool:
        """Rule 1a: a supervisor or an admin."""
        return self.role in SUPERVISING

    @property
    def watches(self) -> bool:
        """Rule 1a: gets the wallboard (a supervisor, an admin or a viewer)."""
        return self.role is not Role.AGENT

    @property
    def sees_numbers(self) -> bool:
        """Supervisors and admins see callers' numbers everywhere (P22)."""
        return self.supervises

    def may_act_on(self, agent: AgentId) -> bool:
        return self.supervises or (self.role is Role.AGENT and self.agent == agent)


def login_token_name(agent: AgentId, login: Instant) -> str:
    return f"{LOGIN_PREFIX}{agent}:{float(login)!r}"


def login_of(name: str) -> Instant | None:
    """The login instant a token name carries; None for tokens not issued at login."""
    if not name.startswith(LOGIN_PREFIX):
        return None
    _, _, stamp = name.rpartition(":")
    try:
        return Instant(float(stamp))
    except ValueError:
        return None


def login_current(identity: Identity, state: AcdState) -> bool:
    """False for a token issued at a login that has since ended (logout, takeover)."""
    if identity.login is None or identity.agent is None:
        return True
    live = state.agents.get(identity.agent)
    # A login taken back after a restart (C1) was stored with microsecond precision, so
    # its instant may differ from the token's by less than that; two logins of one agent
    # are never that close.
    return live is not None and abs(live.logged_in_at - identity.login) < LOGIN_PRECISION
