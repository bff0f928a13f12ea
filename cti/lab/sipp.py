"""SIPp softphones and callers against a lab instance, for tests and the demo (asyncio).

Rule 1: nothing here blocks the event loop; every wait has a timeout.
Rule 2: every SIPp runs in its own session and its PID is recorded in the instance's
sipp/ directory until it has exited, so `cti lab down` stops whatever a crashed test
left behind; stop and cancel kill the whole process group.
Rule 3: softphones use 127.0.0.2 and callers 127.0.0.1. Asterisk identifies endpoints by
IP before user name, and the trunk matches 127.0.0.1 (where callers come from), so a
REGISTER from 127.0.0.1 would be taken for the trunk's. The customers (one SIPp for all
of them) answer on 127.0.0.1 at the trunk's port, where the trunk's contact points.
Rule 4: SIPp's screen output is discarded and its working directory is the instance's
sipp-work/; traces (-trace_err, -trace_msg) go to a fresh temp directory only when asked.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import tempfile
from collections.abc import Generator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final, Literal

from cti.lab import process
from cti.lab.instance import REPO, LabInstance
from cti.lab.ports import is_free, pick_sipp_block

SCENARIOS: Final = REPO / "tests" / "sipp"
SOFTPHONE_IP: Final = "127.0.0.2"
CALLER_IP: Final = "127.0.0.1"
REGISTER_TIMEOUT_S: Final = 10.0
START_TIMEOUT_S: Final = 5.0
KILL_GRACE_S: Final = 2.0
QUIT_GRACE_S: Final = 5.0

# What a customer does, by the last digit of the number dialled (tests/sipp/customers.xml).
CustomerKind = Literal[
    "answer", "answer_hangup_first", "busy", "no_answer", "unavailable", "answer_after_ring"
]
CUSTOMER_DIGITS: Final[Mapping[CustomerKind, str]] = {
    "answer": "0",  # answers at once, waits for Asterisk's BYE
    "answer_hangup_first": "1",  # answers at once, hangs up after 2 s
    "busy": "2",  # 486 Busy Here
    "no_answer": "3",  # rings until cancelled
    "unavailable": "4",  # 503 Service Unavailable
    "answer_after_ring": "5",  # rings 1 s, answers, waits for Asterisk's BYE
}

Behaviour = Literal["answer", "answer_media", "answer_hangup_first", "no_answer", "busy"]
MEDIA_FILE: Final = "cti-sound.ulaw"  # agent_answer_media.xml streams it in a loop
MEDIA_SILENCE: Final = b"\xff" * 8000  # one second of mu-law silence at 8 kHz


class SippError(RuntimeError):
    """A SIPp run did not do what the lab asked of it."""


@dataclass(frozen=True, slots=True)
class _Run:
    lab: LabInstance
    trace_dir: Path | None

    def argv(
        self, scenario: str, port: int, local_ip: str, *extra: str, sip_port: int = 0
    ) -> list[str]:
        """SIPp's command line; port starts a SIPP_BLOCK (SIP there unless sip_port)."""
        argv = ["sipp", "-sf", str(SCENARIOS / scenario), "-i", local_ip, "-nostdin"]
        argv += ["-p", str(sip_port or port), "-cp", str(port + 1), "-mp", str(port + 2)]
        argv += extra
        if self.trace_dir is not None:
            argv += ["-trace_err", "-trace_msg"]
        return argv

    @property
    def workdir(self) -> Path:
        return self.trace_dir or self.lab.home / "sipp-work"

    async def spawn(self, argv: Sequence[str]) -> asyncio.subprocess.Process:
        workdir = self.workdir
        workdir.mkdir(parents=True, exist_ok=True)
        proc = await asyncio.create_subprocess_exec(
            *argv,
            stdin=asyncio.subprocess.DEVNULL,
            stdout=asyncio.subprocess.DEVNULL,
            stderr=asyncio.subprocess.DEVNULL,
            cwd=workdir,
            start_new_session=True,
        )
        process.record_pid(self.lab.sipp_pids, proc.pid)
        return proc

    async def run(self, argv: Sequence[str], within_s: float) -> int:
        """Run SIPp to its end; its exit status (0: every call passed). Killed on cancel."""
        proc = await self.spawn(argv)
        try:
            async with asyncio.timeout(within_s):
                return await proc.wait()
        except TimeoutError:
            raise SippError(f"SIPp ran over {within_s:.0f} s: {' '.join(argv)}") from None
        finally:
            await self.kill(proc)

    async def wait_listening(self, proc: asyncio.subprocess.Process, port: int, who: str) -> None:
        """Return once SIPp has bound its SIP port; SippError if it exits first."""
        async with asyncio.timeout(START_TIMEOUT_S):
            while is_free(port, tcp=False, udp=True):
                if proc.returncode is not None:
                    raise SippError(f"{who}: SIPp exited at start (status {proc.returncode})")
                await asyncio.sleep(0.02)

    async def kill(self, proc: asyncio.subprocess.Process) -> None:
        """Stop proc's process group: SIGTERM, then SIGKILL; forget its PID."""
        for sig in (signal.SIGTERM, signal.SIGKILL):
            if proc.returncode is not None:
                break
            with contextlib.suppress(ProcessLookupError):
                os.killpg(proc.pid, sig)
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(KILL_GRACE_S):
                    await proc.wait()
        process.forget_pid(self.lab.sipp_pids, proc.pid)


def _trace_dir(trace: bool, label: str) -> Path | None:
    return Path(tempfile.mkdtemp(prefix=f"cti-lab-sipp-{label}-")) if trace else None


class Softphone:
    """An agent's device: an answering SIPp (server mode) registered as `device`."""

    def __init__(
        self,
        lab: LabInstance,
        device: str,
        behaviour: Behaviour = "answer",
        *,
        ring_ms: int = 0,
        talk_ms: int = 5000,
        sound: bytes | None = None,
        trace: bool = False,
    ) -> None:
        """With `sound` (answer_media only) the phone streams it instead of silence; it then
        keeps its own directory, traced, as the file is read from SIPp's working directory."""
        if sound is not None and behaviour != "answer_media":
            raise ValueError("only an answer_media phone streams a sound")
        self.lab = lab
        self.device = device
        self.behaviour = behaviour
        self.ring_ms = ring_ms
        self.talk_ms = talk_ms
        self.sound = MEDIA_SILENCE if sound is None else sound
        self.port = 0
        self._run = _Run(lab, _trace_dir(trace or sound is not None, device))
        self._proc: asyncio.subprocess.Process | None = None

    @property
    def trace_dir(self) -> Path | None:
        return self._run.trace_dir

    async def start(self) -> None:
        """Start answering on a free port, then register the device's Contact there."""
        self.port = pick_sipp_block()
        if self.behaviour == "answer_media":
            self._run.workdir.mkdir(parents=True, exist_ok=True)
            (self._run.workdir / MEDIA_FILE).write_bytes(self.sound)
        self._proc = await self._run.spawn(self._answering_argv())
        try:
            await self._run.wait_listening(self._proc, self.port, f"softphone {self.device}")
            await self._register(expires=3600)
        except BaseException:
            await self._run.kill(self._proc)
            raise

    async def start_retrying(self, attempts: int = 3) -> None:
        """start(), again on failure: other labs on this host race for SIPp ports."""
        for attempt in range(1, attempts + 1):
            try:
                await self.start()
                return
            except SippError:
                if attempt == attempts:
                    raise

    async def stop(self) -> None:
        """Unregister (expires 0) and stop the answering SIPp; safe to repeat."""
        if self._proc is None:
            return
        proc, self._proc = self._proc, None
        try:
            # Unregistering from a stopped Asterisk would only time out.
            if process.is_alive(self.lab.pid, expect=self.lab.config_path):
                await self._register(expires=0)
        finally:
            await self._run.kill(proc)

    async def __aenter__(self) -> Softphone:
        await self.start()
        return self

    async def __aexit__(self, *_exc: object) -> None:
        await self.stop()

    def _answering_argv(self) -> list[str]:
        scenario, extra = {
            "answer": ("agent_answer.xml", ["-d", str(self.ring_ms)]),
            "answer_media": ("agent_answer_media.xml", ["-d", str(self.ring_ms)]),
            "answer_hangup_first": (
                "agent_answer_hangup_first.xml",
                ["-set", "talk_ms", str(self.talk_ms)],
            ),
            "no_answer": ("agent_no_answer.xml", []),
            "busy": ("agent_busy.xml", []),
        }[self.behaviour]
        return self._run.argv(scenario, self.port, SOFTPHONE_IP, *extra)

    async def _register(self, *, expires: int) -> None:
        keys = ["-key", "device", self.device, "-key", "uas_port", str(self.port)]
        keys += ["-key", "expires", str(expires), "-m", "1"]
        target = f"{self.lab.host}:{self.lab.ports.sip}"
        port = pick_sipp_block()
        argv = self._run.argv("agent_register.xml", port, SOFTPHONE_IP, target, *keys)
        status = await self._run.run(argv, REGISTER_TIMEOUT_S)
        if status != 0:
            what = "registration" if expires else "unregistration"
            raise SippError(f"softphone {self.device}: {what} failed (SIPp exit {status})")


def customer_number(kind: CustomerKind, serial: int = 0) -> str:
    """A number the customers answer as `kind` says; serial tells numbers apart."""
    return f"5559{serial:03d}{CUSTOMER_DIGITS[kind]}"


class Customers:
    """The customers behind the trunk: one SIPp on the trunk's port takes every call placed
    there, each as its number's last digit says (CUSTOMER_DIGITS)."""

    def __init__(
        self, lab: LabInstance, *, trace: bool = False, media_to: int | None = None
    ) -> None:
        """With `media_to` (a UDP port on CALLER_IP, e.g. an RtpEar's) every customer's
        answer offers that port for its media, so Asterisk sends the calls' audio there;
        the customers are then traced (the trace says which call had which media)."""
        self.lab = lab
        self.media_to = media_to
        self._run = _Run(lab, _trace_dir(trace or media_to is not None, "customers"))
        self._proc: asyncio.subprocess.Process | None = None

    @property
    def trace_dir(self) -> Path | None:
        return self._run.trace_dir

    async def start(self) -> None:
        """Start answering on the trunk's port; return once SIPp listens there."""
        port = self.lab.ports.trunk
        argv = self._run.argv(self._scenario(), pick_sipp_block(), CALLER_IP, sip_port=port)
        self._proc = await self._run.spawn(argv)
        try:
            await self._run.wait_listening(self._proc, port, f"customers of lab {self.lab.name}")
        except BaseException:
            await self._run.kill(self._proc)
            raise

    def _scenario(self) -> str:
        """customers.xml, or with media_to a copy of it whose SDP offers that port."""
        if self.media_to is None:
            return "customers.xml"
        text = (SCENARIOS / "customers.xml").read_text()
        own = "c=IN IP[media_ip_type] [media_ip]\nt=0 0\nm=audio [media_port] "
        if own not in text:
            raise SippError("customers.xml: no SDP offer of SIPp's own media to replace")
        text = text.replace(own, f"c=IN IP4 {CALLER_IP}\nt=0 0\nm=audio {self.media_to} ")
        copy = self._run.workdir / "customers_media_to.xml"
        copy.parent.mkdir(parents=True, exist_ok=True)
        copy.write_text(text)
        return str(copy)  # SCENARIOS / an absolute path is that path

    async def stop(self) -> int | None:
        """Let the calls in progress end, then stop; SIPp's exit status (0: every call
        passed, 1: some failed, 99: there were none) or None when it had to be killed."""
        if self._proc is None:
            return None
        proc, self._proc = self._proc, None
        # SIGUSR1: SIPp takes no new calls and exits once the open ones have ended.
        with contextlib.suppress(ProcessLookupError):
            proc.send_signal(signal.SIGUSR1)
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(QUIT_GRACE_S):
                await proc.wait()
        status = proc.returncode
        await self._run.kill(proc)
        return status

    async def __aenter__(self) -> Customers:
        await self.start()
        return self

    async def __aexit__(self, *_exc: object) -> None:
        await self.stop()


class CallHandle:
    """A caller in progress: await it for SIPp's exit status (0: the scenario passed)."""

    def __init__(self, task: asyncio.Task[int], trace_dir: Path | None) -> None:
        self._task = task
        self.trace_dir = trace_dir

    def __await__(self) -> Generator[Any, None, int]:
        return self._task.__await__()

    async def wait(self, within_s: float) -> int:
        async with asyncio.timeout(within_s):
            return await asyncio.shield(self._task)

    def cancel(self) -> None:
        """Hang the caller up by killing its SIPp (the task's cleanup does the killing)."""
        self._task.cancel()

    async def cancel_and_wait(self) -> None:
        self._task.cancel()
        with contextlib.suppress(asyncio.CancelledError, SippError):
            await self._task

    def done(self) -> bool:
        return self._task.done()


def place_call(
    lab: LabInstance,
    queue: str,
    caller: str,
    priority: int = 0,
    hangup_after_ms: int | None = None,
    *,
    survey_digit: int | None = None,
    media: bool = False,
    sound: bytes = MEDIA_SILENCE,
    timeout_s: float = 600.0,
    trace: bool = False,
) -> CallHandle:
    """Dial queue from the trunk. With hangup_after_ms the caller hangs up that long after
    the queue answered; without it, the caller waits for the far end's BYE. With
    survey_digit the caller keeps keying that digit by SIP INFO until the far end's BYE, so
    it answers the post-call survey once the agent has hung up (P7). With media (and
    hangup_after_ms) the caller streams `sound` (mu-law, in a loop; silence unless told) from
    the answer on, so the far end receives RTP."""
    run = _Run(lab, _trace_dir(trace, f"caller-{caller}"))
    keys = ["-s", queue, "-key", "caller", caller, "-key", "priority", str(priority), "-m", "1"]
    if survey_digit is not None:
        if hangup_after_ms is not None:
            raise ValueError("a caller answering the survey waits for the far end's BYE")
        scenario, keys = "caller_survey.xml", [*keys, "-key", "digit", str(survey_digit)]
    elif hangup_after_ms is None:
        scenario = "caller_wait_for_bye.xml"
    elif media:
        run.workdir.mkdir(parents=True, exist_ok=True)
        (run.workdir / MEDIA_FILE).write_bytes(sound)
        scenario, keys = "caller_media.xml", [*keys, "-d", str(hangup_after_ms)]
    else:
        scenario, keys = "caller_hangup_after.xml", [*keys, "-d", str(hangup_after_ms)]
    target = f"{lab.host}:{lab.ports.sip}"
    argv = run.argv(scenario, pick_sipp_block(), CALLER_IP, target, *keys)
    task = asyncio.create_task(run.run(argv, timeout_s), name=f"sipp-caller-{caller}")
    return CallHandle(task, run.trace_dir)
