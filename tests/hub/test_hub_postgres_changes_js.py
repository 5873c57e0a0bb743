"""postgres_changes as the real @supabase/realtime-js (vsn 2.0.0) hands them to its callbacks."""

from __future__ import annotations

import json
from typing import Any

import pytest
from datakit import RestFactory, comment, ensure_room, member

from hub import RunningHub

pytestmark = pytest.mark.slow

ROOM = "abc"


def binding(event: str, table: str, row_filter: str | None = None) -> dict[str, Any]:
    found = {"event": event, "schema": "public", "table": table}
    return found if row_filter is None else {**found, "filter": row_filter}


def change_of(index: int, kind: str):  # type: ignore[no-untyped-def]
    return lambda e: (
        e.get("type") == "change" and e["binding"] == index and e["payload"]["eventType"] == kind
    )


async def test_realtime_js_gets_new_old_and_event_type(
    hub: RunningHub, js_client, rest: RestFactory
) -> None:  # type: ignore[no-untyped-def]
    bindings = [
        binding("UPDATE", "rooms", f"room_id=eq.{ROOM}"),
        binding("*", "room_members", f"room_id=eq.{ROOM}"),
        binding("INSERT", "comments", f"room_id=eq.{ROOM}"),
        binding("DELETE", "room_members", "user_id=eq.bob"),
    ]
    js = await js_client(
        hub.url,
        "anon",
        f"room:{ROOM}",
        json.dumps(bindings),
        "",
        hub.tokens.service_token(),  # a watcher with the service key reads every row's changes
        script="postgres_changes_client.mjs",
    )
    await js.wait_for(lambda e: e.get("type") == "status" and e["status"] == "SUBSCRIBED")
    subscribed = await js.wait_for(lambda e: e.get("type") == "system")
    assert subscribed["payload"]["message"] == "Subscribed to PostgreSQL"

    client = await rest()
    await ensure_room(client, ROOM)
    await (
        client.table("rooms")
        .update({"current_time": 12, "is_playing": True})
        .eq("room_id", ROOM)
        .execute()
    )
    update = (await js.wait_for(change_of(0, "UPDATE")))["payload"]
    assert update["schema"] == "public" and update["table"] == "rooms"
    assert update["new"]["current_time"] == 12 and update["new"]["is_playing"] is True
    assert update["old"]["is_playing"] is False and update["errors"] is None
    assert update["commit_timestamp"].endswith("Z")

    bob = (await client.table("room_members").insert(member(ROOM, "bob")).execute()).data[0]
    insert = (await js.wait_for(change_of(1, "INSERT")))["payload"]
    assert insert["new"] == bob and insert["old"] == {}

    row = comment(ROOM, video_timestamp=9.5, is_anchor=True, episode_number=4)
    await client.table("comments").upsert(row, on_conflict="id", ignore_duplicates=True).execute()
    posted = (await js.wait_for(change_of(2, "INSERT")))["payload"]["new"]
    assert posted["id"] == row["id"] and posted["video_timestamp"] == 9.5
    assert posted["episode_number"] == 4 and posted["is_anchor"] is True
    assert isinstance(posted["seq"], int)

    await client.table("room_members").delete().eq("room_id", ROOM).eq("user_id", "bob").execute()
    deleted = (await js.wait_for(change_of(3, "DELETE")))["payload"]
    assert deleted["old"] == bob and deleted["new"] == {}
    await js.wait_for(change_of(1, "DELETE"))  # the * binding saw it too

    statuses = [e["status"] for e in js.inbox.items if e.get("type") == "status"]
    assert statuses == ["SUBSCRIBED"]  # the bindings matched the echo: no CHANNEL_ERROR


async def test_realtime_js_and_realtime_py_see_the_same_change(
    hub: RunningHub, js_client, py_client, rest: RestFactory
) -> None:  # type: ignore[no-untyped-def]
    from datakit import data_of, listening_channel

    _, py_inbox = await listening_channel(
        py_client(), ROOM, [("INSERT", "comments", f"room_id=eq.{ROOM}")]
    )
    js = await js_client(
        hub.url,
        "anon",
        f"room:{ROOM}",
        json.dumps([binding("INSERT", "comments", f"room_id=eq.{ROOM}")]),
        "",
        hub.tokens.service_token(),
        script="postgres_changes_client.mjs",
    )
    await js.wait_for(lambda e: e.get("type") == "status" and e["status"] == "SUBSCRIBED")
    client = await rest()
    await ensure_room(client, ROOM)
    await client.table("comments").insert(comment(ROOM, message="both")).execute()
    from_js = (await js.wait_for(change_of(0, "INSERT")))["payload"]
    from_py = data_of(await py_inbox.wait_for(lambda p: True))
    assert from_js["new"] == from_py["record"]
    assert from_js["commit_timestamp"] == from_py["commit_timestamp"]
