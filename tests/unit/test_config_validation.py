"""The validate() rules of cti.domain.config: each refusal names the field and why
(C2 routing, C3 rings, C4 wrap-up, P5 not-ready limits; policy numbers are configured)."""

from __future__ import annotations

from types import MappingProxyType

import pytest

from cti.domain.config import (
    AcdConfig,
    AgentProfile,
    ConfigError,
    MaxWaitAction,
    NotReadyReason,
    QueueConfig,
    Strategy,
)
from cti.domain.ids import PLAIN_NAME, QUEUE_NAME, AgentId, QueueId

Q = QueueId("q1")


@pytest.mark.parametrize(
    ("queue", "message"),
    [
        (QueueConfig(id=QueueId("")), f"queue: id '' must be {QUEUE_NAME.says}"),
        (QueueConfig(id=QueueId("a/b")), f"queue: id 'a/b' must be {QUEUE_NAME.says}"),
        (QueueConfig(id=QueueId("q")), f"queue: id 'q' must be {QUEUE_NAME.says}"),  # Redirect
        (QueueConfig(id=QueueId("été")), f"queue: id '\\xe9t\\xe9' must be {QUEUE_NAME.says}"),
        (
            QueueConfig(id=QueueId("x" * 81)),
            "queue: id 'xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx...' must be at most 80 characters",
        ),
        (QueueConfig(id=Q, ring_limit=10**20), "queue q1: ring_limit must be 1-50"),
        (QueueConfig(id=Q, ring_cadence=1e300), "queue q1: ring_cadence must be in (0, 60] s"),
        (
            QueueConfig(id=Q, ring_cadence=float("inf")),
            "queue q1: ring_cadence must be in (0, 60] s",
        ),
        (
            QueueConfig(id=Q, name="a\x00b"),
            "queue q1: name must not contain control characters (U+0000)",
        ),
        (
            QueueConfig(id=Q, name="a\nb"),
            "queue q1: name must not contain control characters (U+000A)",
        ),
        (
            QueueConfig(id=Q, name="\ud800"),
            "queue q1: name must not contain a lone surrogate (not Unicode text)",
        ),
        (
            QueueConfig(id=Q, dispositions=("ok", "x" * 201)),
            "queue q1: dispositions.1 must be at most 200 characters",
        ),
        (QueueConfig(id=Q, ring_limit=0), "queue q1: ring_limit must be 1-50"),
        (QueueConfig(id=Q, ring_cadence=0), "queue q1: ring_cadence must be in (0, 60] s"),
        (
            QueueConfig(id=Q, misses_before_not_ready=0),
            "queue q1: misses_before_not_ready must be 1-50",
        ),
        (QueueConfig(id=Q, max_wrap_up=-1), "queue q1: max_wrap_up must be 0-3600 s"),
        (
            QueueConfig(id=Q, disposition_required=True),
            "queue q1: disposition_required needs disposition codes",
        ),
        (
            QueueConfig(id=Q, strategy=Strategy.SKILLS),
            "queue q1: the skills strategy needs a skill",
        ),
        (QueueConfig(id=Q, min_skill_level=-1), "queue q1: min_skill_level must be 0-9"),
        (QueueConfig(id=Q, widen_after=-1), "queue q1: widen_after must be 0-86400 s"),
        (QueueConfig(id=Q, max_wait=-0.5), "queue q1: max_wait must be 0-86400 s"),
        (
            QueueConfig(id=Q, overflow_after=10),
            "queue q1: overflow_after and overflow_queue go together",
        ),
        (
            QueueConfig(id=Q, overflow_after=10, overflow_queue=Q),
            "queue q1: cannot overflow to itself",
        ),
        (
            QueueConfig(id=Q, max_wait_action=MaxWaitAction.VOICEMAIL),
            "queue q1: max_wait_action needs max_wait",
        ),
        # The wallboard's thresholds (issue 14): bounded, and warn before alert.
        (QueueConfig(id=Q, longest_wait_warn=-1), "queue q1: longest_wait_warn must be 0-86400 s"),
        (
            QueueConfig(id=Q, longest_wait_alert=1e9),
            "queue q1: longest_wait_alert must be 0-86400 s",
        ),
        (
            QueueConfig(id=Q, longest_wait_warn=90, longest_wait_alert=89.5),
            "queue q1: longest_wait_alert must be at least longest_wait_warn",
        ),
        (QueueConfig(id=Q, ready_agents_warn=-1), "queue q1: ready_agents_warn must be 0-10000"),
        (
            QueueConfig(id=Q, ready_agents_warn=2, ready_agents_alert=3),
            "queue q1: ready_agents_alert must be at most ready_agents_warn",
        ),
        (
            QueueConfig(id=Q, service_level_warn_pct=100.5),
            "queue q1: service_level_warn_pct must be 0-100 %",
        ),
        (
            QueueConfig(id=Q, service_level_warn_pct=80, service_level_alert_pct=85),
            "queue q1: service_level_alert_pct must be at most service_level_warn_pct",
        ),
        (
            QueueConfig(id=Q, not_ready_warn_pct=float("nan")),
            "queue q1: not_ready_warn_pct must be 0-100 %",
        ),
    ],
)
def test_a_queue_that_cannot_be_routed_by_is_refused_by_field(
    queue: QueueConfig, message: str
) -> None:
    with pytest.raises(ConfigError) as refused:
        queue.validate()

    assert str(refused.value) == message


def test_a_queue_with_every_option_set_consistently_is_valid() -> None:
    queue = QueueConfig(
        id=Q,
        strategy=Strategy.SKILLS,
        skill="french",
        dispositions=("sale",),
        disposition_required=True,
        overflow_after=30,
        overflow_queue=QueueId("other"),
        max_wait=600,
        max_wait_action=MaxWaitAction.CALLBACK,
        max_wrap_up=0,
        longest_wait_warn=45,
        longest_wait_alert=45,  # equal thresholds: the alert level wins (thresholds rule 4)
        ready_agents_warn=0,
        ready_agents_alert=0,
        service_level_warn_pct=80,
        service_level_alert_pct=80,
        not_ready_warn_pct=100,
    )

    assert queue.validate() is queue
    assert queue.ring_seconds == 18.0


@pytest.mark.parametrize(
    ("agent", "message"),
    [
        (AgentProfile(id=AgentId("")), f"agent: id '' must be {PLAIN_NAME.says}"),
        (AgentProfile(id=AgentId(" lead")), f"agent: id ' lead' must be {PLAIN_NAME.says}"),
        (AgentProfile(id=AgentId("\x00")), f"agent: id '\\x00' must be {PLAIN_NAME.says}"),
        (AgentProfile(id=AgentId("a^b")), f"agent: id 'a^b' must be {PLAIN_NAME.says}"),
        (
            AgentProfile(id=AgentId("1"), skills=MappingProxyType({"": 1})),
            "agent 1: skills key '' must not be empty",
        ),
        (
            AgentProfile(id=AgentId("1"), queues=MappingProxyType({QueueId("a'b"): 1})),
            f'agent 1: queues key "a\'b" must be {QUEUE_NAME.says}',
        ),
        (
            AgentProfile(id=AgentId("1"), queues=MappingProxyType({Q: 10**20})),
            "agent 1: queues.q1 must be 0-1000",
        ),
        (
            AgentProfile(id=AgentId("1"), skills=MappingProxyType({"x": 10})),
            "agent 1: skills.x must be 0-9",
        ),
        (
            AgentProfile(id=AgentId("1"), queues=MappingProxyType({Q: -1})),
            "agent 1: queues.q1 must be 0-1000",
        ),
    ],
)
def test_an_agent_profile_is_refused_by_field(agent: AgentProfile, message: str) -> None:
    with pytest.raises(ConfigError) as refused:
        agent.validate()

    assert str(refused.value) == message


@pytest.mark.parametrize(
    ("reason", "message"),
    [
        (NotReadyReason(code=" "), "not-ready reason with an empty code"),
        (
            NotReadyReason(code="x", max_seconds=0),
            r"reason x: max_seconds must be in \(0, 86400\] s",
        ),
    ],
)
def test_a_reason_is_refused_by_field(reason: NotReadyReason, message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        reason.validate()


@pytest.mark.parametrize(
    ("config", "message"),
    [
        (
            AcdConfig(
                queues={Q: QueueConfig(id=Q, overflow_after=1, overflow_queue=QueueId("z1"))}
            ),
            "queue q1: overflow queue z1 is not configured",
        ),
        (
            AcdConfig(
                agents={
                    AgentId("1"): AgentProfile(id=AgentId("1"), queues=MappingProxyType({Q: 0}))
                }
            ),
            "agent 1: queue q1 is not configured",
        ),
    ],
)
def test_a_configuration_refuses_references_to_missing_queues(
    config: AcdConfig, message: str
) -> None:
    with pytest.raises(ConfigError) as refused:
        config.validate()

    assert str(refused.value) == message


def test_an_unconfigured_queue_is_routed_with_the_defaults() -> None:
    assert AcdConfig().validate().queue(QueueId("new")) == QueueConfig(id=QueueId("new"))
