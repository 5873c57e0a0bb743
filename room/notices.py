"""Room notifications, worded as the event spec words them, at most one a second."""

from __future__ import annotations

from collections import deque
from collections.abc import Sequence
from dataclasses import dataclass, field

from room import events
from room.chapters import Chapter, ChapterChoice
from room.text import clean_message, clean_name
from room.timefmt import format_time

MAX_QUEUED = 20
"""Beyond this many waiting notices the oldest are dropped: a flood must not pile up forever."""


def playback_notice(event: str, username: str, current_time: float) -> str:
    name = clean_name(username or "Someone")
    if event == events.PLAY:
        return f"{name} resumed playback"
    if event == events.PAUSE:
        return f"{name} paused playback"
    return f"{name} seeked to {format_time(current_time)}"


def undo_notice(username: str, current_time: float) -> str:
    name = clean_name(username or "Someone")
    return f"{name} undid the last seek: back to {format_time(current_time)}"


def chapter_notice(choice: ChapterChoice, chapters: Sequence[Chapter]) -> str:
    """Where a chapter key took the room: "Chapter 2/5: Part one" (titles come from the
    media file: cleaned and cut)."""
    if choice.index < 0:
        return f"Back to the start, before chapter 1 of {len(chapters)}"
    text = f"Chapter {choice.index + 1}/{len(chapters)}"
    title = chapters[choice.index].title
    return f"{text}: {clean_name(title[:400], 80)}" if title.strip() else text


NO_CHAPTERS = "This media has no chapters."


def no_chapter_notice(direction: int) -> str:
    return "This is the last chapter." if direction > 0 else "There is no chapter before this."


def format_offset(offset_s: float) -> str:
    """An offset as people say it: +1.5 s, -0.25 s, none."""
    if offset_s == 0:
        return "none"
    return f"{offset_s:+.2f}".rstrip("0").rstrip(".") + " s"


def format_rate(rate: float) -> str:
    """A playback speed as people say it: 1.5×, 0.75×, 1×."""
    return f"{rate:.2f}".rstrip("0").rstrip(".") + "×"


def speed_notice(username: str, rate: float) -> str:
    return f"{clean_name(username or 'Someone')} set the speed to {format_rate(rate)}"


def joined_notice(username: str) -> str:
    return f"{clean_name(username or 'Someone')} joined the room"


def left_notice(username: str) -> str:
    return f"{clean_name(username or 'Someone')} left the room"


def item_notice(username: str, title: str) -> str:
    """The host moved the room to a queue item (its title is anyone's text: cleaned)."""
    return f"{clean_name(username or 'The host')} moved on to {clean_name(title, 120)}"


def cant_play_notice(title: str, reason: str) -> str:
    return f"Can't play {clean_name(title, 120)}: {clean_message(reason, 300)}"


def comment_notice(username: str, message: str) -> str:
    return f"{clean_name(username or 'Someone')}: {clean_message(message, 120)}"


@dataclass
class NoticeThrottle:
    """Let one notice through per ``interval_s``; queue the rest in order."""

    interval_s: float = 1.0
    _last_shown: float | None = None
    _queue: deque[str] = field(default_factory=deque)

    def offer(self, text: str, now: float) -> str | None:
        """The notice to show now, if any; otherwise ``text`` waits its turn."""
        if not self._queue and self._ready(now):
            self._last_shown = now
            return text
        self._queue.append(text)
        while len(self._queue) > MAX_QUEUED:
            self._queue.popleft()
        return None

    def due(self, now: float) -> str | None:
        """The next queued notice if its turn has come."""
        if self._queue and self._ready(now):
            self._last_shown = now
            return self._queue.popleft()
        return None

    def next_due_at(self) -> float | None:
        if not self._queue:
            return None
        return (self._last_shown or 0.0) + self.interval_s

    def _ready(self, now: float) -> bool:
        return self._last_shown is None or now - self._last_shown >= self.interval_s
