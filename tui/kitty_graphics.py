"""Kitty's graphics protocol: the escape sequences that send a frame, and the placeholder text.

The picture goes out of band, as an APC sequence the terminal keeps as image `image_id`; the
pane's cells hold kitty's Unicode placeholder U+10EEEE, whose foreground colour names the image
and whose diacritics name the cell's row and column in it, so the layout stays plain text that
Textual (and tmux) lay out and redraw as any other. From kitty's `docs/graphics-protocol.rst`
("Remote client", "Unicode placeholders"; kitty commit 9475a58f0baf):

- a frame is `ESC _G a=T,U=1,i=<id>,q=2,f=24,s=<w>,v=<h>,c=<columns>,r=<rows>[,o=z] ; <base64>
  ESC \\`: transmit and make a virtual placement of `columns` x `rows` cells, with no answer
  (`q=2`), the picture fitted to those cells with its aspect ratio kept. Sending an image again
  under the same id replaces it and its placements, so every frame carries `a=T,U=1`;
- the base64 goes in chunks of at most 4096 bytes (all but the last a multiple of 4), `m=1` on
  all but the last, `m=0` on the last; chunks after the first carry only `m` and `q`;
- `a=d,d=I,i=<id>` deletes the image and frees its data;
- inside tmux each sequence goes through tmux's passthrough, `ESC Ptmux;` + the sequence with
  every ESC doubled + `ESC \\` (as kitty's own `kittens/icat/transmit.go` does), and tmux must
  have `allow-passthrough` on.

Nothing here knows Textual: `tui.widgets.video_view` turns `placeholder_rows` into strips.
"""

from __future__ import annotations

import base64
import zlib
from dataclasses import dataclass

ESC = "\x1b"
APC_START = ESC + "_G"
ST = ESC + "\\"
CHUNK_BYTES = 4096
PLACEHOLDER = "\U0010eeee"

ROW_COLUMN_DIACRITICS: tuple[int, ...] = (
    0x0305,
    0x030D,
    0x030E,
    0x0310,
    0x0312,
    0x033D,
    0x033E,
    0x033F,
    0x0346,
    0x034A,
    0x034B,
    0x034C,
    0x0350,
    0x0351,
    0x0352,
    0x0357,
    0x035B,
    0x0363,
    0x0364,
    0x0365,
    0x0366,
    0x0367,
    0x0368,
    0x0369,
    0x036A,
    0x036B,
    0x036C,
    0x036D,
    0x036E,
    0x036F,
    0x0483,
    0x0484,
    0x0485,
    0x0486,
    0x0487,
    0x0592,
    0x0593,
    0x0594,
    0x0595,
    0x0597,
    0x0598,
    0x0599,
    0x059C,
    0x059D,
    0x059E,
    0x059F,
    0x05A0,
    0x05A1,
    0x05A8,
    0x05A9,
    0x05AB,
    0x05AC,
    0x05AF,
    0x05C4,
    0x0610,
    0x0611,
    0x0612,
    0x0613,
    0x0614,
    0x0615,
    0x0616,
    0x0617,
    0x0657,
    0x0658,
    0x0659,
    0x065A,
    0x065B,
    0x065D,
    0x065E,
    0x06D6,
    0x06D7,
    0x06D8,
    0x06D9,
    0x06DA,
    0x06DB,
    0x06DC,
    0x06DF,
    0x06E0,
    0x06E1,
    0x06E2,
    0x06E4,
    0x06E7,
    0x06E8,
    0x06EB,
    0x06EC,
    0x0730,
    0x0732,
    0x0733,
    0x0735,
    0x0736,
    0x073A,
    0x073D,
    0x073F,
    0x0740,
    0x0741,
    0x0743,
    0x0745,
    0x0747,
    0x0749,
    0x074A,
    0x07EB,
    0x07EC,
    0x07ED,
    0x07EE,
    0x07EF,
    0x07F0,
    0x07F1,
    0x07F3,
    0x0816,
    0x0817,
    0x0818,
    0x0819,
    0x081B,
    0x081C,
    0x081D,
    0x081E,
    0x081F,
    0x0820,
    0x0821,
    0x0822,
    0x0823,
    0x0825,
    0x0826,
    0x0827,
    0x0829,
    0x082A,
    0x082B,
    0x082C,
    0x082D,
    0x0951,
    0x0953,
    0x0954,
    0x0F82,
    0x0F83,
    0x0F86,
    0x0F87,
    0x135D,
    0x135E,
    0x135F,
    0x17DD,
    0x193A,
    0x1A17,
    0x1A75,
    0x1A76,
    0x1A77,
    0x1A78,
    0x1A79,
    0x1A7A,
    0x1A7B,
    0x1A7C,
    0x1B6B,
    0x1B6D,
    0x1B6E,
    0x1B6F,
    0x1B70,
    0x1B71,
    0x1B72,
    0x1B73,
    0x1CD0,
    0x1CD1,
    0x1CD2,
    0x1CDA,
    0x1CDB,
    0x1CE0,
    0x1DC0,
    0x1DC1,
    0x1DC3,
    0x1DC4,
    0x1DC5,
    0x1DC6,
    0x1DC7,
    0x1DC8,
    0x1DC9,
    0x1DCB,
    0x1DCC,
    0x1DD1,
    0x1DD2,
    0x1DD3,
    0x1DD4,
    0x1DD5,
    0x1DD6,
    0x1DD7,
    0x1DD8,
    0x1DD9,
    0x1DDA,
    0x1DDB,
    0x1DDC,
    0x1DDD,
    0x1DDE,
    0x1DDF,
    0x1DE0,
    0x1DE1,
    0x1DE2,
    0x1DE3,
    0x1DE4,
    0x1DE5,
    0x1DE6,
    0x1DFE,
    0x20D0,
    0x20D1,
    0x20D4,
    0x20D5,
    0x20D6,
    0x20D7,
    0x20DB,
    0x20DC,
    0x20E1,
    0x20E7,
    0x20E9,
    0x20F0,
    0x2CEF,
    0x2CF0,
    0x2CF1,
    0x2DE0,
    0x2DE1,
    0x2DE2,
    0x2DE3,
    0x2DE4,
    0x2DE5,
    0x2DE6,
    0x2DE7,
    0x2DE8,
    0x2DE9,
    0x2DEA,
    0x2DEB,
    0x2DEC,
    0x2DED,
    0x2DEE,
    0x2DEF,
    0x2DF0,
    0x2DF1,
    0x2DF2,
    0x2DF3,
    0x2DF4,
    0x2DF5,
    0x2DF6,
    0x2DF7,
    0x2DF8,
    0x2DF9,
    0x2DFA,
    0x2DFB,
    0x2DFC,
    0x2DFD,
    0x2DFE,
    0x2DFF,
    0xA66F,
    0xA67C,
    0xA67D,
    0xA6F0,
    0xA6F1,
    0xA8E0,
    0xA8E1,
    0xA8E2,
    0xA8E3,
    0xA8E4,
    0xA8E5,
    0xA8E6,
    0xA8E7,
    0xA8E8,
    0xA8E9,
    0xA8EA,
    0xA8EB,
    0xA8EC,
    0xA8ED,
    0xA8EE,
    0xA8EF,
    0xA8F0,
    0xA8F1,
    0xAAB0,
    0xAAB2,
    0xAAB3,
    0xAAB7,
    0xAAB8,
    0xAABE,
    0xAABF,
    0xAAC1,
    0xFE20,
    0xFE21,
    0xFE22,
    0xFE23,
    0xFE24,
    0xFE25,
    0xFE26,
    0x10A0F,
    0x10A38,
    0x1D185,
    0x1D186,
    0x1D187,
    0x1D188,
    0x1D189,
    0x1D1AA,
    0x1D1AB,
    0x1D1AC,
    0x1D1AD,
    0x1D242,
    0x1D243,
    0x1D244,
)
"""The diacritic of each row and column number (index = number), kitty's
`gen/rowcolumn-diacritics.txt` (kitty commit a79dd3996ac5, lines 14-310), mirrored."""

MAX_GRID = len(ROW_COLUMN_DIACRITICS)
"""The most rows or columns a placeholder can number (297)."""

_MARKS = tuple(chr(code) for code in ROW_COLUMN_DIACRITICS)


@dataclass(frozen=True, slots=True)
class ImageId:
    """An image id as placeholders carry it: the low byte in the 256-colour foreground
    (`colour`, kept away from the 16 themeable colours), the high byte in a third diacritic.
    Ids are global in the terminal, so a random `high` keeps two apps apart."""

    colour: int
    high: int

    def __post_init__(self) -> None:
        if not (16 <= self.colour <= 255 and 0 <= self.high < MAX_GRID and self.high <= 255):
            raise ValueError(f"not a placeholder image id: {self}")

    @property
    def value(self) -> int:
        return self.colour + (self.high << 24)


def tmux_wrap(sequence: str) -> str:
    """`sequence` through tmux's passthrough: every ESC doubled, in one DCS."""
    return ESC + "Ptmux;" + sequence.replace(ESC, ESC + ESC) + ST


def _command(keys: str, payload: str = "") -> str:
    return f"{APC_START}{keys};{payload}{ST}" if payload else f"{APC_START}{keys}{ST}"


def transmit(
    image: ImageId,
    rgb: bytes,
    width: int,
    height: int,
    columns: int,
    rows: int,
    *,
    compress: bool = True,
    tmux: bool = False,
) -> str:
    """The escape sequences that show `rgb` (`width` x `height`, 3 bytes a pixel) in the
    placeholder cells of `image`, replacing the picture it had."""
    if len(rgb) != width * height * 3:
        raise ValueError(f"{len(rgb)} bytes are not {width}x{height} RGB pixels")
    data = zlib.compress(rgb, 1) if compress else rgb
    encoded = base64.standard_b64encode(data).decode("ascii")
    keys = f"a=T,U=1,i={image.value},q=2,f=24,s={width},v={height},c={columns},r={rows}" + (
        ",o=z" if compress else ""
    )
    chunks = [encoded[at : at + CHUNK_BYTES] for at in range(0, len(encoded), CHUNK_BYTES)]
    parts = []
    for index, chunk in enumerate(chunks):
        more = "m=1" if index < len(chunks) - 1 else "m=0"
        parts.append(_command(f"{keys},{more}" if index == 0 else f"{more},q=2", chunk))
    if tmux:
        return "".join(tmux_wrap(part) for part in parts)
    return "".join(parts)


def delete(image: ImageId, *, tmux: bool = False) -> str:
    """The escape sequence that deletes `image` and frees its data."""
    sequence = _command(f"a=d,d=I,i={image.value},q=2")
    return tmux_wrap(sequence) if tmux else sequence


def placeholder_cell(image: ImageId, row: int, column: int) -> str:
    """One placeholder cell, with all three diacritics (row, column, the id's high byte), so
    a cell is right wherever Textual starts or crops a line."""
    return PLACEHOLDER + _MARKS[row] + _MARKS[column] + _MARKS[image.high]


def placeholder_rows(image: ImageId, columns: int, rows: int) -> list[str]:
    """The text of a `columns` x `rows` placeholder (each at most `MAX_GRID`)."""
    if not (0 <= columns <= MAX_GRID and 0 <= rows <= MAX_GRID):
        raise ValueError(f"a placeholder is at most {MAX_GRID} x {MAX_GRID} cells")
    return [
        "".join(placeholder_cell(image, row, column) for column in range(columns))
        for row in range(rows)
    ]
