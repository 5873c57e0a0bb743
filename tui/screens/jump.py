"""Ask for a time to jump to."""

from __future__ import annotations

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Input, Label

from room.timefmt import parse_time


class JumpScreen(ModalScreen[float | None]):
    """Returns the time typed, in seconds, or None when cancelled."""

    BINDINGS = [Binding("escape", "cancel", "Cancel")]

    def compose(self) -> ComposeResult:
        with Vertical(id="dialog") as dialog:
            dialog.border_title = "Jump to time"
            yield Input(placeholder="90, 1:30 or 1:02:03", max_length=16, id="time")
            yield Label("Enter to jump, Esc to cancel", id="hint")

    @on(Input.Submitted)
    def submit(self, event: Input.Submitted) -> None:
        try:
            position = parse_time(event.value)
        except ValueError as error:
            self.query_one("#hint", Label).update(str(error))
            return
        self.dismiss(position)

    def action_cancel(self) -> None:
        self.dismiss(None)
