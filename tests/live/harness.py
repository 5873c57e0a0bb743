"""A room member as the app runs it, minus Textual: LiveRoom with a real headless mpv."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Awaitable, Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

from realtime import AsyncRealtimeClient

from hub.tokens import Tokens
from room.intents import ClaimHost, Intent
from room.state import ConnectionStatus, Member, RoomState
from tui.config import Settings, load_settings
from tui.live import LiveRoom

T = TypeVar("T")

LIVE_JWT_SECRET = "live-tests-jwt-secret-not-for-real-use"
"""The token-signing secret of the live tests' hubs (`HubSettings(jwt_secret=...)`), so a
test can sign its members in as the user ids it names, with tokens the hub verifies."""


def live_tokens() -> Tokens:
    return Tokens(LIVE_JWT_SECRET.encode())


def token_for(user_id: str) -> str:
    """An access token for ``user_id`` that the live tests' hubs accept."""
    return live_tokens().issue(user_id).access_token


WAIT_S = 30.0
"""How long a live test waits for something to happen: real players, a real hub and clients
on a CPU that may be shared or pinned by others. Generous on purpose: a wait ends as soon as
its condition holds, so the limit only decides how long a broken behaviour takes to fail."""


@dataclass
class LiveMember:
    user_id: str
    name: str
    room: LiveRoom
    states: list[RoomState] = field(default_factory=list)
    notices: list[str] = field(default_factory=list)
    _changed: asyncio.Event = field(default_factory=asyncio.Event)

    @property
    def state(self) -> RoomState:
        return self.states[-1]

    def _on_state(self, state: RoomState) -> None:
        self.states.append(state)
        self._changed.set()

    def _on_notice(self, text: str) -> None:
        self.notices.append(text)
        self._changed.set()

    async def until(
        self, condition: Callable[[RoomState], bool], timeout: float = WAIT_S
    ) -> RoomState:
        """Wait for a published room state that satisfies ``condition``."""
        async with asyncio.timeout(timeout):
            while not (self.states and condition(self.state)):
                self._changed.clear()
                await self._changed.wait()
        return self.state

    async def noticed(self, text: str, timeout: float = WAIT_S) -> None:
        """Wait for a notification (they are throttled to one a second, so may come late)."""
        async with asyncio.timeout(timeout):
            while text not in self.notices:
                self._changed.clear()
                await self._changed.wait()

    async def joined(self, timeout: float = WAIT_S) -> RoomState:
        return await self.until(
            lambda s: s.connection.status is ConnectionStatus.CONNECTED, timeout
        )

    async def submit(self, intent: Intent) -> None:
        await self.room.submit(intent)

    async def stop(self) -> None:
        await self.room.stop()


def member_settings(hub_url: str, media: Path | str | None, **overrides: object) -> Settings:
    player: dict[str, object] = {"vo": "null", "ao": "null"}
    if media is not None:
        player["media"] = str(media)
    cli: dict[str, object] = {
        "server": {"url": hub_url},
        "player": player,
        "ui": {"notifications": True},
    }
    for section, values in overrides.items():
        cli.setdefault(section, {}).update(values)  # type: ignore[attr-defined]
    return load_settings(cli)[0]


@contextlib.asynccontextmanager
async def host_and_follower(
    hub_url: str, media: Path | str | None
) -> AsyncIterator[tuple[LiveMember, LiveMember]]:
    """ann (who has claimed the host role) and bob (who sees her as host), both joined;
    both leave on the way out."""
    ann = await start_member(hub_url, media, "u-ann", "ann")
    bob = await start_member(hub_url, media, "u-bob", "bob")
    try:
        await ann.joined()
        await bob.joined()
        await claim_host(ann, [bob])
        yield ann, bob
    finally:
        await bob.stop()
        await ann.stop()


async def claim_host(host: LiveMember, followers: Iterable[LiveMember]) -> None:
    """``host`` claims the host role, and every one of ``followers`` comes to see it."""
    await host.submit(ClaimHost())
    for follower in followers:
        await follower.until(lambda s: s.host is not None and s.host.user_id == host.user_id)


async def start_member(
    hub_url: str,
    media: Path | str | None,
    user_id: str,
    name: str,
    *,
    room_id: str = "test",
    claim_host: bool = False,
    **overrides: object,
) -> LiveMember:
    # Signed in to the hub as ``user_id`` (a token the hub signed, as `server.user_token`),
    # so the hub knows the member by the id the test names.
    server = {"user_token": token_for(user_id), **overrides.pop("server", {})}  # type: ignore[dict-item]
    settings = member_settings(hub_url, media, server=server, **overrides)
    initial = RoomState(room_id, user_id, name, members=(Member(user_id, name),))
    room = LiveRoom(settings, initial, claim_host=claim_host)
    member = LiveMember(user_id, name, room)
    await room.start(member._on_state, member._on_notice)
    return member


@dataclass
class BrowserMember:
    """A member speaking exactly as the room's web client does, on the real realtime-py."""

    user_id: str
    username: str
    client: Any
    channel: Any
    broadcasts: list[tuple[str, dict[str, Any]]] = field(default_factory=list)
    _heard: asyncio.Event = field(default_factory=asyncio.Event)

    async def send(self, event: str, payload: dict[str, Any]) -> None:
        await self.channel.send_broadcast(event, payload)

    async def heard(
        self, condition: Callable[[str, dict[str, Any]], bool], timeout: float = WAIT_S
    ) -> tuple[str, dict[str, Any]]:
        async with asyncio.timeout(timeout):
            while True:
                for event, payload in self.broadcasts:
                    if condition(event, payload):
                        return event, payload
                self._heard.clear()
                await self._heard.wait()

    def presence(self) -> dict[str, list[dict[str, Any]]]:
        return {
            key: [dict(meta) for meta in metas]
            for key, metas in self.channel.presence_state().items()
        }

    async def stop(self) -> None:
        await self.client.close()


async def start_browser(
    hub_url: str, user_id: str, username: str, room_id: str = "test"
) -> BrowserMember:
    client = AsyncRealtimeClient(f"{hub_url}/realtime/v1", "anon-key")
    client.access_token = token_for(user_id)  # signed in, as the web client is
    channel = client.channel(
        f"room:{room_id}",
        {
            "config": {
                "broadcast": {"self": True, "ack": False},
                "presence": {"key": user_id, "enabled": True},
                "private": False,
            }
        },
    )
    member = BrowserMember(user_id, username, client, channel)

    def on_broadcast(message: dict[str, Any]) -> None:
        member.broadcasts.append((message["event"], message["payload"]))
        member._heard.set()

    channel.on_broadcast("*", on_broadcast)
    channel.on_presence_sync(lambda: member._heard.set())
    await channel.subscribe()
    await channel.track(
        {
            "user_id": user_id,
            "username": username,
            "current_time": 0,
            "is_playing": False,
            "last_update": 0,
        }
    )
    return member


async def within(awaitable: Awaitable[T], seconds: float = WAIT_S) -> T:
    """Await with a limit, so a test that waits for something that never comes fails."""
    async with asyncio.timeout(seconds):
        return await awaitable


@dataclass
class TableWatcher:
    """A realtime-py subscriber to a room's table changes, as the web client listens."""

    client: Any
    changes: list[dict[str, Any]] = field(default_factory=list)
    _heard: asyncio.Event = field(default_factory=asyncio.Event)

    async def change(
        self, condition: Callable[[dict[str, Any]], bool], timeout: float = WAIT_S
    ) -> dict[str, Any]:
        """Wait for a change (the ``data`` of a postgres_changes frame) meeting ``condition``."""
        async with asyncio.timeout(timeout):
            while True:
                for data in self.changes:
                    if condition(data):
                        return data
                self._heard.clear()
                await self._heard.wait()

    async def stop(self) -> None:
        await self.client.close()


async def watch_tables(hub_url: str, room_id: str = "test") -> TableWatcher:
    client = AsyncRealtimeClient(f"{hub_url}/realtime/v1", "anon-key")
    # A script with the service key: it sees every change (a member sees its room's).
    client.access_token = live_tokens().service_token()
    channel = client.channel(f"room:{room_id}", {"config": {"private": False}})
    watcher = TableWatcher(client)

    def on_change(payload: dict[str, Any]) -> None:
        watcher.changes.append(payload["data"])
        watcher._heard.set()

    for table in ("rooms", "room_members", "comments"):
        channel.on_postgres_changes("*", on_change, table=table, filter=f"room_id=eq.{room_id}")
    await channel.subscribe()
    return watcher
