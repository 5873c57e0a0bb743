"""Where the progress bar puts the play head and the room's markers."""

from __future__ import annotations

import math

import pytest

from tui.widgets.progress_bar import (
    CHAPTER,
    HEAD,
    MARK,
    MARKER,
    cell_of,
    marker_cells,
    progress_bar,
)


@pytest.mark.parametrize(
    ("time", "duration", "width", "cell"),
    [
        (0.0, 100.0, 10, 0),
        (9.9, 100.0, 10, 0),
        (10.0, 100.0, 10, 1),
        (55.0, 100.0, 10, 5),
        (100.0, 100.0, 10, 9),  # the very end is the last cell, not one past it
        (250.0, 100.0, 10, 9),  # past the end: clamped to the media, as everywhere
        (-5.0, 100.0, 10, 0),
        (50.0, None, 10, None),  # unknown length: no scale to place anything on
        (50.0, 0.0, 10, None),
        (50.0, -1.0, 10, None),
        (50.0, math.inf, 10, None),
        (math.nan, 100.0, 10, None),
        (50.0, 100.0, 0, None),
    ],
)
def test_cell_of(time: float, duration: float | None, width: int, cell: int | None) -> None:
    assert cell_of(time, duration, width) == cell


def test_anchors_in_one_cell_show_once() -> None:
    assert marker_cells([10.0, 12.0, 19.9, 90.0], 100.0, 10) == {1, 9}
    assert marker_cells([10.0, 12.0], None, 10) == frozenset()


def glyphs(position: float, anchors: list[float], mark: float | None = None) -> str:
    return progress_bar(position, 100.0, 10, anchors, mark).plain


def test_markers_sit_on_the_track() -> None:
    assert glyphs(55.0, [12.0, 13.0, 95.0]) == "━◆━━━●───◆"


def test_the_play_head_wins_its_cell() -> None:
    assert glyphs(55.0, [51.0], mark=52.0) == "━━━━━●────"


def test_the_mark_wins_over_an_anchor() -> None:
    assert glyphs(0.0, [71.0], mark=75.0) == "●──────▼──"


def test_unknown_duration_is_an_empty_track_without_markers() -> None:
    bar = progress_bar(30.0, None, 8, [1.0, 2.0], 3.0)
    assert bar.plain == "─" * 8
    assert progress_bar(30.0, 100.0, 0, [1.0]).plain == ""


def test_marker_styles_differ_from_the_track() -> None:
    bar = progress_bar(0.0, 100.0, 10, [50.0], 80.0)
    styles = {bar.plain[span.start]: str(span.style) for span in bar.spans}
    assert styles[MARKER[0]] == MARKER[1]
    assert styles[MARK[0]] == MARK[1]
    assert styles[HEAD[0]] == HEAD[1]
    assert len({MARKER[1], MARK[1], HEAD[1]}) == 3


def test_chapter_starts_are_ticks_on_the_track_but_not_at_zero() -> None:
    bar = progress_bar(55.0, 100.0, 10, chapters=[0.0, 20.0, 70.0, 150.0])
    assert bar.plain == "━━┃━━●─┃─┃"  # 150 s is past the end: clamped to the last cell
    styles = {bar.plain[span.start]: str(span.style) for span in bar.spans}
    assert styles[CHAPTER[0]] == CHAPTER[1]
    assert CHAPTER[1] not in (MARKER[1], MARK[1], HEAD[1])


def test_the_head_the_mark_and_markers_win_over_a_chapter_tick() -> None:
    bar = progress_bar(55.0, 100.0, 10, [12.0], 75.0, chapters=[10.0, 50.0, 70.0, 80.0])
    assert bar.plain == "━◆━━━●─▼┃─"


def test_bad_chapter_times_draw_nothing() -> None:
    bar = progress_bar(0.0, 100.0, 10, chapters=[math.nan, -3.0, math.inf])
    assert bar.plain == "●─────────"
