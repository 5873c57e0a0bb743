"""Followers learn the host's clock from pings on their heartbeats, answered on the host's,
over the real hub on 127.0.0.1, with a budget so tight that a ping of their own seldom goes
(as in a room of 11 on the default budget)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from hub import RunningHub
from tests.live.harness import LiveMember, claim_host, start_browser, start_member, within

TIGHT = {"presence": {"room_messages_per_s": 8.0}}
"""Four members on 8 messages a second: heartbeats take most of each share."""


def clock_of(member: LiveMember):  # type: ignore[no-untyped-def]
    assert member.room.session is not None
    return member.room.session.clock


@pytest.mark.slow
async def test_followers_warm_up_on_heartbeats_to_the_hosts_clock(hub: RunningHub, media) -> None:  # type: ignore[no-untyped-def]
    ann = await start_member(hub.url, media, "u-ann", "ann", **TIGHT)
    followers = [
        await start_member(hub.url, media, user_id, name, **TIGHT)
        for user_id, name in (("u-bob", "bob"), ("u-cat", "cat"))
    ]
    browser = await start_browser(hub.url, "u-web", "web")
    members = [ann, *followers]
    try:
        for member in members:
            await member.joined()
        await claim_host(ann, followers)

        for follower in followers:
            await browser.heard(pinged_on_a_heartbeat(follower.user_id))
            await browser.heard(answered_on_the_hosts_heartbeat(follower.user_id))
        for follower in followers:
            clock = clock_of(follower)
            await within(_warm(follower))
            estimate = clock.estimate
            assert estimate is not None
            # One machine, one monotonic clock: the host's offset is 0, and within what the
            # samples prove.
            assert abs(estimate.offset_ms) <= estimate.uncertainty_ms + 0.5, estimate
    finally:
        await browser.stop()
        for member in reversed(members):
            await member.stop()


def pinged_on_a_heartbeat(user_id: str) -> Callable[[str, dict[str, Any]], bool]:
    return lambda event, payload: (
        event == "heartbeat" and payload.get("user_id") == user_id and "sync_ping" in payload
    )


def answered_on_the_hosts_heartbeat(user_id: str) -> Callable[[str, dict[str, Any]], bool]:
    return lambda event, payload: (
        event == "heartbeat"
        and payload.get("user_id") == "u-ann"
        and any(pong.get("to_user") == user_id for pong in payload.get("sync_pongs", []))
    )


async def _warm(member: LiveMember) -> None:
    clock = clock_of(member)
    await member.until(lambda _: not clock.warming_up)
