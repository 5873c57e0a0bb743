"""A whole room of real sessions on an in-memory channel and a fake clock: as it grows from
2 to 60 members it stays within its message budget at every size, as Supabase would count
it, and one member's change in state still reaches every member list within 3 s."""

from __future__ import annotations

from room.intents import SeekBy, TogglePlay
from room.session import RoomSession
from room.session.budget import BudgetSettings
from room.state import SyncStatus
from tests.room.session.fakes import FakeChannel, FakeClock, SimPlayer, join

SIZES = (2, 10, 16, 30, 60)
BUDGET = BudgetSettings()
STALLING_ROOM = 24
CEILING_MSGS_PER_S = 60.0
"""The most a room of ours may cost over any minute (the issue's goal: 60 % of the Free plan's
100/s): its budget, 50, plus what members saved in their buckets and spend together."""


def shows(session: RoomSession, user_id: str, status: SyncStatus) -> bool:
    member = session.state.member(user_id)
    return member is not None and member.sync is status


async def test_a_growing_room_stays_in_budget_and_changes_still_reach_everyone() -> None:
    clock = FakeClock()
    channel = FakeChannel(clock)
    members: list[tuple[RoomSession, SimPlayer]] = [await join(channel, "m00", claim_host=True)]
    await clock.advance(3.0)
    host = members[0][0]
    assert host.host_user_id == "m00"
    await host.submit(TogglePlay())
    rates: dict[int, float] = {}
    for size in SIZES:
        while len(members) < size:  # one newcomer a second
            members.append(await join(channel, f"m{len(members):02d}"))
            await clock.advance(1.0)
        await clock.advance(90.0)  # the joins' own cost ages out; the room settles
        start = clock.now_s
        await clock.advance(45.0)
        await host.submit(SeekBy(30.0))
        await clock.advance(45.0)
        rates[size] = channel.rate(start, clock.now_s)
        by_event = channel.rate_by_event(start, clock.now_s)
        assert rates[size] <= BUDGET.messages_per_s, (size, by_event)

        newest, player = members[-1]
        player._move(buffering=True)
        others = [session for session, _ in members if session is not newest]
        waited = 0.0
        while waited < 3.0 and not all(
            shows(s, newest.ctx.user_id, SyncStatus.BUFFERING) for s in others
        ):
            await clock.advance(0.25)
            waited += 0.25
        late = [
            s.ctx.user_id for s in others if not shows(s, newest.ctx.user_id, SyncStatus.BUFFERING)
        ]
        assert late == [], f"room of {size}: {len(late)} lists missed the change after 3 s"
        player._move(buffering=False)
        await clock.advance(10.0)
    # Small rooms keep the web client's 3 s heartbeat; only big ones stretch it.
    assert rates[2] < rates[10] < BUDGET.messages_per_s
    for session, player in members:
        await session.stop()
        await player.close()


async def test_three_members_stalling_every_12_s_keep_a_room_of_24_under_the_ceiling() -> None:
    """Changes past a member's share spend what the room left unused, as each member sees
    it. Three members do so at once here, each judging the same slack: over every minute
    the room stays under the ceiling, and most of their spells reach all 20 other lists
    while true.
    (The minute-by-minute cost runs a little over the budget itself, up to 55/s here, while
    late joiners still warm their clocks up on sends they saved.)"""
    clock = FakeClock()
    channel = FakeChannel(clock)
    members: list[tuple[RoomSession, SimPlayer]] = [await join(channel, "m00", claim_host=True)]
    await clock.advance(3.0)
    await members[0][0].submit(TogglePlay())
    while len(members) < STALLING_ROOM:
        members.append(await join(channel, f"m{len(members):02d}"))
        await clock.advance(1.0)
    await clock.advance(90.0)
    stalling = members[-3:]
    watchers = [session for session, _ in members[:-3]]
    start, spells, told = clock.now_s, 0, 0
    for _ in range(12):
        for buffering, hold_s in ((True, 4.0), (False, 8.0)):
            status = SyncStatus.BUFFERING if buffering else SyncStatus.SYNCED
            for _, player in stalling:
                player._move(buffering=buffering)
            seen: set[tuple[str, str]] = set()
            for _ in range(int(hold_s * 4)):
                await clock.advance(0.25)
                for session, _ in stalling:
                    who = session.ctx.user_id
                    seen |= {(w.ctx.user_id, who) for w in watchers if shows(w, who, status)}
            spells += len(stalling)
            told += sum(
                all((w.ctx.user_id, s.ctx.user_id) in seen for w in watchers) for s, _ in stalling
            )
    for minute_start in range(int(start), int(clock.now_s) - 60, 5):
        rate = channel.rate(minute_start, minute_start + 60)
        by_event = channel.rate_by_event(minute_start, minute_start + 60)
        assert rate <= CEILING_MSGS_PER_S, (minute_start - start, rate, by_event)
    # Three at once ask for 12.5 messages/s of changes; their own heartbeats' part (4.8) and
    # what the room leaves over (none while late joiners warm their clocks up, up to 5 after)
    # pay for most, not all: the rest are told late, the next time the budget allows.
    assert told / spells >= 0.6, f"only {told} of {spells} spells reached every list"
    for session, player in members:
        await session.stop()
        await player.close()


async def playing_room(
    size: int,
) -> tuple[FakeClock, FakeChannel, list[tuple[RoomSession, SimPlayer]]]:
    """A room of ``size`` that gathered one newcomer a second while the host played, then
    settled for two minutes (the joins' cost aged out, everyone in sync)."""
    clock = FakeClock()
    channel = FakeChannel(clock)
    members: list[tuple[RoomSession, SimPlayer]] = [await join(channel, "m00", claim_host=True)]
    await clock.advance(3.0)
    await members[0][0].submit(TogglePlay())
    while len(members) < size:
        members.append(await join(channel, f"m{len(members):02d}"))
        await clock.advance(1.0)
    await clock.advance(120.0)
    return clock, channel, members


async def test_a_hiccup_that_knocks_the_whole_room_off_for_a_moment_costs_next_to_nothing() -> None:
    """Every follower's player falls 0.15 s behind at the same instant (the host's stream
    hiccups, a shared machine stalls) and the engine brings each back within a report or
    two. Each verdict flips off and on again: told by every member at once, that is two
    broadcasts from each of 40, 3280 messages in two seconds, over half the Free plan's
    minute. A flip undone within a moment is no news for the member list."""
    clock, channel, members = await playing_room(40)
    followers = members[1:]
    assert all(session.playback.is_synced() for session, _ in followers)
    links = [channel.links[session.ctx.user_id] for session, _ in followers]
    told_before = [len(link.events("heartbeat")) for link in links]
    hiccup_s = clock.now_s
    for _, player in followers:
        player._move(position_s=player._now_position() - 0.15)
    flipped = False
    for _ in range(40):
        await clock.advance(0.25)
        flipped = flipped or any(not s.playback.is_synced() for s, _ in followers)
    assert flipped, "the hiccup must put the followers off for a moment"
    assert all(session.playback.is_synced() for session, _ in followers), "and back"
    told_off = [
        beat
        for link, before in zip(links, told_before, strict=True)
        for beat in link.events("heartbeat")[before:]
        if beat["is_synced"] is False
    ]
    # A routine heartbeat that falls in someone's moment off tells it, and may.
    assert len(told_off) <= len(followers) // 10, f"{len(told_off)} members told the hiccup"
    await clock.advance(50.0)
    rate = channel.rate(hiccup_s - 5, hiccup_s + 55)
    assert rate <= BUDGET.messages_per_s, channel.rate_by_event(hiccup_s - 5, hiccup_s + 55)
    for session, player in members:
        await session.stop()
        await player.close()


async def test_a_member_that_stays_off_is_shown_off_within_seconds_in_a_room_of_40() -> None:
    """The other side of letting a moment's flip go untold: a member whose player falls
    behind and cannot be brought back (it ignores the engine's seeks and speed) is shown
    out of sync in every list within a few seconds, though its share of a room of 40 is one
    heartbeat every 43 s."""
    clock, _, members = await playing_room(40)
    stuck_session, stuck = members[-1]
    who = stuck_session.ctx.user_id
    watchers = [session for session, _ in members[:-1]]
    assert all(shows(w, who, SyncStatus.SYNCED) for w in watchers)
    stuck.seek = lambda position: None  # type: ignore[method-assign]
    stuck.set_speed = lambda speed: None  # type: ignore[method-assign]
    stuck._move(position_s=stuck._now_position() - 0.5)
    waited = 0.0
    while waited < 6.0 and not all(shows(w, who, SyncStatus.OUT_OF_SYNC) for w in watchers):
        await clock.advance(0.25)
        waited += 0.25
    late = [w.ctx.user_id for w in watchers if not shows(w, who, SyncStatus.OUT_OF_SYNC)]
    assert late == [], f"{len(late)} lists still show {who} in sync after {waited} s"
    for session, player in members:
        await session.stop()
        await player.close()


async def test_fifty_people_arriving_over_two_minutes_keep_the_room_under_the_ceiling() -> None:
    """A party gathering: 50 members join one every 2.4 s while the host plays. Each join
    costs the whole room (its announcement, its first report, the host's clock answer and
    welcome reach everyone), on top of the heartbeats of those already there; over every
    minute, the gathering's own included, the room stays under the ceiling; the heartbeats
    that give way to the arrivals never leave a member shown as stale, and once gathered
    everyone is in every list."""
    clock = FakeClock()
    channel = FakeChannel(clock)
    members: list[tuple[RoomSession, SimPlayer]] = [await join(channel, "m00", claim_host=True)]
    await clock.advance(3.0)
    await members[0][0].submit(TogglePlay())
    started = clock.now_s
    stale: list[tuple[float, str, str]] = []

    def note_stale() -> None:
        stale.extend(
            (clock.now_s - started, session.ctx.user_id, member.user_id)
            for session, _ in members
            for member in session.state.members
            if member.sync is SyncStatus.STALE
        )

    while len(members) < 50:
        members.append(await join(channel, f"m{len(members):02d}"))
        await clock.advance(2.4)
        note_stale()
    for _ in range(60):
        await clock.advance(2.0)
        note_stale()
    assert stale == [], f"shown stale (when, in whose list, who): {stale[:5]}"
    worst = max(
        (channel.rate(at, at + 60.0), at)
        for at in (started + step for step in range(0, int(clock.now_s - started - 60) + 1, 5))
    )
    by_event = channel.rate_by_event(worst[1], worst[1] + 60.0)
    assert worst[0] <= CEILING_MSGS_PER_S, (round(worst[0], 1), worst[1] - started, by_event)
    everyone = {session.ctx.user_id for session, _ in members}
    missing = [
        s.ctx.user_id for s, _ in members if {m.user_id for m in s.state.members} != everyone
    ]
    assert missing == [], "lists without the whole room"
    for session, player in members:
        await session.stop()
        await player.close()
