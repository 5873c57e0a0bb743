"""What a member publishes about how far off it is, and why: ``drift_ms``, ``off_reason``
and its chosen ``offset_s``.

Both ride on the heartbeat and presence payloads (``room.wire.PresenceFields``), fields the
web client does not know and ignores. From the network they are untrusted like the rest,
but a bad one costs only itself: an invalid value reads as unknown (None), never as a
dropped heartbeat.
"""

from __future__ import annotations

import math
from enum import StrEnum
from typing import Annotated, Any

from pydantic import BeforeValidator

MAX_DRIFT_MS = 24 * 3600 * 1000.0
"""A drift beyond a day is shown as a day: nobody needs the exact figure, and a hostile
one must not blow up the member list's column."""


class OffReason(StrEnum):
    """Why a member's player is not where the host's is."""

    BUFFERING = "buffering"
    SEEKING = "seeking"
    """Seeking or parked on the host's frame, waiting for its start."""
    GAVE_UP = "gave_up"
    """Drift correction gave up after repeated failed seeks (it retries later)."""
    ON_ITS_OWN = "on_its_own"
    """The member paused or seeked on its own; it follows again at the host's next action."""
    CANT_PLAY = "cant_play"
    """The member's player cannot play the media (see ``cant_play`` in ``own_off_reason``)."""


def _drift_or_none(value: Any) -> float | None:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    if not math.isfinite(value):
        return None
    return max(-MAX_DRIFT_MS, min(MAX_DRIFT_MS, float(value)))


MAX_OFFSET_S = 600.0
"""The largest offset a member may set (either way): ten minutes of a longer intro."""


def _offset_or_none(value: Any) -> float | None:
    drift = _drift_or_none(value)
    if drift is None or abs(drift) > MAX_OFFSET_S:
        return None
    return drift or None


def _reason_or_none(value: Any) -> OffReason | None:
    try:
        return OffReason(value) if isinstance(value, str) else None
    except ValueError:
        return None


DriftMs = Annotated[float | None, BeforeValidator(_drift_or_none)]
Reason = Annotated[OffReason | None, BeforeValidator(_reason_or_none)]
OffsetS = Annotated[float | None, BeforeValidator(_offset_or_none)]
"""A member's offset from the host's timeline (s); None: none (0) or invalid."""


def own_off_reason(
    *,
    buffering: bool,
    seeking: bool,
    gave_up: bool,
    on_its_own: bool,
    cant_play: bool = False,
) -> OffReason | None:
    """Our own reason, most telling first. ``cant_play``: our readiness for the queue's
    item is "can't play" (the roster passes it from the queue's readiness)."""
    if cant_play:
        return OffReason.CANT_PLAY
    if buffering:
        return OffReason.BUFFERING
    if gave_up:
        return OffReason.GAVE_UP
    if on_its_own:
        return OffReason.ON_ITS_OWN
    if seeking:
        return OffReason.SEEKING
    return None
