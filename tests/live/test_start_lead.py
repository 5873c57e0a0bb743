"""A host's Space with real libmpv followers: everyone starts on the host's frame, scheduled
by the latencies the followers measured, over the real hub on 127.0.0.1."""

from __future__ import annotations

import asyncio
import time

import pytest

from hub import RunningHub
from room.intents import TogglePlay
from tests.live.harness import LiveMember, claim_host, start_member, within

FRAME_S = 0.040


def player_of(member: LiveMember):  # type: ignore[no-untyped-def]
    assert member.room.player is not None
    return member.room.player


@pytest.mark.slow
async def test_space_starts_two_real_followers_on_the_hosts_frame(hub: RunningHub, media) -> None:  # type: ignore[no-untyped-def]
    ann = await start_member(hub.url, media, "u-ann", "ann")
    followers = [
        await start_member(hub.url, media, user_id, name)
        for user_id, name in (("u-bob", "bob"), ("u-cat", "cat"))
    ]
    members = [ann, *followers]
    try:
        for member in members:
            await member.joined()
        await claim_host(ann, followers)
        session = ann.room.session
        assert session is not None
        # Both followers have measured their trips and told the host in a ping.
        await ann.until(lambda _: session.playback.lead.reported >= {"u-bob", "u-cat"})
        for member in members:
            await within(player_of(member).wait_for(lambda s: s.paused and not s.seeking))
        restarts = [player_of(f).state.restarts for f in followers]
        first_play: dict[str, tuple[float, int]] = {}
        all_started = asyncio.Event()

        def recorder(member: LiveMember):  # type: ignore[no-untyped-def]
            def on_state(state) -> None:  # type: ignore[no-untyped-def]
                if not state.paused and member.name not in first_play:
                    first_play[member.name] = (time.monotonic(), state.restarts)
                    if len(first_play) == len(members):
                        all_started.set()

            return on_state

        for member in members:
            player_of(member).add_listener(recorder(member))

        def measured_lead_ms() -> float:
            return session.playback.lead.lead_ms(session.ctx.clock.monotonic_ms())

        before_ms = measured_lead_ms()
        pressed = time.monotonic()
        await ann.submit(TogglePlay())
        # The lead is the followers' measured latency plus the margin (tens of ms here, a
        # few hundred at worst on a pinned core), not a constant; a ping may land meanwhile.
        assert session.playback.last_start_lead_ms in {before_ms, measured_lead_ms()}
        assert session.playback.lead.slowest_ms(session.ctx.clock.monotonic_ms()) is not None
        await within(all_started.wait())
        host_start_s = first_play["ann"][0] - pressed
        for follower, before in zip(followers, restarts, strict=True):
            started_at, restarts_then = first_play[follower.name]
            # Started by the schedule, not caught up by a seek...
            assert restarts_then == before, f"{follower.name} had to seek"
            # ...and no later than a frame after the host's own player, which itself started
            # the measured lead plus mpv's unpause after the key press.
            late_s = (started_at - pressed) - host_start_s
            assert late_s <= FRAME_S, f"{follower.name} started {late_s * 1000:.0f} ms late"
        # And on the host's frame: compare positions at one instant once all run.
        await within(
            asyncio.gather(
                *(
                    player_of(m).wait_for(lambda s: not s.paused and (s.position or 0) > 0.2)
                    for m in members
                )
            )
        )
        now = time.monotonic()
        host_position = player_of(ann).state.position_now(now)
        for follower in followers:
            position = player_of(follower).state.position_now(now)
            assert host_position is not None and position is not None
            assert abs(position - host_position) <= FRAME_S, (
                f"{follower.name} {1000 * (position - host_position):+.0f} ms off the host"
            )
    finally:
        for member in reversed(members):
            await member.stop()
