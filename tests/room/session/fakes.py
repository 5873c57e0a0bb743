"""Stand-ins for the room session's outside world: a link that records what is sent, a clock
that moves only when told, and a player that records commands. No sockets, no mpv."""

from __future__ import annotations

import asyncio
import contextlib
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
    loop = asyncio.get_running_loop()
    for _ in range(200):
        await asyncio.sleep(0)
        if not loop._ready:  # type: ignore[attr-defined]  # nothing left to run this turn
            await asyncio.sleep(0)
            if not loop._ready:  # type: ignore[attr-defined]
                return


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
            if future.done():  # a sleep given up (a wait that an event ended first)
                continue
            self.now_s = max(self.now_s, deadline)
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


def answer_clock_pings(room: Room, host_user_id: str = "host") -> None:
    """Answer every clock ping ``room`` has sent (its member_joined's too) as a host on the
    same clock would: a follower gives no sync verdict until its first answer comes."""
    pings = [*room.link.events("sync_ping")]
    pings += [
        joined["sync_ping"] for joined in room.link.events("member_joined") if "sync_ping" in joined
    ]
    now_ms = room.clock.monotonic_ms()
    pongs = [
        {
            "from_user": host_user_id,
            "to_user": ping["from_user"],
            "ping_id": ping["ping_id"],
            "ping_sent_at": ping["sent_at"],
            "received_at": now_ms,
            "sent_at": now_ms,
        }
        for ping in pings
    ]
    room.session.on_broadcast("sync_pongs", {"pongs": pongs})


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


class FakeChannel:
    """One room channel in memory, counted as Supabase counts it.

    A broadcast reaches every member, its sender included (``self: true``) and costs one
    message on arrival plus one per delivery; a track costs one presence event plus one per
    member the diff reaches. ``messages`` keeps (time, cost) so a test can read the rate
    over any window."""

    def __init__(self, clock: FakeClock) -> None:
        self.clock = clock
        self.links: dict[str, ChannelLink] = {}
        self.presence: dict[str, dict[str, Any]] = {}
        self.messages: list[tuple[float, int, str]] = []
        self.presence_events: list[tuple[float, int]] = []

    def link_for(self, user_id: str, listener: RoomSession) -> ChannelLink:
        link = ChannelLink(self, user_id, listener)
        self.links[user_id] = link
        return link

    def state(self) -> dict[str, list[dict[str, Any]]]:
        return {key: [dict(meta)] for key, meta in self.presence.items()}

    def broadcast(self, event: str, payload: dict[str, Any]) -> None:
        receivers = list(self.links.values())
        self.messages.append((self.clock.now_s, 1 + len(receivers), event))
        for link in receivers:
            link.listener.on_broadcast(event, dict(payload))

    def track(self, user_id: str, fields: dict[str, Any]) -> None:
        self.presence[user_id] = fields
        receivers = list(self.links.values())
        self.presence_events.append((self.clock.now_s, 1 + len(receivers)))
        state = self.state()
        for link in receivers:
            link.listener.on_presence(state)

    def rate(self, since_s: float, until_s: float) -> float:
        """Messages a second between two instants."""
        spent = sum(cost for at, cost, _ in self.messages if since_s <= at < until_s)
        return spent / (until_s - since_s)

    def rate_by_event(self, since_s: float, until_s: float) -> dict[str, float]:
        spent: dict[str, int] = {}
        for at, cost, event in self.messages:
            if since_s <= at < until_s:
                spent[event] = spent.get(event, 0) + cost
        return {event: round(cost / (until_s - since_s), 1) for event, cost in spent.items()}


class ChannelLink(FakeLink):
    def __init__(self, channel: FakeChannel, user_id: str, listener: RoomSession) -> None:
        super().__init__()
        self.channel = channel
        self.user_id = user_id
        self.listener = listener

    async def send(self, event: str, payload: dict[str, Any]) -> bool:
        sent = await super().send(event, payload)
        if sent:
            self.channel.broadcast(event, payload)
        return sent

    async def track(self, fields: dict[str, Any]) -> bool:
        await super().track(fields)
        self.channel.track(self.user_id, fields)
        return True


class SimPlayer(FakePlayer):
    """A player that moves on the fake clock and reports as mpv's observers do: after every
    command (a seek lands at once) and every ``REPORT_S`` while it runs."""

    REPORT_S = 1.0

    def __init__(self, clock: FakeClock) -> None:
        super().__init__()
        self.clock = clock
        self.position_s = 0.0
        self.at_ms = clock.monotonic_ms()
        self.paused = True
        self.speed = 1.0
        self.buffering = False
        self.restarts = 0
        self.listener: RoomSession | None = None
        self._reporter: asyncio.Task[None] | None = None

    def start_reporting(self) -> None:
        self._reporter = asyncio.get_running_loop().create_task(self._report_forever())

    async def _report_forever(self) -> None:
        while True:
            await self.clock.sleep(self.REPORT_S)
            self.report()

    async def close(self) -> None:
        if self._reporter is not None:
            self._reporter.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._reporter

    def _now_position(self) -> float:
        if self.paused or self.buffering:
            return self.position_s
        return self.position_s + (self.clock.monotonic_ms() - self.at_ms) / 1000 * self.speed

    def _move(self, **changes: Any) -> None:
        self.position_s, self.at_ms = self._now_position(), self.clock.monotonic_ms()
        for name, value in changes.items():
            setattr(self, name, value)
        self.report()

    def sample(self) -> PlaybackSample:
        return PlaybackSample(
            position_s=self._now_position(),
            observed_at_ms=self.clock.monotonic_ms(),
            paused=self.paused,
            speed=self.speed,
            buffering=self.buffering,
            restarts=self.restarts,
        )

    def report(self) -> None:
        if self.listener is not None:
            self.listener.on_player_sample(self.sample())

    def play(self) -> None:
        super().play()
        self._move(paused=False)

    def pause(self) -> None:
        super().pause()
        self._move(paused=True)

    def set_speed(self, speed: float) -> None:
        super().set_speed(speed)
        self._move(speed=speed)

    def seek(self, position: float) -> None:
        super().seek(position)
        self._move(position_s=position, restarts=self.restarts + 1)

    async def seek_and_wait(self, position: float) -> object:
        self.seek(position)
        return None


async def join(channel: FakeChannel, user_id: str, **options: Any) -> tuple[RoomSession, SimPlayer]:
    """A member joins the channel the way the real link does: the server's presence state,
    then on_joined (which tracks and announces)."""
    player = SimPlayer(channel.clock)
    session = RoomSession(
        lambda listener: channel.link_for(user_id, listener),
        RoomState(room_id="r1", self_user_id=user_id, self_username=user_id),
        player,
        clock=channel.clock,
        **options,
    )
    player.listener = session
    player.start_reporting()
    await session.start(lambda state: None, lambda text: None)
    session.on_status(LinkStatus(ConnectionStatus.CONNECTED))
    session.on_presence(channel.state())
    player.report()
    await session.on_joined()
    return session, player
