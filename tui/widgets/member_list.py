"""Who is in the room: host marker, play state, position and sync state for each member."""

from __future__ import annotations

from rich.console import RenderableType
from rich.table import Table
from rich.text import Text
from textual.reactive import reactive
from textual.widget import Widget

from room.queue.waiting import Readiness
from room.state import Member, SyncStatus, readiness_for_item
from room.text import clean_name
from room.timefmt import format_time

SYNC_LABELS: dict[SyncStatus, tuple[str, str]] = {
    SyncStatus.SYNCED: ("✓ sync", "green"),
    SyncStatus.OUT_OF_SYNC: ("✗ off", "red"),
    SyncStatus.BUFFERING: ("… buf", "yellow"),
    SyncStatus.STALE: ("· late", "dim"),
    SyncStatus.UNKNOWN: ("?", "dim"),
}


READINESS_LABELS: dict[Readiness, tuple[str, str]] = {
    Readiness.LOADING: ("… load", "yellow"),
    Readiness.BUFFERING: ("… buf", "yellow"),
    Readiness.CANT_PLAY: ("✗ can't play", "magenta"),
}
"""Shown instead of the sync state while a member is not ready for the queue's item: a
member that can't play it is not out of sync."""

PAUSED = "‖"


class MemberList(Widget):
    """The member list pane. Set ``members`` and ``self_user_id``; it redraws itself.

    Each row: ★ for the host and › for you, name, ▶ playing or ‖ paused, position, sync.
    """

    DEFAULT_CLASSES = "pane"

    members: reactive[tuple[Member, ...]] = reactive(())
    self_user_id: reactive[str] = reactive("")
    as_of_ms: reactive[int | None] = reactive(None)
    """When the list was drawn up: a playing member's position is shown as of then."""
    current_item_id: reactive[str | None] = reactive(None)
    """The queue item the room is on: readiness is about it."""
    waiting_for: reactive[tuple[str, ...]] = reactive(())
    """Names of the members the room waits for (marked ◷)."""

    def watch_members(self, members: tuple[Member, ...]) -> None:
        self.border_title = f"Members ({len(members)})"

    def render(self) -> RenderableType:
        if not self.members:
            return Text("Nobody here yet.", style="dim italic")
        table = Table.grid(padding=(0, 1), expand=True)
        table.add_column(width=2, no_wrap=True)  # ★ host, › you
        table.add_column(ratio=1, no_wrap=True, overflow="ellipsis")
        table.add_column(width=1)
        table.add_column(justify="right", no_wrap=True)
        table.add_column(no_wrap=True)
        for member in self.members:
            name = Text(clean_name(member.username), style="bold" if member.is_host else "")
            marker = Text("★" if member.is_host else " ", style="yellow")
            if member.user_id == self.self_user_id:
                marker.append("›", style="bold cyan")
            label, colour = SYNC_LABELS[member.sync]
            readiness = readiness_for_item(member, self.current_item_id)
            if readiness in READINESS_LABELS:
                label, colour = READINESS_LABELS[readiness]
            if member.username in self.waiting_for:
                label = f"◷{label}"
            table.add_row(
                marker,
                name,
                Text("▶" if member.is_playing else PAUSED),
                Text(format_time(member.position_at(self.as_of_ms))),
                Text(label, style=colour),
            )
        return table
