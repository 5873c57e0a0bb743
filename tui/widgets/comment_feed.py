"""The comment feed: threads under their parent, paging into history, picking a comment."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import tzinfo

from textual import events
from textual.message import Message
from textual.reactive import reactive
from textual.widgets import OptionList
from textual.widgets.option_list import OptionDoesNotExist

from room.state import Comment
from tui.keys import FEED_KEYS, bindings
from tui.widgets.comment_lines import CommentWindow, FeedLines, newer_line, older_line
from tui.widgets.feed_paging import PagingAsks


class CommentFeed(OptionList):
    """The comment feed pane. Set ``window``; it rebuilds its lines and keeps your place.

    The highlighted comment stays where it is on screen when comments arrive or older ones
    are paged in above it; the view follows new comments only while it is at the bottom.
    Reaching the top asks for older comments, reaching the bottom (or End) for the newest,
    once per window edge, by posting ``OlderWanted`` / ``NewestWanted``.
    """

    BINDINGS = bindings(FEED_KEYS)

    DEFAULT_CLASSES = "pane"

    window: reactive[CommentWindow] = reactive(CommentWindow, always_update=False)

    class OlderWanted(Message):
        """The user reached the top of the window and the room has older comments."""

    class NewestWanted(Message):
        """The user asked for the end of a window that was paged back into history."""

    class CommentChosen(Message):
        """Enter on a comment."""

        def __init__(self, comment: Comment) -> None:
            super().__init__()
            self.comment = comment

    class ChoiceCleared(Message):
        """The highlight left the chosen comment, or the user left the feed with Esc."""

    def __init__(self, *, tz: tzinfo | None = None, id: str | None = None) -> None:
        super().__init__(markup=False, id=id)
        self._feed_lines = FeedLines(tz)
        self.border_title = "Comments"
        self._comments: dict[str, Comment] = {}
        self._asks = PagingAsks()
        self._chosen_id: str | None = None
        self._end_wanted = False
        self._quiet = False

    # --- what is shown ----------------------------------------------------------------

    @property
    def highlighted_comment(self) -> Comment | None:
        option = self.highlighted_option
        return None if option is None or option.id is None else self._comments.get(option.id)

    def watch_window(self, window: CommentWindow) -> None:
        arrived_at_end = self._end_wanted and not window.has_newer
        following = arrived_at_end or (self._at_bottom() and not window.has_newer)
        place = self._place()
        highlighted = self.highlighted_comment
        self._comments = {comment.id: comment for comment in window.comments}
        options = self._feed_lines.options(
            window,
            loading_older=self._asks.loading_older(window),
            loading_newer=self._asks.loading_newer(window),
        )
        with self._quietly():
            self.set_options(options)
            if highlighted is not None:
                index = self._index_of(highlighted.id)
                lost = index is None or arrived_at_end
                self.highlighted = self._last_comment() if lost else index
            self._restore_place(None if following else place)
        if arrived_at_end:
            self._end_wanted = False
        self._keep_choice_only_while_highlighted()

    def _place(self) -> tuple[str, int] | None:
        """The comment to keep in place across a rebuild, and its row in the view: the
        highlighted comment, else the first one in view."""
        if not self.scrollable_content_region or not self.options:
            return None
        top = round(self.scroll_offset.y)
        index = self.highlighted
        if index is None:
            index = self._enabled_from(self._option_at_line(top), 1)
        if index is None or (comment_id := self.options[index].id) is None:
            return None
        return comment_id, self._line_of(index) - top

    def _restore_place(self, place: tuple[str, int] | None) -> None:
        index = None if place is None else self._index_of(place[0])
        if place is None or index is None:
            if self.scrollable_content_region:
                self.scroll_end(animate=False, immediate=True)
            else:  # before the first layout there is nothing to scroll yet
                self.call_after_refresh(self._scroll_end_quietly)
            return
        self.scroll_to(y=self._line_of(index) - place[1], animate=False, immediate=True)

    def _scroll_end_quietly(self) -> None:
        with self._quietly():
            self.scroll_end(animate=False, immediate=True)

    def _at_bottom(self) -> bool:
        return not self.scrollable_content_region or self.scroll_offset.y >= self.max_scroll_y

    @contextmanager
    def _quietly(self) -> Iterator[None]:
        """Moves made here are the feed's own, not the user's: they ask for no paging."""
        self._quiet = True
        try:
            yield
        finally:
            self._quiet = False

    # --- paging -------------------------------------------------------------------------

    def _want_older(self) -> None:
        if self._asks.ask_older(self.window):
            self._show_paging()
            self.post_message(self.OlderWanted())

    def _want_newest(self) -> None:
        if self._asks.ask_newest(self.window):
            self._show_paging()
            self.post_message(self.NewestWanted())

    def paging_refused(self) -> None:
        """The room would not page (say, offline): forget the asks, so the next move retries."""
        self._asks.forget()
        self._end_wanted = False
        self._show_paging()

    def _show_paging(self) -> None:
        window = self.window
        if window.is_empty:
            return
        loading_older = self._asks.loading_older(window)
        self.replace_option_prompt_at_index(0, older_line(window.has_older, loading_older))
        if window.has_newer:
            last = self.option_count - 1
            self.replace_option_prompt_at_index(last, newer_line(self._asks.loading_newer(window)))

    def show_newest(self) -> None:
        """Go to the end of the feed, asking for the newest comments if the window is behind."""
        if self.window.has_newer:
            self._end_wanted = True
            self._want_newest()
        self.scroll_end(animate=False, immediate=True)

    # --- moving the highlight -------------------------------------------------------------

    def watch_highlighted(self, highlighted: int | None) -> None:
        super().watch_highlighted(highlighted)
        if self._quiet or highlighted is None:
            return
        self._keep_choice_only_while_highlighted()
        if highlighted == self._first_comment():
            self.scroll_home(animate=False, immediate=True)  # show the line about older comments
            self._want_older()
        elif highlighted == self._last_comment():
            self._want_newest()

    def watch_scroll_y(self, old_value: float, new_value: float) -> None:
        super().watch_scroll_y(old_value, new_value)
        if self._quiet or round(old_value) == round(new_value):
            return
        if round(new_value) == 0:
            self._want_older()
        elif round(new_value) >= self.max_scroll_y:
            self._want_newest()

    def on_focus(self) -> None:
        if self.highlighted is None:
            with self._quietly():
                self.highlighted = self._last_comment_in_view()

    def action_cursor_up(self) -> None:
        self._step(-1)

    def action_cursor_down(self) -> None:
        self._step(1)

    def _step(self, direction: int) -> None:
        """One comment up or down. At an end it stays put and asks for more, rather than
        wrapping round as an OptionList does."""
        if self.highlighted is None:
            self.highlighted = self._last_comment_in_view()
            return
        index = self._enabled_from(self.highlighted + direction, direction)
        if index is not None:
            self.highlighted = index
        elif direction < 0:
            self.scroll_home(animate=False, immediate=True)
            self._want_older()
        else:
            self.show_newest()

    def action_page_up(self) -> None:
        super().action_page_up()  # type: ignore[no-untyped-call]  # untyped in Textual
        # A page that ends on the line about older comments highlights nothing: stay on a comment.
        if self.highlighted is None:
            self.highlighted = self._first_comment()

    def action_page_down(self) -> None:
        super().action_page_down()  # type: ignore[no-untyped-call]
        if self.highlighted is None:
            self.highlighted = self._last_comment()

    def action_last(self) -> None:
        super().action_last()
        self.show_newest()

    def on_click(self, event: events.Click) -> None:
        # A click highlights; only Enter acts, so a stray click never seeks the whole room.
        event.prevent_default()
        index = event.style.meta.get("option")
        if not isinstance(index, int):
            return
        if index == 0 and self.window.has_older:
            self._want_older()
        elif index == self.option_count - 1 and self.window.has_newer:
            self.show_newest()
        elif not self.options[index].disabled:
            self.highlighted = index

    # --- choosing a comment -----------------------------------------------------------------

    def action_select(self) -> None:
        comment = self.highlighted_comment
        if comment is not None:
            self._chosen_id = comment.id
            self.post_message(self.CommentChosen(comment))

    def _keep_choice_only_while_highlighted(self) -> None:
        comment = self.highlighted_comment
        if self._chosen_id is not None and (comment is None or comment.id != self._chosen_id):
            self._clear_choice()

    def _clear_choice(self) -> None:
        self._chosen_id = None
        self.post_message(self.ChoiceCleared())

    def action_leave(self) -> None:
        if self._chosen_id is not None:
            self._clear_choice()
        self.screen.set_focus(None)

    # --- indexes (OptionList keeps its line map private; it is read here only) ----------------

    def _index_of(self, comment_id: str) -> int | None:
        try:
            return self.get_option_index(comment_id)
        except OptionDoesNotExist:
            return None

    def _enabled_from(self, start: int, direction: int) -> int | None:
        """The first option that can be highlighted from ``start`` on in ``direction``."""
        stop = self.option_count if direction > 0 else -1
        return next(
            (i for i in range(start, stop, direction) if not self.options[i].disabled), None
        )

    def _first_comment(self) -> int | None:
        return self._enabled_from(0, 1)

    def _last_comment(self) -> int | None:
        return self._enabled_from(self.option_count - 1, -1)

    def _last_comment_in_view(self) -> int | None:
        lines = self._lines
        if not lines:
            return self._last_comment()
        bottom = round(self.scroll_offset.y) + self.scrollable_content_region.height - 1
        return self._enabled_from(lines[min(bottom, len(lines) - 1)][0], -1)

    def _line_of(self, index: int) -> int:
        return self._index_to_line[index]

    def _option_at_line(self, line: int) -> int:
        lines = self._lines
        return lines[min(line, len(lines) - 1)][0] if lines else 0
