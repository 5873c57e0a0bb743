"""Video times as people read and type them: ``m:ss`` or ``h:mm:ss``."""

from __future__ import annotations

import math
import re

_CLOCK = re.compile(r"^(?:(\d+):)?(\d{1,2}):(\d{1,2}(?:\.\d+)?)$")
_SECONDS = re.compile(r"^\d+(?:\.\d+)?s?$")


def format_time(seconds: float | None) -> str:
    """``75.4`` -> ``1:15``; ``3725`` -> ``1:02:05``; unknown -> ``--:--``."""
    if seconds is None or not math.isfinite(seconds) or seconds < 0:
        return "--:--"
    whole = int(seconds)
    hours, rest = divmod(whole, 3600)
    minutes, secs = divmod(rest, 60)
    if hours:
        return f"{hours}:{minutes:02d}:{secs:02d}"
    return f"{minutes}:{secs:02d}"


def parse_time(text: str) -> float:
    """Parse ``90``, ``90s``, ``1:30`` or ``1:01:30`` into seconds.

    Raises ValueError with a message a user can act on.
    """
    cleaned = text.strip()
    if _SECONDS.match(cleaned):
        return float(cleaned.rstrip("s"))
    match = _CLOCK.match(cleaned)
    if match is None:
        raise ValueError(f"{text!r} is not a time: type seconds (90) or m:ss (1:30) or h:mm:ss")
    hours_text, minutes_text, seconds_text = match.groups()
    minutes, seconds = int(minutes_text), float(seconds_text)
    if seconds >= 60 or (hours_text is not None and minutes >= 60):
        raise ValueError(f"{text!r} is not a time: minutes and seconds go up to 59")
    return int(hours_text or 0) * 3600 + minutes * 60 + seconds
