"""Space pressed right after a seek, before the seek has gone out: the room does what the
host pressed, from the seek's target (not the frame before it)."""

from __future__ import annotations

import pytest

from hub import RunningHub
from room.intents import SeekTo, TogglePlay
from tests.live.harness import host_and_follower, within
from tests.live.test_two_members import FRAME_S, play_together, player_of, until_within


@pytest.mark.slow
async def test_a_pause_pressed_during_a_seek_while_playing_pauses_the_room_on_the_target(
    hub: RunningHub,
    media,  # type: ignore[no-untyped-def]
) -> None:
    async with host_and_follower(hub.url, media) as (ann, bob):
        await play_together(ann, bob)

        await ann.submit(SeekTo(40.0))
        await ann.submit(TogglePlay())  # at once: the seek is still on its way out

        await bob.noticed("ann paused playback")
        host = await within(player_of(ann).wait_for(lambda s: s.paused and not s.seeking))
        assert host.position is not None and 40.0 <= host.position < 42.0
        await within(
            player_of(bob).wait_for(
                lambda s: s.paused and abs((s.position or 0) - (host.position or 0)) < FRAME_S
            )
        )
        # Nothing still scheduled starts the host again (the seek's parked start).
        await within(ann.room.session.playback.driver.settled())  # type: ignore[union-attr]
        assert player_of(ann).state.paused, "the host's player went on playing after its pause"


@pytest.mark.slow
async def test_a_play_pressed_during_a_seek_while_paused_starts_the_room_at_the_target(
    hub: RunningHub,
    media,  # type: ignore[no-untyped-def]
) -> None:
    async with host_and_follower(hub.url, media) as (ann, bob):
        await ann.submit(SeekTo(50.0))
        await ann.submit(TogglePlay())  # at once: the seek is still on its way out

        await within(player_of(bob).wait_for(lambda s: not s.paused and (s.position or 0) >= 50.0))
        await until_within(ann, bob, FRAME_S)
        host = player_of(ann).state
        assert not host.paused
        assert host.position is not None and 50.0 <= host.position < 53.0


@pytest.mark.slow
async def test_two_presses_during_a_seek_cancel_out(
    hub: RunningHub,
    media,  # type: ignore[no-untyped-def]
) -> None:
    async with host_and_follower(hub.url, media) as (ann, bob):
        await play_together(ann, bob)

        await ann.submit(SeekTo(30.0))
        await ann.submit(TogglePlay())  # pause ...
        await ann.submit(TogglePlay())  # ... and play again, before the seek has landed

        await within(player_of(bob).wait_for(lambda s: not s.paused and (s.position or 0) >= 30.0))
        await within(ann.room.session.playback.driver.settled())  # type: ignore[union-attr]
        await until_within(ann, bob, FRAME_S)
        assert not player_of(ann).state.paused and not player_of(bob).state.paused
        assert not any("paused playback" in text for text in bob.notices)
