"""The host's anchors in a big room: what they cost is kept to the room's anchor share."""

from __future__ import annotations

from room.intents import ClaimHost
from room.sync.sample import PlaybackSample
from tests.room.session.fakes import Room, member, playing_at, presence


def roomful(size: int) -> dict[str, list[dict[str, object]]]:
    return presence(member("host"), *(member(f"f{i:02d}") for i in range(1, size)))


async def test_a_jittery_host_sends_no_more_silent_anchors_than_the_room_budget_allows() -> None:
    """A host whose player's reports jitter by more than the anchor deviation (libmpv stamps
    each frame as its observer hears of it) must not send a sync_anchor every 250 ms to a
    room of 50: each costs 51 messages. Silent anchors, stray or stale, keep to the room's
    anchor share, so the host spends at most that share of the room's 50 messages/s."""
    room = Room("host")
    await room.start()
    room.session.on_presence(roomful(50))
    await room.session.submit(ClaimHost())
    await room.clock.advance(0)
    room.session.on_player_sample(playing_at(10.0, room.clock))
    await room.clock.advance(0)
    before = len(room.link.events("sync_anchor"))
    position, jitter = 10.0, 0.020
    for step in range(1, 60 * 25 + 1):  # a minute of 25 fps frames, each 20 ms off the beat
        await room.clock.advance(0.040)
        position += 0.040
        room.session.on_player_sample(
            PlaybackSample(
                position_s=position + (jitter if step % 2 else 0.0),
                observed_at_ms=room.clock.monotonic_ms(),
                paused=False,
            )
        )
    sent = len(room.link.events("sync_anchor")) - before
    budget = room.session.budget
    share_per_s = 0.30 * budget.settings.messages_per_s  # ANCHOR_SHARE + STRAY_ANCHOR_SHARE
    assert sent * 51 / 60 <= share_per_s + 51 / 60, f"{sent} anchors in a minute"
    await room.stop()


async def test_a_small_room_still_hears_of_a_straying_host_within_a_second_or_two() -> None:
    room = Room("host")
    await room.start()
    room.session.on_presence(roomful(3))
    await room.session.submit(ClaimHost())
    await room.clock.advance(0)
    room.session.on_player_sample(playing_at(10.0, room.clock))
    await room.clock.advance(0)
    before = len(room.link.events("sync_anchor"))
    await room.clock.advance(1.0)
    # The host's player stutters: 300 ms behind where its anchor says.
    room.session.on_player_sample(playing_at(10.7, room.clock))
    for _ in range(20):
        await room.clock.advance(0.1)
        room.session.on_player_sample(playing_at(10.7 + (room.clock.now_s - 1001.0), room.clock))
    assert len(room.link.events("sync_anchor")) > before
    await room.stop()


async def test_in_a_room_of_5_a_straying_host_is_corrected_within_a_second() -> None:
    """libmpv strays by hundreds of ms for a few seconds after a seek; followers follow the
    anchors, so a small room, which can afford it, hears the corrections promptly."""
    room = Room("host")
    await room.start()
    room.session.on_presence(roomful(5))
    await room.session.submit(ClaimHost())
    await room.clock.advance(0)
    start = room.clock.now_s
    room.session.on_player_sample(playing_at(10.0, room.clock))
    await room.clock.advance(0)
    anchors = len(room.link.events("sync_anchor"))
    await room.clock.advance(0.1)
    room.session.on_player_sample(playing_at(10.4, room.clock))  # 300 ms ahead of its anchor
    for _ in range(7):
        await room.clock.advance(0.1)
        room.session.on_player_sample(playing_at(10.3 + room.clock.now_s - start, room.clock))
    assert len(room.link.events("sync_anchor")) > anchors
    await room.stop()
