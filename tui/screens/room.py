"""The room screen: playback pane on top, members and comments below."""

from __future__ import annotations

from datetime import tzinfo

from textual import on
from textual.app import ComposeResult
from textual.containers import Horizontal
from textual.css.query import NoMatches
from textual.message import Message
from textual.reactive import reactive
from textual.screen import Screen
from textual.widgets import Footer, Header

from room.intents import (
    AddToQueue,
    ClaimHost,
    GoOnWithoutWaiting,
    HandOverHost,
    Intent,
    LoadNewestComments,
    LoadOlderComments,
    NextItem,
    PostComment,
    PreviousItem,
    RequestHost,
    SeekBy,
    SeekTo,
    SetOffset,
    SetSpeed,
    SkipChapter,
    StepSpeed,
    TogglePlay,
    UndoSeek,
    refusal,
)
from room.state import Comment, Playback, RoomState
from room.timefmt import format_time
from tui.keys import ROOM_KEYS, bindings
from tui.screens.add_item import AddItemScreen, NewItem
from tui.screens.compose_comment import CommentScreen, Draft
from tui.screens.hand_over import HandOverScreen
from tui.screens.help import HelpScreen
from tui.screens.jump import JumpScreen
from tui.screens.offset import OffsetScreen
from tui.video import VideoOutput
from tui.widgets.comment_feed import CommentFeed
from tui.widgets.comment_lines import CommentWindow
from tui.widgets.member_list import MemberList
from tui.widgets.playback_pane import PlaybackPane
from tui.widgets.queue_view import QueueView
from tui.widgets.video_view import VideoView


def moment_playing(playback: Playback) -> float | None:
    """Where the player is, for a comment to be about; None when nothing is loaded."""
    loaded = playback.media_title is not None or playback.duration is not None
    return playback.position if loaded else None


class RoomScreen(Screen[None]):
    BINDINGS = bindings(ROOM_KEYS)
    # Nothing has focus at first, so the arrows seek; Tab moves into the comment list.
    AUTO_FOCUS = ""

    room: reactive[RoomState | None] = reactive(None, init=False)

    class IntentRequested(Message):
        """The user asked the room to do something it allows."""

        def __init__(self, intent: Intent) -> None:
            super().__init__()
            self.intent = intent

    def __init__(
        self,
        small_step_s: float,
        large_step_s: float,
        tz: tzinfo | None,
        video: VideoOutput | None = None,
    ) -> None:
        super().__init__()
        self.small_step_s = small_step_s
        self.large_step_s = large_step_s
        self.tz = tz
        self.video = video

    def compose(self) -> ComposeResult:
        yield Header(icon="▶")
        yield VideoView(id="video")
        yield PlaybackPane(id="playback")
        with Horizontal(id="body"):
            yield MemberList(id="members")
            yield CommentFeed(tz=self.tz, id="comments")
            yield QueueView(id="queue")
        yield Footer()

    def on_mount(self) -> None:
        self._show_video_layout()
        if self.video is not None:
            self.video.set_view(self.query_one(VideoView))

    def on_unmount(self) -> None:
        if self.video is not None:
            self.video.set_view(None)

    @on(VideoView.Resized)
    def video_resized(self, message: VideoView.Resized) -> None:
        if self.video is not None:
            self.video.resize(message.columns, message.rows)

    def _show_video_layout(self) -> None:
        in_terminal = self.video is not None and self.video.in_terminal
        self.set_class(in_terminal, "-video")
        if not in_terminal:
            self.remove_class("-large")

    def action_toggle_video(self) -> None:
        if self.video is None:
            self.notify("There is no video here.")
            return
        self.notify(self.video.toggle(), timeout=3)
        self._show_video_layout()

    def action_larger_video(self) -> None:
        if self.video is None or not self.video.in_terminal:
            self.notify("The larger view is for video in the pane (v shows it).", timeout=4)
            return
        self.toggle_class("-large")

    def watch_room(self, room: RoomState | None) -> None:
        if room is None:
            return
        try:
            self._show(room)
        except NoMatches:  # the panes are gone: the app is closing while the room still talks
            return

    def _show(self, room: RoomState) -> None:
        self.sub_title = f"room {room.room_id}"
        members = self.query_one(MemberList)
        members.self_user_id = room.self_user_id
        members.as_of_ms = room.members_as_of_ms
        queue = room.queue
        waiting_for = queue.waiting.names if queue.waiting else ()
        members.current_item_id = queue.current_item_id
        members.waiting_for = waiting_for
        members.members = room.members
        view = self.query_one(QueueView)
        view.is_host = room.is_self_host
        view.queue = queue
        self.query_one(CommentFeed).window = CommentWindow(
            room.comments, room.has_older, room.has_newer
        )
        pane = self.query_one(PlaybackPane)
        host = room.host
        pane.playback = room.playback
        pane.host_name = host.username if host else None
        pane.is_self_host = room.is_self_host
        pane.connection = room.connection
        pane.waiting = queue.waiting
        pane.cant_play = queue.problem
        pane.marker_times = tuple(
            marker.video_timestamp for marker in room.markers if marker.video_timestamp is not None
        )

    # --- actions: each checks what the room allows, then posts an intent up ---------

    def _refused(self, intent: Intent) -> bool:
        reason = "Still joining the room." if self.room is None else refusal(self.room, intent)
        if reason is not None:
            self.notify(reason, severity="warning", timeout=4)
            return True
        return False

    def request(self, intent: Intent) -> bool:
        """Post ``intent`` up if the room allows it, else say why; whether it went."""
        if self._refused(intent):
            return False
        self.post_message(self.IntentRequested(intent))
        return True

    def action_toggle_play(self) -> None:
        self.request(TogglePlay())

    def action_seek_small(self, direction: int) -> None:
        self.request(SeekBy(direction * self.small_step_s))

    def action_seek_large(self, direction: int) -> None:
        self.request(SeekBy(direction * self.large_step_s))

    def action_offset(self) -> None:
        me = self.room.member(self.room.self_user_id) if self.room else None
        current = (me.offset_s if me else None) or 0.0

        def set_offset(offset_s: float | None) -> None:
            if offset_s is not None:
                self.request(SetOffset(offset_s))

        self.app.push_screen(OffsetScreen(current), set_offset)

    def action_chapter(self, direction: int) -> None:
        self.request(SkipChapter(direction))

    def action_undo_seek(self) -> None:
        self.request(UndoSeek())

    def action_speed(self, direction: int) -> None:
        self.request(StepSpeed(direction))

    def action_speed_reset(self) -> None:
        self.request(SetSpeed(1.0))

    def action_jump(self) -> None:
        if self._refused(SeekTo(0.0)):
            return

        def jump_to(position: float | None) -> None:
            if position is not None:
                self.request(SeekTo(position))

        self.app.push_screen(JumpScreen(), jump_to)

    def action_comment(self) -> None:
        self._write(None)

    def action_reply(self) -> None:
        parent = self.query_one(CommentFeed).highlighted_comment
        if parent is None:
            self.notify("Highlight a comment first (Tab to the comments, then ↑/↓).", timeout=4)
            return
        self._write(parent)

    def _write(self, parent: Comment | None) -> None:
        """Open the comment dialog; a comment needs no connection (offline, it waits)."""
        if self._refused(PostComment("probe")) or self.room is None:
            return
        moment = moment_playing(self.room.playback)

        def send(draft: Draft | None) -> None:
            if draft is not None:
                parent_id = None if parent is None else parent.id
                self.request(PostComment(draft.message, parent_id, draft.is_marker, moment))

        stamp = None if moment is None else format_time(moment)
        replying_to = None if parent is None else parent.username
        self.app.push_screen(CommentScreen(stamp, replying_to), send)

    def action_newest_comments(self) -> None:
        self.query_one(CommentFeed).show_newest()

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

    # --- the comment feed: paging into history, and going to a comment's moment --------

    @on(CommentFeed.OlderWanted)
    def load_older(self) -> None:
        if not self.request(LoadOlderComments()):
            self.query_one(CommentFeed).paging_refused()

    @on(CommentFeed.NewestWanted)
    def load_newest(self) -> None:
        if not self.request(LoadNewestComments()):
            self.query_one(CommentFeed).paging_refused()

    @on(CommentFeed.CommentChosen)
    def go_to_comment(self, message: CommentFeed.CommentChosen) -> None:
        """The host (or anyone, with no host) seeks there; a follower sees where it is."""
        comment, room = message.comment, self.room
        pane = self.query_one(PlaybackPane)
        pane.marked_time = None
        if room is None:
            return
        moment = comment.video_timestamp
        if comment.is_system:
            self.notify("That is a room event: it has no moment in the video to go to.")
        elif moment is None:
            self.notify("That comment has no video time to go to.")
        elif room.may_control_playback:
            if self.request(SeekTo(moment)):
                self.notify(f"Seeking to {format_time(moment)}")
        else:
            where = format_time(room.playback.position)
            self.notify(f"That comment is at {format_time(moment)} (you are at {where})")
            pane.marked_time = moment

    @on(CommentFeed.ChoiceCleared)
    def clear_mark(self) -> None:
        self.query_one(PlaybackPane).marked_time = None

    # --- the queue ----------------------------------------------------------------------

    def action_toggle_queue(self) -> None:
        shown = not self.has_class("-queue")
        self.set_class(shown, "-queue")
        if shown:
            self.query_one(QueueView).focus()
        else:
            self.set_focus(None)

    @on(QueueView.CloseWanted)
    def close_queue(self) -> None:
        self.remove_class("-queue")
        self.set_focus(None)

    def action_next_item(self) -> None:
        self.request(NextItem())

    def action_previous_item(self) -> None:
        self.request(PreviousItem())

    def action_go_on(self) -> None:
        self.request(GoOnWithoutWaiting())

    @on(QueueView.Requested)
    def queue_requested(self, message: QueueView.Requested) -> None:
        self.request(message.intent)

    @on(QueueView.AddWanted)
    def add_to_queue(self) -> None:
        if self._refused(AddToQueue("probe")):
            return

        def add(item: NewItem | None) -> None:
            if item is not None:
                self.request(AddToQueue(item.source, item.title))

        self.app.push_screen(AddItemScreen(), add)

    def action_help(self) -> None:
        self.app.push_screen(HelpScreen(self.small_step_s, self.large_step_s))

    async def action_quit(self) -> None:
        await self.app.action_quit()
