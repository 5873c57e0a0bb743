"""Ask the host for a file path or URL to add to the queue."""

from __future__ import annotations

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Input, Label

from room.queue.items import MAX_SOURCE_CHARS


class AddItemScreen(ModalScreen[str | None]):
    """Returns the path or URL typed, or None when cancelled."""

    BINDINGS = [Binding("escape", "cancel", "Cancel")]

    def compose(self) -> ComposeResult:
        with Vertical(id="dialog") as dialog:
            dialog.border_title = "Add to the queue"
            yield Input(
                placeholder="/path/to/episode.mkv or https://…",
                max_length=MAX_SOURCE_CHARS,
                id="source",
            )
            yield Label("Enter to add at the end, Esc to cancel", id="hint")

    @on(Input.Submitted)
    def submit(self, event: Input.Submitted) -> None:
        source = event.value.strip()
        if not source:
            self.query_one("#hint", Label).update("Type a file path or a URL (Esc to cancel).")
            return
        self.dismiss(source)

    def action_cancel(self) -> None:
        self.dismiss(None)
