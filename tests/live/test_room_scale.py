"""Big rooms at the hub's default (Supabase Free) limits, on real sockets, real hubs and the
app's real room sessions (`tui.live.LiveRoom`): a few members with real headless libmpv, the
rest with the stand-in player of benchmarks/standin.py (a simulated player on the monotonic
clock, reporting states as the libmpv adapter does).

- A room of 20 loses its hub, which comes back on the same port: everyone rejoins, everyone
  sees 20 members again, the host's next action reaches all, and nobody is cut off.
- A room of 12 plays, seeks and pauses for a minute at the Free limits with no cut-off.
"""

from __future__ import annotations

import asyncio
import contextlib
import importlib.util
import random
import time
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from hub import HubSettings, start_hub
from player.base import PlayerState
from room.intents import SeekTo, TogglePlay
from room.state import ConnectionStatus, Member, RoomState
from tests.live.harness import LIVE_JWT_SECRET, member_settings, token_for
from tui.live import LiveRoom

_STANDIN = Path(__file__).resolve().parents[2] / "benchmarks" / "standin.py"
_spec = importlib.util.spec_from_file_location("benchmarks_standin", _STANDIN)
assert _spec is not None and _spec.loader is not None
standin = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(standin)

MEDIA_S = 90.0  # the `media` fixture's length
FRAME_MS = 40.0  # one frame of the test video (25 fps)
END_TOLERANCE_MS = 2 * FRAME_MS


@dataclass
class Party:
    """A room's members, each a LiveRoom, and one event set on any member's news."""

    members: list[LiveRoom] = field(default_factory=list)
    states: dict[str, RoomState] = field(default_factory=dict)
    cutoffs: dict[str, list[str]] = field(default_factory=dict)
    """Per member: why its joined channel was lost (status detail), in order."""
    changed: asyncio.Event = field(default_factory=asyncio.Event)
    _connected: dict[str, bool] = field(default_factory=dict)

    def on_state(self, user_id: str, state: RoomState) -> None:
        self.states[user_id] = state
        connected = state.connection.status is ConnectionStatus.CONNECTED
        if self._connected.get(user_id) and not connected:
            self.cutoffs.setdefault(user_id, []).append(state.connection.detail)
        elif not connected and state.connection.detail and self.cutoffs.get(user_id):
            self.cutoffs[user_id][-1] = state.connection.detail  # the reason comes after
        self._connected[user_id] = connected
        self.changed.set()

    def on_player(self, _state: PlayerState) -> None:
        self.changed.set()

    async def until(self, condition: Callable[[], bool], timeout: float) -> None:
        """Wait for `condition`, checked at every member's state and player report."""
        async with asyncio.timeout(timeout):
            while not condition():
                self.changed.clear()
                await self.changed.wait()

    async def join(
        self,
        hub_url: str,
        media: Path,
        user_id: str,
        *,
        libmpv: bool,
        claim_host: bool = False,
    ) -> LiveRoom:
        settings = member_settings(
            hub_url,
            media,
            ui={"notifications": False},
            server={"user_token": token_for(user_id)},
        )
        initial = RoomState("big", user_id, user_id, members=(Member(user_id, user_id),))
        room: LiveRoom
        if libmpv:
            room = LiveRoom(settings, initial, claim_host=claim_host)
        else:
            room = standin.StandInRoom(
                settings,
                initial,
                claim_host=claim_host,
                rng=random.Random(user_id),
                duration_s=MEDIA_S,
            )
        self.members.append(room)
        await room.start(lambda state: self.on_state(user_id, state), lambda text: None)
        assert room.player is not None, self.states[user_id].connection
        room.player.add_listener(self.on_player)
        return room

    def user_id(self, room: LiveRoom) -> str:
        return room.initial.self_user_id

    def all_connected(self) -> bool:
        return all(
            self.states[self.user_id(m)].connection.status is ConnectionStatus.CONNECTED
            for m in self.members
        )

    def all_see(self, size: int, host: str) -> bool:
        for member in self.members:
            state = self.states[self.user_id(member)]
            if len(state.members) != size or state.host is None or state.host.user_id != host:
                return False
        return True

    async def stop(self) -> None:
        await asyncio.gather(*(m.stop() for m in self.members), return_exceptions=True)


def position(room: LiveRoom, instant: float) -> float:
    player = room.player
    assert player is not None
    if isinstance(player, standin.StandInPlayer):
        return float(player.position_at(instant))
    return player.state.position_now(instant) or 0.0


def spread_ms(host: LiveRoom, followers: list[LiveRoom]) -> float:
    """The largest gap between the host's player and a follower's, now."""
    instant = time.monotonic()
    lead = position(host, instant)
    return max(abs(position(f, instant) - lead) * 1000 for f in followers)


@contextlib.asynccontextmanager
async def party() -> AsyncIterator[Party]:
    room = Party()
    try:
        yield room
    finally:
        await room.stop()


async def gather_room(
    room: Party, hub_url: str, media: Path, size: int, libmpv: int, *, stagger_s: float
) -> tuple[LiveRoom, list[LiveRoom]]:
    """The host (claims the role), then everyone else, one after another."""
    host = await room.join(hub_url, media, "m00", libmpv=libmpv > 0, claim_host=True)
    await room.until(lambda: host.session is not None and host.session.host_user_id == "m00", 30)
    followers = []
    for index in range(1, size):
        followers.append(await room.join(hub_url, media, f"m{index:02d}", libmpv=index < libmpv))
        await asyncio.sleep(stagger_s)  # people arrive one after another
    await room.until(lambda: room.all_connected() and room.all_see(size, "m00"), 60)
    return host, followers


def followers_on(target: float, followers: list[LiveRoom]) -> Callable[[], bool]:
    """Every follower has the host's newest anchor at `target` and its player moved there."""

    def done() -> bool:
        for member in followers:
            session = member.session
            assert session is not None
            anchor = session.playback.follower.anchor
            if anchor is None or abs(anchor.current_time - target) > 0.5:
                return False
            if abs(position(member, time.monotonic()) - target) > 15:
                return False
        return True

    return done


@pytest.mark.slow
async def test_a_room_of_20_comes_back_after_its_hub_restarts_without_a_cutoff(
    media: Path, tmp_path: Path
) -> None:
    db = tmp_path / "hub.sqlite3"
    hub = await start_hub(HubSettings(port=0, jwt_secret=LIVE_JWT_SECRET, db_path=db))
    port = hub.port
    try:
        async with party() as room:
            host, followers = await gather_room(room, hub.url, media, 20, 0, stagger_s=0.5)
            await host.submit(TogglePlay())
            await room.until(
                lambda: all(f.player is not None and not f.player.state.paused for f in followers),
                20,
            )
            await hub.close()
            await room.until(
                lambda: all(
                    s.connection.status is not ConnectionStatus.CONNECTED
                    for s in room.states.values()
                ),
                30,
            )
            hub = await start_hub(HubSettings(port=port, jwt_secret=LIVE_JWT_SECRET, db_path=db))
            lost_at = {uid: len(c) for uid, c in room.cutoffs.items()}
            restarted = hub

            def converged() -> bool:
                # Everyone joined the new hub and re-tracked there (its presence, not a list
                # left over from before), and every member's list holds all 20 again.
                tracked = sum(len(r.presence) for r in restarted.state.rooms.values())
                return (
                    tracked == 20
                    and room.all_connected()
                    and all(
                        m.session is not None and m.session.link.joins == 2 for m in room.members
                    )
                    and all(
                        m.session is not None and len(m.session.roster.present) == 20
                        for m in room.members
                    )
                    and room.all_see(20, "m00")
                )

            await room.until(converged, 150)
            target = 40.0
            await host.submit(SeekTo(target))
            await room.until(followers_on(target, followers), 30)
            # Nobody was cut off again on the way back, and the new hub never tripped.
            again = {uid: c[lost_at.get(uid, 0) :] for uid, c in room.cutoffs.items()}
            assert all(not lost for lost in again.values()), again
            assert hub.state.events.trips == 0
            assert hub.state.presence_events.trips == 0, hub.state.presence_events.buckets()
    finally:
        await hub.close()


@pytest.mark.slow
async def test_a_room_of_12_plays_and_seeks_for_a_minute_at_the_free_limits(
    media: Path, tmp_path: Path
) -> None:
    """An ordinary evening: 12 members (the host and two followers with real libmpv, nine
    stand-ins) on the default hub, at Supabase Free's limits, for a minute of play, seeks
    and pauses. Nobody is cut off, the hub's counters never trip, and after every action
    every follower is on the host's new timeline."""
    hub = await start_hub(
        HubSettings(port=0, jwt_secret=LIVE_JWT_SECRET, db_path=tmp_path / "hub.sqlite3")
    )
    try:
        async with party() as room:
            host, followers = await gather_room(room, hub.url, media, 12, 3, stagger_s=0.5)
            started = time.monotonic()
            await host.submit(TogglePlay())
            await room.until(
                lambda: all(f.player is not None and not f.player.state.paused for f in followers),
                30,
            )
            for target in (30.0, 10.0, 55.0, 20.0):
                await asyncio.sleep(10.0)  # the room plays on between the host's actions
                await host.submit(SeekTo(target))
                await room.until(followers_on(target, followers), 30)
            await host.submit(TogglePlay())  # pause
            await room.until(
                lambda: all(f.player is not None and f.player.state.paused for f in followers),
                30,
            )
            await asyncio.sleep(max(0.0, 60.0 - (time.monotonic() - started)))
            assert spread_ms(host, followers) <= 2 * FRAME_MS, "paused together, on a frame"
            assert room.all_connected() and room.all_see(12, "m00")
            assert room.cutoffs == {}, room.cutoffs
            assert hub.state.events.trips == 0
            assert hub.state.presence_events.trips == 0
    finally:
        await hub.close()
