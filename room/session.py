"""A live room: the channel, the player and the sync engine, wired together.

``RoomSession`` is the ``RoomController`` the app runs. It hears the room through a
``RoomLink``, keeps the ``RoomState`` the panes draw, drives the local player through the
sync engine (as a follower) or publishes anchors from it (as the host), and carries out the
user's intents. It knows no Textual and no mpv: the app feeds it player samples and gives
it ``PlayerControls``.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import math
import time
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from typing import Any, Protocol

from pydantic import ValidationError

from room.controller import NoticeSink, StateSink
from room.intents import (
    ClaimHost,
    HandOverHost,
    Intent,
    LoadNewestComments,
    LoadOlderComments,
    PostComment,
    RequestHost,
    SeekBy,
    SeekTo,
    TogglePlay,
    refusal,
)
from room.link import LinkStatus, RoomLink
from room.members import elect_host, merge_members, presence_members
from room.notices import (
    NoticeThrottle,
    comment_notice,
    joined_notice,
    left_notice,
    playback_notice,
)
from room.publisher import PresencePublisher
from room.roomdata import RETRY_S, RoomData
from room.state import Comment, Connection, ConnectionStatus, Playback, RoomState
from room.sync.anchor import Anchor
from room.sync.clock import EVENT_PING, ClockSync, SyncPing, SyncPong, answer_ping
from room.sync.driver import DecisionDriver, PlaybackControls
from room.sync.follower import Follower
from room.sync.host import AnchorUpdate, HostAnchorPublisher
from room.sync.policy import Decision
from room.sync.sample import PlaybackSample
from room.sync.settings import SyncSettings
from room.sync.wire import EVENT_ANCHOR
from room.tables import CommentPage, TableError
from room.text import clean_name
from room.timefmt import format_time
from room.wire import (
    CommentRow,
    HeartbeatEvent,
    HostChanged,
    HostRequested,
    MemberEvent,
    PlaybackEvent,
    PresenceFields,
    RoomRow,
    parse_broadcast,
)

log = logging.getLogger(__name__)

PLAY_LEAD_MS = 250.0
"""A host's play is scheduled this far ahead, so followers get it before the frame starts."""
STATE_PUBLISH_INTERVAL_S = 0.25
"""The panes are refreshed from player samples at most this often."""
EVENT_PONGS = "sync_pongs"
"""The host's batched answers to clock pings (ours; browsers ignore it)."""
PONG_BATCH_S = 0.25
MAX_PONGS_PER_BATCH = 200
MEDIA_LENGTH_TOLERANCE_S = 1.0
HOST_GRACE_S = 10.0
"""How long a vanished host has to come back before the room elects a new one."""
ROOM_ROW_TOLERANCE_S = 0.05
"""A ``rooms`` UPDATE whose position is this close to the anchor we follow repeats it."""
MAX_COMMENT_CHARS = 2000
"""The ``comments.message`` limit (docs/data.md)."""


def monotonic_ms() -> float:
    return time.monotonic() * 1000


def wall_ms() -> int:
    return int(time.time() * 1000)


class PlayerControls(PlaybackControls, Protocol):
    """What the session commands on the local player (``player.MpvPlayer`` fits)."""

    def seek(self, position: float) -> None: ...


@dataclass(frozen=True)
class MediaInfo:
    title: str | None = None
    duration: float | None = None
    url: str | None = None
    """Set when the media is an http(s) URL: the host announces it to the room."""


class RoomSession:
    def __init__(
        self,
        link_factory: Callable[[RoomSession], RoomLink],
        initial: RoomState,
        player: PlayerControls,
        *,
        sync_settings: SyncSettings | None = None,
        publisher: PresencePublisher | None = None,
        heartbeat_s: float = 3.0,
        claim_host: bool = False,
        notices: bool = True,
        data: RoomData | None = None,
    ) -> None:
        self.state = initial
        self.user_id = initial.self_user_id
        self.username = initial.self_username
        self.player = player
        self.driver = DecisionDriver(player, monotonic_ms)
        self.sync_settings = sync_settings or SyncSettings()
        # Pings are broadcasts that reach every member: warm up gently, then refresh rarely.
        self.clock = ClockSync(
            self.user_id,
            "",
            warmup_samples=3,
            warmup_interval_ms=1000.0,
            refresh_interval_ms=60_000.0,
        )
        self.follower = Follower(self.sync_settings, self.clock)
        self.anchors = HostAnchorPublisher(self.sync_settings, first_seq=wall_ms())
        self.publisher = publisher or PresencePublisher()
        self.heartbeat_s = heartbeat_s
        self.claim_host = claim_host
        self.notices_enabled = notices
        self.host_user_id: str | None = None
        self.host_since: int = 0
        """When the current host took the role (ms since the epoch): newer claims win."""
        self.present: dict[str, PresenceFields] = {}
        self.heartbeats: dict[str, HeartbeatEvent] = {}
        self._member_order: list[str] = []
        self._sample: PlaybackSample | None = None
        self._media = MediaInfo()
        self._throttle = NoticeThrottle()
        self._on_state: StateSink = lambda state: None
        self._on_notice: NoticeSink = lambda text: None
        self._tasks: list[asyncio.Task[None]] = []
        self._last_state_publish = 0.0
        self._seen_presence = asyncio.Event()
        self._election: asyncio.Task[None] | None = None
        self._pings: list[tuple[SyncPing, float]] = []
        self._sampled = asyncio.Event()
        self._warned_media = False
        self._announced_url: str | None = None
        self.on_media_announced: Callable[[str], Awaitable[None]] | None = None
        """Set by an app that opened no media itself: it loads the host's URL."""
        self.data = data
        """The room's tables (history, outbox, member and room rows); None: broadcasts only."""
        self._outbox_kick = asyncio.Event()
        self._host_action_at: tuple[str, int] | None = None
        """(host, ``sent_at``) of the newest host action applied: older room rows are stale."""
        self._paging = False
        self.link = link_factory(self)

    # --- RoomController -----------------------------------------------------------------

    async def start(self, on_state: StateSink, on_notice: NoticeSink) -> None:
        self._on_state, self._on_notice = on_state, on_notice
        self._publish_state()
        for work in (
            self.link.run(),
            self._heartbeat_loop(),
            self._clock_loop(),
            self._notice_loop(),
            self._outbox_loop(),
        ):
            self._tasks.append(asyncio.create_task(work))

    async def stop(self) -> None:
        async def farewell() -> None:
            await self.link.send("member_left", self._member_payload())
            # Leaving the channel drops our presence anyway; an untrack past the budget would
            # only get the channel closed under us (Supabase counts untracks too).
            if self.publisher.budget.try_spend(time.monotonic()):
                await self.link.untrack()

        await self.link.stop(farewell)
        if self.data is not None:
            try:
                async with asyncio.timeout(2.0):
                    await self.data.leave()
            except (TimeoutError, TableError) as error:
                log.info("could not remove our member row: %s", error or "timed out")
        self.driver.cancel()
        tasks, self._tasks = list(self._tasks), []  # done-callbacks edit the list as we wait
        for task in tasks:
            task.cancel()
        for task in tasks:
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task

    async def submit(self, intent: Intent) -> None:
        reason = refusal(self.state, intent)
        if reason is not None:
            self._notice(reason, force=True)
            return
        if isinstance(intent, TogglePlay):
            self._toggle_play()
        elif isinstance(intent, SeekBy | SeekTo):
            self._seek(intent)
        elif isinstance(intent, PostComment):
            await self._post_comment(intent)
        elif isinstance(intent, LoadOlderComments | LoadNewestComments):
            self._spawn(self._page_comments(older=isinstance(intent, LoadOlderComments)))
        elif isinstance(intent, ClaimHost):
            await self._set_host(self.user_id, announce=True)
        elif isinstance(intent, HandOverHost):
            await self._set_host(intent.user_id, announce=True)
        elif isinstance(intent, RequestHost):
            await self.link.send(
                "host_request", {"user_id": self.user_id, "username": self.username}
            )
            self._notice("Asked the host for the role.", force=True)

    # --- the player --------------------------------------------------------------------

    @property
    def is_host(self) -> bool:
        return self.host_user_id == self.user_id

    @property
    def drives_playback(self) -> bool:
        """Our player is the reference: we host, or nobody does and we act for ourselves."""
        return self.host_user_id is None or self.is_host

    def on_player_sample(self, sample: PlaybackSample, media: MediaInfo | None = None) -> None:
        """Feed every player state (on the event loop)."""
        self._sample = sample
        self._sampled.set()
        if media is not None:
            self._media = media
        now = monotonic_ms()
        if self.is_host:
            update = self.anchors.on_player_state(sample, now)
            if update is not None:
                self._spawn(self._send_anchor(update))
        else:
            reaction = self.follower.on_player_state(sample, now)
            self.driver.apply(reaction.decision)
        self._refresh_playback(force=False)

    def _toggle_play(self) -> None:
        sample = self._sample
        if sample is None:
            return
        if self.is_host and self.driver.busy:
            # Our own scheduled start hasn't come yet: followers already have it, so let it
            # happen and pause right after, which they follow as a normal pause.
            self._spawn(self._pause_after_start())
            return
        if sample.paused:
            now = monotonic_ms()
            if self.is_host:
                update = self.anchors.plan_play(sample, now, PLAY_LEAD_MS)
                self.driver.apply(Decision(resume_at_ms=now + PLAY_LEAD_MS, reason="host play"))
                self._spawn(self._send_anchor(update))
            else:  # no host: play now and tell the room, as the web client does
                self.player.play()
                self._spawn(self._send_plain("play", sample.position_at(now)))
        else:
            self.player.pause()  # the host's anchor publisher sees it and announces it
            if not self.is_host:
                self._spawn(self._send_plain("pause", sample.position_at(monotonic_ms())))

    async def _pause_after_start(self) -> None:
        await self.driver.settled()
        # Pause only once the player has been seen playing, so the room sees play, then pause.
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(2.0):
                while self._sample is None or self._sample.paused:
                    self._sampled.clear()
                    await self._sampled.wait()
        self.player.pause()

    def _seek(self, intent: SeekBy | SeekTo) -> None:
        sample = self._sample
        if sample is None:
            return
        now_position = sample.position_at(monotonic_ms())
        target = now_position + intent.seconds if isinstance(intent, SeekBy) else intent.position
        if self._media.duration:
            target = min(target, self._media.duration)
        target = max(0.0, target)
        self.player.seek(target)
        if not self.is_host:
            self._spawn(self._send_plain("seek", target))

    async def _send_anchor(self, update: AnchorUpdate) -> None:
        sent_at = wall_ms()
        payload = {
            **self._member_payload(),
            **update.anchor.model_dump(),
            "duration": self._media.duration,
            "media": self._media.title,
            "media_url": self._media.url,
            "sent_at": sent_at,
        }
        await self.link.send(update.event, payload)
        if update.event != EVENT_ANCHOR:
            await self._save_room(
                self.host_user_id, update.anchor.current_time, update.anchor.is_playing, sent_at
            )

    async def _send_plain(self, event: str, position: float) -> None:
        await self.link.send(event, {**self._member_payload(), "current_time": position})

    # --- LinkListener -------------------------------------------------------------------

    def on_status(self, status: LinkStatus) -> None:
        if status.status is not ConnectionStatus.CONNECTED and self._election is not None:
            self._election.cancel()  # who left is unknowable while we are away ourselves
        connection = Connection(
            status.status, status.detail, status.retry_in_s, self.state.connection.server
        )
        self.state = self.state.with_connection(connection)
        self._publish_state()

    async def on_joined(self) -> None:
        self.publisher.rejoined()
        self._seen_presence.clear()
        await self._publish_presence()
        await self.link.send("member_joined", self._member_payload())
        if self.claim_host:
            self._spawn(self._claim_when_no_host())
        if self.data is not None:
            self._spawn(self._load_room_data(self.data))

    def on_presence(self, state: dict[str, list[dict[str, Any]]]) -> None:
        self.present = presence_members(state)
        self._seen_presence.set()
        for fields in self.present.values():
            self._consider_host_claim(fields)
        host = self.host_user_id
        pending = self._election is not None and not self._election.done()
        if host is not None and host != self.user_id and host not in self.present and not pending:
            self._election = asyncio.get_running_loop().create_task(
                self._elect_unless_host_returns(host)
            )
            self._tasks.append(self._election)
        self._refresh_members()

    def on_postgres_change(self, payload: dict[str, Any]) -> None:
        data = payload.get("data")
        if not isinstance(data, dict):
            return
        table, kind, record = data.get("table"), data.get("type"), data.get("record")
        try:
            if table == "comments" and kind == "INSERT":
                self._on_comment(CommentRow.model_validate(record))
            elif table == "rooms" and kind == "UPDATE":
                self._on_room_row(RoomRow.model_validate(record))
            else:  # room_members: presence and heartbeats already tell us who is here
                log.debug("%s %s", kind, table)
        except ValidationError as error:
            log.warning("dropped an invalid %s change on %s: %s", kind, table, error.errors()[:1])

    def on_broadcast(self, event: str, payload: object) -> None:
        if event == EVENT_PING:
            self._answer_ping(payload)
        elif event == EVENT_PONGS:
            self._take_pongs(payload)
        elif event in ("play", "pause", "seek", EVENT_ANCHOR):
            self._on_playback(event, payload)
        else:
            model = parse_broadcast(event, payload)
            if isinstance(model, HeartbeatEvent):
                self._on_heartbeat(model)
            elif isinstance(model, MemberEvent):
                self._on_member_event(event, model)
            elif isinstance(model, CommentRow):
                self._on_comment(model)
            elif isinstance(model, HostChanged):
                since = model.since if model.since is not None else wall_ms()
                self._spawn(self._set_host(model.user_id, announce=False, since=since))
            elif (
                isinstance(model, HostRequested) and self.is_host and model.user_id != self.user_id
            ):
                self._notice(
                    f"{clean_name(model.username)} asks for the host role: press h to hand it over."
                )

    def _on_playback(self, event: str, payload: object) -> None:
        model = parse_broadcast("seek", payload)  # play/pause/seek/sync_anchor share a shape
        if not isinstance(model, PlaybackEvent) or model.user_id == self.user_id:
            return
        if self.host_user_id is not None and model.user_id != self.host_user_id:
            log.info("ignored %s from %s: %s is the host", event, model.user_id, self.host_user_id)
            return
        if self.is_host:
            return
        if model.sent_at is not None:
            last = self._host_action_at
            if last is None or last[0] != model.user_id or model.sent_at > last[1]:
                self._host_action_at = (model.user_id, model.sent_at)
        now = monotonic_ms()
        anchor = self._anchor_from(event, model, now)
        if anchor is None:
            return
        host_action = event != EVENT_ANCHOR
        self.driver.apply(self.follower.on_anchor(anchor, now, host_action=host_action))
        if event != EVENT_ANCHOR:
            self._notice(playback_notice(event, model.username, model.current_time))
        self._take_media_url(model)
        self._check_same_media(model)
        self._refresh_playback(force=True)

    def _on_room_row(self, row: RoomRow) -> None:
        """The web client syncs from ``rooms`` UPDATEs; so do we, once per host action.

        The host's broadcast usually comes first and is more precise (it carries the anchor's
        clock). An UPDATE is dropped when it is the row written for a broadcast already
        applied, or an older one (our hosts stamp both with the same ``sent_at``), or when it
        says what the anchor we follow already says (a web host's broadcast, then its row).
        The rest (a host that only writes the table, a broadcast we missed) is applied like
        a browser's command.
        """
        host = row.host_user_id
        if host is None or host == self.user_id or self.is_host:
            return
        last = self._host_action_at
        written = round(row.updated_at.timestamp() * 1000) if row.updated_at else None
        if last is not None and last[0] == host and written is not None and written <= last[1]:
            log.debug("room row dropped (stale) written=%s last=%s", written, last)
            return
        anchor = self.follower.anchor
        if (
            anchor is not None
            and anchor.is_playing == row.is_playing
            and abs(anchor.current_time - row.current_time) <= ROOM_ROW_TOLERANCE_S
        ):
            return
        log.debug("room row applied: %s last=%s written=%s anchor=%s", row, last, written, anchor)
        event = "play" if row.is_playing else "pause"
        payload = {
            "user_id": host,
            "username": self._name_of(host),
            "current_time": row.current_time,
        }
        self._on_playback(event, payload)

    def _take_media_url(self, model: PlaybackEvent) -> None:
        url = model.media_url
        if url is None or url == self._announced_url or self.on_media_announced is None:
            return
        self._announced_url = url
        self._warned_media = False
        self._spawn(self.on_media_announced(url))

    def notice(self, text: str) -> None:
        """Tell the user something (throttled with the room's other notices)."""
        self._notice(text, force=True)

    def resync(self) -> None:
        """Bring the player back onto the host's timeline (after it loaded new media)."""
        self.driver.apply(self.follower.resync(monotonic_ms()))

    def _check_same_media(self, model: PlaybackEvent) -> None:
        """Warn once when the host's media is not as long as ours: probably not the same."""
        ours, theirs = self._media.duration, model.duration
        if self._warned_media or ours is None or theirs is None:
            return
        if abs(ours - theirs) > MEDIA_LENGTH_TOLERANCE_S:
            self._warned_media = True
            self._notice(
                f"Your media is {format_time(ours)} long but the host's is "
                f"{format_time(theirs)}: you may not be watching the same thing.",
                force=True,
            )

    def _anchor_from(self, event: str, model: PlaybackEvent, now_ms: float) -> Anchor | None:
        if model.is_playing is not None and model.at is not None and model.seq is not None:
            try:
                return Anchor(
                    is_playing=model.is_playing,
                    current_time=model.current_time,
                    at=model.at,
                    seq=model.seq,
                    rate=model.rate or 1.0,
                )
            except ValidationError:
                return None
        if event == EVENT_ANCHOR:
            return None
        # A browser's plain command: no clock, so take it as sent just now.
        current = self.follower.anchor
        playing = {"play": True, "pause": False}.get(
            event, current.is_playing if current else False
        )
        seq = (current.seq + 1) if current is not None else 0
        host_now = self.follower.host_now_ms(now_ms)
        return Anchor(is_playing=playing, current_time=model.current_time, at=host_now, seq=seq)

    def _on_heartbeat(self, beat: HeartbeatEvent) -> None:
        if beat.user_id == self.user_id:
            return
        self.heartbeats[beat.user_id] = beat
        self._consider_host_claim(beat)
        if beat.user_id not in self.present:
            return  # a heartbeat is no proof of presence: wait for presence to say so
        self._refresh_members()

    def _on_member_event(self, event: str, model: MemberEvent) -> None:
        if model.user_id == self.user_id:
            return
        if event == "member_joined":
            self._notice(joined_notice(model.username))
            if self.is_host:  # bring the newcomer onto our timeline without waiting for a refresh
                anchor = self.anchors.anchor
                if anchor is not None:
                    self._spawn(self._send_anchor(AnchorUpdate("sync_anchor", anchor)))
        else:
            self._notice(left_notice(model.username))
            self.heartbeats.pop(model.user_id, None)

    def _on_comment(self, row: CommentRow, *, pending: bool = False) -> None:
        comment = comment_of(row, pending=pending)
        shown = next((c for c in self.state.comments if c.id == comment.id), None)
        known = shown is not None
        if shown is not None and not pending and comment.seq is None and shown.seq is not None:
            # The broadcast and the table's INSERT both bring it: keep the one with the cursor.
            comment = replace(comment, seq=shown.seq)
        self.state = self.state.with_comment(comment)
        self._publish_state()
        if not known and not row.is_system_message and row.user_id != self.user_id:
            self._notice(comment_notice(row.username, row.message))

    async def _load_room_data(self, data: RoomData) -> None:
        """Joined: write our member row, read the history and markers, send the outbox."""
        try:
            page, anchors = await data.join(self._member_row())
        except TableError as error:
            self._notice(f"Comment history is unavailable: {error}", force=True)
            return
        self._show_page(page, newest=True)
        self.state = self.state.with_anchors(tuple(comment_of(row) for row in anchors))
        self._publish_state()
        self._outbox_kick.set()

    def _show_page(self, page: CommentPage, *, newest: bool) -> None:
        comments = tuple(comment_of(row) for row in page.rows)
        if newest:
            self.state = self.state.with_newest_comments(comments, more=page.more)
        else:
            self.state = self.state.with_older_comments(comments, more=page.more)
        self._publish_state()

    async def _page_comments(self, *, older: bool) -> None:
        data = self.data
        if data is None or self._paging:
            return
        self._paging = True
        try:
            if older:
                cursor = next((c.seq for c in self.state.comments if c.seq is not None), None)
                page = await data.older(cursor)
            else:
                page = await data.newest()
        except TableError as error:
            self._notice(str(error), force=True)
            return
        finally:
            self._paging = False
        self._show_page(page, newest=not older)

    # --- host role ----------------------------------------------------------------------

    def _consider_host_claim(self, fields: PresenceFields) -> None:
        """Two members may both believe they host (each elected while the other was away):
        everyone adopts the newest claim, so the room converges on one host."""
        if not fields.is_host or fields.user_id == self.host_user_id:
            return
        claim = (fields.host_since or 0, fields.user_id)
        current = (self.host_since, self.host_user_id or "")
        if self.host_user_id is None or claim > current:
            self._spawn(self._set_host(fields.user_id, announce=False, since=claim[0]))

    async def _set_host(self, user_id: str, *, announce: bool, since: int | None = None) -> None:
        if user_id == self.host_user_id and not announce:
            return
        was_host = self.is_host
        self.host_user_id = user_id
        self.host_since = since if since is not None else wall_ms()
        if announce:
            await self.link.send(
                "host_changed",
                {
                    "user_id": user_id,
                    "username": self._name_of(user_id),
                    "by_user_id": self.user_id,
                    "since": self.host_since,
                },
            )
        if announce and self.data is not None:
            # Written by whoever hands over or claims: the old host while it still is one,
            # which is what the rooms policy on Supabase lets through.
            sample = self._sample
            now = monotonic_ms()
            self._spawn(
                self._save_room(
                    user_id,
                    sample.position_at(now) if sample else 0.0,
                    bool(sample and not sample.paused),
                    wall_ms(),
                )
            )
        if self.is_host and not was_host and self._sample is not None:
            update = self.anchors.on_player_state(self._sample, monotonic_ms())
            anchor = update.anchor if update else self.anchors.anchor
            if anchor is not None:
                await self._send_anchor(AnchorUpdate("sync_anchor", anchor))
        if not self.is_host:
            self.clock.reset(user_id)
        if user_id != self.user_id and not announce:
            self._notice(f"{clean_name(self._name_of(user_id))} is now the host")
        self._refresh_members()
        await self._publish_presence()

    async def _save_room(
        self, host_user_id: str | None, current_time: float, is_playing: bool, at_ms: int
    ) -> None:
        """Write the rooms row (a host action, a hand-over or a claim); a failure is logged."""
        if self.data is None:
            return
        try:
            await self.data.save_playback(
                host_user_id=host_user_id,
                current_time=current_time,
                is_playing=is_playing,
                media_url=self._media.url,
                at_ms=at_ms,
            )
        except TableError as error:
            log.warning("%s", error)

    async def _elect_unless_host_returns(self, host: str) -> None:
        """The host vanished from presence: give it a moment to reconnect, then elect.

        Every member runs the same election over the same presence, so they agree; the one
        elected announces itself, and a later ``host_changed`` always wins.
        """
        await asyncio.sleep(HOST_GRACE_S)
        if self.host_user_id != host or host in self.present or not self.link.is_joined:
            return
        new_host = elect_host(sorted(self.present))
        log.info("host %s left; %s is elected", host, new_host)
        self.host_user_id = None
        if new_host == self.user_id:
            await self._set_host(self.user_id, announce=True)
        else:
            self._refresh_members()

    async def _claim_when_no_host(self) -> None:
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._seen_presence.wait(), timeout=2.0)
        if self.host_user_id is None:
            await self._set_host(self.user_id, announce=True)

    def _name_of(self, user_id: str) -> str:
        if user_id == self.user_id:
            return self.username
        fields = self.present.get(user_id)
        return fields.username if fields and fields.username else user_id

    # --- clock sync ---------------------------------------------------------------------

    def _answer_ping(self, payload: object) -> None:
        received = monotonic_ms()
        try:
            ping = SyncPing.model_validate(payload)
        except ValidationError:
            return
        if ping.to_user != self.user_id or not self.is_host:
            return
        self._pings.append((ping, received))
        if len(self._pings) == 1:  # the first of a batch: answer the lot a moment later
            asyncio.get_running_loop().call_later(PONG_BATCH_S, self._flush_pongs)

    def _flush_pongs(self) -> None:
        """One broadcast answers every ping of the last moment: each answer reaches the whole
        room, so a room of followers warming up at once costs one message, not one each.
        Holding a ping doesn't skew the offset: the host's hold time is left out of the trip."""
        pings, self._pings = self._pings, []
        sent = monotonic_ms()
        pongs = [answer_ping(ping, received, sent).model_dump() for ping, received in pings]
        if pongs:
            self._spawn(self.link.send(EVENT_PONGS, {"pongs": pongs}))

    def _take_pongs(self, payload: object) -> None:
        pongs = payload.get("pongs") if isinstance(payload, dict) else None
        if not isinstance(pongs, list):
            return
        now = monotonic_ms()
        for item in pongs[:MAX_PONGS_PER_BATCH]:
            try:
                pong = SyncPong.model_validate(item)
            except ValidationError:
                continue
            if pong.to_user == self.user_id:
                self.clock.on_pong(pong, now)

    async def _clock_loop(self) -> None:
        while True:
            await asyncio.sleep(0.25)
            host = self.host_user_id
            if host is None or self.is_host or not self.link.is_joined:
                continue
            if self.clock.host_user_id != host:
                self.clock.reset(host)
            now = monotonic_ms()
            if self.clock.ping_due(now):
                await self.link.send(EVENT_PING, self.clock.make_ping(now).model_dump())

    # --- heartbeat and presence ---------------------------------------------------------

    def _member_payload(self) -> dict[str, Any]:
        return {"user_id": self.user_id, "username": self.username}

    def own_fields(self) -> PresenceFields:
        sample = self._sample
        now = monotonic_ms()
        if self.drives_playback:
            synced: bool | None = True
        elif self.follower.anchor is None:
            synced = None
        else:
            synced = self.follower.is_synced(now)
        return PresenceFields(
            user_id=self.user_id,
            username=self.username,
            current_time=sample.position_at(now) if sample else 0.0,
            is_playing=bool(sample and not sample.paused),
            last_update=wall_ms(),
            is_host=self.is_host,
            host_since=self.host_since if self.is_host else None,
            is_synced=synced,
            buffering=bool(sample and sample.buffering),
        )

    async def _publish_presence(self) -> None:
        fields = self.own_fields()
        if not self.link.is_joined:
            return
        await self.link.send(
            "heartbeat", {**fields.model_dump(), "is_synced": bool(fields.is_synced)}
        )
        if self.publisher.should_track(fields, time.monotonic()):
            await self.link.track(fields.model_dump())

    async def _heartbeat_loop(self) -> None:
        while True:
            await asyncio.sleep(self.heartbeat_s)
            try:
                await self._publish_presence()
                if self.data is not None and self.link.is_joined:
                    await self.data.save_member(self._member_row())
            except TableError as error:
                log.info("%s", error)
            except Exception:
                log.exception("heartbeat failed (will try again)")
            self._refresh_members()

    # --- state for the panes and notices -------------------------------------------------

    def _refresh_members(self) -> None:
        present = dict(self.present)
        present[self.user_id] = self.own_fields()
        members = merge_members(present, self.heartbeats, self.host_user_id, self._member_order)
        self.state = replace(self.state, members=members)
        self._publish_state()

    def _refresh_playback(self, *, force: bool) -> None:
        now = time.monotonic()
        if not force and now - self._last_state_publish < STATE_PUBLISH_INTERVAL_S:
            return
        sample = self._sample
        playback = Playback(
            media_title=self._media.title,
            position=sample.position_at(monotonic_ms()) if sample else 0.0,
            duration=self._media.duration,
            is_playing=bool(sample and sample.advancing),
            buffering=bool(sample and sample.buffering),
        )
        self.state = self.state.with_playback(playback)
        self._publish_state()

    def _publish_state(self) -> None:
        self._last_state_publish = time.monotonic()
        self._on_state(self.state)

    def _notice(self, text: str, *, force: bool = False) -> None:
        if not (self.notices_enabled or force):
            return
        shown = self._throttle.offer(text, time.monotonic())
        if shown is not None:
            self._on_notice(shown)

    async def _notice_loop(self) -> None:
        while True:
            due_at = self._throttle.next_due_at()
            await asyncio.sleep(0.2 if due_at is None else max(0.05, due_at - time.monotonic()))
            text = self._throttle.due(time.monotonic())
            if text is not None:
                self._on_notice(text)

    def _spawn(self, work: Any) -> None:
        task: asyncio.Task[None] = asyncio.get_running_loop().create_task(work)
        self._tasks.append(task)
        task.add_done_callback(self._forget)

    def _forget(self, task: asyncio.Task[None]) -> None:
        with contextlib.suppress(ValueError):
            self._tasks.remove(task)
        if not task.cancelled() and task.exception() is not None:
            log.error("room task failed: %s", task.exception())

    async def _post_comment(self, intent: PostComment) -> None:
        row = CommentRow(
            id=str(uuid.uuid4()),
            user_id=self.user_id,
            username=self.username,
            message=intent.message.strip()[:MAX_COMMENT_CHARS],
            room_id=self.state.room_id,
            parent_id=intent.parent_id,
            video_timestamp=self._stamp(intent.video_timestamp),
            is_anchor=intent.is_anchor,
            created_at=datetime.now(UTC),
        )
        if self.data is None:
            self._on_comment(row)
            await self.link.send("new_comment", row.model_dump(mode="json"))
            return
        # On disk first: from here on the comment survives a crash, a kill or a lost answer.
        await self.data.queue_comment(row.model_dump(mode="json", exclude={"seq", "created_at"}))
        self._on_comment(row, pending=True)
        self._outbox_kick.set()

    def _stamp(self, chosen: float | None) -> float | None:
        """The comment's video time: the one chosen when writing began, else now; clamped."""
        sample = self._sample
        if chosen is None or not math.isfinite(chosen):
            chosen = sample.position_at(monotonic_ms()) if sample else None
        if chosen is None:
            return None
        if self._media.duration:
            chosen = min(chosen, self._media.duration)
        return max(0.0, chosen)

    async def _outbox_loop(self) -> None:
        """Send waiting comments when asked, and retry every few seconds while any wait."""
        data = self.data
        if data is None:
            return
        waiting = True  # comments left by an earlier run are sent as soon as we can
        while True:
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(RETRY_S if waiting else None):
                    await self._outbox_kick.wait()
            self._outbox_kick.clear()
            problem = await data.deliver(self._on_stored)
            waiting = problem is not None
            if problem is not None and self.state.is_connected:
                self._notice(f"A comment waits to be sent: {problem}")

    def _on_stored(self, row: CommentRow, first_time: bool) -> None:
        self._on_comment(row)
        if first_time:
            self._spawn(self._announce(row))

    async def _announce(self, row: CommentRow) -> None:
        if self.data is None:
            return
        try:
            await self.data.announce_comment(row)
        except TableError as error:  # the table's INSERT reaches our own app anyway
            log.info("%s", error)

    def _member_row(self) -> dict[str, Any]:
        fields = self.own_fields()
        return {
            "username": self.username,
            "is_host": fields.is_host,
            "is_synced": bool(fields.is_synced) if fields.is_synced is not None else True,
            "current_time": fields.current_time,
        }


def comment_of(row: CommentRow, *, pending: bool = False) -> Comment:
    return Comment(
        id=row.id,
        user_id=row.user_id,
        username=row.username or row.user_id,
        message=row.message,
        created_at=row.created_at,
        video_timestamp=row.video_timestamp,
        parent_id=row.parent_id,
        is_system=row.is_system_message,
        is_anchor=row.is_anchor,
        seq=row.seq,
        pending=pending,
    )


__all__ = ["ConnectionStatus", "MediaInfo", "RoomSession"]
