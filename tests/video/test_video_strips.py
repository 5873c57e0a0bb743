"""A frame's rows as terminal sequences and strips: both show the frame's cells."""

from __future__ import annotations

import numpy as np
import pytest
from rich.console import Console
from rich.text import Text
from textual.geometry import Region
from textual.strip import Strip

from tests.video.apps import until
from tui.video_cells import CellFrame
from tui.widgets.video_view import CellStrip, PaintedFrame, VideoView, strips_of

CONSOLE = Console(color_system="256", force_terminal=True, width=400)


def cells_seen(terminal: str) -> list[tuple[str, int | None, int | None]]:
    """Each cell a terminal would show for `terminal`: character, palette fg and bg (read
    by Rich's own ANSI decoder, not by our code)."""
    seen: list[tuple[str, int | None, int | None]] = []
    for segment in Text.from_ansi(terminal).render(CONSOLE):
        style = segment.style
        fg = style.color.number if style and style.color else None
        bg = style.bgcolor.number if style and style.bgcolor else None
        seen.extend((char, fg, bg) for char in segment.text)
    return seen


def halves_seen(terminal: str) -> list[tuple[int | None, int | None]]:
    """The colours a terminal shows in each cell's upper and lower half for `terminal`."""
    halves: list[tuple[int | None, int | None]] = []
    for char, fg, bg in cells_seen(terminal):
        assert char in "▀ ", f"a video cell drawn as {char!r}"
        halves.append((fg, bg) if char == "▀" else (bg, bg))
    return halves


def segments_seen(strip: Strip) -> list[tuple[str, int | None, int | None]]:
    return cells_seen(Strip(list(strip), strip.cell_length).render(CONSOLE))


def frame_of(top: list[list[int]], bottom: list[list[int]]) -> CellFrame:
    upper, lower = np.array(top, dtype=np.uint8), np.array(bottom, dtype=np.uint8)
    return CellFrame(upper.shape[1], upper.shape[0], upper, lower)


@pytest.mark.parametrize(
    ("top", "bottom"),
    [
        ([[16, 16, 17, 17]], [[16, 20, 20, 21]]),  # one colour, then only one half changes
        ([[200, 201, 202]], [[50, 51, 52]]),  # both change at every cell
        ([[231]], [[232]]),  # one cell
        ([[16] * 1500], [[255] * 1500]),  # one run longer than the prebuilt blocks
        ([[40, 9, 40, 9]], [[60, 9, 61, 61]]),  # the upper colour kept across a solid run
        ([[30, 30, 30]], [[30, 31, 30]]),  # solid, half, solid again on the same colour
    ],
)
def test_the_sequences_show_the_cells_the_segments_show(
    top: list[list[int]], bottom: list[list[int]]
) -> None:
    (strip,) = strips_of(frame_of(top, bottom))
    assert isinstance(strip, CellStrip)
    expected = list(zip(top[0], bottom[0], strict=True))
    assert halves_seen(strip.render(CONSOLE)) == expected
    assert [(fg, bg) for _, fg, bg in segments_seen(strip)] == expected


def test_a_frame_of_noise_reads_back_cell_for_cell_in_fewer_bytes() -> None:
    rng = np.random.default_rng(3)
    top, bottom = (rng.integers(16, 256, (12, 80), dtype=np.uint8) for _ in range(2))
    bottom[:, ::3] = bottom[:, 1::3][:, : bottom[:, ::3].shape[1]]  # some runs of one colour
    top[:, 40:60] = bottom[:, 40:60]  # and cells of one colour
    cells = CellFrame(80, 12, top, bottom)
    for row, (strip, sequences) in enumerate(
        zip(strips_of(cells), cells.row_sequences(), strict=True)
    ):
        assert halves_seen(sequences) == list(zip(top[row], bottom[row], strict=True))
        assert strip.render(CONSOLE) == sequences
        plain = Strip(list(strip), strip.cell_length).render(CONSOLE)
        assert len(sequences) < 0.8 * len(plain)


def test_a_row_of_one_colour_is_one_colour_and_spaces() -> None:
    (sequences,) = frame_of([[100] * 8], [[100] * 8]).row_sequences()
    assert sequences == "\x1b[48;5;100m" + " " * 8 + "\x1b[0m"


async def test_the_view_hands_textual_the_frames_own_strips() -> None:
    from textual.app import App, ComposeResult

    class One(App[None]):
        def compose(self) -> ComposeResult:
            yield VideoView()

    async with One().run_test(size=(6, 2)) as pilot:
        view = pilot.app.query_one(VideoView)
        cells = frame_of([[16, 17, 18, 19, 20, 21]] * 2, [[30] * 6] * 2)
        frame = PaintedFrame(1, cells, 0.0)
        view.post_message(VideoView.FrameReady(frame))
        await until(pilot, lambda: view.frame is not None)
        lines = view.render_lines(Region(0, 0, 6, 2))
        assert all(line is strip for line, strip in zip(lines, frame.strips, strict=True))
        assert view.stats.painted == 1
        # Cut by Textual (a crop), a row is still the same cells.
        (cut,) = view.render_lines(Region(2, 1, 3, 1))
        assert cells_seen(cut.render(CONSOLE)) == segments_seen(frame.strips[1])[2:5]


async def test_a_view_with_padding_draws_the_frame_inside_it() -> None:
    from textual.app import App, ComposeResult

    class Padded(App[None]):
        CSS = "VideoView { padding: 1 2; }"

        def compose(self) -> ComposeResult:
            yield VideoView()

    async with Padded().run_test(size=(10, 4)) as pilot:
        view = pilot.app.query_one(VideoView)
        assert tuple(view.size) == (6, 2)
        cells = frame_of([[16, 17, 18, 19, 20, 21]] * 2, [[30] * 6] * 2)
        view.post_message(VideoView.FrameReady(PaintedFrame(1, cells, 0.0)))
        await until(pilot, lambda: view.frame is not None)
        lines = view.render_lines(Region(0, 0, 10, 4))
        assert [line.cell_length for line in lines] == [10] * 4
        assert segments_seen(lines[1])[2:8] == segments_seen(strips_of(cells)[0])


@pytest.mark.parametrize("drawn_by_textual", [True, False])
def test_the_converter_makes_strips_only_for_frames_textual_draws(drawn_by_textual: bool) -> None:
    """Written straight to the terminal, a frame needs no strips; drawn by Textual (something
    over the view), they are made on the converter thread, not on the app's loop."""
    import queue

    from player.frames import VideoFrame
    from tui.video_feed import CellFeed

    posted: queue.Queue[PaintedFrame] = queue.Queue()
    feed = CellFeed(posted.put, lambda: drawn_by_textual)
    try:
        feed.put(VideoFrame(1, 4, 2, 16, bytes(range(32)), 0.0, 0.0))
        frame = posted.get(timeout=10)
    finally:
        feed.stop()
    assert (frame._strips is not None) is drawn_by_textual
    assert len(frame.strips) == 1 and frame.strips[0].cell_length == 4
