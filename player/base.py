"""The player interface the rest of the app uses, independent of libmpv."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol


@dataclass(frozen=True, slots=True)
class Chapter:
    """A chapter of the loaded media: where it starts (seconds) and its title as the file
    gives it (untrusted text: shown as plain text, cut to fit)."""

    start: float
    title: str = ""


@dataclass(frozen=True, slots=True)
class PlayerState:
    """One consistent snapshot of the player, as last reported by the backend.

    `position_at` is the `time.monotonic()` instant at which `position` was observed, so a
    reader can extrapolate where playback is *now* instead of trusting a stale value.
    `restarts` counts finished seeks/loads (mpv's `playback-restart`): a waiter compares
    counters, so a coalesced update can never hide a finished seek.
    """

    source: str | None = None
    loaded: bool = False
    position: float | None = None
    position_at: float = 0.0
    duration: float | None = None
    paused: bool = True
    speed: float = 1.0
    seeking: bool = False
    buffering: bool = False
    eof: bool = False
    restarts: int = 0
    error: str | None = None
    chapters: tuple[Chapter, ...] = ()
    """The media's chapters in order of start (mpv's `chapter-list`); none: no chapters."""
    chapter: int | None = None
    """The current chapter's index (mpv's `chapter`): -1 before the first, None without any."""

    @property
    def advancing(self) -> bool:
        """True when the playback clock is moving (position can be extrapolated)."""
        return (
            self.loaded
            and self.position is not None
            and not (self.paused or self.seeking or self.buffering or self.eof)
        )

    def position_now(self, now: float) -> float | None:
        """Playback position at monotonic time `now`, extrapolated from the last observation."""
        if self.position is None:
            return None
        if not self.advancing:
            return self.position
        return self.position + max(0.0, now - self.position_at) * self.speed


StateListener = Callable[[PlayerState], None]
"""Called on the owner's event loop thread with every new state (updates may be coalesced)."""


class Player(Protocol):
    """What the app needs from a video player. Commands return at once; results arrive as states.

    The awaitables have no built-in time limit: wrap them in `asyncio.timeout(...)`.
    """

    @property
    def state(self) -> PlayerState: ...

    async def load(self, source: str, *, paused: bool = True) -> None: ...

    def play(self) -> None: ...

    def pause(self) -> None: ...

    def seek(self, position: float) -> None: ...

    def set_speed(self, speed: float) -> None: ...

    async def seek_and_wait(self, position: float) -> PlayerState: ...

    async def wait_for(self, condition: Callable[[PlayerState], bool]) -> PlayerState: ...

    def add_listener(self, listener: StateListener) -> None: ...

    def close(self) -> None: ...
