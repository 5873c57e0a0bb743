"""Our own player in the room: its samples, the user's play/pause/seek, the host's anchors.

As the host, every player state goes through the anchor publisher, which says when the room
must hear of it; as a follower, through the ``Follower``, whose decisions the driver carries
out. Commands arriving from the room are ``room.session.following``'s job.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol

from room import events
from room.chapters import Chapter, ChapterChoice, chapter_choice
from room.intents import SeekBy, SeekTo, SetSpeed, StepSpeed, clamped_speed, stepped_speed
from room.member_drift import OffReason, own_off_reason
from room.roomdata import RoomData
from room.session.budget import RoomBudget
from room.session.context import RoomContext
from room.state import Playback
from room.sync.anchor import Anchor
from room.sync.clock import ClockSync
from room.sync.driver import DecisionDriver, PlaybackControls
from room.sync.follower import Follower
from room.sync.host import AnchorUpdate, HostAnchorPublisher
from room.sync.lead import StartLead
from room.sync.policy import Decision
from room.sync.sample import PlaybackSample
from room.sync.settings import SyncSettings
from room.tables import TableError

log = logging.getLogger(__name__)

STATE_PUBLISH_INTERVAL_S = 0.25
"""The panes are refreshed from player samples at most this often."""
PAUSE_AFTER_START_WAIT_S = 2.0
SEEK_LAND_WAIT_S = 3.0
"""How long a play/pause pressed during the host's own seek waits for that seek to land."""


class PlayerControls(PlaybackControls, Protocol):
    """What the session commands on the local player (``player.MpvPlayer`` fits)."""

    def seek(self, position: float) -> None: ...


@dataclass(frozen=True)
class MediaInfo:
    title: str | None = None
    duration: float | None = None
    url: str | None = None
    """Set when the media is an http(s) URL: the host announces it to the room."""
    chapters: tuple[Chapter, ...] = ()
    source: str | None = None
    """What the player opened (a path or URL), so a title is known to be this media's."""


class HostView(Protocol):
    @property
    def host_user_id(self) -> str | None: ...

    @property
    def is_host(self) -> bool: ...

    @property
    def drives_playback(self) -> bool: ...

    @property
    def knows_the_room(self) -> bool: ...


class LocalPlayback:
    def __init__(
        self,
        ctx: RoomContext,
        player: PlayerControls,
        host: HostView,
        estimator: ClockSync,
        budget: RoomBudget,
        *,
        settings: SyncSettings | None = None,
        data: RoomData | None = None,
        lead: StartLead | None = None,
    ) -> None:
        self.ctx = ctx
        self.player = player
        self.settings = settings or SyncSettings()
        self.lead = lead or StartLead(self.settings)
        """The members' reported latencies, which set how far ahead a host's play starts."""
        self.last_start_lead_ms: float | None = None
        """The lead of the host's last scheduled start (what benchmarks compare against)."""
        self.driver = DecisionDriver(player, ctx.clock.monotonic_ms, sleep=ctx.clock.sleep)
        self.follower = Follower(self.settings, estimator)
        self.anchors = HostAnchorPublisher(self.settings, first_seq=ctx.clock.wall_ms())
        self.media = MediaInfo()
        self.sample: PlaybackSample | None = None
        self._host = host
        self._data = data
        self._budget = budget
        self._sampled = asyncio.Event()
        self._pane_shown_s = -STATE_PUBLISH_INTERVAL_S
        self._host_seek: tuple[asyncio.Task[None], int, bool] | None = None
        """The host's latest seek until our player has landed it: the task announcing it
        (which hands the seek to our player once sent), the player's restarts before, and
        whether the room plays on after it (then a held press means pause)."""
        self._toggles_held = 0
        """Play/pause presses held until that seek has landed (an even count cancels out)."""
        self.undo_target_s: float | None = None
        """Where the room was before our last seek (``undo_seek`` goes back there)."""
        self.host_action_wall_ms: int | None = None
        """When the host last played, paused or seeked (our wall clock, ms): a follower's
        report from before then is no longer where the follower is."""
        self.on_new_timeline: Callable[[], None] = lambda: None
        """Called when the host's timeline as we know it changes (an anchor followed, or
        sent as host): the member list, which shows members in sync on it, redraws."""

    # --- what the roster and comments read ----------------------------------------------

    def position_now(self) -> float | None:
        sample = self.sample
        return sample.position_at(self.ctx.clock.monotonic_ms()) if sample else None

    @property
    def is_playing(self) -> bool:
        return bool(self.sample and not self.sample.paused)

    @property
    def buffering(self) -> bool:
        return bool(self.sample and self.sample.buffering)

    @property
    def duration(self) -> float | None:
        return self.media.duration

    def host_timeline(self) -> tuple[float, bool] | None:
        """Where the host is now and whether it plays: our own player when we are the
        reference, else the anchor we follow; None while we know neither."""
        now = self.ctx.clock.monotonic_ms()
        if self._host.drives_playback:
            sample = self.sample
            return (sample.position_at(now), sample.advancing) if sample else None
        anchor, position = self.follower.anchor, self.follower.host_position_now(now)
        if anchor is None or position is None:
            return None
        position = max(0.0, position - self.follower.offset_s)  # the host's, not ours
        return position, anchor.is_playing and self.follower.host_now_ms(now) >= anchor.at

    def room_rate(self) -> float:
        """The room's playback speed: the one we announced as host, else the host's."""
        sample = self.sample
        if self._host.drives_playback:
            return self.anchors.anchor_rate(sample) if sample else 1.0
        anchor = self.follower.anchor
        return anchor.rate if anchor is not None else 1.0

    def drift_ms(self) -> float | None:
        """Our drift from the host as last measured (None as host, or unmeasured)."""
        if self._host.drives_playback or self.follower.anchor is None:
            return None
        return self.follower.measured_drift_ms(self.ctx.clock.monotonic_ms())

    def off_reason(self, *, cant_play: bool = False) -> OffReason | None:
        """Why we are off the host's timeline, if we are (never as the host, but for
        ``cant_play``: the queue's item would not open here)."""
        if self._host.drives_playback or self.follower.anchor is None:
            if cant_play:
                return OffReason.CANT_PLAY
            return OffReason.BUFFERING if self.buffering else None
        follower = self.follower
        return own_off_reason(
            buffering=self.buffering,
            seeking=follower.repositioning(self.ctx.clock.monotonic_ms()),
            gave_up=follower.gave_up,
            on_its_own=follower.detached,
            cant_play=cant_play,
        )

    def is_synced(self) -> bool | None:
        host = self._host
        if host.is_host:
            return True
        if host.host_user_id is None:
            # Nobody hosts: we act for ourselves, in sync by definition. Not yet known on
            # joining: the room's presence comes after our join, and our joining presence
            # said "in sync at 0:00", so every list put us on the host's timeline (minutes
            # off) until our first report.
            return True if host.knows_the_room else None
        now_ms = self.ctx.clock.monotonic_ms()
        if self.follower.anchor is None or self.follower.verdict_pending(now_ms):
            return None
        return self.follower.is_synced(now_ms)

    # --- the player ---------------------------------------------------------------------

    def on_player_sample(self, sample: PlaybackSample, media: MediaInfo | None = None) -> None:
        """Feed every player state (on the event loop)."""
        self.sample = sample
        self._sampled.set()
        if media is not None:
            self.media = media
        now = self.ctx.clock.monotonic_ms()
        if self._host.is_host:
            self._pace_anchors()
            update = self.anchors.on_player_state(sample, now)
            if update is not None:
                self.ctx.tasks.spawn(self.send_anchor(update))
        else:
            reaction = self.follower.on_player_state(sample, now)
            self.driver.apply(reaction.decision)
        self.refresh_pane(force=False)

    def _pace_anchors(self) -> None:
        """Stretch the host's silent anchors to the room's shares for them: the stale refresh
        and the stray correction alike (a sync_anchor to a room of N costs N + 1, whatever
        prompted it). A play, pause, seek or rate change still goes out at once."""
        floor_s = self.settings.anchor_refresh_ms / 1000
        self.anchors.refresh_ms = self._budget.anchor_refresh_interval_s(floor_s) * 1000
        min_floor_s = self.settings.anchor_min_interval_ms / 1000
        min_interval_ms = self._budget.stray_anchor_interval_s(min_floor_s) * 1000
        if self.anchors.settings.anchor_min_interval_ms != min_interval_ms:
            self.anchors.settings = self.anchors.settings.model_copy(
                update={"anchor_min_interval_ms": min_interval_ms}
            )

    def follow(self, anchor: Anchor, *, host_action: bool) -> None:
        """Follow a new anchor from the host."""
        now = self.ctx.clock.monotonic_ms()
        if host_action:
            self.host_action_wall_ms = self.ctx.clock.wall_ms()
        self.driver.apply(self.follower.on_anchor(anchor, now, host_action=host_action))
        self.on_new_timeline()

    def resync(self) -> None:
        """Bring the player back onto the host's timeline (after it loaded new media)."""
        self.driver.apply(self.follower.resync(self.ctx.clock.monotonic_ms()))

    def stop(self) -> None:
        self.driver.cancel()

    # --- the user's intents -------------------------------------------------------------

    def toggle_play(self) -> None:
        if self.sample is None:
            return
        self._budget.try_send(self.ctx.clock.monotonic_s())  # never held; it still counts
        self._toggle()

    def _toggle(self) -> None:
        """Play or pause, as pressed now (a press held for a seek comes back here once)."""
        sample = self.sample
        if sample is None:
            return
        is_host = self._host.is_host
        if is_host and self._seek_in_flight(sample):
            # Our seek is still going out, or our player has not landed it: acting now
            # would pause a player about to be parked and restarted (the pause lost), or
            # start the room from the frame before the seek. Do it once the seek is done.
            self._toggles_held += 1
            if self._toggles_held == 1:
                self.ctx.tasks.spawn(self._toggle_after_seek())
            return
        if is_host and self.driver.busy:
            # Our own scheduled start hasn't come yet: followers already have it, so let it
            # happen and pause right after, which they follow as a normal pause.
            self.ctx.tasks.spawn(self._pause_after_start())
            return
        now = self.ctx.clock.monotonic_ms()
        if sample.paused:
            if is_host:
                lead_ms = self.last_start_lead_ms = self.lead.lead_ms(now)
                update = self.anchors.plan_play(sample, now, lead_ms)
                resume_ms = now + lead_ms + self.anchors.start_bias_ms  # on our own line
                self.driver.apply(Decision(resume_at_ms=resume_ms, reason="host play"))
                self.ctx.tasks.spawn(self.send_anchor(update))
            else:  # no host: play now and tell the room, as the web client does
                self.player.play()
                self.ctx.tasks.spawn(self._send_plain(events.PLAY, sample.position_at(now)))
        else:
            self.player.pause()  # the host's anchor publisher sees it and announces it
            if not is_host:
                self.ctx.tasks.spawn(self._send_plain(events.PAUSE, sample.position_at(now)))

    def _seek_in_flight(self, sample: PlaybackSample) -> bool:
        if self._host_seek is None:
            return False
        announcing, restarts_before, _ = self._host_seek
        return not announcing.done() or sample.restarts <= restarts_before

    async def _toggle_after_seek(self) -> None:
        assert self._host_seek is not None
        seek = self._host_seek
        announcing, restarts_before, plays_on = seek
        await asyncio.wait({announcing})
        # A seek that never lands (the media gone) holds the key press only this long.
        await self._until_sample(lambda sample: sample.restarts > restarts_before, SEEK_LAND_WAIT_S)
        if self._host_seek is seek:  # not a later seek's
            self._host_seek = None
        presses, self._toggles_held = self._toggles_held, 0
        if presses % 2 == 0:
            return
        if plays_on:
            # What was pressed was a pause. Not by the sample now: a seek that landed after
            # its start (a busy machine) is resumed at once, and the paused sample of its
            # landing would read as "play".
            await self._pause_after_start()
        else:
            self._toggle()

    async def _pause_after_start(self) -> None:
        await self.driver.settled()
        # Pause only once the player has been seen playing, so the room sees play, then pause.
        await self._until_sample(lambda sample: not sample.paused, PAUSE_AFTER_START_WAIT_S)
        self.player.pause()

    async def _until_sample(
        self, condition: Callable[[PlaybackSample], bool], timeout_s: float
    ) -> None:
        """Wait for a sample of our player that meets `condition`, at most `timeout_s`."""
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(timeout_s):
                while self.sample is None or not condition(self.sample):
                    self._sampled.clear()
                    await self._sampled.wait()

    @property
    def offset_s(self) -> float:
        return self.follower.offset_s

    def set_offset(self, offset_s: float) -> None:
        """Keep our player ``offset_s`` ahead of the host (our copy's content sits later)."""
        self.driver.apply(self.follower.set_offset(offset_s, self.ctx.clock.monotonic_ms()))
        self.refresh_pane(force=True)

    def undo_seek(self) -> float | None:
        """Seek the room back to where it was before the last seek (ours, from this seat);
        pressed again, forward to where that seek went. Where to, or None: nothing to undo."""
        target = self.undo_target_s
        if target is None or self.sample is None:
            return None
        self.seek(SeekTo(target), undo=True)
        return target

    def skip_chapter(self, direction: int) -> ChapterChoice | None:
        """To the next (1) or previous (-1) chapter of our media by mpv's rule, as a seek
        (the host's goes to the room as a seek anchor, undone by ``undo_seek``); where to, or
        None: no such chapter."""
        sample = self.sample
        if sample is None:
            return None
        position = sample.position_at(self.ctx.clock.monotonic_ms())
        choice = chapter_choice(position, self.media.chapters, direction)
        if choice is not None:
            self.seek(SeekTo(choice.start_s))
        return choice

    def seek(self, intent: SeekBy | SeekTo, *, undo: bool = False) -> None:
        sample = self.sample
        if sample is None:
            return
        self._budget.try_send(self.ctx.clock.monotonic_s())  # never held; it still counts
        origin = sample.position_at(self.ctx.clock.monotonic_ms())
        self.undo_target_s = origin
        target = origin + intent.seconds if isinstance(intent, SeekBy) else intent.position
        if self.media.duration:
            target = min(target, self.media.duration)
        target = max(0.0, target)
        if self._host.is_host:
            # Told at the key press, not on our landing: followers seek alongside us. Our
            # own seek goes to mpv once the announcement is on its way (a seek command can
            # hold the loop while mpv's core is busy; the room shouldn't wait for that).
            update = self.anchors.plan_seek(sample, target, self.ctx.clock.monotonic_ms())
            anchor = update.anchor
            if anchor.is_playing:  # park on the target and start with the room, as a play
                decision = Decision(
                    pause=True,
                    seek_to_s=target,
                    resume_at_ms=anchor.at + self.anchors.start_bias_ms,
                    reason="host seek",
                )
                announcing = self.ctx.tasks.spawn(
                    self.send_anchor(update, then=lambda: self.driver.apply(decision), undo=undo)
                )
            else:
                announcing = self.ctx.tasks.spawn(
                    self.send_anchor(update, then=lambda: self.player.seek(target), undo=undo)
                )
            self._host_seek = (announcing, sample.restarts, anchor.is_playing)
            return
        self.player.seek(target)
        self.ctx.tasks.spawn(self._send_plain(events.SEEK, target, undo=undo))

    def set_speed(self, intent: SetSpeed | StepSpeed) -> float | None:
        """Change the room's playback speed (the host, or anyone in a room with no host);
        the new speed, or None with nothing loaded. It goes to the room as a ``speed``
        anchor, paid for like a play or seek; playing, everyone's player (ours too) takes it
        at the anchor's instant, a start lead from now; paused, ours once it is on its way."""
        sample = self.sample
        if sample is None:
            return None
        if isinstance(intent, StepSpeed):
            rate = stepped_speed(self.anchors.anchor_rate(sample), intent.direction)
        else:
            rate = clamped_speed(intent.rate)
        self._budget.try_send(self.ctx.clock.monotonic_s())  # never held; it still counts
        now = self.ctx.clock.monotonic_ms()
        # Playing, the room changes speed together one start lead from now, as a play starts.
        lead_ms = 0.0 if sample.paused else self.lead.lead_ms(now)
        update = self.anchors.plan_speed(sample, rate, now, lead_ms)
        change = Decision(speed=rate, speed_at_ms=update.anchor.at, reason="host speed")
        self.ctx.tasks.spawn(self.send_anchor(update, then=lambda: self.driver.apply(change)))
        return rate

    # --- telling the room ---------------------------------------------------------------

    async def send_anchor(
        self, update: AnchorUpdate, *, then: Callable[[], None] | None = None, undo: bool = False
    ) -> None:
        """Broadcast an anchor; `then` runs once it has gone out (sent or not). `undo`: the
        seek undoes the last one (followers say so)."""
        sent_at = self.ctx.clock.wall_ms()
        payload = {
            **self.ctx.member_payload(),
            **update.anchor.model_dump(),
            "duration": self.media.duration,
            "media": self.media.title,
            "media_url": self.media.url,
            "sent_at": sent_at,
            **({"undo": True} if undo else {}),
        }
        if update.event in events.WEB_PLAYBACK_EVENTS:
            self.host_action_wall_ms = sent_at
        self.on_new_timeline()
        try:
            await self.ctx.link.send(update.event, payload)
        finally:
            if then is not None:
                then()
        if update.event in events.WEB_PLAYBACK_EVENTS:
            await self.save_room(
                self._host.host_user_id,
                update.anchor.current_time,
                update.anchor.is_playing,
                sent_at,
            )

    async def announce_anchor(self) -> None:
        """Send our current anchor as a silent refresh (a newcomer asked for it)."""
        anchor = self.anchors.anchor
        if anchor is not None:
            await self.send_anchor(AnchorUpdate(events.SYNC_ANCHOR, anchor))

    async def take_over(self) -> None:
        """We just became the host: announce our line at the room's rate, the one we
        followed (or our own speed, following nobody), never a nudge our follower left on
        the player, which is set back to that rate."""
        sample = self.sample
        if sample is None:
            return
        followed = self.follower.anchor
        rate = followed.rate if followed is not None else sample.speed
        update = self.anchors.take_over(sample, rate, self.ctx.clock.monotonic_ms())
        if sample.speed != rate:
            self.driver.apply(Decision(speed=rate, reason="host: the room's rate"))
        await self.send_anchor(update)

    async def _send_plain(self, event: str, position: float, *, undo: bool = False) -> None:
        payload = {**self.ctx.member_payload(), "current_time": position}
        await self.ctx.link.send(event, {**payload, **({"undo": True} if undo else {})})

    async def save_room(
        self, host_user_id: str | None, current_time: float, is_playing: bool, at_ms: int
    ) -> None:
        """Write the rooms row (a host action, a hand-over or a claim); a failure is logged."""
        if self._data is None:
            return
        try:
            await self._data.save_playback(
                host_user_id=host_user_id,
                current_time=current_time,
                is_playing=is_playing,
                media_url=self.media.url,
                at_ms=at_ms,
            )
        except TableError as error:
            log.warning("%s", error)

    async def save_handover(self, host_user_id: str) -> None:
        """The rooms row for a hand-over or claim, at where our player is now."""
        position = self.position_now()
        await self.save_room(
            host_user_id,
            position if position is not None else 0.0,
            self.is_playing,
            self.ctx.clock.wall_ms(),
        )

    # --- the pane -----------------------------------------------------------------------

    def refresh_pane(self, *, force: bool) -> None:
        """Redraw the playback pane: at most every ``STATE_PUBLISH_INTERVAL_S`` while only the
        position moves, at once when playing, pausing or buffering changes (mpv reports
        nothing more while paused, so a skipped pause would show "Playing" for good)."""
        store = self.ctx.store
        sample = self.sample
        is_playing = bool(sample and sample.advancing)
        shown = store.state.playback
        now_s = self.ctx.clock.monotonic_s()
        speed = self.room_rate()
        changed = (
            shown.is_playing != is_playing
            or shown.buffering != self.buffering
            or shown.speed != speed
            or shown.chapters != self.media.chapters
        )
        if not (force or changed) and now_s - self._pane_shown_s < STATE_PUBLISH_INTERVAL_S:
            return
        self._pane_shown_s = now_s
        position = self.position_now()
        playback = Playback(
            media_title=self.media.title,
            position=position if position is not None else 0.0,
            duration=self.media.duration,
            is_playing=is_playing,
            buffering=self.buffering,
            speed=speed,
            chapters=self.media.chapters,
        )
        store.set(store.state.with_playback(playback))
