"""The host's speed changes: announced at the key press as a `speed` anchor carrying the rate."""

from __future__ import annotations

from room.sync import HostAnchorPublisher, SyncSettings, anchor_position
from tests.sync.test_host import sample


def playing_host() -> HostAnchorPublisher:
    host = HostAnchorPublisher()
    host.on_player_state(sample(10.0, 0), 0)
    return host


def test_a_planned_speed_is_announced_on_the_hosts_line_at_the_new_rate() -> None:
    host = playing_host()
    update = host.plan_speed(sample(10.0, 0), 1.5, 1000)
    assert update.event == "speed"
    assert update.anchor.rate == 1.5
    assert update.anchor.is_playing
    assert update.anchor.current_time == 11.0  # where the host was at the key press
    assert anchor_position(update.anchor, 2000) == 12.5


def test_reports_at_the_old_speed_until_the_player_takes_the_new_one_are_expected() -> None:
    host = playing_host()
    host.plan_speed(sample(10.0, 0), 1.5, 1000)
    assert host.on_player_state(sample(11.02, 1020), 1020) is None  # still at 1x: not news
    taken = host.on_player_state(sample(11.045, 1030, speed=1.5), 1030)
    assert taken is None  # the speed the room already has
    updates = []
    for step in range(1, 12):
        t = 1030 + step * 100
        # mpv's reported position stepped back 180 ms when it took the speed
        updates.append(host.on_player_state(sample(10.865 + step * 0.15, t, speed=1.5), t))
    published = [(i, u) for i, u in enumerate(updates) if u is not None]
    assert len(published) == 1, "one re-anchor once the reports settled, no more"
    index, reanchor = published[0]
    assert 1030 + (index + 1) * 100 >= 1030 + SyncSettings().settle_ms
    assert reanchor.event == "sync_anchor"
    assert reanchor.anchor.rate == 1.5
    assert abs(anchor_position(reanchor.anchor, 2000) - (10.865 + 0.97 * 1.5)) < 1e-6


def test_a_speed_changed_in_the_mpv_window_is_reanchored_once_it_settles() -> None:
    host = playing_host()
    update = host.on_player_state(sample(11.0, 1000, speed=1.5), 1000)
    assert update is not None and update.event == "speed"
    later = [
        host.on_player_state(sample(10.82 + step * 0.015, t, speed=1.5), t)
        for step, t in enumerate(range(1010, 1500, 10))
    ]
    assert [u.event for u in later if u is not None] == ["sync_anchor"]


def test_a_speed_changed_in_the_mpv_window_is_announced() -> None:
    host = playing_host()
    update = host.on_player_state(sample(11.0, 1000, speed=0.75), 1000)
    assert update is not None
    assert update.event == "speed"
    assert update.anchor.rate == 0.75


def test_paused_the_speed_is_announced_too_and_the_next_play_carries_it() -> None:
    host = HostAnchorPublisher()
    host.on_player_state(sample(10.0, 0, paused=True), 0)
    update = host.plan_speed(sample(10.0, 0, paused=True), 2.0, 100)
    assert (update.event, update.anchor.is_playing, update.anchor.rate) == ("speed", False, 2.0)
    play = host.plan_play(sample(10.0, 200, paused=True), 200, 50)
    assert play.anchor.rate == 2.0  # the player has not reported 2x yet; the room has it


def test_a_speed_during_a_scheduled_start_keeps_the_start() -> None:
    host = HostAnchorPublisher()
    host.on_player_state(sample(10.0, 0, paused=True), 0)
    play = host.plan_play(sample(10.0, 100, paused=True), 100, 300)
    update = host.plan_speed(sample(10.0, 150, paused=True), 1.5, 150)
    assert update.anchor.is_playing
    assert (update.anchor.current_time, update.anchor.at) == (10.0, play.anchor.at)
    assert update.anchor.rate == 1.5
