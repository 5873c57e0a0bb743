"""When the room starts a queue item: the rules of room.queue.waiting, as a table."""

from __future__ import annotations

import pytest

from room.queue.waiting import (
    MemberReadiness,
    Readiness,
    Verdict,
    WaitFor,
    rebuffer_holders,
    start_verdict,
)

ITEM = "item-2"
R, L, B, X = Readiness.READY, Readiness.LOADING, Readiness.BUFFERING, Readiness.CANT_PLAY


def member(name: str, readiness: Readiness | None, *, item: str = ITEM, since: float = 0.0):
    return MemberReadiness(name, name, readiness, item, since)


HOST_READY = member("host", R)

CASES = [
    # (setting, others, now_s, go_on, expected)
    ("everyone", [member("a", R), member("b", R)], 1.0, False, Verdict(True)),
    ("everyone", [member("a", R), member("b", L)], 1.0, False, Verdict(False, ("b",), 60.0)),
    ("everyone", [member("a", B)], 1.0, False, Verdict(False, ("a",), 60.0)),
    # a report about the previous item means it has not loaded this one yet
    ("everyone", [member("a", R, item="item-1")], 1.0, False, Verdict(False, ("a",), 60.0)),
    # each member for at most its own timeout
    ("everyone", [member("a", L)], 60.0, False, Verdict(True)),
    (
        "everyone",
        [member("a", L), member("late", L, since=30.0)],
        61.0,
        False,
        Verdict(False, ("late",), 90.0),
    ),
    # can't play, and members who do not report readiness (browsers), are not waited for
    ("everyone", [member("a", X), member("web", None)], 1.0, False, Verdict(True)),
    # the host's w
    ("everyone", [member("a", L)], 1.0, True, Verdict(True)),
    ("off", [member("a", L)], 1.0, False, Verdict(True)),
    # a minimum count, the host included
    ("2", [member("a", R), member("b", L)], 1.0, False, Verdict(True)),
    ("3", [member("a", R), member("b", L)], 1.0, False, Verdict(False, ("b",), 60.0)),
    ("3", [member("a", R), member("b", X)], 1.0, False, Verdict(True)),
]


@pytest.mark.parametrize(("setting", "others", "now_s", "go_on", "expected"), CASES)
def test_start_verdict(
    setting: str, others: list[MemberReadiness], now_s: float, go_on: bool, expected: Verdict
) -> None:
    verdict = start_verdict(
        WaitFor.parse(setting),
        [HOST_READY, *others],
        item_id=ITEM,
        host_user_id="host",
        now_s=now_s,
        go_on=go_on,
    )
    assert verdict == expected


@pytest.mark.parametrize("host", [member("host", L), member("host", R, item="item-1")])
def test_the_host_waits_for_its_own_player_first(host: MemberReadiness) -> None:
    verdict = start_verdict(
        WaitFor.parse("off"), [host], item_id=ITEM, host_user_id="host", now_s=999.0, go_on=True
    )
    assert verdict == Verdict(False, ("host",), None)


def test_a_rebuffering_member_holds_the_room_for_at_most_its_timeout() -> None:
    members = [HOST_READY, member("a", B, since=5.0), member("b", R)]
    kwargs = {"item_id": ITEM, "host_user_id": "host"}
    assert rebuffer_holders(WaitFor(), members, now_s=6.0, **kwargs) == Verdict(False, ("a",), 15.0)
    assert rebuffer_holders(WaitFor(), members, now_s=15.0, **kwargs) == Verdict(True)
    assert rebuffer_holders(WaitFor.parse("off"), members, now_s=6.0, **kwargs) == Verdict(True)


@pytest.mark.parametrize("bad", ["0", "sometimes", "-1", ""])
def test_a_bad_wait_for_says_why(bad: str) -> None:
    with pytest.raises(ValueError, match=r"off|everyone|at least 1"):
        WaitFor.parse(bad)
