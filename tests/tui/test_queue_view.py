"""The queue view: the host adds, removes, moves and plays items; followers only look."""

from __future__ import annotations

from dataclasses import replace

from room.intents import (
    AddToQueue,
    GoOnWithoutWaiting,
    MoveInQueue,
    NextItem,
    PlayItem,
    PreviousItem,
    RemoveFromQueue,
)
from room.queue.items import QueueItem
from room.queue.waiting import Readiness
from room.state import QueueState, RoomState, Waiting
from tests.rooms import SELF_ID, busy_room
from tests.tui.conftest import AppFactory
from tests.tui.helpers import notices, press, publish, screen_lines
from tui.widgets.queue_view import QueueView

ITEMS = (
    QueueItem("i1", "/srv/ep1.mkv", 1.0, "Episode 1", 1420.0),
    QueueItem("i2", "https://example.com/ep2.mkv", 2.0, None, None),
    QueueItem("i3", "/srv/ep3.mkv", 3.0, "[bold red]Episode 3[/] \x1b[31mred", 1405.0),
)


def queued(room: RoomState, current: str | None = "i1", **changes: object) -> RoomState:
    return replace(room, queue=QueueState(ITEMS, current, **changes))  # type: ignore[arg-type]


async def test_the_host_adds_removes_moves_and_plays(make_app: AppFactory) -> None:
    app, room = make_app(queued(busy_room(self_is_host=True), current="i2"))
    async with app.run_test() as pilot:
        await press(pilot, "l")
        view = app.room_screen.query_one(QueueView)
        assert view.has_focus
        await press(pilot, "a", *"/srv/ep4.mkv", "enter")
        await press(pilot, "a", *"https://example.com/watch?v=5", "tab", *"Episode 5", "enter")
        await press(pilot, "a", "enter", "tab", *"no source", "enter")  # refused: no source
        await press(pilot, "escape")
        await press(pilot, "down", "x")
        await press(pilot, "shift+down", "enter")
        await press(pilot, "escape")
        assert not view.display
        await press(pilot, "n", "p")
    assert room.intents == [
        AddToQueue("/srv/ep4.mkv"),
        AddToQueue("https://example.com/watch?v=5", "Episode 5"),
        RemoveFromQueue("i2"),
        MoveInQueue("i2", 1),
        PlayItem("i3"),
        NextItem(),
        PreviousItem(),
    ]


async def test_a_follower_sees_the_queue_and_is_told_who_changes_it(
    make_app: AppFactory,
) -> None:
    app, room = make_app(queued(busy_room(self_is_host=False)))
    async with app.run_test() as pilot:
        await press(pilot, "l")
        lines = "\n".join(screen_lines(app.room_screen.query_one(QueueView)))
        assert "Episode 1" in lines and "https://example.com/ep2.mkv" in lines
        await press(pilot, "x", "enter", "a")
        await press(pilot, "escape", "n")
        assert room.intents == []
        assert any("only the host changes the queue" in text for text in notices(app))


async def test_hostile_titles_are_shown_literally(make_app: AppFactory) -> None:
    app, _ = make_app(queued(busy_room(self_is_host=True)))
    async with app.run_test(size=(120, 30)) as pilot:
        await press(pilot, "l")
        lines = "\n".join(screen_lines(app.room_screen.query_one(QueueView)))
    assert "[bold red]Episode 3[/] red" in lines  # markup as text, the escape sequence gone
    assert "\x1b" not in lines


async def test_no_next_item_past_the_end(make_app: AppFactory) -> None:
    app, room = make_app(queued(busy_room(self_is_host=True), current="i3"))
    async with app.run_test() as pilot:
        await press(pilot, "n")
    assert room.intents == []
    assert any("no next item" in text for text in notices(app))


async def test_waiting_shows_whom_and_w_goes_on(make_app: AppFactory) -> None:
    waiting = Waiting(("bob", "carol"), deadline_ms=None)
    start = queued(busy_room(self_is_host=True))
    app, room = make_app(start)
    async with app.run_test(size=(120, 30)) as pilot:
        await press(pilot, "w")  # nobody waited for yet: nothing to go on from
        assert room.intents == []
        bob = next(m for m in start.members if m.username == "bob")
        members = tuple(
            replace(m, readiness=Readiness.LOADING, item_id="i0") if m is bob else m
            for m in start.members
        )
        await publish(pilot, replace(queued(start, waiting=waiting), members=members))
        pane = "\n".join(screen_lines(app.room_screen.query_one("#playback")))
        assert "Waiting for bob, carol" in pane and "w: go on" in pane
        member_rows = "\n".join(screen_lines(app.room_screen.query_one("#members")))
        assert "◷… load" in member_rows
        await press(pilot, "w")
    assert room.intents == [GoOnWithoutWaiting()]
    assert SELF_ID  # the room is ours to start
