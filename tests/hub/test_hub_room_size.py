"""A room trips the hub's message limit at the size it would trip Supabase's.

Each member of a room sends a `heartbeat` broadcast every 3 s (the seed's rate) with
`broadcast: {self: true}`, so each heartbeat costs 1 + N (arrival, then one delivery per member,
the sender's echo included) and the room N(N+1)/3 messages per second. Against the Free plan's
100/s, averaged per second over the last minute of 5 s buckets (supabase/realtime
rate_counter.ex:214), 16 members (90.7/s) hold and 20 (140/s) are cut off; 17 (102/s) last one
minute, until the counter's first, empty bucket leaves its window.

The messages go over real sockets to a real hub on 127.0.0.1; the hub's counters read a fake
clock that the test moves to each member's send time, so minutes of counter time pass in a few
real seconds. The test waits on frames, never on time.
"""

from __future__ import annotations

import asyncio
import math
from dataclasses import dataclass, field
from typing import Any

import pytest
from hubkit import WAIT_S, FakeClock, HubFactory, RawClient, RawFactory

TOPIC = "realtime:room:big"
HEARTBEAT_S = 3.0
PHOENIX_HEARTBEAT_S = 25.0  # realtime-py's; these do not count
SIMULATED_S = 150.0  # two and a half minutes: past the 60 s window


@dataclass
class Member:
    client: RawClient
    seen: int = -1
    """The newest heartbeat (by sequence number) this member received."""
    system: list[dict[str, Any]] = field(default_factory=list)
    cut_at: float | None = None
    """Counter time at which the hub's system error arrived."""
    closed: bool = False

    def settled(self, seq: int) -> bool:
        """Got heartbeat `seq`, or was cut off (system error and phx_close) by then."""
        return self.closed or (self.seen >= seq and not self.system)


async def read(member: Member, clock: FakeClock, changed: asyncio.Event) -> None:
    while True:
        frame = await member.client.recv(within=60)
        assert isinstance(frame, dict)
        if frame["event"] == "broadcast":
            member.seen = frame["payload"]["payload"]["n"]
        elif frame["event"] == "system":
            member.system.append(frame["payload"])
            member.cut_at = clock.now
        elif frame["event"] == "phx_close":
            member.closed = True
        changed.set()


async def settle(members: list[Member], seq: int, changed: asyncio.Event) -> None:
    """Wait until every member got heartbeat `seq` or was cut off."""

    async def wait() -> None:
        while not all(member.settled(seq) for member in members):
            changed.clear()
            await changed.wait()

    await asyncio.wait_for(wait(), WAIT_S)


def schedule(size: int) -> list[tuple[float, int, str]]:
    """(seconds after the start, member, what): staggered heartbeats every 3 s, and each
    member's Phoenix heartbeat every 25 s."""
    slots = [
        (HEARTBEAT_S * k + HEARTBEAT_S * i / size, i, "heartbeat")
        for k in range(math.ceil(SIMULATED_S / HEARTBEAT_S))
        for i in range(size)
    ]
    slots += [
        (PHOENIX_HEARTBEAT_S * k + 0.5 + i / size, i, "phoenix")
        for k in range(math.ceil(SIMULATED_S / PHOENIX_HEARTBEAT_S))
        for i in range(size)
    ]
    return sorted(slots)


@pytest.mark.parametrize(
    ("size", "cut_after_s"),
    [
        pytest.param(16, None, id="16-members-90.7/s-hold"),
        # 102/s: the first minute's average includes the empty first bucket (102 * 11 / 12
        # at 55 s); at 60 s the window holds 12 full ticks and the limit trips.
        pytest.param(17, 60.0, id="17-members-102/s-cut-at-60s"),
        # 140/s: 140 * 3 / 4 = 105/s at the third tick.
        pytest.param(20, 15.0, id="20-members-140/s-cut-at-15s"),
    ],
)
async def test_a_room_trips_the_free_plan_at_the_size_supabase_does(
    make_hub: HubFactory, raw: RawFactory, size: int, cut_after_s: float | None
) -> None:
    clock = FakeClock()
    hub = await make_hub(clock=clock)  # the Free plan, the default
    changed = asyncio.Event()
    members = []
    for index in range(size):
        client = await raw("1.0.0" if index % 2 else "2.0.0", target=hub)
        # Signed in as the member its heartbeats name.
        token = hub.tokens.issue(f"u{index}").access_token
        await client.join(TOPIC, {"broadcast": {"self": True}}, access_token=token)
        members.append(Member(client))
    readers = [asyncio.create_task(read(member, clock, changed)) for member in members]
    start, seq, peak = clock.now, 0, 0.0
    try:
        for at, index, what in schedule(size):
            if all(member.closed for member in members):
                break
            clock.now = start + at
            member = members[index]
            if member.closed:
                continue
            if what == "phoenix":
                await member.client.send("phoenix", "heartbeat", {}, ref=f"hb{seq}")
                continue
            payload = {"user_id": f"u{index}", "is_synced": True, "n": seq}
            message = {"type": "broadcast", "event": "heartbeat", "payload": payload}
            await member.client.send(TOPIC, "broadcast", message, join_ref="1")
            await settle(members, seq, changed)
            peak = max(peak, hub.state.events.current_avg())
            seq += 1
    finally:
        for reader in readers:
            reader.cancel()

    events = hub.state.events
    if cut_after_s is None:
        assert [m.system for m in members] == [[]] * size
        assert all(m.seen == seq - 1 for m in members)
        assert events.trips == 0
        assert peak < 100
        # A full minute of a room of 16: 16 * 17 / 3 messages per second.
        assert events.current_avg() == pytest.approx(size * (size + 1) / HEARTBEAT_S)
    else:
        # Everyone is cut off by the first delivery after the tick that found avg >= 100.
        assert events.trips == 1
        for member in members:
            assert member.closed
            assert [s["message"] for s in member.system] == ["Too many messages per second"]
            assert member.cut_at == start + cut_after_s
