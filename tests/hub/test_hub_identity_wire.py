"""A payload's user_id is its sender's verified id on the hub: a broadcast or a presence
track that speaks for someone else is refused, not delivered, whether the sender is signed
in as another user or only holds the API key. So every receiver, the unmodified web client
included, can take a hub broadcast's user_id as true (hub/broadcast.py says why refused
rather than marked)."""

from __future__ import annotations

from typing import Any

import pytest
from hubkit import RawClient, RawFactory
from test_hub_broadcast_wire import kind3

from hub import RunningHub
from hub.broadcast import FORGED

TOPIC = "realtime:room:abc"


def config(key: str = "", *, ack: bool = False) -> dict[str, Any]:
    return {"broadcast": {"self": False, "ack": ack}, "presence": {"key": key}}


async def member(
    raw: RawFactory, hub: RunningHub, user: str | None, vsn: str = "1.0.0"
) -> RawClient:
    client = await raw(vsn)
    extra = {"access_token": hub.tokens.issue(user).access_token} if user else {}
    reply = await client.join(TOPIC, config(ack=True), **extra)
    assert reply["payload"]["status"] == "ok"
    return client


async def play(client: RawClient, user_id: str, position: float) -> dict[str, Any]:
    ref = client.next_ref()
    message = {
        "type": "broadcast",
        "event": "play",
        "payload": {"user_id": user_id, "current_time": position},
    }
    await client.send(TOPIC, "broadcast", message, ref=ref, join_ref="1")
    reply = await client.recv_event("phx_reply")
    assert reply["ref"] == ref
    return reply["payload"]  # type: ignore[no-any-return]


@pytest.mark.parametrize("sender", ["bob", None], ids=["signed-in-as-another", "api-key-only"])
async def test_a_broadcast_claiming_another_user_id_is_refused(
    hub: RunningHub, raw: RawFactory, sender: str | None
) -> None:
    alice = await member(raw, hub, "alice")
    forger = await member(raw, hub, sender)
    assert await play(forger, "alice", 66.0) == {"status": "error", "response": {"reason": FORGED}}
    # A broadcast without a user_id claim, and (signed in) one as oneself, still go through;
    # alice receives them and never the forged one.
    if sender is not None:
        assert (await play(forger, sender, 12.0))["status"] == "ok"
    ref = forger.next_ref()
    plain = {"type": "broadcast", "event": "ping", "payload": {"n": 1}}
    await forger.send(TOPIC, "broadcast", plain, ref=ref, join_ref="1")
    seen = []
    while True:
        frame = await alice.recv_event("broadcast")
        seen.append(frame["payload"]["payload"])
        if frame["payload"]["event"] == "ping":
            break
    assert seen == ([{"user_id": sender, "current_time": 12.0}] if sender else []) + [{"n": 1}]


async def send(client: RawClient, event: str, payload: dict[str, Any]) -> dict[str, Any]:
    ref = client.next_ref()
    message = {"type": "broadcast", "event": event, "payload": payload}
    await client.send(TOPIC, "broadcast", message, ref=ref, join_ref="1")
    return (await client.recv_event("phx_reply"))["payload"]  # type: ignore[no-any-return]


async def test_host_changed_names_the_new_host_and_its_sender_by_user_id(
    hub: RunningHub, raw: RawFactory
) -> None:
    alice = await member(raw, hub, "alice")
    mallory = await member(raw, hub, "mallory")
    handover = {"user_id": "bob", "by_user_id": "alice", "since": 1}
    assert (await send(alice, "host_changed", handover))["status"] == "ok"  # alice hands over
    assert (await send(mallory, "host_changed", handover))["status"] == "error"  # "by alice"
    own = {"user_id": "mallory", "by_user_id": "mallory"}
    assert (await send(mallory, "host_changed", own))["status"] == "ok"  # a claim, as herself
    # by_user_id does not excuse another user_id on any other event.
    forged = {"user_id": "alice", "by_user_id": "mallory", "current_time": 1}
    assert (await send(mallory, "play", forged))["status"] == "error"


def pong(from_user: str) -> dict[str, Any]:
    return {
        "from_user": from_user,
        "to_user": "bob",
        "ping_id": 1,
        "ping_sent_at": 1.0,
        "received_at": 2.0,
        "sent_at": 2.5,
    }


CLOCK_MESSAGES = [
    # (event, payload sent by mallory, delivered?)
    ("sync_ping", {"from_user": "mallory", "to_user": "alice", "ping_id": 1, "sent_at": 1}, True),
    ("sync_ping", {"from_user": "bob", "to_user": "alice", "ping_id": 1, "sent_at": 1}, False),
    ("sync_ping", {"to_user": "alice", "ping_id": 1, "sent_at": 1}, True),  # names no sender
    ("sync_pongs", {"pongs": [pong("mallory"), pong("mallory")]}, True),
    ("sync_pongs", {"pongs": [pong("mallory"), pong("alice")]}, False),  # one forged is enough
    ("sync_pongs", {"pongs": [pong("alice")]}, False),
    ("sync_pongs", {"pongs": ["junk", 3]}, True),  # nothing it claims; receivers drop it
    ("sync_pongs", {"pongs": "junk"}, True),
    ("sync_pongs", {"pongs": [], "user_id": "alice"}, False),  # user_id holds here too
]


@pytest.mark.parametrize(("event", "payload", "delivered"), CLOCK_MESSAGES)
async def test_clock_pings_and_pongs_name_their_real_sender(
    hub: RunningHub, raw: RawFactory, event: str, payload: dict[str, Any], delivered: bool
) -> None:
    """A forged ping would skew the host's idea of a member's latency (and so every start's
    lead); a forged pong, a follower's clock. Their sender is `from_user`: the hub checks it
    as it checks `user_id`. (The room's web client sends neither event.)"""
    alice = await member(raw, hub, "alice")
    mallory = await member(raw, hub, "mallory")
    reply = await send(mallory, event, payload)
    assert reply == (
        {"status": "ok", "response": {}}
        if delivered
        else {"status": "error", "response": {"reason": FORGED}}
    )
    marker = {"user_id": "mallory", "n": 1}
    assert (await send(mallory, "heartbeat", marker))["status"] == "ok"
    first = await alice.recv_event("broadcast")
    expected = (event, payload) if delivered else ("heartbeat", marker)
    assert (first["payload"]["event"], first["payload"]["payload"]) == expected


async def test_a_binary_broadcast_claiming_another_user_id_is_refused(
    hub: RunningHub, raw: RawFactory
) -> None:
    forger = await member(raw, hub, "bob", vsn="2.0.0")
    await forger.ws.send_bytes(kind3("1", "7", TOPIC, "play", b'{"user_id": "alice"}'))
    reply = await forger.recv_event("phx_reply")
    assert reply["payload"] == {"status": "error", "response": {"reason": FORGED}}


async def test_presence_is_tracked_only_as_oneself(hub: RunningHub, raw: RawFactory) -> None:
    bob = await raw()
    token = hub.tokens.issue("bob").access_token
    await bob.join(TOPIC, config("bob"), access_token=token)
    ref = bob.next_ref()
    track = {"type": "presence", "event": "track", "payload": {"user_id": "alice"}}
    await bob.send(TOPIC, "presence", track, ref=ref, join_ref="1")
    reply = await bob.recv_event("phx_reply")
    assert reply["payload"]["status"] == "error"

    mallory = await raw()
    # Presence key "alice" on a socket signed in as mallory: tracking is refused.
    await mallory.join(
        TOPIC, config("alice"), access_token=hub.tokens.issue("mallory").access_token
    )
    ref = mallory.next_ref()
    track = {"type": "presence", "event": "track", "payload": {"name": "Alice"}}
    await mallory.send(TOPIC, "presence", track, ref=ref, join_ref="1")
    reply = await mallory.recv_event("phx_reply")
    assert reply["payload"]["status"] == "error"
    ref = bob.next_ref()
    await bob.send(
        TOPIC,
        "presence",
        {"type": "presence", "event": "track", "payload": {"user_id": "bob"}},
        ref=ref,
        join_ref="1",
    )
    assert (await bob.recv_event("phx_reply"))["payload"]["status"] == "ok"
    diff = await bob.recv_event("presence_diff")
    assert set(diff["payload"]["joins"]) == {"bob"}  # only the genuine one
