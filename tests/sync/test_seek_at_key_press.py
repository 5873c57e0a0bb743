"""Seeks announced at the key press: the host's anchor, its landing, and followers seeking
alongside, on a fake clock (plain numbers)."""

from __future__ import annotations

from room.sync import Anchor, Follower, HostAnchorPublisher, PlaybackSample
from room.sync.clock import ClockSync, answer_ping
from room.sync.host import DEFAULT_SEEK_MS, LANDING_REFINE_MS


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


def test_a_seek_while_playing_is_announced_before_the_host_lands_it() -> None:
    host = playing_host()
    update = host.plan_seek(sample(11.0, 1000), 60.0, 1000)
    assert update.event == "seek"
    anchor = update.anchor
    assert anchor.is_playing and anchor.current_time == 60.0
    assert anchor.at == 1000 + DEFAULT_SEEK_MS, "at 60 s when our own seek should land"
    # Mid-seek, and the stale report mpv may deliver before it says `seeking`: no new anchor.
    assert host.on_player_state(sample(11.0, 1002), 1002) is None
    assert host.on_player_state(sample(11.0, 1005, seeking=True), 1005) is None


def test_a_landing_on_the_announced_line_sends_nothing_more() -> None:
    host = playing_host()
    host.plan_seek(sample(11.0, 1000), 60.0, 1000)
    landed = sample(60.0, 1000 + DEFAULT_SEEK_MS, restarts=1)
    assert host.on_player_state(landed, 1000 + DEFAULT_SEEK_MS) is None, "not a user seek either"
    later = 1000 + DEFAULT_SEEK_MS + 500
    assert host.on_player_state(sample(60.5, later, restarts=1), later) is None


def test_a_late_landing_refines_the_anchor_at_once_and_teaches_the_next_seek() -> None:
    host = playing_host()
    host.plan_seek(sample(11.0, 1000), 60.0, 1000)
    late_ms = DEFAULT_SEEK_MS + LANDING_REFINE_MS + 30
    refined = host.on_player_state(sample(60.0, 1000 + late_ms, restarts=1), 1000 + late_ms)
    assert refined is not None and refined.event == "sync_anchor"
    assert refined.anchor.current_time == 60.0 and refined.anchor.at == 1000 + late_ms
    # The next seek is announced for when a seek like that one lands.
    again = host.plan_seek(sample(61.0, 3000, restarts=1), 20.0, 3000)
    assert again.anchor.at == 3000 + late_ms


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


def test_a_follower_seeks_alongside_the_host_playing_and_aims_at_its_own_landing() -> None:
    follower = playing_follower()
    # The host pressed at 1000 and expects to land at 1030; we hear of it at 1005.
    anchor = Anchor(is_playing=True, current_time=60.0, at=1030, seq=2)
    decision = follower.on_anchor(anchor, 1005)
    assert decision.pause is None and decision.resume_at_ms is None, "no park, no wait"
    expected = follower.expected_seek_ms
    assert decision.seek_to_s == 60.0 + (1005 + expected - 1030) / 1000


def test_a_follower_that_would_land_before_the_host_parks_and_starts_with_it() -> None:
    follower = playing_follower()
    anchor = Anchor(is_playing=True, current_time=60.0, at=1300, seq=2)
    decision = follower.on_anchor(anchor, 1005)
    assert decision.pause is True
    assert decision.seek_to_s == 60.0
    assert decision.resume_at_ms == 1300


def test_the_hosts_refinement_mid_seek_causes_no_second_seek() -> None:
    follower = playing_follower()
    follower.on_anchor(Anchor(is_playing=True, current_time=60.0, at=1030, seq=2), 1005)
    # The host landed 50 ms late and says so while our own seek is still under way.
    refined = Anchor(is_playing=True, current_time=60.0, at=1080, seq=3)
    assert follower.on_anchor(refined, 1082, host_action=False).is_noop
    # We land on the first line, so ~50 ms ahead of the refined one.
    landed = sample(60.0 + (1035 - 1030) / 1000, 1035, restarts=2)
    reaction = follower.on_player_state(landed, 1035)
    assert reaction.intents == () and reaction.decision.seek_to_s is None
    # Measured against the refined line once settled: a nudge, not a seek.
    settled_ms = 1035 + follower.settings.settle_ms + 10
    position = 60.005 + (settled_ms - 1035) / 1000
    decision = follower.on_player_state(sample(position, settled_ms, restarts=2), settled_ms)
    assert decision.decision.seek_to_s is None
    assert decision.decision.speed is not None and decision.decision.speed < 1.0
