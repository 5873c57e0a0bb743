"""What every part of a room session shares: the way out, a clock, tasks, state and notices.

Each component of ``room.session`` gets one ``RoomContext`` and owns its own job and state;
they talk to each other only through the narrow views and callbacks the coordinator wires.
A test builds a context over a fake link and a fake clock and drives one component alone.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Callable, Coroutine
from dataclasses import dataclass, field
from typing import Any, Protocol

from room.controller import NoticeSink, StateSink
from room.notices import NoticeThrottle
from room.state import RoomState

log = logging.getLogger(__name__)

MediaLoader = Callable[[str], Coroutine[Any, Any, None]]
"""Opens the media at a URL (the app's, for members who opened nothing themselves)."""


class Outbound(Protocol):
    """What the session sends through the room channel (``room.link.RoomLink`` fits)."""

    @property
    def is_joined(self) -> bool: ...

    async def send(self, event: str, payload: dict[str, Any]) -> bool: ...

    async def track(self, fields: dict[str, Any]) -> bool: ...

    async def untrack(self) -> bool: ...


class Clock(Protocol):
    """The session's sense of time; tests pass a fake one they advance by hand."""

    def monotonic_s(self) -> float: ...

    def monotonic_ms(self) -> float: ...

    def wall_ms(self) -> int:
        """Milliseconds since the epoch (stamps other members compare)."""
        ...

    async def sleep(self, seconds: float) -> None: ...


class SystemClock:
    def monotonic_s(self) -> float:
        return time.monotonic()

    def monotonic_ms(self) -> float:
        return time.monotonic() * 1000

    def wall_ms(self) -> int:
        return int(time.time() * 1000)

    async def sleep(self, seconds: float) -> None:
        await asyncio.sleep(seconds)


class TaskSet:
    """The session's background work: every task is kept until done, and every failure is
    logged (an exception in a task nobody awaits would otherwise vanish)."""

    def __init__(self) -> None:
        self._tasks: set[asyncio.Task[Any]] = set()

    def spawn(self, work: Coroutine[Any, Any, Any]) -> asyncio.Task[Any]:
        task = asyncio.get_running_loop().create_task(work)
        self._tasks.add(task)
        task.add_done_callback(self._forget)
        return task

    def _forget(self, task: asyncio.Task[Any]) -> None:
        self._tasks.discard(task)
        if not task.cancelled() and task.exception() is not None:
            log.error("room task failed: %s", task.exception())

    async def cancel_all(self) -> None:
        tasks = list(self._tasks)
        for task in tasks:
            task.cancel()
        for task in tasks:
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task

    def __len__(self) -> int:
        return len(self._tasks)


class StateStore:
    """The ``RoomState`` the panes draw: components replace their part, the app is told."""

    def __init__(self, initial: RoomState) -> None:
        self.state = initial
        self._sink: StateSink = lambda state: None

    def connect(self, sink: StateSink) -> None:
        self._sink = sink

    def set(self, state: RoomState) -> None:
        self.state = state
        self.publish()

    def publish(self) -> None:
        self._sink(self.state)


class Notifier:
    """The room's notices, throttled to one a second with the rest queued (the event spec).

    Routine notices (someone joined, paused, commented) follow the user's setting; answers
    to the user's own actions and warnings are ``force``d through.
    """

    def __init__(self, clock: Clock, *, enabled: bool = True) -> None:
        self.enabled = enabled
        self._clock = clock
        self._throttle = NoticeThrottle()
        self._sink: NoticeSink = lambda text: None
        self._queued = asyncio.Event()

    def connect(self, sink: NoticeSink) -> None:
        self._sink = sink

    def notice(self, text: str, *, force: bool = False) -> None:
        if not (self.enabled or force):
            return
        shown = self._throttle.offer(text, self._clock.monotonic_s())
        if shown is not None:
            self._sink(shown)
        else:
            self._queued.set()

    async def run(self) -> None:
        """Show the queued notices as they come due (idle while none wait)."""
        while True:
            due_at = self._throttle.next_due_at()
            if due_at is None:
                self._queued.clear()
                await self._queued.wait()
                continue
            await self._clock.sleep(max(0.05, due_at - self._clock.monotonic_s()))
            text = self._throttle.due(self._clock.monotonic_s())
            if text is not None:
                self._sink(text)


async def wait_for_event(clock: Clock, event: asyncio.Event, timeout_s: float) -> bool:
    """Wait until ``event`` is set (True) or ``timeout_s`` passes on ``clock`` (False)."""
    if event.is_set():
        return True
    waiter = asyncio.ensure_future(event.wait())
    sleeper = asyncio.ensure_future(clock.sleep(max(0.0, timeout_s)))
    try:
        done, _ = await asyncio.wait({waiter, sleeper}, return_when=asyncio.FIRST_COMPLETED)
    finally:
        waiter.cancel()
        sleeper.cancel()
    return waiter in done


@dataclass
class RoomContext:
    """Shared by every component of one session."""

    user_id: str
    username: str
    link: Outbound
    clock: Clock
    store: StateStore
    notices: Notifier
    tasks: TaskSet = field(default_factory=TaskSet)

    def member_payload(self) -> dict[str, Any]:
        """Who we are, as every event we send starts."""
        return {"user_id": self.user_id, "username": self.username}
