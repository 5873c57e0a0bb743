"""realtime-py 2.34.1 against the hub: what an app built on it relies on."""

from __future__ import annotations

import pytest
from hubkit import Inbox, RawFactory, room_config, subscribed

from hub import HubSettings, RunningHub, start_hub


async def test_postgres_changes_bindings_are_accepted_and_system_ok_arrives(py_client) -> None:  # type: ignore[no-untyped-def]
    channel = py_client().channel("room:abc", room_config("ann"))
    systems = Inbox()
    channel.on_system(systems.put)
    for table, flt in (
        ("rooms", "room_id=eq.abc"),
        ("room_members", "room_id=eq.abc"),
        ("comments", "room_id=eq.abc"),
    ):
        channel.on_postgres_changes("*", lambda payload: None, table=table, filter=flt)
    states = Inbox()
    await channel.subscribe(lambda state, error: states.put((state.value, error)))
    # A mismatch between echoed and requested bindings would end in CHANNEL_ERROR instead.
    assert await states.wait_for(lambda item: True) == ("SUBSCRIBED", None)
    system = await systems.wait_for(lambda item: True)
    assert system.message == "Subscribed to PostgreSQL"
    assert system.extension == "postgres_changes"


async def test_set_auth_keeps_the_channel_working(hub: RunningHub, py_client) -> None:  # type: ignore[no-untyped-def]
    sender_client, receiver_client = py_client(), py_client()
    sender = sender_client.channel("room:abc", room_config("a"))
    receiver = receiver_client.channel("room:abc", room_config("b"))
    got = Inbox()
    receiver.on_broadcast("play", got.put)
    await subscribed(sender)
    await subscribed(receiver)
    await sender_client.set_auth(hub.tokens.issue("a").access_token)  # a refreshed token
    await sender.send_broadcast("play", {"user_id": "a", "current_time": 1.0})
    assert (await got.wait_for(lambda item: True))["payload"] == {
        "user_id": "a",
        "current_time": 1.0,
    }


async def test_a_renewed_token_the_hub_did_not_sign_closes_the_channel(
    hub: RunningHub, raw: RawFactory
) -> None:
    """realtime-py's set_auth sends `access_token` on each joined channel; a token the hub
    does not accept shuts the channel down as the server does (a system error, phx_close)."""
    client = await raw()
    await client.join("realtime:room:abc", room_config("a")["config"])
    await client.send("realtime:room:abc", "access_token", {"access_token": "a-forged-token"})
    system = await client.recv_event("system")
    assert system["payload"]["status"] == "error"
    assert system["payload"]["message"] == "InvalidJWTToken: Expected 3 parts in JWT; got 1"
    await client.recv_event("phx_close")


@pytest.mark.slow
async def test_realtime_py_rejoins_after_the_hub_restarts(py_client, tmp_path) -> None:  # type: ignore[no-untyped-def]
    first = await start_hub(HubSettings(port=0, db_path=tmp_path / "hub.sqlite3"))
    port = first.port
    client = py_client(target=first, initial_backoff=0.2)
    channel = client.channel("room:abc", room_config("ann"))
    states = Inbox()
    await channel.subscribe(lambda state, error: states.put(state.value))
    await states.wait_for(lambda s: s == "SUBSCRIBED")
    states.items.clear()
    await first.close()
    await states.wait_for(lambda s: s == "CHANNEL_ERROR")
    second: RunningHub = await start_hub(HubSettings(port=port, db_path=tmp_path / "hub.sqlite3"))
    try:
        await states.wait_for(lambda s: s == "SUBSCRIBED", within=10)
        got = Inbox()
        channel.on_broadcast("seek", got.put)
        watcher_channel = py_client(target=second).channel("room:abc", room_config("w"))
        await subscribed(watcher_channel)
        await watcher_channel.send_broadcast("seek", {"current_time": 7})
        assert (await got.wait_for(lambda item: True))["payload"] == {"current_time": 7}
    finally:
        await client.close()
        await second.close()
