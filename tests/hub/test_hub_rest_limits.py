"""REST requests are rate-limited per client (429) and writes wait in a bounded queue (503),
both in PostgREST's error shape; a refused request changes nothing and the hub goes on."""

from __future__ import annotations

import asyncio
import sqlite3
import uuid
from typing import Any

import aiohttp
from hubkit import FakeClock, HubFactory

from hub import RunningHub


async def call(
    session: aiohttp.ClientSession,
    hub: RunningHub,
    token: str,
    method: str,
    path: str,
    body: Any = None,
) -> tuple[int, Any, Any]:
    headers = {"apikey": "anon", "Authorization": f"Bearer {token}"}
    async with session.request(
        method, f"{hub.url}/rest/v1/{path}", json=body, headers=headers
    ) as response:
        text = await response.text()
        return response.status, (await response.json()) if text else None, response.headers


async def test_one_client_past_its_rate_gets_429_and_others_go_on(make_hub: HubFactory) -> None:
    clock = FakeClock()
    hub = await make_hub(clock=clock, rest_requests_per_s=2.0, rest_burst=5)
    bob, carol = (hub.tokens.issue(user).access_token for user in ("bob", "carol"))
    async with aiohttp.ClientSession() as session:
        for _ in range(5):
            status, _, _ = await call(session, hub, bob, "GET", "rooms")
            assert status == 200
        status, body, headers = await call(session, hub, bob, "GET", "rooms")
        assert status == 429
        assert body == {
            "code": "53400",
            "details": "At most 2 requests a second, bursts of 5.",
            "hint": "Retry in 1 s.",
            "message": "Too many requests from this client",
        }
        assert headers["Retry-After"] == "1"
        assert (await call(session, hub, carol, "GET", "rooms"))[0] == 200  # carol is not bob
        clock.advance(0.5)  # one request's worth refilled
        assert (await call(session, hub, bob, "GET", "rooms"))[0] == 200
        assert (await call(session, hub, bob, "GET", "rooms"))[0] == 429


async def test_sign_ups_from_one_address_are_rate_limited(make_hub: HubFactory) -> None:
    hub = await make_hub(clock=FakeClock(), rest_requests_per_s=1.0, rest_burst=3)
    async with aiohttp.ClientSession(headers={"apikey": "anon"}) as session:
        statuses = []
        for _ in range(4):
            async with session.post(f"{hub.url}/auth/v1/signup", json={}) as response:
                statuses.append(response.status)
                last = await response.json()
    assert statuses == [200, 200, 200, 429]
    assert last == {
        "code": 429,
        "error_code": "over_request_rate_limit",
        "msg": "Request rate limit reached",
    }


async def test_writes_past_the_queue_are_refused_at_once_with_503(make_hub: HubFactory) -> None:
    hub = await make_hub(max_pending_writes=2)
    service = hub.tokens.service_token()
    rows = [
        {
            "id": str(uuid.uuid4()),
            "room_id": "abc",
            "user_id": "u",
            "username": "U",
            "message": f"m{n}",
        }
        for n in range(6)
    ]
    async with aiohttp.ClientSession() as session:
        assert (await call(session, hub, service, "POST", "rooms", {"room_id": "abc"}))[0] == 201
        # Another process holds the database's write lock, so the hub's writer waits on it
        # with two writes queued: the other four are refused while it still waits.
        blocker = sqlite3.connect(hub.state.settings.database, isolation_level=None)
        blocker.execute("BEGIN IMMEDIATE")
        try:
            pending = {
                asyncio.create_task(call(session, hub, service, "POST", "comments", row))
                for row in rows
            }
            refused: set[asyncio.Task[Any]] = set()
            while len(refused) < 4:
                done, _ = await asyncio.wait(pending - refused, return_when=asyncio.FIRST_COMPLETED)
                refused |= done
        finally:
            blocker.execute("ROLLBACK")
            blocker.close()
        accepted = await asyncio.gather(*(pending - refused))
        _, kept, _ = await call(session, hub, service, "GET", "comments?select=message")
    for task in refused:
        status, body, _ = task.result()
        assert status == 503 and body["code"] == "PGRST000"
        assert body["message"] == "The hub's database is busy: too many writes are waiting"
    assert [status for status, _, _ in accepted] == [201, 201]
    assert len(kept) == 2  # the refused writes changed nothing
