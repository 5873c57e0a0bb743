"""The room's tables from the app's side: history on join, the outbox, member rows, rooms rows.

Real hub (SQLite, REST, postgres_changes) over real sockets; real headless libmpv.
"""

from __future__ import annotations

import asyncio
import contextlib
from pathlib import Path
from typing import Any

import httpx
import pytest

from hub import HubSettings, RunningHub, start_hub
from room.intents import AddToQueue, LoadOlderComments, PostComment, TogglePlay
from room.state import RoomState
from room.tables import RoomTables
from tests.live.harness import (
    LIVE_JWT_SECRET,
    WAIT_S,
    host_and_follower,
    live_tokens,
    start_browser,
    start_member,
    watch_tables,
    within,
)

pytestmark = pytest.mark.slow


async def rest(hub_url: str, method: str, path: str, body: object = None) -> httpx.Response:
    """One REST call as a browser (or a script) would make it, outside the app."""
    async with httpx.AsyncClient() as client:
        return await client.request(
            method,
            f"{hub_url}/rest/v1/{path}",
            json=body,
            # A script holding the service key: the room's rules do not apply to it.
            headers={"apikey": "k", "Authorization": f"Bearer {live_tokens().service_token()}"},
        )


async def rows(hub_url: str, table: str, query: str) -> list[dict[str, Any]]:
    response = await rest(hub_url, "GET", f"{table}?{query}")
    response.raise_for_status()
    data = response.json()
    assert isinstance(data, list)
    return data


def messages(state: RoomState) -> list[str]:
    return [c.message for c in state.comments]


def confirmed(message: str):  # type: ignore[no-untyped-def]
    return lambda s: any(c.message == message and not c.pending for c in s.comments)


async def test_a_newcomer_loads_the_history_threads_and_markers(
    hub: RunningHub, media: Path
) -> None:
    ann = await start_member(hub.url, media, "u-ann", "ann")
    try:
        await ann.joined()
        await ann.submit(PostComment("first"))
        await ann.until(confirmed("first"))
        first = next(c for c in ann.state.comments if c.message == "first")
        await ann.submit(PostComment("a reply", parent_id=first.id))
        await ann.submit(PostComment("this moment", is_marker=True))
        await ann.until(confirmed("this moment"))
        bob = await start_member(hub.url, media, "u-bob", "bob")
        try:
            state = await bob.until(lambda s: len(s.comments) == 3)
            assert messages(state) == ["first", "a reply", "this moment"]
            assert state.comments[1].parent_id == first.id
            assert all(c.seq is not None and not c.pending for c in state.comments)
            assert [a.message for a in state.markers] == ["this moment"]
            assert not state.has_older
        finally:
            await bob.stop()
    finally:
        await ann.stop()


async def test_history_pages_back_on_request(hub: RunningHub, media: Path) -> None:
    await rest(hub.url, "POST", "rooms", {"room_id": "test"})
    batch = [
        {"room_id": "test", "user_id": "u-old", "username": "old", "message": f"old {n}"}
        for n in range(120)
    ]
    response = await rest(hub.url, "POST", "comments", batch)
    assert response.status_code == 201, response.text
    bob = await start_member(hub.url, media, "u-bob", "bob")
    try:
        state = await bob.until(lambda s: len(s.comments) == 50)
        assert messages(state)[-1] == "old 119" and state.has_older
        await bob.submit(LoadOlderComments())
        state = await bob.until(lambda s: len(s.comments) == 100)
        assert messages(state)[0] == "old 20" and state.has_older
        await bob.submit(LoadOlderComments())
        state = await bob.until(lambda s: len(s.comments) == 120)
        assert messages(state)[0] == "old 0" and not state.has_older
    finally:
        await bob.stop()


async def test_a_comment_written_offline_is_delivered_exactly_once(
    tmp_path: Path, media: Path
) -> None:
    db = tmp_path / "hub.sqlite3"
    hub = await start_hub(HubSettings(port=0, jwt_secret=LIVE_JWT_SECRET, db_path=db))
    port = hub.port
    ann = await start_member(hub.url, media, "u-ann", "ann")
    browser = None
    try:
        await ann.joined()
        await hub.close()  # the server goes away
        await ann.until(lambda s: not s.is_connected)
        await ann.submit(PostComment("written offline"))
        state = await ann.until(lambda s: "written offline" in messages(s))
        assert next(c for c in state.comments if c.message == "written offline").pending
        hub = await start_hub(HubSettings(port=port, jwt_secret=LIVE_JWT_SECRET, db_path=db))
        browser = await start_browser(hub.url, "u-web", "web")
        await within(ann.until(confirmed("written offline")), 35)
        _, payload = await browser.heard(lambda event, p: event == "new_comment")
        assert payload["message"] == "written offline"
        stored = await rows(hub.url, "comments", "select=id,message&room_id=eq.test")
        assert [r["message"] for r in stored] == ["written offline"]
    finally:
        if browser is not None:
            await browser.stop()
        await ann.stop()
        await hub.close()


async def test_comments_left_in_the_outbox_by_a_killed_app_go_out_on_the_next_start(
    hub: RunningHub, media: Path, tmp_path: Path
) -> None:
    # What a killed app leaves behind: a comment on disk that the server never confirmed.
    from room.outbox import Outbox
    from tui.identity import data_dir

    outbox = Outbox(data_dir() / "outbox.sqlite3", server=hub.url)
    row = {
        "id": "6f1c3c1e-5c1d-4c1e-9c1e-1c1e1c1e1c1e",
        "user_id": "u-ann",
        "username": "ann",
        "message": "from before the crash",
        "room_id": "test",
    }
    await outbox.add("test", row)
    outbox.close()
    ann = await start_member(hub.url, media, "u-ann", "ann")
    try:
        await ann.until(confirmed("from before the crash"))
        stored = await rows(hub.url, "comments", "select=id&room_id=eq.test")
        assert stored == [{"id": row["id"]}]
    finally:
        await ann.stop()


async def test_member_rows_follow_joins_and_leaves(hub: RunningHub, media: Path) -> None:
    watcher = await watch_tables(hub.url)
    try:
        ann = await start_member(hub.url, media, "u-ann", "ann")
        await ann.joined()
        joined = await watcher.change(
            lambda d: d["table"] == "room_members" and d["type"] == "INSERT"
        )
        assert joined["record"]["user_id"] == "u-ann" and joined["record"]["username"] == "ann"
        await ann.stop()
        left = await watcher.change(
            lambda d: d["table"] == "room_members" and d["type"] == "DELETE"
        )
        assert left["old_record"]["user_id"] == "u-ann"
        assert await rows(hub.url, "room_members", "select=user_id") == []
    finally:
        await watcher.stop()


async def test_the_host_writes_the_room_row_and_a_follower_acts_once_per_action(
    hub: RunningHub, media: Path
) -> None:
    async with host_and_follower(hub.url, media) as (ann, bob):
        watcher = await watch_tables(hub.url)
        try:
            await ann.submit(TogglePlay())
            await bob.until(lambda s: s.playback.is_playing)
            # The broadcast may reach bob before the host's write lands: wait for the UPDATE.
            await watcher.change(
                lambda d: d["table"] == "rooms" and d["record"]["is_playing"] is True
            )
        finally:
            await watcher.stop()
        room = await rows(hub.url, "rooms", "select=*&room_id=eq.test")
        assert room[0]["host_user_id"] == "u-ann" and room[0]["is_playing"] is True
        # One host action reaches bob twice (broadcast, then the table's UPDATE): one notice.
        await bob.noticed("ann resumed playback")
        await ann.submit(TogglePlay())
        await bob.noticed("ann paused playback")  # by now the play's UPDATE has long arrived
        assert bob.notices.count("ann resumed playback") == 1


async def test_a_host_claimed_on_joining_owns_the_room_row_before_its_member_row_lands(
    hub: RunningHub, media: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The race behind "only the host can change the queue" for a host started with --host:
    the claim's write of the rooms row was made while the join's member row was on its way,
    the hub refused it (only members write the room), and the queue writes after it too."""
    claim_made = asyncio.Event()
    upsert_member, update_room = RoomTables.upsert_member, RoomTables.update_room

    async def member_row_late(tables: RoomTables, row: dict[str, Any]) -> None:
        with contextlib.suppress(TimeoutError):  # lands only after the claim was made
            await asyncio.wait_for(claim_made.wait(), WAIT_S)
        await upsert_member(tables, row)

    async def noting_the_claim(tables: RoomTables, fields: dict[str, Any]) -> None:
        if fields.get("host_user_id") == "u-ann":
            claim_made.set()
        await update_room(tables, fields)

    monkeypatch.setattr(RoomTables, "upsert_member", member_row_late)
    monkeypatch.setattr(RoomTables, "update_room", noting_the_claim)
    ann = await start_member(hub.url, media, "u-ann", "ann", claim_host=True)
    try:
        await ann.until(lambda s: s.host is not None and s.host.user_id == "u-ann")
        await ann.submit(AddToQueue(str(media)))
        try:
            await ann.until(lambda s: len(s.queue.items) == 1)
        except TimeoutError:
            pytest.fail(f"the host's queue write was refused; notices: {ann.notices}")
        assert claim_made.is_set(), "the member row was meant to land after the claim"
        room = await rows(hub.url, "rooms", "select=host_user_id&room_id=eq.test")
        assert room == [{"host_user_id": "u-ann"}]
        queued = await rows(hub.url, "queue_items", "select=source&room_id=eq.test")
        assert queued == [{"source": str(media)}]
    finally:
        await ann.stop()


async def test_a_web_host_that_only_writes_the_table_drives_a_follower(
    hub: RunningHub, media: Path
) -> None:
    bob = await start_member(hub.url, media, "u-bob", "bob")
    try:
        watcher = await watch_tables(hub.url)
        await bob.joined()
        if not await rows(hub.url, "rooms", "select=room_id&room_id=eq.test"):
            # bob's join creates the room's row: wait for it
            await watcher.change(lambda d: d["table"] == "room_members")
        await watcher.stop()
        response = await rest(
            hub.url,
            "PATCH",
            "rooms?room_id=eq.test",
            {"host_user_id": "u-web", "is_playing": True, "current_time": 30.0},
        )
        assert response.status_code in (200, 204), response.text
        state = await bob.until(lambda s: s.playback.is_playing)
        assert 29.0 <= state.playback.position <= 40.0
    finally:
        await bob.stop()


async def test_bad_table_input_is_refused_or_dropped_and_the_room_goes_on(
    hub: RunningHub, media: Path
) -> None:
    app = await start_member(hub.url, media, "u-app", "app")
    try:
        await app.joined()
        session = app.room.session
        player = app.room.player
        assert session is not None and player is not None
        before = player.state
        bad = await rest(
            hub.url, "PATCH", "rooms?room_id=eq.test", {"is_playing": "yes", "current_time": -1}
        )
        assert bad.status_code == 400 and bad.json()["message"]  # PostgREST's shape, in words
        # Frames a misbehaving server could send straight to the app:
        for frame in (
            {},
            {"data": "nope"},
            {"data": {"table": "comments", "type": "INSERT", "record": None}},
            {"data": {"table": "comments", "type": "INSERT", "record": {"id": 1}}},
            {
                "data": {
                    "table": "rooms",
                    "type": "UPDATE",
                    "record": {
                        "room_id": "test",
                        "host_user_id": "u-x",
                        "current_time": float("nan"),
                        "is_playing": True,
                    },
                }
            },
            {
                "data": {
                    "table": "rooms",
                    "type": "UPDATE",
                    "record": {
                        "room_id": "test",
                        "host_user_id": "u-x",
                        "current_time": 5,
                        "is_playing": "true",
                    },
                }
            },
        ):
            session.on_postgres_change(frame)
        assert before.paused and player.state.paused
        good = await rest(
            hub.url,
            "POST",
            "comments",
            {
                "room_id": "test",
                "user_id": "web-1",
                "username": "[b]m[/b]",
                "message": "\x1b]0;pwn\x07 still here",
            },
        )
        assert good.status_code == 201, good.text
        state = await app.until(lambda s: any("still here" in c.message for c in s.comments))
        assert state.is_connected and session.link.joins == 1
    finally:
        await app.stop()
