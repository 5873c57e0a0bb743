"""Ask for this member's offset from the host's timeline."""

from __future__ import annotations

import math

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Input, Label

from room.member_drift import MAX_OFFSET_S


def parse_offset(text: str) -> float:
    """Seconds, signed: "+1.5", "-0.25", "0". Raises ValueError with a plain message."""
    try:
        value = float(text.strip())
    except ValueError:
        raise ValueError("Type seconds, like +1.5 or -0.25 (0 for none).") from None
    if not math.isfinite(value) or abs(value) > MAX_OFFSET_S:
        raise ValueError(f"An offset is at most {MAX_OFFSET_S:.0f} s either way.")
    return value


class OffsetScreen(ModalScreen[float | None]):
    """Returns the offset typed, in seconds, or None when cancelled."""

    BINDINGS = [Binding("escape", "cancel", "Cancel")]

    def __init__(self, current_s: float) -> None:
        super().__init__()
        self.current_s = current_s

    def compose(self) -> ComposeResult:
        with Vertical(id="dialog") as dialog:
            dialog.border_title = "Your offset from the host (s)"
            yield Input(value=f"{self.current_s:+g}", max_length=16, id="offset")
            yield Label(
                "+1.5: your copy is 1.5 s later (a longer intro). Enter sets, Esc cancels",
                id="hint",
            )

    @on(Input.Submitted)
    def submit(self, event: Input.Submitted) -> None:
        try:
            offset = parse_offset(event.value)
        except ValueError as error:
            self.query_one("#hint", Label).update(str(error))
            return
        self.dismiss(offset)

    def action_cancel(self) -> None:
        self.dismiss(None)
