"""Helpers for the hub's data tests: the official table client (supabase-py / postgrest-py)
against a hub, row builders, and realtime-py channels listening to postgres_changes."""

from __future__ import annotations

import contextlib
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import pytest
from hubkit import Inbox, room_config, subscribed
from supabase import AsyncClient, AsyncClientOptions, acreate_client

from hub import RunningHub

RestFactory = Callable[..., Awaitable[AsyncClient]]


@pytest.fixture
async def rest(hub: RunningHub) -> AsyncIterator[RestFactory]:
    """supabase-py clients (its tables are postgrest-py) whose project URL is the hub's. By
    default with a service-role token (the room's rules do not apply, as with a project's
    service key: these tests are about the REST subset itself); ``user`` signs the client in
    as that user, ``user=None, service=False`` sends only the API key."""
    clients: list[AsyncClient] = []

    async def make(
        target: RunningHub | None = None,
        key: str = "anon",
        *,
        user: str | None = None,
        service: bool = True,
    ) -> AsyncClient:
        running = target or hub
        options = AsyncClientOptions()
        if user is not None:
            token: str | None = running.tokens.issue(user).access_token
        else:
            token = running.tokens.service_token() if service else None
        if token is not None:
            options.headers["Authorization"] = f"Bearer {token}"
        client = await acreate_client(running.url, key, options)
        clients.append(client)
        return client

    yield make
    for client in clients:
        with contextlib.suppress(Exception):
            await client.postgrest.aclose()


def comment(room_id: str, **fields: Any) -> dict[str, Any]:
    return {
        "id": str(uuid.uuid4()),
        "room_id": room_id,
        "user_id": "ann",
        "username": "Ann",
        "message": "hello",
        **fields,
    }


def member(room_id: str, user_id: str, **fields: Any) -> dict[str, Any]:
    return {"room_id": room_id, "user_id": user_id, "username": user_id.title(), **fields}


async def ensure_room(client: AsyncClient, room_id: str) -> None:
    await (
        client.table("rooms")
        .upsert({"room_id": room_id}, on_conflict="room_id", ignore_duplicates=True)
        .execute()
    )


async def post_comment(client: AsyncClient, row: dict[str, Any]) -> list[dict[str, Any]]:
    """The app's idempotent comment insert."""
    response = await (
        client.table("comments").upsert(row, on_conflict="id", ignore_duplicates=True).execute()
    )
    return list(response.data)


async def listening_channel(
    realtime: Any, room_id: str, bindings: list[tuple[str, str, str | None]], key: str = "watcher"
) -> tuple[Any, Inbox]:
    """A subscribed realtime-py channel on room:{room_id}; each (event, table, filter) binding
    puts what its callback receives into the returned inbox."""
    if realtime.access_token == realtime.apikey:
        # A watcher is a script with the service key: it reads every row's changes, as the
        # room's rules let a member read only its own room's.
        realtime.access_token = realtime.tokens.service_token()
    channel = realtime.channel(f"room:{room_id}", room_config(key))
    inbox = Inbox()
    for event, table, row_filter in bindings:
        channel.on_postgres_changes(event, inbox.put, table=table, filter=row_filter)
    await subscribed(channel)
    return channel, inbox


async def subscribed_with_states(channel: Any) -> Inbox:
    """Subscribe a realtime-py channel; the inbox gets every later state too (CLOSED, ...)."""
    states = Inbox()
    await channel.subscribe(lambda state, error: states.put(state.value))
    await states.wait_for(lambda state: state == "SUBSCRIBED")
    return states


async def left(channel: Any, states: Inbox) -> None:
    """Unsubscribe and wait for the hub's answer: it has handled the leave by then."""
    await channel.unsubscribe()
    await states.wait_for(lambda state: state == "CLOSED")


def data_of(payload: dict[str, Any]) -> dict[str, Any]:
    data: dict[str, Any] = payload["data"]
    return data
