"""Drift you can see: what members publish (drift_ms, off_reason) and how it reads back."""

from __future__ import annotations

import math

import pytest

from room import events
from room.member_drift import MAX_DRIFT_MS, OffReason, own_off_reason
from room.members import member_from
from room.wire import HeartbeatEvent, PresenceFields, parse_broadcast

BEAT = {"user_id": "u-bob", "username": "bob", "is_synced": True, "last_update": 1}


def test_a_heartbeat_carries_drift_and_reason_to_the_member_list() -> None:
    beat = parse_broadcast(events.HEARTBEAT, {**BEAT, "drift_ms": -41.5, "off_reason": "seeking"})
    assert isinstance(beat, HeartbeatEvent)
    member = member_from(beat, host_user_id="u-ann")
    assert (member.drift_ms, member.off_reason) == (-41.5, OffReason.SEEKING)


@pytest.mark.parametrize(
    ("drift", "expected"),
    [
        ("12", None),
        (True, None),
        (math.nan, None),
        (math.inf, None),
        ({"ms": 1}, None),
        (1e300, MAX_DRIFT_MS),
        (-1e300, -MAX_DRIFT_MS),
        (7, 7.0),
    ],
)
def test_a_bad_drift_reads_as_unmeasured_and_keeps_the_heartbeat(
    drift: object, expected: float | None
) -> None:
    beat = parse_broadcast(events.HEARTBEAT, {**BEAT, "drift_ms": drift})
    assert isinstance(beat, HeartbeatEvent), "the rest of the heartbeat is still good"
    assert beat.drift_ms == expected


@pytest.mark.parametrize(
    "reason", ["\x1b[31mbroken", "[b]gave_up[/b]", "x" * 100_000, 3, None, "GAVE_UP"]
)
def test_an_unknown_reason_reads_as_none(reason: object) -> None:
    beat = parse_broadcast(events.HEARTBEAT, {**BEAT, "off_reason": reason})
    assert isinstance(beat, HeartbeatEvent)
    assert beat.off_reason is None


def test_a_browsers_presence_without_the_fields_still_validates() -> None:
    fields = PresenceFields.model_validate(
        {"user_id": "u-web", "username": "web", "current_time": 3.0, "is_playing": True}
    )
    assert (fields.drift_ms, fields.off_reason) == (None, None)


@pytest.mark.parametrize(
    ("state", "expected"),
    [
        ({}, None),
        ({"seeking": True}, OffReason.SEEKING),
        ({"on_its_own": True, "seeking": True}, OffReason.ON_ITS_OWN),
        ({"gave_up": True, "on_its_own": True}, OffReason.GAVE_UP),
        ({"buffering": True, "gave_up": True}, OffReason.BUFFERING),
        ({"cant_play": True, "buffering": True}, OffReason.CANT_PLAY),
    ],
)
def test_our_reason_is_the_most_telling_one(state: dict[str, bool], expected: object) -> None:
    flags = {"buffering": False, "seeking": False, "gave_up": False, "on_its_own": False}
    assert own_off_reason(**{**flags, **state}) == expected
