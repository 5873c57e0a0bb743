"""Writing comments and replies: the moment they are about, anchors, the length cap, offline."""

from __future__ import annotations

from textual import events
from textual.widgets import Input, Label

from room.intents import PostComment
from room.state import Comment, Connection, ConnectionStatus, Playback
from room.wire import MAX_COMMENT_CHARS
from tests.rooms import T0, busy_room
from tests.tui.conftest import AppFactory
from tests.tui.helpers import notices, press, screen_text
from tui.screens.compose_comment import AT_CAP, CommentScreen
from tui.widgets.comment_feed import CommentFeed

OFFLINE = Connection(ConnectionStatus.OFFLINE, "no hub answered")


async def test_comment_is_stamped_with_the_time_it_was_started(make_app: AppFactory) -> None:
    app, room = make_app(busy_room())
    async with app.run_test() as pilot:
        await press(pilot, "c")
        assert isinstance(app.screen, CommentScreen)
        assert app.screen.query_one("#dialog").border_title == "Comment at 12:34"
        await press(pilot, *"nice", "enter")
    assert room.intents == [PostComment("nice", video_timestamp=754.2)]


async def test_ctrl_t_marks_the_moment_on_the_timeline(make_app: AppFactory) -> None:
    app, room = make_app(busy_room())
    async with app.run_test() as pilot:
        await press(pilot, "c", *"look", "ctrl+t", "enter")
    assert room.intents == [PostComment("look", is_marker=True, video_timestamp=754.2)]


async def test_the_anchor_checkbox_then_enter_sends(make_app: AppFactory) -> None:
    app, room = make_app(busy_room())
    async with app.run_test() as pilot:
        await press(pilot, "c", *"look", "tab", "space", "enter")
    assert room.intents == [PostComment("look", is_marker=True, video_timestamp=754.2)]


async def test_reply_to_a_reply_from_the_feed(make_app: AppFactory) -> None:
    app, room = make_app(busy_room())
    async with app.run_test() as pilot:
        await press(pilot, "tab", "home", "down", "down", "r")  # c3, carol's reply to c2
        assert app.screen.query_one("#dialog").border_title == "Reply to carol at 12:34"
        await press(pilot, *"same", "enter")
        assert app.screen is app.room_screen
        assert app.screen.query_one(CommentFeed).has_focus  # back where the reply started
    assert room.intents == [PostComment("same", parent_id="c3", video_timestamp=754.2)]


async def test_offline_comments_and_replies_are_allowed(make_app: AppFactory) -> None:
    app, room = make_app(busy_room(connection=OFFLINE))
    async with app.run_test() as pilot:
        await press(pilot, "c", *"later", "enter")
        await press(pilot, "tab", "home", "down", "r", *"me too", "enter")
        assert not any("Not connected" in text for text in notices(app))
    assert room.intents == [
        PostComment("later", video_timestamp=754.2),
        PostComment("me too", parent_id="c2", video_timestamp=754.2),
    ]


async def test_a_long_paste_is_cut_at_the_cap_and_says_so(make_app: AppFactory) -> None:
    app, room = make_app(busy_room())
    async with app.run_test() as pilot:
        await press(pilot, "c")
        message = app.screen.query_one(Input)
        assert str(app.screen.query_one("#hint", Label).content) == "Enter to send, Esc to cancel"
        message.post_message(events.Paste("x" * (MAX_COMMENT_CHARS + 100)))
        await pilot.pause()
        assert len(message.value) == MAX_COMMENT_CHARS
        assert str(app.screen.query_one("#hint", Label).content) == AT_CAP
        await press(pilot, "y", "enter")
    assert room.intents == [PostComment("x" * MAX_COMMENT_CHARS, video_timestamp=754.2)]


async def test_a_pending_comment_shows_as_sending(make_app: AppFactory) -> None:
    pending = Comment("p1", "u-self", "you", "on my way", T0, 61.0, pending=True)
    app, _ = make_app(busy_room().with_comment(pending))
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.pause()
        feed = screen_text(app.screen.query_one(CommentFeed))
        assert "you ◷ sending… ▸1:01" in feed
        assert "on my way" in feed


async def test_with_nothing_playing_a_comment_is_about_no_moment(make_app: AppFactory) -> None:
    app, room = make_app(busy_room(playback=Playback()))
    async with app.run_test() as pilot:
        await press(pilot, "c")
        assert app.screen.query_one("#dialog").border_title == "Comment"
        await press(pilot, *"hello", "ctrl+t", "enter")  # nothing to mark
    assert room.intents == [PostComment("hello")]
