"""The comment window: paging back through history and returning, always bounded."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime

from room.state import COMMENT_WINDOW, MARKER_LIMIT, Comment
from tests.rooms import empty_room

NOW = datetime(2026, 1, 1, tzinfo=UTC)


def numbered(seq: int, **fields: object) -> Comment:
    return replace(Comment(f"c{seq}", "u", "user", f"message {seq}", NOW, seq=seq), **fields)


def page(first: int, last: int) -> tuple[Comment, ...]:
    return tuple(numbered(seq) for seq in range(first, last + 1))


def test_history_pages_prepend_until_the_window_is_full_then_newest_leave() -> None:
    room = empty_room().with_newest_comments(page(951, 1000), more=True)
    assert (room.has_older, room.has_newer) == (True, False)
    for start in range(901, 0, -50):  # page back through 1000 comments
        room = room.with_older_comments(page(start, start + 49), more=start > 1)
    assert len(room.comments) == COMMENT_WINDOW
    assert room.comments[0].seq == 1
    assert room.comments[-1].seq == COMMENT_WINDOW
    assert (room.has_older, room.has_newer) == (False, True)


def test_live_comments_wait_on_the_server_while_the_window_is_paged_back() -> None:
    room = empty_room().with_newest_comments(page(1, 50), more=False)
    room = replace(room, has_newer=True)
    room = room.with_comment(numbered(51))
    assert [c.seq for c in room.comments][-1] == 50
    # but a comment already shown is still updated in place (pending -> confirmed)
    room = room.with_comment(numbered(50, message="edited"))
    assert room.comments[-1].message == "edited"


def test_returning_to_the_newest_page_keeps_comments_still_pending() -> None:
    room = empty_room().with_newest_comments(page(1, 10), more=False)
    mine = Comment("mine", "u-self", "me", "hello", NOW, pending=True)
    room = room.with_comment(mine)
    room = room.with_newest_comments(page(5, 12), more=True)
    assert [c.id for c in room.comments][-1] == "mine"
    assert room.comments[0].seq == 5
    assert room.has_older
    # once the server has it, the newest page brings it and it is not doubled
    confirmed = replace(mine, pending=False, seq=13)
    room = room.with_newest_comments((*page(5, 12), confirmed), more=True)
    assert [c.id for c in room.comments].count("mine") == 1
    assert not room.comments[-1].pending


def test_live_comments_trim_the_oldest_and_mark_older_history() -> None:
    room = empty_room()
    for seq in range(1, COMMENT_WINDOW + 2):
        room = room.with_comment(numbered(seq))
    assert len(room.comments) == COMMENT_WINDOW
    assert room.comments[0].seq == 2
    assert room.has_older


def test_anchors_are_kept_in_video_order_bounded_and_without_duplicates() -> None:
    room = empty_room()
    for seq in range(MARKER_LIMIT + 20):
        room = room.with_comment(numbered(seq, is_marker=True, video_timestamp=1000.0 - seq))
    room = room.with_comment(numbered(5, is_marker=True, video_timestamp=995.0))  # again
    room = room.with_comment(numbered(9999, video_timestamp=1.0))  # not an anchor
    times = [a.video_timestamp for a in room.markers]
    assert len(room.markers) == MARKER_LIMIT
    assert times == sorted(times)
    assert len({a.id for a in room.markers}) == MARKER_LIMIT
    assert "c9999" not in {a.id for a in room.markers}
    untimed = room.with_markers((numbered(1, is_marker=True),))
    assert untimed.markers == ()
