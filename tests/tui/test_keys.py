"""Each key posts the intent a user expects, or says plainly why it can't."""

from __future__ import annotations

import asyncio
import contextlib
from dataclasses import replace
from datetime import UTC, timedelta

import pytest
from textual.widgets._footer import FooterKey  # the footer's keys (not exported by Textual)

from room.chapters import Chapter
from room.intents import (
    ClaimHost,
    HandOverHost,
    Intent,
    PostComment,
    RequestHost,
    SeekBy,
    SeekTo,
    SetOffset,
    SetSpeed,
    SkipChapter,
    StepSpeed,
    TogglePlay,
    UndoSeek,
)
from room.state import Comment, Connection, ConnectionStatus, Member, RoomState
from tests.rooms import T0, RecordingRoom, busy_room, empty_room
from tests.tui.conftest import AppFactory
from tests.tui.helpers import notices, press
from tui.app import WatchPartyApp
from tui.config import Settings
from tui.screens.help import HelpScreen
from tui.widgets.comment_feed import CommentFeed


@pytest.mark.parametrize(
    ("key", "intent"),
    [
        ("space", TogglePlay()),
        ("left", SeekBy(-5.0)),
        ("right", SeekBy(5.0)),
        ("down", SeekBy(-60.0)),
        ("up", SeekBy(60.0)),
        ("left_square_bracket", StepSpeed(-1)),
        ("right_square_bracket", StepSpeed(1)),
        ("backspace", SetSpeed(1.0)),
        ("u", UndoSeek()),
    ],
)
async def test_host_playback_keys_post_intents(
    make_app: AppFactory, key: str, intent: object
) -> None:
    app, room = make_app(busy_room(self_is_host=True))
    async with app.run_test() as pilot:
        await press(pilot, key)
    assert room.intents == [intent]


@pytest.mark.parametrize(
    "key",
    [
        "space",
        "left",
        "right",
        "up",
        "down",
        "g",
        "left_square_bracket",
        "right_square_bracket",
        "backspace",
        "u",
    ],
)
async def test_follower_playback_keys_explain_who_controls(make_app: AppFactory, key: str) -> None:
    app, room = make_app(busy_room(self_is_host=False))
    async with app.run_test() as pilot:
        await press(pilot, key)
        assert room.intents == []
        assert any("alice is the host" in text for text in notices(app))
        assert app.screen is app.room_screen  # no jump dialog for a follower


async def test_room_without_host_lets_anyone_play_and_claim(make_app: AppFactory) -> None:
    app, room = make_app(empty_room())
    async with app.run_test() as pilot:
        await press(pilot, "space", "h")
    assert room.intents == [TogglePlay(), ClaimHost()]


async def test_in_a_room_without_host_the_speed_waits_for_one(make_app: AppFactory) -> None:
    app, room = make_app(empty_room())
    async with app.run_test() as pilot:
        await press(pilot, "right_square_bracket")
        assert room.intents == []
        assert any("speed is the host's" in text for text in notices(app))


async def test_jump_to_typed_time(make_app: AppFactory) -> None:
    app, room = make_app(busy_room(self_is_host=True))
    async with app.run_test() as pilot:
        await press(pilot, "g")
        await press(pilot, "x", "enter")  # not a time: the dialog stays and says why
        assert room.intents == []
        assert app.screen is not app.room_screen
        await press(pilot, "backspace", *"1:30", "enter")
    assert room.intents == [SeekTo(90.0)]


async def test_any_member_sets_its_offset(make_app: AppFactory) -> None:
    app, room = make_app(busy_room(self_is_host=False))
    async with app.run_test() as pilot:
        await press(pilot, "o")
        await press(pilot, *"abc", "enter")  # not seconds: the dialog stays and says why
        assert room.intents == []
        assert app.screen is not app.room_screen
        await press(pilot, *["backspace"] * 8, *"+1.5", "enter")
    assert room.intents == [SetOffset(1.5)]


async def test_comment_is_posted_and_space_while_typing_is_text(make_app: AppFactory) -> None:
    app, room = make_app(busy_room())
    async with app.run_test() as pilot:
        await press(pilot, "c", *"so good", "enter")
    assert room.intents == [PostComment("so good", video_timestamp=754.2)]


async def test_escape_cancels_a_comment(make_app: AppFactory) -> None:
    app, room = make_app(busy_room())
    async with app.run_test() as pilot:
        await press(pilot, "c", *"never mind", "escape")
        assert app.screen is app.room_screen
    assert room.intents == []


async def test_reply_goes_to_the_highlighted_comment(make_app: AppFactory) -> None:
    app, room = make_app(busy_room())
    async with app.run_test() as pilot:
        await press(pilot, "tab", "home", "down", "r", *"me too", "enter")
    assert room.intents == [PostComment("me too", parent_id="c2", video_timestamp=754.2)]


async def test_reply_without_a_highlighted_comment_says_how(make_app: AppFactory) -> None:
    app, room = make_app(busy_room())
    async with app.run_test() as pilot:
        await press(pilot, "r")
        assert any("Highlight a comment first" in text for text in notices(app))
    assert room.intents == []


async def test_host_hands_role_over_to_chosen_member(make_app: AppFactory) -> None:
    app, room = make_app(busy_room(self_is_host=True))
    async with app.run_test() as pilot:
        await press(pilot, "h", "down", "enter")  # alice is first, bob second
    assert room.intents == [HandOverHost("u-bob")]


async def test_follower_host_key_asks_the_host(make_app: AppFactory) -> None:
    app, room = make_app(busy_room())
    async with app.run_test() as pilot:
        await press(pilot, "h")
    assert room.intents == [RequestHost()]


async def test_alone_host_has_nobody_to_hand_over_to(make_app: AppFactory) -> None:
    alone = empty_room(members=(Member("u-self", "you", is_host=True),))
    app, room = make_app(alone)
    async with app.run_test() as pilot:
        await press(pilot, "h")
        assert any("nobody else" in text for text in notices(app))
    assert room.intents == []


@pytest.mark.parametrize("key", ["space", "h", "g"])
async def test_keys_that_need_a_connection_say_so(make_app: AppFactory, key: str) -> None:
    offline = Connection(ConnectionStatus.OFFLINE, "no hub answered")
    app, room = make_app(replace(busy_room(self_is_host=True), connection=offline))
    async with app.run_test() as pilot:
        await press(pilot, key)
        assert any("Not connected to the room (no hub answered)" in t for t in notices(app))
        assert app.screen is app.room_screen
    assert room.intents == []


async def test_help_lists_every_key_and_closes(make_app: AppFactory) -> None:
    app, _ = make_app(busy_room())
    async with app.run_test(size=(100, 40)) as pilot:
        await press(pilot, "question_mark")
        assert app.screen.__class__.__name__ == "HelpScreen"
        await press(pilot, "escape")
        assert app.screen is app.room_screen


async def test_command_palette_runs_room_commands(make_app: AppFactory) -> None:
    app, room = make_app(busy_room(self_is_host=True))
    async with app.run_test() as pilot:
        await press(pilot, "ctrl+p", *"Play/Pause")
        await pilot.wait_for_scheduled_animations()
        await press(pilot, "enter")
    assert room.intents == [TogglePlay()]


async def test_q_quits(make_app: AppFactory) -> None:
    app, _ = make_app(busy_room())
    async with app.run_test() as pilot:
        await press(pilot, "q")
    assert app.return_code == 0


class StuckRoom(RecordingRoom):
    """A controller whose every submit waits on the network until released."""

    def __init__(self, state: RoomState) -> None:
        super().__init__(state)
        self.released = asyncio.Event()
        self.started: list[Intent] = []

    async def submit(self, intent: Intent) -> None:
        self.started.append(intent)
        with contextlib.suppress(TimeoutError):  # held for long, never for ever
            await asyncio.wait_for(self.released.wait(), timeout=10)
        await super().submit(intent)


async def test_keys_keep_working_while_the_network_is_slow_and_intents_keep_their_order() -> None:
    room = busy_room(self_is_host=True)
    controller = StuckRoom(room)
    app = WatchPartyApp(room, Settings(), controller, tz=UTC)
    async with app.run_test() as pilot:
        async with asyncio.timeout(20):  # an app that waits on submit never gets here
            await press(pilot, "space", "right")
            assert controller.started == [TogglePlay()], "the first intent is under way"
            await press(pilot, "question_mark")
        assert isinstance(app.screen, HelpScreen), "the app answered a key meanwhile"
        controller.released.set()
        await pilot.pause()
        await app.workers.wait_for_complete()
        await pilot.pause()
    assert controller.intents == [TogglePlay(), SeekBy(5.0)]


CHAPTERS = (Chapter(0.0, "Opening"), Chapter(300.0, "Part one"), Chapter(1500.0, "Part two"))


def with_chapters(room: RoomState, chapters: tuple[Chapter, ...] = CHAPTERS) -> RoomState:
    return replace(room, playback=replace(room.playback, chapters=chapters))


@pytest.mark.parametrize(("key", "direction"), [("pageup", 1), ("pagedown", -1)])
async def test_the_hosts_chapter_keys_post_a_chapter_skip(
    make_app: AppFactory, key: str, direction: int
) -> None:
    app, room = make_app(with_chapters(busy_room(self_is_host=True)))
    async with app.run_test() as pilot:
        await press(pilot, key)
    assert room.intents == [SkipChapter(direction)]


@pytest.mark.parametrize("key", ["pageup", "pagedown"])
async def test_a_followers_chapter_keys_say_who_controls(make_app: AppFactory, key: str) -> None:
    app, room = make_app(with_chapters(busy_room(self_is_host=False)))
    async with app.run_test() as pilot:
        await press(pilot, key)
        assert room.intents == []
        assert any("alice is the host" in text for text in notices(app))


async def test_without_chapters_the_keys_say_so_and_send_nothing(make_app: AppFactory) -> None:
    app, room = make_app(with_chapters(busy_room(self_is_host=True), ()))
    async with app.run_test() as pilot:
        await press(pilot, "pageup")
        assert room.intents == []
        assert "This media has no chapters." in notices(app)


async def test_in_the_comment_list_pgup_and_pgdn_page_the_list_not_the_room(
    make_app: AppFactory,
) -> None:
    comments = tuple(
        Comment(f"m{n}", "u-bob", "bob", f"message {n}", T0 + timedelta(seconds=n), float(n))
        for n in range(60)
    )
    app, room = make_app(with_chapters(replace(busy_room(self_is_host=True), comments=comments)))
    async with app.run_test() as pilot:
        feed = app.screen.query_one(CommentFeed)
        await press(pilot, "tab", "home")
        top = feed.highlighted
        assert top is not None
        await press(pilot, "pagedown")
        paged_to = feed.highlighted
        assert paged_to is not None and paged_to > top + 1, "a page down the list"
        await press(pilot, "pageup")
        assert feed.highlighted is not None and feed.highlighted < paged_to
        assert room.intents == []
        # Back out of the list, the same keys are the room's again.
        await press(pilot, "escape", "pageup")
    assert room.intents == [SkipChapter(1)]


async def test_help_and_quit_stay_in_the_footer_at_80_columns(make_app: AppFactory) -> None:
    """The footer is cut at the right edge: the keys a newcomer looks for come first."""
    app, _ = make_app(busy_room(self_is_host=True))
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        shown = {
            key.description: key.region
            for key in app.screen.query(FooterKey)
            if key.region.width > 0 and key.region.right <= 80
        }
    assert {"Play/Pause", "Help", "Quit"} <= set(shown)
