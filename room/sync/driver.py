"""Carry out a follower's `Decision`s on any player, on the asyncio loop.

The one piece of the sync engine that touches time for real: a scheduled resume waits for
the seek to land and for its instant to come. It knows the player only through the small
`PlaybackControls` protocol (`player.mpv_player.MpvPlayer` fits it), so `room` still
imports no player.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Awaitable, Callable
from typing import Protocol

from room.sync.policy import Decision


class PlaybackControls(Protocol):
    def play(self) -> None: ...

    def pause(self) -> None: ...

    def set_speed(self, speed: float) -> None: ...

    async def seek_and_wait(self, position: float) -> object: ...


class DecisionDriver:
    """Applies decisions in order. `clock_ms` is the clock the decisions were made with
    (the one passed to `Follower` as `now_ms`), so `resume_at_ms` means the same here;
    `sleep` waits on that clock (tests pass a fake pair, so no test measures real time)."""

    def __init__(
        self,
        controls: PlaybackControls,
        clock_ms: Callable[[], float],
        *,
        seek_timeout_s: float = 10.0,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
    ) -> None:
        self._controls = controls
        self._clock_ms = clock_ms
        self._sleep = sleep
        self._seek_timeout_s = seek_timeout_s
        self._pending: asyncio.Task[None] | None = None
        self._pending_speed: asyncio.Task[None] | None = None

    @property
    def busy(self) -> bool:
        """A seek or scheduled resume is still under way."""
        return self._pending is not None and not self._pending.done()

    async def settled(self) -> None:
        """Wait until the pending seek/resume and scheduled speed (if any) have been carried
        out or cancelled."""
        pending = {task for task in (self._pending, self._pending_speed) if task is not None}
        if pending:
            await asyncio.wait(pending)

    def apply(self, decision: Decision) -> None:
        if decision.is_noop:
            return
        if decision.pause or decision.seek_to_s is not None or decision.resume_at_ms is not None:
            self._cancel_pending()
        if decision.pause:
            self._controls.pause()
        if decision.speed is not None:
            self._cancel_speed()
            if decision.speed_at_ms is not None and decision.speed_at_ms > self._clock_ms():
                self._pending_speed = asyncio.get_running_loop().create_task(
                    self._speed_at(decision.speed, decision.speed_at_ms)
                )
            else:
                self._controls.set_speed(decision.speed)
        if decision.seek_to_s is not None or decision.resume_at_ms is not None:
            self._pending = asyncio.get_running_loop().create_task(
                self._seek_then_resume(decision.seek_to_s, decision.resume_at_ms)
            )

    def cancel(self) -> None:
        """Drop everything still to come (a seek's resume, a scheduled speed)."""
        self._cancel_pending()
        self._cancel_speed()

    def _cancel_pending(self) -> None:
        if self._pending is not None:
            self._pending.cancel()
            self._pending = None

    def _cancel_speed(self) -> None:
        if self._pending_speed is not None:
            self._pending_speed.cancel()
            self._pending_speed = None

    async def _speed_at(self, speed: float, at_ms: float) -> None:
        await self._sleep((at_ms - self._clock_ms()) / 1000)
        self._controls.set_speed(speed)

    async def _seek_then_resume(self, seek_to_s: float | None, resume_at_ms: float | None) -> None:
        if seek_to_s is not None:
            # A seek that never lands (media gone) must not hold the resume forever; the
            # follower notices the drift afterwards and decides again.
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(self._seek_timeout_s):
                    await self._controls.seek_and_wait(seek_to_s)
        if resume_at_ms is None:
            return
        delay_s = (resume_at_ms - self._clock_ms()) / 1000
        if delay_s > 0:
            # A sleep, not a bare timer on a future: a start cancelled in the very turn its
            # timer fires must not set a cancelled future (InvalidStateError).
            await self._sleep(delay_s)
        self._controls.play()
