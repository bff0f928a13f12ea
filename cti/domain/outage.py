"""The core's handling of outage notices (P20; the rules are in cti/domain/notice.py)."""

from __future__ import annotations

from cti.domain.commands import ClearNotice, RestoreNotices, SetNotice
from cti.domain.desk import CommandRefused
from cti.domain.effects import ApplyNotice, Ignored, NoticeChanged, NoticePlayed
from cti.domain.inputs import NoticeHeard
from cti.domain.notice import Notice, prompt_problem
from cti.domain.work import Work


def on_set(work: Work, command: SetNotice) -> None:
    if command.queue not in work.config.queues:
        raise CommandRefused(f"unknown queue {command.queue}", "not_found")
    problem = prompt_problem(command.prompt)
    if problem is not None:
        raise CommandRefused(f"prompt {command.prompt!r}: {problem}", "invalid")
    notice = Notice(
        queue=command.queue,
        prompt=command.prompt,
        text=command.text,
        by=command.by,
        since=work.at,
    )
    work.notices[command.queue] = notice
    work.emit(ApplyNotice(queue=command.queue, prompt=command.prompt))
    work.emit(NoticeChanged(queue=command.queue, notice=notice, at=work.at, by=command.by))


def on_clear(work: Work, command: ClearNotice) -> None:
    if command.queue not in work.notices:
        raise CommandRefused(f"queue {command.queue} has no outage notice", "conflict")
    work.notices.pop(command.queue)
    work.emit(ApplyNotice(queue=command.queue, prompt=None))
    work.emit(NoticeChanged(queue=command.queue, notice=None, at=work.at, by=command.by))


def on_restore(work: Work, command: RestoreNotices) -> None:
    for notice in command.notices:
        work.notices[notice.queue] = notice
        work.emit(ApplyNotice(queue=notice.queue, prompt=notice.prompt))


def on_resynced(work: Work) -> None:
    """Rule 2: Asterisk may have restarted and forgotten them."""
    for notice in work.notices.values():
        work.emit(ApplyNotice(queue=notice.queue, prompt=notice.prompt))


def on_heard(work: Work, event: NoticeHeard) -> None:
    if event.queue not in work.notices:  # cleared while the caller was on its way in
        work.notes.append(Ignored(reason=f"a notice heard in {event.queue}, which has none now"))
    work.emit(NoticePlayed(queue=event.queue, channel=event.channel, at=event.at))
