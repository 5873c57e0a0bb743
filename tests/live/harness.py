"""A room member as the app runs it, minus Textual: LiveRoom with a real headless mpv."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from room.intents import Intent
from room.state import ConnectionStatus, Member, RoomState
from tui.config import Settings, load_settings
from tui.live import LiveRoom


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
        self, condition: Callable[[RoomState], bool], timeout: float = 10.0
    ) -> RoomState:
        """Wait for a published room state that satisfies ``condition``."""
        async with asyncio.timeout(timeout):
            while not (self.states and condition(self.state)):
                self._changed.clear()
                await self._changed.wait()
        return self.state

    async def joined(self, timeout: float = 15.0) -> RoomState:
        return await self.until(
            lambda s: s.connection.status is ConnectionStatus.CONNECTED, timeout
        )

    async def submit(self, intent: Intent) -> None:
        await self.room.submit(intent)

    async def stop(self) -> None:
        await self.room.stop()


def member_settings(hub_url: str, media: Path, **overrides: object) -> Settings:
    cli: dict[str, object] = {
        "server": {"url": hub_url},
        "player": {"vo": "null", "ao": "null", "media": str(media)},
        "ui": {"notifications": True},
    }
    for section, values in overrides.items():
        cli.setdefault(section, {}).update(values)  # type: ignore[attr-defined]
    return load_settings(cli)[0]


async def start_member(
    hub_url: str,
    media: Path,
    user_id: str,
    name: str,
    *,
    room_id: str = "test",
    claim_host: bool = False,
    **overrides: object,
) -> LiveMember:
    settings = member_settings(hub_url, media, **overrides)
    initial = RoomState(room_id, user_id, name, members=(Member(user_id, name),))
    room = LiveRoom(settings, initial, claim_host=claim_host)
    member = LiveMember(user_id, name, room)
    await room.start(member._on_state, member._on_notice)
    return member
