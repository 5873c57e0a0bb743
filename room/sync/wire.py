"""The web client's play/pause/seek payloads, with our anchor fields added (all optional,
so a browser's `{user_id, username, current_time}` still validates)."""

from __future__ import annotations

import math
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from room.sync.anchor import Anchor

EVENT_ANCHOR = "sync_anchor"
CommandEvent = Literal["play", "pause", "seek", "sync_anchor"]


class PlaybackCommand(BaseModel):
    model_config = ConfigDict(frozen=True)

    user_id: str
    username: str = ""
    current_time: float = Field(ge=0)
    is_playing: bool | None = None
    at: float | None = None
    seq: int | None = Field(default=None, ge=0)
    rate: float | None = Field(default=None, gt=0, le=4)

    @field_validator("current_time", "at")
    @classmethod
    def _finite(cls, value: float | None) -> float | None:
        if value is not None and not math.isfinite(value):
            raise ValueError("must be finite")
        return value

    @classmethod
    def from_anchor(cls, anchor: Anchor, user_id: str, username: str) -> PlaybackCommand:
        return cls(user_id=user_id, username=username, **anchor.model_dump())

    def anchor(self) -> Anchor | None:
        """The anchor this command carries, or None for a web client's plain command."""
        if self.is_playing is None or self.at is None or self.seq is None:
            return None
        return Anchor(
            is_playing=self.is_playing,
            current_time=self.current_time,
            at=self.at,
            seq=self.seq,
            rate=self.rate or 1.0,
        )


def anchor_from_web_command(
    event: CommandEvent, command: PlaybackCommand, host_now_ms: float, seq: int, was_playing: bool
) -> Anchor:
    """Best effort for a browser's command: no clock, so treat it as sent just now."""
    playing = {"play": True, "pause": False}.get(event, was_playing)
    return Anchor(is_playing=playing, current_time=command.current_time, at=host_now_ms, seq=seq)
