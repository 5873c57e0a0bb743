"""The room's row is written as a member: a host claimed on joining (``--host``) must not
write the rooms row before its own member row exists (the rooms policy, on Supabase and the
hub alike, lets only members update it)."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

from room.outbox import Outbox
from room.roomdata import RoomData


class SlowTables:
    """Records the order of writes; the member row's insert waits until let go."""

    def __init__(self) -> None:
        self.writes: list[str] = []
        self.member_may_land = asyncio.Event()

    async def ensure_room(self) -> None:
        self.writes.append("ensure_room")

    async def upsert_member(self, row: dict[str, Any]) -> None:
        await self.member_may_land.wait()
        self.writes.append("upsert_member")

    async def update_room(self, fields: dict[str, Any]) -> None:
        self.writes.append("update_room")


async def test_a_claim_on_joining_writes_the_room_row_after_our_member_row(
    tmp_path: Path,
) -> None:
    tables = SlowTables()
    data = RoomData(tables, Outbox(tmp_path / "outbox.sqlite3", "test"), "u1")  # type: ignore[arg-type]
    joining = asyncio.create_task(data.save_member({"username": "u1"}, force=True))
    claiming = asyncio.create_task(
        data.save_playback(
            host_user_id="u1", current_time=0.0, is_playing=False, media_url=None, at_ms=0
        )
    )
    await asyncio.sleep(0)
    await asyncio.sleep(0)
    assert tables.writes == [], "the room row waits for the member row"
    tables.member_may_land.set()
    await asyncio.gather(joining, claiming)
    assert tables.writes == ["upsert_member", "update_room"]
