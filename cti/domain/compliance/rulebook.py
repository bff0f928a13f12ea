"""The rulebook: every compliance rule the server judges, as data (issue 16, C6).

Rule 1: a rule has the id of the finding it raises (the requirement's, `P4.late`), a
title, what it checks, what its finding's measured value and limit are (the evidence), and
its parameters with the policies' defaults. Every Rule of cti.domain.records is in it.
Rule 2: who raises it: CORE rules are judged inline by the routing core as events arrive
(their limits are the queue's or the reason's settings, named in `configured_by`);
RECORDS rules are judged over records, live and over any past period, by this package's
evaluators (attendance.py), which the shell's auditor runs (cti/audit/auditor.py).
Rule 3: a parameter's value for an agent is the most specific one set: the agent's, else
its team's, else the centre's, else the rule's default. A parameter says which of these
scopes it takes.
Rule 4: an override names a known rule and parameter, a scope the parameter takes, and a
value within its bounds; otherwise SettingError, whose `field` names what is wrong
("P4.late.grace"), and nothing of the set is applied (`checked` checks them all first).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from enum import StrEnum
from types import MappingProxyType
from typing import Final

from cti.domain.ids import AgentId
from cti.domain.records import Rule
from cti.domain.setting import Bounds, SettingError

R = Rule


class Source(StrEnum):
    CORE = "core"  # judged inline by the routing core (rule 2)
    RECORDS = "records"  # judged over records by the evaluators


class Scope(StrEnum):
    CENTRE = "centre"
    TEAM = "team"
    AGENT = "agent"


ALL_SCOPES: Final = frozenset(Scope)


@dataclass(frozen=True, slots=True, kw_only=True)
class Param:
    name: str
    doc: str
    default: float
    bounds: Bounds
    scopes: frozenset[Scope] = ALL_SCOPES


@dataclass(frozen=True, slots=True, kw_only=True)
class RuleSpec:
    rule: Rule
    title: str
    checks: str  # what breaks it, in a sentence
    evidence: str  # what the finding's measured value and limit are
    source: Source
    params: tuple[Param, ...] = ()
    configured_by: str = ""  # CORE rules: the settings that set their limits

    @property
    def requirement(self) -> str:
        return self.rule.value.split(".", 1)[0]

    def param(self, name: str) -> Param | None:
        return next((p for p in self.params if p.name == name), None)


MINUTES: Final = Bounds(ge=0, le=24 * 3600, unit="s")


def _seconds(name: str, doc: str, default: float) -> Param:
    return Param(name=name, doc=doc, default=default, bounds=MINUTES)


def _core(rule: Rule, title: str, checks: str, evidence: str, configured_by: str = "") -> RuleSpec:
    return RuleSpec(
        rule=rule,
        title=title,
        checks=checks,
        evidence=evidence,
        source=Source.CORE,
        configured_by=configured_by,
    )


RULEBOOK: Final[Mapping[Rule, RuleSpec]] = MappingProxyType(
    {
        spec.rule: spec
        for spec in (
            _core(
                R.RING_LIMIT,
                "Ring limit missed",
                "an offer not answered within the queue's N rings",
                "measured: rings the phone was offered; limit: N",
                "queue ring_limit, ring_cadence",
            ),
            _core(
                R.AGENT_RELEASED_FIRST,
                "Agent released first",
                "the agent hung up an answered call before the caller",
                "measured: seconds of talk; limit: 0",
            ),
            _core(
                R.WRAP_UP_OVERRUN,
                "Wrap-up overrun",
                "wrap-up ended by the queue's maximum",
                "measured: seconds of wrap-up; limit: max_wrap_up",
                "queue max_wrap_up",
            ),
            _core(
                R.NOT_READY_OVERRUN,
                "Not ready too long",
                "not ready longer than the reason's own limit",
                "measured: seconds not ready; limit: the reason's max_seconds",
                "reason max_seconds",
            ),
            _core(
                R.SECOND_LOGIN,
                "Second login",
                "an agent logged in while already logged in elsewhere",
                "measured: 1 (the login); limit: 1",
            ),
            _core(
                R.CALLBACK_OVERDUE,
                "Callback overdue",
                "a promised callback not dialled by its due time",
                "measured: seconds past due; limit: 0",
            ),
            _core(
                R.FOLLOW_UP_OVERDUE,
                "Follow-up overdue",
                "a complaint's follow-up not done by its due time",
                "measured: seconds past due; limit: 0",
            ),
            _core(
                R.SIGNIN_FAILURES,
                "Sign-in failures",
                "failed sign-ins in a row made an agent or an address wait",
                "measured: failures in a row; limit: the failures allowed before a wait",
            ),
            _core(
                R.REPEAT_ABANDON,
                "Number abandoned again",
                "a number abandoned again inside its quiet period",
                "measured: seconds since its last abandon; limit: the quiet period",
                "the campaigns' quiet period (72 h)",
            ),
            _core(
                R.HOLD_MISSED,
                "Outbound hold missed",
                "an agent offered an answered outbound call missed the 2 s hold",
                "measured: seconds the phone was offered; limit: the hold",
                "campaign pacing hold",
            ),
            _core(
                R.URGENT_WAIT,
                "Urgent caller escalated",
                "an urgent caller (priority above 0) still waiting at the queue's urgent_wait",
                "measured: seconds waited since first entering; limit: urgent_wait",
                "queue urgent_wait",
            ),
            RuleSpec(
                rule=R.LATE,
                title="Late",
                checks="the first login of a scheduled duty came after its start plus the grace"
                " (P4: in by 08:25, late after 08:30)",
                evidence="measured: seconds after the duty's start; limit: the grace",
                source=Source.RECORDS,
                params=(_seconds("grace", "seconds after the start that are not late", 300),),
            ),
            RuleSpec(
                rule=R.ABSENT,
                title="Absent",
                checks="more than the threshold late, or left that much before the end,"
                " or never logged in (P4: more than an hour)",
                evidence="measured: seconds late or early (the duty's length if never in);"
                " limit: the threshold",
                source=Source.RECORDS,
                params=(_seconds("after", "seconds late or early that count as absent", 3600),),
            ),
            RuleSpec(
                rule=R.EARLY_LEAVE,
                title="Early leave",
                checks="the last logout of a duty came before its end less the grace"
                " (P4: not before 17:35)",
                evidence="measured: seconds before the duty's end; limit: the grace",
                source=Source.RECORDS,
                params=(_seconds("grace", "seconds before the end that are not early", 0),),
            ),
            RuleSpec(
                rule=R.AWAY,
                title="Away from the seat",
                checks="not ready (but for an approved longer break) or logged out between"
                " two logins, while scheduled on queue, longer than the limit (P5: 10 min)",
                evidence="measured: seconds away in one stretch; limit: the limit",
                source=Source.RECORDS,
                params=(_seconds("limit", "seconds away in one stretch that are allowed", 600),),
            ),
            RuleSpec(
                rule=R.MONITORING_QUOTA,
                title="Monitoring quota missed",
                checks="an agent who worked a week had fewer of its calls listened to,"
                " whispered, barged on or QA-evaluated than the quota (P11: 2 a week)",
                evidence="measured: distinct calls monitored or evaluated; limit: the quota",
                source=Source.RECORDS,
                params=(
                    Param(
                        name="calls",
                        doc="calls per agent and week",
                        default=2,
                        bounds=Bounds(ge=0, le=100, unit="calls"),
                        scopes=frozenset({Scope.CENTRE, Scope.TEAM, Scope.AGENT}),
                    ),
                ),
            ),
            RuleSpec(
                rule=R.LEFT_BEFORE_SUCCESSOR,
                title="Left before the successor",
                checks="the outgoing agent of a scheduled handover on a position logged out"
                " before the successor logged in (P12)",
                evidence="measured: seconds the position was left without either; limit: grace",
                source=Source.RECORDS,
                params=(_seconds("grace", "seconds of an empty position that are allowed", 0),),
            ),
        )
    }
)


def spec_of(rule: Rule) -> RuleSpec:
    return RULEBOOK[rule]


@dataclass(frozen=True, slots=True, kw_only=True)
class Override:
    """One parameter set for one scope: the centre (target ""), a team or an agent."""

    rule: Rule
    param: str
    scope: Scope
    target: str
    value: float


def check_override(override: Override) -> Override:
    """Rule 4: the override is one the rulebook takes, or SettingError naming the field."""
    spec = RULEBOOK.get(override.rule)
    where = f"{override.rule}.{override.param}"
    if spec is None:
        raise SettingError(f"{override.rule}: no such rule", "rule")
    param = spec.param(override.param)
    if param is None:
        known = ", ".join(p.name for p in spec.params) or "none"
        raise SettingError(f"{where}: no such parameter (it takes: {known})", where)
    if override.scope not in param.scopes:
        raise SettingError(f"{where}: cannot be set per {override.scope}", where)
    if (override.scope is Scope.CENTRE) != (override.target == ""):
        raise SettingError(f"{where}: a {override.scope} override names its target", where)
    if not param.bounds.allows(override.value):
        raise SettingError(f"{where} {param.bounds.reason()}", where)
    return override


@dataclass(frozen=True, slots=True)
class RuleSettings:
    """Every override in force (rule 3); built by `checked`."""

    overrides: tuple[Override, ...] = ()

    def value(self, rule: Rule, param: str, agent: AgentId, team: str = "") -> float:
        """Rule 3: the agent's, its team's, the centre's, else the default."""
        found = {
            (o.scope, o.target): o.value
            for o in self.overrides
            if (o.rule, o.param) == (rule, param)
        }
        for key in ((Scope.AGENT, agent), (Scope.TEAM, team), (Scope.CENTRE, "")):
            if key in found and (key[0] is not Scope.TEAM or team):
                return found[key]
        declared = spec_of(rule).param(param)
        if declared is None:
            raise KeyError(f"{rule}.{param}")
        return declared.default


def checked(overrides: Iterable[Override]) -> RuleSettings:
    """Rule 4: every override checked before any is taken; the last of one key stands."""
    latest: dict[tuple[Rule, str, Scope, str], Override] = {}
    for override in overrides:
        check_override(override)
        latest[override.rule, override.param, override.scope, override.target] = override
    return RuleSettings(tuple(latest.values()))
