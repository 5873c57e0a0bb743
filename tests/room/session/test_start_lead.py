"""A host's play is scheduled from the members' measured latencies, on a fake clock."""

from __future__ import annotations

from room.intents import SeekTo, TogglePlay
from room.session.clock_sync import WARMUP_INTERVAL_MS
from room.sync.clock import SyncPing
from tests.room.session.fakes import Room, member, paused_at, playing_at, presence


def ping(from_user: str, one_way_ms: float | None, ping_id: int = 1) -> dict[str, object]:
    return SyncPing(
        from_user=from_user, to_user="host", ping_id=ping_id, sent_at=0.0, one_way_ms=one_way_ms
    ).model_dump()


async def hosting(*others: str) -> Room:
    room = Room("host")
    await room.start()
    members = [member("host", is_host=True, host_since=1), *(member(m) for m in others)]
    room.session.on_presence(presence(*members))
    room.session.on_player_sample(paused_at(12.0, room.clock))
    await room.clock.advance(0)
    return room


async def press_play(room: Room) -> float:
    """The play's lead: its `at` minus the key press, and the host's own start."""
    pressed_ms = room.clock.monotonic_ms()
    await room.session.submit(TogglePlay())
    await room.clock.advance(0)
    play = room.link.events("play")[-1]
    lead_ms = float(play["at"]) - pressed_ms
    assert room.player.did("play") == []
    await room.clock.advance(lead_ms / 1000)
    assert room.player.did("play") == [None], "the host starts at the instant it announced"
    return lead_ms


async def test_a_slow_member_sets_the_lead_and_one_without_samples_does_not() -> None:
    room = await hosting("fast", "slow", "new")
    settings = room.session.playback.settings
    room.session.on_broadcast("sync_ping", ping("fast", 2.0))
    room.session.on_broadcast("sync_ping", ping("slow", 70.0))
    room.session.on_broadcast("sync_ping", ping("new", None))  # joined a moment ago
    assert await press_play(room) == 70.0 + settings.start_margin_ms
    await room.stop()


async def test_nobody_measured_yet_plays_at_the_floor_not_a_quarter_second() -> None:
    room = await hosting("new")
    room.session.on_broadcast("sync_ping", ping("new", None))
    assert await press_play(room) == room.session.playback.settings.min_start_lead_ms
    await room.stop()


async def test_a_member_who_left_no_longer_holds_the_room() -> None:
    room = await hosting("fast", "slow")
    room.session.on_broadcast("sync_ping", ping("fast", 30.0))
    room.session.on_broadcast("sync_ping", ping("slow", 300.0))
    room.session.on_presence(presence(member("host", is_host=True, host_since=1), member("fast")))
    await room.clock.advance(0)
    assert await press_play(room) == 30.0 + room.session.playback.settings.start_margin_ms
    await room.stop()


async def test_a_report_of_an_impossible_latency_is_dropped_and_the_host_keeps_going() -> None:
    room = await hosting("liar")
    bad = {**ping("liar", 1.0), "one_way_ms": 1e12}
    room.session.on_broadcast("sync_ping", bad)
    assert await press_play(room) == room.session.playback.settings.min_start_lead_ms
    await room.stop()


async def test_a_followers_ping_carries_its_measured_latency() -> None:
    room = Room("f")
    await room.start()
    room.session.on_presence(presence(member("host", is_host=True, host_since=1), member("f")))
    # Our member_joined carried the first ping (unanswered here): the next is a warm-up's
    # interval later.
    await room.clock.advance(WARMUP_INTERVAL_MS / 1000)
    [first] = room.link.events("sync_ping")
    assert first["one_way_ms"] is None
    pong = {
        "from_user": "host",
        "to_user": "f",
        "ping_id": first["ping_id"],
        "ping_sent_at": first["sent_at"],
        "received_at": 5.0,
        "sent_at": 5.0,
    }
    await room.clock.advance(0.04)  # a 40 ms round trip
    room.session.on_broadcast("sync_pongs", {"pongs": [pong]})
    await room.clock.advance(1.5)
    second = room.link.events("sync_ping")[-1]
    assert second["ping_id"] != first["ping_id"]
    assert second["one_way_ms"] == 20.0
    await room.stop()


async def test_a_hosts_seek_goes_out_at_the_key_press_before_its_player_lands() -> None:
    room = await hosting("f")
    room.session.on_player_sample(playing_at(30.0, room.clock))
    await room.clock.advance(0)
    pressed_ms = room.clock.monotonic_ms()
    await room.session.submit(SeekTo(90.0))
    await room.clock.advance(0)
    assert room.player.did("seek") == [90.0]
    [seek] = room.link.events("seek")  # the player has reported nothing since the key press
    assert seek["current_time"] == 90.0 and seek["is_playing"] is True
    at_ms = pressed_ms + room.session.playback.anchors.seek_park_ms
    assert seek["at"] == at_ms
    assert room.player.did("pause") == [None], "parked on the target until the start"
    assert room.player.did("play") == []
    await room.clock.advance((at_ms - room.clock.monotonic_ms()) / 1000)
    assert room.player.did("play") == [None], "and started at the announced instant"
    await room.stop()
