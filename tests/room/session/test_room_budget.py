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
