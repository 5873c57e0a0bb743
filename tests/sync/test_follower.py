from __future__ import annotations

from room.sync import Anchor, Follower, PlaybackSample, SyncSettings
from room.sync.clock import ClockSync, answer_ping


def synced_clock(offset: float) -> ClockSync:
    clock = ClockSync("me", "host")
    ping = clock.make_ping(0)
    clock.on_pong(answer_ping(ping, offset + 10, offset + 10), 20)
    return clock


def paused_at(position: float, at: float, restarts: int = 1) -> PlaybackSample:
    return PlaybackSample(position_s=position, observed_at_ms=at, paused=True, restarts=restarts)


def test_play_is_compensated_for_time_in_flight() -> None:
    follower = Follower(clock=synced_clock(offset=1_000_000))
    follower.on_player_state(paused_at(10.0, 0), 0)
    # Host started at 10.0 s at host time 1_000_000; we hear of it 60 ms later.
    anchor = Anchor(is_playing=True, current_time=10.0, at=1_000_000, seq=1)
    decision = follower.on_anchor(anchor, 60)
    assert decision.resume_at_ms is not None
    assert decision.seek_to_s is not None
    # Where the host will be when we resume:
    assert abs(decision.seek_to_s - (10.0 + decision.resume_at_ms / 1000)) < 1e-9
    assert decision.resume_at_ms >= 60 + follower.settings.min_seek_lead_ms


def test_scheduled_start_needs_no_seek() -> None:
    follower = Follower(clock=synced_clock(offset=500))
    follower.on_player_state(paused_at(10.0, 0), 0)
    anchor = Anchor(is_playing=True, current_time=10.0, at=500 + 400, seq=1)
    decision = follower.on_anchor(anchor, 20)
    assert decision.seek_to_s is None
    assert decision.resume_at_ms == 400


def test_pause_lands_on_the_hosts_pause_position() -> None:
    follower = Follower(clock=synced_clock(offset=0))
    follower.on_player_state(
        PlaybackSample(position_s=20.05, observed_at_ms=0, paused=False, restarts=1), 0
    )
    decision = follower.on_anchor(Anchor(is_playing=False, current_time=20.0, at=0, seq=4), 50)
    assert decision.pause is True
    assert decision.seek_to_s == 20.0


def test_stale_and_duplicate_anchors_change_nothing() -> None:
    follower = Follower(clock=synced_clock(offset=0))
    follower.on_player_state(paused_at(0.0, 0), 0)
    newest = Anchor(is_playing=False, current_time=30.0, at=0, seq=5)
    assert not follower.on_anchor(newest, 10).is_noop
    assert follower.on_anchor(newest, 20).is_noop
    assert follower.on_anchor(newest.model_copy(update={"seq": 3}), 30).is_noop


def test_correction_off_follows_commands_but_never_nudges() -> None:
    follower = Follower(SyncSettings(correction_enabled=False), clock=synced_clock(offset=0))
    follower.on_player_state(
        PlaybackSample(position_s=5.0, observed_at_ms=0, paused=False, restarts=1), 0
    )
    follower.on_anchor(Anchor(is_playing=True, current_time=5.05, at=0, seq=1), 0)
    decisions = [
        follower.on_player_state(
            PlaybackSample(position_s=5.0 + t / 1000, observed_at_ms=t, paused=False, restarts=1),
            t,
        ).decision
        for t in range(200, 3000, 40)
    ]
    assert all(d.is_noop for d in decisions)
    assert follower.drift_ms(3000) is not None


def test_is_synced_follows_measured_drift() -> None:
    follower = Follower(clock=synced_clock(offset=0))
    assert not follower.is_synced(0)
    follower.on_player_state(
        PlaybackSample(position_s=5.0, observed_at_ms=0, paused=False, restarts=1), 0
    )
    follower.on_anchor(Anchor(is_playing=True, current_time=5.0, at=0, seq=1), 0)
    follower.on_player_state(
        PlaybackSample(position_s=5.5, observed_at_ms=500, paused=False, restarts=1), 500
    )
    assert follower.is_synced(500)
    follower.on_player_state(
        PlaybackSample(position_s=6.2, observed_at_ms=1000, paused=False, restarts=1), 1000
    )
    assert not follower.is_synced(1000), "200 ms ahead is beyond the stated threshold"


def playing(position: float, at: float, restarts: int = 1) -> PlaybackSample:
    return PlaybackSample(position_s=position, observed_at_ms=at, paused=False, restarts=restarts)


def test_a_local_pause_holds_until_the_host_acts_or_the_user_plays() -> None:
    follower = Follower(clock=synced_clock(offset=0))
    follower.on_player_state(playing(5.0, 0), 0)
    follower.on_anchor(Anchor(is_playing=True, current_time=5.0, at=0, seq=1), 0)
    reaction = follower.on_player_state(paused_at(5.5, 500), 500)
    assert [i.kind.value for i in reaction.intents] == ["pause"]
    assert follower.detached
    refresh = Anchor(is_playing=True, current_time=10.0, at=5000, seq=2)
    assert follower.on_anchor(refresh, 5000, host_action=False).is_noop
    assert follower.detached, "a silent refresh must not yank the user's pause"
    reaction = follower.on_player_state(playing(5.5, 6000), 6000)
    assert [i.kind.value for i in reaction.intents] == ["play"]
    assert not follower.detached
    assert reaction.decision.resume_at_ms is not None, "back on the host's frame"


def test_a_new_anchor_never_leaves_a_nudge_running() -> None:
    follower = Follower(clock=synced_clock(offset=0))
    follower.on_player_state(playing(5.0, 0), 0)
    follower.on_anchor(Anchor(is_playing=True, current_time=5.0, at=0, seq=1), 0)
    nudge = follower.on_player_state(playing(5.53, 500), 500).decision
    assert nudge.speed is not None
    assert nudge.speed < 1.0
    nudged = PlaybackSample(
        position_s=5.6, observed_at_ms=600, paused=False, restarts=1, speed=nudge.speed
    )
    follower.on_player_state(nudged, 600)
    refresh = Anchor(is_playing=True, current_time=5.6, at=600, seq=2)
    assert follower.on_anchor(refresh, 600).speed == 1.0


def test_a_small_refresh_during_a_scheduled_start_keeps_the_start() -> None:
    follower = Follower(clock=synced_clock(offset=500))
    follower.on_player_state(paused_at(10.0, 0), 0)
    start = follower.on_anchor(Anchor(is_playing=True, current_time=10.0, at=500 + 400, seq=1), 20)
    assert start.resume_at_ms == 400
    # The host re-anchors 20 ms "ahead" right after its own start (mpv's just-unpaused report).
    refresh = Anchor(is_playing=True, current_time=10.02, at=500 + 400, seq=2)
    assert follower.on_anchor(refresh, 30, host_action=False).is_noop
    assert follower.anchor == refresh  # the timeline is updated all the same
    # A refresh that moves the host by more than a seek's worth re-plans the start.
    jump = Anchor(is_playing=True, current_time=12.0, at=500 + 400, seq=3)
    replanned = follower.on_anchor(jump, 40, host_action=False)
    assert replanned.seek_to_s is not None
    assert replanned.resume_at_ms is not None


def test_a_follower_paused_with_the_host_stays_in_sync_without_new_reports() -> None:
    """mpv reports nothing while paused: the member list must not turn a paused room 'off'."""
    follower = Follower(clock=synced_clock(offset=0))
    follower.on_anchor(Anchor(is_playing=False, current_time=78.0, at=0, seq=1), 0)
    follower.on_player_state(paused_at(78.0, 10), 10)
    assert follower.is_synced(60_000), "a minute later, still on the host's frame"
    away = Follower(clock=synced_clock(offset=0))
    away.on_anchor(Anchor(is_playing=False, current_time=78.0, at=0, seq=1), 0)
    away.on_player_state(paused_at(78.5, 10), 10)
    assert not away.is_synced(60_000), "paused half a second away is not in sync"


def test_a_follower_paused_with_the_host_stays_in_sync_through_the_hosts_play() -> None:
    """Paused in sync for a minute, then the host plays: until our player has started there
    is no drift to measure, and the verdict must not lapse to "off" meanwhile. In a room of
    50 every follower flipping off and on at each play cost 100 heartbeats (5100 messages of
    Free's 6000 a minute) and the hub cut the room off."""
    follower = Follower(clock=synced_clock(offset=0))
    follower.on_anchor(Anchor(is_playing=False, current_time=78.0, at=0, seq=1), 0)
    follower.on_player_state(paused_at(78.0, 10), 10)
    play = follower.on_anchor(Anchor(is_playing=True, current_time=78.0, at=60_100, seq=2), 60_000)
    assert play.resume_at_ms is not None
    assert follower.drift_ms(60_050) is None, "waiting for our start: nothing to measure"
    assert follower.is_synced(60_050), "in sync when the host pressed play, and still"
    away = Follower(clock=synced_clock(offset=0))
    away.on_anchor(Anchor(is_playing=False, current_time=78.0, at=0, seq=1), 0)
    away.on_player_state(paused_at(78.5, 10), 10)
    away.on_anchor(Anchor(is_playing=True, current_time=78.0, at=60_100, seq=2), 60_000)
    assert not away.is_synced(60_050), "paused half a second away was not in sync"


def test_a_start_due_sooner_than_a_seek_lead_needs_no_seek() -> None:
    """A measured start lead of 20 ms (loopback) is shorter than any seek: a follower paused
    on the frame resumes at the host's instant instead of seeking ahead."""
    follower = Follower(clock=synced_clock(offset=500))
    follower.on_player_state(paused_at(10.0, 0), 0)
    anchor = Anchor(is_playing=True, current_time=10.0, at=500 + 30, seq=1)
    decision = follower.on_anchor(anchor, 12)
    assert decision.seek_to_s is None
    assert decision.resume_at_ms == 30


def test_a_start_heard_a_little_late_plays_at_once_without_a_seek() -> None:
    follower = Follower(clock=synced_clock(offset=0))
    follower.on_player_state(paused_at(10.0, 0), 0)
    late_ms = follower.settings.late_start_ms
    decision = follower.on_anchor(
        Anchor(is_playing=True, current_time=10.0, at=100, seq=1), 100 + late_ms
    )
    assert decision.seek_to_s is None
    assert decision.resume_at_ms == 100 + late_ms, "now: the nudge takes up the difference"


def test_a_start_heard_too_late_to_start_at_once_seeks_ahead() -> None:
    follower = Follower(clock=synced_clock(offset=0))
    follower.on_player_state(paused_at(10.0, 0), 0)
    heard_ms = 100 + follower.settings.late_start_ms + 1
    decision = follower.on_anchor(
        Anchor(is_playing=True, current_time=10.0, at=100, seq=1), heard_ms
    )
    assert decision.resume_at_ms is not None and decision.seek_to_s is not None
    assert decision.resume_at_ms >= heard_ms + follower.settings.min_seek_lead_ms
    assert decision.seek_to_s == 10.0 + (decision.resume_at_ms - 100) / 1000


def test_a_resume_handed_to_the_player_but_not_reported_is_paused_before_a_seek() -> None:
    """The stale-sample race: the scheduled resume has run (play() sent to mpv), mpv has not
    reported it yet, and a host seek arrives. Taking the stale 'paused' sample at its word,
    the follower used to seek the playing player and let it run from a target ~120 ms ahead."""
    follower = Follower(clock=synced_clock(offset=0))
    follower.on_player_state(paused_at(10.0, 0), 0)
    start = follower.on_anchor(Anchor(is_playing=True, current_time=10.0, at=100, seq=1), 20)
    assert start.resume_at_ms == 100 and start.seek_to_s is None
    # 105 ms: the driver called play() at 100; the player's next report is still on its way.
    seek = Anchor(is_playing=True, current_time=50.0, at=105, seq=2)
    decision = follower.on_anchor(seek, 105)
    assert decision.pause is True, "the player is playing: pause it, or it runs off ahead"
    assert decision.seek_to_s is not None and decision.resume_at_ms is not None
    assert decision.seek_to_s == 50.0 + (decision.resume_at_ms - 105) / 1000
    # Then the player reports the unpause it had been given, and our pause and seek: none of
    # it is the user's, so the follower stays attached.
    moving = PlaybackSample(position_s=10.005, observed_at_ms=108, paused=False, restarts=1)
    assert follower.on_player_state(moving, 108).intents == ()
    landed = paused_at(decision.seek_to_s, 140, restarts=2)
    assert follower.on_player_state(landed, 140).intents == ()
    assert not follower.detached


def test_a_seek_that_never_lands_is_forgotten_and_correction_resumes() -> None:
    follower = Follower(clock=synced_clock(0))
    follower.on_player_state(playing(10.0, 0), 0)
    follower.on_anchor(Anchor(is_playing=True, current_time=10.0, at=0, seq=1), 0)
    # The host jumps ahead; our player is asked to seek, and never lands (mpv refused it).
    decision = follower.on_anchor(Anchor(is_playing=True, current_time=60.0, at=1000, seq=2), 1000)
    assert decision.seek_to_s is not None
    assert follower.repositioning(1100)
    expiry = follower.settings.echo_expiry_ms
    stuck_at = 1000 + expiry - 100
    follower.on_player_state(playing(10.0 + stuck_at / 1000, stuck_at), stuck_at)
    assert follower.drift_ms(stuck_at) is None, "still waiting on the seek"
    # Past the expiry it is forgotten: drift is measured again (the member list says how
    # far off, not "seeking" forever), and the policy corrects.
    later = 1000 + expiry + 100
    assert not follower.repositioning(later)
    drift = follower.drift_ms(later)
    assert drift is not None and drift < -40_000
    corrections = []
    for now in range(int(later), int(later) + 1000, 100):
        reaction = follower.on_player_state(playing(10.0 + now / 1000, now), now)
        corrections.append(reaction.decision.seek_to_s)
    assert any(corrections), "a corrective seek, under the policy's rules"


def test_a_player_that_refuses_every_seek_ends_in_give_up_not_a_seek_loop() -> None:
    follower = Follower(clock=synced_clock(0))
    follower.on_player_state(playing(10.0, 0), 0)
    follower.on_anchor(Anchor(is_playing=True, current_time=10.0, at=0, seq=1), 0)
    follower.on_anchor(Anchor(is_playing=True, current_time=60.0, at=1000, seq=2), 1000)
    seeks = 0
    now = 1000.0
    while now < 60_000:
        now += 100
        reaction = follower.on_player_state(playing(10.0 + now / 1000, now), now)
        seeks += reaction.decision.seek_to_s is not None
    assert follower.gave_up
    assert seeks <= follower.settings.max_failed_seeks + 1


def playing_at(position: float, at: float) -> PlaybackSample:
    return PlaybackSample(position_s=position, observed_at_ms=at, paused=False, restarts=1)


def test_a_newcomer_gives_no_verdict_until_its_clock_is_answered_and_measured() -> None:
    """A newcomer follows the host's play before its first clock answer, on a guess of the
    host's clock (the anchor's send time as now). Measured against that guess it would say
    "in sync" while 600 ms behind; it says nothing until the answer has placed the host's
    clock and a sample has been measured against it."""
    clock = ClockSync("me", "host")
    ping = clock.make_ping(0)  # on our member_joined
    follower = Follower(clock=clock)
    # The host's play, sent 600 ms ago by its clock (which is ours): heard now, at 1000.
    anchor = Anchor(is_playing=True, current_time=10.0, at=400, seq=1)
    follower.on_player_state(playing_at(10.0, 1000), 1000)
    follower.on_anchor(anchor, 1000)
    follower.on_player_state(playing_at(10.1, 1100), 1100)
    assert follower.is_synced(1100), "on the guess, it looks in sync"
    assert follower.verdict_pending(1100), "but the guess is no verdict"
    clock.on_pong(answer_ping(ping, 1150, 1150), 1200)  # the welcome: same clock as ours
    assert follower.verdict_pending(1200), "measured before the answer: still none"
    follower.on_player_state(playing_at(10.2, 1250), 1250)
    assert not follower.verdict_pending(1250)
    assert not follower.is_synced(1250), "measured on the host's clock: 600 ms behind"


def test_a_host_that_never_answers_pings_leaves_the_verdict_on_the_guess() -> None:
    """The web client does not answer clock pings: after the ping's timeout the newcomer
    gives its verdict on what it has."""
    clock = ClockSync("me", "host", ping_timeout_ms=5000)
    clock.make_ping(0)
    follower = Follower(clock=clock)
    follower.on_player_state(playing_at(10.0, 100), 100)
    follower.on_anchor(Anchor(is_playing=True, current_time=10.0, at=90, seq=1), 100)
    follower.on_player_state(playing_at(10.1, 200), 200)
    assert follower.verdict_pending(4900)
    follower.on_player_state(playing_at(15.0, 5100), 5100)
    assert not follower.verdict_pending(5100) and follower.is_synced(5100)


def test_a_newcomer_paused_with_the_host_needs_no_clock_for_its_verdict() -> None:
    clock = ClockSync("me", "host")
    clock.make_ping(0)
    follower = Follower(clock=clock)
    follower.on_player_state(paused_at(20.0, 100), 100)
    follower.on_anchor(Anchor(is_playing=False, current_time=20.0, at=90, seq=1), 100)
    assert not follower.verdict_pending(150) and follower.is_synced(150)
