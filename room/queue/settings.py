"""Queue settings (the ``room.*`` section of the app config)."""

from __future__ import annotations

from typing import Annotated

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field

from room.queue.waiting import FIRST_START_TIMEOUT_S, REBUFFER_TIMEOUT_S, WaitFor


def _wait_for(value: object) -> str:
    if isinstance(value, bool):
        raise ValueError("must be off, everyone or a number of members")
    if isinstance(value, int | str):
        WaitFor.parse(value)  # raises with the reason
        return str(value)
    raise ValueError("must be off, everyone or a number of members")


class RoomSettings(BaseModel):
    """How the room moves through its queue. Docstrings are the reference."""

    model_config = ConfigDict(extra="forbid", frozen=True, use_attribute_docstrings=True)

    wait_for: Annotated[str, BeforeValidator(_wait_for)] = "everyone"
    """Whom the host waits for before starting a queue item: everyone (each for at most
    its timeout), off (start at once; everyone still loads the item paused at 0), or a
    number: start once that many members (the host included) are ready."""

    first_start_timeout_s: float = Field(default=FIRST_START_TIMEOUT_S, gt=0, le=3600)
    """How long the room waits for one member to load a new item before going on."""

    rebuffer_timeout_s: float = Field(default=REBUFFER_TIMEOUT_S, gt=0, le=3600)
    """How long a member's re-buffering is waited for before the room goes on."""

    open_paths: bool = False
    """Open queue items that are file paths (or file://, or mpv's other non-web protocols)
    on this machine. Off: only http(s) URLs are opened by themselves; a path in the queue
    shows as "can't play" here, since a host could point it anywhere on your disk."""

    @property
    def waiting(self) -> WaitFor:
        return WaitFor.parse(self.wait_for)
