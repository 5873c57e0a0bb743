"""Item changes of a room's queue: from the host's next to every member playing the new item
within a frame of the host, and how many members started an item mid-way.

Ten members in one room on the embedded hub (three with a real headless libmpv playing
generated files, the rest the benchmarks' stand-in player, each taking 50-400 ms to open a
file; --slow-member-s makes one of them slower), twenty item changes. Two phases in the same
run, each on a fresh hub: the app as built (room.wait_for = everyone: everyone loads the
item paused at 0 and the host starts it when all are ready) and the naive baseline
(room.wait_for = off: each member loads the item on its own as it sees the change, and the
host plays at once, so the others join it where it has got to). A start is mid-way when a
member's first playing report of an item is more than 0.5 s into it. Goals: p95 at most
1.5 s; no start mid-way.

    python benchmarks/room_queue.py [--quick] [--changes N] [--members N] [--libmpv N]

The last line is one JSON object.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import random
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import _bootstrap
from harness import BENCH_JWT_SECRET, OtherLoad, bench_token, summary
from standin import StandInPlayer, StandInRoom

from player.base import PlayerState
from player.sources import render_demo_file
from room.intents import AddToQueue, ClaimHost, NextItem
from room.state import ConnectionStatus, Member, RoomState
from tui.config import load_settings
from tui.live import LiveRoom

FRAME_S = 0.040
MIDWAY_S = 0.5
ITEM_S = 30.0
CHANGE_TIMEOUT_S = 30.0
POLL_S = 0.005
"""How often the benchmark looks at every player (its measurement resolution)."""
LOAD_S = (0.05, 0.4)


def now() -> float:
    return time.monotonic()


def log_line(text: str) -> None:
    print(text, file=sys.stderr, flush=True)


class LoadingStandIn(StandInPlayer):
    """The stand-in player, taking a while to open a file (a disk, a cache) as libmpv does."""

    def __init__(self, rng: random.Random, load_s: tuple[float, float]) -> None:
        super().__init__(rng, ITEM_S)
        self._load_s = load_s

    async def load(self, source: str, *, paused: bool = True) -> None:
        if self._source is not None:
            await asyncio.sleep(self._rng.uniform(*self._load_s))
        await super().load(source, paused=paused)


class QueueStandInRoom(StandInRoom):
    def __init__(self, *args: Any, load_s: tuple[float, float], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._load_s = load_s

    async def _open_player(self) -> Any:
        player = LoadingStandIn(self._rng, self._load_s)
        media = str(self.settings.player.media)
        await player.load(media)
        self._title, self._source = Path(media).name, media
        return player


@dataclass
class Watched:
    user_id: str
    kind: str
    room: LiveRoom
    first_play: dict[str, float] = field(default_factory=dict)
    """Source -> position of the first playing report of it."""

    def on_state(self, state: PlayerState) -> None:
        if state.source and state.loaded and not state.seeking and not state.paused:
            self.first_play.setdefault(state.source, state.position or 0.0)

    def position_now(self) -> float | None:
        player = self.room.player
        if player is None:
            return None
        if isinstance(player, StandInPlayer):
            return player.position_at(now())
        return player.state.position_now(now())

    def playing(self, source: str) -> bool:
        player = self.room.player
        state = player.state if player is not None else None
        return bool(state and state.source == source and state.loaded and not state.paused)


async def start_member(
    hub_url: str,
    media: Path,
    user_id: str,
    *,
    kind: str,
    wait_for: str,
    load_s: tuple[float, float],
    rng: random.Random,
    messages_per_s: float | None,
) -> Watched:
    overrides: dict[str, Any] = {
        "server": {"url": hub_url, "user_token": bench_token(user_id)},
        "player": {"vo": "null", "ao": "null", "media": str(media)},
        "room": {"wait_for": wait_for, "open_paths": True},
    }
    if messages_per_s is not None:
        overrides["presence"] = {"room_messages_per_s": messages_per_s}
    settings = load_settings(overrides)[0]
    initial = RoomState("queue", user_id, user_id, members=(Member(user_id, user_id),))
    room: LiveRoom
    if kind == "libmpv":
        room = LiveRoom(settings, initial)
    else:
        room = QueueStandInRoom(settings, initial, rng=rng, load_s=load_s)
    member = Watched(user_id, kind, room)
    joined = asyncio.Event()

    def on_state(state: RoomState) -> None:
        if state.connection.status is ConnectionStatus.CONNECTED:
            joined.set()
        member.last_state = state  # type: ignore[attr-defined]

    await room.start(on_state, lambda text: None)
    await asyncio.wait_for(joined.wait(), 60)
    assert room.player is not None
    room.player.add_listener(member.on_state)
    return member


async def wait_until(condition: Any, timeout: float) -> bool:
    deadline = now() + timeout
    while now() < deadline:
        if condition():
            return True
        await asyncio.sleep(POLL_S)
    return False


async def run_phase(
    name: str, wait_for: str, files: list[Path], args: argparse.Namespace
) -> dict[str, Any]:
    from hub import HubSettings, start_hub

    folder = Path(_bootstrap.FOLDER) / name
    folder.mkdir(parents=True, exist_ok=True)
    hub = await start_hub(
        HubSettings(port=0, jwt_secret=BENCH_JWT_SECRET, db_path=folder / "hub.sqlite3")
    )
    rng = random.Random(args.seed)
    members: list[Watched] = []
    try:
        for index in range(args.members):
            kind = "libmpv" if index < args.libmpv else "standin"
            slow = args.slow_member_s > 0 and index == args.members - 1
            load_s = (args.slow_member_s, args.slow_member_s) if slow else LOAD_S
            members.append(
                await start_member(
                    hub.url,
                    files[0],
                    f"m{index:02d}",
                    kind=kind,
                    wait_for=wait_for,
                    load_s=load_s,
                    rng=rng,
                    messages_per_s=args.room_messages_per_s,
                )
            )
        host = members[0]
        await host.room.submit(ClaimHost())
        await wait_until(lambda: all(_hosted_by(m, host.user_id) for m in members), 30)
        sources = [str(files[i % len(files)]) for i in range(args.changes)]
        for source in sources:
            await host.room.submit(AddToQueue(source))
        await wait_until(lambda: all(_queue_len(m) == len(sources) for m in members), 30)

        latencies_ms: list[float] = []
        host_starts_ms: list[float] = []
        timeouts = 0
        for step, source in enumerate(sources):
            started = now()
            await host.room.submit(NextItem())

            def all_playing(source: str = source) -> bool:
                host_at = host.position_now()
                if host_at is None or not host.playing(source):
                    return False
                return all(
                    m.playing(source) and abs((m.position_now() or -1.0) - host_at) <= FRAME_S
                    for m in members
                )

            shown = "timeout"
            if await wait_until(lambda source=source: host.playing(source), CHANGE_TIMEOUT_S):
                host_starts_ms.append((now() - started) * 1000)
            if await wait_until(all_playing, CHANGE_TIMEOUT_S):
                latencies_ms.append((now() - started) * 1000)
                shown = f"{latencies_ms[-1]:.0f} ms"
            else:
                timeouts += 1
            log_line(f"{name} change {step + 1}/{len(sources)}: {shown}")
            await asyncio.sleep(args.play_s)  # the room watches a while before the next
        midway_starts = sum(
            1 for m in members for position in m.first_play.values() if position > MIDWAY_S
        )
        return {
            "latency": summary(latencies_ms),
            "host_start": summary(host_starts_ms),
            "started_midway": midway_starts,
            "timeouts": timeouts,
        }
    finally:
        for member in reversed(members):
            await member.room.stop()
        await hub.close()


def _hosted_by(member: Watched, host_id: str) -> bool:
    state = getattr(member, "last_state", None)
    return bool(state and state.host and state.host.user_id == host_id)


def _queue_len(member: Watched) -> int:
    state = getattr(member, "last_state", None)
    return len(state.queue.items) if state else 0


async def main(args: argparse.Namespace) -> None:
    folder = Path(_bootstrap.FOLDER) / "media"
    files = [
        render_demo_file(folder / f"item{n}-160x90-30s.mkv", duration_s=ITEM_S, size="160x90")
        for n in range(3)
    ]
    load = OtherLoad(list)
    built = await run_phase("queue", "everyone", files, args)
    naive = await run_phase("naive", "off", files, args)
    other_load = load.pct_of_a_core()
    for label, phase in (("queue (wait for everyone)", built), ("naive (wait_for off)", naive)):
        lat = phase["latency"]
        log_line(
            f"{label}: p50 {lat['p50_ms']} ms, p95 {lat['p95_ms']} ms, p99 {lat['p99_ms']} ms over "
            f"{lat['n']} changes; {phase['started_midway']} starts mid-way; "
            f"{phase['timeouts']} changes never all playing within {CHANGE_TIMEOUT_S:g} s; "
            f"the host itself started p50 {phase['host_start']['p50_ms']} ms after its next"
        )
    result = {
        "item_change_all_playing_p50_ms": built["latency"]["p50_ms"],
        "item_change_all_playing_p95_ms": built["latency"]["p95_ms"],
        "item_change_all_playing_p99_ms": built["latency"]["p99_ms"],
        "started_midway": built["started_midway"],
        "item_change_timeouts": built["timeouts"],
        "naive_item_change_all_playing_p50_ms": naive["latency"]["p50_ms"],
        "naive_item_change_all_playing_p95_ms": naive["latency"]["p95_ms"],
        "naive_item_change_all_playing_p99_ms": naive["latency"]["p99_ms"],
        "naive_started_midway": naive["started_midway"],
        "naive_item_change_timeouts": naive["timeouts"],
        "host_start_p50_ms": built["host_start"]["p50_ms"],
        "naive_host_start_p50_ms": naive["host_start"]["p50_ms"],
        "members": args.members,
        "libmpv_members": args.libmpv,
        "item_changes": args.changes,
        "other_load_pct_of_a_core": other_load,
        "slow_member_s": args.slow_member_s,
        "play_s": args.play_s,
        "room_messages_per_s": args.room_messages_per_s,
        "goal_p95_ms": 1500,
    }
    print(json.dumps(result), flush=True)


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="6 members, 5 changes (~1 min)")
    parser.add_argument("--changes", type=int, default=20)
    parser.add_argument("--members", type=int, default=10)
    parser.add_argument("--libmpv", type=int, default=3)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument(
        "--room-messages-per-s",
        type=float,
        default=None,
        help="the room's message budget (default: the app's, half of Supabase Free's 100/s)",
    )
    parser.add_argument(
        "--play-s",
        type=float,
        default=5.0,
        help="how long the room plays each item before the host's next (the message budget "
        "refills meanwhile; real episodes are minutes apart)",
    )
    parser.add_argument(
        "--slow-member-s",
        type=float,
        default=0.0,
        help="one stand-in takes this long to open every item (0: none)",
    )
    args = parser.parse_args()
    if args.quick:
        args.changes, args.members, args.libmpv, args.play_s = 5, 6, 2, 1.0
    return args


if __name__ == "__main__":
    asyncio.run(main(parse_args()))
