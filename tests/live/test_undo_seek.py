"""The host's `u`: the room goes back to where it was before the last seek."""

from __future__ import annotations

import pytest

from hub import RunningHub
from room.intents import SeekTo, UndoSeek
from room.timefmt import format_time
from tests.live.harness import host_and_follower, within
from tests.live.test_two_members import FRAME_S, play_together, player_of, until_within


@pytest.mark.slow
async def test_undo_takes_the_room_back_before_the_seek_and_says_where(
    hub: RunningHub,
    media,  # type: ignore[no-untyped-def]
) -> None:
    async with host_and_follower(hub.url, media) as (ann, bob):
        await play_together(ann, bob)

        await ann.submit(SeekTo(60.0))
        await within(player_of(bob).wait_for(lambda s: (s.position or 0) >= 60.0))
        await until_within(ann, bob, FRAME_S)
        before = ann.room.session.playback.undo_target_s  # type: ignore[union-attr]
        assert before is not None and before < 30.0

        await ann.submit(UndoSeek())
        where = format_time(before)
        await ann.noticed(f"Back to {where}")
        await bob.noticed(f"ann undid the last seek: back to {where}")
        await within(player_of(bob).wait_for(lambda s: (s.position or 99) < 30.0))
        await until_within(ann, bob, FRAME_S)
        assert not player_of(bob).state.paused

        # Again: forward to where the seek had gone.
        await ann.submit(UndoSeek())
        await within(player_of(bob).wait_for(lambda s: (s.position or 0) >= 60.0))
        await until_within(ann, bob, FRAME_S)
