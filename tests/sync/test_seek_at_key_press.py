"""Seeks announced at the key press: the host's anchor, its landing, and followers seeking
alongside, on a fake clock (plain numbers)."""

from __future__ import annotations

import pytest

from room.sync import Anchor, Follower, HostAnchorPublisher, PlaybackSample
from room.sync.clock import ClockSync, answer_ping
from room.sync.host import DEFAULT_SEEK_MS, LANDING_LATE_MS, SEEK_PARK_MARGIN_MS

PARK_MS = DEFAULT_SEEK_MS + SEEK_PARK_MARGIN_MS


def sample(
    position: float, at: float, *, paused: bool = False, restarts: int = 0, seeking: bool = False
) -> PlaybackSample:
    return PlaybackSample(
        position_s=position, observed_at_ms=at, paused=paused, restarts=restarts, seeking=seeking
    )


def playing_host() -> HostAnchorPublisher:
    host = HostAnchorPublisher()
    host.on_player_state(sample(10.0, 0), 0)
    return host


def test_a_seek_while_playing_is_announced_at_once_as_a_start_on_the_target() -> None:
    host = playing_host()
    update = host.plan_seek(sample(11.0, 1000), 60.0, 1000)
    assert update.event == "seek"
    anchor = update.anchor
    assert anchor.is_playing and anchor.current_time == 60.0
    assert anchor.at == 1000 + PARK_MS, "a start when our slowest seek has landed, and a bit"
    # The stale report mpv may deliver before it says `seeking`, the pause, the seek and
    # the wait on the frame: all ours, none re-announced.
    assert host.on_player_state(sample(11.0, 1002), 1002) is None
    assert host.on_player_state(sample(11.0, 1003, paused=True, seeking=True), 1003) is None
    landed = sample(60.0, 1030, paused=True, restarts=1)
    assert host.on_player_state(landed, 1030) is None
    assert host.on_player_state(sample(60.0, 1040, paused=True, restarts=1), 1040) is None
    started = sample(60.0, 1000 + PARK_MS, restarts=1)
    assert host.on_player_state(started, 1000 + PARK_MS) is None, "the start was announced"


def test_a_landing_after_the_announced_start_re_anchors_it_and_teaches_the_next_seek() -> None:
    host = playing_host()
    host.plan_seek(sample(11.0, 1000), 60.0, 1000)
    landed_ms = 1000 + PARK_MS + LANDING_LATE_MS + 30
    refined = host.on_player_state(sample(60.0, landed_ms, paused=True, restarts=1), landed_ms)
    assert refined is not None and refined.event == "sync_anchor"
    assert refined.anchor.current_time == 60.0 and refined.anchor.at == landed_ms
    assert refined.anchor.is_playing, "we start now: the driver resumes on the late landing"
    # The next seek parks long enough for a seek like that one.
    again = host.plan_seek(sample(61.0, 3000, restarts=1), 20.0, 3000)
    assert again.anchor.at == 3000 + (landed_ms - 1000) + SEEK_PARK_MARGIN_MS


def test_a_landing_on_time_sends_nothing_more() -> None:
    host = playing_host()
    host.plan_seek(sample(11.0, 1000), 60.0, 1000)
    on_time = 1000 + PARK_MS + LANDING_LATE_MS
    assert host.on_player_state(sample(60.0, on_time, paused=True, restarts=1), on_time) is None


def test_a_seek_while_paused_is_announced_at_once_and_its_landing_is_not_a_user_seek() -> None:
    host = HostAnchorPublisher()
    host.on_player_state(sample(10.0, 0, paused=True), 0)
    update = host.plan_seek(sample(10.0, 100, paused=True), 42.0, 100)
    assert update.event == "seek"
    assert not update.anchor.is_playing and update.anchor.current_time == 42.0
    assert host.on_player_state(sample(42.0, 120, paused=True, restarts=1), 120) is None


def synced(offset: float = 0.0) -> ClockSync:
    clock = ClockSync("me", "host")
    ping = clock.make_ping(0)
    clock.on_pong(answer_ping(ping, offset, offset), 0)
    return clock


def playing_follower() -> Follower:
    follower = Follower(clock=synced())
    follower.on_player_state(sample(10.0, 0, restarts=1), 0)
    follower.on_anchor(Anchor(is_playing=True, current_time=10.0, at=0, seq=1), 0)
    return follower


def test_a_follower_parks_on_the_hosts_frame_and_starts_with_it() -> None:
    follower = playing_follower()
    # The host pressed at 1000 and starts at 1070 (its seeks are slower than ours); we
    # hear of it at 1005.
    anchor = Anchor(is_playing=True, current_time=60.0, at=1070, seq=2)
    decision = follower.on_anchor(anchor, 1005)
    assert decision.pause is True
    assert decision.seek_to_s == 60.0
    assert decision.resume_at_ms == 1070


def test_a_follower_whose_seek_would_land_after_the_hosts_start_parks_further_on() -> None:
    follower = playing_follower()
    anchor = Anchor(is_playing=True, current_time=60.0, at=1000 + PARK_MS, seq=2)
    heard_ms = 1030  # too late to seek and land by the host's start
    decision = follower.on_anchor(anchor, heard_ms)
    assert decision.pause is True and decision.resume_at_ms == heard_ms + follower.seek_park_ms
    # ...on the frame the host shows then: the same line, a later start.
    assert decision.seek_to_s == 60.0 + (decision.resume_at_ms - anchor.at) / 1000


def test_a_host_start_moved_by_its_late_landing_moves_our_resume_not_our_seek() -> None:
    follower = playing_follower()
    first = follower.on_anchor(Anchor(is_playing=True, current_time=60.0, at=1070, seq=2), 1005)
    assert first.seek_to_s == 60.0 and first.resume_at_ms == 1070
    # The host landed late and re-anchored its start at 1090, while our seek is under way.
    moved = Anchor(is_playing=True, current_time=60.0, at=1090, seq=3)
    decision = follower.on_anchor(moved, 1088, host_action=False)
    assert decision.seek_to_s is None and decision.pause is None, "no second jump"
    assert decision.resume_at_ms == 1090
    # Other refreshes while our seek is under way leave it alone.
    other = Anchor(is_playing=True, current_time=60.01, at=1095, seq=4)
    assert follower.on_anchor(other, 1089, host_action=False).is_noop


def test_only_a_plain_start_teaches_the_start_bias_not_one_after_a_seek() -> None:
    follower = playing_follower()
    follower.on_anchor(Anchor(is_playing=True, current_time=60.0, at=1070, seq=2), 1005)
    follower.on_player_state(sample(60.0, 1040, paused=True, restarts=2), 1040)  # landed
    follower.on_player_state(sample(60.0, 1071, restarts=2), 1071)  # started
    settled = 1071 + follower.settings.settle_ms + 10
    # 30 ms behind the host's line: the host's own landing, not this player's start.
    behind = sample(60.0 + (settled - 1070 - 30) / 1000, settled, restarts=2)
    follower.on_player_state(behind, settled)
    assert follower.start_bias_ms == 0.0
    # A plain start on the frame, 30 ms behind once settled, does teach it.
    follower.on_anchor(Anchor(is_playing=False, current_time=70.0, at=3000, seq=3), 3000)
    follower.on_player_state(sample(70.0, 3020, paused=True, restarts=3), 3020)
    follower.on_anchor(Anchor(is_playing=True, current_time=70.0, at=3100, seq=4), 3050)
    follower.on_player_state(sample(70.0, 3101, restarts=3), 3101)
    settled = 3101 + follower.settings.settle_ms + 10
    follower.on_player_state(
        sample(70.0 + (settled - 3100 - 30) / 1000, settled, restarts=3), settled
    )
    assert follower.start_bias_ms == pytest.approx(-15.0)
