"""The start lead: from the members' reported one-way latencies, within a floor and a cap."""

from __future__ import annotations

import math

import pytest
from pydantic import ValidationError

from room.sync.clock import ClockSync, SyncPing, answer_ping
from room.sync.lead import REPORT_EXPIRY_MS, StartLead
from room.sync.settings import SyncSettings

SETTINGS = SyncSettings(min_start_lead_ms=20, start_margin_ms=10, max_start_lead_ms=500)


def test_nobody_known_starts_at_the_floor() -> None:
    assert StartLead(SETTINGS).lead_ms(0) == 20


def test_the_slowest_present_member_sets_the_lead() -> None:
    present = {"fast", "slow", "new"}
    lead = StartLead(SETTINGS, present=lambda: present)
    lead.note("fast", 2.0, 0)
    lead.note("slow", 80.0, 0)
    # "new" has not reported: it does not hold the room back.
    assert lead.lead_ms(1000) == 90
    present.discard("slow")
    assert lead.lead_ms(1000) == 20, "2 ms + margin is under the floor"


@pytest.mark.parametrize(
    ("one_way_ms", "lead_ms"),
    [(0.0, 20.0), (9.0, 20.0), (10.5, 20.5), (300.0, 310.0), (490.0, 500.0), (5000.0, 500.0)],
)
def test_the_lead_is_kept_between_floor_and_cap(one_way_ms: float, lead_ms: float) -> None:
    lead = StartLead(SETTINGS)
    lead.note("m", one_way_ms, 0)
    assert lead.lead_ms(0) == lead_ms


def test_old_and_forgotten_reports_stop_counting() -> None:
    lead = StartLead(SETTINGS)
    lead.note("gone", 200.0, 0)
    lead.note("left", 300.0, REPORT_EXPIRY_MS)
    assert lead.lead_ms(REPORT_EXPIRY_MS) == 310
    lead.forget("left")
    assert lead.lead_ms(REPORT_EXPIRY_MS) == 210
    assert lead.lead_ms(REPORT_EXPIRY_MS + 1) == 20


def test_with_few_trips_the_longest_counts() -> None:
    clock = ClockSync("me", "host")
    for index, rtt in enumerate([10, 90, 30]):
        sample_trip(clock, 1000.0 * (index + 1), rtt)
    assert clock.make_ping(5000).one_way_ms == 90 - 10 / 2


def sample_trip(clock: ClockSync, sent_ms: float, rtt_ms: float) -> None:
    ping = clock.make_ping(sent_ms)
    clock.on_pong(answer_ping(ping, sent_ms + 1, sent_ms + 1), sent_ms + rtt_ms)


def test_a_ping_reports_the_longest_way_back_the_trips_allow() -> None:
    clock = ClockSync("me", "host")
    assert clock.make_ping(0).one_way_ms is None, "no trip measured yet"
    for index, rtt in enumerate([4, 6, 8, 10, 12, 14, 16, 18, 20, 100]):
        sample_trip(clock, 1000.0 * (index + 1), rtt)
    # The window keeps the last 8 trips (8..100 ms). The 100 ms one is taken for an
    # outlier; the 20 ms trip's way back may have taken all of it but the quickest way out
    # seen (half of the 8 ms trip).
    assert clock.make_ping(20_000).one_way_ms == 20 - 8 / 2
    for index in range(8):
        sample_trip(clock, 30_000.0 + 1000 * index, 10)
    assert clock.make_ping(50_000).one_way_ms == 5, "steady trips: half of one"


@pytest.mark.parametrize("bad", [-1.0, math.inf, math.nan, 1e9])
def test_a_ping_with_an_impossible_latency_is_refused(bad: float) -> None:
    with pytest.raises(ValidationError):
        SyncPing(from_user="a", to_user="h", ping_id=0, sent_at=0, one_way_ms=bad)
