"""The room_data benchmark's other processes: the hub, the realtime-py subscribers, a lean probe
and the app. Each is this file run with a role (`python room_data_processes.py ROLE ...`); it
reports on stdout, one JSON object a line, and takes commands on stdin the same way. `Child`
is the measuring process's handle on one of them.

Every stamp is `time.monotonic()` (CLOCK_MONOTONIC), one clock for all processes on the machine.
"""

from __future__ import annotations

import asyncio
import gc
import json
import logging
import math
import os
import sys
import time
import uuid
from array import array
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import Any

import _bootstrap  # noqa: F401  (first: finds the venv and the project)
from harness import BENCH_JWT_SECRET, HUB_LIMITS, ChildProcess, bench_token, rss_mb, unverified_hub

ROOM = "bench"
"""The room of the latency and history measurements."""

ANCHOR_EVERY = 50
"""One comment in 50 is an anchor (a marker on the progress bar), as the writer marks moments."""

Receipt = tuple[int, str, str, float]
"""(subscriber, what arrived: "INSERT comments" or "broadcast new_comment", its id, when)"""


def now() -> float:
    return time.monotonic()


def comment_row(index: int, room_id: str = ROOM) -> dict[str, Any]:
    """Comment number `index` as the app writes it (a client-made id; `seq` and `created_at`
    come from the server). The message starts with `#index `, which the app's process reads."""
    return {
        "id": str(uuid.uuid4()),
        "room_id": room_id,
        "user_id": "writer",
        "username": "Writer",
        "message": f"#{index} a comment of ordinary length about what is on screen right now",
        "video_timestamp": round(index * 0.37 % 1400, 2),
        "is_anchor": index % ANCHOR_EVERY == 0,
    }


def index_of(message: str) -> int | None:
    if not message.startswith("#"):
        return None
    number = message[1 : message.find(" ")]
    return int(number) if number.isdigit() else None


# --------------------------------------------------------------------------------------------
# The measuring process's side
# --------------------------------------------------------------------------------------------
class Child(ChildProcess):
    """One of these processes, started with `role` and its arguments; JSON lines both ways."""

    def __init__(self, role: str, *argv: str, env: dict[str, str] | None = None) -> None:
        super().__init__([__file__, role, *argv], stdin=True, env=env)
        self.role = role

    async def read(self, timeout: float = 60.0) -> dict[str, Any]:
        text = await asyncio.wait_for(asyncio.to_thread(self.readline), timeout)
        if not text:
            raise RuntimeError(f"the {self.role} process ended: {self.stderr()[-8:]}")
        message = json.loads(text)
        assert isinstance(message, dict)
        return message

    def send(self, message: dict[str, Any]) -> None:
        stdin = self.process.stdin
        assert stdin is not None
        stdin.write(json.dumps(message) + "\n")
        stdin.flush()


class HubProcess(Child):
    def __init__(self, db: Path, *, unverified: bool = False) -> None:
        super().__init__("hub", str(db), *(["unverified"] if unverified else []))
        # "watchparty hub on http://127.0.0.1:PORT (Ctrl-C stops it)"
        self.url = self.expect(" on http://", "the hub").split()[3]


# --------------------------------------------------------------------------------------------
# The roles
# --------------------------------------------------------------------------------------------
def serve_hub(db: Path, unverified: bool = False) -> None:
    """What `watchparty-tui serve --db DB --port 0` runs (`serve_forever`), tenant limits
    lifted (`harness.HUB_LIMITS`). The hub does not count postgres_changes deliveries (nor does
    Supabase's rate counter), so the measured path is as shipped. ``unverified``: the same hub
    with its identity checks switched off (what verification costs)."""
    from hub import HubSettings, serve_forever

    if unverified:
        unverified_hub()
    logging.basicConfig(level=logging.WARNING, format="%(name)s %(levelname)s %(message)s")
    serve_forever(HubSettings(port=0, db_path=db, jwt_secret=BENCH_JWT_SECRET, **HUB_LIMITS))


def _emit(message: object) -> None:
    # Straight to the pipe: Textual redirects sys.stdout while an app runs.
    os.write(1, (json.dumps(message, separators=(",", ":")) + "\n").encode())


async def _commands() -> asyncio.StreamReader:
    loop = asyncio.get_running_loop()
    reader = asyncio.StreamReader(limit=2**20)
    await loop.connect_read_pipe(lambda: asyncio.StreamReaderProtocol(reader), sys.stdin)
    return reader


async def _hand_over(receipts: list[Receipt], frames: dict[str, str] | None = None) -> None:
    """Answer each `flush` command with the receipts so far (and forget them)."""
    reader = await _commands()
    while text := await reader.readline():
        if json.loads(text).get("flush"):
            taken = receipts[:]
            del receipts[: len(taken)]
            _emit({"receipts": taken, "frames": frames or {}})


async def run_subscribers(url: str, count: int, first: int) -> None:
    """`count` realtime-py clients, a socket each, joined to the room as the app's RoomLink
    joins (room/link.py): broadcast with self, presence, and the three table bindings."""
    from realtime import AsyncRealtimeClient, RealtimeSubscribeStates
    from realtime.types import RealtimePostgresChangesListenEvent as Change

    receipts: list[Receipt] = []
    joined = 0
    all_joined = asyncio.Event()
    clients = []

    def callbacks(index: int) -> tuple[Callable[..., None], Callable[..., None]]:
        def on_change(payload: dict[str, Any]) -> None:
            at = now()
            data = payload["data"]
            kind = getattr(data["type"], "value", data["type"])  # realtime-py gives an enum
            receipts.append((index, f"{kind} {data['table']}", data["record"]["id"], at))

        def on_broadcast(message: dict[str, Any]) -> None:
            at = now()
            payload = message.get("payload") or {}
            receipts.append(
                (index, f"broadcast {message.get('event')}", str(payload.get("id")), at)
            )

        return on_change, on_broadcast

    def on_subscribe(state: RealtimeSubscribeStates, error: Exception | None) -> None:
        nonlocal joined
        if state is RealtimeSubscribeStates.SUBSCRIBED:
            joined += 1
            if joined == count:
                all_joined.set()
        else:
            print(f"subscriber: {state} {error}", file=sys.stderr, flush=True)

    room_filter = f"room_id=eq.{ROOM}"
    for index in range(first, first + count):
        client = AsyncRealtimeClient(f"{url}/realtime/v1", "anon")
        client.access_token = bench_token(f"subscriber-{index}")  # signed in, as the app is
        channel = client.channel(
            f"room:{ROOM}",
            {
                "config": {
                    "broadcast": {"self": True, "ack": False},
                    "presence": {"key": f"subscriber-{index}", "enabled": True},
                    "private": False,
                }
            },
        )
        on_change, on_broadcast = callbacks(index)
        channel.on_broadcast("*", on_broadcast)
        channel.on_postgres_changes(Change.Update, on_change, table="rooms", filter=room_filter)
        channel.on_postgres_changes(Change.All, on_change, table="room_members", filter=room_filter)
        channel.on_postgres_changes(Change.Insert, on_change, table="comments", filter=room_filter)
        await client.connect()
        await channel.subscribe(on_subscribe)
        clients.append(client)
    await asyncio.wait_for(all_joined.wait(), 30)
    _emit({"ready": count})
    await _hand_over(receipts)


async def run_probe(url: str) -> None:
    """One bare websocket (aiohttp and json) with the app's join: the hub's own delivery time,
    without realtime-py's per-frame cost. Keeps the first frame of each kind, to time that cost."""
    import aiohttp

    receipts: list[Receipt] = []
    frames: dict[str, str] = {}
    room_filter = f"room_id=eq.{ROOM}"
    join = {
        "topic": f"realtime:room:{ROOM}",
        "event": "phx_join",
        "ref": "1",
        "join_ref": "1",
        "payload": {
            "access_token": bench_token("probe"),  # signed in, as the app is
            "config": {
                "broadcast": {"self": True, "ack": False},
                "presence": {"key": "probe", "enabled": True},
                "postgres_changes": [
                    {
                        "event": "UPDATE",
                        "schema": "public",
                        "table": "rooms",
                        "filter": room_filter,
                    },
                    {
                        "event": "*",
                        "schema": "public",
                        "table": "room_members",
                        "filter": room_filter,
                    },
                    {
                        "event": "INSERT",
                        "schema": "public",
                        "table": "comments",
                        "filter": room_filter,
                    },
                ],
                "private": False,
            },
        },
    }
    async with aiohttp.ClientSession() as session:
        ws = await session.ws_connect(f"{url}/realtime/v1/websocket?apikey=anon&vsn=1.0.0")
        await ws.send_str(json.dumps(join))
        reply = json.loads((await ws.receive()).data)
        assert reply["payload"]["status"] == "ok", reply

        async def listen() -> None:
            async for message in ws:
                at = now()
                frame = json.loads(message.data)
                event, payload = frame.get("event"), frame.get("payload") or {}
                if event == "postgres_changes":
                    data = payload["data"]
                    receipts.append(
                        (-1, f"{data['type']} {data['table']}", data["record"]["id"], at)
                    )
                elif event == "broadcast":
                    inner = payload.get("payload") or {}
                    receipts.append(
                        (-1, f"broadcast {payload.get('event')}", str(inner.get("id")), at)
                    )
                if event in ("postgres_changes", "broadcast"):
                    frames.setdefault(event, message.data)

        async def heartbeat() -> None:
            while True:
                await asyncio.sleep(25)
                await ws.send_str('{"topic":"phoenix","event":"heartbeat","payload":{},"ref":"h"}')

        tasks = [asyncio.create_task(listen()), asyncio.create_task(heartbeat())]
        _emit({"ready": 1})
        await _hand_over(receipts, frames)
        for task in tasks:
            task.cancel()


def run_app(url: str, room_id: str, media: str, last_index: int, flags: list[str]) -> None:
    """The real app, headless: `WatchPartyApp` with a `LiveRoom` (hub link, RoomSession,
    headless libmpv) as `watchparty-tui` runs it. On `{"wait": N}` it answers once its comment
    feed has shown comment #N and the screen has drawn it, with its RSS (after gc.collect()
    when asked to `sample`) and CPU time; on `{"done": true}` with when it showed each comment.

    Flags: `--unbounded` (the baseline), and for diagnosis `--no-notifications` and
    `--count-objects` (which kinds of objects grew between samples, to stderr)."""
    if "--unbounded" in flags:
        import room.state

        room.state.COMMENT_WINDOW = 10**9  # the baseline: the window never trims
    from room.state import Member, RoomState
    from tui.app import WatchPartyApp
    from tui.config import load_settings
    from tui.live import LiveRoom
    from tui.widgets.comment_feed import CommentFeed
    from tui.widgets.comment_lines import CommentWindow

    settings = load_settings(
        {
            "server": {"url": url},
            "player": {"vo": "null", "ao": "null", "media": media},
            "user": {"id": "viewer", "name": "viewer"},
            "ui": {"notifications": "--no-notifications" not in flags},
        }
    )[0]
    initial = RoomState(room_id, "viewer", "viewer", members=(Member("viewer", "viewer"),))
    app = WatchPartyApp(initial, settings, LiveRoom(settings, initial))
    # Allocated up front, so the bookkeeping does not grow with the comments it counts.
    shown_at = array("d", [math.nan]) * (last_index + 1)
    highest = [-1]
    counted: list[Counter[str]] = []

    def count_objects(index: int) -> None:
        """The kinds of objects (and of DOM nodes) that grew since the previous sample."""
        from textual.dom import DOMNode

        objects = gc.get_objects()
        counts = Counter(type(o).__qualname__ for o in objects)
        nodes = {type(o).__qualname__ for o in objects if isinstance(o, DOMNode)}
        if counted:
            grown = counts - counted[-1]
            print(
                f"objects grown by comment {index}: {grown.most_common(12)}; DOM nodes: "
                f"{ {name: n for name, n in grown.items() if name in nodes} }",
                file=sys.stderr,
                flush=True,
            )
        counted.append(counts)

    async def pilot(driver: Any) -> None:
        changed = asyncio.Event()
        feed = app.room_screen.query_one(CommentFeed)

        def on_window(window: CommentWindow) -> None:
            at = now()
            for comment in reversed(window.comments):
                index = index_of(comment.message)
                if index is None or index > last_index or not math.isnan(shown_at[index]):
                    break  # comments arrive in order: the rest were shown before
                shown_at[index] = at
                highest[0] = max(highest[0], index)
            changed.set()

        app.watch(feed, "window", on_window, init=True)  # runs right after the feed's own watcher
        reader = await _commands()
        while text := await reader.readline():
            command = json.loads(text)
            if command.get("done"):
                break
            target = int(command["wait"])
            while highest[0] < target:
                changed.clear()
                await changed.wait()
            await driver.pause()  # and drawn
            if command.get("sample"):
                gc.collect()
                if "--count-objects" in flags:
                    count_objects(target)
            times = os.times()
            _emit(
                {
                    "index": target,
                    "rss_mb": rss_mb(os.getpid()),
                    "cpu_s": times.user + times.system,
                    "python_blocks": sys.getallocatedblocks(),
                    "window": len(feed.window.comments),
                }
            )
        _emit({"shown_at": [None if math.isnan(t) else t for t in shown_at]})
        app.exit()

    asyncio.run(app.run_async(headless=True, size=(120, 40), auto_pilot=pilot))


def main() -> None:
    role, argv = sys.argv[1], sys.argv[2:]
    if role == "hub":
        serve_hub(Path(argv[0]), unverified=argv[1:] == ["unverified"])
    elif role == "subscribers":
        asyncio.run(run_subscribers(argv[0], int(argv[1]), int(argv[2])))
    elif role == "probe":
        asyncio.run(run_probe(argv[0]))
    elif role == "app":
        url, room_id, media, last_index = argv[:4]
        run_app(url, room_id, media, int(last_index), argv[4:])
    else:
        raise SystemExit(f"unknown role {role!r}")


if __name__ == "__main__":
    main()
