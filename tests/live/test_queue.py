"""A room of three plays a queue of three short files to the end, over the real hub, each
member with a real headless libmpv: all on the same item at every step, nobody starting an
item mid-way, the room waiting for a member slow to load, and going on without one that is
stuck, after its timeout."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from hub import RunningHub
from player.base import PlayerState
from player.sources import render_demo_file
from room.intents import AddToQueue, ClaimHost, NextItem
from tests.live.harness import WAIT_S, LiveMember, start_member, within

pytestmark = pytest.mark.slow

MIDWAY_S = 0.5
"""A first playing report later than this into an item is a start mid-way (reports come
every frame or so; a start at 0 is first seen well under this)."""


@pytest.fixture(scope="session")
def episodes(tmp_path_factory: pytest.TempPathFactory) -> list[Path]:
    folder = tmp_path_factory.mktemp("episodes")
    return [
        render_demo_file(folder / f"ep{n}-160x90-{3 + n}s.mkv", duration_s=3.0 + n, size="160x90")
        for n in (1, 2, 3)
    ]


@dataclass
class Playing:
    """What one member's player did: the first playing report of each file, in order."""

    member: LiveMember
    starts: list[tuple[str, float, float]] = field(default_factory=list)
    """(source, position at the first playing report, monotonic time)."""
    _started: asyncio.Event = field(default_factory=asyncio.Event)

    def on_state(self, state: PlayerState) -> None:
        if state.source is None or not state.loaded or state.seeking:
            return
        started = {source for source, _, _ in self.starts}
        if not state.paused and not state.eof and state.source not in started:
            self.starts.append((state.source, state.position or 0.0, time.monotonic()))
            self._started.set()

    async def started(self, source: str) -> float:
        """When this member's player began to play ``source``."""
        while True:
            for started, _, at in self.starts:
                if started == source:
                    return at
            self._started.clear()
            await self._started.wait()


def watch(member: LiveMember) -> Playing:
    playing = Playing(member)
    assert member.room.player is not None
    member.room.player.add_listener(playing.on_state)
    return playing


def on_source(member: LiveMember, source: str) -> bool:
    player = member.room.player
    return player is not None and player.state.source == source


async def three_members(
    hub: RunningHub, media: Path, **room: object
) -> tuple[LiveMember, LiveMember, LiveMember]:
    settings = {"open_paths": True, **room}
    ann = await start_member(hub.url, media, "u-ann", "ann", room=settings)
    bob = await start_member(hub.url, media, "u-bob", "bob", room=settings)
    cat = await start_member(hub.url, media, "u-cat", "cat", room=settings)
    for member in (ann, bob, cat):
        await member.joined()
    await ann.submit(ClaimHost())
    for member in (bob, cat):
        await member.until(lambda s: s.host is not None and s.host.user_id == "u-ann")
    return ann, bob, cat


def describe(members: tuple[LiveMember, ...], watched: list[Playing]) -> str:
    """Where each member is, for a failure's message."""
    lines = []
    for member, playing in zip(members, watched, strict=True):
        player = member.room.player
        lines.append(
            f"{member.name}: {player.state if player else None}; queue "
            f"{member.state.queue.current_item_id} waiting {member.state.queue.waiting}; "
            f"starts {playing.starts}; notices {member.notices[-6:]}"
        )
    return "\n".join(lines)


def slow_loads(
    member: LiveMember, source: str, delay_s: float, log: list[tuple[str, float]]
) -> None:
    """``member`` takes ``delay_s`` longer to open ``source`` (a slow disk, a slow CDN)."""
    session = member.room.session
    assert session is not None and session.item_loader is not None
    load = session.item_loader

    async def slowly(item: str) -> str | None:
        if item == source:
            await asyncio.sleep(delay_s)
        result = await load(item)
        log.append((item, time.monotonic()))
        return result

    session.item_loader = slowly


def stuck_on(member: LiveMember, source: str) -> None:
    """``member`` never finishes opening ``source`` (a hung mount): it stays "loading"."""
    session = member.room.session
    assert session is not None and session.item_loader is not None
    load = session.item_loader

    async def stuck(item: str) -> str | None:
        if item == source:
            await asyncio.Event().wait()
        return await load(item)

    session.item_loader = stuck


def sources(paths: list[Path]) -> Iterator[str]:
    return (str(path) for path in paths)


async def queue_up(ann: LiveMember, others: tuple[LiveMember, ...], paths: list[Path]) -> None:
    for source in sources(paths):
        await ann.submit(AddToQueue(source))
    for member in (ann, *others):
        try:
            await member.until(lambda s: len(s.queue.items) == len(paths))
        except TimeoutError:
            pytest.fail(f"{member.name} sees {member.state.queue}; notices {member.notices}")


async def test_three_members_play_the_queue_to_the_end_together(
    hub: RunningHub, media: Path, episodes: list[Path]
) -> None:
    ann, bob, cat = await three_members(hub, media)
    members = (ann, bob, cat)
    try:
        watched = [watch(member) for member in members]
        loaded_by_bob: list[tuple[str, float]] = []
        ep2 = str(episodes[1])
        slow_loads(bob, ep2, 3.0, loaded_by_bob)
        await queue_up(ann, (bob, cat), episodes)

        await ann.submit(NextItem())
        # The host waits for bob on the second item: it says so, and the room names him.
        await ann.until(lambda s: s.queue.waiting is not None and "bob" in s.queue.waiting.names)
        # To the end of the last item, which the host moves to by itself; the others stop
        # where the host's player stopped (on its last frame, or within a frame of it).
        last = str(episodes[-1])
        for member in members:
            try:
                await within(
                    member.room.player.wait_for(  # type: ignore[union-attr]
                        lambda s, last=last: (
                            s.source == last
                            and s.paused
                            and (s.eof or (s.position or 0) >= (s.duration or 99) - 0.1)
                        )
                    ),
                    WAIT_S * 3,
                )
            except TimeoutError:
                pytest.fail(describe(members, watched))

        for playing in watched:
            name = playing.member.name
            assert [source for source, _, _ in playing.starts] == list(sources(episodes)), name
            for source, position, _ in playing.starts:
                assert position < MIDWAY_S, f"{name} started {source} at {position:.2f} s"
        # Everyone started each item at about the same moment: no one ran ahead.
        for index in range(len(episodes)):
            moments = [playing.starts[index][2] for playing in watched]
            assert max(moments) - min(moments) < 1.0, describe(members, watched)
        # The host started item 2 only once bob had it open.
        (bob_loaded_at,) = [at for source, at in loaded_by_bob if source == ep2]
        assert watched[0].starts[1][2] > bob_loaded_at
        # The rooms row names the item the room is on.
        assert ann.state.queue.current is not None
        assert ann.state.queue.current.source == last
    finally:
        for member in reversed(members):
            await member.stop()


async def test_the_room_goes_on_without_a_stuck_member_after_its_timeout(
    hub: RunningHub, media: Path, episodes: list[Path]
) -> None:
    timeout_s = 4.0
    ann, bob, cat = await three_members(hub, media, first_start_timeout_s=timeout_s)
    members = (ann, bob, cat)
    try:
        watched = [watch(member) for member in members]
        first = str(episodes[0])
        stuck_on(cat, first)
        await queue_up(ann, (bob, cat), episodes)
        asked_at = time.monotonic()
        await ann.submit(NextItem())
        waiting = await ann.until(
            lambda s: s.queue.waiting is not None and s.queue.waiting.names == ("cat",)
        )
        assert waiting.queue.waiting is not None and waiting.queue.waiting.deadline_ms is not None
        # cat's own list shows the room waiting; bob sees cat loading.
        await bob.until(lambda s: any(m.username == "cat" for m in s.members))
        for playing in watched[:2]:
            await within(playing.started(first), WAIT_S + timeout_s)
        started_after_s = watched[0].starts[0][2] - asked_at
        assert started_after_s >= timeout_s * 0.9, f"started {started_after_s:.1f} s after next"
        assert not any(source == first for source, _, _ in watched[2].starts)  # cat never did
        await ann.until(lambda s: s.queue.waiting is None)
    finally:
        for member in reversed(members):
            await member.stop()


async def test_a_member_that_vanishes_while_the_room_waits_is_not_waited_for(
    hub: RunningHub, media: Path, episodes: list[Path]
) -> None:
    """Gone from presence (its app quit or its connection dropped): the room goes on at once,
    not after the 60 s first-start timeout."""
    ann, bob, cat = await three_members(hub, media)
    members = (ann, bob, cat)
    try:
        watched = [watch(member) for member in members]
        first = str(episodes[0])
        stuck_on(cat, first)
        await queue_up(ann, (bob, cat), episodes)
        await ann.submit(NextItem())
        await ann.until(lambda s: s.queue.waiting is not None and "cat" in s.queue.waiting.names)
        vanished_at = time.monotonic()
        await cat.stop()
        for playing in watched[:2]:
            await within(playing.started(first))
        assert watched[0].starts[0][2] - vanished_at < WAIT_S  # long before 60 s
        assert watched[0].starts[0][1] < MIDWAY_S and watched[1].starts[0][1] < MIDWAY_S
    finally:
        for member in (bob, ann):
            await member.stop()
