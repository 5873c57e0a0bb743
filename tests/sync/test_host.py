from __future__ import annotations

import pytest

from room.sync import HostAnchorPublisher, PlaybackSample, SyncSettings, anchor_position


def sample(
    position: float, at: float, *, paused: bool = False, restarts: int = 0, speed: float = 1.0
) -> PlaybackSample:
    return PlaybackSample(
        position_s=position, observed_at_ms=at, paused=paused, restarts=restarts, speed=speed
    )


def test_first_state_publishes_an_anchor_and_seq_grows() -> None:
    host = HostAnchorPublisher(first_seq=7)
    first = host.on_player_state(sample(3.0, 0, paused=True), 0)
    assert first is not None
    assert first.anchor.seq == 7
    assert not first.anchor.is_playing
    update = host.on_player_state(sample(3.0, 100), 100)
    assert update is not None
    assert update.event == "play"
    assert update.anchor.seq == 8
    assert update.anchor.is_playing


def test_mpv_window_keys_are_host_intents() -> None:
    host = HostAnchorPublisher()
    host.on_player_state(sample(0.0, 0), 0)
    paused = host.on_player_state(sample(1.0, 1000, paused=True), 1000)
    assert paused is not None
    assert paused.event == "pause"
    assert paused.anchor.current_time == 1.0
    seeked = host.on_player_state(sample(42.0, 1500, paused=True, restarts=1), 1500)
    assert seeked is not None
    assert seeked.event == "seek"
    assert seeked.anchor.current_time == 42.0


def test_steady_playback_is_quiet_until_refresh_or_stray() -> None:
    settings = SyncSettings()
    host = HostAnchorPublisher(settings)
    host.on_player_state(sample(0.0, 0), 0)
    for t in range(40, 4000, 40):
        assert host.on_player_state(sample(t / 1000, t), t) is None
    # Playback skipped 100 ms ahead at 4 s: every report from then on shows it.
    strayed = None
    for t in range(4000, 4400, 40):
        strayed = host.on_player_state(sample(t / 1000 + 0.1, t), t)
        if strayed is not None:
            break
    assert strayed is not None
    assert strayed.event == "sync_anchor"
    assert anchor_position(strayed.anchor, t) == pytest.approx(t / 1000 + 0.1)
    refresh_at = t + settings.anchor_refresh_ms
    refreshed = host.on_player_state(sample(refresh_at / 1000 + 0.1, refresh_at), refresh_at)
    assert refreshed is not None


def test_late_reports_alone_do_not_reanchor() -> None:
    """On a busy machine some reports reach the host tens of ms late, so they look behind;
    re-anchoring on each would send the room a broadcast every 250 ms for nothing."""
    host = HostAnchorPublisher()
    host.on_player_state(sample(0.0, 0), 0)
    updates = []
    for t in range(40, 20_000, 40):
        late_ms = 45 if t % 200 == 0 else 0  # one report in five is 45 ms late
        update = host.on_player_state(sample(t / 1000, t + late_ms), t + late_ms)
        if update is not None:
            updates.append(update)
            now = t + late_ms  # where playback really is then: (t + late_ms) / 1000
            assert abs(anchor_position(update.anchor, now) - now / 1000) < 0.005
    assert len(updates) <= 20_000 // SyncSettings().anchor_refresh_ms  # the refreshes only


def test_a_planned_start_is_not_published_twice() -> None:
    host = HostAnchorPublisher()
    host.on_player_state(sample(5.0, 0, paused=True), 0)
    planned = host.plan_play(sample(5.0, 100, paused=True), 100, delay_ms=200)
    assert planned.anchor.at == 300
    assert anchor_position(planned.anchor, 250) == 5.0
    assert host.on_player_state(sample(5.0, 200, paused=True), 200) is None
    assert host.on_player_state(sample(5.0, 300), 300) is None
    assert host.on_player_state(sample(5.1, 400), 400) is None


def test_speed_change_on_the_host_reanchors_with_the_rate() -> None:
    host = HostAnchorPublisher()
    host.on_player_state(sample(0.0, 0), 0)
    update = host.on_player_state(sample(0.1, 100, speed=1.5), 100)
    assert update is not None
    assert update.anchor.rate == 1.5


AHEAD_MS = 19.0
"""How far ahead of its unpause instant libmpv reports (measured on Debian's 0.35.1)."""


def start_once(host: HostAnchorPublisher, at_ms: float, position: float) -> float:
    """A scheduled play carried out as the app's host does (at its instant plus the learned
    bias), with the player reporting `AHEAD_MS` ahead of where it was unpaused; then paused.
    Returns when it paused."""
    planned = host.plan_play(sample(position, at_ms - 200, paused=True), at_ms - 200, 200)
    resumed_ms = planned.anchor.at + host.start_bias_ms
    for t in range(int(resumed_ms), int(resumed_ms) + 800, 10):
        host.on_player_state(sample(position + (t - resumed_ms + AHEAD_MS) / 1000, t), t)
    stop_ms = resumed_ms + 800
    host.on_player_state(sample(position, stop_ms, paused=True, restarts=1), stop_ms)
    return stop_ms


def test_the_host_learns_how_late_to_unpause_to_be_on_its_own_line() -> None:
    """Followers allowed for mpv's report ahead of the unpause and the host did not: after
    every start the host ran ~19 ms ahead of its anchor, and its followers that far behind."""
    host = HostAnchorPublisher()
    host.on_player_state(sample(5.0, 0, paused=True), 0)
    at_ms = 1000.0
    for _ in range(6):
        at_ms = start_once(host, at_ms, 5.0) + 1000
    assert host.start_bias_ms == pytest.approx(AHEAD_MS, abs=1.0)
    # Learned: the next start is on the line, and nothing needs re-anchoring.
    planned = host.plan_play(sample(5.0, at_ms - 200, paused=True), at_ms - 200, 200)
    resumed_ms = planned.anchor.at + host.start_bias_ms
    for t in range(int(resumed_ms), int(resumed_ms) + 2000, 10):
        reported = sample(5.0 + (t - resumed_ms + AHEAD_MS) / 1000, t)
        assert host.on_player_state(reported, t) is None


def test_a_seek_that_lands_after_its_start_teaches_no_bias() -> None:
    """A late landing resumes at once, the bias not waited for: its stray is the raw one."""
    host = HostAnchorPublisher()
    host.on_player_state(sample(10.0, 0), 0)
    host.plan_seek(sample(11.0, 1000), 60.0, 1000)
    landed_ms = 1300.0  # well after the announced start
    host.on_player_state(sample(60.0, landed_ms, paused=True, restarts=1), landed_ms)
    for t in range(int(landed_ms), int(landed_ms) + 800, 10):
        host.on_player_state(sample(60.0 + (t - landed_ms + AHEAD_MS) / 1000, t, restarts=1), t)
    assert host.start_bias_ms == 0.0
