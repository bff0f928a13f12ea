"""Replay AMI streams recorded from the lab through the engine (reader, core, runner).

Three shapes: the output matches its golden file; every suffix replays without error
(attaching mid-stream); a duplicated event changes nothing. Regenerate goldens after an
intended change with UPDATE_GOLDEN=1.

A stream may have a `<name>.setup.json` beside it: the queues and agents configured before
it starts; each agent logs in on its own device (PJSIP/<id>) as soon as the stream shows
that device registered (the link is up, its resync having found nothing: the lab hangs
up every channel before recording); and the commands the server was given meanwhile (a consultation,
a campaign run and its contacts fed), each at its instant (tests/replay/rerecord.py).
Deadlines are honoured as the engine would: before each frame, every deadline and command
the stream's clock has passed is fed (deadlines as Ticks), and after the last frame every
deadline left comes due.
"""

from __future__ import annotations

import json
import math
import os
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pytest

from cti.ami.normalize import AmiReader
from cti.ami.resync import read_snapshot
from cti.api.shapes import CampaignBody
from cti.domain.acd import Decision
from cti.domain.commands import (
    Command,
    CompleteTransfer,
    ConsultAgent,
    FeedContacts,
    LoadConfig,
    LogIn,
    RunCampaign,
)
from cti.domain.config import AcdConfig, AgentProfile, QueueConfig
from cti.domain.effects import CallbackWanted, Instruction, Record
from cti.domain.ids import AgentId, DeviceId, Instant, QueueId
from cti.domain.inputs import Resynced, Tick
from cti.domain.outbound.abandon_window import AbandonWindow
from cti.domain.outbound.attempt import DialAttempt
from cti.domain.outbound.campaign import CampaignId, new_campaign
from cti.domain.outbound.contact import Contact, ContactStatus, id_of
from cti.domain.outbound.outbound_records import CampaignFinish, ContactsRelease, EndedAttempt
from cti.domain.records import (
    CallRecord,
    Finding,
    LoginSession,
    OfferRecord,
    Presence,
    QueueVisit,
)
from cti.engine.engine import Engine, RawFrame
from cti.engine.ports import LiveFeed
from cti.engine.runner import EffectRunner
from cti.schema.model import updated

HERE = Path(__file__).parent
STREAMS = sorted(p for p in (HERE / "fixtures").glob("*.jsonl") if not p.stem.startswith("core_"))


class ReplayClock:
    def __init__(self) -> None:
        self.at = Instant(0.0)

    def now(self) -> Instant:
        return self.at


class Recorder:
    def __init__(self) -> None:
        self.records: list[Record] = []
        self.done: list[Instruction] = []
        self.callbacks: list[CallbackWanted] = []
        self.malformed = 0

    def publish(self, decision: Decision) -> None:  # LiveFeed: what the dialer is asked
        self.callbacks += [e for e in decision.effects if isinstance(e, CallbackWanted)]

    @property
    def visits(self) -> list[QueueVisit]:
        return [r for r in self.records if isinstance(r, QueueVisit)]

    def put(self, record: Record) -> None:
        self.records.append(record)

    def perform(self, instruction: Instruction) -> None:
        self.done.append(instruction)

    def ami_event(self, name: str) -> None:
        pass

    def ami_malformed(self) -> None:
        self.malformed += 1

    def inbox_overflowed(self) -> None:
        raise AssertionError("no overflow in a replay")

    def decided(self, decision: Decision, *, lag: float) -> None:
        pass


def load(path: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in path.read_text().splitlines() if line.strip()]


def load_setup(fixture: Path) -> dict[str, Any]:
    sidecar = fixture.with_suffix(".setup.json")
    return json.loads(sidecar.read_text()) if sidecar.exists() else {}


def _config(setup: dict[str, Any]) -> AcdConfig:
    queues = {
        QueueId(name): QueueConfig(id=QueueId(name), **fields)
        for name, fields in setup.get("queues", {}).items()
    }
    agents = {
        AgentId(name): AgentProfile(id=AgentId(name), queues={QueueId(q): 0 for q in queues_})
        for name, queues_ in setup.get("agents", {}).items()
    }
    return AcdConfig(queues=queues, agents=agents).validate()


def _command(spec: dict[str, Any], queues: set[str]) -> Command:
    """A command the server was given, as the setup notes it (rerecord.py Take.command)."""
    at, kind = Instant(float(spec["at"])), spec["kind"]
    if kind == "consult":
        return ConsultAgent(at=at, agent=AgentId(spec["agent"]), target=AgentId(spec["target"]))
    if kind == "complete_transfer":
        return CompleteTransfer(at=at, agent=AgentId(spec["agent"]))
    campaign = CampaignId(spec["campaign"])
    if kind == "run_campaign":
        body = CampaignBody.model_validate_json(json.dumps(spec["body"]))  # as the API reads it
        config = updated(new_campaign(campaign, QueueId(spec["body"]["queue"])), body)
        assert config.queue in queues, config
        window = AbandonWindow(length=config.pacing.window)
        return RunCampaign(at=at, config=config, window=window)
    assert kind == "feed", spec
    contacts = tuple(
        Contact(
            id=id_of(campaign, number),
            campaign=campaign,
            number=number,
            timezone="UTC",
            status=ContactStatus.DIALLING,  # claimed: the dialer's rule 3
            claim=1,
        )
        for number in spec["numbers"]
    )
    return FeedContacts(at=at, campaign=campaign, contacts=contacts)


def replay(
    frames: list[dict[str, Any]],
    setup: dict[str, Any] | None = None,
    feeds: Sequence[LiveFeed] = (),
) -> tuple[Engine, Recorder]:
    clock, recorder = ReplayClock(), Recorder()
    engine = Engine(
        clock=clock,
        reader=AmiReader(),
        runner=EffectRunner(history=recorder, control=recorder, feeds=[recorder, *feeds]),
        observer=recorder,
        request_resync=lambda: None,
    )
    setup = setup or {}
    pending = {DeviceId(f"PJSIP/{a}"): AgentId(a) for a in setup.get("agents", {})}
    commands = [_command(c, set(setup.get("queues", {}))) for c in setup.get("commands", [])]
    if setup:
        engine.handle(LoadConfig(at=Instant(0.0), config=_config(setup)))
    if frames:  # the link is up, and its resync found nothing: the lab hung up every channel
        clock.at = Instant(float(frames[0].get("Timestamp", 0.0)))
        engine.handle(Resynced(at=clock.at, waiting=()))
    for headers in frames:
        clock.at = Instant(float(headers.get("Timestamp", clock.at)))
        _catch_up(engine, clock, commands)
        engine.handle(RawFrame(headers, clock.at))
        device = DeviceId(str(headers.get("Device", "")))
        if device in pending and headers.get("State") == "NOT_INUSE":
            agent = pending.pop(device)
            engine.handle(LogIn(at=clock.at, agent=agent, device=device, address="replay"))
    # Then time runs out: every deadline left (wrap-ups, offers) comes due.
    _catch_up(engine, clock, commands, until=math.inf)
    while (deadline := engine.state.next_deadline()) is not None:
        clock.at = max(clock.at, deadline)
        engine.handle(Tick(at=deadline))
    return engine, recorder


def _catch_up(
    engine: Engine, clock: ReplayClock, commands: list[Command], until: float | None = None
) -> None:
    """Every deadline and command due by the stream's clock (or `until`), in time order."""
    now = clock.at if until is None else until
    while True:
        deadline = engine.state.next_deadline()
        command = commands[0] if commands and commands[0].at <= now else None
        if deadline is not None and deadline <= now and (command is None or deadline < command.at):
            clock.at = max(clock.at, deadline)
            engine.handle(Tick(at=deadline))
        elif command is not None:
            clock.at = max(clock.at, command.at)
            engine.handle(commands.pop(0))
        else:
            return


def _line(record: Record) -> str:
    match record:
        case QueueVisit() as v:
            wait = f"wait={v.wait_seconds:.3f}"
            return f"visit {v.queue} {v.caller} prio={v.priority} {v.outcome} {wait}"
        case OfferRecord() as o:
            rang = "never rang" if o.ring_started_at is None else f"rings={o.rings}"
            return f"offer {o.queue} agent={o.agent} {rang} {o.outcome}"
        case CallRecord() as c:
            parts = " ".join(f"{s.kind}:{s.agent or '-'}:{s.seconds:.3f}" for s in c.segments)
            return (
                f"call {c.queue} {c.caller} answered={c.answered} abandoned={c.abandoned} "
                f"released_by={c.released_by} survey={c.survey_score} [{parts}]"
            )
        case Finding() as f:
            return f"finding {f.rule} agent={f.agent} measured={f.measured:.3f} limit={f.limit}"
        case LoginSession() as s:
            return f"login {s.agent} {s.device} {s.ended}"
        case Presence() as p:
            status = "ready" if p.ready else f"not ready {p.reason}"
            return f"presence {p.agent} {p.device or 'logged out'} {status}"
        case EndedAttempt(attempt=a, contact=c):
            return _attempt_line(a, c)
        case ContactsRelease() as r:
            return f"release {r.campaign} {' '.join(c.number for c in r.contacts)} {r.why}"
        case CampaignFinish() as f:
            return f"finish {f.campaign}"
        case _:
            return f"state {record.agent} {record.state} {record.reason or ''} {record.seconds:.3f}"


def _attempt_line(a: DialAttempt, contact: Contact | None) -> str:
    held = "" if a.connected_at is None else f" connect={a.connected_at - (a.answered_at or 0):.3f}"
    after = "-" if contact is None else f"{contact.status} attempts={contact.attempts}"
    ring = f"ring={a.ring_seconds:.3f}"
    return f"attempt {a.campaign} {a.number} agent={a.agent} {a.result} {ring}{held} {after}"


def render(engine: Engine, recorder: Recorder) -> str:
    lines = [_line(r) for r in recorder.records]
    lines += [f"do {type(i).__name__} {i.channel}" for i in recorder.done]
    lines += [f"callback {c.kind} {c.queue} {c.number} place={c.place}" for c in recorder.callbacks]
    for queue in engine.state.waiting.queues():
        callers = [c.caller for c in engine.state.waiting.in_queue(queue)]
        lines.append(f"waiting {queue}: {' '.join(callers)}")
    lines.append(f"malformed {recorder.malformed}")
    return "\n".join(lines) + "\n"


@pytest.mark.parametrize("fixture", STREAMS, ids=lambda p: p.stem)
def test_replay_matches_golden(fixture: Path) -> None:
    golden = HERE / "golden" / f"{fixture.stem}.txt"
    output = render(*replay(load(fixture), load_setup(fixture)))
    if os.environ.get("UPDATE_GOLDEN"):
        golden.parent.mkdir(exist_ok=True)
        golden.write_text(output)
    assert output == golden.read_text()


@pytest.mark.parametrize("fixture", STREAMS, ids=lambda p: p.stem)
def test_every_suffix_replays_without_error(fixture: Path) -> None:
    frames, setup = load(fixture), load_setup(fixture)
    for start in range(len(frames)):
        _, recorder = replay(frames[start:], setup)
        assert recorder.malformed == 0
        assert all(v.wait_seconds >= 0 for v in recorder.visits)


@pytest.mark.parametrize("fixture", STREAMS, ids=lambda p: p.stem)
def test_a_duplicated_event_changes_nothing(fixture: Path) -> None:
    frames, setup = load(fixture), load_setup(fixture)
    expected = render(*replay(frames, setup))
    for i in range(len(frames)):
        assert render(*replay(frames[: i + 1] + frames[i:], setup)) == expected


def test_resync_snapshot_recorded_from_the_lab_keeps_the_line_order() -> None:
    entries = load(HERE / "fixtures" / "core_show_channels_three_waiting.jsonl")
    malformed: list[int] = []

    snapshot = read_snapshot(entries, Instant(0), lambda: malformed.append(1))

    ordered = sorted(snapshot.waiting, key=lambda w: (-w.priority, w.entered_at))
    assert [w.caller for w in ordered] == ["5550303", "5550301", "5550302"]
    assert snapshot.at == 0 and malformed == []
