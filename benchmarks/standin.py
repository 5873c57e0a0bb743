"""A stand-in for the libmpv player, for rooms bigger than a machine's worth of libmpv: an
honest simulation of `player.mpv_player.MpvPlayer` as `tui.live.LiveRoom` uses it.

It plays, pauses, seeks and changes speed on the monotonic clock (`time.monotonic()`, the
clock libmpv's states are stamped with), a seek takes 20-60 ms to land (as an exact seek on a
small file with a keyframe a second takes libmpv), and it reports `player.base.PlayerState`s
as the adapter does: on every command, when a seek lands (`restarts` + 1), and every 100 ms
while it plays (as libmpv's `time-pos` observer does for a 10 fps file). `set_buffering`
stops its clock and reports `buffering`, as libmpv's paused-for-cache does once debounced.
`position_at` is where it really is, or was, at any instant of the last `HISTORY_S` (what a
measurement compares with).

`StandInRoom` is the app's own `LiveRoom` (backend, room tables, outbox, link, session,
budgets) with this player instead of libmpv. Used by benchmarks/room_scale.py and
tests/live/test_room_scale.py.
"""

from __future__ import annotations

import asyncio
import random
import time
from collections import deque
from collections.abc import Callable
from pathlib import Path
from typing import Any

from player.base import PlayerState, StateListener
from tui.live import LiveRoom

MEDIA_S = 900.0
REPORT_S = 0.1
SEEK_S = (0.020, 0.060)
HISTORY_S = 30.0
"""How far back `position_at` answers: a member list is as of its last redraw, up to a
second old, and is compared with where the player was then."""


def now() -> float:
    return time.monotonic()


# --------------------------------------------------------------------------------------------
class StandInPlayer:
    """What `LiveRoom` uses of `MpvPlayer`, simulated on a monotonic clock (see the module
    docstring): the same commands, the same `PlayerState`s, delivered on the loop."""

    def __init__(self, rng: random.Random, duration_s: float = MEDIA_S) -> None:
        self._rng = rng
        self._duration = duration_s
        self._listeners: list[StateListener] = []
        self._waiters: list[tuple[Callable[[PlayerState], bool], asyncio.Future[PlayerState]]] = []
        self._position = 0.0
        self._position_at = now()
        self._paused = True
        self._speed = 1.0
        self._seeking = False
        self._buffering = False
        self._restarts = 0
        self._source: str | None = None
        self._state = PlayerState()
        self._seek_task: asyncio.Task[None] | None = None
        self._ticker: asyncio.Task[None] | None = None
        self._closed = False
        self._stretches: deque[tuple[float, float, float, bool]] = deque()
        """Playback since ``HISTORY_S`` ago, one stretch per change: (from, position, speed,
        advancing), oldest first."""
        self._mark()

    @property
    def state(self) -> PlayerState:
        return self._state

    @property
    def advancing(self) -> bool:
        return not (self._paused or self._seeking or self._buffering)

    def position_at(self, instant: float) -> float:
        """Where playback really is, or was, at monotonic `instant`. (Only the newest stretch
        was kept before: a list redrawn before a speed nudge or a seek was compared with
        where the player stood at that change, and room_scale counted the list off by the
        time between the two, up to a second.)"""
        start, position, speed, advancing = self._stretches[0]
        for stretch in reversed(self._stretches):
            if stretch[0] <= instant:
                start, position, speed, advancing = stretch
                break
        if not advancing:
            return position
        return min(self._duration, position + max(0.0, instant - start) * speed)

    def _mark(self) -> None:
        """A new stretch of playback begins at ``_position_at`` (after any change)."""
        stamp = self._position_at
        self._stretches.append((stamp, self._position, self._speed, self.advancing))
        while len(self._stretches) > 1 and self._stretches[1][0] < stamp - HISTORY_S:
            self._stretches.popleft()

    def _fold(self) -> None:
        stamp = now()
        self._position, self._position_at = self.position_at(stamp), stamp

    def _publish(self) -> None:
        stamp = now()
        self._state = PlayerState(
            source=self._source,
            loaded=self._source is not None,
            position=self.position_at(stamp),
            position_at=stamp,
            duration=self._duration,
            paused=self._paused,
            speed=self._speed,
            seeking=self._seeking,
            buffering=self._buffering,
            eof=self.position_at(stamp) >= self._duration,
            restarts=self._restarts,
        )
        state = self._state
        for condition, future in list(self._waiters):
            if not future.done() and condition(state):
                future.set_result(state)
        for listener in list(self._listeners):
            listener(state)

    async def _tick(self) -> None:
        while not self._closed:
            await asyncio.sleep(REPORT_S)
            if self.advancing:
                self._publish()

    def mpv_property(self, name: str) -> Any:
        """No mpv here: every property is absent (`MpvPlayer.mpv_property`'s None)."""
        return None

    def add_listener(self, listener: StateListener) -> None:
        self._listeners.append(listener)

    async def wait_for(self, condition: Callable[[PlayerState], bool]) -> PlayerState:
        if condition(self._state):
            return self._state
        future: asyncio.Future[PlayerState] = asyncio.get_running_loop().create_future()
        entry = (condition, future)
        self._waiters.append(entry)
        try:
            return await future
        finally:
            if entry in self._waiters:
                self._waiters.remove(entry)

    async def load(self, source: str, *, paused: bool = True) -> None:
        self._source, self._paused = source, paused
        self._position, self._position_at = 0.0, now()
        self._restarts += 1
        self._mark()
        if self._ticker is None or self._ticker.done():  # one ticker whatever it plays
            self._ticker = asyncio.get_running_loop().create_task(self._tick())
        self._publish()

    def play(self) -> None:
        self._fold()
        self._paused = False
        self._mark()
        self._publish()

    def pause(self) -> None:
        self._fold()
        self._paused = True
        self._mark()
        self._publish()

    def set_speed(self, speed: float) -> None:
        self._fold()
        self._speed = speed
        self._mark()
        self._publish()

    def set_buffering(self, buffering: bool) -> None:
        """The network stalls (or recovers): the clock stops while buffering."""
        self._fold()
        self._buffering = buffering
        self._mark()
        self._publish()

    def seek(self, position: float) -> None:
        self._fold()
        self._seeking = True
        self._mark()
        if self._seek_task is not None:
            self._seek_task.cancel()
        target = min(self._duration, max(0.0, position))
        self._seek_task = asyncio.get_running_loop().create_task(self._land(target))
        self._publish()

    async def _land(self, target: float) -> None:
        await asyncio.sleep(self._rng.uniform(*SEEK_S))
        self._position, self._position_at = target, now()
        self._seeking = False
        self._restarts += 1
        self._mark()
        self._publish()

    async def seek_and_wait(self, position: float) -> PlayerState:
        before = self._restarts
        self.seek(position)
        return await self.wait_for(lambda s: s.restarts > before and not s.seeking)

    def close(self) -> None:
        self._closed = True
        for task in (self._ticker, self._seek_task):
            if task is not None:
                task.cancel()


class StandInRoom(LiveRoom):
    """The app's `LiveRoom`, but for its player: a `StandInPlayer`."""

    def __init__(
        self,
        *args: Any,
        rng: random.Random | None = None,
        duration_s: float = MEDIA_S,
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        self._rng = rng or random.Random()
        self._duration_s = duration_s

    async def _open_player(self) -> Any:
        player = StandInPlayer(self._rng, self._duration_s)
        media = str(self.settings.player.media)
        await player.load(media)
        self._title, self._source = Path(media).name, media
        return player
