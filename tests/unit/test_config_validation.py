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
from cti.domain.ids import AgentId, QueueId

Q = QueueId("q")


@pytest.mark.parametrize(
    ("queue", "message"),
    [
        (QueueConfig(id=QueueId("")), "queue id '' is not a name"),
        (QueueConfig(id=QueueId("a/b")), "queue id 'a/b' is not a name"),
        (QueueConfig(id=Q, ring_limit=0), "queue q: ring_limit must be at least 1"),
        (QueueConfig(id=Q, ring_cadence=0), "queue q: ring_cadence must be positive"),
        (
            QueueConfig(id=Q, misses_before_not_ready=0),
            "queue q: misses_before_not_ready must be at least 1",
        ),
        (QueueConfig(id=Q, max_wrap_up=-1), "queue q: max_wrap_up must not be negative"),
        (
            QueueConfig(id=Q, disposition_required=True),
            "queue q: disposition_required needs disposition codes",
        ),
        (QueueConfig(id=Q, strategy=Strategy.SKILLS), "queue q: the skills strategy needs a skill"),
        (QueueConfig(id=Q, min_skill_level=-1), "queue q: min_skill_level must not be negative"),
        (QueueConfig(id=Q, widen_after=-1), "queue q: widen_after must not be negative"),
        (QueueConfig(id=Q, max_wait=-0.5), "queue q: max_wait must not be negative"),
        (
            QueueConfig(id=Q, overflow_after=10),
            "queue q: overflow_after and overflow_queue go together",
        ),
        (
            QueueConfig(id=Q, overflow_after=10, overflow_queue=Q),
            "queue q: cannot overflow to itself",
        ),
        (
            QueueConfig(id=Q, max_wait_action=MaxWaitAction.VOICEMAIL),
            "queue q: max_wait_action needs max_wait",
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
    )

    assert queue.validate() is queue
    assert queue.ring_seconds == 18.0


@pytest.mark.parametrize(
    ("agent", "message"),
    [
        (AgentProfile(id=AgentId("")), "agent id '' is not a name"),
        (
            AgentProfile(id=AgentId("1"), skills=MappingProxyType({"": 1})),
            "agent 1: empty skill name",
        ),
        (
            AgentProfile(id=AgentId("1"), skills=MappingProxyType({"x": 10})),
            "agent 1: skills.x must be 0-9",
        ),
        (
            AgentProfile(id=AgentId("1"), queues=MappingProxyType({Q: -1})),
            "agent 1: queues.q must not be negative",
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
        (NotReadyReason(code="x", max_seconds=0), "reason x: max_seconds must be positive"),
    ],
)
def test_a_reason_is_refused_by_field(reason: NotReadyReason, message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        reason.validate()


@pytest.mark.parametrize(
    ("config", "message"),
    [
        (
            AcdConfig(queues={Q: QueueConfig(id=Q, overflow_after=1, overflow_queue=QueueId("z"))}),
            "queue q: overflow queue z is not configured",
        ),
        (
            AcdConfig(
                agents={
                    AgentId("1"): AgentProfile(id=AgentId("1"), queues=MappingProxyType({Q: 0}))
                }
            ),
            "agent 1: queue q is not configured",
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
