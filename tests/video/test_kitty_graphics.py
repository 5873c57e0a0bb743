"""Kitty's graphics sequences and placeholders, as pure functions."""

from __future__ import annotations

import base64
import re
import zlib

import pytest
from rich.cells import cell_len

from tui.kitty_feed import image_size
from tui.kitty_graphics import (
    MAX_GRID,
    PLACEHOLDER,
    ROW_COLUMN_DIACRITICS,
    ImageId,
    delete,
    placeholder_cell,
    placeholder_rows,
    tmux_wrap,
    transmit,
)
from tui.kitty_output import placeholder_strips

IMAGE = ImageId(colour=42, high=2)
COMMAND = re.compile(r"\x1b_G([^;\x1b]*)(?:;([^\x1b]*))?\x1b\\")


def commands(sequences: str) -> list[tuple[dict[str, str], str]]:
    """Each APC command's keys and payload; nothing else may be in `sequences`."""
    found = [(m.group(1), m.group(2) or "") for m in COMMAND.finditer(sequences)]
    assert COMMAND.sub("", sequences) == "", "only graphics commands"
    return [(dict(pair.split("=") for pair in keys.split(",")), data) for keys, data in found]


def tmux_parts(wrapped: str) -> list[str]:
    """What each of tmux's passthrough sequences carries, its doubled ESCs undone."""
    parts, at = [], 0
    while at < len(wrapped):
        assert wrapped.startswith("\x1bPtmux;", at)
        at += len("\x1bPtmux;")
        inner = []
        while wrapped[at : at + 2] != "\x1b\\":
            if wrapped[at] == "\x1b":
                assert wrapped[at + 1] == "\x1b", "an ESC inside must be doubled"
                at += 1
            inner.append(wrapped[at])
            at += 1
        parts.append("".join(inner))
        at += 2
    return parts


def known_frame(width: int, height: int) -> bytes:
    return bytes(
        (x * 7 + y * 13 + channel * 50) % 256
        for y in range(height)
        for x in range(width)
        for channel in range(3)
    )


@pytest.mark.parametrize("compress", [False, True])
def test_a_frame_goes_in_chunks_of_4096_that_decode_to_its_pixels(compress: bool) -> None:
    width, height = 97, 31  # odd: 9,021 bytes, 12,028 of base64 uncompressed
    pixels = known_frame(width, height)
    sent = commands(transmit(IMAGE, pixels, width, height, 20, 7, compress=compress))

    first_keys = sent[0][0]
    expected = {
        "a": "T",
        "U": "1",
        "i": str(42 + (2 << 24)),
        "q": "2",
        "f": "24",
        "s": "97",
        "v": "31",
        "c": "20",
        "r": "7",
    }
    assert {k: first_keys[k] for k in expected} == expected
    assert first_keys.get("o") == ("z" if compress else None)
    assert [keys["m"] for keys, _ in sent] == ["1"] * (len(sent) - 1) + ["0"]
    for keys, _ in sent[1:]:
        assert set(keys) == {"m", "q"}, "later chunks carry only m (and q)"
    payloads = [data for _, data in sent]
    assert all(len(data) == 4096 for data in payloads[:-1]), "the most kitty takes"
    assert 0 < len(payloads[-1]) <= 4096
    data = base64.standard_b64decode("".join(payloads))
    assert (zlib.decompress(data) if compress else data) == pixels
    if not compress:
        assert len(sent) == 3


def test_a_frame_that_fits_one_chunk_is_one_command_with_m0() -> None:
    sent = commands(transmit(IMAGE, known_frame(2, 2), 2, 2, 1, 1, compress=False))
    assert len(sent) == 1
    assert sent[0][0]["m"] == "0"


def test_pixels_of_the_wrong_size_are_refused() -> None:
    with pytest.raises(ValueError, match="RGB"):
        transmit(IMAGE, b"\0" * 11, 2, 2, 1, 1)


def test_delete_frees_the_image_by_id() -> None:
    assert commands(delete(IMAGE)) == [({"a": "d", "d": "I", "i": str(IMAGE.value), "q": "2"}, "")]


def test_inside_tmux_each_command_is_wrapped_with_its_escapes_doubled() -> None:
    assert tmux_wrap("\x1b_Ga=d\x1b\\") == "\x1bPtmux;\x1b\x1b_Ga=d\x1b\x1b\\\x1b\\"
    plain = transmit(IMAGE, known_frame(97, 31), 97, 31, 20, 7, compress=False)
    wrapped = transmit(IMAGE, known_frame(97, 31), 97, 31, 20, 7, compress=False, tmux=True)
    parts = tmux_parts(wrapped)
    assert len(parts) == 3, "one passthrough per chunk"
    unwrapped = "".join(parts)
    assert unwrapped == plain
    assert delete(IMAGE, tmux=True) == tmux_wrap(delete(IMAGE))


def test_the_diacritics_are_kittys_table() -> None:
    # gen/rowcolumn-diacritics.txt: the first, second, tenth, 256th and last entries.
    assert len(ROW_COLUMN_DIACRITICS) == MAX_GRID == 297
    assert ROW_COLUMN_DIACRITICS[0] == 0x0305
    assert ROW_COLUMN_DIACRITICS[1] == 0x030D
    assert ROW_COLUMN_DIACRITICS[9] == 0x034A
    assert ROW_COLUMN_DIACRITICS[255] == 0xA8E5
    assert ROW_COLUMN_DIACRITICS[-1] == 0x1D244
    assert len(set(ROW_COLUMN_DIACRITICS)) == 297
    assert all(cell_len(chr(code)) == 0 for code in ROW_COLUMN_DIACRITICS)


def test_kittys_own_example_cells() -> None:
    # graphics-protocol.rst: image 33554474 = 42 + (2 << 24), row 1 column 0 is
    # \U10EEEE\U030D\U0305\U030E.
    assert placeholder_cell(IMAGE, 1, 0) == "\U0010eeee\u030d\u0305\u030e"
    assert placeholder_cell(IMAGE, 0, 1) == "\U0010eeee\u0305\u030d\u030e"


@pytest.mark.parametrize(("columns", "rows"), [(1, 1), (3, 2), (61, 17), (297, 1)])
def test_placeholder_rows_number_every_cell(columns: int, rows: int) -> None:
    lines = placeholder_rows(IMAGE, columns, rows)
    assert len(lines) == rows
    for row, line in enumerate(lines):
        assert cell_len(line) == columns
        cells = line.split(PLACEHOLDER)[1:]
        assert len(cells) == columns
        for column, marks in enumerate(cells):
            assert [ord(mark) for mark in marks] == [
                ROW_COLUMN_DIACRITICS[row],
                ROW_COLUMN_DIACRITICS[column],
                ROW_COLUMN_DIACRITICS[2],
            ]


def test_a_placeholder_larger_than_kitty_can_number_is_refused() -> None:
    with pytest.raises(ValueError, match="297"):
        placeholder_rows(IMAGE, 298, 1)


@pytest.mark.parametrize(("columns", "rows"), [(7, 3), (60, 17), (300, 2)])
def test_placeholder_strips_fill_the_pane_in_the_ids_colour(columns: int, rows: int) -> None:
    strips = placeholder_strips(IMAGE, columns, rows)
    assert len(strips) == rows
    for strip in strips:
        assert strip.cell_length == columns
        first = next(iter(strip))
        assert first.style is not None and first.style.color is not None
        assert first.style.color.number == 42
        assert first.text.count(PLACEHOLDER) == min(columns, MAX_GRID)


def test_a_cropped_placeholder_keeps_each_cells_diacritics() -> None:
    strip = placeholder_strips(IMAGE, 9, 1)[0]
    cropped = strip.crop(3, 6)
    text = "".join(segment.text for segment in cropped)
    assert text == "".join(placeholder_cell(IMAGE, 0, column) for column in (3, 4, 5))


@pytest.mark.parametrize(
    ("columns", "rows", "cell_px", "size"),
    [
        (30, 9, None, (240, 144)),  # 8x16 cells by default
        (60, 17, None, (476, 270)),  # 480x272 scaled to fit 480x270
        (80, 22, (10, 20), (480, 264)),  # 800x440 scaled to fit 480x270
        (10, 5, (9, 18), (90, 90)),
        (0, 5, None, (0, 0)),
    ],
)
def test_the_picture_is_the_panes_pixels_scaled_to_fit(
    columns: int, rows: int, cell_px: tuple[int, int] | None, size: tuple[int, int]
) -> None:
    assert image_size(columns, rows, cell_px) == size


def test_a_frames_rgb0_rows_become_packed_rgb_without_the_padding() -> None:
    from player.frames import VideoFrame
    from tui.kitty_feed import rgb_bytes

    width, height, stride = 3, 2, 64  # mpv's rows are padded to 64 bytes
    rows = []
    for y in range(height):
        row = b"".join(bytes((10 * y + x, 100 + x, 200 + y, 0)) for x in range(width))
        rows.append(row + b"\xee" * (stride - len(row)))
    frame = VideoFrame(1, width, height, stride, b"".join(rows), 0.0, 0.0)
    assert rgb_bytes(frame) == bytes(
        (0, 100, 200, 1, 101, 200, 2, 102, 200, 10, 100, 201, 11, 101, 201, 12, 102, 201)
    )
