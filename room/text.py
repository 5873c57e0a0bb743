"""Text from other users, made safe to show: no control characters, bounded length."""

from __future__ import annotations

import re
import unicodedata

# CSI/OSC/other escape sequences first, so their parameters go with them, then any
# remaining C0/C1 control character (a lone ESC, BEL, backspace, carriage return...).
_ESCAPE_SEQUENCE = re.compile(
    r"\x1b\[[0-?]*[ -/]*[@-~]"  # CSI ... final byte
    r"|\x1b\][^\x07\x1b]*(?:\x07|\x1b\\)?"  # OSC ... BEL or ST
    r"|\x1b[PX^_][^\x1b]*(?:\x1b\\)?"  # DCS/SOS/PM/APC ... ST
    r"|\x1b[@-Z\\-_]"  # two-byte escapes
    r"|\x9b[0-?]*[ -/]*[@-~]"  # 8-bit CSI
)

ELLIPSIS = "…"


def strip_controls(text: str, *, keep_newlines: bool = False) -> str:
    """Remove terminal escape sequences and control characters from ``text``."""
    without_sequences = _ESCAPE_SEQUENCE.sub("", text)
    kept = []
    for char in without_sequences:
        if char == "\n" and keep_newlines:
            kept.append(char)
        elif char in "\t\n\r":
            kept.append(" ")
        elif unicodedata.category(char) in ("Cc", "Cf") and char != "\u200d":
            continue  # control and invisible format characters (bidi overrides included)
        else:
            kept.append(char)
    return "".join(kept)


def truncate(text: str, limit: int) -> str:
    """Cut ``text`` to at most ``limit`` characters, marking the cut with an ellipsis."""
    if limit <= 0:
        return ""
    if len(text) <= limit:
        return text
    return text[: limit - 1] + ELLIPSIS


def clean_name(text: str, limit: int = 32) -> str:
    """A display name: one line, no controls, at most ``limit`` characters."""
    return truncate(" ".join(strip_controls(text).split()), limit) or "?"


def clean_message(text: str, limit: int) -> str:
    """A comment body: no controls, newlines kept, at most ``limit`` characters."""
    return truncate(strip_controls(text, keep_newlines=True).strip(), limit)
