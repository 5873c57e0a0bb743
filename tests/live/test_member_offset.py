"""A member whose copy is another release keeps its player at the host's time plus its offset."""

from __future__ import annotations

import asyncio
import time
from pathlib import Path

import pytest

from hub import RunningHub
from room.intents import SeekTo, SetOffset, TogglePlay
from room.state import Member, RoomState
from tests.live.harness import LiveMember, host_and_follower, within
from tests.live.test_speed_sync import stays_within
from tests.live.test_two_members import FRAME_S, player_of
from tui.identity import data_dir
from tui.offsets import OffsetStore

OFFSET_S = 1.5


def offset_drift_s(host: LiveMember, follower: LiveMember) -> float:
    now = time.monotonic()
    host_position = player_of(host).state.position_now(now)
    follower_position = player_of(follower).state.position_now(now)
    assert host_position is not None and follower_position is not None
    return follower_position - host_position - OFFSET_S


async def until_offset_within(host: LiveMember, follower: LiveMember) -> None:
    player = player_of(follower)
    steady = 0
    async with asyncio.timeout(30):
        while steady < 5:
            seen = player.state
            await player.wait_for(lambda s, seen=seen: s is not seen)
            steady = steady + 1 if abs(offset_drift_s(host, follower)) <= FRAME_S else 0


def bob_row(state: RoomState) -> Member | None:
    return state.member("u-bob")


@pytest.mark.slow
async def test_a_member_at_plus_1_5_s_stays_there_within_a_frame(
    hub: RunningHub,
    media,  # type: ignore[no-untyped-def]
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # A data folder of this test's own: the remembered offset must not follow the media
    # into the other live tests of the run.
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path))
    async with host_and_follower(hub.url, media) as (ann, bob):
        await bob.submit(SetOffset(OFFSET_S))
        await bob.noticed("Your offset: +1.5 s")
        await ann.submit(TogglePlay())
        await within(player_of(bob).wait_for(lambda s: not s.paused))
        await until_offset_within(ann, bob)
        worst = await stays_within(ann, bob, 1.0, offset_s=OFFSET_S)
        assert worst <= FRAME_S, f"{worst * 1000:.0f} ms off the host's time + 1.5 s"

        await ann.submit(SeekTo(40.0))  # the offset holds across the host's seeks
        await within(player_of(bob).wait_for(lambda s: (s.position or 0) >= 41.0))
        await until_offset_within(ann, bob)

        # The host's member list shows bob's offset, and bob as in sync (with it).
        state = await ann.until(lambda s: (row := bob_row(s)) is not None and row.offset_s == 1.5)
        assert (row := bob_row(state)) is not None and row.off_reason is None
        # Remembered for this media in bob's data folder.
        assert OffsetStore(data_dir() / "offsets.json").get(str(media)) == OFFSET_S
