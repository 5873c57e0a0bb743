"""The host's speed changes: announced at the key press as a `speed` anchor carrying the rate."""

from __future__ import annotations

from collections.abc import Iterator

from room.sync import HostAnchorPublisher, PlaybackSample, SyncSettings, anchor_position
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


def test_playing_the_change_is_scheduled_one_lead_ahead_on_the_hosts_frame_then() -> None:
    host = playing_host()
    update = host.plan_speed(sample(10.0, 0), 1.5, 1000, lead_ms=90)
    assert (update.event, update.anchor.rate, update.anchor.at) == ("speed", 1.5, 1090)
    assert update.anchor.current_time == 11.09  # at 1x until the instant
    # until our player takes the speed at that instant, its 1x reports are expected
    for t in range(1000, 1100, 20):
        assert host.on_player_state(sample(10.0 + t / 1000, t), t) is None


def test_paused_a_change_is_not_scheduled() -> None:
    host = HostAnchorPublisher()
    host.on_player_state(sample(10.0, 0, paused=True), 0)
    update = host.plan_speed(sample(10.0, 0, paused=True), 1.5, 1000, lead_ms=90)
    assert (update.anchor.at, update.anchor.current_time) == (1000, 10.0)


def test_reports_at_the_old_speed_until_the_player_takes_the_new_one_are_expected() -> None:
    host = playing_host()
    host.plan_speed(sample(10.0, 0), 1.5, 1000)
    assert host.on_player_state(sample(11.02, 1020), 1020) is None  # still at 1x: not news
    taken = host.on_player_state(sample(11.045, 1030, speed=1.5), 1030)
    assert taken is None  # the speed the room already has
    updates = []
    for step in range(1, 25):
        t = 1030 + step * 100
        # mpv's reported position stepped back 180 ms when it took the speed
        updates.append(host.on_player_state(sample(10.865 + step * 0.15, t, speed=1.5), t))
    published = [(i, u) for i, u in enumerate(updates) if u is not None]
    assert len(published) == 1, "one re-anchor once the reports settled, no more"
    index, reanchor = published[0]
    assert 1030 + (index + 1) * 100 >= 1030 + SyncSettings().settle_ms
    assert reanchor.event == "sync_anchor"
    assert reanchor.anchor.rate == 1.5
    assert abs(anchor_position(reanchor.anchor, 3000) - (10.865 + 1.97 * 1.5)) < 1e-6


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


TRACED_EARLY_MS = [
    0, 3, 1, 10, 1, 13, 0, 19, 2, 24, 1, 25, 1, 30, 26, 34, 1, -1, 4, 1, 10, 1, 16, 2, 21,
    0, 22, 1, 25, 2, 30, 1, 33, 1, 1, 23, 36, 6, 1, 10, 36, 15, -2, 19, 1, 24, 1, 31, 1, 28,
    33, 2, 2, 0, 8, -1, 13, 1, 17, 2, 21, -2, 29, 1, 30, 2, 35, 34, -2, -2, 1, 0, 2, 8, 0,
    13, 1, 26, 1, 20, 2, 25, 1, 28, 35, 33, 3, -2, -3, 33, 2, 24, 7, -1, 11, 28, 21, 1, 20,
    35, 22, 1, 36, 0, 26, 1, 26, 28, 31, 2, 35,
]  # fmt: skip
"""How early each of a host's mpv reports was, in a row, 3-6 s after it went to 1.5x on
25 fps film (benchmarks/sync_drift.py --media film, ten players on two cores; ms against
the line of its on-time reports)."""


def film_reports_at(
    rate: float, start_ms: float, end_ms: float, line_s: float
) -> Iterator[tuple[PlaybackSample, float]]:
    """Reports of 25 fps film at 1.5x as mpv gave them (`TRACED_EARLY_MS`, over and over).
    Yields (report, true position) at each report; the true line passes `line_s` at
    `start_ms`."""
    frame_ms = 40.0 / rate
    t, index = start_ms, 0
    while t < end_ms:
        true_s = line_s + (t - start_ms) / 1000 * rate
        early_ms = TRACED_EARLY_MS[index % len(TRACED_EARLY_MS)]
        yield sample(true_s + early_ms / 1000, t, speed=rate), true_s
        t += frame_ms
        index += 1


def test_early_reports_off_1x_do_not_move_the_rooms_line() -> None:
    """At 1.5x on film about half of mpv's reports are early; the host's line stays on the
    frames shown (a median of them moved it by 10-30 ms a few times a second)."""
    host = HostAnchorPublisher()
    host.on_player_state(sample(10.0, 0), 0)
    host.plan_speed(sample(10.0, 0), 1.5, 1000)
    published = []
    for report, true_s in film_reports_at(1.5, 1010, 9000, 11.0 + 0.015):
        update = host.on_player_state(report, report.observed_at_ms)
        if update is not None:
            published.append(update)
            line_s = anchor_position(update.anchor, report.observed_at_ms)
            assert abs(line_s - true_s) * 1000 <= 2.0, f"line off by {(line_s - true_s) * 1000}"
    assert [u.event for u in published] == ["sync_anchor"] * len(published)
    assert len(published) <= 2  # the re-anchor once settled, and a refresh


def test_a_real_stray_off_1x_is_still_caught() -> None:
    host = HostAnchorPublisher()
    host.on_player_state(sample(10.0, 0), 0)
    host.plan_speed(sample(10.0, 0), 1.5, 1000)
    for report, _ in film_reports_at(1.5, 1010, 3000, 11.015):
        host.on_player_state(report, report.observed_at_ms)
    caught = None
    for report, true_s in film_reports_at(1.5, 3000, 4500, 11.015 + 3.0 + 0.060):
        caught = host.on_player_state(report, report.observed_at_ms)
        if caught is not None:
            now = report.observed_at_ms
            assert abs(anchor_position(caught.anchor, now) - true_s) * 1000 <= 2.0
            break
    assert caught is not None, "playback skipped 60 ms ahead and the room never heard"
