"""Commands: what agents, supervisors, admins and the shell ask of the core (imperative).

Rule 1: a command either changes state or is rejected with a reason (a `Rejected` note);
a rejected command changes nothing.
Rule 2: `by` names who asked ("agent:1001", "supervisor:ann", "system"), for the audit.
Rule 3: credentials are checked before a command is built; the core never sees a PIN.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from cti.domain.config import AcdConfig
from cti.domain.ids import AgentId, DeviceId, Instant, QueueId
from cti.domain.notice import Notice
from cti.domain.outbound.abandon_window import AbandonWindow
from cti.domain.outbound.campaign import CampaignConfig, CampaignId
from cti.domain.outbound.contact import Contact
from cti.domain.outbound.quiet import NumberQuiet
from cti.domain.records import Finding, Presence, SpyMode


@dataclass(frozen=True, slots=True, kw_only=True)
class LoadConfig:
    """Queues, agents and reasons, at start and after every admin change."""

    at: Instant
    config: AcdConfig
    by: str = "system"


@dataclass(frozen=True, slots=True, kw_only=True)
class RestoreLogins:
    """At start: the agents that were logged in when the server stopped, with their status
    (C1). They come back logged in since their original login, in a new state interval."""

    at: Instant
    logins: tuple[Presence, ...]
    by: str = "system"


@dataclass(frozen=True, slots=True, kw_only=True)
class LogIn:
    at: Instant
    agent: AgentId
    device: DeviceId
    address: str  # where the login came from (P3, P19)
    takeover: bool = False  # end the agent's other login instead of refusing (P3)
    by: str = ""


@dataclass(frozen=True, slots=True, kw_only=True)
class LogOut:
    at: Instant
    agent: AgentId
    by: str = ""


@dataclass(frozen=True, slots=True, kw_only=True)
class SetReady:
    at: Instant
    agent: AgentId
    by: str = ""


@dataclass(frozen=True, slots=True, kw_only=True)
class SetNotReady:
    at: Instant
    agent: AgentId
    reason: str
    by: str = ""


@dataclass(frozen=True, slots=True, kw_only=True)
class EndWrapUp:
    at: Instant
    agent: AgentId
    disposition: str | None = None
    by: str = ""


@dataclass(frozen=True, slots=True, kw_only=True)
class TransferToQueue:
    """Blind transfer of the agent's caller to a queue (P8)."""

    at: Instant
    agent: AgentId
    queue: QueueId
    by: str = ""


@dataclass(frozen=True, slots=True, kw_only=True)
class TransferToExtension:
    """Blind transfer of the agent's caller to an extension (P8)."""

    at: Instant
    agent: AgentId
    extension: str
    by: str = ""


@dataclass(frozen=True, slots=True, kw_only=True)
class TransferToSurvey:
    """The agent ends the call by sending the caller to the survey (P7; no P2 finding)."""

    at: Instant
    agent: AgentId
    by: str = ""


@dataclass(frozen=True, slots=True, kw_only=True)
class ConsultAgent:
    """Attended transfer, first step (P8): the caller holds while the agent rings
    another agent, who must be available."""

    at: Instant
    agent: AgentId
    target: AgentId
    by: str = ""


@dataclass(frozen=True, slots=True, kw_only=True)
class CompleteTransfer:
    """Attended transfer, last step (P8): the consulted agent, who answered, takes the
    caller; the consulting agent goes to wrap-up."""

    at: Instant
    agent: AgentId
    by: str = ""


@dataclass(frozen=True, slots=True, kw_only=True)
class CancelConsult:
    """The consulting agent takes the caller back; the consultation ends (P8)."""

    at: Instant
    agent: AgentId
    by: str = ""


@dataclass(frozen=True, slots=True, kw_only=True)
class HangUp:
    """The agent (or a supervisor) ends the agent's call from the desktop."""

    at: Instant
    agent: AgentId
    by: str = ""


@dataclass(frozen=True, slots=True, kw_only=True)
class RunCampaign:
    """The shell found the campaign running (issue 4): dial it, with this configuration.
    `window` is its abandon window rebuilt from stored attempts (abandon_window.tally); for a
    campaign the core runs already only the configuration is taken."""

    at: Instant
    config: CampaignConfig
    window: AbandonWindow
    by: str = "system"


@dataclass(frozen=True, slots=True, kw_only=True)
class HaltCampaign:
    """The campaign was paused or stopped: nothing new is dialled, calls in progress end."""

    at: Instant
    campaign: CampaignId
    by: str = "system"


@dataclass(frozen=True, slots=True, kw_only=True)
class FeedContacts:
    """Contacts the shell claimed for a running campaign (each DIALLING in the store), in
    the order to dial them; checked against the do-not-call list just before."""

    at: Instant
    campaign: CampaignId
    contacts: tuple[Contact, ...]
    by: str = "system"


@dataclass(frozen=True, slots=True, kw_only=True)
class BlockNumbers:
    """Numbers put on the do-not-call list: the core never dials them (it checks every
    dial against the list it holds), and claimed contacts with them go back."""

    at: Instant
    numbers: frozenset[str]
    by: str = "system"


@dataclass(frozen=True, slots=True, kw_only=True)
class QuietNumbers:
    """The book of quiet numbers rebuilt from the stored attempts (cti/domain/outbound/
    quiet.py rule 4): merged with what the core learnt since; entries older than the
    horizon are forgotten."""

    at: Instant
    numbers: Mapping[str, NumberQuiet]
    horizon: Instant


@dataclass(frozen=True, slots=True, kw_only=True)
class UnblockNumbers:
    """Numbers taken off the do-not-call list: they may be dialled again."""

    at: Instant
    numbers: frozenset[str]
    by: str = "system"


@dataclass(frozen=True, slots=True, kw_only=True)
class TallyContacts:
    """The shell counted the campaign's contacts pending or dialling in the store: with
    none left and nothing claimed or in flight, the core finishes the campaign."""

    at: Instant
    campaign: CampaignId
    left: int
    by: str = "system"


@dataclass(frozen=True, slots=True, kw_only=True)
class FlagOverdue:
    """Callbacks and follow-ups the shell found overdue in the store (P9, P18): the core
    raises one finding each (cti/domain/callback.py)."""

    at: Instant
    contacts: tuple[Contact, ...]
    by: str = "system"


@dataclass(frozen=True, slots=True, kw_only=True)
class FlagSignIns:
    """Sign-in protection started making a key wait (P3, P22): `failures` failed sign-ins
    in a row for the agent, or from the address when `agent` is None. The core raises a
    finding (cti/domain/signin.py rule 5)."""

    at: Instant
    agent: AgentId | None
    address: str
    failures: int
    by: str = "system"


@dataclass(frozen=True, slots=True, kw_only=True)
class PreviewNext:
    """Preview (P25): the agent takes the next contact of a preview campaign to look at;
    the agent is reserved for it until it is dialled or skipped."""

    at: Instant
    agent: AgentId
    campaign: CampaignId
    by: str = ""


@dataclass(frozen=True, slots=True, kw_only=True)
class PreviewDial:
    at: Instant
    agent: AgentId
    by: str = ""


@dataclass(frozen=True, slots=True, kw_only=True)
class PreviewSkip:
    at: Instant
    agent: AgentId
    by: str = ""


@dataclass(frozen=True, slots=True, kw_only=True)
class Monitor:
    """A supervisor listens to, whispers to or barges in on an agent's call (C8): their own
    device is called and spies on the agent's leg. Asked again for the same agent, it
    switches the mode of the running session."""

    at: Instant
    agent: AgentId
    supervisor: str
    device: DeviceId
    mode: SpyMode
    by: str = ""


@dataclass(frozen=True, slots=True, kw_only=True)
class EndMonitoring:
    """The supervisor's monitoring session ends (their leg is hung up)."""

    at: Instant
    supervisor: str
    by: str = ""


@dataclass(frozen=True, slots=True, kw_only=True)
class SetNotice:
    """P20: every new caller of the queue hears `prompt` before queueing."""

    at: Instant
    queue: QueueId
    prompt: str
    text: str = ""
    by: str = ""


@dataclass(frozen=True, slots=True, kw_only=True)
class ClearNotice:
    at: Instant
    queue: QueueId
    by: str = ""


@dataclass(frozen=True, slots=True, kw_only=True)
class RestoreNotices:
    """At start: the notices that were set when the server stopped (they stay set)."""

    at: Instant
    notices: tuple[Notice, ...]
    by: str = "system"


@dataclass(frozen=True, slots=True, kw_only=True)
class RequestBreak:
    """An agent asks to be not ready for `reason` longer than its limit (P5, breaks.py)."""

    at: Instant
    agent: AgentId
    reason: str
    seconds: float
    by: str = ""


@dataclass(frozen=True, slots=True, kw_only=True)
class DecideBreak:
    """A supervisor approves or refuses an agent's pending request (breaks.py rule 2)."""

    at: Instant
    agent: AgentId
    approve: bool
    by: str = ""


@dataclass(frozen=True, slots=True, kw_only=True)
class RaiseFindings:
    """Findings the shell's evaluators judged over records (issue 16: attendance against
    the schedule, cti/domain/compliance): the core raises each as it is, at its own
    instant, like the findings it judges itself. The shell hands each one once."""

    at: Instant
    findings: tuple[Finding, ...]
    by: str = "compliance"


Command = (
    LoadConfig
    | RestoreLogins
    | LogIn
    | LogOut
    | SetReady
    | SetNotReady
    | EndWrapUp
    | TransferToQueue
    | TransferToExtension
    | TransferToSurvey
    | ConsultAgent
    | CompleteTransfer
    | CancelConsult
    | HangUp
    | RunCampaign
    | HaltCampaign
    | FeedContacts
    | BlockNumbers
    | UnblockNumbers
    | QuietNumbers
    | TallyContacts
    | FlagOverdue
    | FlagSignIns
    | PreviewNext
    | PreviewDial
    | PreviewSkip
    | Monitor
    | EndMonitoring
    | SetNotice
    | ClearNotice
    | RestoreNotices
    | RaiseFindings
    | RequestBreak
    | DecideBreak
)
