"""mpv's chapter-key rule (player/command.c, mp_property_chapter), as a table."""

from __future__ import annotations

import pytest

from room.chapters import Chapter, ChapterChoice, chapter_choice, current_chapter

NEXT, PREVIOUS = 1, -1
# The 90 s test media's chapters: an opening at 0, parts at 9, 36 and 63, credits at 85.5.
FILM = (
    Chapter(0.0, "Opening"),
    Chapter(9.0, "Part one"),
    Chapter(36.0, "Part two"),
    Chapter(63.0, "Part three"),
    Chapter(85.5, "Credits"),
)
LATE_START = (Chapter(10.0, "A"), Chapter(20.0, "B"))
"""The first chapter does not start at 0 (mpv's chapter -1 is the stretch before it)."""


@pytest.mark.parametrize(
    ("position", "chapters", "direction", "threshold", "expected"),
    [
        # Forward: the next chapter's start, wherever in this one.
        (0.0, FILM, NEXT, 5.0, ChapterChoice(1, 9.0)),
        (8.9, FILM, NEXT, 5.0, ChapterChoice(1, 9.0)),
        (9.0, FILM, NEXT, 5.0, ChapterChoice(2, 36.0)),
        (40.0, FILM, NEXT, 5.0, ChapterChoice(3, 63.0)),
        (84.0, FILM, NEXT, 5.0, ChapterChoice(4, 85.5)),
        # Past the last chapter's start there is no next one (mpv: the last frame).
        (86.0, FILM, NEXT, 5.0, None),
        (89.9, FILM, NEXT, 5.0, None),
        # Back within the threshold of a chapter's start: the chapter before.
        (36.0, FILM, PREVIOUS, 5.0, ChapterChoice(1, 9.0)),
        (41.0, FILM, PREVIOUS, 5.0, ChapterChoice(1, 9.0)),  # exactly 5 s in: not past it
        # Back further into it: its own start.
        (41.01, FILM, PREVIOUS, 5.0, ChapterChoice(2, 36.0)),
        (62.0, FILM, PREVIOUS, 5.0, ChapterChoice(2, 36.0)),
        # In the first chapter: its start, or "before it" (0) near it.
        (3.0, FILM, PREVIOUS, 5.0, ChapterChoice(-1, 0.0)),
        (7.0, FILM, PREVIOUS, 5.0, ChapterChoice(0, 0.0)),
        # A negative threshold: always the chapter before (mpv's option, negative).
        (62.0, FILM, PREVIOUS, -1.0, ChapterChoice(1, 9.0)),
        # A threshold of 0: back goes to this chapter's start once past it at all.
        (36.5, FILM, PREVIOUS, 0.0, ChapterChoice(2, 36.0)),
        # Before a late first chapter: -1 is the stretch from 0; next is the first chapter.
        (4.0, LATE_START, NEXT, 5.0, ChapterChoice(0, 10.0)),
        (4.0, LATE_START, PREVIOUS, 5.0, ChapterChoice(-1, 0.0)),
        (12.0, LATE_START, PREVIOUS, 5.0, ChapterChoice(-1, 0.0)),
        (18.0, LATE_START, PREVIOUS, 5.0, ChapterChoice(0, 10.0)),
        # A seek to a chapter may land on a frame a little before its start: still in it.
        (35.98, FILM, NEXT, 5.0, ChapterChoice(3, 63.0)),
        (35.98, FILM, PREVIOUS, 5.0, ChapterChoice(1, 9.0)),
        # ...but a tenth of a second before it is the chapter before.
        (35.9, FILM, NEXT, 5.0, ChapterChoice(2, 36.0)),
        # No chapters: nowhere to go.
        (10.0, (), NEXT, 5.0, None),
        (10.0, (), PREVIOUS, 5.0, None),
        # One chapter at 0.
        (30.0, (Chapter(0.0),), NEXT, 5.0, None),
        (30.0, (Chapter(0.0),), PREVIOUS, 5.0, ChapterChoice(0, 0.0)),
    ],
)
def test_chapter_keys_go_where_mpvs_go(
    position: float,
    chapters: tuple[Chapter, ...],
    direction: int,
    threshold: float,
    expected: ChapterChoice | None,
) -> None:
    assert chapter_choice(position, chapters, direction, threshold) == expected


@pytest.mark.parametrize(
    ("position", "expected"), [(0.0, 0), (8.9, 0), (8.97, 1), (9.0, 1), (85.5, 4), (1000.0, 4)]
)
def test_the_current_chapter_is_the_last_one_started(position: float, expected: int) -> None:
    assert current_chapter(position, FILM) == expected


def test_before_the_first_chapter_is_chapter_minus_one() -> None:
    assert current_chapter(5.0, LATE_START) == -1
    assert current_chapter(5.0, ()) == -1
