"""A member whose presence vanishes from room:X loses its room_members row, and the others see
the DELETE; a member still present on another connection keeps it."""

from __future__ import annotations

import sqlite3
from typing import Any

import pytest
from datakit import (
    RestFactory,
    data_of,
    ensure_room,
    left,
    listening_channel,
    member,
    subscribed_with_states,
)
from hubkit import Inbox, room_config, subscribed

from hub import HubSettings, RunningHub, start_hub

pytestmark = pytest.mark.slow

ROOM = "abc"


def deleted_user(payload: dict[str, Any]) -> str | None:
    data = data_of(payload)
    return data["old_record"]["user_id"] if data["type"] == "DELETE" else None


async def barrier(client: Any, watcher: Inbox) -> None:
    """A write whose change arrives after every change queued before it (writes are FIFO)."""
    await client.table("room_members").upsert(member(ROOM, "barrier")).execute()
    await watcher.wait_for(
        lambda p: data_of(p)["type"] != "DELETE" and data_of(p)["record"]["user_id"] == "barrier"
    )
    await (
        client.table("room_members").delete().eq("room_id", ROOM).eq("user_id", "barrier").execute()
    )
    await watcher.wait_for(lambda p: deleted_user(p) == "barrier")


async def members_of(client: Any) -> set[str]:
    rows = await client.table("room_members").select("user_id").eq("room_id", ROOM).execute()
    return {r["user_id"] for r in rows.data}


async def test_a_killed_client_loses_its_row(
    hub: RunningHub, js_client, py_client, rest: RestFactory
) -> None:  # type: ignore[no-untyped-def]
    client = await rest()
    await ensure_room(client, ROOM)
    _, watcher = await listening_channel(
        py_client(), ROOM, [("*", "room_members", f"room_id=eq.{ROOM}")]
    )
    bob_tabs = []
    for _ in range(2):  # bob has the room open twice
        tab = await js_client(hub.url, f"room:{ROOM}", "bob")
        await tab.wait_for(lambda e: e.get("type") == "status" and e["status"] == "SUBSCRIBED")
        await tab.command(cmd="track", payload={"user_id": "bob"})
        await tab.wait_for(lambda e: e.get("type") == "tracked")
        bob_tabs.append(tab)
    await client.table("room_members").upsert(member(ROOM, "bob")).execute()

    await bob_tabs[0].stop()  # SIGKILL
    await barrier(client, watcher)
    assert not any(deleted_user(p) == "bob" for p in watcher.items)  # still there on tab 2
    assert "bob" in await members_of(client)

    await bob_tabs[1].stop()  # SIGKILL: bob's last presence vanishes
    gone = await watcher.wait_for(lambda p: deleted_user(p) == "bob")
    assert data_of(gone)["old_record"]["room_id"] == ROOM
    assert "bob" not in await members_of(client)


async def test_untrack_and_leave_delete_the_row_of_that_key_only(
    py_client, rest: RestFactory
) -> None:  # type: ignore[no-untyped-def]
    client = await rest()
    await ensure_room(client, ROOM)
    _, watcher = await listening_channel(
        py_client(), ROOM, [("*", "room_members", f"room_id=eq.{ROOM}")]
    )
    channels = {}
    for user in ("ann", "cid"):
        channel = py_client().channel(f"room:{ROOM}", room_config(user))
        states = await subscribed_with_states(channel)
        await channel.track({"user_id": user})
        await client.table("room_members").upsert(member(ROOM, user)).execute()
        channels[user] = (channel, states)
    await client.table("room_members").upsert(member(ROOM, "never-present")).execute()

    await channels["ann"][0].untrack()
    await watcher.wait_for(lambda p: deleted_user(p) == "ann")
    await left(*channels["cid"])
    await watcher.wait_for(lambda p: deleted_user(p) == "cid")
    assert await members_of(client) == {"never-present"}


async def test_a_hub_shutting_down_keeps_the_rows_until_it_starts_again(
    tmp_path, py_client
) -> None:  # type: ignore[no-untyped-def]
    """Members cut off by a hub that stops did not leave: their rows stay while it is down.
    The next start sweeps them (nobody is present before it listens), and a member who is
    still around writes its row again when it rejoins."""
    settings = HubSettings(port=0, db_path=tmp_path / "hub.sqlite3")
    first = await start_hub(settings)
    client = await service_client(first)
    await ensure_room(client, ROOM)
    channel = py_client(target=first).channel(f"room:{ROOM}", room_config("ann"))
    await subscribed(channel)
    await channel.track({"user_id": "ann"})
    await client.table("room_members").upsert(member(ROOM, "ann")).execute()
    await first.close()  # the member did not leave: the hub went away
    await client.postgrest.aclose()
    with sqlite3.connect(settings.database) as conn:
        assert conn.execute("SELECT user_id FROM room_members").fetchall() == [("ann",)]
    second = await start_hub(settings)
    try:
        client = await service_client(second)
        assert await members_of(client) == set()
        await client.postgrest.aclose()
    finally:
        await second.close()


async def service_client(hub: RunningHub) -> Any:
    from supabase import AsyncClientOptions, acreate_client

    options = AsyncClientOptions(headers={"Authorization": f"Bearer {hub.tokens.service_token()}"})
    return await acreate_client(hub.url, "anon", options)


async def test_presence_in_other_topics_deletes_nothing(py_client, rest: RestFactory) -> None:  # type: ignore[no-untyped-def]
    client = await rest()
    await ensure_room(client, ROOM)
    await client.table("room_members").upsert(member(ROOM, "ann")).execute()
    _, watcher = await listening_channel(
        py_client(), ROOM, [("*", "room_members", f"room_id=eq.{ROOM}")]
    )
    realtime = py_client()
    lobby = realtime.channel(ROOM, room_config("ann"))  # topic "abc", not "room:abc"
    states = await subscribed_with_states(lobby)
    await lobby.track({"user_id": "ann"})
    await left(lobby, states)
    await barrier(client, watcher)
    assert "ann" in await members_of(client)


async def test_joining_again_on_the_same_socket_keeps_the_row(
    raw, py_client, rest: RestFactory
) -> None:  # type: ignore[no-untyped-def]
    # realtime-py rejoins a channel this way after a channel error (no phx_leave first).
    client = await rest()
    await ensure_room(client, ROOM)
    _, watcher = await listening_channel(
        py_client(), ROOM, [("*", "room_members", f"room_id=eq.{ROOM}")]
    )
    socket = await raw()
    topic = f"realtime:room:{ROOM}"
    config = room_config("ann")["config"]
    await socket.join(topic, config)
    await socket.send(
        topic, "presence", {"event": "track", "payload": {"user_id": "ann"}}, ref="t", join_ref="1"
    )
    await socket.recv_event("presence_diff")
    await client.table("room_members").upsert(member(ROOM, "ann")).execute()
    await socket.join(topic, config)  # the hub closes the first join and takes the second
    await barrier(client, watcher)
    assert not any(deleted_user(p) == "ann" for p in watcher.items)
    assert "ann" in await members_of(client)
