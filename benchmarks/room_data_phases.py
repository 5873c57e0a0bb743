"""The three measurements of the room_data benchmark, each with its printed report."""

from __future__ import annotations

import argparse
import asyncio
import math
import time
from collections import Counter
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from harness import LoopLag, OtherLoad, bench_service_token, bench_token, fmt, summary
from room_data_processes import ROOM, Child, Receipt, comment_row, now

from room.backend import open_backend
from room.tables import PAGE_SIZE, RoomTables

PAGE_LIMIT = PAGE_SIZE + 1  # comments_before asks for one more, to learn whether more remain
OTHER_ROOMS = 25
FEED_ROOM = "feed"

Figures = dict[str, Any]


def stats(values: list[float]) -> Figures:
    return dict(summary(values, digits=2))


def line(label: str, figures: Figures, extra: str = "") -> str:
    f = figures
    return (
        f"  {label:<46} p50 {fmt(f['p50_ms'], 2):>7}  p95 {fmt(f['p95_ms'], 2):>7}  "
        f"p99 {fmt(f['p99_ms'], 2):>7}  max {fmt(f['max_ms'], 2):>7} ms  (n={f['n']}){extra}"
    )


WRITER = "writer"
"""The member who writes the comments (comment_row's user_id)."""


async def tables_for(url: str, room_id: str) -> RoomTables:
    """The app's own table client for a room (supabase-py, as LiveRoom opens it on a hub),
    signed in as the writer, who joins the room as the app does (its member row)."""
    backend = await open_backend(url, "anon", user_token=bench_token(WRITER))
    tables = RoomTables(backend.client, room_id)
    await tables.ensure_room()
    await tables.upsert_member({"user_id": WRITER, "username": WRITER})
    return tables


async def seat_members(url: str, room_id: str, user_ids: list[str]) -> None:
    """Member rows for the subscribers, written before any of them subscribes (so the room's
    rules let each read the room's changes, and no setup change reaches them)."""
    service = await open_backend(url, "anon", user_token=bench_service_token())
    tables = RoomTables(service.client, room_id)
    await tables.ensure_room()
    for user_id in user_ids:
        await tables.upsert_member({"user_id": user_id, "username": user_id})


# --------------------------------------------------------------------------------------------
# 1. write -> postgres_changes, against the hub's fan-out without the database
# --------------------------------------------------------------------------------------------
KINDS = ("change", "rest_broadcast", "ws_broadcast")
ARRIVES_AS = {
    "change": "INSERT comments",
    "rest_broadcast": "broadcast new_comment",
    "ws_broadcast": "broadcast new_comment",
}
TITLES = {
    "change": "comment INSERT (REST) -> postgres_changes",
    "rest_broadcast": "baseline: broadcast_room_event (REST)",
    "ws_broadcast": "baseline: send_broadcast (websocket)",
}


@dataclass
class Sent:
    kind: str
    started_at: float
    measured: bool
    """False during the warm-up rounds."""
    returned_at: float = math.nan


@dataclass
class ChangeRun:
    sent: dict[str, Sent] = field(default_factory=dict)
    receipts: list[Receipt] = field(default_factory=list)
    probe: list[Receipt] = field(default_factory=list)
    frames: dict[str, str] = field(default_factory=dict)


async def _ready(children: list[Child]) -> None:
    for child in children:
        message = await child.read(timeout=60)
        if "ready" not in message:
            raise RuntimeError(f"the {child.role} process did not start: {message}")


async def _collect(children: list[Child], run: ChangeRun, *, probe: bool) -> None:
    for child in children:
        child.send({"flush": True})
        answer = await child.read()
        receipts: list[Receipt] = [
            (int(s), str(k), str(i), float(t)) for s, k, i, t in answer["receipts"]
        ]
        (run.probe if probe else run.receipts).extend(receipts)
        run.frames.update(answer["frames"])


async def measure_changes(url: str, args: argparse.Namespace) -> Figures:
    from realtime import AsyncRealtimeClient

    await seat_members(
        url, ROOM, [f"subscriber-{n}" for n in range(args.subscribers)] + ["probe", WRITER]
    )
    share, extra = divmod(args.subscribers, args.worker_processes)
    workers, first = [], 0
    for process in range(args.worker_processes):
        count = share + (1 if process < extra else 0)
        workers.append(Child("subscribers", url, str(count), str(first)))
        first += count
    probe = Child("probe", url)
    await _ready([*workers, probe])

    tables = await tables_for(url, ROOM)
    sender = AsyncRealtimeClient(f"{url}/realtime/v1", "anon")
    sender.access_token = bench_token(WRITER)  # its new_comment rows are the writer's
    channel = sender.channel(
        f"room:{ROOM}",
        {
            "config": {
                "broadcast": {"self": False, "ack": False},
                "presence": None,
                "private": False,
            }
        },
    )
    await sender.connect()
    await channel.subscribe()
    run = ChangeRun()

    async def send(kind: str, index: int) -> None:
        row = comment_row(index)
        sent = run.sent[row["id"]] = Sent(kind, now(), measured=index >= args.warmup_rounds)
        if kind == "change":
            await tables.insert_comment(row)  # upsert(on_conflict="id", ignore_duplicates=True)
        elif kind == "rest_broadcast":
            await tables.broadcast("new_comment", row)  # what announce_comment sends
        else:
            await channel.send_broadcast("new_comment", row)
        sent.returned_at = now()

    pids = [*(w.pid for w in workers), probe.pid, args.hub_pid]
    lag = LoopLag()
    load = OtherLoad(lambda: pids)
    for round_index in range(args.warmup_rounds + args.rounds):
        if round_index == args.warmup_rounds:
            lag.samples.clear()
            load = OtherLoad(lambda: pids)
        # Taking turns, each kind first as often as the others: all three see the same machine.
        shift = round_index % len(KINDS)
        for kind in KINDS[shift:] + KINDS[:shift]:
            await send(kind, round_index)
            await asyncio.sleep(args.gap_ms / 1000)
    other_load = load.pct_of_a_core()
    loop_lag = stats(lag.stop())
    # Stragglers: half a second is a hundred times the typical latency. Any still missing get
    # a second chance (they then show as the maximum latency); after that they count as lost.
    for wait_s in (0.5, 3.0):
        await asyncio.sleep(wait_s)
        await _collect(workers, run, probe=False)
        await _collect([probe], run, probe=True)
        received = Counter(message_id for _, _, message_id, _ in run.receipts)
        probed = {message_id for _, _, message_id, _ in run.probe}
        everyone = all(received[message_id] >= args.subscribers for message_id in run.sent)
        if everyone and probed >= run.sent.keys():
            break
    for child in [*workers, probe]:
        child.stop()
    await sender.close()
    return {
        **analyse_changes(run, args.subscribers),
        "realtime_py_us_per_frame": realtime_py_cost(run.frames),
        "other_load_pct_of_a_core": other_load,
        "writer_loop_lag": loop_lag,
    }


def analyse_changes(run: ChangeRun, subscribers: int) -> Figures:
    result: Figures = {}
    by_id: dict[str, list[tuple[int, str, float]]] = {}
    for subscriber, kind, message_id, at in run.receipts:
        by_id.setdefault(message_id, []).append((subscriber, kind, at))
    probe_at = {message_id: at for _, _, message_id, at in run.probe}
    probe_counts = Counter(message_id for _, _, message_id, _ in run.probe)
    for kind in KINDS:
        every, first, last, probe, returned = [], [], [], [], []
        lost = duplicated = wrong_kind = 0
        messages = [(i, s) for i, s in run.sent.items() if s.kind == kind and s.measured]
        for message_id, sent in messages:
            got = by_id.get(message_id, [])
            seen = {subscriber for subscriber, _, _ in got}
            lost += subscribers - len(seen)
            duplicated += len(got) - len(seen)
            wrong_kind += sum(1 for _, arrived_as, _ in got if arrived_as != ARRIVES_AS[kind])
            latencies = [(at - sent.started_at) * 1000 for _, _, at in got]
            every.extend(latencies)
            if latencies:
                first.append(min(latencies))
                last.append(max(latencies))
            if message_id in probe_at:
                probe.append((probe_at[message_id] - sent.started_at) * 1000)
            returned.append((sent.returned_at - sent.started_at) * 1000)
        result[kind] = {
            "messages": len(messages),
            "every_subscriber": stats(every),
            "first_subscriber": stats(first),
            "last_subscriber": stats(last),
            "probe": stats(probe),
            "probe_lost": len(messages) - len(probe),
            "probe_duplicated": sum(probe_counts[i] - 1 for i, _ in messages if probe_counts[i]),
            "call_returned": stats(returned),
            "lost": lost,
            "duplicated": duplicated,
            "wrong_kind": wrong_kind,
        }
    result["unexpected_receipts"] = sum(1 for message_id in by_id if message_id not in run.sent)
    return result


def realtime_py_cost(frames: dict[str, str], repeats: int = 2000) -> dict[str, float]:
    """What realtime-py's AsyncRealtimeClient._listen spends on each frame it receives before
    any callback: the pydantic parse, and two debug f-strings built even with logging off."""
    from realtime.message import ServerMessageAdapter

    cost: dict[str, float] = {}
    for event, text in frames.items():
        started = time.perf_counter()
        for _ in range(repeats):
            ServerMessageAdapter.validate_json(text)
        parse_us = (time.perf_counter() - started) / repeats * 1e6
        message = ServerMessageAdapter.validate_json(text)
        started = time.perf_counter()
        for _ in range(repeats):
            f"receive: {text!r}"  # what _listen formats
            f"parsed message as {message!r}"
        debug_us = (time.perf_counter() - started) / repeats * 1e6
        cost[f"{event}_parse_us"] = round(parse_us, 1)
        cost[f"{event}_debug_fstrings_us"] = round(debug_us, 1)
        cost[f"{event}_frame_bytes"] = len(text.encode())
    return cost


def print_changes(result: Figures, args: argparse.Namespace) -> None:
    print(
        f"1. write -> delivery: {args.subscribers} realtime-py subscribers (one socket each) in "
        f"{args.worker_processes} processes on plain asyncio, as the app; {args.rounds} rounds "
        f"of the 3 kinds taking turns, {args.gap_ms:g} ms apart; latency from just before the "
        "sender's call",
        flush=True,
    )
    for kind in KINDS:
        r = result[kind]
        print(f" {TITLES[kind]}: {r['messages']} messages")
        print(line("every subscriber", r["every_subscriber"]))
        print(line("first of the subscribers, per message", r["first_subscriber"]))
        print(line("last of the subscribers, per message", r["last_subscriber"]))
        print(line("lean probe (one raw websocket, own process)", r["probe"]))
        print(line("the sender's call returned", r["call_returned"]))
        print(
            f"  lost {r['lost']}, duplicated {r['duplicated']}, arrived as something else "
            f"{r['wrong_kind']}; probe lost {r['probe_lost']}, duplicated {r['probe_duplicated']}"
        )
    print(f"  receipts of anything not sent by the writer: {result['unexpected_receipts']}")
    cost = result["realtime_py_us_per_frame"]
    print(
        "  realtime-py per received frame, before any callback (this process, timed): "
        + "; ".join(
            f"{event} ({cost[f'{event}_frame_bytes']} bytes) parse "
            f"{cost[f'{event}_parse_us']:.0f} us + debug f-strings "
            f"{cost[f'{event}_debug_fstrings_us']:.0f} us"
            for event in ("postgres_changes", "broadcast")
            if f"{event}_parse_us" in cost
        )
    )
    lag = result["writer_loop_lag"]
    print(
        f"  noise: other processes used {result['other_load_pct_of_a_core']}% of a core during "
        f"the rounds; the sender's event-loop lag p50 {fmt(lag['p50_ms'], 2)} p99 "
        f"{fmt(lag['p99_ms'], 2)} max {fmt(lag['max_ms'], 2)} ms",
        flush=True,
    )


# --------------------------------------------------------------------------------------------
# 2. history pages with 100k comments
# --------------------------------------------------------------------------------------------
async def measure_history(url: str, args: argparse.Namespace) -> Figures:
    from postgrest.types import CountMethod, ReturnMethod

    tables = await tables_for(url, ROOM)
    others = [f"other-{n}" for n in range(OTHER_ROOMS)]
    for other in others:
        await tables_for(url, other)
    comments = tables.client.table("comments")

    # 1000 rows a request, 800 of them in the measured room, so its rows are spread out in seq.
    seeding = now()
    written = in_room = 0
    while in_room < args.history:
        take = min(800, args.history - in_room)
        rows = [comment_row(in_room + i) for i in range(take)]
        rows += [comment_row(i, others[(in_room + i) % OTHER_ROOMS]) for i in range(take // 4)]
        await comments.insert(rows, returning=ReturnMethod.minimal).execute()
        in_room += take
        written += len(rows)
    seed_s = now() - seeding
    # The room also holds the comments part 1 wrote.
    counting = comments.select("id", count=CountMethod.exact).eq("room_id", ROOM)
    counted = await counting.limit(1).execute()

    async def seq_at_depth(depth: int) -> int:
        """The seq of the comment `depth` places back from the newest: the cursor the app keeps
        (the oldest comment of its window) once it has paged that far back."""
        query = comments.select("seq").eq("room_id", ROOM).order("seq", desc=True)
        response = await query.offset(depth).limit(1).execute()
        row = response.data[0]
        assert isinstance(row, dict) and isinstance(row["seq"], int)
        return row["seq"]

    def newest() -> Awaitable[Any]:
        query = comments.select("*").eq("room_id", ROOM).order("seq", desc=True)
        return query.limit(PAGE_LIMIT).execute()

    depths = [depth for depth in args.depths if depth < args.history - PAGE_LIMIT]
    queries: dict[str, Callable[[], Awaitable[Any]]] = {"newest page": newest}
    for depth in depths:
        cursor = await seq_at_depth(depth)

        def cursor_page(cursor: int = cursor) -> Awaitable[Any]:
            query = comments.select("*").eq("room_id", ROOM).lt("seq", cursor)
            return query.order("seq", desc=True).limit(PAGE_LIMIT).execute()

        def offset_page(depth: int = depth) -> Awaitable[Any]:
            query = comments.select("*").eq("room_id", ROOM).order("seq", desc=True)
            return query.offset(depth).limit(PAGE_SIZE).execute()

        queries[f"cursor, {depth} back"] = cursor_page
        queries[f"baseline: offset, {depth} back"] = offset_page
    deepest = await seq_at_depth(depths[-1])
    queries[f"app: comments_before, {depths[-1]} back"] = lambda: tables.comments_before(deepest)
    queries["app: markers (on join)"] = tables.markers

    for name, query in queries.items():  # each answers what it should, before any is timed
        answer = await query()
        if name.startswith(("cursor", "newest")):
            assert len(answer.data) == PAGE_LIMIT, name
        elif name.startswith("baseline"):
            assert len(answer.data) == PAGE_SIZE, name

    samples: dict[str, list[float]] = {name: [] for name in queries}
    load = OtherLoad(lambda: [args.hub_pid])
    for _ in range(args.page_repeats):  # interleaved, so that every query sees the same machine
        for name, query in queries.items():
            started = now()
            await query()
            samples[name].append((now() - started) * 1000)
    cursor_pages = [
        v for name, values in samples.items() if name.startswith("cursor") for v in values
    ]
    return {
        "comments_in_room": counted.count,
        "comments_written": written,
        "comments_in_other_rooms": written - in_room,
        "seed_s": round(seed_s, 1),
        "depths": depths,
        "queries": {name: stats(values) for name, values in samples.items()},
        "cursor_pages": stats(cursor_pages),
        "other_load_pct_of_a_core": load.pct_of_a_core(),
    }


def print_history(result: Figures, args: argparse.Namespace) -> None:
    r = result
    print(
        f"2. history: {r['comments_in_room']} comments in the room and "
        f"{r['comments_in_other_rooms']} in {OTHER_ROOMS} other rooms, interleaved "
        f"({r['comments_written']} written through REST in {r['seed_s']} s); each query "
        f"{args.page_repeats} times, taking turns, timed around postgrest-py's execute() "
        "(cursor pages: limit 51, as RoomTables.comments_before)",
        flush=True,
    )
    for name, figures in r["queries"].items():
        print(line(name, figures))
    print(line("cursor pages, every depth (history_page_ms)", r["cursor_pages"]))
    print(f"  noise: other processes used {r['other_load_pct_of_a_core']}% of a core")


# --------------------------------------------------------------------------------------------
# 3. the app's memory while comments arrive
# --------------------------------------------------------------------------------------------
class FeedWriter:
    """Another member's app writing comments: the insert, then the `new_comment` announcement
    that RoomData.announce_comment sends (not awaited, as the session spawns it)."""

    def __init__(self, tables: RoomTables, last_index: int) -> None:
        self.tables = tables
        self.sent_at = [math.nan] * (last_index + 1)
        self._announcements: set[asyncio.Task[None]] = set()

    async def write(self, index: int) -> None:
        self.sent_at[index] = now()
        stored = await self.tables.insert_comment(comment_row(index, self.tables.room_id))
        assert stored is not None
        payload = stored.model_dump(mode="json", exclude={"seq"})
        task = asyncio.create_task(self.tables.broadcast("new_comment", payload))
        self._announcements.add(task)
        task.add_done_callback(self._announcements.discard)

    def close(self) -> None:
        for task in self._announcements:
            task.cancel()


async def measure_feed(
    url: str, media: Path, folder: Path, args: argparse.Namespace, *, unbounded: bool
) -> Figures:
    room_id = FEED_ROOM + ("-unbounded" if unbounded else "")
    total = args.baseline_comments if unbounded else args.feed_comments
    checkpoints = sorted({c for c in args.checkpoints if c < total} | {total})
    last_index = total + args.calm_comments
    writer = FeedWriter(await tables_for(url, room_id), last_index)
    # Comment #0 is history: the app's join loads it, so its feed showing #0 means "joined".
    await writer.write(0)
    app = Child(
        "app",
        url,
        room_id,
        str(media),
        str(last_index),
        *(["--unbounded"] if unbounded else []),
        *args.app_flags,
        # The app's data folder (user id, outbox) and config: none of the user's own.
        env={
            "XDG_DATA_HOME": str(folder / room_id / "data"),
            "XDG_CONFIG_HOME": str(folder / room_id / "config"),
        },
    )
    samples: dict[int, Figures] = {}
    load = OtherLoad(lambda: [app.pid, args.hub_pid])
    try:
        started = now()
        app.send({"wait": 0, "sample": True})
        samples[0] = await app.read(timeout=120)
        startup_s = now() - started
        # The burst, in chunks: a chunk goes once the app has shown the one before, so the app
        # keeps up whatever its speed. RSS is sampled at the checkpoints.
        interval = 1 / args.feed_rate
        burst_started = next_at = now()
        written = 0
        for checkpoint in checkpoints:
            while written < checkpoint:
                end = min(checkpoint, written + args.chunk)
                for index in range(written + 1, end + 1):
                    await asyncio.sleep(max(0.0, next_at - now()))
                    next_at = max(next_at + interval, now() - interval)
                    await writer.write(index)
                app.send({"wait": end, "sample": end == checkpoint})
                report = await app.read(timeout=600)
                written = end
            samples[checkpoint] = report
        burst_s = now() - burst_started
        # Then calm: comments further apart than the app needs for one, to time each alone
        # (from just before the insert to the feed's window having it; drawing comes after).
        calm = range(written + 1, written + args.calm_comments + 1)
        for index in calm:
            await writer.write(index)
            await asyncio.sleep(args.calm_gap_s)
        app.send({"wait": calm[-1]})
        await app.read(timeout=60)
        app.send({"done": True})
        shown_at = (await app.read(timeout=60))["shown_at"]
        other_load = load.pct_of_a_core()
    finally:
        app_stderr = app.stop(timeout=30)[1]
        writer.close()
    calm_ms = [(shown_at[i] - writer.sent_at[i]) * 1000 for i in calm if shown_at[i] is not None]
    low = checkpoints[0]  # the first checkpoint: the window is full from there on
    growth = cpu_ms = None
    if total > low:
        growth = round(samples[total]["rss_mb"] - samples[low]["rss_mb"], 2)
        cpu_ms = round((samples[total]["cpu_s"] - samples[low]["cpu_s"]) * 1000 / (total - low), 2)
    return {
        "room": room_id,
        "unbounded_window": unbounded,
        "comments": total,
        "startup_s": round(startup_s, 1),
        "rss_mb": {str(c): round(s["rss_mb"], 2) for c, s in samples.items()},
        "python_blocks": {str(c): s["python_blocks"] for c, s in samples.items()},
        "window": {str(c): s["window"] for c, s in samples.items()},
        "growth_from": low,
        "rss_growth_mb": growth,
        "cpu_ms_per_comment": cpu_ms,
        "burst_comments_per_s": round(total / burst_s, 1),
        "calm_insert_to_feed": stats(calm_ms),
        "calm_not_shown": len(calm) - len(calm_ms),
        "app_stderr": app_stderr,
        "other_load_pct_of_a_core": other_load,
    }


def print_feed(result: Figures, label: str) -> None:
    r = result
    curve = ", ".join(f"{c}: {mb:.1f}" for c, mb in r["rss_mb"].items())
    print(f" {label} (room {r['room']}; app ready in {r['startup_s']} s)", flush=True)
    blocks = ", ".join(f"{c}: {n / 1000:.0f}k" for c, n in r["python_blocks"].items())
    print(f"  RSS (MB) after gc.collect(), by comments shown: {curve}")
    print(f"  Python's allocated blocks (sys.getallocatedblocks), same points: {blocks}")
    print(
        f"  growth {r['growth_from']} -> {r['comments']}: {fmt(r['rss_growth_mb'], 2)} MB "
        f"(window {r['window'][str(r['comments'])]} comments); app CPU "
        f"{fmt(r['cpu_ms_per_comment'], 2)} ms per comment (its INSERT and its new_comment); "
        f"the burst went at {r['burst_comments_per_s']} comments/s"
    )
    calm = r["calm_insert_to_feed"]
    print(line(f"then {calm['n']} calm comments: insert -> in the feed", calm))
    for text in r["app_stderr"][-20:]:
        print(f"  app stderr: {text[:300]}")
    print(f"  noise: other processes used {r['other_load_pct_of_a_core']}% of a core")
