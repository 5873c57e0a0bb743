"""Ask the host for a file path or URL to add to the queue, and a title if they like."""

from __future__ import annotations

from dataclasses import dataclass

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Input, Label

from room.queue.items import MAX_SOURCE_CHARS, MAX_TITLE_CHARS


@dataclass(frozen=True, slots=True)
class NewItem:
    source: str
    title: str | None = None
    """None: the queue shows what the player reports once the host has played the item (a
    page's title as yt-dlp reads it, or the file's name)."""


class AddItemScreen(ModalScreen[NewItem | None]):
    """Returns the path or URL typed (and the title, optional), or None when cancelled."""

    BINDINGS = [Binding("escape", "cancel", "Cancel")]

    def compose(self) -> ComposeResult:
        with Vertical(id="dialog") as dialog:
            dialog.border_title = "Add to the queue"
            yield Input(
                placeholder="/path/to/episode.mkv or https://…",
                max_length=MAX_SOURCE_CHARS,
                id="source",
            )
            yield Input(
                placeholder="Title (optional: else the one the video reports)",
                max_length=MAX_TITLE_CHARS,
                id="title",
            )
            yield Label("Enter to add at the end, Tab for the title, Esc to cancel", id="hint")

    @on(Input.Submitted)
    def submit(self) -> None:
        source = self.query_one("#source", Input).value.strip()
        if not source:
            self.query_one("#hint", Label).update("Type a file path or a URL (Esc to cancel).")
            self.query_one("#source", Input).focus()
            return
        title = self.query_one("#title", Input).value.strip()
        self.dismiss(NewItem(source, title or None))

    def action_cancel(self) -> None:
        self.dismiss(None)
