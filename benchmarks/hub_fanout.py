"""Broadcast fan-out benchmark for the embedded hub, against a simplest-possible baseline.

    python benchmarks/hub_fanout.py [--duration S] [--sizes 200,300,...] [--quick]

The server under test runs in its own process; the load generator runs in this one. Both stay on
127.0.0.1. Load: one room of 200 members, each sending a `heartbeat` broadcast every 3 s, plus a
host sending play/pause/seek; and 100 rooms of 5 members each heartbeating every 3 s. A quarter
of the members speak vsn 2.0.0, the rest 1.0.0. Latency is measured per broadcast from the send
to the moment its last receiver read it (sender and receivers share this process's clock).

Then the same load runs against the baseline: an aiohttp echo fan-out server written the
simplest way (JSON-encodes the message again for every receiver and awaits each send). Last,
single rooms of growing size find the largest one whose p99 stays under 50 ms.

The last line printed is one JSON object with the figures.
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import contextlib
import gc
import json
import os
import random
import signal
import statistics
import sys
import time
from dataclasses import dataclass, field
from typing import Any

import _bootstrap  # first: finds the venv and the project, and a private data folder
from harness import (
    BENCH_JWT_SECRET,
    HUB_LIMITS,
    ChildProcess,
    CpuMeter,
    bench_token,
    summary,
    unverified_hub,
)

HOST = "127.0.0.1"  # the only address this benchmark ever targets
HEARTBEAT_EVERY_S = 3.0
HOST_EVENTS_PER_S = 4.0
P99_GOAL_MS = 50.0


# --------------------------------------------------------------------------------------------
# The servers (run in a child process: `--serve hub|baseline`)
# --------------------------------------------------------------------------------------------
def serve(kind: str) -> None:
    if kind in ("hub", "hub-unverified"):
        from hub import HubSettings, start_hub

        if kind == "hub-unverified":
            unverified_hub()  # what verification costs: the same hub without it

        # Supabase's tenant limits would (by design) cut this load off; a benchmark of capacity
        # lifts them. Everything else is as shipped.
        settings = HubSettings(port=0, jwt_secret=BENCH_JWT_SECRET, **HUB_LIMITS)

        async def main() -> None:
            running = await start_hub(settings)
            gc.freeze()  # as serve_forever does
            print(f"PORT {running.port}", flush=True)
            await asyncio.Event().wait()

    else:

        async def main() -> None:
            port = await start_baseline()
            print(f"PORT {port}", flush=True)
            await asyncio.Event().wait()

    pauses = watch_gc_pauses()

    def report_and_exit(*_: object) -> None:
        print(
            "GC "
            + json.dumps({"collections": len(pauses), "max_pause_ms": max(pauses, default=0)}),
            flush=True,
        )
        os._exit(0)

    signal.signal(signal.SIGTERM, report_and_exit)
    asyncio.run(main())


def watch_gc_pauses() -> list[float]:
    """Record each cyclic-GC pause of this process (they land on the latency tail)."""
    pauses: list[float] = []
    started: list[float] = [0.0]

    def callback(phase: str, info: dict[str, int]) -> None:
        if phase == "start":
            started[0] = time.perf_counter()
        else:
            pauses.append(round((time.perf_counter() - started[0]) * 1000, 3))
            if os.environ.get("HUB_BENCH_GC_DEBUG"):
                print(f"gc gen{info['generation']} {pauses[-1]} ms", file=sys.stderr, flush=True)

    gc.callbacks.append(callback)
    return pauses


async def start_baseline() -> int:
    """A fan-out server written the simplest way: decode, then re-encode and await per receiver."""
    from aiohttp import WSMsgType, web

    rooms: dict[str, set[tuple[web.WebSocketResponse, bool]]] = {}

    async def handler(request: web.Request) -> web.WebSocketResponse:
        ws = web.WebSocketResponse()
        await ws.prepare(request)
        v2 = request.query.get("vsn", "1.0.0").startswith("2")
        joined: list[tuple[str, tuple[web.WebSocketResponse, bool]]] = []
        async for message in ws:
            if message.type is not WSMsgType.TEXT:
                continue
            data = json.loads(message.data)
            if v2:
                join_ref, ref, topic, event, payload = data
            else:
                join_ref, ref, topic, event, payload = (
                    data.get("join_ref"),
                    data["ref"],
                    data["topic"],
                    data["event"],
                    data["payload"],
                )
            if event in ("heartbeat", "phx_join"):
                if event == "phx_join":
                    member = (ws, v2)
                    rooms.setdefault(topic, set()).add(member)
                    joined.append((topic, member))
                reply = {"status": "ok", "response": {}}
                out = (
                    [join_ref, ref, topic, "phx_reply", reply]
                    if v2
                    else {"topic": topic, "event": "phx_reply", "payload": reply, "ref": ref}
                )
                await ws.send_str(json.dumps(out))
            elif event == "broadcast":
                for other, other_v2 in list(rooms.get(topic, ())):
                    if other is ws:
                        continue
                    out = (
                        [None, None, topic, "broadcast", payload]
                        if other_v2
                        else {"topic": topic, "event": "broadcast", "payload": payload, "ref": None}
                    )
                    with contextlib.suppress(ConnectionError):
                        await other.send_str(json.dumps(out))
        for topic, member in joined:
            rooms.get(topic, set()).discard(member)
        return ws

    app = web.Application()
    app.router.add_get("/realtime/v1/websocket", handler)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, HOST, 0)
    await site.start()
    return int(runner.addresses[0][1])


# --------------------------------------------------------------------------------------------
# Load generator: a lean websocket client protocol (aiohttp's client costs more per frame, and
# this process's own speed limits what can be measured)
# --------------------------------------------------------------------------------------------
@dataclass
class Sample:
    sent_at: float
    expected: int
    received: int = 0
    last_at: float = 0.0


@dataclass
class Tally:
    samples: dict[int, Sample] = field(default_factory=dict)
    room_of: dict[int, str] = field(default_factory=dict)
    deliveries: int = 0
    measuring: bool = False
    next_seq: int = 0

    def new_seq(self, room: str, expected: int) -> int | None:
        if not self.measuring:
            return None
        self.next_seq += 1
        self.samples[self.next_seq] = Sample(time.perf_counter(), expected)
        self.room_of[self.next_seq] = room
        return self.next_seq


def mask(payload: bytes) -> bytes:
    key = os.urandom(4)
    repeated = (key * (len(payload) // 4 + 1))[: len(payload)]
    masked = int.from_bytes(payload, "big") ^ int.from_bytes(repeated, "big")
    return key + masked.to_bytes(len(payload), "big")


def client_frame(text: bytes) -> bytes:
    length = len(text)
    if length < 126:
        header = bytes((0x81, 0x80 | length))
    elif length < 65536:
        header = bytes((0x81, 0x80 | 126)) + length.to_bytes(2, "big")
    else:
        header = bytes((0x81, 0x80 | 127)) + length.to_bytes(8, "big")
    return header + mask(text)


class Member(asyncio.Protocol):
    def __init__(self, tally: Tally, v2: bool) -> None:
        self.tally = tally
        self.v2 = v2
        self.buffer = bytearray()
        self.handshaken = asyncio.get_running_loop().create_future()
        self.replies: asyncio.Queue[bytes] = asyncio.Queue()
        self.transport: asyncio.Transport | None = None
        self.ref = 0

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport  # type: ignore[assignment]  # uvloop's is not a subclass

    def data_received(self, data: bytes) -> None:
        if not self.handshaken.done():
            self.buffer += data
            end = self.buffer.find(b"\r\n\r\n")
            if end < 0:
                return
            status = bytes(self.buffer[:12])
            data = bytes(self.buffer[end + 4 :])
            self.buffer.clear()
            if b"101" not in status:
                self.handshaken.set_exception(ConnectionError(status.decode(errors="replace")))
                return
            self.handshaken.set_result(None)
        if self.buffer:
            self.buffer += data
            data = bytes(self.buffer)
            self.buffer.clear()
        # Parse straight from the received bytes; only a partial frame is kept for later.
        now = time.perf_counter()
        offset, size = 0, len(data)
        while size - offset >= 2:
            length = data[offset + 1] & 0x7F
            header = 2
            if length == 126:
                if size - offset < 4:
                    break
                length = int.from_bytes(data[offset + 2 : offset + 4], "big")
                header = 4
            elif length == 127:
                if size - offset < 10:
                    break
                length = int.from_bytes(data[offset + 2 : offset + 10], "big")
                header = 10
            start, stop = offset + header, offset + header + length
            if stop > size:
                break
            self.on_message(data, start, stop, now)
            offset = stop
        if offset < size:
            self.buffer += data[offset:]

    def on_message(self, data: bytes, start: int, stop: int, now: float) -> None:
        if data.find(b'"phx_reply"', start, stop) >= 0:
            self.replies.put_nowait(data[start:stop])
            return
        self.tally.deliveries += 1
        at = data.find(b'"seq":', start, stop)
        if at < 0:
            return
        begin = at + 6
        while data[begin] == 32:  # the baseline's json.dumps puts a space after ':'
            begin += 1
        end = begin
        while end < stop and 48 <= data[end] <= 57:
            end += 1
        sample = self.tally.samples.get(int(data[begin:end]))
        if sample is not None:
            sample.received += 1
            sample.last_at = now

    def send(self, topic: str, event: str, payload: Any, join_ref: str | None = "1") -> str:
        self.ref += 1
        ref = str(self.ref)
        if self.v2:
            message = [join_ref, ref, topic, event, payload]
        else:
            message = {
                "topic": topic,
                "event": event,
                "payload": payload,
                "ref": ref,
                "join_ref": join_ref,
            }
        assert self.transport is not None
        self.transport.write(client_frame(json.dumps(message, separators=(",", ":")).encode()))
        return ref

    def close(self) -> None:
        if self.transport is not None:
            self.transport.abort()


async def connect_member(port: int, tally: Tally, v2: bool, topic: str, user: str) -> Member:
    loop = asyncio.get_running_loop()
    _, member = await loop.create_connection(lambda: Member(tally, v2), HOST, port)
    key = base64.b64encode(os.urandom(16)).decode()
    vsn = "2.0.0" if v2 else "1.0.0"
    assert member.transport is not None
    member.transport.write(
        f"GET /realtime/v1/websocket?apikey=bench&vsn={vsn} HTTP/1.1\r\nHost: {HOST}:{port}\r\n"
        f"Upgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: {key}\r\n"
        "Sec-WebSocket-Version: 13\r\n\r\n".encode()
    )
    await asyncio.wait_for(member.handshaken, 10)
    member.send(
        topic,
        "phx_join",
        {
            "config": {
                "broadcast": {"self": False, "ack": False},
                "presence": {"key": "", "enabled": False},
            },
            # Signed in as the member its heartbeats name, as the app is.
            "access_token": bench_token(user),
        },
    )
    await asyncio.wait_for(member.replies.get(), 10)
    return member


async def heartbeats(member: Member, topic: str, room_size: int, user: str, stop_at: float) -> None:
    await asyncio.sleep(random.uniform(0, HEARTBEAT_EVERY_S))
    loop = asyncio.get_running_loop()
    while loop.time() < stop_at:
        seq = member.tally.new_seq(topic, room_size - 1)
        payload: dict[str, Any] = {"user_id": user, "is_synced": True, "current_time": 12.5}
        if seq is not None:
            payload["seq"] = seq
        member.send(
            topic, "broadcast", {"type": "broadcast", "event": "heartbeat", "payload": payload}
        )
        await asyncio.sleep(HEARTBEAT_EVERY_S)


async def host_events(member: Member, topic: str, room_size: int, stop_at: float) -> None:
    loop = asyncio.get_running_loop()
    events = ("play", "pause", "seek")
    position = 0.0
    while loop.time() < stop_at:
        position += 1.0
        seq = member.tally.new_seq(topic, room_size - 1)
        # The host is the room's first member (u0), signed in as such.
        payload: dict[str, Any] = {"user_id": "u0", "username": "Host", "current_time": position}
        if seq is not None:
            payload["seq"] = seq
        member.send(
            topic,
            "broadcast",
            {"type": "broadcast", "event": random.choice(events), "payload": payload},
        )
        await asyncio.sleep(1 / HOST_EVENTS_PER_S)


async def phoenix_heartbeats(members: list[Member], stop_at: float) -> None:
    loop = asyncio.get_running_loop()
    while loop.time() < stop_at:
        await asyncio.sleep(min(25.0, max(0.0, stop_at - loop.time())))
        for member in members:
            member.send("phoenix", "heartbeat", {}, join_ref=None)


# --------------------------------------------------------------------------------------------
# Measuring a server process
# --------------------------------------------------------------------------------------------
class ServerProcess(ChildProcess):
    def __init__(self, kind: str) -> None:
        super().__init__([__file__, "--serve", kind], cwd=_bootstrap.ROOT)
        self.kind = kind
        self.port = int(self.expect("PORT ", f"the {kind} server").split()[1])

    def gc_figures(self) -> dict[str, float]:
        """Stop the server; returns its GC pause figures (and passes on what it logged)."""
        out, log = self.stop()
        for text in log:
            print(f"{self.kind} stderr: {text}", file=sys.stderr, flush=True)
        for line in out.splitlines():
            if line.startswith("GC "):
                return dict(json.loads(line[3:]))
        return {}


def summarise(tally: Tally, room: str | None, exclude: str | None = None) -> dict[str, float]:
    latencies, missing = [], 0
    for seq, sample in tally.samples.items():
        topic = tally.room_of[seq]
        if (room is not None and topic != room) or (exclude is not None and topic == exclude):
            continue
        if sample.received < sample.expected:
            missing += 1
            continue
        latencies.append((sample.last_at - sample.sent_at) * 1000)
    figures = summary(latencies, digits=3)
    return {
        "p50_ms": figures["p50_ms"],
        "p95_ms": figures["p95_ms"],
        "p99_ms": figures["p99_ms"],
        "mean_ms": round(statistics.fmean(latencies), 3) if latencies else None,
        "samples": len(latencies),
        "incomplete": missing,
    }


async def run_load(
    server: ServerProcess,
    rooms: list[tuple[str, int]],
    warmup_s: float,
    measure_s: float,
    host_room: str | None,
) -> dict[str, Any]:
    """Connect every member, run heartbeats (and host events), measure, disconnect."""
    tally = Tally()
    members: dict[str, list[Member]] = {}
    count = 0
    for topic, size in rooms:
        joined = []
        for index in range(size):
            joined.append(
                await connect_member(
                    server.port, tally, v2=count % 4 == 3, topic=topic, user=f"u{index}"
                )
            )
            count += 1
        members[topic] = joined
    loop = asyncio.get_running_loop()
    stop_at = loop.time() + warmup_s + measure_s
    everyone = [m for group in members.values() for m in group]
    tasks = [asyncio.create_task(phoenix_heartbeats(everyone, stop_at))]
    for topic, group in members.items():
        for index, member in enumerate(group):
            tasks.append(
                asyncio.create_task(heartbeats(member, topic, len(group), f"u{index}", stop_at))
            )
        if topic == host_room:
            tasks.append(asyncio.create_task(host_events(group[0], topic, len(group), stop_at)))
    await asyncio.sleep(warmup_s)
    server_cpu, generator_cpu, wall_before = CpuMeter(server.pid), CpuMeter(), time.perf_counter()
    deliveries_before = tally.deliveries
    tally.measuring = True
    await asyncio.sleep(measure_s)
    tally.measuring = False
    wall = time.perf_counter() - wall_before
    server_cpu_pct, generator_cpu_pct = server_cpu.pct_of_a_core(), generator_cpu.pct_of_a_core()
    deliveries = tally.deliveries - deliveries_before
    await asyncio.sleep(1.0)  # let the last measured broadcasts arrive
    for task in tasks:
        task.cancel()
    await asyncio.gather(*tasks, return_exceptions=True)
    for member in everyone:
        member.close()
    result: dict[str, Any] = {
        "deliveries_per_s": round(deliveries / wall),
        "server_cpu_percent": round(server_cpu_pct, 1),
        "generator_cpu_percent": round(generator_cpu_pct, 1),
        "server_peak_rss_mb": round(server.peak_rss_mb(), 1),
    }
    if host_room is not None:
        result["big_room"] = summarise(tally, host_room)
        result["small_rooms"] = summarise(tally, None, exclude=host_room)
    else:
        result["room"] = summarise(tally, None)
    return result


def print_line(label: str, figures: dict[str, Any]) -> None:
    def show(value: float | None) -> str:
        return "      -" if value is None else f"{value:7.2f}"

    f = figures
    print(
        f"  {label:<28} p50 {show(f['p50_ms'])} ms  p95 {show(f['p95_ms'])} ms  "
        f"p99 {show(f['p99_ms'])} ms  (n={f['samples']}, incomplete {f['incomplete']})",
        flush=True,
    )


def print_load(result: dict[str, Any], server: str = "server") -> None:
    r = result
    print(
        f"    deliveries/s {r['deliveries_per_s']}, {server} CPU {r['server_cpu_percent']}%, "
        f"peak RSS {r['server_peak_rss_mb']} MB, generator CPU {r['generator_cpu_percent']}%",
        flush=True,
    )


async def benchmark(args: argparse.Namespace) -> dict[str, Any]:
    big = ("realtime:room:big", 200)
    smalls = [(f"realtime:room:small{n}", 5) for n in range(100)]
    report: dict[str, Any] = {}
    # The hub as shipped, the same hub with its identity checks switched off in its process
    # (what verification costs), and the naive server.
    order = ["hub", "hub-unverified", "baseline"]
    if args.unverified_first:  # a second run in the other order shows how much is drift
        order[:2] = order[1::-1]
    for kind in order:
        server = ServerProcess(kind)
        gc_figures: dict[str, float] = {}
        try:
            print(f"{kind}: 1 room x 200 + 100 rooms x 5, {args.duration:g} s", flush=True)
            result = await run_load(server, [big, *smalls], args.warmup, args.duration, big[0])
        finally:
            gc_figures = server.gc_figures()
        result["gc_max_pause_ms"] = gc_figures.get("max_pause_ms")
        print_line("200-member room", result["big_room"])
        print_line("5-member rooms", result["small_rooms"])
        print_load(result, kind)
        print(f"    longest GC pause {result['gc_max_pause_ms']} ms", flush=True)
        report[kind] = result

    scaling = []
    largest, failures = None, 0
    server = ServerProcess("hub")
    try:
        for size in args.sizes:
            result = await run_load(
                server,
                [(f"realtime:room:size{size}", size)],
                args.warmup,
                args.scale_duration,
                None,
            )
            scaling.append(
                {
                    "size": size,
                    **result["room"],
                    "deliveries_per_s": result["deliveries_per_s"],
                    "hub_cpu_percent": result["server_cpu_percent"],
                    "generator_cpu_percent": result["generator_cpu_percent"],
                }
            )
            print_line(f"hub, one room of {size}", result["room"])
            print_load(result, "hub")
            p99 = result["room"]["p99_ms"]
            if p99 is not None and p99 < P99_GOAL_MS and result["room"]["incomplete"] == 0:
                largest, failures = size, 0
            else:
                failures += 1
                if failures == 2:  # two sizes in a row over the goal: larger ones will be too
                    break
    finally:
        server.gc_figures()

    # One larger room on the baseline too, where encoding per receiver starts to cost.
    server = ServerProcess("baseline")
    try:
        size = args.baseline_size
        big_baseline = await run_load(
            server, [(f"realtime:room:size{size}", size)], args.warmup, args.scale_duration, None
        )
    finally:
        server.gc_figures()
    print_line(f"baseline, one room of {size}", big_baseline["room"])
    print_load(big_baseline, "baseline")
    hub_same_size = next((entry for entry in scaling if entry["size"] == size), None)

    hub, baseline, unverified = report["hub"], report["baseline"], report["hub-unverified"]
    return {
        "unverified_room200_p50_ms": unverified["big_room"]["p50_ms"],
        "unverified_room200_p95_ms": unverified["big_room"]["p95_ms"],
        "unverified_room200_p99_ms": unverified["big_room"]["p99_ms"],
        "unverified_room5_p50_ms": unverified["small_rooms"]["p50_ms"],
        "unverified_room5_p99_ms": unverified["small_rooms"]["p99_ms"],
        "unverified_hub_cpu_percent": unverified["server_cpu_percent"],
        "unverified_deliveries_per_s": unverified["deliveries_per_s"],
        "room200_p50_ms": hub["big_room"]["p50_ms"],
        "room200_p95_ms": hub["big_room"]["p95_ms"],
        "room200_p99_ms": hub["big_room"]["p99_ms"],
        "room200_samples": hub["big_room"]["samples"],
        "room200_incomplete": hub["big_room"]["incomplete"],
        "room5_p50_ms": hub["small_rooms"]["p50_ms"],
        "room5_p95_ms": hub["small_rooms"]["p95_ms"],
        "room5_p99_ms": hub["small_rooms"]["p99_ms"],
        "deliveries_per_s": hub["deliveries_per_s"],
        "hub_cpu_percent": hub["server_cpu_percent"],
        "hub_peak_rss_mb": hub["server_peak_rss_mb"],
        "hub_gc_max_pause_ms": hub["gc_max_pause_ms"],
        "generator_cpu_percent": hub["generator_cpu_percent"],
        "baseline_room200_p50_ms": baseline["big_room"]["p50_ms"],
        "baseline_room200_p95_ms": baseline["big_room"]["p95_ms"],
        "baseline_room200_p99_ms": baseline["big_room"]["p99_ms"],
        "baseline_room5_p99_ms": baseline["small_rooms"]["p99_ms"],
        "baseline_deliveries_per_s": baseline["deliveries_per_s"],
        "baseline_cpu_percent": baseline["server_cpu_percent"],
        "baseline_peak_rss_mb": baseline["server_peak_rss_mb"],
        "largest_room_p99_under_50ms": largest,
        "largest_room_search": scaling,
        "baseline_single_room": {
            "size": size,
            **big_baseline["room"],
            "deliveries_per_s": big_baseline["deliveries_per_s"],
            "cpu_percent": big_baseline["server_cpu_percent"],
        },
        "hub_single_room_same_size": hub_same_size,
        "measure_s": args.duration,
    }


def generator_loop_factory(choice: str) -> Any:
    """The load generator's own per-frame cost is part of every latency it measures, so it
    uses uvloop when it can; the servers under test always run on plain asyncio."""
    if choice == "asyncio":
        return None
    try:
        import uvloop
    except ImportError:
        if choice == "uvloop":
            raise
        return None
    return uvloop.new_event_loop


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "--serve", choices=["hub", "hub-unverified", "baseline"], help=argparse.SUPPRESS
    )
    parser.add_argument(
        "--duration", type=float, default=30.0, help="measured seconds per main phase"
    )
    parser.add_argument(
        "--warmup", type=float, default=4.0, help="seconds of load before measuring"
    )
    parser.add_argument(
        "--scale-duration", type=float, default=12.0, help="measured seconds per room size"
    )
    parser.add_argument(
        "--sizes", default="200,300,400,500,600,700,800", help="room sizes to try, ascending"
    )
    parser.add_argument(
        "--baseline-size", type=int, default=400, help="single room size also run on the baseline"
    )
    parser.add_argument("--quick", action="store_true", help="short run (about a minute)")
    parser.add_argument(
        "--unverified-first",
        action="store_true",
        help="run the hub without verification before the hub as shipped (the order's effect)",
    )
    parser.add_argument(
        "--generator-loop",
        choices=["auto", "asyncio", "uvloop"],
        default="auto",
        help="event loop of the load generator (auto: uvloop when installed); the hub always "
        "runs on plain asyncio, as it does inside the app",
    )
    args = parser.parse_args()
    if args.serve:
        serve(args.serve)
        return
    args.sizes = [int(size) for size in args.sizes.split(",")]
    if args.quick:
        args.duration, args.warmup, args.scale_duration = 8.0, 3.0, 5.0
    random.seed(7)
    started = time.perf_counter()
    with asyncio.Runner(loop_factory=generator_loop_factory(args.generator_loop)) as runner:
        result = runner.run(benchmark(args))
    result["generator_loop"] = args.generator_loop
    result["run_s"] = round(time.perf_counter() - started, 1)
    # Other work on the same 2 cores shows up in every figure above; this makes it visible.
    result["machine_load_avg_1_5_min"] = [round(value, 2) for value in os.getloadavg()[:2]]
    print(json.dumps(result))


if __name__ == "__main__":
    main()
