"""Measure the hub's room data path (not a test; run it by hand):

    PYTHONPATH=. python tests/hub/measure_room_data.py [--subscribers 50] [--inserts 300]

1. write -> postgres_changes latency: a hub in its own process (`python -m hub`, as `serve`
   runs it); `--subscribers` realtime-py clients, each with its own socket, in
   `--worker-processes` processes, all on room:bench listening to INSERT on comments
   (filter room_id=eq.bench). This process inserts comments one at a time with postgrest-py
   (the app's upsert with ignore_duplicates) and every subscriber notes when its callback got
   each one. Latency = callback time - time just before the REST request was sent (both
   CLOCK_MONOTONIC, which all processes on one machine share). Inserts are spaced
   `--gap-ms` apart so that one insert's frames do not queue behind the previous one's.
2. newest page: the room holds `--comments` comments (bulk-inserted through REST, 1000 rows a
   request); the app's page query (select=*, room_id=eq, order=seq.desc, limit=50) and the
   cursor page (seq=lt.N) are timed from postgrest-py's side, one at a time.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import statistics
import sys
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
ROOM = "bench"


def percentile(samples: list[float], q: float) -> float:
    ordered = sorted(samples)
    index = min(len(ordered) - 1, max(0, round(q / 100 * (len(ordered) - 1))))
    return ordered[index]


def summary(name: str, samples: list[float]) -> str:
    return (
        f"{name}: n={len(samples)} p50={percentile(samples, 50):.2f} ms "
        f"p90={percentile(samples, 90):.2f} p99={percentile(samples, 99):.2f} "
        f"max={max(samples):.2f} mean={statistics.fmean(samples):.2f}"
    )


# --- subscriber worker (child process) -------------------------------------------------------
async def raw_subscribers(url: str, count: int) -> None:
    """Bare websockets (aiohttp + json): what the hub costs without realtime-py's own."""
    import aiohttp

    session = aiohttp.ClientSession()
    join = {
        "topic": f"realtime:room:{ROOM}",
        "event": "phx_join",
        "payload": {
            "config": {
                "postgres_changes": [
                    {
                        "event": "INSERT",
                        "schema": "public",
                        "table": "comments",
                        "filter": f"room_id=eq.{ROOM}",
                    }
                ]
            }
        },
        "ref": "1",
        "join_ref": "1",
    }

    async def listen(ws: aiohttp.ClientWebSocketResponse) -> None:
        async for message in ws:
            now = time.perf_counter()
            frame = json.loads(message.data)
            if frame["event"] == "postgres_changes":
                record = frame["payload"]["data"]["record"]
                print(json.dumps({"id": record["id"], "at": now}), flush=False)

    sockets = []
    for _ in range(count):
        ws = await session.ws_connect(f"{url}/realtime/v1/websocket?apikey=anon&vsn=1.0.0")
        await ws.send_str(json.dumps(join))
        sockets.append(ws)
    tasks = [asyncio.create_task(listen(ws)) for ws in sockets]
    await _serve_flushes(count)
    for task in tasks:
        task.cancel()
    await session.close()


async def _serve_flushes(count: int) -> None:
    print(json.dumps({"ready": count}), flush=True)
    loop = asyncio.get_running_loop()
    reader = asyncio.StreamReader()
    await loop.connect_read_pipe(lambda: asyncio.StreamReaderProtocol(reader), sys.stdin)
    while line := await reader.readline():
        if line.strip() == b"flush":
            sys.stdout.flush()
            print(json.dumps({"flushed": True}), flush=True)


async def subscribers(url: str, count: int) -> None:
    from realtime import AsyncRealtimeClient

    clients = []
    ready = 0
    joined = asyncio.Event()

    def on_change(payload: dict[str, Any]) -> None:
        now = time.perf_counter()
        record = payload["data"]["record"]
        print(json.dumps({"id": record["id"], "at": now}), flush=False)

    for _ in range(count):
        client = AsyncRealtimeClient(f"{url}/realtime/v1", "anon")
        channel = client.channel(f"room:{ROOM}", {"config": {"broadcast": {"self": False}}})
        channel.on_postgres_changes(
            "INSERT", on_change, table="comments", filter=f"room_id=eq.{ROOM}"
        )

        def on_state(state: Any, error: Any) -> None:
            nonlocal ready
            if state.value == "SUBSCRIBED":
                ready += 1
                if ready == count:
                    joined.set()

        await channel.subscribe(on_state)
        clients.append(client)
    await joined.wait()
    await _serve_flushes(count)
    for client in clients:
        with contextlib.suppress(Exception):
            await client.close()


# --- the measuring process -------------------------------------------------------------------
async def start_hub(db: Path) -> tuple[asyncio.subprocess.Process, str]:
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "hub",
        "--port",
        "0",
        "--db",
        str(db),
        "--log-level",
        "WARNING",
        stdout=asyncio.subprocess.PIPE,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
    )
    assert process.stdout is not None
    line = (await process.stdout.readline()).decode()
    return process, line.split()[3]


async def start_workers(
    url: str, total: int, processes: int, raw: bool
) -> list[asyncio.subprocess.Process]:
    workers = []
    per_process = [
        total // processes + (1 if i < total % processes else 0) for i in range(processes)
    ]
    for count in per_process:
        worker = await asyncio.create_subprocess_exec(
            sys.executable,
            __file__,
            "--raw-worker" if raw else "--worker",
            url,
            str(count),
            stdin=asyncio.subprocess.PIPE,
            stdout=asyncio.subprocess.PIPE,
            env={**os.environ, "PYTHONPATH": str(ROOT)},
            limit=2**24,
        )
        workers.append(worker)
    for worker in workers:
        assert worker.stdout is not None
        line = json.loads(await worker.stdout.readline())
        assert "ready" in line, line
    return workers


async def collect(workers: list[asyncio.subprocess.Process]) -> dict[str, list[float]]:
    received: dict[str, list[float]] = {}
    for worker in workers:
        assert worker.stdin is not None and worker.stdout is not None
        worker.stdin.write(b"flush\n")
        await worker.stdin.drain()
        while True:
            line = json.loads(await worker.stdout.readline())
            if "flushed" in line:
                break
            received.setdefault(line["id"], []).append(line["at"])
    return received


def row(index: int) -> dict[str, Any]:
    return {
        "id": str(uuid.uuid4()),
        "room_id": ROOM,
        "user_id": "writer",
        "username": "Writer",
        "message": f"comment {index} " + "x" * 80,
        "video_timestamp": index * 0.5,
        "is_anchor": index % 50 == 0,
    }


async def measure_latency(client: Any, args: argparse.Namespace, url: str) -> None:
    workers = await start_workers(url, args.subscribers, args.worker_processes, args.raw)
    sent: dict[str, float] = {}
    table = client.table("comments")
    for index in range(args.warmup + args.inserts):
        comment = row(index)
        started = time.perf_counter()
        await table.upsert(comment, on_conflict="id", ignore_duplicates=True).execute()
        if index >= args.warmup:
            sent[comment["id"]] = started
        await asyncio.sleep(args.gap_ms / 1000)
    received = await collect(workers)
    samples = []
    missing = 0
    for comment_id, at in sent.items():
        times = received.get(comment_id, [])
        missing += args.subscribers - len(times)
        samples.extend((t - at) * 1000 for t in times)
    last = [(max(received[c]) - at) * 1000 for c, at in sent.items() if c in received]
    kind = "bare websocket" if args.raw else "realtime-py"
    print(
        f"write -> postgres_changes, {args.subscribers} {kind} subscribers in "
        f"{args.worker_processes} processes, {args.inserts} inserts {args.gap_ms} ms apart"
    )
    print("  " + summary("every subscriber", samples))
    print("  " + summary("last subscriber per insert", last))
    print(f"  frames missing: {missing}")
    for worker in workers:
        worker.kill()
        await worker.wait()


async def measure_page(client: Any, args: argparse.Namespace) -> None:
    table = client.table("comments")
    existing = (
        await table.select("id", count="exact").eq("room_id", ROOM).limit(0).execute()
    ).count
    started = time.perf_counter()
    batch = 1000
    for start in range(existing or 0, args.comments, batch):
        rows = [row(i) for i in range(start, min(start + batch, args.comments))]
        await table.insert(rows, returning="minimal").execute()
    print(f"seeded {args.comments} comments in {time.perf_counter() - started:.1f} s")

    async def timed(request: Any, repeat: int) -> tuple[list[float], Any]:
        samples, result = [], None
        for _ in range(repeat):
            t0 = time.perf_counter()
            result = await request.execute()
            samples.append((time.perf_counter() - t0) * 1000)
        return samples, result

    newest = table.select("*").eq("room_id", ROOM).order("seq", desc=True).limit(50)
    samples, result = await timed(newest, args.page_repeats)
    assert len(result.data) == 50
    print("  " + summary("newest 50 (select=*&room_id=eq&order=seq.desc&limit=50)", samples))
    cursor = result.data[-1]["seq"] - args.comments // 2
    older = (
        table.select("*").eq("room_id", ROOM).lt("seq", cursor).order("seq", desc=True).limit(50)
    )
    samples, _ = await timed(older, args.page_repeats)
    print("  " + summary("older 50 (seq=lt.N cursor, mid-table)", samples))
    anchors = (
        table.select("*")
        .eq("room_id", ROOM)
        .eq("is_anchor", True)
        .order("video_timestamp")
        .limit(200)
    )
    samples, result = await timed(anchors, args.page_repeats)
    print("  " + summary(f"anchors ({len(result.data)} rows, limit 200)", samples))


async def main(args: argparse.Namespace) -> None:
    from supabase import acreate_client

    with tempfile.TemporaryDirectory() as folder:
        hub, url = await start_hub(Path(folder) / "hub.sqlite3")
        try:
            client = await acreate_client(url, "anon")
            await (
                client.table("rooms")
                .upsert({"room_id": ROOM}, on_conflict="room_id", ignore_duplicates=True)
                .execute()
            )
            if args.subscribers:
                await measure_latency(client, args, url)
            if args.comments:
                await measure_page(client, args)
        finally:
            hub.kill()
            await hub.wait()


def parse() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--subscribers", type=int, default=50)
    parser.add_argument("--worker-processes", type=int, default=1)
    parser.add_argument("--inserts", type=int, default=300)
    parser.add_argument("--warmup", type=int, default=20)
    parser.add_argument("--gap-ms", type=float, default=30.0)
    parser.add_argument("--comments", type=int, default=100_000)
    parser.add_argument("--page-repeats", type=int, default=200)
    parser.add_argument(
        "--raw", action="store_true", help="bare websocket subscribers instead of realtime-py"
    )
    return parser.parse_args()


if __name__ == "__main__":
    if sys.argv[1:2] in (["--worker"], ["--raw-worker"]):
        try:
            import uvloop

            uvloop.install()
        except ImportError:
            pass
        run = raw_subscribers if sys.argv[1] == "--raw-worker" else subscribers
        asyncio.run(run(sys.argv[2], int(sys.argv[3])))
    else:
        asyncio.run(main(parse()))
