"""Who is in the room and how each stands: presence, heartbeats, and our own report.

What we publish is paced by the room's message budget (``room.session.budget``): the
periodic heartbeat keeps the web client's 3 s while the room is small and stretches as it
grows; a change in kind (sync state, buffering, host) goes out at once, coalesced, if the
budget has a send to spare. With sparse reports the member list extrapolates: a playing
member moves on from its last report, a member in sync is shown where the host is, and a
member not heard from for several heartbeats is shown as stale, not as out of sync.
"""

from __future__ import annotations

import asyncio
import logging
import zlib
from collections.abc import Callable
from dataclasses import replace
from typing import Any, Protocol

from room import events
from room.member_drift import OffReason
from room.members import merge_members, presence_members
from room.notices import joined_notice, left_notice
from room.publisher import Kind, PresencePublisher, as_news, kind, kind_of
from room.queue.waiting import Readiness
from room.roomdata import RoomData
from room.session.budget import (
    BUSY_STRETCH,
    KEPT_FOR_CHANGES,
    SLACK_SPREAD_S,
    RoomBudget,
    jitter,
)
from room.session.context import RoomContext, wait_for_event
from room.state import Member, SyncStatus
from room.tables import TableError
from room.wire import HeartbeatEvent, MemberEvent, PresenceFields

log = logging.getLogger(__name__)

COALESCE_S = 0.25
"""A change in kind waits this long for the changes that come with it (one send for all)."""
VERDICT_SETTLE_S = 2.5
"""A change of sync verdict alone (in sync to off, or back) is told once it has held this
long. A hiccup the engine corrects in a report or two flips a verdict off and on; when it
hits a whole room at once (the host's stream stalls, a loaded machine) every member telling
both flips cost a room of 50 over 5000 messages in two seconds, most of a Free project's
minute. Buffering and the host's role are told at once."""
CHANGE_RETRY_S = 1.0
"""A change the budget held back looks again this often (the room's unused part may free)."""
BUSY_RETRY_S = 1.0
"""A heartbeat giving way to a busy room looks again at least this often."""
BUSY_SPREAD_S = 0.25
"""... and within this after the room's minute should have room for it."""
PHASE_SPREAD = 0.4
"""A member's second heartbeat comes up to this part of an interval late (see ``publish``);
with ``BUSY_STRETCH`` and ``INTERVAL_SPREAD`` that stays inside the lists' overdue mark of
2.5 intervals (1.05 x 1.8 + 0.4 = 2.29)."""
MIN_WAIT_S = 0.01
"""The shortest wait between two looks, so rounding never makes the loop spin."""
MEMBER_CLOCK_S = 1.0
"""How often the member list is redrawn between reports (positions move, reports age)."""
INTERVAL_SPREAD = 0.05
"""Each member's routine heartbeat interval is up to this much longer than the budget's,
by a share fixed by its user id, so that members whose heartbeats once went together (a
host action tells every verdict at once) drift apart again instead of reporting in one
burst an interval later, for ever."""


class OwnPlayback(Protocol):
    """What the roster reports of our own player, and where it believes the host is."""

    def position_now(self) -> float | None: ...

    @property
    def is_playing(self) -> bool: ...

    @property
    def buffering(self) -> bool: ...

    def is_synced(self) -> bool | None:
        """True, False, or None while there is nothing to follow yet."""
        ...

    def drift_ms(self) -> float | None:
        """Our drift from the host as last measured, for the member list."""
        ...

    def off_reason(self, *, cant_play: bool = False) -> OffReason | None:
        """Why we are off the host's timeline, if we are (``cant_play``: the queue's item
        would not open here)."""
        ...

    @property
    def offset_s(self) -> float:
        """How far ahead of the host's timeline we keep our player."""
        ...

    def host_timeline(self) -> tuple[float, bool] | None:
        """(the host's position now, whether it plays), or None while unknown."""
        ...

    @property
    def host_action_wall_ms(self) -> int | None:
        """When the host last played, paused or seeked (wall ms), None before any."""
        ...


class HostView(Protocol):
    @property
    def host_user_id(self) -> str | None: ...

    @property
    def host_since(self) -> int: ...

    @property
    def is_host(self) -> bool: ...


class Roster:
    """Merges presence (who is here) with heartbeats (fresh positions) for the member list,
    and publishes our own state: heartbeats as the budget paces them, presence as the
    publisher and the room's presence share allow, and our member row with the tables."""

    def __init__(
        self,
        ctx: RoomContext,
        playback: OwnPlayback,
        host: HostView,
        budget: RoomBudget,
        *,
        publisher: PresencePublisher | None = None,
        data: RoomData | None = None,
    ) -> None:
        self.ctx = ctx
        self.budget = budget
        self.publisher = publisher or PresencePublisher()
        self.present: dict[str, PresenceFields] = {}
        self.heartbeats: dict[str, HeartbeatEvent] = {}
        self._playback = playback
        self._host = host
        self._data = data
        self._member_order: list[str] = []
        self._sent_kind: Kind | None = None
        self._last_beat_s = ctx.clock.monotonic_s()
        self._phase_s = 0.0
        """How much later than an interval after it our next routine heartbeat goes."""
        self._interval_share = 1 + INTERVAL_SPREAD * zlib.crc32(ctx.user_id.encode()) / 2**32
        self._changed = asyncio.Event()
        self._change_seen_s: float | None = None
        self._slack_at_s: float | None = None
        """When our held change may look at the room's slack (spread: see SLACK_SPREAD_S)."""
        self._fresh_join = True
        self._listening_since_ms = ctx.clock.wall_ms()
        """Since when we have been in the room to hear reports (this join's start)."""
        self.readiness: Callable[[], tuple[Readiness | None, str | None]] = lambda: (None, None)
        """Our readiness for the queue's current item and its id (set by the queue)."""
        self.riders: Callable[[], dict[str, object]] = dict
        """Fields that ride on our next heartbeat, asked for just before it goes (the clock
        sync's ping or pongs: they cost no message of their own)."""
        self._sent_readiness: tuple[Readiness | None, str | None] = (None, None)

    # --- what the room tells us ---------------------------------------------------------

    def on_presence(self, state: dict[str, list[dict[str, Any]]]) -> None:
        self.present = presence_members(state)
        now = self.ctx.clock.monotonic_s()
        self.budget.set_room_size(self.room_size, now)
        if self._fresh_join:  # the state the server sends on joining is no change
            self._fresh_join = False
        else:
            self.budget.saw_presence_change(now)

    @property
    def room_size(self) -> int:
        return len(self.present.keys() | {self.ctx.user_id})

    def on_heartbeat(self, beat: HeartbeatEvent) -> None:
        self.heartbeats[beat.user_id] = beat
        if beat.user_id in self.present:  # a heartbeat is no proof of presence
            self.refresh()

    def on_member_event(self, event: str, model: MemberEvent) -> None:
        if event == events.MEMBER_JOINED:
            self.ctx.notices.notice(joined_notice(model.username))
        else:
            self.ctx.notices.notice(left_notice(model.username))
            self.heartbeats.pop(model.user_id, None)

    def name_of(self, user_id: str) -> str:
        if user_id == self.ctx.user_id:
            return self.ctx.username
        fields = self.present.get(user_id)
        return fields.username if fields and fields.username else user_id

    # --- what we publish ----------------------------------------------------------------

    def own_fields(self) -> PresenceFields:
        host = self._host
        position = self._playback.position_now()
        readiness, item_id = self.readiness()
        return PresenceFields(
            user_id=self.ctx.user_id,
            username=self.ctx.username,
            current_time=position if position is not None else 0.0,
            is_playing=self._playback.is_playing,
            last_update=self.ctx.clock.wall_ms(),
            is_host=host.is_host,
            host_since=host.host_since if host.is_host else None,
            is_synced=self._playback.is_synced(),
            buffering=self._playback.buffering,
            drift_ms=self._playback.drift_ms(),
            off_reason=self._playback.off_reason(cant_play=readiness is Readiness.CANT_PLAY),
            offset_s=self._playback.offset_s or None,
            readiness=readiness,
            item_id=item_id,
        )

    def note_own_state(self, *, waited_for: bool = False) -> None:
        """Our player moved on: if our state changed in kind, the room should hear soon.

        ``waited_for``: the room is waiting for this news (we are ready for the queue's
        item), so it skips the coalescing wait; it still needs the budget's leave."""
        if self._kind_unsent():
            if waited_for:
                self._change_seen_s = self.ctx.clock.monotonic_s() - COALESCE_S
            self._changed.set()
        else:  # undone before it was told: a new change waits its own settling time
            self._change_seen_s = self._slack_at_s = None

    def member_row(self) -> dict[str, Any]:
        """Our ``room_members`` row (the table's own columns)."""
        fields = self.own_fields()
        return {
            "username": self.ctx.username,
            "is_host": fields.is_host,
            "is_synced": bool(fields.is_synced) if fields.is_synced is not None else True,
            "current_time": fields.current_time,
        }

    def rejoined(self, first_report_in_s: float = 0.0) -> None:
        """A new join; its own first report goes in ``first_report_in_s`` (the session sends
        it), and the periodic heartbeat (which would re-track presence too) not before."""
        self.publisher.rejoined()
        self._fresh_join = True
        self._last_beat_s = self.ctx.clock.monotonic_s() + first_report_in_s
        self._listening_since_ms = self.ctx.clock.wall_ms()

    async def publish(self) -> None:
        """A heartbeat broadcast, and presence too when the publisher says so."""
        fields = self.own_fields()
        link = self.ctx.link
        now = self.ctx.clock.monotonic_s()
        self._last_beat_s = now  # offline too: the next try waits a whole interval
        if not link.is_joined:
            return
        # Our first report sets our heartbeat's phase for the rest of the party. The host
        # answers newcomers' clocks in batches and their first verdicts go together, so each
        # puts its next beat off by a random part of an interval (later, not sooner: a
        # gathering room is at its busiest): members who beat in the same instant also tell a
        # hiccup that hits them all at once together.
        first = self._sent_kind is None
        self._phase_s = jitter(self._interval_s() * PHASE_SPREAD) if first else 0.0
        self._sent_kind = kind_of(fields)
        self._sent_readiness = (fields.readiness, fields.item_id)
        payload = {**fields.model_dump(), "is_synced": bool(fields.is_synced)}
        await link.send(events.HEARTBEAT, {**self.riders(), **payload})
        await self._track_if_due(fields, now)

    async def arrive(self) -> None:
        """A first join: presence only. Our first heartbeat waits for news to put in it (a
        first sync verdict, a second or so away once the host's welcome arrives): sent at
        once, it would tell every list "not in sync" and be followed by the verdict, two
        broadcasts to the whole room per arrival where one does (the announcement, sent
        beside this, says we are here)."""
        if self.ctx.link.is_joined:
            await self._track_if_due(self.own_fields(), self.ctx.clock.monotonic_s())

    async def _track_if_due(self, fields: PresenceFields, now: float) -> None:
        if self.publisher.should_track(
            fields,
            now,
            refresh_s=self.budget.presence_interval_s,
            room_allows=self.budget.may_track(now),
        ):
            await self.ctx.link.track(fields.model_dump())

    async def publish_now(self) -> None:
        """Publish a change that must not wait (the host changed): it still counts."""
        self.budget.try_send(self.ctx.clock.monotonic_s())
        await self.publish()

    async def untrack_if_allowed(self) -> None:
        """On leaving: leaving the channel drops our presence anyway; an untrack past the
        budget would only get the channel closed under us (Supabase counts untracks too)."""
        if self.publisher.budget.try_spend(self.ctx.clock.monotonic_s()):
            await self.ctx.link.untrack()

    async def beat(self) -> None:
        """One round of the heartbeat: publish, save our member row, redraw the list."""
        try:
            await self.publish()
            if self._data is not None and self.ctx.link.is_joined:
                await self._data.save_member(self.member_row())
        except TableError as error:
            log.info("%s", error)
        except Exception:
            log.exception("heartbeat failed (will try again)")
        self.refresh()

    def _kind_now(self) -> Kind:
        return kind(self._host.is_host, self._playback.is_synced(), self._playback.buffering)

    def _news_kind(self) -> Kind:
        """Our kind as news for the room (``as_news``: a verdict is none while we buffer)."""
        now, sent = self._kind_now(), self._sent_kind
        return now if sent is None else as_news(sent, now)

    def _kind_unsent(self) -> bool:
        """Our state differs in kind from what the room last heard from us (before our first
        heartbeat: we have news for the room's lists, a sync verdict, a buffering spell, the
        host's role, or an item we are still loading or cannot play; being ready is what a
        newcomer is taken to be, and its verdict follows a moment later)."""
        if self._sent_kind is None:
            is_host, synced, buffering = self._kind_now()
            readiness, _ = self.readiness()
            held_up = readiness not in (None, Readiness.READY)
            return is_host or synced is not None or buffering or held_up
        return self._news_kind() != self._sent_kind or self.readiness() != self._sent_readiness

    def _only_verdict_changed(self) -> bool:
        """All that changed since we last told the room is a sync verdict it already had
        (a first verdict is news: the room has none yet)."""
        sent, now = self._sent_kind, self._news_kind()
        if sent is None or sent[1] is None or now[1] is None:
            return False
        same_readiness = self.readiness() == self._sent_readiness
        return (sent[0], sent[2]) == (now[0], now[2]) and same_readiness

    async def run(self) -> None:
        """Heartbeat every interval the budget sets; a change in kind goes soon after it
        happens (coalesced), and one the budget holds back waits its turn, not for the next
        heartbeat (17 s away in a room of 25, by when a buffering spell was over and no list
        ever showed it)."""
        clock = self.ctx.clock
        while True:
            now = clock.monotonic_s()
            beat_at = self._beat_due_s()
            change_at = self._change_due_s(now)
            if change_at is not None and change_at <= now:
                if self.budget.try_send_change(now):
                    await self.beat()
                    continue
                if self._slack_at_s is None:
                    self._slack_at_s = now + jitter(SLACK_SPREAD_S)
                if now >= self._slack_at_s and self.budget.try_send_on_slack(now):
                    await self.beat()
                    continue
                slack_in = self._slack_at_s - now if self._slack_at_s > now else CHANGE_RETRY_S
                retry_in = min(CHANGE_RETRY_S, slack_in, self.budget.change_wait_s(now))
                change_at = now + max(MIN_WAIT_S, retry_in)
                beat_at = max(beat_at, change_at)  # a heartbeat now could not be paid either
            elif beat_at <= now:
                give_way_s = self._give_way_s(now)
                if give_way_s > 0:
                    beat_at = now + max(MIN_WAIT_S, give_way_s)
                elif self._send_routine(now):
                    await self.beat()
                    continue
                else:
                    wait_s = self.budget.send_wait_s(now, keep=KEPT_FOR_CHANGES)
                    beat_at = now + max(MIN_WAIT_S, wait_s)
            if change_at is not None:  # known already: no sample can bring it sooner
                await clock.sleep(max(MIN_WAIT_S, min(beat_at, change_at) - now))
                continue
            self._changed.clear()
            await wait_for_event(clock, self._changed, beat_at - now)

    def _give_way_s(self, now_s: float) -> float:
        """How long a routine heartbeat waits for a busy room (0: it need not): until the
        room's last minute has room for it again, at most until it is ``BUSY_STRETCH`` of an
        interval late. Everyone in the room sees the same minute and would look again at the
        same instant, so each looks a little after it (``BUSY_SPREAD_S``), and the first to
        send makes the room busy again for the rest."""
        latest_s = self._stretched_s()
        if now_s >= latest_s:
            return 0.0
        busy_for_s = self.budget.room_busy_for_s(now_s)
        if busy_for_s <= 0:
            return 0.0
        return min(latest_s - now_s, BUSY_RETRY_S, busy_for_s + jitter(BUSY_SPREAD_S))

    def _send_routine(self, now_s: float) -> bool:
        """Pay for a routine heartbeat from our bucket, keeping a send for changes. (Letting
        a heartbeat late past its stretch spend that send, or borrow as a change does, left a
        member whose changes had spent its bucket, buffering on and off, to tell its next
        change on the room's slack 2 s later, or not within the room_scale run at all.)"""
        return self.budget.try_send(now_s, keep=KEPT_FOR_CHANGES)

    def heartbeat_due(self) -> bool:
        """Our routine heartbeat is due and has not gone yet (the budget or a busy room holds
        it): a clock ping due meanwhile waits to ride on it."""
        return self.ctx.clock.monotonic_s() >= self._beat_due_s()

    def _beat_due_s(self) -> float:
        """When our next routine heartbeat is due."""
        return self._last_beat_s + self._interval_s() + self._phase_s

    def _stretched_s(self) -> float:
        """When a routine heartbeat stops giving way to a busy room."""
        return self._beat_due_s() + self._interval_s() * BUSY_STRETCH

    def _interval_s(self) -> float:
        """Our routine heartbeat's interval: the budget's, up to ``INTERVAL_SPREAD`` longer."""
        return self.budget.heartbeat_interval_s * self._interval_share

    def _change_due_s(self, now_s: float) -> float | None:
        """When our untold change in kind may go (None when there is none): once it has
        coalesced, and not before a rejoin's spread first report, which tells it."""
        if not self._kind_unsent() or not self.ctx.link.is_joined:
            self._change_seen_s = self._slack_at_s = None
            return None
        if self._change_seen_s is None:
            self._change_seen_s = now_s
        settle_s = VERDICT_SETTLE_S if self._only_verdict_changed() else COALESCE_S
        return max(self._change_seen_s, self._last_beat_s) + settle_s

    async def run_member_clock(self) -> None:
        """Keep the list's positions moving and its stale marks true between reports."""
        while True:
            await self.ctx.clock.sleep(MEMBER_CLOCK_S)
            if len(self.present) > 1:
                self.refresh()

    def refresh(self) -> None:
        """Redraw the member list."""
        present = dict(self.present)
        present[self.ctx.user_id] = self.own_fields()
        members = merge_members(
            present, self.heartbeats, self._host.host_user_id, self._member_order
        )
        now_ms = self.ctx.clock.wall_ms()
        shown = tuple(self._as_seen(member, now_ms) for member in members)
        store = self.ctx.store
        store.set(replace(store.state, members=shown, members_as_of_ms=now_ms))

    def _as_seen(self, member: Member, now_ms: int) -> Member:
        if member.user_id == self.ctx.user_id:
            return member
        # Overdue counts from when we could have heard the member's last report: presence
        # hands a newcomer (or a member back from a lost link) reports a minute old in a
        # big room, and the member's next heartbeat is simply not due yet.
        heard_since_ms = max(member.last_update_ms or 0, self._listening_since_ms)
        if member.last_update_ms is not None and now_ms - heard_since_ms > (
            self.budget.overdue_after_s * 1000
        ):
            return replace(member, sync=SyncStatus.STALE)
        timeline = self._playback.host_timeline()
        # A follower follows the host's play, pause and seek: a report from before the
        # host's latest one says where it was, not where it is (it reports again when its
        # state changes in kind, and a big room's heartbeats are a minute apart).
        acted_ms = self._playback.host_action_wall_ms
        followed = (
            acted_ms is not None
            and member.last_update_ms is not None
            and member.last_update_ms < acted_ms
            and member.sync is not SyncStatus.BUFFERING
        )
        # A report with no verdict was made on joining, before the member had a timeline to
        # follow (presence keeps it until the member's next routine re-track, a minute or
        # more in a big room): it is following the host's now, as every newcomer does. Its
        # status stays unknown; only its position is the host's, not "paused at 0:00".
        joining = (
            member.sync is SyncStatus.UNKNOWN
            and member.off_reason is None
            and member.readiness in (None, Readiness.READY)
            and member.user_id in self.present
        )
        followed = followed or joining
        on_hosts_timeline = member.is_host or member.sync is SyncStatus.SYNCED or followed
        if timeline is None or self._host.host_user_id is None or not on_hosts_timeline:
            return member
        position, playing = timeline
        return replace(member, current_time=position, is_playing=playing, last_update_ms=now_ms)
