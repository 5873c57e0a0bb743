"""postgres_changes from the hub's tables, as realtime-py and raw sockets receive them."""

from __future__ import annotations

import re
from typing import Any

from datakit import (
    RestFactory,
    comment,
    data_of,
    ensure_room,
    listening_channel,
    member,
)
from hubkit import Inbox, RawClient, RawFactory, room_config, subscribed

ROOM = "abc"
TOPIC = f"realtime:room:{ROOM}"
OTHER_TOPIC = f"realtime:watch:{ROOM}"
COMMIT_TIMESTAMP = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z")


async def test_realtime_py_callbacks_get_insert_update_delete(rest: RestFactory, py_client) -> None:  # type: ignore[no-untyped-def]
    realtime = py_client()
    _, rooms = await listening_channel(
        realtime, ROOM, [("UPDATE", "rooms", f"room_id=eq.{ROOM}")], key="w1"
    )
    _, members = await listening_channel(
        py_client(), ROOM, [("*", "room_members", f"room_id=eq.{ROOM}")], key="w2"
    )
    _, comments = await listening_channel(
        py_client(), ROOM, [("INSERT", "comments", f"room_id=eq.{ROOM}")], key="w3"
    )
    client = await rest()
    await ensure_room(client, ROOM)

    await (
        client.table("rooms")
        .update({"is_playing": True, "current_time": 7.5})
        .eq("room_id", ROOM)
        .execute()
    )
    update = data_of(await rooms.wait_for(lambda p: True))
    assert update["type"] == "UPDATE" and update["table"] == "rooms"
    assert update["schema"] == "public" and update["errors"] is None
    assert COMMIT_TIMESTAMP.fullmatch(update["commit_timestamp"])
    assert update["record"]["is_playing"] is True and update["record"]["current_time"] == 7.5
    assert update["old_record"]["is_playing"] is False  # the whole old row (replica identity full)
    assert [c["name"] for c in update["columns"]][:4] == [
        "room_id",
        "host_user_id",
        "current_time",
        "is_playing",
    ]
    assert {c["name"]: c["type"] for c in update["columns"]}["is_playing"] == "bool"

    inserted = (await client.table("room_members").insert(member(ROOM, "ann")).execute()).data[0]
    insert = data_of(await members.wait_for(lambda p: data_of(p)["type"] == "INSERT"))
    assert insert["record"] == inserted and "old_record" not in insert
    await (
        client.table("room_members")
        .update({"is_synced": False})
        .eq("room_id", ROOM)
        .eq("user_id", "ann")
        .execute()
    )
    update = data_of(await members.wait_for(lambda p: data_of(p)["type"] == "UPDATE"))
    assert update["old_record"]["is_synced"] is True and update["record"]["is_synced"] is False
    await client.table("room_members").delete().eq("room_id", ROOM).eq("user_id", "ann").execute()
    delete = data_of(await members.wait_for(lambda p: data_of(p)["type"] == "DELETE"))
    assert "record" not in delete
    # The update stamped last_heartbeat with the hub's time (the migration's trigger does too).
    stamped = update["record"]["last_heartbeat"]
    assert stamped > inserted["last_heartbeat"]
    assert delete["old_record"] == {**inserted, "is_synced": False, "last_heartbeat": stamped}

    row = comment(ROOM, video_timestamp=3.25, is_anchor=True)
    await client.table("comments").upsert(row, on_conflict="id", ignore_duplicates=True).execute()
    got = await comments.wait_for(lambda p: True)
    record = data_of(got)["record"]
    assert record["id"] == row["id"] and record["video_timestamp"] == 3.25
    assert record["is_anchor"] is True and isinstance(record["seq"], int)
    assert len(got["ids"]) == 1 and got["ids"][0] != 0
    # Nothing else arrived: each change reached each matching binding once. A later change to
    # each table reaches its listener (one socket, commit order) after any duplicate would.
    await client.table("rooms").update({"current_time": 9.0}).eq("room_id", ROOM).execute()
    await client.table("room_members").insert(member(ROOM, "marker")).execute()
    marker = comment(ROOM, message="marker")
    await client.table("comments").insert(marker).execute()
    await rooms.wait_for(lambda p: data_of(p)["record"]["current_time"] == 9.0)
    await members.wait_for(lambda p: data_of(p).get("record", {}).get("user_id") == "marker")
    await comments.wait_for(lambda p: data_of(p)["record"]["id"] == marker["id"])
    assert len(rooms.items) == 2 and len(members.items) == 4 and len(comments.items) == 2


async def joined_with(
    raw: RawFactory, bindings: list[dict[str, Any]], vsn: str = "1.0.0"
) -> tuple[RawClient, dict[int, str]]:
    client = await raw(vsn=vsn)
    reply = await client.join(TOPIC, {"postgres_changes": bindings, "broadcast": {"self": True}})
    echoed = reply["payload"]["response"]["postgres_changes"]
    return client, {b["id"]: b.get("filter", "") for b in echoed}


async def next_change(client: RawClient, table: str | None = None) -> dict[str, Any]:
    while True:
        frame = await client.recv_event("postgres_changes")
        payload: dict[str, Any] = frame["payload"]
        if table is None or payload["data"]["table"] == table:
            return payload


async def frames_before_heartbeat_reply(client: RawClient) -> list[dict[str, Any]]:
    """Everything the hub sent up to the reply to a fresh heartbeat."""
    ref = f"hb{client.next_ref()}"
    await client.send("phoenix", "heartbeat", {}, ref=ref)
    frames = []
    while True:
        frame = await client.recv()
        assert isinstance(frame, dict)
        if frame["event"] == "phx_reply" and frame["ref"] == ref:
            return frames
        frames.append(frame)


def comments_binding(row_filter: str, event: str = "*") -> dict[str, Any]:
    return {"event": event, "schema": "public", "table": "comments", "filter": row_filter}


async def test_each_filter_operator_matches_by_column_type(
    rest: RestFactory, raw: RawFactory
) -> None:
    row = comment(
        ROOM,
        user_id="b,c",
        video_timestamp=5.0,
        episode_number=3,
        is_anchor=True,
        created_at="2026-11-26T13:45:14.5+00:00",
    )
    matching = [
        "video_timestamp=eq.5",
        "video_timestamp=eq.5.0",
        "video_timestamp=neq.4",
        "video_timestamp=lt.6",
        "video_timestamp=lte.5",
        "video_timestamp=gt.4.5",
        "video_timestamp=gte.5",
        "video_timestamp=in.(4,5)",
        "episode_number=gt.2",
        "episode_number=in.(1,2,3)",
        'user_id=in.("b,c",d)',
        "user_id=gt.a",
        "is_anchor=eq.true",
        f"id=eq.{row['id'].upper()}",
        "created_at=eq.2026-11-26T14:45:14.500+01:00",
        "created_at=lt.2026-11-26T13:45:15Z",
        f"room_id=eq.{ROOM}",
    ]
    not_matching = [
        "video_timestamp=eq.4",
        "video_timestamp=neq.5",
        "video_timestamp=lt.5",
        "video_timestamp=lte.4.99",
        "video_timestamp=gt.5",
        "video_timestamp=gte.6",
        "video_timestamp=in.(4,6)",
        "video_timestamp=in.()",
        "episode_number=lt.3",
        "user_id=in.(b,c)",
        "user_id=eq.b",
        "is_anchor=eq.false",
        "created_at=gt.2026-11-26T13:45:14.5Z",
        "parent_id=eq.00000000-0000-4000-8000-000000000000",
        "parent_id=neq.00000000-0000-4000-8000-000000000000",  # NULL matches no comparison
        "anime_id=in.(a,b)",
        "room_id=eq.other",
    ]
    client, bindings = await joined_with(
        raw, [comments_binding(f) for f in matching + not_matching]
    )
    assert len(bindings) == len(matching) + len(not_matching)
    rest_client = await rest()
    await ensure_room(rest_client, ROOM)
    await rest_client.table("comments").insert(row).execute()
    change = await next_change(client)
    assert sorted(bindings[i] for i in change["ids"]) == sorted(matching)
    assert change["data"]["record"]["created_at"] == "2026-11-26T13:45:14.500000+00:00"


async def test_one_frame_per_change_with_every_matching_binding(
    rest: RestFactory, raw: RawFactory
) -> None:
    bindings = [
        comments_binding(f"room_id=eq.{ROOM}", "INSERT"),
        comments_binding("", "*"),
        {"event": "*", "schema": "public"},  # every table
        comments_binding(f"room_id=eq.{ROOM}", "DELETE"),
    ]
    for vsn in ("1.0.0", "2.0.0"):
        client, ids = await joined_with(raw, bindings, vsn=vsn)
        echoed = list(ids)
        rest_client = await rest()
        await ensure_room(rest_client, ROOM)
        await rest_client.table("comments").insert(comment(ROOM)).execute()
        change = await next_change(client, "comments")
        assert change["ids"] == echoed[:3]
        assert change["data"]["type"] == "INSERT"
        later = await frames_before_heartbeat_reply(client)
        assert [f for f in later if f["event"] == "postgres_changes"] == []  # one frame only
        await client.close()


async def test_v2_frames_are_arrays_with_the_same_data(rest: RestFactory, raw: RawFactory) -> None:
    v1, _ = await joined_with(raw, [comments_binding(f"room_id=eq.{ROOM}")])
    v2, _ = await joined_with(raw, [comments_binding(f"room_id=eq.{ROOM}")], vsn="2.0.0")
    rest_client = await rest()
    await ensure_room(rest_client, ROOM)
    await rest_client.table("comments").insert(comment(ROOM)).execute()
    raw_v2 = await v2.recv_event("postgres_changes")
    assert (raw_v2["join_ref"], raw_v2["ref"], raw_v2["topic"]) == (None, None, TOPIC)
    assert raw_v2["payload"] == await next_change(v1)


async def test_delete_filters_test_the_old_row(rest: RestFactory, raw: RawFactory) -> None:
    client, ids = await joined_with(
        raw,
        [
            {
                "event": "DELETE",
                "schema": "public",
                "table": "room_members",
                "filter": "user_id=eq.bob",
            },
            {
                "event": "DELETE",
                "schema": "public",
                "table": "room_members",
                "filter": "is_host=eq.true",
            },
        ],
    )
    bob_id, host_id = list(ids)
    rest_client = await rest()
    await ensure_room(rest_client, ROOM)
    for user, host in (("ann", True), ("bob", False), ("cid", False)):
        await rest_client.table("room_members").insert(member(ROOM, user, is_host=host)).execute()
    members = rest_client.table("room_members")
    await members.delete().eq("room_id", ROOM).eq("user_id", "cid").execute()  # matches neither
    await members.delete().eq("room_id", ROOM).eq("user_id", "bob").execute()
    change = await next_change(client)
    assert change["ids"] == [bob_id] and change["data"]["old_record"]["user_id"] == "bob"
    await members.delete().eq("room_id", ROOM).eq("user_id", "ann").execute()
    change = await next_change(client)
    assert change["ids"] == [host_id] and change["data"]["old_record"]["user_id"] == "ann"


async def test_cascaded_deletes_are_changes_too(rest: RestFactory, raw: RawFactory) -> None:
    client, _ = await joined_with(raw, [{"event": "DELETE", "schema": "public"}])
    rest_client = await rest()
    await ensure_room(rest_client, ROOM)
    await rest_client.table("room_members").insert(member(ROOM, "ann")).execute()
    await rest_client.table("comments").insert(comment(ROOM)).execute()
    await rest_client.table("rooms").delete().eq("room_id", ROOM).execute()
    tables = {(await next_change(client))["data"]["table"] for _ in range(3)}
    assert tables == {"rooms", "room_members", "comments"}


async def test_a_bad_binding_gets_an_error_and_the_channel_stays(
    rest: RestFactory, raw: RawFactory
) -> None:
    bad = [
        comments_binding("room_id=like.abc%"),
        comments_binding("nope=eq.1"),
        comments_binding("seq=lt.abc"),
        comments_binding("video_timestamp=in.(" + ",".join(map(str, range(101))) + ")"),
        comments_binding("undefined"),
        {"event": "*", "schema": "public", "table": "no_such_table"},
        {"event": "TRUNCATE", "schema": "public", "table": "comments"},
    ]
    good = comments_binding(f"room_id=eq.{ROOM}", "INSERT")
    client, ids = await joined_with(raw, [*bad, good])
    first = await client.recv_event("system")
    assert first["payload"] == {
        "channel": f"room:{ROOM}",
        "extension": "postgres_changes",
        "message": "Subscribed to PostgreSQL",
        "status": "ok",
    }
    errors = [await client.recv_event("system") for _ in bad]
    for error in errors:
        assert error["payload"]["status"] == "error"
        assert error["payload"]["extension"] == "postgres_changes"
        assert error["payload"]["channel"] == f"room:{ROOM}"
    assert "like" in errors[0]["payload"]["message"]
    assert "nope" in errors[1]["payload"]["message"]
    assert "no such table" in errors[5]["payload"]["message"]
    rest_client = await rest()
    await ensure_room(rest_client, ROOM)
    await rest_client.table("comments").insert(comment(ROOM)).execute()
    change = await next_change(client)
    assert change["ids"] == [list(ids)[-1]]  # only the good binding
    # The channel is still open: broadcasts still flow, and no phx_close came.
    await client.send(
        TOPIC, "broadcast", {"type": "broadcast", "event": "e", "payload": {}}, join_ref="1"
    )
    events = [f["event"] for f in await frames_before_heartbeat_reply(client)]
    assert "broadcast" in events and "phx_close" not in events


async def test_only_bad_bindings_get_no_subscribed_message(raw: RawFactory) -> None:
    client, _ = await joined_with(raw, [comments_binding("seq=zz.1")])
    frames = await frames_before_heartbeat_reply(client)
    systems = [f["payload"] for f in frames if f["event"] == "system"]
    assert [s["status"] for s in systems] == ["error"]  # and no "Subscribed to PostgreSQL"


async def test_a_left_channel_gets_no_more_changes(rest: RestFactory, raw: RawFactory) -> None:
    client = await raw()
    binding = comments_binding(f"room_id=eq.{ROOM}", "INSERT")
    await client.join(TOPIC, {"postgres_changes": [binding]})  # join_ref "1"
    await client.join(OTHER_TOPIC, {"postgres_changes": [binding]})
    await client.send(TOPIC, "phx_leave", {}, ref="leave", join_ref="1")
    await client.recv_event("phx_close")
    rest_client = await rest()
    await ensure_room(rest_client, ROOM)
    rows = [comment(ROOM), comment(ROOM)]
    for row in rows:
        await rest_client.table("comments").insert(row).execute()
    # Both changes reach the channel that stayed on the same socket, and the first is
    # delivered before the second is committed: a frame for the left channel would be here.
    frames = []
    while len([f for f in frames if f["event"] == "postgres_changes"]) < len(rows):
        frame = await client.recv()
        assert isinstance(frame, dict)
        frames.append(frame)
    changes = [f for f in frames if f["event"] == "postgres_changes"]
    assert [f["topic"] for f in changes] == [OTHER_TOPIC, OTHER_TOPIC]
    assert [f["payload"]["data"]["record"]["id"] for f in changes] == [r["id"] for r in rows]


async def test_realtime_py_subscriber_with_presence_and_changes(
    rest: RestFactory, py_client
) -> None:  # type: ignore[no-untyped-def]
    channel = py_client().channel(f"room:{ROOM}", room_config("ann"))
    changes, syncs = Inbox(), Inbox()
    channel.on_postgres_changes(
        "INSERT", changes.put, table="comments", filter=f"room_id=eq.{ROOM}"
    )
    channel.on_presence_sync(lambda: syncs.put(channel.presence_state()))
    await subscribed(channel)
    await channel.track({"user_id": "ann"})
    await syncs.wait_for(lambda state: "ann" in state)
    client = await rest()
    await ensure_room(client, ROOM)
    # ann reads the room's comments once she is a member (as the room's rules say).
    await client.table("room_members").insert(member(ROOM, "ann")).execute()
    await client.table("comments").insert(comment(ROOM, message="with presence")).execute()
    got = await changes.wait_for(lambda p: True)
    assert data_of(got)["record"]["message"] == "with presence"


async def test_a_retried_comment_is_one_row_and_one_change(
    rest: RestFactory, raw: RawFactory
) -> None:
    client, _ = await joined_with(raw, [comments_binding(f"room_id=eq.{ROOM}", "INSERT")])
    rest_client = await rest()
    await ensure_room(rest_client, ROOM)
    row = comment(ROOM)
    for _ in range(3):
        await (
            rest_client.table("comments")
            .upsert(row, on_conflict="id", ignore_duplicates=True)
            .execute()
        )
    frames = await frames_before_heartbeat_reply(client)  # sent after the last answer
    changes = [f["payload"]["data"] for f in frames if f["event"] == "postgres_changes"]
    assert [c["record"]["id"] for c in changes] == [row["id"]]
    stored = await rest_client.table("comments").select("id").execute()
    assert stored.data == [{"id": row["id"]}]


async def test_changes_reach_only_those_the_rooms_rules_let_read_them(
    rest: RestFactory, raw
) -> None:  # type: ignore[no-untyped-def]
    """As Supabase Realtime applies the SELECT policies per subscriber: a room's members get
    its changes, a signed-in outsider and a socket with only the API key get none."""
    client = await rest()
    await ensure_room(client, ROOM)
    await client.table("room_members").insert(member(ROOM, "ann")).execute()
    binding = {"event": "INSERT", "schema": "public", "table": "comments"}  # every room
    listeners = {}
    for who in ("ann", "outsider", None):
        listener = await raw()
        # Without a user, realtime-py sends the API key itself as the access token.
        extra = {"access_token": listener.tokens.issue(who).access_token if who else "anon"}
        reply = await listener.join(
            f"realtime:room:{ROOM}", {"postgres_changes": [binding]}, **extra
        )
        assert reply["payload"]["status"] == "ok"
        listeners[who] = listener
    await client.table("comments").insert(comment(ROOM, message="for members")).execute()
    await client.table("room_members").insert(member(ROOM, "outsider")).execute()  # joins now
    await client.table("comments").insert(comment(ROOM, message="for both")).execute()
    ann, outsider, anon = listeners["ann"], listeners["outsider"], listeners[None]
    seen_by_ann = [
        (await ann.recv_event("postgres_changes"))["payload"]["data"]["record"]["message"]
        for _ in range(2)
    ]
    assert seen_by_ann == ["for members", "for both"]
    first_for_outsider = await outsider.recv_event("postgres_changes")
    assert first_for_outsider["payload"]["data"]["record"]["message"] == "for both"
    # The changes were fanned out before the REST answers: anything for anon came before the
    # reply to a heartbeat sent now.
    await anon.send("phoenix", "heartbeat", {}, ref="hb-last")
    events = []
    while True:
        frame = await anon.recv()
        assert isinstance(frame, dict)
        if frame["event"] == "phx_reply" and frame["ref"] == "hb-last":
            break
        events.append(frame["event"])
    assert "postgres_changes" not in events
