"""The room's queue: every item in order, the one playing marked; the host edits it here."""

from __future__ import annotations

from rich.console import RenderableType
from rich.table import Table
from rich.text import Text
from textual.binding import Binding
from textual.message import Message
from textual.reactive import reactive
from textual.widget import Widget

from room.intents import Intent, MoveInQueue, PlayItem, RemoveFromQueue
from room.queue.items import QueueItem
from room.state import QueueState
from room.text import clean_name
from room.timefmt import format_time
from tui.keys import QUEUE_KEYS, bindings

TITLE_CHARS = 120
SOURCE_CHARS = 200


class QueueView(Widget, can_focus=True):
    """Set ``queue`` and ``is_host``; it redraws itself. Keys post ``Requested`` up (the
    room screen checks and sends them) or ``AddWanted`` (the screen asks for the source)."""

    DEFAULT_CLASSES = "pane"
    BINDINGS = [*bindings(QUEUE_KEYS), Binding("k", "cursor(-1)", show=False)]

    queue: reactive[QueueState] = reactive(QueueState)
    is_host: reactive[bool] = reactive(False)
    cursor: reactive[int] = reactive(0)

    class Requested(Message):
        def __init__(self, intent: Intent) -> None:
            super().__init__()
            self.intent = intent

    class AddWanted(Message):
        pass

    class CloseWanted(Message):
        pass

    def on_mount(self) -> None:
        self.border_title = "Queue"

    def watch_queue(self, queue: QueueState) -> None:
        self.border_title = f"Queue ({len(queue.items)})"
        self.border_subtitle = "a add · x remove · Shift+↑/↓ move · Enter play · Esc close"
        self.cursor = min(self.cursor, max(0, len(queue.items) - 1))

    @property
    def chosen(self) -> QueueItem | None:
        items = self.queue.items
        return items[self.cursor] if 0 <= self.cursor < len(items) else None

    def render(self) -> RenderableType:
        queue = self.queue
        if not queue.items:
            hint = "The queue is empty."
            if self.is_host:
                hint += " Press a to add a file or URL."
            return Text(hint, style="dim italic")
        table = Table.grid(padding=(0, 1), expand=True)
        table.add_column(width=2, no_wrap=True)
        table.add_column(justify="right", no_wrap=True)
        table.add_column(ratio=1, no_wrap=True, overflow="ellipsis")
        table.add_column(justify="right", no_wrap=True)
        for index, item in enumerate(queue.items):
            current = item.id == queue.current_item_id
            chosen = index == self.cursor and self.has_focus
            style = "reverse" if chosen else ("bold" if current else "")
            title = Text(clean_name(item.shown_title, TITLE_CHARS), style=style)
            if item.title:
                title.append(f"  {clean_name(item.source, SOURCE_CHARS)}", style="dim")
            duration = format_time(item.duration) if item.duration is not None else ""
            table.add_row(
                Text("▶" if current else " ", style="green"),
                Text(f"{index + 1}."),
                title,
                Text(duration, style="dim"),
            )
        return table

    def on_focus(self) -> None:
        self.refresh()

    def on_blur(self) -> None:
        self.refresh()

    def action_cursor(self, step: int) -> None:
        if self.queue.items:
            self.cursor = max(0, min(len(self.queue.items) - 1, self.cursor + step))

    def action_add(self) -> None:
        self.post_message(self.AddWanted())

    def action_remove(self) -> None:
        if (item := self.chosen) is not None:
            self.post_message(self.Requested(RemoveFromQueue(item.id)))

    def action_move(self, by: int) -> None:
        if (item := self.chosen) is not None:
            self.post_message(self.Requested(MoveInQueue(item.id, by)))
            self.cursor = max(0, min(len(self.queue.items) - 1, self.cursor + by))

    def action_play(self) -> None:
        if (item := self.chosen) is not None:
            self.post_message(self.Requested(PlayItem(item.id)))

    def action_close(self) -> None:
        self.post_message(self.CloseWanted())
