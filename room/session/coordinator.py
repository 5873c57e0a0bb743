"""``RoomSession``: starts and stops the room's parts and routes what the link hears to them.

It holds no room logic of its own: each job lives in a component with its own state
(``roster``, ``host_role``, ``playback`` and ``following``, ``clock_sync``, ``comments``),
all sharing one ``RoomContext``. This module is the map of who reacts to what.
"""

from __future__ import annotations

import asyncio
import logging
import math
from collections.abc import Awaitable, Callable
from typing import Any, Protocol

from pydantic import ValidationError

from room import events
from room.controller import NoticeSink, StateSink
from room.intents import (
    QUEUE_INTENTS,
    ClaimHost,
    HandOverHost,
    Intent,
    LoadNewestComments,
    LoadOlderComments,
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
    refusal,
)
from room.link import LinkStatus
from room.notices import (
    NO_CHAPTERS,
    chapter_notice,
    format_offset,
    format_rate,
    no_chapter_notice,
)
from room.publisher import PresencePublisher
from room.queue.settings import RoomSettings
from room.roomdata import RoomData
from room.session.budget import BudgetSettings, RoomBudget, jitter
from room.session.clock_sync import ClockSyncer, new_estimator
from room.session.comments import Comments
from room.session.context import (
    Clock,
    MediaLoader,
    Notifier,
    Outbound,
    RoomContext,
    StateStore,
    SystemClock,
)
from room.session.following import HostFollowing
from room.session.host_role import HostChange, HostRole
from room.session.playback import LocalPlayback, MediaInfo, PlayerControls
from room.session.queue import ItemLoader, RoomQueue
from room.session.roster import Roster
from room.state import Connection, ConnectionStatus, RoomState
from room.sync.clock import ClockSync
from room.sync.lead import StartLead
from room.sync.sample import PlaybackSample
from room.sync.settings import SyncSettings
from room.tables import TableError
from room.timefmt import format_time
from room.wire import (
    CommentRow,
    HeartbeatEvent,
    HostChanged,
    HostRequested,
    MemberEvent,
    RoomRow,
    parse_broadcast,
)

log = logging.getLogger(__name__)

LEAVE_TIMEOUT_S = 2.0
"""How long leaving waits to remove our member row."""
JOIN_PING_FIELD = "sync_ping"
"""The field of our member_joined that carries our first clock ping (browsers ignore it)."""
JOIN_SENDS = 1.0
"""What joining sends at once: ``member_joined`` (our first heartbeat waits for a verdict)."""
WELCOME_FLOOR_S = 0.5
"""The host's anchors for newcomers go at most this often, however small the room."""


class SessionLink(Outbound, Protocol):
    """The room channel as the session runs it (``room.link.RoomLink`` fits)."""

    async def run(self) -> None: ...

    async def stop(self, farewell: Callable[[], Awaitable[None]] | None = None) -> None: ...


class RoomSession:
    """The ``RoomController`` the app runs, and the ``LinkListener`` of its room link."""

    def __init__(
        self,
        link_factory: Callable[[RoomSession], SessionLink],
        initial: RoomState,
        player: PlayerControls,
        *,
        sync_settings: SyncSettings | None = None,
        publisher: PresencePublisher | None = None,
        budget: BudgetSettings | None = None,
        claim_host: bool = False,
        notices: bool = True,
        data: RoomData | None = None,
        clock: Clock | None = None,
        room_settings: RoomSettings | None = None,
    ) -> None:
        self.link = link_factory(self)
        self.data = data
        """The room's tables (history, outbox, member and room rows); None: broadcasts only."""
        clock = clock or SystemClock()
        ctx = RoomContext(
            user_id=initial.self_user_id,
            username=initial.self_username,
            link=self.link,
            clock=clock,
            store=StateStore(initial),
            notices=Notifier(clock, enabled=notices),
        )
        self.ctx = ctx
        estimator = new_estimator(ctx.user_id)
        self.budget = RoomBudget(budget)
        self._joined_before = False
        self._welcome: asyncio.Task[None] | None = None
        self._welcomed_at_s = -math.inf
        self.host = HostRole(
            ctx,
            name_of=self._name_of,
            present=lambda: self.roster.present,
            on_change=self._host_changed,
            claim_host=claim_host,
        )
        lead = StartLead(sync_settings, present=lambda: self.roster.present)
        self.playback = LocalPlayback(
            ctx,
            player,
            self.host,
            estimator,
            self.budget,
            settings=sync_settings,
            data=data,
            lead=lead,
        )
        self.roster = Roster(
            ctx, self.playback, self.host, self.budget, publisher=publisher, data=data
        )
        # Members in sync are shown on the host's timeline: a re-anchor (the host's seek
        # landing late) left the list on the old line until its next redraw (a report, or
        # MEMBER_CLOCK_S, up to a second later).
        self.playback.on_new_timeline = self.roster.refresh
        self.following = HostFollowing(ctx, self.playback, self.host, name_of=self._name_of)
        self.clock_sync = ClockSyncer(
            ctx,
            self.host,
            estimator,
            self.budget,
            lead=lead,
            heartbeat_due=self.roster.heartbeat_due,
        )
        self.comments = Comments(ctx, self.playback, data)
        self.queue = RoomQueue(
            ctx,
            self.playback,
            self.host,
            self.roster,
            self.budget,
            self.comments,
            data=data,
            settings=room_settings,
        )
        self.roster.readiness = self.queue.own_readiness
        self.roster.riders = self.clock_sync.heartbeat_fields

    # --- what the app and the tests read -------------------------------------------------

    @property
    def state(self) -> RoomState:
        return self.ctx.store.state

    @property
    def host_user_id(self) -> str | None:
        return self.host.host_user_id

    @property
    def clock(self) -> ClockSync:
        """Our estimate of the host's clock."""
        return self.clock_sync.estimator

    @property
    def on_media_announced(self) -> MediaLoader | None:
        return self.following.on_media_announced

    @on_media_announced.setter
    def on_media_announced(self, load: MediaLoader | None) -> None:
        """Set by an app that opened no media itself: it loads the host's URL."""
        self.following.on_media_announced = load

    @property
    def item_loader(self) -> ItemLoader | None:
        return self.queue.loader

    @item_loader.setter
    def item_loader(self, load: ItemLoader | None) -> None:
        """Set by the app: how our player opens a queue item (paused at 0)."""
        self.queue.loader = load

    # --- RoomController -----------------------------------------------------------------

    async def start(self, on_state: StateSink, on_notice: NoticeSink) -> None:
        self.ctx.store.connect(on_state)
        self.ctx.notices.connect(on_notice)
        self.ctx.store.publish()
        for work in (
            self.link.run(),
            self.roster.run(),
            self.roster.run_member_clock(),
            self.clock_sync.run(),
            self.ctx.notices.run(),
            self.comments.run_outbox(),
        ):
            self.ctx.tasks.spawn(work)

    async def stop(self) -> None:
        async def farewell() -> None:
            await self.link.send(events.MEMBER_LEFT, self.ctx.member_payload())
            await self.roster.untrack_if_allowed()

        await self.link.stop(farewell)
        if self.data is not None:
            try:
                async with asyncio.timeout(LEAVE_TIMEOUT_S):
                    await self.data.leave()
            except (TimeoutError, TableError) as error:
                log.info("could not remove our member row: %s", error or "timed out")
        self.playback.stop()
        await self.ctx.tasks.cancel_all()

    async def submit(self, intent: Intent) -> None:
        reason = refusal(self.state, intent)
        if reason is not None:
            self.ctx.notices.notice(reason, force=True)
            return
        if isinstance(intent, TogglePlay):
            self.playback.toggle_play()
        elif isinstance(intent, SeekBy | SeekTo):
            self.playback.seek(intent)
        elif isinstance(intent, SetOffset):
            self.playback.set_offset(intent.offset_s)
            self.roster.refresh()
            self.ctx.notices.notice(f"Your offset: {format_offset(intent.offset_s)}", force=True)
        elif isinstance(intent, UndoSeek):
            target = self.playback.undo_seek()
            if target is None:
                self.ctx.notices.notice("There is no seek to undo.", force=True)
            else:
                self.ctx.notices.notice(f"Back to {format_time(target)}", force=True)
        elif isinstance(intent, SkipChapter):
            choice = self.playback.skip_chapter(intent.direction)
            chapters = self.playback.media.chapters
            if choice is None:
                text = no_chapter_notice(intent.direction) if chapters else NO_CHAPTERS
                self.ctx.notices.notice(text, force=True)
            else:
                self.ctx.notices.notice(chapter_notice(choice, chapters), force=True)
        elif isinstance(intent, SetSpeed | StepSpeed):
            rate = self.playback.set_speed(intent)
            if rate is not None:
                self.ctx.notices.notice(f"Speed {format_rate(rate)}", force=True)
        elif isinstance(intent, PostComment):
            await self.comments.post(intent)
        elif isinstance(intent, LoadOlderComments | LoadNewestComments):
            self.ctx.tasks.spawn(self.comments.page(older=isinstance(intent, LoadOlderComments)))
        elif isinstance(intent, ClaimHost):
            await self.host.set_host(self.ctx.user_id, announce=True)
        elif isinstance(intent, HandOverHost):
            await self.host.set_host(intent.user_id, announce=True)
        elif isinstance(intent, RequestHost):
            await self.host.request()
        elif isinstance(intent, QUEUE_INTENTS):
            await self.queue.submit(intent)

    # --- what the app feeds -------------------------------------------------------------

    def on_player_sample(self, sample: PlaybackSample, media: MediaInfo | None = None) -> None:
        """Feed every player state (on the event loop)."""
        self.playback.on_player_sample(sample, media)
        self.roster.note_own_state()
        self.queue.on_sample()

    def notice(self, text: str) -> None:
        """Tell the user something (throttled with the room's other notices)."""
        self.ctx.notices.notice(text, force=True)

    def resync(self) -> None:
        """Bring the player back onto the host's timeline (after it loaded new media)."""
        self.playback.resync()

    # --- LinkListener -------------------------------------------------------------------

    def on_status(self, status: LinkStatus) -> None:
        if status.status is not ConnectionStatus.CONNECTED:
            self.host.link_lost()
        store = self.ctx.store
        connection = Connection(
            status.status, status.detail, status.retry_in_s, store.state.connection.server
        )
        store.set(store.state.with_connection(connection))

    async def on_joined(self) -> None:
        if self.data is not None:
            self.data.joining()  # before anything that may write: see ``room.write_order``
        if self._joined_before:
            # Back after a lost connection: the room knows us already, so no new
            # member_joined; and the whole room may be coming back at once, so our first
            # report (and presence track) waits a moment spread over what the room's budget
            # can take, and the periodic heartbeat with it. The host comes back at once: the
            # room would elect another after HOST_GRACE_S.
            spread_s = self.budget.rejoin_spread()
            delay_s = 0.0 if self.host.is_host else jitter(spread_s)
            self.roster.rejoined(first_report_in_s=delay_s)
            self.host.joined()
            self.ctx.tasks.spawn(self._publish_after(delay_s))
        else:
            self.roster.rejoined()
            self.host.joined()
            self._joined_before = True
            await self.roster.arrive()
            joined: dict[str, Any] = dict(self.ctx.member_payload())
            if (ping := self.clock_sync.join_ping()) is not None:
                joined[JOIN_PING_FIELD] = ping
            await self.link.send(events.MEMBER_JOINED, joined)
            # The announcement went out regardless: it counts against our share, so the
            # clock pings that follow wait their turn in a big room.
            self.budget.charge(self.ctx.clock.monotonic_s(), JOIN_SENDS)
        if self.data is not None:
            self.ctx.tasks.spawn(self._load_tables())

    async def _load_tables(self) -> None:
        await self.comments.load(self.roster.member_row())
        await self.queue.load()  # after our member row: the queue is for members

    def on_presence(self, state: dict[str, list[dict[str, Any]]]) -> None:
        self.roster.on_presence(state)
        self.host.on_presence(self.roster.present)
        self.roster.refresh()
        self.roster.note_own_state()  # who hosts (if anyone) may settle our verdict
        for user_id in self.roster.present:
            self.queue.on_report(user_id)

    def on_postgres_change(self, payload: dict[str, Any]) -> None:
        data = payload.get("data")
        if not isinstance(data, dict):
            return
        table, kind, record = data.get("table"), data.get("type"), data.get("record")
        try:
            if table == "comments" and kind == "INSERT":
                self.comments.on_comment(CommentRow.model_validate(record))
            elif table == "rooms" and kind == "UPDATE":
                row = RoomRow.model_validate(record)
                self.following.on_room_row(row)
                self.queue.on_room_row(row)
            elif table == "queue_items":
                self.queue.on_change(kind, record, data.get("old_record"))
            else:  # room_members: presence and heartbeats already tell us who is here
                log.debug("%s %s", kind, table)
        except ValidationError as error:
            log.warning("dropped an invalid %s change on %s: %s", kind, table, error.errors()[:1])

    def on_broadcast(self, event: str, payload: object) -> None:
        self.budget.saw_broadcast(self.ctx.clock.monotonic_s())
        if event == events.SYNC_PING:
            self.clock_sync.on_ping(payload)
            return
        if event == events.SYNC_PONGS:
            self.clock_sync.on_pongs(payload)
            return
        if event in events.PLAYBACK_EVENTS:
            self.following.on_playback(event, payload)
            return
        if event == events.ITEM_CHANGE:
            change = self.queue.on_item_change(payload)
            if change is not None and change.sent_at is not None:
                self.following.note_host_action(change.user_id, change.sent_at)
            return
        model = parse_broadcast(event, payload)
        if isinstance(model, HeartbeatEvent):
            if model.user_id != self.ctx.user_id:
                self.clock_sync.on_heartbeat(model.user_id, payload)
                self.roster.on_heartbeat(model)
                self.host.consider_claim(model)
                self.queue.on_report(model.user_id)
        elif isinstance(model, MemberEvent):
            if model.user_id != self.ctx.user_id:
                self.roster.on_member_event(event, model)
                if event == events.MEMBER_JOINED and self.host.is_host:
                    if isinstance(payload, dict) and JOIN_PING_FIELD in payload:
                        self.clock_sync.on_join_ping(model.user_id, payload[JOIN_PING_FIELD])
                    self._welcome_newcomers()
        elif isinstance(model, CommentRow):
            self.comments.on_comment(model)
        elif isinstance(model, HostChanged):
            self.host.on_host_changed(model)
        elif isinstance(model, HostRequested):
            self.host.on_host_requested(model)

    # --- wiring between the parts -------------------------------------------------------

    def _welcome_newcomers(self) -> None:
        """Bring newcomers onto our timeline without waiting for a refresh: one anchor for
        all who arrive within the room's anchor interval (each reaches the whole room)."""
        if self._welcome is None or self._welcome.done():
            self._welcome = self.ctx.tasks.spawn(self._welcome_after_interval())

    async def _welcome_after_interval(self) -> None:
        clock = self.ctx.clock
        interval_s = self.budget.anchor_refresh_interval_s(WELCOME_FLOOR_S)
        wait_s = self._welcomed_at_s + interval_s - clock.monotonic_s()
        if wait_s > 0:
            await clock.sleep(wait_s)
        self._welcomed_at_s = clock.monotonic_s()
        await self.clock_sync.flush_join_pongs()  # first: the newcomers' clocks, then where
        await self.playback.announce_anchor()

    async def _publish_after(self, delay_s: float) -> None:
        await self.ctx.clock.sleep(delay_s)
        await self.roster.publish_now()

    def _name_of(self, user_id: str) -> str:
        return self.roster.name_of(user_id)

    async def _host_changed(self, change: HostChange) -> None:
        if change.user_id is None:  # the host vanished; someone else is being elected
            self.roster.refresh()
            return
        if change.announced and self.data is not None:
            # Written by whoever hands over or claims: the old host while it still is one,
            # which is what the rooms policy on Supabase lets through.
            self.ctx.tasks.spawn(self.playback.save_handover(change.user_id))
        if self.host.is_host and not change.was_host:
            await self.playback.take_over()
        if not self.host.is_host:
            self.clock_sync.reset(change.user_id)
        self.roster.refresh()
        if self.host.is_host != change.was_host:
            # Our own role changed: the room must hear it now. A follower who just learned
            # who hosts (every newcomer does) has nothing new to tell.
            await self.roster.publish_now()
