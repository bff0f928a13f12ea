"""AMI action builders (cti/ami/actions.py) that call control and the dialer send."""

from __future__ import annotations

import pytest

from cti.ami import actions


def test_an_originate_is_async_names_its_channel_and_carries_its_variables() -> None:
    action = actions.originate(
        channel_id="renewals-42",
        dial="PJSIP/+441632960001@trunk",
        to=("cti-outbound", "renewals", "1"),
        ring_ms=25_000,
        caller_id='"Renewals" <+442079460000>',
        variables={"CTI_CALL_ID": "renewals-42", "CTI_CAMPAIGN": "renewals"},
    )

    assert action == {
        "Action": "Originate",
        "ActionID": "originate-renewals-42",
        "ChannelId": "renewals-42",  # the channel's Uniqueid: every event names it
        "Channel": "PJSIP/+441632960001@trunk",
        "Context": "cti-outbound",
        "Exten": "renewals",
        "Priority": "1",
        "Timeout": "25000",
        "CallerID": '"Renewals" <+442079460000>',
        "Variable": "CTI_CALL_ID=renewals-42,CTI_CAMPAIGN=renewals",
        "Async": "true",
    }
    assert actions.is_call_control(action)  # never sent late (link rule 4)


@pytest.mark.parametrize(("name", "value"), [("CTI_NOTE", "a,b"), ("A=B", "x"), ("A,B", "x")])
def test_a_variable_that_would_split_the_header_is_refused(name: str, value: str) -> None:
    with pytest.raises(ValueError, match="Originate variable"):
        actions.originate(
            channel_id="c-1",
            dial="PJSIP/1@trunk",
            to=("cti-outbound", "s", "1"),
            ring_ms=20_000,
            caller_id="",
            variables={name: value},
        )
