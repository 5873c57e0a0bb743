"""The comment feed: paging into history, following new comments, going to a comment's moment."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

from room.intents import LoadNewestComments, LoadOlderComments, SeekTo
from room.state import Comment, Connection, ConnectionStatus
from tests.rooms import T0, busy_room
from tests.tui.conftest import AppFactory
from tests.tui.helpers import notices, press, publish, screen_lines, screen_text, wheel_up
from tui.app import WatchPartyApp
from tui.widgets.comment_feed import CommentFeed
from tui.widgets.playback_pane import PlaybackPane


def history(first: int, last: int) -> tuple[Comment, ...]:
    """Comments ``first``..``last`` (oldest first), each about second ``n`` of the video."""
    return tuple(
        Comment(f"m{n}", "u-bob", "bob", f"message {n}", T0 + timedelta(seconds=n), float(n), seq=n)
        for n in range(first, last + 1)
    )


def feed_of(app: WatchPartyApp) -> CommentFeed:
    return app.screen.query_one(CommentFeed)


def row_of(feed: CommentFeed, message: str) -> int:
    """The screen row of the comment whose message is ``message``."""
    rows = [line.strip(" │") for line in screen_lines(feed)]
    return rows.index(message)


def highlighted_id(feed: CommentFeed) -> str | None:
    comment = feed.highlighted_comment
    return None if comment is None else comment.id


class TestHistoryPaging:
    async def test_reaching_the_top_asks_once_and_the_highlight_stays_put(
        self, make_app: AppFactory
    ) -> None:
        room = busy_room(comments=history(51, 80), has_older=True)
        app, controller = make_app(room)
        async with app.run_test() as pilot:
            feed = feed_of(app)
            await press(pilot, "tab", "home")
            assert highlighted_id(feed) == "m51"
            assert "↑ older comments (loading…)" in screen_text(feed)
            await press(pilot, "up", "up", "down", "up", "pageup")  # at the top, off it, back
            assert controller.intents == [LoadOlderComments()]
            row = row_of(feed, "message 51")

            await publish(pilot, replace(room, comments=history(1, 80), has_older=False))
            assert highlighted_id(feed) == "m51"
            assert row_of(feed, "message 51") == row  # the page grew above it
            assert row_of(feed, "message 50") == row - 2

            await press(pilot, "home")
            assert "Beginning of the room" in screen_text(feed)
        assert controller.intents == [LoadOlderComments()]

    async def test_scrolling_to_the_top_asks_once(self, make_app: AppFactory) -> None:
        app, controller = make_app(busy_room(comments=history(51, 80), has_older=True))
        async with app.run_test() as pilot:
            feed = feed_of(app)
            await wheel_up(pilot, feed, 100)
            assert feed.scroll_offset.y == 0
            assert "↑ older comments (loading…)" in screen_text(feed)
        assert controller.intents == [LoadOlderComments()]

    async def test_offline_at_the_top_says_why_and_retries_on_the_next_move(
        self, make_app: AppFactory
    ) -> None:
        offline = Connection(ConnectionStatus.OFFLINE, "no hub answered")
        room = busy_room(comments=history(51, 80), has_older=True, connection=offline)
        app, controller = make_app(room)
        async with app.run_test() as pilot:
            feed = feed_of(app)
            await press(pilot, "tab", "home")
            assert any("Not connected to the room" in text for text in notices(app))
            assert "↑ older comments (loading…)" not in screen_text(feed)
            await publish(pilot, replace(room, connection=busy_room().connection))
            await press(pilot, "up")
        assert controller.intents == [LoadOlderComments()]

    async def test_end_returns_a_paged_back_window_to_the_newest(
        self, make_app: AppFactory
    ) -> None:
        room = busy_room(comments=history(1, 30), has_older=False, has_newer=True)
        app, controller = make_app(room)
        async with app.run_test() as pilot:
            feed = feed_of(app)
            await pilot.pause()
            assert "↓ newer comments — End to jump" in screen_text(feed)
            assert controller.intents == []  # showing the end of the window is not asking
            await press(pilot, "end", "end")  # from the room screen, the feed not focused
            assert controller.intents == [LoadNewestComments()]
            assert "↓ newer comments (loading…)" in screen_text(feed)

            newest = replace(room, comments=history(500, 530), has_older=True, has_newer=False)
            await publish(pilot, newest)
            assert "message 530" in screen_text(feed)
            assert "newer comments" not in screen_text(feed)
            await press(pilot, "end")
        assert controller.intents == [LoadNewestComments()]

    async def test_end_in_the_feed_asks_once_and_lands_on_the_newest(
        self, make_app: AppFactory
    ) -> None:
        room = busy_room(comments=history(1, 30), has_newer=True)
        app, controller = make_app(room)
        async with app.run_test() as pilot:
            feed = feed_of(app)
            await press(pilot, "tab", "home", "end", "down", "end")
            assert controller.intents == [LoadNewestComments()]
            await publish(pilot, replace(room, comments=history(20, 60), has_newer=False))
            assert highlighted_id(feed) == "m60"
        assert controller.intents == [LoadNewestComments()]

    async def test_nothing_is_asked_when_the_window_holds_everything(
        self, make_app: AppFactory
    ) -> None:
        app, controller = make_app(busy_room(comments=history(1, 30)))
        async with app.run_test() as pilot:
            await press(pilot, "tab", "home", "up", "end", "down")
            await wheel_up(pilot, feed_of(app), 100)
        assert controller.intents == []


class TestFollowing:
    async def test_new_comments_are_followed_at_the_bottom(self, make_app: AppFactory) -> None:
        room = busy_room(comments=history(1, 30))
        app, _ = make_app(room)
        async with app.run_test() as pilot:
            feed = feed_of(app)
            assert "message 30" in screen_text(feed)
            await publish(pilot, room.with_comment(history(31, 31)[0]))
            assert "message 31" in screen_text(feed)

    async def test_scrolled_up_the_view_stays_where_it_is(self, make_app: AppFactory) -> None:
        room = busy_room(comments=history(1, 30))
        app, _ = make_app(room)
        async with app.run_test() as pilot:
            feed = feed_of(app)
            await press(pilot, "tab", "home", "down", "down")
            row = row_of(feed, "message 3")
            await publish(pilot, room.with_comment(history(31, 31)[0]))
            assert highlighted_id(feed) == "m3"
            assert row_of(feed, "message 3") == row
            assert "message 31" not in screen_text(feed)

    async def test_the_highlight_stays_on_its_comment_when_one_arrives(
        self, make_app: AppFactory
    ) -> None:
        room = busy_room()  # all of it fits: the view is at the bottom
        app, _ = make_app(room)
        async with app.run_test() as pilot:
            feed = feed_of(app)
            await press(pilot, "tab", "home", "down")
            await publish(pilot, room.with_comment(history(31, 31)[0]))
            assert highlighted_id(feed) == "c2"  # r and Enter still act on what you picked
            assert "message 31" in screen_text(feed)


class TestGoingToAComment:
    async def test_host_seeks_to_the_comment(self, make_app: AppFactory) -> None:
        app, controller = make_app(busy_room(self_is_host=True))
        async with app.run_test() as pilot:
            await press(pilot, "tab", "home", "down", "enter")  # c2, at 2:00
            assert "Seeking to 2:00" in notices(app)
            assert app.screen.query_one(PlaybackPane).marked_time is None
        assert controller.intents == [SeekTo(120.5)]

    async def test_follower_sees_where_it_is_until_the_highlight_moves(
        self, make_app: AppFactory
    ) -> None:
        app, controller = make_app(busy_room())
        async with app.run_test() as pilot:
            pane = app.screen.query_one(PlaybackPane)
            await press(pilot, "tab", "home", "down", "enter")
            assert "That comment is at 2:00 (you are at 12:34)" in notices(app)
            assert pane.marked_time == 120.5
            assert "▼" in screen_text(pane)
            await press(pilot, "down")
            assert pane.marked_time is None
            assert "▼" not in screen_text(pane)
            await press(pilot, "enter", "escape")
            assert pane.marked_time is None
        assert controller.intents == []

    async def test_a_room_event_or_a_comment_without_a_time_is_explained(
        self, make_app: AppFactory
    ) -> None:
        untimed = Comment("c9", "u-bob", "bob", "no time here", T0 + timedelta(minutes=9))
        room = busy_room(self_is_host=True)
        app, controller = make_app(room.with_comment(untimed))
        async with app.run_test() as pilot:
            await press(pilot, "tab", "home", "enter")  # c1: "alice joined the room"
            assert "That is a room event: it has no moment in the video to go to." in notices(app)
            await press(pilot, "end", "enter")
            assert "That comment has no video time to go to." in notices(app)
        assert controller.intents == []

    async def test_a_click_highlights_but_does_not_seek(self, make_app: AppFactory) -> None:
        app, controller = make_app(busy_room(self_is_host=True))
        async with app.run_test() as pilot:
            feed = feed_of(app)
            await pilot.click(feed, offset=(4, 4))
            await pilot.pause()
            assert highlighted_id(feed) is not None
        assert controller.intents == []


def test_feed_shows_a_pending_comment_as_sending() -> None:
    from datetime import UTC

    from tui.widgets.comment_lines import comment_text

    pending = Comment("p1", "u-self", "you", "on my way", T0, 61.0, pending=True)
    text = comment_text(pending, 0, UTC)
    assert text.plain == "you ◷ sending… ▸1:01\non my way"
    assert any(
        span.style == "dim" and (span.start, span.end) == (0, len(text)) for span in text.spans
    )
    confirmed = comment_text(replace(pending, pending=False, seq=7), 0, UTC)
    assert confirmed.plain == "you 20:15 ▸1:01\non my way"


def test_anchor_comments_carry_the_bar_marker() -> None:
    from datetime import UTC

    from tui.widgets.comment_lines import comment_text

    anchor = Comment("a1", "u-bob", "bob", "[b]here[/b]", T0, 135.0, is_marker=True)
    assert comment_text(anchor, 0, UTC).plain == "bob 20:15 ▸2:15 ◆\n[b]here[/b]"
