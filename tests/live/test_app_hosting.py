"""The app's keys drive a follower's player through the real hub (Pilot + a headless member)."""

from __future__ import annotations

import asyncio
import time

import pytest
from textual.geometry import Region

from hub import RunningHub
from room.state import ConnectionStatus, Member, RoomState, SyncStatus
from tests.live.harness import member_settings, start_member, token_for, within
from tui.app import WatchPartyApp
from tui.live import LiveRoom
from tui.widgets.member_list import MemberList

FRAME_S = 0.040


@pytest.mark.slow
async def test_host_keys_in_the_app_drive_the_follower(hub: RunningHub, media) -> None:  # type: ignore[no-untyped-def]
    settings = member_settings(hub.url, media, server={"user_token": token_for("u-host")})
    initial = RoomState("test", "u-host", "host", members=(Member("u-host", "host"),))
    app = WatchPartyApp(initial, settings, LiveRoom(settings, initial, claim_host=True))
    follower = await start_member(hub.url, media, "u-fan", "fan")
    try:
        async with app.run_test(size=(100, 30)) as pilot:
            screen = app.room_screen

            async def until_room(condition, timeout: float = 15.0) -> RoomState:  # type: ignore[no-untyped-def]
                async with asyncio.timeout(timeout):
                    while screen.room is None or not condition(screen.room):
                        await pilot.pause(0.05)
                return screen.room

            await until_room(
                lambda r: r.connection.status is ConnectionStatus.CONNECTED and r.is_self_host
            )
            await follower.until(lambda s: s.host is not None and s.host.user_id == "u-host")
            fan_player = follower.room.player
            host_player = app.controller.player  # type: ignore[attr-defined]
            assert fan_player is not None and host_player is not None

            await pilot.press("space")
            await within(fan_player.wait_for(lambda s: not s.paused))

            await pilot.press("up")  # +60 s
            await within(fan_player.wait_for(lambda s: (s.position or 0) > 59.0 and not s.seeking))

            def drift() -> float:
                now = time.monotonic()
                return abs(
                    (fan_player.state.position_now(now) or 0)
                    - (host_player.state.position_now(now) or 0)
                )

            await within(fan_player.wait_for(lambda s: drift() < FRAME_S))

            await pilot.press("space")
            await within(fan_player.wait_for(lambda s: s.paused and not s.seeking))
            await within(
                fan_player.wait_for(
                    lambda s: abs((s.position or 0) - (host_player.state.position or 0)) < FRAME_S
                )
            )

            members_pane = screen.query_one(MemberList)

            def shown() -> str:
                region = Region(0, 0, *members_pane.size)
                return "\n".join(strip.text for strip in members_pane.render_lines(region))

            # The follower may still send a "seeking" report for its own
            # realignment after the pause, so wait for the list to settle on
            # both in sync rather than reading one moment of it.
            room = await until_room(
                lambda r: (
                    {m.user_id for m in r.members} == {"u-host", "u-fan"}
                    and all(m.sync is SyncStatus.SYNCED for m in r.members)
                    and shown().count("✓") == 2
                )
            )
            assert [m.user_id for m in room.members if m.is_host] == ["u-host"]
            assert "host" in shown() and "fan" in shown()
            follower_state = await follower.until(lambda s: len(s.members) == 2)
            assert {m.user_id for m in follower_state.members} == {"u-host", "u-fan"}
    finally:
        await follower.stop()
