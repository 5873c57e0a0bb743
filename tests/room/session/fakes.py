"""Stand-ins for the room session's outside world: a link that records what is sent, a clock
that moves only when told, and a player that records commands. No sockets, no mpv."""

from __future__ import annotations

import asyncio
import heapq
import itertools
from collections.abc import Awaitable, Callable
from typing import Any

from room.link import LinkStatus
from room.session import RoomSession
from room.state import ConnectionStatus, RoomState
from room.sync.sample import PlaybackSample

START_S = 1000.0
START_WALL_MS = 1_800_000_000_000


async def settle() -> None:
    """Let every task that can run, run (tasks woken by a fake sleep, their sends...)."""
    for _ in range(30):
        await asyncio.sleep(0)


class FakeClock:
    """Monotonic and wall time that advance only through ``advance``; ``sleep`` waits for it."""

    def __init__(self) -> None:
        self.now_s = START_S
        self._sleepers: list[tuple[float, int, asyncio.Future[None]]] = []
        self._order = itertools.count()

    def monotonic_s(self) -> float:
        return self.now_s

    def monotonic_ms(self) -> float:
        return self.now_s * 1000

    def wall_ms(self) -> int:
        return START_WALL_MS + round((self.now_s - START_S) * 1000)

    async def sleep(self, seconds: float) -> None:
        future: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        heapq.heappush(self._sleepers, (self.now_s + max(0.0, seconds), next(self._order), future))
        await future

    async def advance(self, seconds: float) -> None:
        """Move time on, waking each sleeper at its own deadline, in order."""
        target = self.now_s + seconds
        await settle()
        while self._sleepers and self._sleepers[0][0] <= target:
            deadline, _, future = heapq.heappop(self._sleepers)
            self.now_s = max(self.now_s, deadline)
            if not future.done():
                future.set_result(None)
            await settle()
        self.now_s = target
        await settle()


class FakeLink:
    """Records every broadcast and presence call; joined until told otherwise."""

    def __init__(self) -> None:
        self.joined = True
        self.sent: list[tuple[str, dict[str, Any]]] = []
        self.tracked: list[dict[str, Any]] = []
        self.untracks = 0
        self._stopped = asyncio.Event()

    @property
    def is_joined(self) -> bool:
        return self.joined

    async def send(self, event: str, payload: dict[str, Any]) -> bool:
        if not self.joined:
            return False
        self.sent.append((event, payload))
        return True

    async def track(self, fields: dict[str, Any]) -> bool:
        self.tracked.append(fields)
        return True

    async def untrack(self) -> bool:
        self.untracks += 1
        return True

    async def run(self) -> None:
        await self._stopped.wait()

    async def stop(self, farewell: Callable[[], Awaitable[None]] | None = None) -> None:
        if farewell is not None and self.joined:
            await farewell()
        self._stopped.set()

    def events(self, name: str) -> list[dict[str, Any]]:
        return [payload for event, payload in self.sent if event == name]


class FakePlayer:
    """Records commands; a seek lands at once."""

    def __init__(self) -> None:
        self.commands: list[tuple[str, float | None]] = []

    def play(self) -> None:
        self.commands.append(("play", None))

    def pause(self) -> None:
        self.commands.append(("pause", None))

    def set_speed(self, speed: float) -> None:
        self.commands.append(("speed", speed))

    def seek(self, position: float) -> None:
        self.commands.append(("seek", position))

    async def seek_and_wait(self, position: float) -> object:
        self.commands.append(("seek", position))
        return None

    def did(self, name: str) -> list[float | None]:
        return [value for command, value in self.commands if command == name]


def presence(*members: dict[str, Any]) -> dict[str, list[dict[str, Any]]]:
    """A presence state as realtime-py hands it over, keyed by user id."""
    return {m["user_id"]: [{**m, "presence_ref": f"ref-{m['user_id']}"}] for m in members}


def member(user_id: str, **fields: Any) -> dict[str, Any]:
    return {"user_id": user_id, "username": user_id.upper(), **fields}


def paused_at(position: float, clock: FakeClock) -> PlaybackSample:
    return PlaybackSample(position_s=position, observed_at_ms=clock.monotonic_ms(), paused=True)


def playing_at(position: float, clock: FakeClock) -> PlaybackSample:
    return PlaybackSample(position_s=position, observed_at_ms=clock.monotonic_ms(), paused=False)


class Room:
    """One member's session over the fakes, with what it showed the user."""

    def __init__(self, user_id: str = "me", **options: Any) -> None:
        self.clock = FakeClock()
        self.link = FakeLink()
        self.player = FakePlayer()
        self.states: list[RoomState] = []
        self.notices: list[str] = []
        self.session = RoomSession(
            lambda listener: self.link,
            RoomState(room_id="r1", self_user_id=user_id, self_username=user_id.upper()),
            self.player,
            clock=self.clock,
            **options,
        )

    async def start(self) -> None:
        await self.session.start(self.states.append, self.notices.append)
        self.session.on_status(LinkStatus(ConnectionStatus.CONNECTED))
        await self.session.on_joined()
        await settle()

    async def stop(self) -> None:
        await self.session.stop()

    @property
    def state(self) -> RoomState:
        return self.session.state
