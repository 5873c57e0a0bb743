"""Who is in the room: host marker, play state, position and sync state for each member."""

from __future__ import annotations

from rich.console import RenderableType
from rich.table import Table
from rich.text import Text
from textual.reactive import reactive
from textual.widget import Widget

from room.member_drift import OffReason
from room.notices import format_offset
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


REASON_LABELS: dict[OffReason, tuple[str, str]] = {
    OffReason.BUFFERING: ("… buffering", "yellow"),
    OffReason.SEEKING: ("↻ seeking", "yellow"),
    OffReason.GAVE_UP: ("✗ gave up", "red"),
    OffReason.ON_ITS_OWN: ("‖ on its own", "yellow"),
    OffReason.CANT_PLAY: ("✗ can't play", "red"),
}
"""Why a member is off, shown instead of its sync mark (stale reports excepted)."""
READINESS_LABELS: dict[Readiness, tuple[str, str]] = {
    Readiness.LOADING: ("… load", "yellow"),
    Readiness.BUFFERING: ("… buf", "yellow"),
    Readiness.CANT_PLAY: ("✗ can't play", "magenta"),
}
"""Shown instead of the sync state while a member is not ready for the queue's item: a
member that can't play it is not out of sync."""

PAUSED = "‖"


def drift_text(member: Member) -> Text:
    """The member's measured drift: "+12 ms" ahead of the host, "-40 ms" behind; "" for the
    host and while unmeasured. Beyond 10 s in seconds, so the column stays narrow."""
    drift = member.drift_ms
    if member.is_host or drift is None:
        return Text("")
    style = "dim" if abs(drift) <= DRIFT_OK_MS else "red"
    if abs(drift) >= 10_000:
        return Text(f"{drift / 1000:+.0f} s", style=style)
    return Text(f"{drift:+.0f} ms", style=style)


DRIFT_OK_MS = 80.0
"""Drift shown dim up to this (the engine's in-sync threshold), red beyond."""


def status_text(member: Member, current_item_id: str | None = None) -> Text:
    """Readiness for the queue's item while the member is not ready for it (a member that
    can't play it is not out of sync), else why it is off, else its sync state."""
    readiness = readiness_for_item(member, current_item_id)
    reason = member.off_reason
    if readiness in READINESS_LABELS:
        label, colour = READINESS_LABELS[readiness]
    elif reason is not None and member.sync is not SyncStatus.STALE and not member.is_host:
        label, colour = REASON_LABELS[reason]
    else:
        label, colour = SYNC_LABELS[member.sync]
    return Text(label, style=colour)


class MemberList(Widget):
    """The member list pane. Set ``members`` and ``self_user_id``; it redraws itself.

    Each row: ★ for the host and › for you, name, ▶ playing or ‖ paused, position, measured
    drift, and sync (or why the member is off: buffering, seeking, gave up, ...).
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
        drifts = [drift_text(member) for member in self.members]
        show_drift = any(drift.plain for drift in drifts)
        if show_drift:
            table.add_column(justify="right", no_wrap=True)
        table.add_column(no_wrap=True)
        for member, drift in zip(self.members, drifts, strict=True):
            name = Text(clean_name(member.username), style="bold" if member.is_host else "")
            if member.offset_s:
                name.append(f" {format_offset(member.offset_s)}", style="cyan")
            marker = Text("★" if member.is_host else " ", style="yellow")
            if member.user_id == self.self_user_id:
                marker.append("›", style="bold cyan")
            cells = [
                marker,
                name,
                Text("▶" if member.is_playing else PAUSED),
                Text(format_time(member.position_at(self.as_of_ms))),
            ]
            if show_drift:  # a column only once someone has measured theirs
                cells.append(drift)
            status = status_text(member, self.current_item_id)
            if member.username in self.waiting_for:
                status = Text("◷").append_text(status)
            table.add_row(*cells, status)
        return table
