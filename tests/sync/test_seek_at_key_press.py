"""Seeks announced at the key press: the host's anchor, its landing, and followers seeking
alongside, on a fake clock (plain numbers)."""

from __future__ import annotations

import pytest

from room.sync import Anchor, Follower, HostAnchorPublisher, PlaybackSample
from room.sync.clock import ClockSync, answer_ping
from room.sync.host import DEFAULT_SEEK_MS, LANDING_TOLERANCE_MS


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


def test_a_seek_while_playing_is_announced_at_once_as_a_seek_on_the_run() -> None:
    host = playing_host()
    update = host.plan_seek(sample(11.0, 1000), 60.0, 1000, delay_ms=7)
    assert update.event == "seek"
    anchor = update.anchor
    assert anchor.is_playing and anchor.current_time == 60.0
    # Our seek starts one start lead on (when the followers hear of it) and is expected to
    # land a seek's time later; we play on from the target, no pause, no scheduled start.
    assert anchor.at == 1000 + 7 + DEFAULT_SEEK_MS
    # The stale report mpv may deliver before it says `seeking`, the seek, and a landing on
    # the announced line: all ours, none re-announced.
    assert host.on_player_state(sample(11.0, 1002), 1002) is None
    assert host.on_player_state(sample(11.01, 1010, seeking=True), 1010) is None
    landed_ms = anchor.at + LANDING_TOLERANCE_MS / 2
    assert host.on_player_state(sample(60.0, landed_ms, restarts=1), landed_ms) is None
    later = landed_ms + 100
    on_line = sample(60.0 + (later - anchor.at) / 1000, later, restarts=1)
    assert host.on_player_state(on_line, later) is None


@pytest.mark.parametrize("landed_after_ms", [DEFAULT_SEEK_MS + 40, DEFAULT_SEEK_MS - 20])
def test_a_landing_off_the_announced_line_re_anchors_where_the_player_reports(
    landed_after_ms: float,
) -> None:
    host = playing_host()
    host.plan_seek(sample(11.0, 1000), 60.0, 1000)
    landed_ms = 1000 + landed_after_ms
    # mpv's first report after a seek on the run is already past the target.
    landed = sample(60.02, landed_ms, restarts=1)
    refined = host.on_player_state(landed, landed_ms)
    assert refined is not None and refined.event == "sync_anchor"
    assert refined.anchor.is_playing and refined.anchor.at == landed_ms
    assert refined.anchor.current_time == pytest.approx(60.02), "the line the player plays"
    # The next seek expects a seek like that one (the median of those measured).
    again = host.plan_seek(sample(61.0, 3000, restarts=1), 20.0, 3000)
    assert again.anchor.at == 3000 + landed_after_ms


def test_a_landing_on_the_announced_line_sends_nothing_more() -> None:
    host = playing_host()
    update = host.plan_seek(sample(11.0, 1000), 60.0, 1000)
    # Landed 20 ms late but reporting 20 ms past the target: on the announced line.
    landed_ms = update.anchor.at + 20
    on_line = sample(60.02, landed_ms, restarts=1)
    assert host.on_player_state(on_line, landed_ms) is None


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


def test_a_follower_seeks_on_the_run_to_where_the_host_will_be_when_it_lands() -> None:
    follower = playing_follower()
    # The host pressed at 1000 and expects to land at 1037; we hear of it at 1005.
    anchor = Anchor(is_playing=True, current_time=60.0, at=1037, seq=2)
    decision = follower.on_anchor(anchor, 1005)
    assert decision.pause is None and decision.resume_at_ms is None, "no park, no unpause"
    # Our seek is expected to take DEFAULT_SEEK_MS: it lands at 1035, before the host's
    # line moves on from the target.
    assert decision.seek_to_s == 60.0
    # Heard late (a slow link), we aim at where the host's line will be when we land.
    follower = playing_follower()
    decision = follower.on_anchor(anchor, 1060)
    assert decision.pause is None
    assert decision.seek_to_s == pytest.approx(60.0 + (1060 + DEFAULT_SEEK_MS - 1037) / 1000)


def test_a_follower_aims_with_its_own_measured_seek_time() -> None:
    follower = playing_follower()
    follower.on_anchor(Anchor(is_playing=True, current_time=30.0, at=1000, seq=2), 1000)
    follower.on_player_state(sample(30.0, 1080, restarts=2), 1080)  # landed after 80 ms
    decision = follower.on_anchor(Anchor(is_playing=True, current_time=60.0, at=2000, seq=3), 2000)
    assert decision.seek_to_s == pytest.approx(60.08)


def test_the_hosts_landing_refinement_during_our_seek_is_no_second_jump() -> None:
    follower = playing_follower()
    first = follower.on_anchor(Anchor(is_playing=True, current_time=60.0, at=1035, seq=2), 1005)
    assert first.seek_to_s == 60.0
    # The host landed late and re-anchored on its landing while our seek is under way.
    moved = Anchor(is_playing=True, current_time=60.02, at=1090, seq=3)
    assert follower.on_anchor(moved, 1091, host_action=False).is_noop
    # Landed: measured against the refined line, a few ms off is nudged, not re-seeked.
    follower.on_player_state(sample(60.06, 1100, restarts=2), 1100)  # 30 ms ahead
    later = 1100 + follower.settings.settle_ms + 10
    reaction = follower.on_player_state(
        sample(60.06 + (later - 1100) / 1000, later, restarts=2), later
    )
    assert reaction.decision.seek_to_s is None and reaction.decision.pause is None
    assert reaction.decision.speed is not None and reaction.decision.speed < 1.0


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
