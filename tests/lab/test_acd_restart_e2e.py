"""End to end, a server restart (C1): agents logged in when `cti serve` was killed are
logged in again when it comes back, with their status and their login, so their tokens
still work and calls are routed to them; an agent whose phone went away meanwhile is
not ready ("unavailable")."""

from __future__ import annotations

import pytest

from cti.lab.instance import LabInstance
from cti.lab.sipp import Softphone, place_call
from tests.lab.scenarios import acd_yaml, history_written, phones
from tests.lab.server import ServerProcess, eventually

pytestmark = pytest.mark.lab


async def test_logged_in_agents_are_taken_back_after_a_restart(
    lab: LabInstance, server: ServerProcess
) -> None:
    agents = {"1018": "support", "1019": "support", "1020": "support"}
    await server.configure(acd_yaml(agents, max_wrap_up=1))
    await server.start()
    async with phones(Softphone(lab, "1018", "answer"), Softphone(lab, "1019", "answer")):
        gone = Softphone(lab, "1020", "answer")
        await gone.start()
        token = await server.log_in("1018")
        other = await server.log_in("1019")
        await server.log_in("1020")
        await server.post("/api/v1/agents/1019/not-ready", {"reason": "break"}, token=other)
        _, before = await server.get("/api/v1/agents/1018")
        await eventually(lambda: history_written(server), within=10, what="history written")

        await server.kill()
        await gone.stop()  # 1020's phone unregisters while the server is down
        await server.start()

        status, again = await server.get("/api/v1/agents/1018", token=token)  # same token
        assert status == 200, again
        assert again["agent"]["state"] == "available"
        # The same login, to the microsecond the database keeps.
        assert again["agent"]["logged_in_at"] == pytest.approx(
            before["agent"]["logged_in_at"], abs=1e-6
        )
        assert again["agent"]["device"] == "PJSIP/1018"
        _, paused = await server.get("/api/v1/agents/1019")
        assert (paused["agent"]["state"], paused["agent"]["reason"]) == ("not_ready", "break")

        async def unavailable() -> bool:
            _, answer = await server.get("/api/v1/agents/1020")
            return bool(answer["agent"]["reason"] == "unavailable")

        await eventually(unavailable, within=10, what="1020 not ready: its phone is gone")

        restarted = server.events()
        async with restarted:
            call = place_call(lab, "support", "5551801", hangup_after_ms=3000)
            await restarted.wait(lambda t: len(t.calls()) == 1, within=20, what="a call after")
            assert await call.wait(within_s=10) == 0
        [record] = restarted.calls()
        talks = [s["agent"] for s in record["segments"] if s["kind"] == "talk"]
        assert talks == ["1018"]
