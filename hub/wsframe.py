"""Server-to-client websocket frames built once and written to many sockets.

Server frames are unmasked and (with compression off) byte-identical for every receiver, so a
fan-out encodes its frame once and hands the same bytes to each transport. aiohttp's own writer
also writes whole frames synchronously, so its pongs and close frames never split ours.
"""

from __future__ import annotations

import struct

_OPCODE_TEXT = 0x1
_OPCODE_BINARY = 0x2
_FIN = 0x80


def _frame(opcode: int, payload: bytes) -> bytes:
    length = len(payload)
    if length < 126:
        header = struct.pack("!BB", _FIN | opcode, length)
    elif length < 1 << 16:
        header = struct.pack("!BBH", _FIN | opcode, 126, length)
    else:
        header = struct.pack("!BBQ", _FIN | opcode, 127, length)
    return header + payload


def text_frame(utf8_payload: bytes) -> bytes:
    return _frame(_OPCODE_TEXT, utf8_payload)


def binary_frame(payload: bytes) -> bytes:
    return _frame(_OPCODE_BINARY, payload)
