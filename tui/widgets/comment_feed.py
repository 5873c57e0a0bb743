"""The room's comments, threads indented under their parent, each with its video time."""

from __future__ import annotations

from datetime import tzinfo

from rich.text import Text
from textual.binding import Binding
from textual.reactive import reactive
from textual.widgets import OptionList
from textual.widgets.option_list import Option

from room.state import Comment, threaded
from room.text import clean_message, clean_name
from room.timefmt import format_time

MESSAGE_DISPLAY_LIMIT = 280
INDENT = "  "


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
    text.append(f" {time_of_day}", style="dim")
    text.append(stamp, style="cyan")
    text.append("\n" + indent + ("  " if depth else "") + message)
    return text


class CommentFeed(OptionList):
    """The comment feed pane. Set ``comments``; it rebuilds its lines when they change."""

    BINDINGS = [Binding("escape", "leave", "Back to the room", show=False)]

    DEFAULT_CLASSES = "pane"

    comments: reactive[tuple[Comment, ...]] = reactive((), always_update=False)

    def __init__(self, *, tz: tzinfo | None = None, id: str | None = None) -> None:
        super().__init__(markup=False, id=id)
        self.tz = tz
        self.border_title = "Comments"

    def watch_comments(self, comments: tuple[Comment, ...]) -> None:
        follow = self.highlighted is None or self.highlighted >= self.option_count - 1
        self.clear_options()
        if not comments:
            self.add_option(
                Option(Text("No comments yet. Press c to write one.", "dim italic"), disabled=True)
            )
            return
        self.add_options(
            Option(comment_text(comment, depth, self.tz), id=comment.id)
            for comment, depth in threaded(comments)
        )
        if follow:
            self.scroll_end(animate=False)

    def highlighted_comment_id(self) -> str | None:
        if self.highlighted is None:
            return None
        return self.get_option_at_index(self.highlighted).id

    def action_leave(self) -> None:
        self.screen.set_focus(None)
