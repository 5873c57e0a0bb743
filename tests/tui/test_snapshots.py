"""Snapshot tests: the panes alone and the whole app, at fixed size, time and zone.

Review the SVG report (pytest --snapshot-update writes new ones) before accepting changes.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, timedelta
from pathlib import Path

import pytest
from textual.app import App, ComposeResult
from textual.widget import Widget

import tui
from room.chapters import Chapter
from room.member_drift import OffReason
from room.state import (
    Comment,
    Connection,
    ConnectionStatus,
    Member,
    Playback,
    QueueState,
    RoomState,
    SyncStatus,
    Waiting,
)
from tests.rooms import SELF_ID, T0, busy_room, empty_room
from tests.tui.conftest import AppFactory
from tui.widgets.comment_feed import CommentFeed
from tui.widgets.comment_lines import CommentWindow
from tui.widgets.member_list import MemberList
from tui.widgets.playback_pane import PlaybackPane

SYNCED = SyncStatus.SYNCED
CHAPTERS = (
    Chapter(0.0, "Opening"),
    Chapter(300.0, "Part one"),
    Chapter(1500.0, "\x1b[31m[b]Part two[/b] " + "the long middle " * 40),
    Chapter(3000.0, "Part three"),
    Chapter(5100.0, "Credits"),
)
NARROW = (80, 24)
T0_MS = int(T0.timestamp() * 1000)
WIDE = (160, 40)


class PaneApp(App[None]):
    """One pane on its own, styled as in the app."""

    CSS_PATH = Path(tui.__file__).parent / "app.tcss"
    CSS = "Screen > .pane { height: 1fr; width: 1fr; max-width: 100%; }"

    def __init__(self, pane: Widget) -> None:
        super().__init__()
        self.pane = pane

    def compose(self) -> ComposeResult:
        yield self.pane


class UnfocusedPaneApp(PaneApp):
    """Nothing focused, so nothing highlighted: every line in its own style."""

    AUTO_FOCUS = None


def member_list(room_members: object = None) -> MemberList:
    pane = MemberList()
    pane.self_user_id = SELF_ID
    pane.members = busy_room().members if room_members is None else room_members  # type: ignore[assignment]
    return pane


def test_member_list_six_mixed(snap_compare) -> None:  # type: ignore[no-untyped-def]
    assert snap_compare(PaneApp(member_list()), terminal_size=(48, 10))


def test_member_list_empty(snap_compare) -> None:  # type: ignore[no-untyped-def]
    assert snap_compare(PaneApp(member_list(())), terminal_size=(48, 6))


def test_comment_feed_thread_and_system_message(snap_compare) -> None:  # type: ignore[no-untyped-def]
    feed = CommentFeed(tz=UTC)
    feed.window = CommentWindow(busy_room().comments)
    assert snap_compare(PaneApp(feed), terminal_size=(60, 14))


def test_comment_feed_paged_window_with_pending_and_anchor(snap_compare) -> None:  # type: ignore[no-untyped-def]
    """Paged back into history: older and newer lines, a thread, an anchor, a pending reply."""
    anchor = Comment(
        "c6", "u-bob", "bob", "[b]mark[/b] the twist", T0 + timedelta(minutes=5), 812.0
    )
    pending = Comment(
        "c7", SELF_ID, "you", "wait, what?", T0 + timedelta(minutes=6), 815.0, "c6", pending=True
    )
    comments = (*busy_room().comments[1:], replace(anchor, is_marker=True), pending)
    feed = CommentFeed(tz=UTC)
    feed.window = CommentWindow(comments, has_older=True, has_newer=True)
    assert snap_compare(UnfocusedPaneApp(feed), terminal_size=(60, 18))


def test_comment_feed_empty(snap_compare) -> None:  # type: ignore[no-untyped-def]
    assert snap_compare(PaneApp(CommentFeed(tz=UTC)), terminal_size=(60, 6))


@pytest.mark.parametrize(
    ("name", "playback", "host_name", "is_self_host", "connection"),
    [
        ("playing_connected", busy_room().playback, "alice", False, busy_room().connection),
        (
            "self_host_paused",
            Playback("Movie", 3725.0, 5400.0),
            "you",
            True,
            busy_room().connection,
        ),
        (
            "empty_offline",
            Playback(),
            None,
            False,
            Connection(ConnectionStatus.OFFLINE, "no hub answered on 127.0.0.1:54321"),
        ),
        (
            "buffering_reconnecting",
            Playback("Movie", 30.0, 5400.0, True, True),
            "alice",
            False,
            Connection(ConnectionStatus.RECONNECTING, "connection lost", 4.0, "127.0.0.1:54321"),
        ),
        (
            "anchors_and_a_follower_mark",
            Playback("Movie", 1800.0, 5400.0, True),
            "alice",
            False,
            busy_room().connection,
        ),
        (
            # A tick at each chapter start but the one at 0; a marker wins a shared cell; the
            # chapter playing is named, its title from the file shown literally and cut.
            "chapters",
            Playback("Movie", 2000.0, 5400.0, True, chapters=CHAPTERS),
            "alice",
            False,
            busy_room().connection,
        ),
    ],
)
def test_playback_pane(snap_compare, name, playback, host_name, is_self_host, connection) -> None:  # type: ignore[no-untyped-def]
    pane = PlaybackPane()
    pane.playback = playback
    pane.host_name = host_name
    pane.is_self_host = is_self_host
    pane.connection = connection
    if name == "chapters":
        pane.marker_times = (3000.0,)
    if name == "anchors_and_a_follower_mark":
        # Two anchors share a cell, one sits under the head, one is past the end of the media.
        pane.marker_times = (300.0, 320.0, 1810.0, 4000.0, 9000.0)
        pane.marked_time = 2700.0
    assert snap_compare(PaneApp(pane), terminal_size=(80, 5))


def test_app_empty_room_narrow(snap_compare, make_app: AppFactory) -> None:  # type: ignore[no-untyped-def]
    app, _ = make_app(empty_room())
    assert snap_compare(app, terminal_size=NARROW)


def test_app_busy_room_narrow(snap_compare, make_app: AppFactory) -> None:  # type: ignore[no-untyped-def]
    app, _ = make_app(busy_room())
    assert snap_compare(app, terminal_size=NARROW)


def test_app_busy_room_wide(snap_compare, make_app: AppFactory) -> None:  # type: ignore[no-untyped-def]
    app, _ = make_app(busy_room(self_is_host=True))
    assert snap_compare(app, terminal_size=WIDE)


def test_app_offline_empty_room(snap_compare, make_app: AppFactory) -> None:  # type: ignore[no-untyped-def]
    offline = Connection(ConnectionStatus.OFFLINE, "no hub answered on 127.0.0.1:54321")
    app, _ = make_app(replace(empty_room(), connection=offline))
    assert snap_compare(app, terminal_size=NARROW)


def test_comment_dialog(snap_compare, make_app: AppFactory) -> None:  # type: ignore[no-untyped-def]
    app, _ = make_app(busy_room())
    assert snap_compare(app, terminal_size=NARROW, press=["c", *"so good", "ctrl+t"])


def test_feed_focused_on_a_comment(snap_compare, make_app: AppFactory) -> None:  # type: ignore[no-untyped-def]
    """The highlight and the feed's own keys in the footer."""
    app, _ = make_app(busy_room())
    assert snap_compare(app, terminal_size=NARROW, press=["tab", "home", "down", "enter"])


def test_help_screen(snap_compare, make_app: AppFactory) -> None:  # type: ignore[no-untyped-def]
    app, _ = make_app(busy_room())
    assert snap_compare(app, terminal_size=NARROW, press=["question_mark"])


def test_member_list_drift_and_why_off(snap_compare) -> None:  # type: ignore[no-untyped-def]
    """Measured drift in ms, why a member is off instead of a bare "off", and an offset."""
    members = (
        Member("u-alice", "alice", is_host=True, is_playing=True, current_time=754.2, sync=SYNCED),
        Member(
            "u-bob",
            "bob",
            is_playing=True,
            current_time=755.7,
            sync=SYNCED,
            drift_ms=12.4,
            offset_s=1.5,
        ),
        Member(
            "u-carol",
            "carol",
            is_playing=True,
            current_time=751.8,
            sync=SyncStatus.OUT_OF_SYNC,
            drift_ms=-2400.0,
            off_reason=OffReason.GAVE_UP,
        ),
        Member(
            "u-dave",
            "dave",
            is_playing=False,
            current_time=754.0,
            sync=SYNCED,
            drift_ms=-31.0,
            off_reason=OffReason.SEEKING,
        ),
        Member(
            "u-erin",
            "erin",
            is_playing=True,
            current_time=750.0,
            sync=SyncStatus.BUFFERING,
            off_reason=OffReason.BUFFERING,
        ),
        Member(
            "u-frank",
            "frank",
            is_playing=False,
            current_time=700.0,
            sync=SyncStatus.OUT_OF_SYNC,
            drift_ms=-54_200.0,
            off_reason=OffReason.ON_ITS_OWN,
        ),
        Member(
            "u-gina",
            "gina",
            sync=SyncStatus.OUT_OF_SYNC,
            off_reason=OffReason.CANT_PLAY,
        ),
        Member(SELF_ID, "you", is_playing=True, current_time=754.2, sync=SYNCED, drift_ms=-3.0),
    )
    assert snap_compare(PaneApp(member_list(members)), terminal_size=(48, 11))


def _queued_room() -> RoomState:
    from room.queue.items import QueueItem
    from room.queue.waiting import Readiness

    items = (
        QueueItem("i1", "/srv/ep1.mkv", 1.0, "Episode 1", 1420.0),
        QueueItem("i2", "https://example.com/ep2.mkv", 2.0, None, None),
        QueueItem("i3", "/srv/ep3.mkv", 3.0, "[bold red]Episode 3[/] \x1b[31mred", 1405.0),
    )
    room = busy_room(self_is_host=True)
    ready = {"u-alice": Readiness.READY, "u-bob": Readiness.LOADING, "u-carol": Readiness.CANT_PLAY}
    members = tuple(
        replace(m, readiness=ready.get(m.user_id, Readiness.READY), item_id="i2")
        for m in room.members
    )
    waiting = Waiting(("bob",), deadline_ms=T0_MS + 42_000)
    return replace(room, members=members, queue=QueueState(items, "i2", waiting))


def test_app_queue_view_while_waiting(snap_compare, make_app: AppFactory, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    """The host's queue (hostile title shown as text), readiness in the member list, and
    the countdown of the member the room waits for."""
    app, _ = make_app(_queued_room())
    monkeypatch.setattr(PlaybackPane, "wall_ms", staticmethod(lambda: T0_MS))
    assert snap_compare(app, terminal_size=WIDE, press=["l", "down"])


def test_app_cant_play_the_item(snap_compare, make_app: AppFactory) -> None:  # type: ignore[no-untyped-def]
    """A follower whose yt-dlp is missing: the pane says why; its own row says can't play."""
    from player.ytdl import load_failure_reason
    from room.queue.waiting import Readiness

    queued = _queued_room()
    room = busy_room(self_is_host=False)
    members = tuple(
        replace(m, readiness=Readiness.CANT_PLAY, item_id="i2")
        if m.user_id == room.self_user_id
        else replace(m, readiness=Readiness.READY, item_id="i2")
        for m in room.members
    )
    problem = load_failure_reason([], ytdl_missing=True)
    queue = replace(queued.queue, waiting=None, problem=problem)
    app, _ = make_app(replace(room, members=members, queue=queue))
    assert snap_compare(app, terminal_size=WIDE)


def test_add_to_the_queue_dialog(snap_compare, make_app: AppFactory, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    """The source, and a title of the host's own (optional)."""
    app, _ = make_app(_queued_room())
    monkeypatch.setattr(PlaybackPane, "wall_ms", staticmethod(lambda: T0_MS))
    press = ["l", "a", *"https://example.com/watch?v=5", "tab", *"Episode 5"]
    assert snap_compare(app, terminal_size=NARROW, press=press)
