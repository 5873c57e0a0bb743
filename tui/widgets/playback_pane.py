"""What is playing, where, who drives it, and whether we are connected."""

from __future__ import annotations

import time
from collections.abc import Callable

from rich.console import Group, RenderableType
from rich.table import Table
from rich.text import Text
from textual.reactive import reactive
from textual.widget import Widget

from room.chapters import current_chapter
from room.notices import format_rate
from room.state import Connection, ConnectionStatus, Playback, Waiting
from room.text import clean_message, clean_name
from room.timefmt import format_time
from tui.widgets.progress_bar import CHAPTER, progress_bar

CONNECTION_LABELS: dict[ConnectionStatus, tuple[str, str]] = {
    ConnectionStatus.CONNECTING: ("◌ Connecting", "yellow"),
    ConnectionStatus.CONNECTED: ("● Connected", "green"),
    ConnectionStatus.RECONNECTING: ("◌ Reconnecting", "yellow"),
    ConnectionStatus.OFFLINE: ("✗ Offline", "red"),
}


def connection_text(connection: Connection) -> Text:
    label, colour = CONNECTION_LABELS[connection.status]
    text = Text(label, style=colour)
    if connection.status is ConnectionStatus.RECONNECTING and connection.retry_in_s is not None:
        text.append(f" in {connection.retry_in_s:.0f} s", style=colour)
    if connection.server:
        text.append(f" · {connection.server}", style="dim")
    if connection.detail:
        text.append(f": {connection.detail}", style="dim")
    return text


def chapter_text(playback: Playback) -> Text:
    """The chapter playing, "┃ 2/5 Part one" (its title from the media file: cleaned, cut);
    empty without chapters or before the first."""
    index = current_chapter(playback.position, playback.chapters)
    if index < 0:
        return Text()
    text = Text(f"{CHAPTER[0]} {index + 1}/{len(playback.chapters)}", style=CHAPTER[1])
    title = playback.chapters[index].title
    if title.strip():
        text.append(f" {clean_name(title[:400], 40)}", style="green")  # cut before cleaning it
    return text


class PlaybackPane(Widget):
    """The playback pane. Set its attributes; it redraws itself."""

    DEFAULT_CLASSES = "pane"

    playback: reactive[Playback] = reactive(Playback)
    host_name: reactive[str | None] = reactive(None)
    is_self_host: reactive[bool] = reactive(False)
    connection: reactive[Connection] = reactive(Connection)
    marker_times: reactive[tuple[float, ...]] = reactive(())
    """Video times of the room's marker comments, drawn on the progress bar."""
    marked_time: reactive[float | None] = reactive(None)
    """The video time of the comment a follower picked, drawn as its own marker."""
    waiting: reactive[Waiting | None] = reactive(None)
    """Whom the room waits for before it starts the queue item, and until when."""
    cant_play: reactive[str | None] = reactive(None)
    """Why our player cannot play the queue's current item, in plain words."""
    wall_ms: Callable[[], int] = staticmethod(lambda: int(time.time() * 1000))
    """The clock the countdown reads (snapshot tests pin it)."""

    def on_mount(self) -> None:
        self.border_title = "Playback"
        self.set_interval(1.0, self._tick)

    def _tick(self) -> None:
        if self.waiting is not None and self.waiting.deadline_ms is not None:
            self.refresh()

    def waiting_text(self, waiting: Waiting) -> Text:
        names = ", ".join(clean_name(name) for name in waiting.names[:3])
        if len(waiting.names) > 3:
            names += f" and {len(waiting.names) - 3} more"
        text = Text("◷ Waiting for ", style="yellow")
        text.append(names, style="bold yellow")
        if waiting.deadline_ms is not None:
            left_s = max(0.0, (waiting.deadline_ms - self.wall_ms()) / 1000)
            text.append(f" · {format_time(left_s)}", style="yellow")
        if self.is_self_host:
            text.append(" (w: go on)", style="dim")
        return text

    def render(self) -> RenderableType:
        playback = self.playback
        if playback.buffering:
            state = Text("… Buffering", style="yellow")
        elif playback.is_playing:
            state = Text("▶ Playing", style="green")
        else:
            state = Text("‖ Paused", style="yellow")
        if playback.speed != 1.0:
            state.append(f" {format_rate(playback.speed)}", style="bold")
        title = Text(clean_name(playback.media_title or "Nothing loaded", 200), style="bold")
        first: RenderableType = Text.assemble(state, "  ", title, no_wrap=True, overflow="ellipsis")
        playing_chapter = chapter_text(playback)
        if playing_chapter:
            first = Table.grid(expand=True)
            first.add_column(no_wrap=True, overflow="ellipsis", ratio=1)
            first.add_column(justify="right", no_wrap=True, overflow="ellipsis", max_width=48)
            first.add_row(Text.assemble(state, "  ", title), playing_chapter)

        times = Text(f"{format_time(playback.position)} / {format_time(playback.duration)}  ")
        bar_width = max(self.size.width - times.cell_len, 0)
        bar = progress_bar(
            playback.position,
            playback.duration,
            bar_width,
            self.marker_times,
            self.marked_time,
            (part.start_s for part in playback.chapters),
        )
        second = Text.assemble(times, bar)

        if self.cant_play is not None:
            host = Text("✗ Can't play it here: ", style="bold magenta")
            host.append(clean_message(self.cant_play, 300).replace("\n", " "), style="magenta")
        elif self.waiting is not None:
            host = self.waiting_text(self.waiting)
        elif self.host_name is None:
            host = Text("No host: anyone may play, pause and seek", style="dim")
        else:
            host = Text("Host: ")
            host.append(clean_name(self.host_name), style="bold")
            if self.is_self_host:
                host.append(" (you)", style="dim")
        third = Table.grid(expand=True)
        third.add_column(no_wrap=True, overflow="ellipsis")
        third.add_column(justify="right", no_wrap=True, overflow="ellipsis", ratio=1)
        third.add_row(host, connection_text(self.connection))
        return Group(first, second, third)
