"""The outbound pacer's pure parts (C5): configuration, the abandon window, the measured
statistics and pace() itself. The law: a person-answered call not connected to an agent
within 2 s is abandoned; abandoned / answered by a person must stay at or under the cap."""

from __future__ import annotations

import math

import pytest

from cti.domain.config import ConfigError
from cti.domain.ids import Instant
from cti.domain.outbound.abandon_window import AbandonWindow, Attempt, Outcome, tally
from cti.domain.outbound.pacing import DialMode, PacingConfig
from cti.domain.outbound.pacing_stats import Durations, PacingStats
from cti.domain.outbound.predictive import Busy, Phase, Ringing, Snapshot, caution, pace

NOW = Instant(1_700_000_000.0)
DAY = 86_400.0


def _warm(person_rate: float = 0.3, wrap_up: tuple[float, float] = (15.0, 30.0)) -> PacingStats:
    """Statistics after a campaign's first thousand dials and three hundred calls."""
    stats = PacingStats()
    for n in range(1000):
        person = (n * 7919) % 1000 < person_rate * 1000
        seconds = 3.0 + (n * 7) % 17 if person else (25.0 if n % 4 else 3.0)
        stats = stats.after_attempt(person=person, seconds=seconds)
    low, high = wrap_up
    for n in range(300):
        stats = stats.after_call(
            talk=30.0 + (n * 37) % 240, wrap_up=low + (n % 10) * (high - low) / 10
        )
    return stats


STATS = _warm()


def _window(answered: int, abandoned: int, length: float = DAY) -> AbandonWindow:
    outcomes = [Outcome.ABANDONED] * abandoned + [Outcome.CONNECTED] * (answered - abandoned)
    return tally([Attempt(at=Instant(NOW - 600), outcome=o) for o in outcomes], NOW, length)


ROOMY = _window(3000, 0)  # a campaign far from the cap


def _snapshot(
    *,
    ready: int,
    logged_in: int = 20,
    talking: int = 0,
    wrapping: tuple[float, ...] = (),
    ringing: tuple[float, ...] = (),
    reserved: int = 0,
    waiting: int = 0,
) -> Snapshot:
    """`wrapping`: seconds each agent has been in wrap-up; `ringing`: seconds each unreserved
    call has rung; talking agents started a minute ago."""
    busy = [Busy(phase=Phase.TALK, since=Instant(NOW - 60)) for _ in range(talking)]
    busy += [Busy(phase=Phase.WRAP_UP, since=Instant(NOW - s)) for s in wrapping]
    calls = [Ringing(since=Instant(NOW - s)) for s in ringing]
    calls += [Ringing(since=Instant(NOW - 5), reserved=True) for _ in range(reserved)]
    return Snapshot(
        now=NOW,
        logged_in=logged_in,
        ready=ready,
        busy=tuple(busy),
        ringing=tuple(calls),
        waiting=waiting,
    )


def _predictive(snapshot: Snapshot, window: AbandonWindow = ROOMY, **config: float) -> int:
    decision = pace(snapshot, config=PacingConfig(**config), stats=STATS, window=window)  # type: ignore[arg-type]
    assert decision.mode is DialMode.PREDICTIVE
    return decision.dials


# --- configuration ------------------------------------------------------------------------


@pytest.mark.parametrize("cap", [0.0, 100.0, -1.0, 150.0, math.nan])
def test_a_cap_outside_zero_to_a_hundred_percent_is_refused(cap: float) -> None:
    with pytest.raises(ValueError, match=r"abandon_cap_pct must be in \(0, 100\) %"):
        PacingConfig(abandon_cap_pct=cap)


@pytest.mark.parametrize("window", [0.0, -3600.0, math.inf])
def test_a_window_that_is_not_positive_seconds_is_refused(window: float) -> None:
    with pytest.raises(ConfigError, match="window must be in \\(0, 2678400\\] s"):
        PacingConfig(window=window)
    with pytest.raises(ConfigError, match="window must be positive seconds"):
        AbandonWindow(length=window)


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("hold", -1.0, "hold must be 0-60 s"),
        ("max_lines_per_agent", 0.5, "max_lines_per_agent must be 1-50"),
        ("max_risk", 1.0, r"max_risk must be in \[0, 1\)"),
        ("careful_from", 1.0, r"careful_from must be in \[0, 1\)"),
        ("full_room", 0.0, "full_room must be 1-10000"),
    ],
)
def test_other_bad_settings_name_the_field(field: str, value: float, message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        PacingConfig(**{field: value})  # type: ignore[arg-type]


def test_a_snapshot_with_more_agents_than_logged_in_is_refused() -> None:
    with pytest.raises(ConfigError, match="within the logged-in agents"):
        _snapshot(ready=3, talking=3, logged_in=5)


# --- the abandon window -------------------------------------------------------------------


def test_the_window_counts_person_answers_and_abandons_only() -> None:
    window = AbandonWindow(length=DAY)
    for outcome in [Outcome.CONNECTED] * 3 + [Outcome.ABANDONED] + [Outcome.NO_PERSON] * 5:
        window = window.record(NOW, outcome)

    assert (window.answered, window.abandoned, window.rate) == (4, 1, 0.25)
    assert window.reached(0.25) and not window.reached(0.3)
    assert window.room(0.5) == 1.0
    assert AbandonWindow(length=DAY).rate == 0.0
    assert not AbandonWindow(length=DAY).reached(0.03)


def test_the_window_drops_outcomes_older_than_its_length() -> None:
    window = AbandonWindow(length=DAY)
    window = window.record(Instant(NOW - 25 * 3600), Outcome.ABANDONED)
    window = window.record(Instant(NOW - 3600), Outcome.CONNECTED)

    current = window.at(NOW)

    assert (current.answered, current.abandoned) == (1, 0)
    assert current.at(NOW) is current  # nothing more to drop
    assert window.at(Instant(NOW - 2 * 3600)).answered == 2


def test_recording_late_news_and_tallying_after_a_restart_agree() -> None:
    attempts = [
        Attempt(at=Instant(NOW - n * 977.0), outcome=list(Outcome)[n % 3]) for n in range(400)
    ]
    for length in (DAY, 30 * DAY):
        window = AbandonWindow(length=length)
        for attempt in attempts:  # newest first: every record is late news
            window = window.record(attempt.at, attempt.outcome)

        assert window.at(NOW) == tally(attempts, NOW, length)
    assert tally(attempts, NOW, DAY).answered < tally(attempts, NOW, 30 * DAY).answered


def test_tally_ignores_attempts_after_now() -> None:
    later = Attempt(at=Instant(NOW + 60), outcome=Outcome.ABANDONED)
    earlier = Attempt(at=Instant(NOW - 60), outcome=Outcome.CONNECTED)

    window = tally([later, earlier], NOW, DAY)

    assert (window.answered, window.abandoned) == (1, 0)


# --- measured statistics ------------------------------------------------------------------


def test_cold_start_uses_priors() -> None:
    stats = PacingStats()

    assert stats.person_rate == 0.25
    assert 2.0 < stats.answer_points[0] < stats.answer_points[1] < stats.answer_points[2] < 24.0
    assert stats.handle_mean == pytest.approx(150.0 + 20.0)


def test_statistics_follow_finished_dials_and_calls() -> None:
    assert STATS.person_rate == pytest.approx(0.3, abs=0.03)
    assert 3.0 <= STATS.answer_points[0] < STATS.answer_points[-1] <= 20.0
    assert STATS.wrap_up_median == pytest.approx(22.5, abs=2.0)
    assert STATS.handle_mean == pytest.approx(150.0 + 22.0, rel=0.1)


def test_durations_read_a_histogram() -> None:
    uniform = Durations(width=1.0, weights=tuple(1.0 if 3 <= i < 20 else 0.0 for i in range(60)))

    assert (uniform.cdf(-1.0), uniform.cdf(3.0), uniform.cdf(11.5), uniform.cdf(99.0)) == (
        0.0,
        0.0,
        0.5,
        1.0,
    )
    assert uniform.quantile(0.5) == pytest.approx(11.5)
    assert uniform.mean == pytest.approx(11.5)
    assert uniform.shortfall(20.0) == pytest.approx(8.5)  # E[max(0, 20 - d)]
    assert uniform.shortfall(100.0) == pytest.approx(88.5)


def test_durations_forget_old_observations() -> None:
    durations = Durations(width=1.0, weights=(0.0,) * 10, keep=0.5)
    for _ in range(60):  # the weight of the next observation outgrows 1e12: rescaled
        durations = durations.observed(2.5)
    for _ in range(10):
        durations = durations.observed(7.5)

    assert durations.unit < 1e12
    assert durations.cdf(7.0) < 0.01  # the old ones weigh nothing any more
    assert durations.observed(99.0).cdf(9.0) < 1.0  # too long: counted in the last bin


# --- pace: preview and progressive --------------------------------------------------------


def test_preview_never_dials() -> None:
    config = PacingConfig(mode=DialMode.PREVIEW)

    decision = pace(_snapshot(ready=5), config=config, stats=STATS, window=ROOMY)

    assert (decision.dials, decision.mode) == (0, DialMode.PREVIEW)


def test_progressive_dials_one_call_per_ready_agent_not_covered() -> None:
    config = PacingConfig(mode=DialMode.PROGRESSIVE)

    def dials(snapshot: Snapshot) -> int:
        return pace(snapshot, config=config, stats=STATS, window=ROOMY).dials

    assert dials(_snapshot(ready=4)) == 4
    assert dials(_snapshot(ready=4, reserved=3)) == 4  # their agents are not in `ready`
    assert dials(_snapshot(ready=4, ringing=(5.0,), waiting=1)) == 2  # these take 2 agents
    assert dials(_snapshot(ready=1, ringing=(5.0, 6.0))) == 0


def test_the_runaway_guard_caps_calls_ringing() -> None:
    snapshot = _snapshot(ready=6, logged_in=6, reserved=4)
    config = PacingConfig(mode=DialMode.PROGRESSIVE, max_lines_per_agent=1.0)

    decision = pace(snapshot, config=config, stats=STATS, window=ROOMY)

    assert (decision.dials, decision.guarded) == (2, True)
    snapshot = _snapshot(ready=10, logged_in=10, ringing=(1.0,) * 8)
    config = PacingConfig(max_lines_per_agent=1.0)
    predictive = pace(snapshot, config=config, stats=STATS, window=ROOMY)
    assert (predictive.dials, predictive.guarded) == (2, True)


# --- pace: predictive ---------------------------------------------------------------------


def test_a_new_campaign_starts_progressive() -> None:
    decision = pace(
        _snapshot(ready=5), config=PacingConfig(), stats=PacingStats(), window=_window(0, 0)
    )

    assert (decision.mode, decision.dials) == (DialMode.PROGRESSIVE, 5)


def test_predictive_dials_ahead_of_ready_agents_within_the_accepted_risk() -> None:
    snapshot = _snapshot(ready=8, talking=12)

    decision = pace(snapshot, config=PacingConfig(), stats=STATS, window=ROOMY)

    assert decision.mode is DialMode.PREDICTIVE
    assert decision.dials > 8  # more than one call per ready agent at a 30 % answer rate
    assert 0 < decision.risk <= decision.accepted == PacingConfig().max_risk
    assert decision.level > 1.0


def test_predictive_dials_for_agents_about_to_leave_wrap_up() -> None:
    about_done = _predictive(_snapshot(ready=0, talking=15, wrapping=(28.0,) * 5))
    halfway = _predictive(_snapshot(ready=0, talking=15, wrapping=(15.0,) * 5))
    just_begun = _predictive(_snapshot(ready=0, talking=15, wrapping=(0.0,) * 5))
    all_talking = _predictive(_snapshot(ready=0, talking=20))

    assert about_done > halfway > just_begun == all_talking == 0  # wrap-up lasts 15-30 s


def test_calls_already_ringing_or_held_leave_less_to_dial() -> None:
    quiet = _predictive(_snapshot(ready=8, talking=12))
    ringing = _predictive(_snapshot(ready=8, talking=12, ringing=(2.0, 4.0, 6.0, 8.0)))
    stale = _predictive(_snapshot(ready=8, talking=12, ringing=(100.0,)))
    held = _predictive(_snapshot(ready=0, talking=19, waiting=1))
    doomed = _predictive(_snapshot(ready=0, logged_in=1, waiting=1))

    assert quiet > ringing > 8
    assert stale == quiet  # it rang past every measured end: no answer to expect from it
    assert held == doomed == 0


def test_predictive_grows_careful_as_the_rate_nears_the_cap() -> None:
    snapshot = _snapshot(ready=5, talking=15)
    dials, accepted = [], []
    for abandoned in (0, 45, 60, 75, 85):  # of 3000: 0 %, 1.5 %, 2 %, 2.5 %, 2.83 %
        decision = pace(
            snapshot, config=PacingConfig(), stats=STATS, window=_window(3000, abandoned)
        )
        dials.append(decision.dials)
        accepted.append(decision.accepted)

    assert dials == sorted(dials, reverse=True) and dials[0] > dials[-1]
    assert accepted[0] == accepted[1] > accepted[2] > accepted[3] > accepted[4] > 0


def test_predictive_falls_back_to_progressive_at_the_cap() -> None:
    snapshot = _snapshot(ready=5, talking=15, ringing=(3.0,))
    for answered, abandoned in [(3000, 90), (2999, 89), (3000, 120)]:  # at, a call from, over
        window = _window(answered, abandoned)
        decision = pace(snapshot, config=PacingConfig(), stats=STATS, window=window)

        assert (decision.mode, decision.dials) == (DialMode.PROGRESSIVE, 4)
    last_room = pace(snapshot, config=PacingConfig(), stats=STATS, window=_window(3000, 89))
    assert last_room.mode is DialMode.PREDICTIVE  # one more abandon would be exactly 3 %


def test_caution_shrinks_with_the_rate_and_with_little_room() -> None:
    config = PacingConfig()  # cap 3 %, careful from 1.5 %, full risk from 10 abandons of room

    assert caution(_window(3000, 0), config) == 1.0
    assert caution(_window(3000, 45), config) == pytest.approx(1.0)
    assert caution(_window(3000, 67), config) == pytest.approx(0.5, abs=0.02)
    assert caution(_window(3000, 90), config) == 0.0
    assert caution(_window(200, 0), config) == pytest.approx(0.6)  # room for 6 abandons


def test_talking_agents_count_when_wrap_up_is_short() -> None:
    stats = _warm(wrap_up=(0.0, 2.0))
    config = PacingConfig()
    long_talks = Snapshot(
        now=NOW,
        logged_in=20,
        ready=0,
        busy=tuple(Busy(phase=Phase.TALK, since=Instant(NOW - 250)) for _ in range(20)),
    )
    past_all = Snapshot(
        now=NOW,
        logged_in=20,
        ready=0,
        busy=tuple(Busy(phase=Phase.TALK, since=Instant(NOW - 5000)) for _ in range(20)),
    )

    freeing = pace(long_talks, config=config, stats=stats, window=ROOMY)
    unknown = pace(past_all, config=config, stats=stats, window=ROOMY)

    assert freeing.dials > 0  # talks that long end within the answer delay, often
    assert unknown.dials == 0  # longer than any measured talk: no forecast, no dial


def test_the_connect_time_follows_measured_connects() -> None:
    """pacing_stats rule 4: a mean over recent connects; the prior is a rung phone's 1 s."""
    stats = PacingStats()
    assert stats.connect == 1.0
    for _ in range(200):
        stats = stats.after_connect(0.05)  # agents on a nailed-up line
    assert stats.connect == pytest.approx(0.05, abs=0.001)
    assert stats.after_connect(2.05).connect == pytest.approx(
        stats.connect + (2.05 - stats.connect) / 50
    )


def test_agents_freed_too_late_to_connect_within_the_hold_are_not_counted() -> None:
    """pacing_stats rule 4: the slower the connect, the fewer agents leaving wrap-up can
    take a held call in time, so the fewer calls are dialled ahead for them."""
    snapshot = _snapshot(ready=0, talking=10, wrapping=(14.0,) * 10)  # halfway through
    by_connect = {}
    for connect in (0.05, 1.0, 1.9):
        stats = STATS
        for _ in range(200):
            stats = stats.after_connect(connect)
        decided = pace(snapshot, config=PacingConfig(), stats=stats, window=ROOMY)
        by_connect[connect] = decided.dials
    assert by_connect[0.05] > by_connect[1.9]
    assert by_connect[0.05] >= by_connect[1.0] >= by_connect[1.9]
