"""Sync settings (the `sync.*` section of the app config)."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field


class SyncSettings(BaseModel):
    """How hard a follower works to stay on the host's frame. Docstrings are the reference."""

    model_config = ConfigDict(extra="forbid", frozen=True, use_attribute_docstrings=True)

    offset_s: float = Field(default=0.0, ge=-600, le=600)
    """Keep our player this many seconds ahead of the host's timeline (negative: behind),
    for a copy whose content sits later (a longer intro, another release). `o` in the room
    sets it for the media playing and remembers it per media in your data folder; this is
    the offset for media with none remembered."""

    correction_enabled: bool = True
    """Correct drift while playing (speed nudges and seeks). Off: follow the host's play,
    pause and seek commands only, as other watch-party clients do."""

    dead_zone_ms: float = Field(default=10.0, ge=0, le=1000)
    """Drift below this is left alone. Under half a frame at 25 fps: nobody can see it."""

    release_ms: float = Field(default=3.0, ge=0, le=1000)
    """A speed nudge ends once drift is back under this (hysteresis against flapping)."""

    correction_horizon_ms: float = Field(default=1000.0, ge=50, le=60_000)
    """A nudge aims to remove the drift over about this long: speed = rate x (1 - drift/horizon)."""

    max_nudge: float = Field(default=0.05, gt=0, le=0.5)
    """Largest relative speed change of a nudge (0.05 = 0.95x to 1.05x); audio pitch is kept."""

    speed_step: float = Field(default=0.004, ge=0, le=0.1)
    """Smaller speed changes than this are not sent to the player."""

    min_speed_interval_ms: float = Field(default=200.0, ge=0, le=10_000)
    """At most one speed change per this interval."""

    seek_threshold_ms: float = Field(default=150.0, ge=1, le=60_000)
    """Drift beyond this is fixed by an exact seek instead of a nudge."""

    seek_cooldown_ms: float = Field(default=2000.0, ge=0, le=120_000)
    """No corrective seek within this long after the previous one."""

    max_failed_seeks: int = Field(default=3, ge=1, le=100)
    """Give up correcting after this many corrective seeks in a row that did not bring drift
    back into the dead zone (a player that cannot keep up should not seek forever)."""

    give_up_retry_ms: float = Field(default=60_000.0, ge=0)
    """After giving up, try again after this long (or at the host's next action)."""

    min_seek_lead_ms: float = Field(default=120.0, ge=0, le=10_000)
    """A seek while playing lands this far ahead of the host and resumes when the host gets
    there, so playback starts on the host's frame; it grows with the seek times measured."""

    max_seek_lead_ms: float = Field(default=3000.0, ge=0, le=60_000)
    """Upper bound of the adaptive seek lead (slow network media)."""

    min_start_lead_ms: float = Field(default=5.0, ge=0, le=10_000)
    """The host schedules a play at least this far ahead; the lead grows with the slowest
    member's measured one-way latency (plus `start_margin_ms`). Kept small: every player
    then takes mpv's own unpause time (~20 ms) on top, and a member that hears the play up
    to `late_start_ms` late starts at once, a few ms behind, and is nudged onto the frame."""

    start_margin_ms: float = Field(default=5.0, ge=0, le=10_000)
    """Added to the slowest member's one-way latency for the start lead: the follower's own
    turn of its event loop and its player's unpause."""

    max_start_lead_ms: float = Field(default=500.0, ge=0, le=60_000)
    """Upper bound of the start lead: a slower member starts late and is caught up."""

    late_start_ms: float = Field(default=20.0, ge=0, le=10_000)
    """A follower that hears of a start at most this late, paused on the frame, plays at
    once and lets drift correction take up the difference (a seek ahead would cost more)."""

    settle_ms: float = Field(default=300.0, ge=0, le=10_000)
    """After a seek lands or playback starts, wait this long before judging drift (mpv's
    first frames after an unpause come early; their effect is measured, then corrected)."""

    max_start_bias_ms: float = Field(default=100.0, ge=0, le=1000)
    """Bound on the learned start bias: how far ahead this player reports right after it
    unpauses, so scheduled starts can allow for it."""

    pause_tolerance_ms: float = Field(default=1.0, ge=0, le=1000)
    """A paused follower this close to the host's pause position is not re-seeked."""

    in_sync_threshold_ms: float = Field(default=80.0, gt=0, le=60_000)
    """`is_synced` in the heartbeat: measured drift within this (two frames at 25 fps)."""

    echo_expiry_ms: float = Field(default=3000.0, ge=100, le=60_000)
    """How long an applied command waits for the player to report it before a later change
    of the same kind counts as the user's own."""

    anchor_refresh_ms: float = Field(default=5000.0, ge=100, le=600_000)
    """The host re-publishes its anchor at least this often while playing."""

    anchor_deviation_ms: float = Field(default=8.0, ge=0.5, le=10_000)
    """The host re-publishes when its real position strays this far from its last anchor."""

    anchor_min_interval_ms: float = Field(default=250.0, ge=0, le=60_000)
    """...but at most this often: a stutter or the frames right after a seek settle first,
    and every broadcast is a billed message. The host's own actions go out at once."""
