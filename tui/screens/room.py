"""The room screen: playback pane on top, members and comments below."""

from __future__ import annotations

from datetime import tzinfo

from textual.app import ComposeResult
from textual.containers import Horizontal
from textual.message import Message
from textual.reactive import reactive
from textual.screen import Screen
from textual.widgets import Footer, Header

from room.intents import (
    ClaimHost,
    HandOverHost,
    Intent,
    PostComment,
    RequestHost,
    SeekBy,
    SeekTo,
    TogglePlay,
    refusal,
)
from room.state import RoomState
from room.timefmt import format_time
from tui.keys import room_bindings
from tui.screens.compose_comment import CommentScreen
from tui.screens.hand_over import HandOverScreen
from tui.screens.help import HelpScreen
from tui.screens.jump import JumpScreen
from tui.widgets.comment_feed import CommentFeed
from tui.widgets.member_list import MemberList
from tui.widgets.playback_pane import PlaybackPane


class RoomScreen(Screen[None]):
    BINDINGS = room_bindings()
    # Nothing has focus at first, so the arrows seek; Tab moves into the comment list.
    AUTO_FOCUS = ""

    room: reactive[RoomState | None] = reactive(None, init=False)

    class IntentRequested(Message):
        """The user asked the room to do something it allows."""

        def __init__(self, intent: Intent) -> None:
            super().__init__()
            self.intent = intent

    def __init__(self, small_step_s: float, large_step_s: float, tz: tzinfo | None) -> None:
        super().__init__()
        self.small_step_s = small_step_s
        self.large_step_s = large_step_s
        self.tz = tz

    def compose(self) -> ComposeResult:
        yield Header(icon="▶")
        yield PlaybackPane(id="playback")
        with Horizontal(id="body"):
            yield MemberList(id="members")
            yield CommentFeed(tz=self.tz, id="comments")
        yield Footer()

    def watch_room(self, room: RoomState | None) -> None:
        if room is None:
            return
        self.sub_title = f"room {room.room_id}"
        members = self.query_one(MemberList)
        members.self_user_id = room.self_user_id
        members.members = room.members
        self.query_one(CommentFeed).comments = room.comments
        pane = self.query_one(PlaybackPane)
        host = room.host
        pane.playback = room.playback
        pane.host_name = host.username if host else None
        pane.is_self_host = room.is_self_host
        pane.connection = room.connection

    # --- actions: each checks what the room allows, then posts an intent up ---------

    def _refused(self, intent: Intent) -> bool:
        reason = "Still joining the room." if self.room is None else refusal(self.room, intent)
        if reason is not None:
            self.notify(reason, severity="warning", timeout=4)
            return True
        return False

    def request(self, intent: Intent) -> None:
        if not self._refused(intent):
            self.post_message(self.IntentRequested(intent))

    def action_toggle_play(self) -> None:
        self.request(TogglePlay())

    def action_seek_small(self, direction: int) -> None:
        self.request(SeekBy(direction * self.small_step_s))

    def action_seek_large(self, direction: int) -> None:
        self.request(SeekBy(direction * self.large_step_s))

    def action_jump(self) -> None:
        if self._refused(SeekTo(0.0)):
            return

        def jump_to(position: float | None) -> None:
            if position is not None:
                self.request(SeekTo(position))

        self.app.push_screen(JumpScreen(), jump_to)

    def action_comment(self, parent_id: str | None = None, replying_to: str | None = None) -> None:
        if self._refused(PostComment("probe")) or self.room is None:
            return

        def send(message: str | None) -> None:
            if message is not None:
                self.request(PostComment(message, parent_id))

        stamp = format_time(self.room.playback.position)
        self.app.push_screen(CommentScreen(stamp, replying_to), send)

    def action_reply(self) -> None:
        comment_id = self.query_one(CommentFeed).highlighted_comment_id()
        parent = (
            next((c for c in self.room.comments if c.id == comment_id), None) if self.room else None
        )
        if parent is None:
            self.notify("Highlight a comment first (Tab to the comments, then ↑/↓).", timeout=4)
            return
        self.action_comment(parent.id, parent.username)

    def action_host_role(self) -> None:
        room = self.room
        if room is None or room.host is None:
            self.request(ClaimHost())
        elif not room.is_self_host:
            self.request(RequestHost())
        else:
            others = tuple(m for m in room.members if m.user_id != room.self_user_id)
            if not others:
                self.notify("There is nobody else in the room to hand the host role to.")
                return
            if self._refused(HandOverHost(others[0].user_id)):
                return

            def hand_over(user_id: str | None) -> None:
                if user_id is not None:
                    self.request(HandOverHost(user_id))

            self.app.push_screen(HandOverScreen(others), hand_over)

    def action_help(self) -> None:
        self.app.push_screen(HelpScreen(self.small_step_s, self.large_step_s))

    async def action_quit(self) -> None:
        await self.app.action_quit()
