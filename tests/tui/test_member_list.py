"""The member list between reports: positions move on, silent members show as late."""

from __future__ import annotations

from dataclasses import replace

from room.state import Member, SyncStatus
from tests.rooms import busy_room
from tests.tui.conftest import AppFactory
from tests.tui.helpers import publish, screen_text
from tui.widgets.member_list import MemberList

REPORTED_MS = 1_800_000_000_000


async def test_a_playing_member_moves_on_and_a_silent_one_is_late_not_off(
    make_app: AppFactory,
) -> None:
    room = busy_room()
    members = (
        Member(
            "u-pia",
            "pia",
            is_playing=True,
            current_time=60.0,
            sync=SyncStatus.SYNCED,
            last_update_ms=REPORTED_MS,
        ),
        Member(
            "u-quinn",
            "quinn",
            is_playing=False,
            current_time=60.0,
            sync=SyncStatus.STALE,
            last_update_ms=REPORTED_MS,
        ),
        *room.members[-1:],
    )
    app, _ = make_app(room)
    async with app.run_test() as pilot:
        as_of = REPORTED_MS + 65_000  # 65 s after pia's report, while she plays
        await publish(pilot, replace(room, members=members, members_as_of_ms=as_of))
        lines = screen_text(app.room_screen.query_one(MemberList)).splitlines()
        pia = next(line for line in lines if "pia" in line)
        quinn = next(line for line in lines if "quinn" in line)
        assert "2:05" in pia and "✓ sync" in pia
        assert "1:00" in quinn and "late" in quinn and "off" not in quinn


async def test_a_room_state_that_arrives_while_the_app_closes_is_ignored(
    make_app: AppFactory,
) -> None:
    """The room keeps publishing until it has left; the panes may already be gone."""
    room = busy_room()
    app, _ = make_app(room)
    async with app.run_test() as pilot:
        await app.room_screen.query_one(MemberList).remove()
        app.room_screen.room = replace(room, members_as_of_ms=REPORTED_MS)
        await pilot.pause()
    assert app.return_code in (None, 0)
