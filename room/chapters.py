"""Chapters of the media, and mpv's rule for which chapter a chapter key goes to (pure).

The keys are mpv's own: PgUp goes to the next chapter, PgDn to the previous one (mpv's
etc/input.conf, lines 67-68, v0.35.1, built into the binary as its default bindings:
``PGUP add chapter 1``, ``PGDWN add chapter -1``; tests/player/test_chapters.py checks this
rule against real libmpv's own keys).
Going back more than ``chapter-seek-threshold`` seconds (5 by default: options/options.c
line 996) into a chapter goes to the start of that chapter instead of the one before
(player/command.c, ``mp_property_chapter``, lines 876-918; the current chapter is the last
one started, -1 before the first: player/playloop.c ``get_current_chapter``, lines 578-588;
"chapter" -1 starts at 0: ``chapter_start_time``, lines 618-625).

Two differences, both for a room: forward from the last chapter mpv (with ``keep-open``)
goes to the last frame, the room goes nowhere (nobody wants the whole room at the credits'
last frame by a key pressed once too often); and a position up to ``LANDING_TOLERANCE_S``
before a chapter's start counts as in it, where mpv remembers its last chapter seek
(``last_chapter_seek``): an exact seek to a chapter lands on the frame that holds its start,
which may report a little before it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

CHAPTER_SEEK_THRESHOLD_S = 5.0
"""mpv's ``chapter-seek-threshold`` default."""
LANDING_TOLERANCE_S = 0.05


@dataclass(frozen=True, slots=True)
class Chapter:
    start_s: float
    title: str = ""


@dataclass(frozen=True, slots=True)
class ChapterChoice:
    """Where a chapter key goes: the chapter's index (-1: the start before the first
    chapter) and its start."""

    index: int
    start_s: float


def current_chapter(position_s: float, chapters: Sequence[Chapter]) -> int:
    """The index of the chapter ``position_s`` is in: the last one started, -1 before the
    first (``chapters`` in order of start)."""
    index = -1
    for number, chapter in enumerate(chapters):
        if position_s + LANDING_TOLERANCE_S < chapter.start_s:
            break
        index = number
    return index


def chapter_choice(
    position_s: float,
    chapters: Sequence[Chapter],
    direction: int,
    threshold_s: float = CHAPTER_SEEK_THRESHOLD_S,
) -> ChapterChoice | None:
    """Where the next (``direction`` 1) or previous (-1) chapter key goes from
    ``position_s``; None when there is no such chapter (no chapters, or past the last)."""
    if not chapters:
        return None
    current = current_chapter(position_s, chapters)
    far_into_it = current >= 0 and position_s - chapters[current].start_s > threshold_s
    step = direction + 1 if direction < 0 and threshold_s >= 0 and far_into_it else direction
    target = max(-1, current + step)  # far into it: back to its own start
    if target >= len(chapters):
        return None
    return ChapterChoice(target, 0.0 if target == -1 else chapters[target].start_s)
