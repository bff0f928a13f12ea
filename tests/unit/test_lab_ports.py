"""The lab's ports (cti/lab/ports.py): each lab's RTP range is as large as asked, inside
its band, and clear of ports another lab holds (real binds on this host)."""

from __future__ import annotations

from cti.lab.ports import LAB_BAND, RTP_BAND, RTP_PORTS, is_free, pick_lab_ports


def test_a_lab_gets_the_rtp_range_it_asks_for_inside_the_band() -> None:
    default = pick_lab_ports()
    assert default.rtp_end - default.rtp_start + 1 == RTP_PORTS
    large = pick_lab_ports(avoid=default.all(), rtp_ports=2400)  # 500 calls through agents
    assert large.rtp_end - large.rtp_start + 1 == 2400
    assert RTP_BAND[0] <= large.rtp_start and large.rtp_end <= RTP_BAND[1]
    assert not large.all() & default.all()
    for port in (large.ami, large.sip, large.trunk, large.http):
        assert LAB_BAND[0] <= port <= LAB_BAND[1]
    assert is_free(large.rtp_start, tcp=False, udp=True)
