"""Channel lifecycle frames, checked byte-for-byte on raw sockets in both protocol versions."""

from __future__ import annotations

import aiohttp
import pytest
from hubkit import RawFactory

from hub import RunningHub

TOPIC = "realtime:room:abc"
BINDINGS = [
    {"event": "*", "schema": "public", "table": "comments", "filter": "room_id=eq.abc"},
    {"event": "INSERT", "schema": "public", "table": "room_members", "filter": "room_id=eq.abc"},
    {"event": "UPDATE", "schema": "public", "table": "rooms", "filter": "id=eq.abc"},
]


@pytest.mark.parametrize("vsn", ["1.0.0", "2.0.0"])
async def test_join_echoes_postgres_changes_bindings_in_order_with_nonzero_ids(
    raw: RawFactory, vsn: str
) -> None:
    client = await raw(vsn)
    reply = await client.join(TOPIC, {"postgres_changes": BINDINGS})
    assert reply["payload"]["status"] == "ok"
    echoed = reply["payload"]["response"]["postgres_changes"]
    assert [{k: v for k, v in b.items() if k != "id"} for b in echoed] == BINDINGS
    ids = [b["id"] for b in echoed]
    assert all(isinstance(i, int) and i > 0 for i in ids)
    assert len(set(ids)) == len(ids)
    system = await client.recv_event("system")
    assert system["payload"] == {
        "channel": "room:abc",
        "extension": "postgres_changes",
        "message": "Subscribed to PostgreSQL",
        "status": "ok",
    }
    if vsn == "2.0.0":
        assert reply["join_ref"] == "1"
        assert system["join_ref"] == "1"


async def test_join_without_bindings_replies_empty_list(raw: RawFactory) -> None:
    client = await raw()
    reply = await client.join(TOPIC)
    assert reply["payload"] == {"status": "ok", "response": {"postgres_changes": []}}


@pytest.mark.parametrize("vsn", ["1.0.0", "2.0.0"])
async def test_leave_replies_ok_then_closes_with_join_ref(raw: RawFactory, vsn: str) -> None:
    client = await raw(vsn)
    await client.join(TOPIC)
    await client.send(TOPIC, "phx_leave", {}, ref="7", join_ref="1")
    reply = await client.recv_event("phx_reply")
    assert (reply["ref"], reply["payload"]) == ("7", {"status": "ok", "response": {}})
    close = await client.recv_event("phx_close")
    assert close["ref"] == "1"
    assert close["payload"] == {}
    # The topic is no longer joined.
    await client.send(
        TOPIC,
        "broadcast",
        {"type": "broadcast", "event": "x", "payload": {}},
        ref="8",
        join_ref="1",
    )
    reply = await client.recv_event("phx_reply")
    assert reply["payload"] == {"status": "error", "response": {"reason": "unmatched topic"}}


async def test_duplicate_join_closes_the_old_join_then_joins(raw: RawFactory) -> None:
    client = await raw("2.0.0")
    await client.join(TOPIC)
    await client.send(TOPIC, "phx_join", {"config": {}}, ref="5", join_ref="5")
    close = await client.recv_event("phx_close")
    assert (close["join_ref"], close["ref"]) == ("1", "1")
    reply = await client.recv_event("phx_reply")
    assert (reply["join_ref"], reply["ref"], reply["payload"]["status"]) == ("5", "5", "ok")


async def test_push_to_unjoined_topic_is_unmatched(raw: RawFactory) -> None:
    client = await raw()
    await client.send(
        "realtime:elsewhere",
        "broadcast",
        {"type": "broadcast", "event": "x", "payload": {}},
        ref="3",
        join_ref="1",
    )
    reply = await client.recv_event("phx_reply")
    assert reply["ref"] == "3"
    assert reply["payload"] == {"status": "error", "response": {"reason": "unmatched topic"}}


async def test_join_of_topic_outside_realtime_is_unmatched(raw: RawFactory) -> None:
    client = await raw()
    await client.send("room:abc", "phx_join", {}, ref="1", join_ref="1")
    reply = await client.recv_event("phx_reply")
    assert reply["payload"] == {"status": "error", "response": {"reason": "unmatched topic"}}


async def test_join_of_bare_prefix_needs_a_topic_name(raw: RawFactory) -> None:
    client = await raw()
    reply = await client.join("realtime:")
    assert reply["payload"] == {
        "status": "error",
        "response": {"reason": "TopicNameRequired: You must provide a topic name"},
    }


async def test_replay_on_public_channel_is_refused(raw: RawFactory) -> None:
    client = await raw()
    reply = await client.join(TOPIC, {"broadcast": {"replay": {"since": 0}}})
    assert reply["payload"]["response"] == {
        "reason": "UnableToReplayMessages: Replay is not allowed for public channels"
    }


async def test_join_with_malformed_config_joins_with_defaults(raw: RawFactory) -> None:
    client = await raw()
    ref = client.next_ref()
    await client.send(TOPIC, "phx_join", {"config": "nonsense"}, ref=ref, join_ref=ref)
    reply = await client.recv_event("phx_reply")
    assert reply["payload"]["status"] == "ok"


@pytest.mark.parametrize("vsn", ["1.0.0", "2.0.0"])
async def test_heartbeat_reply_carries_the_same_ref(raw: RawFactory, vsn: str) -> None:
    client = await raw(vsn)
    await client.send("phoenix", "heartbeat", {}, ref="42")
    reply = await client.recv_event("phx_reply")
    assert (reply["topic"], reply["ref"], reply["payload"]) == (
        "phoenix",
        "42",
        {"status": "ok", "response": {}},
    )
    await client.send("phoenix", "heartbeat", {}, ref=None)  # realtime-py sends ref null
    reply = await client.recv_event("phx_reply")
    assert reply["ref"] is None


async def test_access_token_gets_no_reply(raw: RawFactory) -> None:
    client = await raw()
    await client.join(TOPIC)
    await client.send(TOPIC, "access_token", {"access_token": "NEW"}, ref="9", join_ref="1")
    await client.send("phoenix", "heartbeat", {}, ref="10")
    reply = await client.recv_event("phx_reply")
    # The heartbeat's reply is the next frame: nothing answered the access_token.
    assert reply["ref"] == "10"


async def test_unknown_event_on_joined_topic_gets_no_reply(raw: RawFactory) -> None:
    client = await raw()
    await client.join(TOPIC)
    await client.send(TOPIC, "wiggle", {"x": 1}, ref="9", join_ref="1")
    await client.send("phoenix", "heartbeat", {}, ref="10")
    reply = await client.recv_event("phx_reply")
    assert reply["ref"] == "10"


async def test_both_websocket_paths_serve_the_protocol(raw: RawFactory) -> None:
    for path in ("/realtime/v1/websocket", "/socket/websocket"):
        client = await raw(path=path)
        reply = await client.join(TOPIC)
        assert reply["payload"]["status"] == "ok"


async def test_websocket_ping_is_answered(hub: RunningHub) -> None:
    async with (
        aiohttp.ClientSession() as session,
        session.ws_connect(
            f"{hub.url}/socket/websocket", params={"apikey": "k", "vsn": "1.0.0"}, autoping=False
        ) as ws,
    ):
        await ws.ping(b"are you there")
        message = await ws.receive(timeout=5)
        assert (message.type, message.data) == (aiohttp.WSMsgType.PONG, b"are you there")


async def test_channels_per_client_limit(make_hub, raw: RawFactory) -> None:  # type: ignore[no-untyped-def]
    small = await make_hub(max_channels_per_client=3)
    client = await raw(target=small)
    for index in range(3):
        assert (await client.join(f"realtime:t{index}"))["payload"]["status"] == "ok"
    reply = await client.join("realtime:t3")
    assert reply["payload"] == {
        "status": "error",
        "response": {"reason": "ChannelRateLimitReached: Too many channels"},
    }


async def test_concurrent_users_limit_is_checked_at_join(make_hub, raw: RawFactory) -> None:  # type: ignore[no-untyped-def]
    small = await make_hub(max_concurrent_users=2)
    first, second, third = [await raw(target=small) for _ in range(3)]
    assert (await first.join(TOPIC, {"presence": {"key": "first"}}))["payload"]["status"] == "ok"
    watching = {"presence": {"key": "second", "enabled": True}}
    assert (await second.join(TOPIC, watching))["payload"]["status"] == "ok"
    reply = await third.join(TOPIC)
    assert reply["payload"]["response"] == {
        "reason": "ConnectionRateLimitReached: Too many connected users"
    }
    # A socket already counted may join more channels.
    assert (await first.join("realtime:other"))["payload"]["status"] == "ok"
    # first tracks so that second sees its socket go: the hub forgets a socket's user in the
    # same step that sends its presence leave.
    await first.send(TOPIC, "presence", {"event": "track", "payload": {}}, ref="t", join_ref="1")
    assert "first" in (await second.recv_event("presence_diff"))["payload"]["joins"]
    await first.close()
    assert "first" in (await second.recv_event("presence_diff"))["payload"]["leaves"]
    assert (await third.join(TOPIC))["payload"]["status"] == "ok"
