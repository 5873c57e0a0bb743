"""Drift correction as a pure function: dead zone, speed nudge, exact seek, cooldown, give-up.

Drift is follower position minus host position in ms (positive: the follower is ahead).
A nudge starts from one measured drift and is then steered by the correction it has
applied (speed difference x time), not by drifts measured while nudging: mpv's tempo
filter shifts the reported position by about 10 ms, against the nudge, whenever speed
leaves 1.0 and shifts it back on return, so a closed loop would stop early and leave that
much behind. The nudge is proportional to what remains (it aims to remove it over
`correction_horizon_ms`), ends when the remainder is under `release_ms`, and can never
change direction, so it does not oscillate. Measurements still trigger seeks.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace
from enum import Enum

from room.sync.settings import SyncSettings


@dataclass(frozen=True, slots=True)
class Decision:
    """What the driver should do to the local player, in this order.

    `resume_at_ms` (caller's clock) is a scheduled unpause: the driver waits until both the
    seek has landed and that instant has come, then plays. That is how a follower starts on
    the host's frame even though the command reached it late. `pause=True` cancels a
    resume still scheduled from an earlier decision. `speed_at_ms` (caller's clock) sets
    `speed` at that instant rather than at once: a change of rate the host scheduled, so the
    whole room changes speed together; any later decision with a speed replaces it.
    """

    pause: bool | None = None
    seek_to_s: float | None = None
    speed: float | None = None
    resume_at_ms: float | None = None
    reason: str = ""
    speed_at_ms: float | None = None

    @property
    def is_noop(self) -> bool:
        return (
            self.pause is None
            and self.seek_to_s is None
            and self.speed is None
            and self.resume_at_ms is None
        )


NO_CHANGE = Decision()


class CorrectionKind(Enum):
    NONE = "none"
    SPEED = "speed"
    SEEK = "seek"
    GIVE_UP = "give_up"


@dataclass(frozen=True, slots=True)
class Correction:
    kind: CorrectionKind
    speed: float | None = None


NOTHING = Correction(CorrectionKind.NONE)


@dataclass(frozen=True, slots=True)
class CorrectionState:
    """What the policy remembers between calls. Start from `CorrectionState()`."""

    speed_factor: float = 1.0
    """The nudge currently applied, relative to the host's rate (1.0: none)."""
    nudge_sign: int = 0
    """+1 while slowing down (we were ahead), -1 while speeding up, 0 when not nudging."""
    nudge_remaining_ms: float = 0.0
    """Drift the running nudge has still to remove, by its own account."""
    nudge_updated_ms: float = 0.0
    last_speed_change_ms: float = -math.inf
    last_seek_ms: float = -math.inf
    failed_seeks: int = 0
    gave_up_at_ms: float | None = None

    @property
    def gave_up(self) -> bool:
        return self.gave_up_at_ms is not None


def nudge_factor(drift_ms: float, settings: SyncSettings, rate: float = 1.0) -> float:
    """Relative speed that removes `drift_ms` over the correction horizon, within bounds.

    At the host's `rate` a factor f gains `rate x (f - 1)` ms of media time per ms: a room
    at 1.5x removes drift half as fast again with the same factor, one at 0.75x slower.
    Below 1x the bound widens by 1/rate, so a slow room corrects as fast as one at 1x
    (at 0.5x: 0.45-0.55x); above 1x it stays `max_nudge` of the rate."""
    factor = -drift_ms / (settings.correction_horizon_ms * rate)
    bound = max_nudge(settings, rate)
    return 1.0 + max(-bound, min(bound, factor))


def max_nudge(settings: SyncSettings, rate: float = 1.0) -> float:
    """The largest nudge, relative to the host's `rate` (see `nudge_factor`)."""
    return settings.max_nudge / min(1.0, rate)


SEEK_WORTH = 2.0
"""A corrective seek must remove at least this many times the picture freeze it costs (the
member's measured seek time); below that a speed nudge is the gentler fix. On a small test
file (seeks of 10-30 ms) `seek_threshold_ms` decides; on a film with a keyframe every 10 s
(exact seeks of 90-185 ms) a seek waits for 180-370 ms of drift."""


def seek_threshold_ms(settings: SyncSettings, seek_cost_ms: float) -> float:
    """The drift from which a seek is the correction, for a player whose seeks cost this."""
    return max(settings.seek_threshold_ms, SEEK_WORTH * seek_cost_ms)


def correct(
    drift_ms: float,
    now_ms: float,
    state: CorrectionState,
    settings: SyncSettings,
    *,
    seek_cost_ms: float = 0.0,
    rate: float = 1.0,
) -> tuple[Correction, CorrectionState]:
    """Decide how to correct a measured drift. Pure: same inputs, same answer.
    `seek_cost_ms`: what a seek costs this player (see `SEEK_WORTH`). `rate`: the host's
    playback rate, which the returned speed multiplies (a nudge of 0.98 at 1.5x is 1.47)."""
    if not settings.correction_enabled:
        return _stop_nudge(state, now_ms)
    if state.gave_up_at_ms is not None:
        if now_ms - state.gave_up_at_ms < settings.give_up_retry_ms:
            return NOTHING, state
        state = CorrectionState(speed_factor=state.speed_factor)

    magnitude = abs(drift_ms)
    if magnitude <= settings.dead_zone_ms and state.failed_seeks:
        state = replace(state, failed_seeks=0)

    # Within the cooldown after a seek, large drift is nudged rather than left alone.
    cooled_down = now_ms - state.last_seek_ms >= settings.seek_cooldown_ms
    if magnitude >= seek_threshold_ms(settings, seek_cost_ms) and cooled_down:
        if state.failed_seeks >= settings.max_failed_seeks:
            return Correction(CorrectionKind.GIVE_UP, speed=1.0), CorrectionState(
                gave_up_at_ms=now_ms, last_seek_ms=state.last_seek_ms
            )
        return Correction(CorrectionKind.SEEK, speed=1.0), replace(
            state,
            speed_factor=1.0,
            nudge_sign=0,
            last_seek_ms=now_ms,
            failed_seeks=state.failed_seeks + 1,
        )

    if state.nudge_sign:
        return _continue_nudge(now_ms, state, settings, rate)
    recently_changed = now_ms - state.last_speed_change_ms < settings.min_speed_interval_ms
    if magnitude > settings.dead_zone_ms and not recently_changed:
        factor = nudge_factor(drift_ms, settings, rate)
        return Correction(CorrectionKind.SPEED, speed=factor), replace(
            state,
            speed_factor=factor,
            nudge_sign=1 if drift_ms > 0 else -1,
            nudge_remaining_ms=drift_ms,
            nudge_updated_ms=now_ms,
            last_speed_change_ms=now_ms,
        )
    return NOTHING, state


def _continue_nudge(
    now_ms: float, state: CorrectionState, settings: SyncSettings, rate: float
) -> tuple[Correction, CorrectionState]:
    applied_ms = max(0.0, now_ms - state.nudge_updated_ms) * (1.0 - state.speed_factor) * rate
    remaining = state.nudge_remaining_ms - applied_ms
    state = replace(state, nudge_remaining_ms=remaining, nudge_updated_ms=now_ms)
    if abs(remaining) <= settings.release_ms or (remaining > 0) != (state.nudge_sign > 0):
        return _stop_nudge(state, now_ms)
    factor = nudge_factor(remaining, settings, rate)
    if (
        now_ms - state.last_speed_change_ms < settings.min_speed_interval_ms
        or abs(factor - state.speed_factor) < settings.speed_step
    ):
        return NOTHING, state
    return Correction(CorrectionKind.SPEED, speed=factor), replace(
        state, speed_factor=factor, last_speed_change_ms=now_ms
    )


def _stop_nudge(state: CorrectionState, now_ms: float) -> tuple[Correction, CorrectionState]:
    if state.speed_factor == 1.0 and state.nudge_sign == 0:
        return NOTHING, state
    return Correction(CorrectionKind.SPEED, speed=1.0), replace(
        state, speed_factor=1.0, nudge_sign=0, nudge_remaining_ms=0.0, last_speed_change_ms=now_ms
    )
