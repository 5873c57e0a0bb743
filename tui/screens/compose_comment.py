"""Write a comment (or a reply), optionally marking the moment on the timeline."""

from __future__ import annotations

from dataclasses import dataclass

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.message import Message
from textual.screen import ModalScreen
from textual.widgets import Checkbox, Input, Label

from room.text import clean_name
from room.wire import MAX_COMMENT_CHARS

"""The comments table's limit on a message."""

HINT = "Enter to send, Esc to cancel"
AT_CAP = f"A comment holds at most {MAX_COMMENT_CHARS} characters: the rest was left out."


@dataclass(frozen=True, slots=True)
class Draft:
    message: str
    is_marker: bool = False


class CommentInput(Input):
    """An input capped at ``MAX_COMMENT_CHARS`` that keeps what fits of a long paste (a plain
    ``Input(max_length=...)`` drops the whole paste) and says when the cap was hit."""

    class CapHit(Message):
        pass

    def replace(self, text: str, start: int, end: int) -> None:
        start, end = sorted((max(0, start), min(len(self.value), end)))
        room = MAX_COMMENT_CHARS - (len(self.value) - (end - start))
        if len(text) > room:
            text = text[: max(room, 0)]
            self.post_message(self.CapHit())
        super().replace(text, start, end)


class CommentScreen(ModalScreen[Draft | None]):
    """Returns what was written, or None when cancelled."""

    BINDINGS = [
        Binding("escape", "cancel", "Cancel"),
        Binding("ctrl+t", "toggle_marker", "Mark this moment"),
    ]

    def __init__(self, stamp: str | None, replying_to: str | None = None) -> None:
        """``stamp``: the video time the comment is about, as shown; None with nothing playing."""
        super().__init__()
        self.stamp = stamp
        self.replying_to = replying_to

    def compose(self) -> ComposeResult:
        with Vertical(id="dialog") as dialog:
            title = "Comment"
            if self.replying_to is not None:
                title = f"Reply to {clean_name(self.replying_to)}"
            dialog.border_title = title if self.stamp is None else f"{title} at {self.stamp}"
            yield CommentInput(
                placeholder="Say something", max_length=MAX_COMMENT_CHARS, id="message"
            )
            yield Checkbox(
                f"Mark this moment ({self.stamp or 'nothing is playing'}) on the timeline  Ctrl+T",
                id="marker",
                compact=True,
                disabled=self.stamp is None,
            )
            yield Label(HINT, id="hint")

    @on(Input.Submitted)
    def submit(self, event: Input.Submitted) -> None:
        if not event.value.strip():
            self.query_one("#hint", Label).update("The comment is empty: type something or Esc")
            return
        self.dismiss(Draft(event.value, self.query_one("#marker", Checkbox).value))

    @on(CommentInput.CapHit)
    def cap_hit(self) -> None:
        self.query_one("#hint", Label).update(AT_CAP)

    @on(Checkbox.Changed)
    def back_to_typing(self) -> None:
        self.query_one(CommentInput).focus()  # so Enter sends rather than toggling again

    def action_toggle_marker(self) -> None:
        marker = self.query_one("#marker", Checkbox)
        if not marker.disabled:
            marker.toggle()

    def action_cancel(self) -> None:
        self.dismiss(None)
