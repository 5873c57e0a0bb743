"""The official clients together: realtime-py (vsn 1.0.0) and realtime-js from npm (vsn 2.0.0,
binary broadcasts) in one room on the hub."""

from __future__ import annotations

from typing import Any

import pytest
from hubkit import Inbox, room_config, subscribed

from hub import RunningHub

pytestmark = pytest.mark.slow


def is_event(kind: str, **fields: Any):  # type: ignore[no-untyped-def]
    return lambda item: (
        item.get("type") == kind and all(item.get(k) == v for k, v in fields.items())
    )


async def test_python_and_js_clients_share_a_room(hub: RunningHub, py_client, js_client) -> None:  # type: ignore[no-untyped-def]
    py = py_client()
    channel = py.channel("room:abc", room_config("py-user"))
    py_broadcasts, py_syncs = Inbox(), Inbox()
    channel.on_broadcast("*", py_broadcasts.put)
    channel.on_presence_sync(lambda: py_syncs.put(channel.presence_state()))
    await subscribed(channel)
    await channel.track({"user_id": "py-user", "username": "Ann"})

    js = await js_client(hub.url, "room:abc", "js-user", heartbeat_ms=300)
    await js.wait_for(is_event("status", status="SUBSCRIBED"))
    await js.command(cmd="track", payload={"user_id": "js-user", "username": "Bob"})

    # Each sees the other's presence.
    await py_syncs.wait_for(lambda state: set(state) == {"py-user", "js-user"})
    await js.wait_for(
        lambda e: e.get("type") == "presence" and set(e["state"]) == {"py-user", "js-user"}
    )

    # Broadcasts cross in both directions; JS sends binary kind-3 frames.
    await channel.send_broadcast("play", {"user_id": "py-user", "current_time": 12.5})
    got = await js.wait_for(is_event("broadcast", event="play"))
    assert got["payload"] == {"user_id": "py-user", "current_time": 12.5}
    await js.command(cmd="send", event="pause", payload={"user_id": "js-user", "current_time": 42})
    assert (await js.wait_for(is_event("sent")))["result"] == "ok"  # acked by the hub
    got = await py_broadcasts.wait_for(lambda b: b["event"] == "pause")
    assert got["payload"] == {"user_id": "js-user", "current_time": 42}

    # realtime-js stays subscribed through several heartbeat intervals, each answered.
    for _ in range(6):
        await js.wait_for(is_event("heartbeat", status="ok"))
        js.inbox.items = [e for e in js.inbox.items if e.get("type") != "heartbeat"]
    assert not any(
        e.get("status") in ("timeout", "CLOSED", "CHANNEL_ERROR", "TIMED_OUT")
        for e in js.inbox.items
    )
    await js.command(cmd="send", event="seek", payload={"current_time": 99})
    await py_broadcasts.wait_for(lambda b: b["event"] == "seek")

    # Leaving cleanly: the other side sees the leave and the leaver's channel closes.
    await js.command(cmd="leave")
    assert (await js.wait_for(is_event("left")))["result"] == "ok"
    await js.wait_for(is_event("status", status="CLOSED"))
    await py_syncs.wait_for(lambda state: set(state) == {"py-user"})

    js2 = await js_client(hub.url, "room:abc", "js-2")
    await js2.wait_for(lambda e: e.get("type") == "presence" and set(e["state"]) == {"py-user"})
    await py.remove_channel(channel)
    await js2.wait_for(lambda e: e.get("type") == "presence" and e["state"] == {})


def normalise(state: dict[str, list[dict[str, Any]]]) -> dict[str, list[dict[str, Any]]]:
    return {key: sorted(metas, key=lambda m: m["presence_ref"]) for key, metas in state.items()}


async def test_presence_sequences_compute_equal_state_in_both_clients(
    hub: RunningHub, py_client, js_client
) -> None:  # type: ignore[no-untyped-def]
    py = py_client()
    channel = py.channel("room:abc", room_config("py"))
    py_syncs = Inbox()
    channel.on_presence_sync(lambda: py_syncs.put(normalise(channel.presence_state())))
    await subscribed(channel)
    js = await js_client(hub.url, "room:abc", "js")
    await js.wait_for(is_event("status", status="SUBSCRIBED"))

    async def both_agree(expected_keys: set[str], check: Any = None) -> None:
        py_state = await py_syncs.wait_for(
            lambda s: set(s) == expected_keys and (check is None or check(s))
        )
        js_state = normalise(
            (
                await js.wait_for(
                    lambda e: (
                        e.get("type") == "presence"
                        and e["event"] == "sync"
                        and set(e["state"]) == expected_keys
                        and (check is None or check(normalise(e["state"])))
                    )
                )
            )["state"]
        )
        js.inbox.items.clear()
        assert py_state == js_state  # same keys, same metas, same presence_refs

    steps: list[tuple[str, Any]] = [
        ("py", {"user_id": "py", "is_playing": False}),
        ("js", {"user_id": "js", "is_playing": False}),
        ("py", {"user_id": "py", "is_playing": True}),
        ("js", {"user_id": "js", "is_playing": True, "current_time": 3.5}),
        ("py", None),
        ("js", None),
        ("py", {"user_id": "py", "back": True}),
    ]
    tracked: dict[str, Any] = {}
    for who, payload in steps:
        if who == "py":
            await (channel.track(payload) if payload is not None else channel.untrack())
        else:
            await js.command(
                cmd="track", payload=payload
            ) if payload is not None else await js.command(cmd="untrack")
        if payload is None:
            tracked.pop(who, None)
        else:
            tracked[who] = payload

        expected = dict(tracked)

        def matches(state: dict[str, Any], expected: dict[str, Any] = expected) -> bool:
            return all(
                [{k: v for k, v in m.items() if k != "presence_ref"} for m in state[key]] == [value]
                for key, value in expected.items()
            )

        await both_agree(set(tracked), matches)
