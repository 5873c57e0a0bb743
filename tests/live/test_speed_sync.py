"""The host's playback speed reaches the room: real hub, real libmpv on both sides."""

from __future__ import annotations

import statistics
import time

import pytest

from hub import RunningHub
from room.intents import SetSpeed, TogglePlay
from tests.live.harness import WAIT_S, LiveMember, host_and_follower, within
from tests.live.test_two_members import FRAME_S, drift_s, player_of, until_within

HOLD_REPORTS = 50
"""Player reports (about two seconds of playback) the follower must stay within a frame."""


async def stays_within(host: LiveMember, follower: LiveMember) -> float:
    """The worst drift over the follower's next ``HOLD_REPORTS`` player reports, each
    taken as the median of five in a row: away from 1x mpv's reported positions jitter by
    about 20 ms either way (its audio chain runs in chunks), which is not drift."""
    player = player_of(follower)
    recent: list[float] = []
    worst = 0.0
    for _ in range(HOLD_REPORTS):
        seen = player.state
        await within(player.wait_for(lambda s, seen=seen: s is not seen))
        recent = [*recent[-4:], drift_s(host, follower)]
        if len(recent) == 5:
            worst = max(worst, abs(statistics.median(recent)))
    return worst


@pytest.mark.slow
async def test_speed_changes_while_playing_keep_the_follower_within_a_frame(
    hub: RunningHub,
    media,  # type: ignore[no-untyped-def]
) -> None:
    async with host_and_follower(hub.url, media) as (ann, bob):
        await ann.submit(TogglePlay())
        await within(player_of(bob).wait_for(lambda s: not s.paused))
        await until_within(ann, bob, FRAME_S)

        for rate in (1.5, 0.75):
            changed_at = time.monotonic()
            await ann.submit(SetSpeed(rate))
            await within(player_of(ann).wait_for(lambda s, rate=rate: s.speed == rate))
            # The follower plays at the host's rate, give or take its own nudge.
            await within(
                player_of(bob).wait_for(lambda s, rate=rate: abs(s.speed / rate - 1) <= 0.05)
            )
            await until_within(ann, bob, FRAME_S, timeout=WAIT_S)
            converged_s = time.monotonic() - changed_at
            worst = await stays_within(ann, bob)
            assert worst <= FRAME_S, f"at {rate}x the follower strayed {worst * 1000:.0f} ms"
            print(f"{rate}x: within a frame {converged_s:.2f} s after the change")
            await bob.noticed(f"ann set the speed to {rate:g}×")
            await bob.until(lambda s, rate=rate: s.playback.speed == rate)
            assert ann.state.playback.speed == rate
            assert not any("set the speed" in text for text in ann.notices)  # never our own
        assert not player_of(bob).state.paused, "a speed change must not stop the follower"
