"""Call recording (issue 16, P11): cti/domain/recording.py. A recorded queue names one
file per offer, hands it to Asterisk with the offer, and records a Recording when, and
only when, an agent answers; every agent who answers gets a file of its own."""

from __future__ import annotations

from cti.domain.commands import ConsultAgent
from cti.domain.effects import ConnectCall, RecordingStarted, StartConsult
from cti.domain.ids import AgentId, CallId, ChannelId, Instant, QueueId
from cti.domain.inputs import DialStatus, LineBridged
from cti.domain.recording import Recording, recording_file
from tests.unit.acd_kit import Acd, agent, config, queue
from tests.unit.test_nailed import line_up, lined


def recorded(**queue_kw: object) -> Acd:
    acd = Acd()
    acd.load(config([queue(record=True, **queue_kw)], [agent("1001"), agent("1002")]))  # type: ignore[arg-type]
    acd.log_in("1001")
    return acd


def test_the_file_is_named_by_the_offer_under_its_utc_day_and_safe_in_dialplan() -> None:
    at = Instant(1796416500.1234)  # 2026-12-04 21:15:00.123 UTC
    assert recording_file(CallId("1796416490.17"), at) == (
        "cti/2026/12/04/1796416490.17-1796416500123.wav"
    )
    unsafe = recording_file(CallId("a,b^c(d)/e f"), at)
    assert unsafe == "cti/2026/12/04/a_b_c_d__e_f-1796416500123.wav"


def test_an_answered_offer_of_a_recorded_queue_records_the_agents_part() -> None:
    acd = recorded()
    acd.caller("c1")
    [connect] = acd.of(ConnectCall)
    assert connect.recording == recording_file(CallId("c1"), acd.now)
    assert acd.of(RecordingStarted) == []  # ringing: nothing is recorded yet
    acd.advance(3)
    acd.answer("c1", "1001")
    assert [r.recording for r in acd.of(RecordingStarted)] == [
        Recording(
            file=connect.recording,
            call=CallId("c1"),
            agent=AgentId("1001"),
            queue=QueueId("support"),
            started_at=acd.now,
        )
    ]


def test_an_offer_not_answered_records_nothing_and_the_next_offer_has_its_own_file() -> None:
    acd = recorded()
    acd.log_in("1002")
    acd.caller("c1")
    first = acd.of(ConnectCall)[-1]
    acd.dial("c1", first.agent)
    acd.advance(2)
    acd.dial_end("c1", DialStatus.BUSY)
    acd.tick_to(10)
    second = acd.of(ConnectCall)[-1]
    assert second.agent != first.agent and second.recording not in (None, first.recording)
    acd.answer("c1", second.agent)
    assert [r.recording.file for r in acd.of(RecordingStarted)] == [second.recording]


def test_a_queue_that_does_not_record_sends_no_file_and_records_nothing() -> None:
    acd = Acd()
    acd.load(config([queue()], [agent("1001")]))
    acd.log_in("1001")
    acd.caller("c1")
    acd.answer("c1", "1001")
    assert [c.recording for c in acd.of(ConnectCall)] == [None]
    assert acd.of(RecordingStarted) == []


def test_the_consulted_agent_gets_a_file_of_its_own_from_its_answer() -> None:
    acd = recorded()
    acd.caller("c1")
    acd.answer("c1", "1001")
    acd.log_in("1002")
    acd.advance(30)
    acd.feed(ConsultAgent(at=acd.now, agent=AgentId("1001"), target=AgentId("1002")))
    [start] = acd.of(StartConsult)
    assert start.recording == recording_file(CallId("c1"), acd.now)
    consulting = ChannelId("c1-agent")
    acd.dial(consulting, "1002")
    acd.advance(4)
    acd.dial_end(consulting, DialStatus.ANSWER)
    files = [(r.recording.agent, r.recording.file) for r in acd.of(RecordingStarted)]
    assert files == [
        ("1001", acd.of(ConnectCall)[0].recording),
        ("1002", start.recording),
    ]


def test_a_caller_bridged_to_a_nailed_up_line_is_recorded_from_the_bridge() -> None:
    acd = lined()
    acd.load(config([queue("support", agent_line="nailed", record=True)], [agent("2001")]))
    line = line_up(acd)
    acd.caller("c1")
    [connect] = acd.of(ConnectCall)
    assert connect.line == line and connect.recording is not None
    acd.advance(0.005)
    acd.feed(LineBridged(at=acd.now, channel=ChannelId("c1"), agent=AgentId("2001"), line=line))
    [started] = acd.of(RecordingStarted)
    assert (started.recording.file, started.recording.started_at) == (connect.recording, acd.now)
