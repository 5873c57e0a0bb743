"""Presence as Phoenix does it, on raw sockets and with realtime-py computing the state."""

from __future__ import annotations

import asyncio
import signal
import sys
import textwrap
from typing import Any

from hubkit import WAIT_S, Inbox, RawClient, RawFactory, room_config, subscribed

from hub import RunningHub

TOPIC = "realtime:room:abc"


async def member(raw: RawFactory, key: str, vsn: str = "2.0.0", enabled: bool = True) -> RawClient:
    client = await raw(vsn)
    await client.join(TOPIC, {"presence": {"key": key, "enabled": enabled}})
    if enabled:
        await client.recv_event("presence_state")
    return client


async def track(client: RawClient, payload: Any) -> None:
    ref = client.next_ref()
    await client.send(
        TOPIC,
        "presence",
        {"type": "presence", "event": "track", "payload": payload},
        ref=ref,
        join_ref="1",
    )


async def test_presence_state_follows_join_with_current_join_ref(raw: RawFactory) -> None:
    first = await member(raw, "ann")
    await track(first, {"name": "Ann"})
    await first.recv_event("presence_diff")
    second = await raw("2.0.0")
    await second.join(TOPIC, {"presence": {"key": "bob", "enabled": True}})
    state = await second.recv_event("presence_state")
    assert (state["join_ref"], state["ref"]) == ("1", None)
    [meta] = state["payload"]["ann"]["metas"]
    assert meta["name"] == "Ann"
    assert isinstance(meta["phx_ref"], str)
    assert meta["phx_ref"]


async def test_track_update_untrack_diffs_reach_everyone_including_the_tracker(
    raw: RawFactory,
) -> None:
    ann = await member(raw, "ann")
    bob = await member(raw, "bob", vsn="1.0.0")

    await track(ann, {"status": "paused"})
    assert (await ann.recv_event("phx_reply"))["payload"]["status"] == "ok"
    for client in (ann, bob):
        diff = await client.recv_event("presence_diff")
        assert diff["ref"] is None
        assert diff["join_ref"] is None
        assert diff["payload"]["leaves"] == {}
        [joined] = diff["payload"]["joins"]["ann"]["metas"]
        assert joined["status"] == "paused"
    first_ref = joined["phx_ref"]

    await track(ann, {"status": "playing"})
    for client in (ann, bob):
        diff = (await client.recv_event("presence_diff"))["payload"]
        [left] = diff["leaves"]["ann"]["metas"]
        [joined] = diff["joins"]["ann"]["metas"]
        assert left == {"status": "paused", "phx_ref": first_ref}
        assert joined["status"] == "playing"
        assert joined["phx_ref_prev"] == first_ref
        assert joined["phx_ref"] != first_ref

    # Same payload again: acknowledged, but nothing changes, so no diff.
    await track(ann, {"status": "playing"})
    assert (await ann.recv_event("phx_reply"))["payload"]["status"] == "ok"
    assert (await bob.heartbeat())["topic"] == "phoenix"

    await ann.send(
        TOPIC, "presence", {"type": "presence", "event": "untrack"}, ref="u", join_ref="1"
    )
    for client in (ann, bob):
        diff = (await client.recv_event("presence_diff"))["payload"]
        assert diff["joins"] == {}
        assert diff["leaves"]["ann"]["metas"][0]["status"] == "playing"


async def test_leave_and_disconnect_send_leaves(raw: RawFactory) -> None:
    watcher = await member(raw, "watcher")
    for how in ("leave", "disconnect"):
        other = await member(raw, how)
        await track(other, {"how": how})
        await watcher.recv_event("presence_diff")
        if how == "leave":
            await other.send(TOPIC, "phx_leave", {}, ref="9", join_ref="1")
        else:
            await other.ws.close()
        diff = (await watcher.recv_event("presence_diff"))["payload"]
        assert diff == {"joins": {}, "leaves": {how: {"metas": [diff["leaves"][how]["metas"][0]]}}}
        assert diff["leaves"][how]["metas"][0]["how"] == how


async def test_two_sockets_with_one_key_have_two_metas(raw: RawFactory) -> None:
    tab1 = await member(raw, "ann")
    tab2 = await member(raw, "ann")
    await track(tab1, {"tab": 1})
    await track(tab2, {"tab": 2})
    observer = await raw("2.0.0")
    await observer.join(TOPIC, {"presence": {"key": "obs", "enabled": True}})
    state = (await observer.recv_event("presence_state"))["payload"]
    assert sorted(meta["tab"] for meta in state["ann"]["metas"]) == [1, 2]


async def test_track_without_presence_enabled_sends_state_after_track(raw: RawFactory) -> None:
    ann = await member(raw, "ann")
    await track(ann, {"n": 1})
    late = await member(raw, "late", enabled=False)
    await track(late, {"n": 2})
    state = (await late.recv_event("presence_state"))["payload"]
    assert set(state) == {"ann", "late"}


async def test_track_payload_must_be_a_map(raw: RawFactory) -> None:
    ann = await member(raw, "ann")
    await track(ann, ["not", "a", "map"])
    reply = await ann.recv_event("phx_reply")
    assert reply["payload"] == {
        "status": "error",
        "response": {"reason": "Presence track payload must be a map"},
    }


async def test_unknown_presence_event_replies_error(raw: RawFactory) -> None:
    ann = await member(raw, "ann")
    await ann.send(TOPIC, "presence", {"event": "wave", "payload": {}}, ref="4", join_ref="1")
    reply = await ann.recv_event("phx_reply")
    assert reply["payload"] == {"status": "error", "response": {}}


def strip_refs(state: dict[str, list[dict[str, Any]]]) -> dict[str, list[dict[str, Any]]]:
    return {key: sorted((meta for meta in metas), key=repr) for key, metas in state.items()}


async def test_realtime_py_clients_compute_the_same_presence_state(py_client) -> None:  # type: ignore[no-untyped-def]
    clients = [py_client() for _ in range(3)]
    channels = []
    syncs = []
    for index, client in enumerate(clients):
        channel = client.channel("room:abc", room_config(f"user-{index}"))
        inbox = Inbox()
        channel.on_presence_sync(
            lambda inbox=inbox, channel=channel: inbox.put(channel.presence_state())
        )
        await subscribed(channel)
        channels.append(channel)
        syncs.append(inbox)

    async def all_see(expected: dict[str, list[dict[str, Any]]]) -> None:
        def matches(state: Any) -> bool:
            without_refs = {
                k: [{f: v for f, v in m.items() if f != "presence_ref"} for m in metas]
                for k, metas in state.items()
            }
            return without_refs == expected

        for inbox in syncs:
            await inbox.wait_for(matches)
        states = [channel.presence_state() for channel in channels]
        assert states[0] == states[1] == states[2]

    await channels[0].track({"user_id": "user-0", "is_playing": False})
    await channels[1].track({"user_id": "user-1", "is_playing": False})
    await all_see(
        {
            "user-0": [{"user_id": "user-0", "is_playing": False}],
            "user-1": [{"user_id": "user-1", "is_playing": False}],
        }
    )
    await channels[0].track({"user_id": "user-0", "is_playing": True})
    await all_see(
        {
            "user-0": [{"user_id": "user-0", "is_playing": True}],
            "user-1": [{"user_id": "user-1", "is_playing": False}],
        }
    )
    await channels[1].untrack()
    await all_see({"user-0": [{"user_id": "user-0", "is_playing": True}]})
    await channels[2].track({"user_id": "user-2", "is_playing": False})
    await all_see(
        {
            "user-0": [{"user_id": "user-0", "is_playing": True}],
            "user-2": [{"user_id": "user-2", "is_playing": False}],
        }
    )
    await clients[0].remove_channel(channels[0])
    for inbox in syncs[1:]:
        await inbox.wait_for(lambda state: set(state) == {"user-2"})
    assert channels[1].presence_state() == channels[2].presence_state()


KILLABLE = textwrap.dedent(
    """
    import asyncio, sys
    from realtime import AsyncRealtimeClient

    async def main():
        client = AsyncRealtimeClient(sys.argv[1] + "/realtime/v1", "anon")
        client.access_token = sys.argv[2]  # signed in as "doomed"
        channel = client.channel("room:abc", {"config": {"broadcast": {"self": False, "ack": False},
            "presence": {"key": "doomed", "enabled": True}, "private": False}})
        await channel.subscribe()
        await channel.track({"user_id": "doomed"})
        print("tracked", flush=True)
        await asyncio.sleep(60)

    asyncio.run(main())
    """
)


async def test_killed_client_leaves_presence(hub: RunningHub, raw: RawFactory) -> None:
    watcher = await member(raw, "watcher")
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-c",
        KILLABLE,
        hub.url,
        hub.tokens.issue("doomed").access_token,
        stdout=asyncio.subprocess.PIPE,
    )
    try:
        assert process.stdout is not None
        assert await asyncio.wait_for(process.stdout.readline(), 15) == b"tracked\n"
        joined = (await watcher.recv_event("presence_diff", within=WAIT_S))["payload"]
        assert "doomed" in joined["joins"]
        process.send_signal(signal.SIGKILL)
        left = (await watcher.recv_event("presence_diff", within=WAIT_S))["payload"]
        assert "doomed" in left["leaves"]
    finally:
        if process.returncode is None:
            process.kill()
        await process.wait()
