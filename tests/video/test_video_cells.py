"""The frame-to-cells conversion, exactly: palette, rows, odd sizes, letterboxing, runs."""

from __future__ import annotations

import numpy as np
import pytest
from rich._palettes import EIGHT_BIT_PALETTE

from tui.video_cells import (
    CUBE_LEVELS,
    GREY_BASE,
    GREY_LEVELS,
    CellFrame,
    build_palette_table,
    frame_to_cells,
    palette_colour,
    quantise,
    rgb0_to_cells,
    rgb_of,
)


def solid(height: int, width: int, rgb: tuple[int, int, int]) -> np.ndarray:
    return np.full((height, width, 3), rgb, dtype=np.uint8)


def test_the_palette_is_the_one_rich_writes_as_256_colours() -> None:
    assert [palette_colour(i) for i in range(16, 256)] == [
        tuple(EIGHT_BIT_PALETTE[i]) for i in range(16, 256)
    ]


@pytest.mark.parametrize(
    ("rgb", "index"),
    [
        ((0, 0, 0), 16),  # black: the cube's corner
        ((255, 255, 255), 231),  # white
        ((255, 0, 0), 196),
        ((0, 255, 0), 46),
        ((0, 0, 255), 21),
        ((95, 135, 175), 16 + 36 * 1 + 6 * 2 + 3),  # exactly on cube levels
        ((255, 47, 0), 196),  # 47 is nearer 0 than 95
        ((255, 48, 0), 202),  # 48 is nearer 95
        ((47, 0, 0), 233),  # a dark red is nearer grey 18 than black or (95, 0, 0)
        ((128, 128, 128), 244),  # a mid grey: grey 128 beats cube (135, 135, 135)
        ((8, 8, 8), 232),  # the darkest grey
        ((238, 238, 238), 255),  # the lightest grey
        ((135, 135, 135), 102),  # a cube grey exactly
        ((4, 4, 4), 16),  # as far from black as from grey 8: a tie goes to the cube
        ((100, 30, 200), 16 + 36 * 1 + 6 * 0 + 4),
    ],
)
def test_each_pixel_takes_the_nearest_palette_colour(rgb: tuple[int, int, int], index: int) -> None:
    assert int(quantise(solid(1, 1, rgb))[0, 0]) == index


def test_nearest_is_nearest_for_every_grey_and_a_sample_of_colours() -> None:
    rng = np.random.default_rng(7)
    pixels = np.concatenate(
        [rng.integers(0, 256, (500, 3)), np.repeat(np.arange(256)[:, None], 3, axis=1)]
    ).astype(np.uint8)
    got = quantise(pixels[None, :, :])[0]
    table = np.array([palette_colour(i) for i in range(16, 256)])
    for pixel, index in zip(pixels.astype(int), got, strict=True):
        distances = ((table - pixel) ** 2).sum(axis=1)
        assert distances[index - 16] == distances.min()


def test_every_one_of_the_2_to_the_24_colours_takes_a_nearest_palette_colour() -> None:
    """Against a plain search: the nearest cube colour (the level nearest each channel, as the
    squared distance adds up per channel) and the nearest of all 24 greys, a tie to the cube."""
    values = np.arange(256)
    levels = np.array(CUBE_LEVELS)
    channel_error = ((values[:, None] - levels[None, :]) ** 2).min(axis=1)
    palette = np.array([(0, 0, 0)] * 16 + [palette_colour(i) for i in range(16, 256)])
    for chunk in np.array_split(np.arange(1 << 24, dtype=np.int64), 16):
        red, green, blue = chunk >> 16, (chunk >> 8) & 255, chunk & 255
        cube = channel_error[red] + channel_error[green] + channel_error[blue]
        squares, total = red * red + green * green + blue * blue, red + green + blue
        # sum((channel - g) ** 2) over the three channels, for every grey g
        grey = np.min([squares - 2 * g * total + 3 * g * g for g in GREY_LEVELS], axis=0)
        got = quantise(np.stack([red, green, blue], axis=-1).astype(np.uint8)[None])[0]
        chosen = palette[got]
        distance = (
            (chosen[:, 0] - red) ** 2 + (chosen[:, 1] - green) ** 2 + (chosen[:, 2] - blue) ** 2
        )
        assert (distance == np.minimum(cube, grey)).all()
        assert (got[cube <= grey] < GREY_BASE).all()


def test_rows_pair_upper_and_lower_pixels() -> None:
    rgb = np.zeros((4, 2, 3), dtype=np.uint8)
    rgb[0] = (255, 0, 0)  # row 0 red: top of cell row 0
    rgb[1] = (0, 0, 255)  # row 1 blue: bottom of cell row 0
    rgb[2, 0] = (255, 255, 255)
    rgb[3, 1] = (0, 255, 0)
    cells = frame_to_cells(rgb, 2, 2)
    assert cells.top.tolist() == [[196, 196], [231, 16]]
    assert cells.bottom.tolist() == [[21, 21], [16, 46]]


def test_a_narrow_picture_is_pillarboxed_and_a_short_one_letterboxed() -> None:
    cells = frame_to_cells(solid(4, 2, (255, 255, 255)), 6, 2)
    assert cells.top.tolist() == [[16, 16, 231, 231, 16, 16]] * 2
    assert cells.bottom.tolist() == [[16, 16, 231, 231, 16, 16]] * 2
    cells = frame_to_cells(solid(2, 3, (255, 255, 255)), 3, 3)  # 2 pixel rows in 6
    assert cells.top.tolist() == [[16] * 3, [231] * 3, [16] * 3]
    assert cells.bottom.tolist() == [[16] * 3, [231] * 3, [16] * 3]


def test_an_odd_number_of_pixel_rows_leaves_the_last_lower_half_black() -> None:
    cells = frame_to_cells(solid(3, 1, (255, 255, 255)), 1, 2)
    assert cells.top.tolist() == [[231], [231]]
    assert cells.bottom.tolist() == [[231], [16]]


def test_a_larger_picture_is_cropped_around_its_centre() -> None:
    rgb = np.zeros((2, 5, 3), dtype=np.uint8)
    rgb[:, 2] = (255, 255, 255)
    cells = frame_to_cells(rgb, 3, 1)
    assert cells.top.tolist() == [[16, 231, 16]]


def test_an_empty_pane_has_no_cells() -> None:
    cells = frame_to_cells(solid(4, 4, (1, 2, 3)), 0, 0)
    assert (cells.columns, cells.rows) == (0, 0)


def test_runs_merge_equal_neighbours() -> None:
    top = np.array([[16, 16, 196, 196, 196, 16]], dtype=np.uint8)
    bottom = np.array([[16, 16, 196, 21, 21, 16]], dtype=np.uint8)
    frame = CellFrame(6, 1, top, bottom)
    assert frame.runs(0) == [(16, 16, 2), (196, 196, 1), (196, 21, 2), (16, 16, 1)]


def test_rgb0_rows_with_padding_read_as_rgb() -> None:
    stride = 64
    raw = bytearray(stride * 2)
    raw[0:8] = bytes([1, 2, 3, 0, 4, 5, 6, 0])
    raw[stride : stride + 8] = bytes([7, 8, 9, 0, 10, 11, 12, 0])
    rgb = rgb_of(bytes(raw), 2, 2, stride)
    assert rgb.tolist() == [[[1, 2, 3], [4, 5, 6]], [[7, 8, 9], [10, 11, 12]]]


@pytest.mark.parametrize(
    ("width", "height", "columns", "rows"), [(37, 23, 40, 12), (64, 40, 30, 9), (40, 24, 40, 12)]
)
def test_rgb0_pixels_looked_up_in_the_palette_table_give_the_computed_cells(
    width: int, height: int, columns: int, rows: int
) -> None:
    """Odd sizes, padded rows, a letterbox, a crop and an exact fit: the table's cells are
    `quantise`'s."""
    stride = width * 4 + 12
    raw = np.random.default_rng(5).integers(0, 256, stride * height, dtype=np.uint8).tobytes()
    build_palette_table()
    looked_up = rgb0_to_cells(raw, width, height, stride, columns, rows)
    computed = frame_to_cells(rgb_of(raw, width, height, stride), columns, rows)
    assert looked_up.top.tolist() == computed.top.tolist()
    assert looked_up.bottom.tolist() == computed.bottom.tolist()
