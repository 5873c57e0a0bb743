"""What the comment feed shows, line by line: plain text built from the room's comments."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import tzinfo

from rich.text import Text
from textual.widgets.option_list import Option

from room.state import Comment, threaded
from room.text import clean_message, clean_name
from room.timefmt import format_time
from tui.widgets.progress_bar import MARKER

MESSAGE_DISPLAY_LIMIT = 280
INDENT = "  "
SENDING = "◷ sending…"

EMPTY = "No comments yet. Press c to write one."
OLDER = "↑ older comments"
OLDER_LOADING = "↑ older comments (loading…)"
BEGINNING = "Beginning of the room"
NEWER = "↓ newer comments — End to jump"
NEWER_LOADING = "↓ newer comments (loading…)"


@dataclass(frozen=True, slots=True)
class CommentWindow:
    """The part of the room's comments the feed shows, and whether there is more either side."""

    comments: tuple[Comment, ...] = ()
    has_older: bool = False
    has_newer: bool = False

    @property
    def is_empty(self) -> bool:
        return not (self.comments or self.has_older or self.has_newer)


def comment_text(comment: Comment, depth: int, tz: tzinfo | None) -> Text:
    """One comment as plain text (never markup), ready for the feed."""
    indent = INDENT * depth
    time_of_day = comment.created_at.astimezone(tz).strftime("%H:%M")
    stamp = (
        f" ▸{format_time(comment.video_timestamp)}" if comment.video_timestamp is not None else ""
    )
    message = " ".join(clean_message(comment.message, MESSAGE_DISPLAY_LIMIT).split())
    if comment.is_system:
        line = Text(f"{indent}— {message}", style="italic dim")
        line.append(f"  {time_of_day}{stamp}", style="dim")
        return line
    text = Text(indent + ("↳ " if depth else ""))
    text.append(clean_name(comment.username), style="bold")
    if comment.pending:
        text.append(f" {SENDING}", style="italic")
    else:
        text.append(f" {time_of_day}", style="dim")
    text.append(stamp, style="cyan")
    if comment.is_marker:
        glyph, colour = MARKER
        text.append(f" {glyph}", style=colour)
    text.append("\n" + indent + ("  " if depth else "") + message)
    if comment.pending:
        text.stylize("dim")
    return text


def older_line(has_older: bool, loading: bool) -> Text:
    if not has_older:
        return Text(BEGINNING, style="dim italic")
    return Text(OLDER_LOADING if loading else OLDER, style="dim italic")


def newer_line(loading: bool) -> Text:
    return Text(NEWER_LOADING if loading else NEWER, style="dim italic")


class FeedLines:
    """Builds the feed's options from a window, reusing the option of a comment that has not
    changed since the last build (rendering every comment again for each new one is slow)."""

    def __init__(self, tz: tzinfo | None) -> None:
        self.tz = tz
        self._built: dict[tuple[Comment, int], Option] = {}

    def options(
        self, window: CommentWindow, *, loading_older: bool, loading_newer: bool
    ) -> list[Option]:
        """A line about older comments, the comments threaded, a line about newer ones.
        Only comments can be highlighted; their option id is the comment id."""
        if window.is_empty:
            return [Option(Text(EMPTY, style="dim italic"), disabled=True)]
        options = [Option(older_line(window.has_older, loading_older), disabled=True)]
        built: dict[tuple[Comment, int], Option] = {}
        shown: set[str] = set()
        for comment, depth in threaded(window.comments):
            if comment.id in shown:  # a repeated id in hostile data must not break the list
                continue
            shown.add(comment.id)
            key = (comment, depth)
            option = self._built.get(key) or Option(
                comment_text(comment, depth, self.tz), comment.id
            )
            built[key] = option
            options.append(option)
        self._built = built
        if window.has_newer:
            options.append(Option(newer_line(loading_newer), disabled=True))
        return options
