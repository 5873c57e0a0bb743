"""Two members in one room over the real hub, each with a real headless libmpv."""

from __future__ import annotations

import asyncio
import time

import pytest

from hub import RunningHub
from room.intents import SeekTo, TogglePlay
from room.state import SyncStatus
from tests.live.harness import WAIT_S, LiveMember, host_and_follower, start_member, within

FRAME_S = 0.040


def player_of(member: LiveMember):  # type: ignore[no-untyped-def]
    assert member.room.player is not None
    return member.room.player


def drift_s(host: LiveMember, follower: LiveMember) -> float:
    now = time.monotonic()
    host_position = player_of(host).state.position_now(now)
    follower_position = player_of(follower).state.position_now(now)
    assert host_position is not None and follower_position is not None
    return follower_position - host_position


async def until_within(
    host: LiveMember, follower: LiveMember, tolerance_s: float, timeout: float = WAIT_S
) -> None:
    """Wait (on the follower's player states) until it is within ``tolerance_s`` of the host."""
    player = player_of(follower)
    deadline = time.monotonic() + timeout
    steady = 0
    while time.monotonic() < deadline:
        seen = player.state
        async with asyncio.timeout(timeout):
            await player.wait_for(lambda s, seen=seen: s is not seen)  # the next report
        if abs(drift_s(host, follower)) <= tolerance_s:
            steady += 1
            if steady >= 5:  # five consecutive player reports, not one lucky sample
                return
        else:
            steady = 0
    pytest.fail(f"follower still {drift_s(host, follower) * 1000:.0f} ms off after {timeout} s")


async def play_together(host: LiveMember, follower: LiveMember) -> None:
    """The host presses Space; wait until the follower plays within a frame of it."""
    await host.submit(TogglePlay())
    await within(player_of(follower).wait_for(lambda s: not s.paused))
    await until_within(host, follower, FRAME_S)


@pytest.mark.slow
async def test_follower_follows_host_play_seek_pause(hub: RunningHub, media) -> None:  # type: ignore[no-untyped-def]
    async with host_and_follower(hub.url, media) as (ann, bob):
        await play_together(ann, bob)

        await ann.submit(SeekTo(42.0))
        await within(player_of(bob).wait_for(lambda s: (s.position or 0) > 41.0))
        await until_within(ann, bob, FRAME_S)

        await ann.submit(TogglePlay())  # pause
        host_paused = await within(player_of(ann).wait_for(lambda s: s.paused))
        follower_paused = await within(
            player_of(bob).wait_for(lambda s: s.paused and not s.seeking)
        )
        # Everyone stops on the host's frame.
        await within(
            player_of(bob).wait_for(
                lambda s: abs((s.position or 0) - (player_of(ann).state.position or 0)) < FRAME_S
            )
        )
        assert host_paused.paused and follower_paused.paused

        # Both member lists show both, with the follower's sync state from its heartbeat.
        for member in (ann, bob):
            state = await member.until(
                lambda s: (
                    {m.user_id for m in s.members} == {"u-ann", "u-bob"}
                    and all(m.sync is SyncStatus.SYNCED for m in s.members)
                )
            )
            assert [m.user_id for m in state.members if m.is_host] == ["u-ann"]
        await bob.noticed("ann paused playback")
        assert not any("paused playback" in text for text in ann.notices)  # never our own


@pytest.mark.slow
async def test_follower_is_warned_when_its_media_differs(
    hub: RunningHub, media, other_media
) -> None:  # type: ignore[no-untyped-def]
    ann = await start_member(hub.url, media, "u-ann", "ann", claim_host=True)
    bob = await start_member(hub.url, other_media, "u-bob", "bob")
    try:
        await ann.joined()
        await bob.joined()
        await bob.until(lambda s: s.host is not None and s.host.user_id == "u-ann")
        await ann.submit(TogglePlay())
        await bob.noticed(
            "Your media is 0:20 long but the host's is 1:30: "
            "you may not be watching the same thing."
        )
    finally:
        await bob.stop()
        await ann.stop()


@pytest.mark.slow
async def test_a_new_host_is_elected_when_the_host_leaves(
    hub: RunningHub,
    media,
    monkeypatch: pytest.MonkeyPatch,  # type: ignore[no-untyped-def]
) -> None:
    import room.session.host_role

    monkeypatch.setattr(room.session.host_role, "HOST_GRACE_S", 0.5)  # the grace is 10 s in the app
    ann = await start_member(hub.url, media, "u-ann", "ann", claim_host=True)
    bob = await start_member(hub.url, media, "u-bob", "bob")
    cat = await start_member(hub.url, media, "u-cat", "cat")
    try:
        for member in (ann, bob, cat):
            await member.joined()
            await member.until(lambda s: s.host is not None and s.host.user_id == "u-ann")
        await ann.stop()  # the host leaves
        # Every member runs the same election and they agree: the smallest user id, u-bob.
        await bob.until(lambda s: s.is_self_host)
        await cat.until(lambda s: s.host is not None and s.host.user_id == "u-bob")
        await cat.noticed("bob is now the host")
        assert {m.user_id for m in cat.state.members} == {"u-bob", "u-cat"}
    finally:
        await cat.stop()
        await bob.stop()
