"""The host's side: turn its own player's states into anchors worth publishing."""

from __future__ import annotations

import math
import statistics
from collections import deque
from dataclasses import dataclass

from room import events
from room.sync.anchor import Anchor, anchor_position
from room.sync.echo import EchoGuard, IntentKind
from room.sync.reports import on_time
from room.sync.sample import PlaybackSample
from room.sync.settings import SyncSettings

AnchorEvent = str
"""One of ``room.events.PLAYBACK_EVENTS``: `play`/`pause`/`seek` are the web client's events
(their payload gains the anchor fields); `sync_anchor` is a silent refresh that only our
clients read."""

DEFAULT_SEEK_MS = 30.0
"""What a seek is taken to cost before one has been measured (a small local file)."""
SEEK_COSTS = 5
"""A player's seek costs are judged from this many recent ones."""
SEEK_PARK_MARGIN_MS = 15.0
"""A seek while playing parks on the frame and resumes this long after the slowest recent
seek would have landed (`seek_park_ms`)."""
LANDING_LATE_MS = 8.0
"""An announced seek that lands this much after its announced start re-anchors at once."""
STRAY_REPORTS = 5
"""A stray counts once the median of this many reports since the last anchor shows it. A
report that reaches us late (a busy CPU delays mpv's callbacks by tens of ms) looks behind
on its own; a real stall or skip moves every report after it."""
STRAY_REPORTS_OFF_1X = 15
"""The same away from 1x, judged on the reports that came on time (`room.sync.reports`):
there mpv's `time-pos` alternates between the frame shown and a reading up to ~35 ms ahead
that grows and resets every ~0.4 s (1.5x, 25 fps, `ao=null`); fifteen span a cycle. (On a
median of them the host re-anchored five times in 3 s at 1.5x on film, each moving the
room's line by 10-30 ms and restarting every follower's nudge.)"""
STRAY_LATE_REPORTS = 3
"""Of those fifteen, this many may have been delivered late by a busy CPU."""
LINE_REPORTS = 8
"""Off 1x the host places a re-anchor on the on-time reading of this many latest reports
(four pairs at 1.5x; 0.64 s of reports at 0.5x on 25 fps), one of them allowed late: the
newest, so that a stray found in a window of fifteen is placed where playback went, not
between there and where it was. After a change of speed it re-anchors once this many are in."""


def learned_start_bias(bias_ms: float, drift_ms: float, limit_ms: float) -> float:
    """A player's start bias after a start that measured `drift_ms` off the line: half of it
    at a time (one noisy start moves the next by little, a steady bias is learned in a few),
    within `limit_ms` either way. Followers and the host learn theirs by this rule."""
    return max(-limit_ms, min(limit_ms, bias_ms + drift_ms / 2))


@dataclass(frozen=True, slots=True)
class AnchorUpdate:
    event: AnchorEvent
    anchor: Anchor


class HostAnchorPublisher:
    """Publishes an anchor when the host acts (any source: TUI keys or the mpv window),
    when its real playback strays from the last anchor, and every `refresh_ms`.

    `first_seq` should grow across restarts of the host (e.g. wall-clock ms), so followers
    never drop a restarted host's anchors as stale.
    """

    def __init__(self, settings: SyncSettings | None = None, *, first_seq: int = 0) -> None:
        self.settings = settings or SyncSettings()
        self._next_seq = first_seq
        self._anchor: Anchor | None = None
        self._guard = EchoGuard(expiry_ms=self.settings.echo_expiry_ms)
        self._scheduled_start_ms: float | None = None
        self._published_at_ms = -math.inf
        self.refresh_ms = self.settings.anchor_refresh_ms
        """How old an anchor may grow before a silent refresh (stretched in big rooms)."""
        self._strays_ms: deque[float] = deque(maxlen=STRAY_REPORTS_OFF_1X)
        """Signed stray (real position minus the anchor's) of recent reports, playing."""
        self._planned_seek: tuple[float, int] | None = None
        """A seek announced at the key press and not landed yet: (when, restarts before)."""
        self._seek_costs_ms: deque[float] = deque(maxlen=SEEK_COSTS)
        self._planned_rate: tuple[float, float] | None = None
        """A speed announced at the key press that the player has not reported yet:
        (rate, when)."""
        self._rate_settle_until_ms: float | None = None
        """The player took a new speed: its reports settle until then (see
        `_after_rate_change`)."""
        self._rate_reanchor_due = False
        """Settled after a change of speed: re-anchor once `LINE_REPORTS` are in."""
        self.start_bias_ms = 0.0
        """How much later than its announced instant our player is unpaused, to be on our
        own line: learned from our scheduled starts as followers learn theirs
        (`Follower.start_bias_ms`). libmpv reports ~19 ms ahead of the instant it was
        unpaused at; followers allowed for it and the host did not, so after every play and
        every seek while playing the host ran ahead of its own anchor, its followers that
        much behind it, until a re-anchor restarted their nudges."""
        self._bias_probe_from_ms: float | None = None
        """A scheduled start of ours was carried out: its strays from then on (past the
        reports' settling) teach `start_bias_ms`, once."""
        self._start_on_time = False
        """The scheduled start is carried out at its instant plus `start_bias_ms` (not at a
        late landing, which resumes at once): only such a start teaches the bias."""

    @property
    def anchor(self) -> Anchor | None:
        return self._anchor

    def plan_play(self, sample: PlaybackSample, now_ms: float, delay_ms: float) -> AnchorUpdate:
        """Start everyone on the same frame: publish a play at `now_ms + delay_ms` and let the
        caller unpause the host's own player at that instant (its unpause is then expected,
        not a new intent). A delay above the followers' latency means nobody has to seek."""
        start_ms = now_ms + delay_ms
        self._scheduled_start_ms = start_ms
        self._start_on_time = True
        self._guard.expect(IntentKind.PLAY, now_ms, not_before_ms=start_ms)
        return self._publish(events.PLAY, sample.position_s, start_ms, True, self._rate(sample))

    @property
    def seek_park_ms(self) -> float:
        """How far ahead a seek while playing restarts: the slowest of our recent seeks
        (`DEFAULT_SEEK_MS` before any) plus `SEEK_PARK_MARGIN_MS`."""
        return max(self._seek_costs_ms, default=DEFAULT_SEEK_MS) + SEEK_PARK_MARGIN_MS

    def plan_seek(self, sample: PlaybackSample, target_s: float, now_ms: float) -> AnchorUpdate:
        """Announce a seek at the key press, before our own player lands it, so followers
        seek in parallel. Paused, the anchor is the target. Playing, it is a scheduled start
        on the target `seek_park_ms` from now: the caller pauses, seeks and resumes our
        player then (all expected), and followers park on the same frame and start with
        us, as after a play. Should our seek land later than that, the landing re-anchors
        the start at once (`on_player_state`)."""
        playing = not sample.paused
        self._guard.expect(IntentKind.SEEK, now_ms, position_s=target_s)
        self._planned_seek = (now_ms, sample.restarts)
        self._published_at_ms = now_ms
        self._scheduled_start_ms = None
        at_ms = now_ms
        if playing:
            at_ms = now_ms + self.seek_park_ms
            self._guard.expect(IntentKind.PAUSE, now_ms)
            self._guard.expect(IntentKind.PLAY, now_ms, not_before_ms=at_ms)
            self._scheduled_start_ms = at_ms
            self._start_on_time = True
        return self._publish(events.SEEK, target_s, at_ms, playing, self._rate(sample))

    def plan_speed(
        self, sample: PlaybackSample, rate: float, now_ms: float, lead_ms: float = 0.0
    ) -> AnchorUpdate:
        """Announce a new playback speed at the key press. Playing, everyone changes speed
        at one instant, `lead_ms` from now (the start lead, `room.sync.lead.StartLead`):
        the anchor is our line's frame then, at the new rate, and the caller sets our
        player's speed at the anchor's `at`, as followers do; so nobody is a trip late at
        the old speed. Paused (or `lead_ms` 0) the speed changes now. Until the player
        reports the new speed its samples at the old one are expected, not a change to
        publish. A start or seek still scheduled keeps its frame and instant, at the new
        rate."""
        self._planned_rate = (rate, now_ms + max(0.0, lead_ms))
        self._published_at_ms = now_ms
        anchor = self._anchor
        if anchor is not None and anchor.at > now_ms:
            return self._publish(
                events.SPEED, anchor.current_time, anchor.at, anchor.is_playing, rate
            )
        at_ms = now_ms + max(0.0, lead_ms) if not sample.paused else now_ms
        position_s = sample.position_at(at_ms)
        return self._publish(events.SPEED, position_s, at_ms, not sample.paused, rate)

    def take_over(self, sample: PlaybackSample, rate: float, now_ms: float) -> AnchorUpdate:
        """We just became the host: our line, now, at the room's `rate` (the host's that we
        followed, or our own speed if we followed nobody), not our player's speed, which
        may be a follower's nudge (1.47 at 1.5x, 0.99 at 1x). Anything left of an earlier
        term as host is dropped. Should the player's speed differ, the caller sets it to
        `rate`; samples at the nudge meanwhile are expected, and once the player takes it
        the line is re-anchored where it settled, as after any change of speed."""
        self._planned_seek = None
        self._scheduled_start_ms = None
        self._rate_settle_until_ms = None
        self._planned_rate = None if sample.speed == rate else (rate, now_ms)
        self._published_at_ms = now_ms
        position_s = sample.position_at(now_ms)
        return self._publish(events.SYNC_ANCHOR, position_s, now_ms, sample.advancing, rate)

    def anchor_rate(self, sample: PlaybackSample) -> float:
        """The room's speed as we last announced it (our player's, before any anchor)."""
        return self._anchor.rate if self._anchor is not None else self._rate(sample)

    def _rate(self, sample: PlaybackSample) -> float:
        """Our speed: the one announced, until the player reports it."""
        planned = self._planned_rate
        return planned[0] if planned is not None else sample.speed

    def _after_rate_change(
        self, sample: PlaybackSample, now_ms: float, playing: bool
    ) -> tuple[bool, AnchorUpdate | None]:
        """(still settling, the re-anchor to publish). mpv's reported position steps when
        its speed changes (audio queued at the old speed: with `ao=null` -180 ms going to
        1.5x, +280 ms from 1.5x to 0.75x), within ~150 ms of taking it. So the line
        announced at the key press is re-anchored once, after the player took the speed and
        `settle_ms` passed, on the on-time reading of the next `LINE_REPORTS`
        reports (one report may be one of mpv's early ones, up to 35 ms off at 1.5x);
        meanwhile nothing is measured against it. Followers step alike when they take the
        speed, and wait for this re-anchor."""
        planned = self._planned_rate
        if planned is not None:
            rate, planned_ms = planned
            if sample.speed == rate:
                self._planned_rate = None
                self._rate_settle_until_ms = now_ms + self.settings.settle_ms
            elif now_ms - planned_ms > self.settings.echo_expiry_ms:
                self._planned_rate = None  # the player never took it: back to normal
                return False, None
            return True, None
        settle_until = self._rate_settle_until_ms
        if settle_until is not None:
            if now_ms < settle_until:
                self._strays_ms.clear()
                return True, None
            self._rate_settle_until_ms = None
            self._rate_reanchor_due = playing
        if not self._rate_reanchor_due:
            return False, None
        if not playing:
            self._rate_reanchor_due = False
            return False, None
        anchor = self._anchor
        assert anchor is not None
        anchored_s = anchor_position(anchor, now_ms)
        self._strays_ms.append((sample.position_at(now_ms) - anchored_s) * 1000)
        if len(self._strays_ms) < LINE_REPORTS:
            return True, None
        self._rate_reanchor_due = False
        self._published_at_ms = now_ms
        position_s = anchored_s + self._line_stray_ms() / 1000
        return True, self._publish(events.SYNC_ANCHOR, position_s, now_ms, True, sample.speed)

    def plan_new_item(self, now_ms: float) -> AnchorUpdate:
        """The room moves to a new queue item: an anchor paused at 0, which the item change
        carries, so followers stop at once and nobody plays the new item before the start.
        Our own player's load (a pause and a jump to 0) is then expected, not a new intent."""
        self._guard.expect(IntentKind.PAUSE, now_ms)
        self._guard.expect(IntentKind.SEEK, now_ms, position_s=0.0)
        self._planned_seek = None
        self._scheduled_start_ms = None
        self._published_at_ms = now_ms
        return self._publish(events.PAUSE, 0.0, now_ms, False, 1.0)

    def on_player_state(self, sample: PlaybackSample, now_ms: float) -> AnchorUpdate | None:
        intents = self._guard.observe(sample, now_ms)
        if sample.seeking:
            return None  # the landing (playback-restart) publishes the new position
        if self._planned_seek is not None:
            return self._planned_landing(sample, now_ms)
        playing = sample.advancing
        for intent in intents:
            event: AnchorEvent = intent.kind.value
            self._scheduled_start_ms = None
            return self._publish_now(event, sample, now_ms, playing)
        anchor = self._anchor
        if anchor is None:
            return self._publish_now(events.SYNC_ANCHOR, sample, now_ms, playing)
        if self._scheduled_start_ms is not None:
            if now_ms < self._scheduled_start_ms + self.settings.echo_expiry_ms and not playing:
                return None
            self._scheduled_start_ms = None
            if playing and self._start_on_time:
                self._bias_probe_from_ms = now_ms + self.settings.settle_ms
            self._start_on_time = False
        settling, reanchor = self._after_rate_change(sample, now_ms, playing)
        if settling:
            return reanchor
        if sample.speed != anchor.rate:  # changed in the mpv window
            self._published_at_ms = now_ms
            self._rate_settle_until_ms = now_ms + self.settings.settle_ms
            return self._publish(
                events.SPEED, sample.position_at(now_ms), now_ms, playing, sample.speed
            )
        if anchor.is_playing != playing:
            return self._publish_now(events.SYNC_ANCHOR, sample, now_ms, playing)
        if not playing:
            return None
        anchored_s = anchor_position(anchor, now_ms)
        if self._bias_probe_from_ms is not None and now_ms < self._bias_probe_from_ms:
            return None  # just unpaused: mpv's first reports are not yet where it plays
        self._strays_ms.append((sample.position_at(now_ms) - anchored_s) * 1000)
        if now_ms - self._published_at_ms < self.settings.anchor_min_interval_ms:
            return None
        stray_ms = self._typical_stray_ms()
        if stray_ms is not None and self._bias_probe_from_ms is not None:
            self._learn_start_bias(stray_ms)
        strayed = stray_ms is not None and abs(stray_ms) > self.settings.anchor_deviation_ms
        if strayed or now_ms - anchor.at >= self.refresh_ms:
            # Re-anchor where the recent reports agree playback is, not on the last one.
            self._published_at_ms = now_ms
            line_ms = (stray_ms or 0.0) if anchor.rate == 1.0 else self._line_stray_ms()
            position_s = anchored_s + line_ms / 1000
            return self._publish(events.SYNC_ANCHOR, position_s, now_ms, playing, sample.speed)
        return None

    def _planned_landing(self, sample: PlaybackSample, now_ms: float) -> AnchorUpdate | None:
        """Wait for the announced seek to land; a landing after the announced start (our
        player then resumes at once) re-anchors the start to now, so that followers parked
        on the frame start with us. Our seek's cost is learned either way."""
        assert self._planned_seek is not None
        planned_ms, restarts_before = self._planned_seek
        if sample.restarts <= restarts_before:
            if now_ms - planned_ms > self.settings.echo_expiry_ms:
                self._planned_seek = None  # never landed (media gone): back to normal
            return None
        self._planned_seek = None
        self._seek_costs_ms.append(now_ms - planned_ms)
        anchor = self._anchor
        if anchor is None or not anchor.is_playing or now_ms - anchor.at <= LANDING_LATE_MS:
            return None
        self._scheduled_start_ms = now_ms
        self._published_at_ms = now_ms
        update = self._publish(
            events.SYNC_ANCHOR, anchor.current_time, now_ms, True, sample.speed or anchor.rate
        )
        self._start_on_time = False  # our player resumes on the landing, bias or not
        return update

    def _learn_start_bias(self, stray_ms: float) -> None:
        self._bias_probe_from_ms = None
        limit = self.settings.max_start_bias_ms
        self.start_bias_ms = learned_start_bias(self.start_bias_ms, stray_ms, limit)

    def _typical_stray_ms(self) -> float | None:
        anchor = self._anchor
        if anchor is None or anchor.rate == 1.0:
            if len(self._strays_ms) < STRAY_REPORTS:
                return None
            return statistics.median(list(self._strays_ms)[-STRAY_REPORTS:])
        if len(self._strays_ms) < STRAY_REPORTS_OFF_1X:
            return None
        return on_time(self._strays_ms, STRAY_LATE_REPORTS)

    def _line_stray_ms(self) -> float:
        """Off 1x: where the latest reports place playback, against the anchor (ms)."""
        latest = list(self._strays_ms)[-LINE_REPORTS:]
        return on_time(latest, 1) if len(latest) > 1 else latest[0] if latest else 0.0

    def _publish_now(
        self, event: AnchorEvent, sample: PlaybackSample, now_ms: float, playing: bool
    ) -> AnchorUpdate:
        self._published_at_ms = now_ms
        rate = self._rate(sample)
        return self._publish(event, sample.position_at(now_ms), now_ms, playing, rate)

    def _publish(
        self, event: AnchorEvent, position_s: float, at_ms: float, playing: bool, rate: float
    ) -> AnchorUpdate:
        anchor = Anchor(
            is_playing=playing,
            current_time=max(0.0, position_s),
            at=at_ms,
            seq=self._next_seq,
            rate=rate if rate > 0 else 1.0,
        )
        self._next_seq += 1
        self._anchor = anchor
        self._bias_probe_from_ms = None  # a start cut short by an action teaches nothing
        self._strays_ms.clear()
        self._rate_reanchor_due = False
        return AnchorUpdate(event, anchor)
