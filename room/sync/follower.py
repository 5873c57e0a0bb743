"""A follower's sync engine: host anchors and local player samples in, `Decision`s out."""

from __future__ import annotations

import math
import statistics
from collections import deque
from dataclasses import dataclass

from room.sync.anchor import Anchor, anchor_position
from room.sync.clock import ClockSync
from room.sync.echo import EchoGuard, IntentKind, LocalIntent
from room.sync.host import DEFAULT_SEEK_MS, SEEK_PARK_MARGIN_MS, learned_start_bias
from room.sync.policy import (
    NO_CHANGE,
    CorrectionKind,
    CorrectionState,
    Decision,
    correct,
    max_nudge,
    seek_threshold_ms,
)
from room.sync.reports import on_time
from room.sync.sample import PlaybackSample
from room.sync.settings import SyncSettings
from room.sync.status import DriftVerdict

DRIFTS_OFF_1X = 8
"""Away from 1x, correction decides on the on-time reading of this many drifts in a row
(`room.sync.reports.on_time`, the second lowest: one may have been delivered late)."""
RATE_REANCHOR_WAIT_MS = 1500.0
"""How long after a change of rate a follower waits for the host's re-anchor (it comes
`settle_ms` after the host's player took the speed, plus `LINE_REPORTS` reports)
before it corrects on its own."""
FIRST_VERDICT_WAIT_MS = 2000.0
"""After our first clock answer, how long our first verdict waits for a measurement
against the host's clock (mpv reports a playing player every frame)."""


@dataclass(frozen=True, slots=True)
class Reaction:
    """The answer to a player sample: what to do to the player, and what the user did."""

    decision: Decision = NO_CHANGE
    intents: tuple[LocalIntent, ...] = ()


class Follower:
    """Keeps one local player on the host's timeline.

    Feed it `on_anchor` (host play/pause/seek/refresh, any order, duplicates welcome) and
    `on_player_state` (every player state), with the caller's monotonic clock in ms, and
    apply the returned decisions. Host clock estimates come from `clock` (feed it pongs).
    A local pause or seek (in the mpv window, say) detaches the follower until the host's
    next action or the user's own play, so correction never fights the user.
    """

    def __init__(self, settings: SyncSettings | None = None, clock: ClockSync | None = None):
        self.settings = settings or SyncSettings()
        self.clock = clock
        self.anchor: Anchor | None = None
        """The host's anchor as we follow it: moved by `offset_s`."""
        self.offset_s = self.settings.offset_s
        """Our player is kept this far ahead of the host's timeline (`set_offset`)."""
        self.detached = False
        self.status = DriftVerdict(self.settings.in_sync_threshold_ms)
        self._guard = EchoGuard(expiry_ms=self.settings.echo_expiry_ms)
        self._correction = CorrectionState()
        self._sample: PlaybackSample | None = None
        self._fallback_offset_ms = 0.0
        self._needs_follow = False
        self._pending_seek_since_ms: float | None = None
        self._pending_resume_ms: float | None = None
        self._settle_until_ms = -math.inf
        self._last_follow_ms = -math.inf
        self._seek_durations_ms: deque[float] = deque(maxlen=5)
        self._start_bias_ms = 0.0
        self._probe_start = False
        self._parked_target_s: float | None = None
        """Where a pending start waits (the frame it seeked or paused on)."""
        self._recent_drifts: deque[float] = deque(maxlen=DRIFTS_OFF_1X)
        """The latest drifts measured since the last anchor (see `_correct`)."""
        self._rate_reanchor: tuple[int, float] | None = None
        """(seq of the anchor that changed the rate, until when we wait for the host's
        re-anchor after it)."""
        self._rate_asked_ms = -math.inf
        """When we last set the player's speed (or will, for a scheduled change)."""
        self._line_before: Anchor | None = None
        """The host's line until the instant of a scheduled change of rate (the new anchor's
        `at`): the room plays on at the old rate until then."""
        self._start_is_probe = False
        """The pending start is a plain unpause on the frame (no seek): what it measures is
        this player's start bias. After a seek, drift also carries the seek's landing."""

    # -- clocks --------------------------------------------------------------------------

    def host_now_ms(self, now_ms: float) -> float:
        """The host's clock now: from ping/pong when ready, else the last anchor's send time
        (as if it had arrived instantly, which is all a client without clock sync can do)."""
        offset = self.clock.offset_ms if self.clock is not None else None
        return now_ms + (self._fallback_offset_ms if offset is None else offset)

    def host_position_now(self, now_ms: float) -> float | None:
        if self.anchor is None:
            return None
        host_now_ms = self.host_now_ms(now_ms)
        before = self._line_before
        if before is not None and host_now_ms < self.anchor.at:
            return anchor_position(before, host_now_ms)
        return anchor_position(self.anchor, host_now_ms)

    @property
    def seek_lead_ms(self) -> float:
        """How far ahead a seek aims: twice the slowest recent seek, within the settings."""
        slowest = max(self._seek_durations_ms, default=0.0)
        lead = max(self.settings.min_seek_lead_ms, 2 * slowest + 30)
        return min(self.settings.max_seek_lead_ms, lead)

    @property
    def seek_park_ms(self) -> float:
        """How far ahead a seek alongside the host's parks: our slowest recent seek plus a
        margin (`room.sync.host.SEEK_PARK_MARGIN_MS`)."""
        return max(self._seek_durations_ms, default=DEFAULT_SEEK_MS) + SEEK_PARK_MARGIN_MS

    @property
    def expected_seek_ms(self) -> float:
        """What a seek of ours is expected to take: the median of the recent ones."""
        if not self._seek_durations_ms:
            return DEFAULT_SEEK_MS
        return statistics.median(self._seek_durations_ms)

    @property
    def start_bias_ms(self) -> float:
        return self._start_bias_ms

    @property
    def gave_up(self) -> bool:
        return self._correction.gave_up

    # -- measurements ---------------------------------------------------------------------

    def drift_ms(self, now_ms: float) -> float | None:
        """Follower minus host position (ms), or None while it cannot be measured fairly
        (mid-seek, waiting for a scheduled start, buffering, playing vs paused)."""
        self._forget_lost_seek(now_ms)
        sample, host_position = self._sample, self.host_position_now(now_ms)
        if sample is None or host_position is None or self.anchor is None:
            return None
        if self._pending_seek_since_ms is not None or self._pending_resume_ms is not None:
            return None
        if sample.seeking or sample.buffering or sample.paused == self.anchor.is_playing:
            return None
        return (sample.position_at(now_ms) - host_position) * 1000

    def measured_drift_ms(self, now_ms: float) -> float | None:
        """The latest drift measured (what the member list shows), while not stale."""
        return self.status.latest_ms(now_ms)

    def repositioning(self, now_ms: float) -> bool:
        """Seeking, or parked on the host's frame waiting for its start."""
        self._forget_lost_seek(now_ms)
        sample = self._sample
        return (
            self._pending_seek_since_ms is not None
            or self._pending_resume_ms is not None
            or (sample is not None and sample.seeking)
        )

    def verdict_pending(self, now_ms: float) -> bool:
        """Whether we have no verdict to give yet: our first clock answer is on its way, or
        came after our latest measurement. A newcomer follows the host's play at once, on a
        guess of the host's clock (`host_now_ms`); in a gathering room of 50 the first
        answer came 0.8 s after the host's play, and newcomers told the room "in sync" while
        their players were 0.4-0.8 s behind the host, so every list showed them at the
        host's position for seconds. Paused with the host, the position is the measurement
        whatever the clock; a player that reports nothing measurable (still loading) has
        its verdict, "not in sync", `FIRST_VERDICT_WAIT_MS` after the answer."""
        clock, sample = self.clock, self._sample
        if clock is None:
            return False
        if sample is not None and sample.paused and self.drift_ms(now_ms) is not None:
            return False
        if clock.first_answer_due(now_ms):
            return True
        ready_ms = clock.first_ready_ms
        if ready_ms is None:  # never answered: the host does not answer pings
            return False
        measured_since = self.status.measured_at_ms >= ready_ms
        return not measured_since and now_ms - ready_ms < FIRST_VERDICT_WAIT_MS

    def is_synced(self, now_ms: float) -> bool:
        if self.detached or self.gave_up:
            return False
        sample = self._sample
        if sample is not None and sample.paused:
            drift = self.drift_ms(now_ms)
            if drift is not None:
                # Paused with the host: nothing moves, so no new report comes and none is
                # needed; the position as it stands is the measurement.
                return abs(drift) <= self.status.threshold_ms
        return self.status.is_synced(now_ms)

    # -- inputs ---------------------------------------------------------------------------

    def on_anchor(self, anchor: Anchor, now_ms: float, *, host_action: bool = True) -> Decision:
        """A host anchor arrived. Stale and duplicate ones (seq not newer) change nothing.

        `host_action=False` for `sync_anchor` refreshes: they update the timeline but do not
        pull back a follower whose user paused or seeked locally; the host's next play,
        pause or seek does (as does the user's own play).
        """
        if self.anchor is not None and anchor.seq <= self.anchor.seq:
            return NO_CHANGE
        self._measure_before_new_timeline(now_ms)
        anchor = self._offset(anchor, self.offset_s)
        previous, self.anchor = self.anchor, anchor
        self._line_before = self._scheduled_rate_line(previous, anchor, now_ms)
        if previous is not None and anchor.rate != previous.rate:
            changes_ms = self._rate_instant_ms(now_ms) or now_ms
            self._rate_reanchor = (anchor.seq, changes_ms + RATE_REANCHOR_WAIT_MS)
        if self.clock is None or not self.clock.ready:
            self._fallback_offset_ms = anchor.at - now_ms
        if self.detached and not host_action:
            return NO_CHANGE
        if not host_action and (retimed := self._retime_pending_start(previous, anchor, now_ms)):
            return retimed
        if not host_action and self._keeps_pending_start(previous, anchor, now_ms):
            return NO_CHANGE
        if not host_action and self._pending_seek_since_ms is not None:
            # A refresh while our seek is under way (the host's landing refining the seek it
            # announced): the landing is measured against it; a second seek now would be a
            # second jump.
            return NO_CHANGE
        self.detached = False
        # A new timeline: a running nudge was aimed at the old one (it restarts if needed).
        self._correction = CorrectionState()
        self._recent_drifts.clear()
        if self._sample is None:
            self._needs_follow = True
            return NO_CHANGE
        return self._follow(now_ms, reason="host", host_action=host_action)

    def set_offset(self, offset_s: float, now_ms: float) -> Decision:
        """Keep our player `offset_s` ahead of the host's timeline (negative: behind), for a
        copy whose content sits that much later (a longer intro, another release). The
        anchor we follow moves with it and we follow it again at once."""
        delta, self.offset_s = offset_s - self.offset_s, offset_s
        if self.anchor is None or delta == 0:
            return NO_CHANGE
        self.anchor = self._offset(self.anchor, delta)
        if self._line_before is not None:
            self._line_before = self._offset(self._line_before, delta)
        self._correction = CorrectionState()
        self._recent_drifts.clear()
        self.detached = False
        if self._sample is None:
            self._needs_follow = True
            return NO_CHANGE
        return self._follow(now_ms, reason="offset", host_action=True)

    def _scheduled_rate_line(
        self, previous: Anchor | None, anchor: Anchor, now_ms: float
    ) -> Anchor | None:
        """The line in force until `anchor` changes the rate at its `at`, if it is a change
        of rate the host scheduled while playing (`HostAnchorPublisher.plan_speed`) and its
        instant is still ahead on the host's clock; else None. A second change announced
        before the first one's instant keeps the line from before the first."""
        if previous is None or self.clock is None or not self.clock.ready:
            return None
        host_now_ms = self.host_now_ms(now_ms)
        before = self._line_before if previous.at > host_now_ms else None
        before = before or previous
        scheduled = (
            anchor.is_playing
            and before.is_playing
            and anchor.rate != before.rate
            and anchor.at > host_now_ms
            and before.at <= host_now_ms
        )
        return before if scheduled else None

    def _rate_instant_ms(self, now_ms: float) -> float | None:
        """When (our clock) a scheduled change of rate happens, while it is still ahead."""
        anchor = self.anchor
        if self._line_before is None or anchor is None:
            return None
        instant_ms = anchor.at - (self.host_now_ms(now_ms) - now_ms)
        return instant_ms if instant_ms > now_ms else None

    @staticmethod
    def _offset(anchor: Anchor, offset_s: float) -> Anchor:
        if offset_s == 0:
            return anchor
        return anchor.model_copy(update={"current_time": max(0.0, anchor.current_time + offset_s)})

    def resync(self, now_ms: float) -> Decision:
        """Follow the current anchor again from scratch (the player just loaded new media)."""
        if self.anchor is None or self._sample is None:
            self._needs_follow = self.anchor is not None
            return NO_CHANGE
        self.detached = False
        return self._follow(now_ms, reason="resync")

    def _retime_pending_start(
        self, previous: Anchor | None, anchor: Anchor, now_ms: float
    ) -> Decision | None:
        """The host moved its announced start (its own seek landed late): same frame, a
        later instant. Parked (or parking) on our frame, we only move our resume to when
        the host's new line gets there; no second seek."""
        parked_s = self._parked_target_s
        if self._pending_resume_ms is None or previous is None or parked_s is None:
            return None
        if not (previous.is_playing and anchor.is_playing):
            return None
        if anchor.current_time != previous.current_time or anchor.rate != previous.rate:
            return None
        offset = self.host_now_ms(now_ms) - now_ms
        reaches_ms = anchor.at + (parked_s - anchor.current_time) * 1000 / anchor.rate - offset
        if parked_s < anchor.current_time or reaches_ms < now_ms:
            return None
        self._guard.withdraw(IntentKind.PLAY)
        resume_ms = reaches_ms + max(0.0, self._start_bias_ms)
        return self._apply(Decision(resume_at_ms=resume_ms, reason="host start moved"), now_ms)

    def _keeps_pending_start(self, previous: Anchor | None, anchor: Anchor, now_ms: float) -> bool:
        """A refresh that lands while our start is still scheduled, and moves the host's
        timeline by less than a seek's worth, leaves the start alone: re-planning it would
        cost a seek and a later start (the host re-anchors right after every start, because
        mpv reports a just-unpaused position about an audio frame ahead). Drift correction
        takes care of the small difference once we play."""
        if self._pending_resume_ms is None or previous is None:
            return False
        if not (previous.is_playing and anchor.is_playing):
            return False
        host_at_start = self._pending_resume_ms + (self.host_now_ms(now_ms) - now_ms)
        moved_ms = abs(
            anchor_position(anchor, host_at_start) - anchor_position(previous, host_at_start)
        )
        return moved_ms * 1000 < self.settings.seek_threshold_ms

    def on_player_state(self, sample: PlaybackSample, now_ms: float) -> Reaction:
        previous, self._sample = self._sample, sample
        self._forget_lost_seek(now_ms)
        intents = tuple(self._guard.observe(sample, now_ms))
        self._note_landings(previous, sample, now_ms)
        if intents:
            self._pending_seek_since_ms = self._pending_resume_ms = None
            if intents[-1].kind is IntentKind.PLAY and self.anchor is not None:
                # The user pressed play: back in sync with the room.
                self.detached = False
                return Reaction(self._follow(now_ms, reason="local play"), intents)
            self.detached = True
            return Reaction(self._release_speed(now_ms), intents)
        drift = self.drift_ms(now_ms)
        if drift is None:
            self._recent_drifts.clear()
        else:
            self.status.record(drift, now_ms)
            self._recent_drifts.append(drift)
            if self._probe_start and now_ms >= self._settle_until_ms:
                self._learn_start_bias(drift)
        if self._needs_follow and self.anchor is not None:
            return Reaction(self._follow(now_ms, reason="host"))
        return Reaction(self._correct(drift, now_ms))

    # -- internals ------------------------------------------------------------------------

    def _measure_before_new_timeline(self, now_ms: float) -> None:
        """Where we stand on the old timeline is the last measurement before the new one.
        Paused with the host, mpv reports nothing, so the verdict's last record may be
        minutes old; the host's play would then find it stale and show us "off" until our
        player has started (in a room of 50, every follower told that flip twice)."""
        drift = self.drift_ms(now_ms)
        if drift is not None:
            self.status.record(drift, now_ms)

    def _forget_lost_seek(self, now_ms: float) -> None:
        """A seek that has not landed within `echo_expiry_ms` never will (mpv refused it, or
        the media went away). Waiting on it for good kept drift unmeasured, correction off
        and the member list saying "seeking" forever; forgotten, drift is measured again and
        the policy corrects, with its cooldown and give-up, so a player that refuses every
        seek gives up instead of looping."""
        since = self._pending_seek_since_ms
        if since is not None and now_ms - since > self.settings.echo_expiry_ms:
            self._pending_seek_since_ms = None

    def _note_landings(
        self, previous: PlaybackSample | None, sample: PlaybackSample, now_ms: float
    ) -> None:
        restarted = previous is not None and sample.restarts > previous.restarts
        if restarted and self._pending_seek_since_ms is not None:
            self._seek_durations_ms.append(now_ms - self._pending_seek_since_ms)
            self._pending_seek_since_ms = None
            self._settle_until_ms = now_ms + self.settings.settle_ms
        if self._pending_resume_ms is not None and not sample.paused:
            self._pending_resume_ms = None
            self._settle_until_ms = now_ms + self.settings.settle_ms
            self._probe_start = self._start_is_probe

    def _learn_start_bias(self, drift_ms: float) -> None:
        """Players report a little ahead right after they unpause (with mpv, about one
        audio frame). Measure it after each start and resume that much later next time."""
        self._probe_start = False
        limit = self.settings.max_start_bias_ms
        self._start_bias_ms = learned_start_bias(self._start_bias_ms, drift_ms, limit)

    def _follow(self, now_ms: float, *, reason: str, host_action: bool = False) -> Decision:
        """Bring the player onto the anchor: pause on the host's frame, or start on it."""
        anchor, sample = self.anchor, self._sample
        if anchor is None or sample is None:
            return NO_CHANGE
        self._needs_follow = False
        self._last_follow_ms = now_ms
        pending_resume_ms = self._pending_resume_ms
        cancel_resume = pending_resume_ms is not None
        # Past its instant, a scheduled resume has been handed to the player, which may not
        # have reported it yet: the sample says paused, but the player is (about to be)
        # playing. Treat it as playing: pause it explicitly, and expect both its unpause and
        # our pause, so neither looks like the user's.
        resume_sent = pending_resume_ms is not None and now_ms >= pending_resume_ms
        if cancel_resume:
            # A newer command supersedes a scheduled start: `pause=True` cancels the timer.
            self._pending_resume_ms = None
            if not resume_sent:
                self._guard.withdraw(IntentKind.PLAY)
        rate = anchor.rate
        if not anchor.is_playing:
            on_frame = (
                sample.paused
                and not sample.seeking
                and not resume_sent
                and abs(sample.position_s - anchor.current_time) * 1000
                <= self.settings.pause_tolerance_ms
            )
            return self._apply(
                Decision(
                    pause=True if cancel_resume or not sample.paused else None,
                    seek_to_s=None if on_frame else anchor.current_time,
                    speed=self._speed_if_changed(rate),
                    reason=f"{reason}: pause",
                ),
                now_ms,
                playing=resume_sent,
            )
        drift = self.drift_ms(now_ms)
        if drift is not None and abs(drift) < seek_threshold_ms(
            self.settings, self.expected_seek_ms
        ):
            # On course: take the host's rate, at the instant it scheduled if it did.
            speed = self._speed_if_changed(rate)
            at_ms = self._rate_instant_ms(now_ms) if speed is not None else None
            return self._apply(
                Decision(speed=speed, speed_at_ms=at_ms, reason=f"{reason}: on course"), now_ms
            )
        if host_action and not (sample.paused or sample.seeking or resume_sent):
            return self._seek_along(now_ms, reason=reason)
        return self._start_on_frame(now_ms, reason=reason, resume_sent=resume_sent)

    def _seek_along(self, now_ms: float, *, reason: str) -> Decision:
        """The host seeked while we both play, and parks on its target until its announced
        start: park on the same frame and start with it, or, when our own seek would not
        land by then (the slowest of our recent seeks, plus a margin), on the frame the
        host will show when it does."""
        return self._start_on_frame(now_ms, reason=reason, lead_ms=self.seek_park_ms)

    def _start_on_frame(
        self,
        now_ms: float,
        *,
        reason: str,
        resume_sent: bool = False,
        lead_ms: float | None = None,
    ) -> Decision:
        """Start on the host's frame. Paused on the frame of a start that is still ahead (or
        at most `late_start_ms` past): resume at the host's instant, no seek. Otherwise park
        on the frame the host will show `seek_lead_ms` from now (or at its scheduled start,
        if later), then resume exactly when the host gets there."""
        anchor, sample = self.anchor, self._sample
        if anchor is None or sample is None:
            return NO_CHANGE
        offset = self.host_now_ms(now_ms) - now_ms
        host_start_ms = anchor.at - offset
        still = sample.paused and not sample.seeking and not resume_sent
        at_start_frame = (
            abs(sample.position_s - anchor.current_time) * 1000 <= self.settings.pause_tolerance_ms
        )
        if still and at_start_frame and now_ms - host_start_ms <= self.settings.late_start_ms:
            # A little late is cheaper than a seek: start now, and the nudge takes it up.
            self._start_is_probe = now_ms <= host_start_ms
            self._parked_target_s = sample.position_s
            return self._apply(
                Decision(
                    speed=self._speed_if_changed(anchor.rate),
                    resume_at_ms=max(now_ms, host_start_ms + self._start_bias_ms),
                    reason=f"{reason}: start on frame",
                ),
                now_ms,
            )
        self._start_is_probe = False
        start_ms = max(now_ms + (self.seek_lead_ms if lead_ms is None else lead_ms), host_start_ms)
        target = anchor_position(anchor, start_ms + offset)
        # This player reports `start_bias_ms` ahead once it unpauses: resume that much later
        # on the same frame, or (if it lags) park that much further ahead.
        resume_ms = start_ms + max(0.0, self._start_bias_ms)
        if self._start_bias_ms < 0:
            target = anchor_position(anchor, start_ms - self._start_bias_ms + offset)
        on_frame = still and (
            abs(sample.position_s - target) * 1000 <= self.settings.pause_tolerance_ms
        )
        self._parked_target_s = target
        return self._apply(
            Decision(
                pause=None if still else True,
                seek_to_s=None if on_frame else target,
                speed=self._speed_if_changed(anchor.rate),
                resume_at_ms=resume_ms,
                reason=f"{reason}: start on frame",
            ),
            now_ms,
            playing=resume_sent,
        )

    def _correct(self, drift: float | None, now_ms: float) -> Decision:
        anchor, sample = self.anchor, self._sample
        if anchor is None or sample is None or self.detached:
            return NO_CHANGE
        if self._pending_seek_since_ms is not None or self._pending_resume_ms is not None:
            return NO_CHANGE
        if anchor.is_playing and sample.paused and not sample.eof:
            # Paused while the host plays and not by the user: a lost resume. Retry, slowly.
            if now_ms - self._last_follow_ms >= self.settings.seek_cooldown_ms:
                return self._follow(now_ms, reason="resume lost")
            return NO_CHANGE
        if drift is None or now_ms < self._settle_until_ms or not anchor.is_playing:
            return NO_CHANGE
        if abs(sample.speed / anchor.rate - 1.0) > max_nudge(self.settings, anchor.rate) + 1e-6:
            return self._take_rate(now_ms)
        if self._awaiting_rate_reanchor(now_ms):
            return NO_CHANGE
        if anchor.rate != 1.0:
            # Away from 1x every other report of mpv's may be up to ~35 ms early (see
            # `room.sync.reports`): a nudge started on one, or on a median that straddles
            # them, would remove drift that is not there. Decide on the on-time ones.
            if len(self._recent_drifts) < DRIFTS_OFF_1X:
                return NO_CHANGE
            drift = on_time(self._recent_drifts, 1)
        correction, self._correction = correct(
            drift,
            now_ms,
            self._correction,
            self.settings,
            seek_cost_ms=self.expected_seek_ms,
            rate=anchor.rate,
        )
        if correction.kind is CorrectionKind.SEEK:
            return self._start_on_frame(now_ms, reason=f"drift {drift:+.0f} ms")
        if correction.speed is not None:
            speed = self._speed_if_changed(anchor.rate * correction.speed)
            return self._apply(Decision(speed=speed, reason=f"drift {drift:+.1f} ms"), now_ms)
        return NO_CHANGE

    def _awaiting_rate_reanchor(self, now_ms: float) -> bool:
        """After a change of rate, until the host re-anchors where its player's reports
        settled (`HostAnchorPublisher._after_rate_change`): drift measured against the line
        of the key press carries mpv's position step and is no reason to correct."""
        waiting = self._rate_reanchor
        if waiting is None:
            return False
        seq, deadline_ms = waiting
        anchor = self.anchor
        if anchor is None or anchor.seq > seq or now_ms >= deadline_ms:
            self._rate_reanchor = None
            return False
        return True

    def _take_rate(self, now_ms: float) -> Decision:
        """The player is not at the host's rate yet: mpv takes a moment to change speed (its
        audio chain), and drift measured meanwhile grows by the delay times the change of
        rate. A nudge started on it would stop short, so wait; ask again should the player
        not follow (someone changed its speed by hand)."""
        assert self.anchor is not None
        if now_ms - self._rate_asked_ms < self.settings.settle_ms:
            return NO_CHANGE
        return self._apply(Decision(speed=self.anchor.rate, reason="host rate"), now_ms)

    def _release_speed(self, now_ms: float) -> Decision:
        self._correction = CorrectionState()
        rate = self.anchor.rate if self.anchor is not None else 1.0
        return self._apply(Decision(speed=self._speed_if_changed(rate)), now_ms)

    def _speed_if_changed(self, speed: float) -> float | None:
        sample = self._sample
        if sample is not None and abs(sample.speed - speed) < 1e-6:
            return None
        return speed

    def _apply(self, decision: Decision, now_ms: float, *, playing: bool = False) -> Decision:
        """Register what the decision will make the player report, so it is not an intent.
        `playing`: the player is playing though its last sample does not show it yet."""
        sample = self._sample
        if decision.pause and sample is not None and (playing or not sample.paused):
            self._guard.expect(IntentKind.PAUSE, now_ms)
        if decision.speed is not None:
            self._rate_asked_ms = max(now_ms, decision.speed_at_ms or now_ms)
        if decision.seek_to_s is not None:
            self._guard.expect(IntentKind.SEEK, now_ms, position_s=decision.seek_to_s)
            self._pending_seek_since_ms = now_ms
        if decision.resume_at_ms is not None:
            self._guard.expect(IntentKind.PLAY, now_ms, not_before_ms=decision.resume_at_ms)
            self._pending_resume_ms = decision.resume_at_ms
        return decision
