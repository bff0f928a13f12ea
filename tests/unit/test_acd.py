"""decide() for queue entry, hang-up and resync: values in, values out, time handed in."""

from __future__ import annotations

from cti.domain.acd import GONE_MEMORY, AcdState, decide
from cti.domain.effects import CallWaiting, Ignored, QueueVisitEnded, ResyncApplied
from cti.domain.ids import CallId, ChannelId, Instant, QueueId
from cti.domain.inputs import CallerQueued, ChannelHungUp, Resynced, Tick
from cti.domain.queue import WaitingCall
from cti.domain.records import VisitOutcome


def queued(channel: str, at: float, queue: str = "support", priority: int = 0) -> CallerQueued:
    return CallerQueued(at=Instant(at), entry=waiting(channel, at, queue, priority))


def hung_up(channel: str, at: float) -> ChannelHungUp:
    return ChannelHungUp(at=Instant(at), channel=ChannelId(channel), cause=16)


def waiting(channel: str, at: float, queue: str = "support", priority: int = 0) -> WaitingCall:
    return WaitingCall(
        call=CallId(channel),
        channel=ChannelId(channel),
        queue=QueueId(queue),
        priority=priority,
        caller="555" + channel,
        entered_at=Instant(at),
    )


def run(*inputs: object, state: AcdState | None = None) -> tuple[AcdState, list[object]]:
    state = state or AcdState()
    effects: list[object] = []
    for item in inputs:
        decision = decide(state, item, Instant(getattr(item, "at", 0.0)))  # type: ignore[arg-type]
        state = decision.state
        effects.extend(decision.effects)
    return state, effects


def order(state: AcdState, queue: str = "support") -> list[str]:
    return [c.channel for c in state.waiting.in_queue(QueueId(queue))]


def test_callers_wait_in_order_of_entry() -> None:
    state, effects = run(queued("a", 10), queued("b", 11), queued("c", 12))

    assert order(state) == ["a", "b", "c"]
    assert [type(e) for e in effects] == [CallWaiting] * 3


def test_higher_priority_is_served_before_earlier_callers() -> None:
    state, _ = run(queued("a", 10), queued("b", 11), queued("vip", 12, priority=5))

    assert order(state) == ["vip", "a", "b"]


def test_equal_entry_times_are_broken_by_channel_id() -> None:
    state, _ = run(queued("b", 10), queued("a", 10))

    assert order(state) == ["a", "b"]


def test_hang_up_while_waiting_is_an_abandoned_visit_with_its_wait() -> None:
    state, effects = run(queued("a", 10), hung_up("a", 25.5))

    assert order(state) == []
    (visit,) = [e.visit for e in effects if isinstance(e, QueueVisitEnded)]
    assert visit.outcome is VisitOutcome.ABANDONED
    assert visit.wait_seconds == 15.5


def test_duplicate_entry_changes_nothing() -> None:
    state, _ = run(queued("a", 10))

    decision = decide(state, queued("a", 10), Instant(10))

    assert decision.state == state
    assert decision.effects == ()
    assert decision.notes == (Ignored(reason="duplicate entry of a"),)


def test_entry_replayed_after_hang_up_does_not_resurrect_the_caller() -> None:
    state, _ = run(queued("a", 10), hung_up("a", 12), queued("a", 10))

    assert order(state) == []


def test_hang_up_of_a_channel_not_waiting_is_ignored_but_remembered() -> None:
    state, effects = run(hung_up("x", 5))

    assert effects == []
    assert ChannelId("x") in state.gone


def test_entering_another_queue_ends_the_first_visit_as_moved() -> None:
    state, effects = run(queued("a", 10), queued("a", 20, queue="sales"))

    assert order(state, "sales") == ["a"] and order(state) == []
    ended = [e.visit for e in effects if isinstance(e, QueueVisitEnded)]
    assert [(v.queue, v.outcome, v.wait_seconds) for v in ended] == [
        ("support", VisitOutcome.MOVED, 10.0)
    ]


def test_resync_after_restart_adopts_waiting_callers_in_their_original_order() -> None:
    snapshot = Resynced(
        at=Instant(100), waiting=(waiting("c", 30), waiting("a", 10), waiting("b", 20))
    )

    state, effects = run(snapshot)

    assert order(state) == ["a", "b", "c"]
    assert effects[-1] == ResyncApplied(added=3, removed=0, changed=0)


def test_resync_drops_callers_gone_during_the_outage_as_lost() -> None:
    state, _ = run(queued("a", 10), queued("b", 11))

    state, effects = run(Resynced(at=Instant(50), waiting=(waiting("b", 11),)), state=state)

    assert order(state) == ["b"]
    lost = [e.visit for e in effects if isinstance(e, QueueVisitEnded)]
    assert [(v.channel, v.outcome, v.left_at) for v in lost] == [("a", VisitOutcome.LOST, 50)]
    assert effects[-1] == ResyncApplied(added=0, removed=1, changed=0)


def test_resync_counts_changed_callers() -> None:
    state, _ = run(queued("a", 10))

    _, effects = run(Resynced(at=Instant(50), waiting=(waiting("a", 10, priority=3),)), state=state)

    assert effects[-1] == ResyncApplied(added=0, removed=0, changed=1)


def test_resync_snapshot_older_than_a_hang_up_cannot_bring_the_caller_back() -> None:
    state, _ = run(queued("a", 10), hung_up("a", 40))

    state, _ = run(Resynced(at=Instant(39), waiting=(waiting("a", 10),)), state=state)

    assert order(state) == []


def test_identical_resync_is_no_correction() -> None:
    state, _ = run(queued("a", 10))

    state2, effects = run(Resynced(at=Instant(50), waiting=(waiting("a", 10),)), state=state)

    assert state2.waiting == state.waiting
    assert effects == [ResyncApplied(added=0, removed=0, changed=0)]


def test_gone_memory_is_bounded_and_keeps_the_latest() -> None:
    state, _ = run(*(hung_up(str(i), i) for i in range(2 * GONE_MEMORY + 10)))

    assert GONE_MEMORY <= len(state.gone) <= 2 * GONE_MEMORY
    latest = (ChannelId(str(i)) for i in range(GONE_MEMORY + 10, 2 * GONE_MEMORY + 10))
    assert all(channel in state.gone for channel in latest)
    assert ChannelId("0") not in state.gone


def test_tick_changes_nothing_and_no_deadline_is_pending() -> None:
    state, _ = run(queued("a", 10))

    assert decide(state, Tick(at=Instant(99)), Instant(99)).state == state
    assert state.next_deadline() is None


def test_a_queue_once_seen_stays_known_when_it_empties() -> None:
    state, _ = run(queued("a", 10, queue="sales"), hung_up("a", 11))

    assert state.known_queues == {QueueId("sales")}
    assert order(state, "sales") == []


def test_an_input_stamped_later_than_now_is_decided_at_now() -> None:
    # One timeline: `now` is the engine's clock; a frame whose time runs ahead of it (a
    # clock that jumped, a bad offset) cannot move a deadline past what has begun.
    state, _ = run(queued("a", 10))

    decision = decide(state, hung_up("a", 99), Instant(50))

    [visit] = [e.visit for e in decision.effects if isinstance(e, QueueVisitEnded)]
    assert (visit.left_at, visit.wait_seconds) == (50, 40.0)


def test_a_resync_that_finds_a_caller_a_moment_off_its_entry_changes_nothing() -> None:
    # The entry comes back from CTI_ENTERED, placed by a new estimate of the clock offset.
    state, _ = run(queued("a", 10))

    state2, effects = run(Resynced(at=Instant(50), waiting=(waiting("a", 10.003),)), state=state)

    assert state2.waiting == state.waiting
    assert effects == [ResyncApplied(added=0, removed=0, changed=0)]
