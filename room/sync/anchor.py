"""The host's playback anchor: where it was, when, and how fast it is moving."""

from __future__ import annotations

import math

from pydantic import BaseModel, ConfigDict, Field, field_validator


class Anchor(BaseModel):
    """Host playback state as a line through time: at host clock `at` (ms) the host was at
    `current_time` (s), moving at `rate` if playing. `seq` grows with every publication, so
    stale or duplicated anchors (reordered broadcasts, the `rooms` UPDATE echo) are dropped.

    These fields ride along the web client's `{user_id, username, current_time}` payloads.
    """

    model_config = ConfigDict(frozen=True)

    is_playing: bool
    current_time: float = Field(ge=0)
    at: float
    seq: int = Field(ge=0)
    rate: float = Field(default=1.0, gt=0, le=4)

    @field_validator("current_time", "at")
    @classmethod
    def _finite(cls, value: float) -> float:
        if not math.isfinite(value):
            raise ValueError("must be finite")
        return value


def anchor_position(anchor: Anchor, host_now_ms: float) -> float:
    """Where the host is at `host_now_ms` (host clock). A future `at` is a scheduled start:
    until then the host holds `current_time`."""
    if not anchor.is_playing or host_now_ms <= anchor.at:
        return anchor.current_time
    return anchor.current_time + (host_now_ms - anchor.at) / 1000 * anchor.rate
