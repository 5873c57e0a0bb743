"""The help screen: every key, what it does and what it needs."""

from __future__ import annotations

from rich.table import Table
from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Static

from tui.keys import APP_KEYS, FEED_KEYS, QUEUE_KEYS, ROOM_KEYS

NEEDS = {"host": "host", "connection": "online", "": ""}


def keys_table(small_step_s: float, large_step_s: float) -> Table:
    table = Table(box=None, padding=(0, 1), show_header=True, header_style="bold", expand=True)
    table.add_column("Key", no_wrap=True, min_width=6)
    table.add_column("Does", ratio=1)
    table.add_column("Needs", style="dim", no_wrap=True)
    sections = (
        ("", ROOM_KEYS),
        ("In the comment list", FEED_KEYS),
        ("In the queue (l)", QUEUE_KEYS),
        ("Anywhere", APP_KEYS),
    )
    for title, keys in sections:
        if title:
            table.add_row("", Text(title, style="bold"), "")
        for key in keys:
            description = key.help
            if key.action.startswith("seek_small"):
                description += f" ({small_step_s:g} s)"
            elif key.action.startswith("seek_large"):
                description += f" ({large_step_s:g} s)"
            table.add_row(Text(key.shown_as, style="bold cyan"), description, NEEDS[key.needs])
    return table


class HelpScreen(ModalScreen[None]):
    BINDINGS = [
        Binding("escape,q,question_mark", "dismiss", "Close"),
    ]

    def __init__(self, small_step_s: float, large_step_s: float) -> None:
        super().__init__()
        self.small_step_s = small_step_s
        self.large_step_s = large_step_s

    def compose(self) -> ComposeResult:
        with VerticalScroll(id="help-box") as box:
            box.border_title = "Keys"
            box.border_subtitle = "Esc to close"
            yield Static(keys_table(self.small_step_s, self.large_step_s))
            yield Static(
                Text(
                    "host: the host drives playback for everyone; in a room with no host, "
                    "anyone may. online: needs a connection to the room; comments written "
                    "offline wait and go out once connected. Keys act on the room while no "
                    "dialog is open.\n\nVideo: player.video = auto draws it in this pane when "
                    "there is no display (or over SSH) and uses mpv's window otherwise; "
                    "terminal, window and off choose. v hides it (no video is decoded then; "
                    "playback and sync carry on); f makes it larger. player.video_graphics = "
                    "auto draws a sharper picture with kitty's graphics in kitty 0.28+ or "
                    "Ghostty (never over SSH; in tmux only with set -g allow-passthrough on), "
                    "half-block cells elsewhere; kitty or cells choose. Over SSH the sound "
                    "plays on the machine the app runs on, not on yours.\n\nWeb pages in the queue "
                    "play through yt-dlp (pip install 'watchparty-tui[ytdl]'); a direct media "
                    "URL needs nothing more. A member who can't play an item says why here.",
                    style="dim",
                ),
                id="help-footnote",
            )

    def action_dismiss(self, result: None = None) -> None:  # type: ignore[override]
        self.dismiss(None)
