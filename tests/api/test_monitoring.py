"""Listen, whisper and barge through the API (C8), the sessions recorded and the weekly
quota (P11): roles, the device, the core's refusals as statuses, the store and the metric.
Asterisk's side (the Originate, ChanSpyStart/Stop) is fed to the engine as the AMI adapter
would; tests/lab/test_monitoring_e2e.py runs it against a real Asterisk."""

from __future__ import annotations

from typing import Any

from cti.domain.effects import HangUpChannel, SpyOnCall, SwitchSpy
from cti.domain.ids import ChannelId
from cti.domain.inputs import OriginateEnded, SpyStarted, SpyStopped
from cti.domain.records import SpyMode
from tests.api.harness import Api
from tests.waiting import eventually

SUP = "PJSIP/2001"


async def _talking(api: Api) -> None:
    await api.log_in("1001")
    api.register(SUP)
    api.caller_queued("c1", "+15550001")
    await api.until_state("1001", "offered")
    api.answered("c1", "1001")
    await api.until_state("1001", "on_call")


async def _spy(api: Api) -> SpyOnCall:
    async def asked() -> bool:
        return bool(api.control.of(SpyOnCall))

    await eventually(asked, what="the spy's Originate")
    return api.control.of(SpyOnCall)[-1]


def _submit_started(api: Api, channel: ChannelId) -> None:
    api.engine.submit(OriginateEnded(at=api.now(), channel=channel, answered=True, reason=4))
    api.engine.submit(SpyStarted(at=api.now(), channel=channel, target=ChannelId("c1-agent")))


async def _monitor(api: Api, mode: str, token: str | None = None, **extra: Any) -> tuple[int, Any]:
    body = {"agent": "1001", "mode": mode, "device": "2001", **extra}
    return await api.call("POST", "/api/v1/monitoring", token or api.supervisor, body=body)


async def test_listen_then_whisper_then_end_records_two_sessions_and_counts_the_call(
    api: Api,
) -> None:
    await _talking(api)
    status, answer = await _monitor(api, "listen")
    assert status == 200, answer
    assert answer["monitoring"]["state"] == "calling"
    assert answer["monitoring"]["supervisor"] == "sue"
    spy = await _spy(api)
    assert (spy.device, spy.target, spy.mode) == (SUP, "c1-agent", SpyMode.LISTEN)
    _submit_started(api, spy.channel)
    api.clock.advance(30)

    status, answer = await _monitor(api, "whisper")
    assert status == 200, answer
    assert (answer["monitoring"]["state"], answer["monitoring"]["mode"]) == ("spying", "whisper")
    assert api.control.of(SwitchSpy)[-1].mode is SpyMode.WHISPER
    api.clock.advance(12)

    status, answer = await api.call("GET", "/api/v1/monitoring", api.supervisor)
    assert [(m["mode"], m["state"]) for m in answer["monitoring"]] == [("whisper", "spying")]
    status, answer = await api.call("DELETE", "/api/v1/monitoring", api.supervisor)
    assert status == 200, answer
    assert api.control.of(HangUpChannel)[-1].channel == spy.channel
    api.engine.submit(SpyStopped(at=api.now(), channel=spy.channel))
    api.hung_up(spy.channel)

    async def stored() -> bool:
        _, page = await api.call("GET", "/api/v1/monitoring/sessions?agent=1001", api.supervisor)
        return len(page["sessions"]) == 2

    await eventually(stored, what="both stretches stored")
    _, page = await api.call("GET", "/api/v1/monitoring/sessions?agent=1001", api.supervisor)
    assert [(s["mode"], round(s["seconds"]), s["call"]) for s in page["sessions"]] == [
        ("listen", 30, "c1"),
        ("whisper", 12, "c1"),
    ]
    _, quota = await api.call("GET", "/api/v1/monitoring/quota", api.supervisor)
    mine = {q["agent"]: q for q in quota["agents"]}
    assert (mine["1001"]["calls"], mine["1001"]["sessions"], mine["1001"]["met"]) == (1, 2, False)
    assert (mine["1002"]["calls"], quota["target"]) == (0, 2)
    _, text = await api.call("GET", "/metrics")
    assert 'cti_monitoring_week_calls{agent="1001"} 1.0' in text
    assert 'cti_monitoring_sessions_total{mode="whisper"} 1.0' in text
    assert 'cti_monitoring_active{mode="listen"} 0.0' in text


async def test_agents_may_not_monitor(api: Api) -> None:
    await _talking(api)
    token = await api.log_in("1002")
    status, _ = await _monitor(api, "listen", token)
    assert status == 403
    assert api.control.of(SpyOnCall) == []


async def test_without_a_device_the_answer_says_how_to_set_one(api: Api) -> None:
    await _talking(api)
    status, answer = await api.call(
        "POST", "/api/v1/monitoring", api.supervisor, body={"agent": "1001", "mode": "barge"}
    )
    assert (status, answer["field"]) == (422, "device")
    assert "cti admin supervisor phone" in answer["error"]


async def test_refusals_say_why_and_change_nothing(api: Api) -> None:
    await api.log_in("1001")
    api.register(SUP)
    status, answer = await _monitor(api, "listen")
    assert (status, answer["error"]) == (409, "agent 1001 is not on a call")
    status, answer = await _monitor(api, "listen", agent="9999")
    assert status == 404, answer
    await _talking_again(api)
    status, answer = await _monitor(api, "listen", device="2999")
    assert (status, answer["error"]) == (409, "device PJSIP/2999 is not registered")
    status, answer = await api.call("DELETE", "/api/v1/monitoring", api.supervisor)
    assert (status, answer["error"]) == (409, "sue is not monitoring a call")
    assert api.control.of(SpyOnCall) == [] and api.engine.state.spies == {}


async def _talking_again(api: Api) -> None:
    api.caller_queued("c1", "+15550001")
    await api.until_state("1001", "offered")
    api.answered("c1", "1001")
    await api.until_state("1001", "on_call")


async def test_a_phone_that_does_not_answer_ends_the_session_and_the_feed_says_why(
    api: Api,
) -> None:
    await _talking(api)
    async with api.client.ws_connect(
        "/api/v1/events", headers={"Authorization": f"Bearer {api.supervisor}"}
    ) as ws:
        snapshot = await ws.receive_json(timeout=5)
        assert snapshot["monitoring"] == []
        await _monitor(api, "listen")
        spy = await _spy(api)
        api.engine.submit(
            OriginateEnded(at=api.now(), channel=spy.channel, answered=False, reason=3)
        )
        ended = None
        while ended is None:
            message = await ws.receive_json(timeout=5)
            if message["type"] == "monitoring" and message["monitoring"] is None:
                ended = message
        assert ended["why"] == "the phone PJSIP/2001 did not answer"
    assert api.engine.state.spies == {}
