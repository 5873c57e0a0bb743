"""Carry out the sync engine's decisions on a player, including scheduled starts."""

from __future__ import annotations

import asyncio
import contextlib
from typing import Protocol

from room.sync.policy import Decision
from room.sync.sample import PlaybackSample


class PlayerControls(Protocol):
    """What the room needs to command on a player (``player.MpvPlayer`` fits)."""

    def play(self) -> None: ...

    def pause(self) -> None: ...

    def seek(self, position: float) -> None: ...

    def set_speed(self, speed: float) -> None: ...


class DecisionDriver:
    """Applies ``Decision``s in order: pause, seek, speed, then a scheduled resume.

    A resume waits for both the seek to land (the restart counter moves on) and its instant
    (``resume_at_ms`` on the monotonic clock) to come, so playback starts on the host's frame.
    """

    def __init__(self, player: PlayerControls) -> None:
        self.player = player
        self._resume: asyncio.Task[None] | None = None
        self._landed = asyncio.Event()
        self._restarts = 0

    def observe(self, sample: PlaybackSample) -> None:
        """Feed every player sample (the driver watches seeks land)."""
        if sample.restarts != self._restarts and not sample.seeking:
            self._restarts = sample.restarts
            self._landed.set()

    def apply(self, decision: Decision) -> None:
        if decision.is_noop:
            return
        if decision.pause or decision.seek_to_s is not None or decision.resume_at_ms is not None:
            self.cancel_resume()
        if decision.pause:
            self.player.pause()
        seeking = decision.seek_to_s is not None
        if seeking:
            self._landed.clear()
            self.player.seek(decision.seek_to_s)  # type: ignore[arg-type]
        if decision.speed is not None:
            self.player.set_speed(decision.speed)
        if decision.resume_at_ms is not None:
            self._resume = asyncio.get_running_loop().create_task(
                self._resume_when(decision.resume_at_ms, wait_for_landing=seeking)
            )

    def play_at(self, at_ms: float) -> None:
        """Unpause at the monotonic instant ``at_ms`` (the host's own scheduled start)."""
        self.cancel_resume()
        self._resume = asyncio.get_running_loop().create_task(
            self._resume_when(at_ms, wait_for_landing=False)
        )

    def cancel_resume(self) -> None:
        if self._resume is not None and not self._resume.done():
            self._resume.cancel()
        self._resume = None

    async def _resume_when(self, at_ms: float, *, wait_for_landing: bool) -> None:
        with contextlib.suppress(asyncio.CancelledError):
            if wait_for_landing:
                await self._landed.wait()
            loop = asyncio.get_running_loop()
            due = loop.create_future()
            handle = loop.call_at(at_ms / 1000, due.set_result, None)
            try:
                await due
            finally:
                handle.cancel()
            self.player.play()
