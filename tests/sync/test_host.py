from __future__ import annotations

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
    strayed = host.on_player_state(sample(4.1, 4000), 4000)
    assert strayed is not None
    assert strayed.event == "sync_anchor"
    assert anchor_position(strayed.anchor, 4000) == 4.1
    refresh_at = 4000 + settings.anchor_refresh_ms
    refreshed = host.on_player_state(
        sample(4.1 + settings.anchor_refresh_ms / 1000, refresh_at), refresh_at
    )
    assert refreshed is not None


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
