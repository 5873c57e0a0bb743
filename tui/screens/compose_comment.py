"""Write a comment (or a reply)."""

from __future__ import annotations

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Input, Label

from room.text import clean_name

MAX_COMMENT_LENGTH = 2000


class CommentScreen(ModalScreen[str | None]):
    """Returns the message typed, or None when cancelled."""

    BINDINGS = [Binding("escape", "cancel", "Cancel")]

    def __init__(self, stamp: str, replying_to: str | None = None) -> None:
        super().__init__()
        self.stamp = stamp
        self.replying_to = replying_to

    def compose(self) -> ComposeResult:
        with Vertical(id="dialog") as dialog:
            title = f"Comment at {self.stamp}"
            if self.replying_to is not None:
                title = f"Reply to {clean_name(self.replying_to)} at {self.stamp}"
            dialog.border_title = title
            yield Input(placeholder="Say something", max_length=MAX_COMMENT_LENGTH, id="message")
            yield Label("Enter to send, Esc to cancel", id="hint")

    @on(Input.Submitted)
    def submit(self, event: Input.Submitted) -> None:
        if not event.value.strip():
            self.query_one("#hint", Label).update("The comment is empty: type something or Esc")
            return
        self.dismiss(event.value)

    def action_cancel(self) -> None:
        self.dismiss(None)
