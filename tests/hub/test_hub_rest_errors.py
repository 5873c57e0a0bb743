"""Bad REST input gets PostgREST's error, with its status and code, never a 500 or a traceback,
and the hub keeps serving."""

from __future__ import annotations

import json
import logging
from collections.abc import AsyncIterator
from typing import Any

import aiohttp
import pytest
from datakit import RestFactory, comment, ensure_room, member
from postgrest.exceptions import APIError
from pydantic import SecretStr

from hub import RunningHub

ROOM = "abc"
Call = Any


@pytest.fixture
async def call(hub: RunningHub) -> AsyncIterator[Call]:
    """A bare HTTP call to the hub's REST API: (status, decoded body or text)."""
    async with aiohttp.ClientSession() as session:

        async def request(
            method: str,
            path: str,
            body: Any = None,
            *,
            data: bytes | None = None,
            headers: dict[str, str] | None = None,
            target: RunningHub | None = None,
        ) -> tuple[int, Any]:
            # As a script holding the service key: these tests are about the REST subset, not
            # the room's rules (tests/hub/test_hub_rules.py).
            service = (target or hub).tokens.service_token()
            sent = {
                "apikey": "anon",
                "Authorization": f"Bearer {service}",
                "Content-Type": "application/json",
                **(headers or {}),
            }
            payload = data if data is not None else None if body is None else json.dumps(body)
            async with session.request(
                method, f"{(target or hub).url}/rest/v1/{path}", data=payload, headers=sent
            ) as response:
                text = await response.text()
                try:
                    return response.status, json.loads(text) if text else None
                except ValueError:
                    return response.status, text

        yield request


@pytest.fixture(autouse=True)
def no_tracebacks(caplog: pytest.LogCaptureFixture) -> Any:
    caplog.set_level(logging.INFO, logger="hub")
    yield
    assert not [r for r in caplog.records if r.exc_info], "the hub logged a traceback"


def assert_error(result: tuple[int, Any], status: int, code: str) -> dict[str, Any]:
    got_status, body = result
    assert (got_status, body.get("code") if isinstance(body, dict) else body) == (status, code)
    assert set(body) == {"code", "message", "details", "hint"}
    return dict(body)


RPC = {"p_room_id": ROOM, "p_event_type": "play", "p_payload": {}}


def rpc_call(client: Any, event: str, payload: Any) -> Any:
    return client.rpc("broadcast_room_event", {**RPC, "p_event_type": event, "p_payload": payload})


async def still_serving(client: Any) -> None:
    rows = await client.table("rooms").select("room_id").eq("room_id", ROOM).execute()
    assert rows.data == [{"room_id": ROOM}]


async def raised(request: Any) -> APIError:
    with pytest.raises(APIError) as caught:
        await request.execute()
    return caught.value


async def test_unknown_tables_columns_and_functions(rest: RestFactory) -> None:
    client = await rest()
    await ensure_room(client, ROOM)
    cases = [
        (client.table("nope").select("*"), "PGRST205"),
        (client.table("rooms").select("nope"), "42703"),
        (client.table("rooms").select("*").eq("nope", 1), "42703"),
        (client.table("rooms").select("*").order("nope"), "42703"),
        (client.table("rooms").insert({"room_id": "x", "nope": 1}), "PGRST204"),
        (client.table("rooms").update({"nope": 1}).eq("room_id", ROOM), "PGRST204"),
        (client.rpc("nope", {}), "PGRST202"),
        (client.rpc("broadcast_room_event", {"p_room_id": ROOM}), "PGRST202"),
        (rpc_call(client, "", {}), "22023"),
        (rpc_call(client, "e" * 65, {}), "22023"),
        (rpc_call(client, "play", [1]), "22023"),
        (rpc_call(client, "play", None), "22023"),
        (client.rpc("broadcast_room_event", {**RPC, "p_room_id": 5}), "22P02"),
    ]
    for request, code in cases:
        assert (await raised(request)).code == code
    await still_serving(client)


async def test_values_checked_against_their_column(rest: RestFactory) -> None:
    client = await rest()
    await ensure_room(client, ROOM)
    rooms, comments = client.table("rooms"), client.table("comments")
    cases = [
        (rooms.update({"is_playing": "true"}).eq("room_id", ROOM), "22P02"),
        (rooms.update({"is_playing": 1}).eq("room_id", ROOM), "22P02"),
        (rooms.update({"current_time": "12"}).eq("room_id", ROOM), "22P02"),
        (rooms.update({"current_time": -1}).eq("room_id", ROOM), "23514"),
        (rooms.update({"current_time": None}).eq("room_id", ROOM), "23502"),
        (rooms.update({"episode_number": 2**31}).eq("room_id", ROOM), "22003"),
        (rooms.update({"episode_number": 1.5}).eq("room_id", ROOM), "22P02"),
        (rooms.update({"updated_at": "yesterday"}).eq("room_id", ROOM), "22P02"),
        (rooms.insert({"room_id": ""}), "23514"),
        (rooms.insert({"room_id": "x" * 65}), "23514"),
        (rooms.insert({"room_id": ROOM}), "23505"),
        (comments.insert(comment(ROOM, message="")), "23514"),
        (comments.insert(comment(ROOM, message="m" * 2001)), "23514"),
        (comments.insert(comment(ROOM, username="u" * 65)), "23514"),
        (comments.insert(comment(ROOM, video_timestamp=-0.5)), "23514"),
        (comments.insert(comment(ROOM, id="not-a-uuid")), "22P02"),
        (comments.insert(comment(ROOM, seq=5)), "428C9"),
        (comments.insert(comment(ROOM, message=None)), "23502"),
        (comments.insert(comment("no-such-room")), "23503"),
        (comments.insert(comment(ROOM, parent_id="00000000-0000-4000-8000-000000000000")), "23503"),
        (client.table("room_members").insert({"room_id": ROOM, "user_id": "u"}), "23502"),
    ]
    for request, code in cases:
        error = await raised(request)
        assert error.code == code, (request.request.json, error)
    row = comment(ROOM)
    await comments.insert(row).execute()
    duplicate = await raised(comments.insert(row))
    assert duplicate.code == "23505" and row["id"] in duplicate.details
    assert (await raised(rooms.update({"seq": 1}).eq("room_id", ROOM))).code == "PGRST204"
    assert (await raised(comments.update({"seq": 1}).eq("id", row["id"]))).code == "428C9"
    await client.table("room_members").insert(member(ROOM, "ann")).execute()
    twice = await raised(client.table("room_members").insert(member(ROOM, "ann")))
    assert twice.code == "23505" and "room_members_room_id_user_id_key" in twice.message
    await still_serving(client)


async def test_status_codes_of_constraint_errors(call: Call, rest: RestFactory) -> None:
    await ensure_room(await rest(), ROOM)
    assert_error(await call("POST", "rooms", {"room_id": ROOM}), 409, "23505")
    assert_error(await call("POST", "comments", comment("missing")), 409, "23503")
    assert_error(await call("POST", "comments", comment(ROOM, message="")), 400, "23514")
    assert_error(await call("POST", "comments", comment(ROOM, message=None)), 400, "23502")
    assert_error(await call("POST", "comments", comment(ROOM, id="x")), 400, "22P02")
    assert_error(await call("GET", "nope"), 404, "PGRST205")
    assert_error(await call("POST", "rpc/nope", {}), 404, "PGRST202")


async def test_bad_query_strings(call: Call, rest: RestFactory) -> None:
    await ensure_room(await rest(), ROOM)
    bad_queries = {
        "comments?seq=lt": "PGRST100",
        "comments?seq=like.5": "PGRST100",
        "comments?seq=between.1.2": "PGRST100",
        "comments?seq=lt.abc": "22P02",
        "comments?id=eq.zzz": "22P02",
        "comments?is_anchor=eq.maybe": "22P02",
        "comments?is_anchor=is.maybe": "PGRST100",
        "comments?message=is.true": "42804",
        'comments?user_id=in.("a,b': "PGRST100",
        "comments?user_id=in.a,b": "PGRST100",
        "comments?order=seq.sideways": "PGRST100",
        "comments?limit=-1": "PGRST100",
        "comments?offset=x": "PGRST100",
        "comments?or=(seq.eq.1,seq.eq.2)": "PGRST100",
        "comments?select=id:seq": "PGRST100",
        "comments?select=*,rooms(*)": "PGRST100",
        "comments?episode_number=eq.99999999999": "22003",
    }
    for path, code in bad_queries.items():
        assert_error(await call("GET", path), 400, code)
    assert_error(
        await call(
            "POST",
            "comments?on_conflict=user_id",
            comment(ROOM),
            headers={"Prefer": "resolution=ignore-duplicates"},
        ),
        400,
        "42P10",
    )
    assert_error(await call("PATCH", "rooms", {"is_playing": True}), 400, "21000")
    assert_error(await call("DELETE", "rooms"), 400, "21000")
    assert_error(await call("GET", "rooms", headers={"Accept-Profile": "private"}), 406, "PGRST106")
    assert_error(await call("GET", "rpc/broadcast_room_event"), 405, "PGRST101")
    assert_error(await call("PUT", "rooms", {"room_id": ROOM}), 405, "PGRST117")
    many = "&".join(["seq=gt.1"] * 800)  # ~900 fit a request line; 1000 would overflow SQLite
    assert_error(await call("GET", f"comments?{many}"), 400, "PGRST100")
    assert_error(await call("GET", "comments?order=" + ",".join(["seq"] * 40)), 400, "PGRST100")
    status, _ = await call("GET", "rooms?" + "room_id=eq." + "x" * 20000)
    assert status in (400, 414, 431)  # aiohttp refuses an over-long request line itself
    status, body = await call("GET", f"rooms?room_id=eq.{ROOM}")
    assert (status, body[0]["room_id"]) == (200, ROOM)


async def test_bad_bodies(call: Call, rest: RestFactory, hub: RunningHub) -> None:
    client = await rest()
    await ensure_room(client, ROOM)
    bodies = [
        b"",
        b"{",
        b"not json",
        b'{"room_id": NaN}',
        b"[1, 2]",
        b'"a string"',
        b"[" * 100_000 + b"]" * 100_000,
        b'{"room_id": 1' + b"0" * 5000 + b"}",
        b'{"room_id": "\xff\xfe"}',
    ]
    for data in bodies:
        assert_error(await call("POST", "rooms", data=data), 400, "PGRST102")
    assert_error(await call("PATCH", f"rooms?room_id=eq.{ROOM}", data=b"[{}]"), 400, "PGRST102")
    mixed = [{"room_id": "a"}, {"room_id": "b", "anime_id": "x"}]
    assert_error(await call("POST", "rooms", mixed), 400, "PGRST102")
    assert_error(
        await call("POST", "rooms", data=b"room_id=a", headers={"Content-Type": "text/plain"}),
        415,
        "PGRST107",
    )
    huge = {"room_id": "big", "media_url": "x" * (hub.state.settings.max_rest_body_bytes + 1)}
    assert_error(await call("POST", "rooms", huge), 413, "PGRST102")

    async def chunks() -> AsyncIterator[bytes]:  # no Content-Length: the limit still holds
        yield b'{"room_id": "big", "media_url": "'
        for _ in range(40):
            yield b"y" * 65536
        yield b'"}'

    assert_error(await call("POST", "rooms", data=chunks()), 413, "PGRST102")  # type: ignore[arg-type]
    assert (await client.table("rooms").select("*").eq("room_id", "big").execute()).data == []
    await still_serving(client)


async def test_hostile_strings_are_refused_or_stored_verbatim(
    call: Call, rest: RestFactory
) -> None:
    client = await rest()
    await ensure_room(client, ROOM)
    assert_error(await call("POST", "comments", comment(ROOM, message="a\x00b")), 400, "22P05")
    lone = b'{"id":"5d1f3a52-3e4d-4b0c-9a53-04f9ad7a1c11","room_id":"abc","user_id":"u",'
    lone += b'"username":"u","message":"\\ud800"}'
    assert_error(await call("POST", "comments", data=lone), 400, "22P02")
    verbatim = [
        "'; DROP TABLE comments; --",
        '" OR 1=1 --',
        "\x1b[2J\x1b]0;owned\x07 escape sequences",
        "\u202eright-to-left \u200b zero width",
        "[bold]markup[/bold] <script>alert(1)</script>",
        "emoji 🎬 and 中文",
    ]
    for message in verbatim:
        stored = await client.table("comments").insert(comment(ROOM, message=message)).execute()
        assert stored.data[0]["message"] == message
        found = await client.table("comments").select("message").eq("message", message).execute()
        assert found.data == [{"message": message}]
    assert_error(await call("GET", 'comments?"; DROP TABLE rooms; --=eq.1'), 400, "42703")
    assert_error(await call("GET", "comments?select=id;DROP TABLE rooms"), 400, "42703")
    await still_serving(client)


async def test_a_hub_with_a_key_requires_it(make_hub, call: Call) -> None:  # type: ignore[no-untyped-def]
    keyed = await make_hub(key=SecretStr("party-key"))
    assert_error(await call("GET", "rooms", target=keyed), 401, "PGRST301")
    assert_error(
        await call("GET", "rooms", headers={"apikey": "wrong"}, target=keyed), 401, "PGRST301"
    )
    assert await call("GET", "rooms", headers={"apikey": "party-key"}, target=keyed) == (200, [])
    status, _ = await call("GET", "rooms?apikey=party-key", headers={"apikey": ""}, target=keyed)
    assert status == 200


async def test_an_api_key_must_be_present_even_on_loopback(call: Call) -> None:
    assert_error(await call("GET", "rooms", headers={"apikey": ""}), 401, "PGRST301")
    assert await call("GET", "rooms", headers={"apikey": "anything"}) == (200, [])
