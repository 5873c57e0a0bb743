"""Which edges of the comment window the feed has asked the room to extend."""

from __future__ import annotations

from dataclasses import dataclass

from tui.widgets.comment_lines import CommentWindow


@dataclass
class PagingAsks:
    """One ask per window edge, so a user resting at the top sends one LoadOlderComments.

    An ask is remembered by the comment at that edge when it was made: once the page arrives
    the edge is another comment, and reaching it may ask again. ``forget`` after a refusal.
    """

    older_at: str | None = None
    """The oldest comment's id when older comments were asked for."""
    newest_at: str | None = None
    """The newest comment's id when the newest comments were asked for."""

    def loading_older(self, window: CommentWindow) -> bool:
        return window.has_older and self.older_at == _oldest_id(window)

    def loading_newer(self, window: CommentWindow) -> bool:
        return window.has_newer and self.newest_at == _newest_id(window)

    def ask_older(self, window: CommentWindow) -> bool:
        """Whether to ask for older comments now; if so, the ask is noted."""
        if not window.has_older or self.loading_older(window):
            return False
        self.older_at = _oldest_id(window)
        return True

    def ask_newest(self, window: CommentWindow) -> bool:
        """Whether to ask for the newest comments now; if so, the ask is noted."""
        if not window.has_newer or self.loading_newer(window):
            return False
        self.newest_at = _newest_id(window)
        return True

    def forget(self) -> None:
        self.older_at = self.newest_at = None


def _oldest_id(window: CommentWindow) -> str:
    return window.comments[0].id if window.comments else ""


def _newest_id(window: CommentWindow) -> str:
    return window.comments[-1].id if window.comments else ""
