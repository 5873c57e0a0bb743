"""What TLS costs a LAN party: the hub over wss with a pinned certificate against the same hub
over plain ws, in one run.

    python benchmarks/hub_tls.py [--members N] [--messages N] [--joins N] [--quick]

Two hubs run in child processes of their own, one plain and one `tls=True` (its self-signed
certificate made in the run's private data folder), with the same settings; the clients run
in this process on 127.0.0.1 and pin the TLS hub's certificate through `room.tls` as the app
does. Measured on each:
- **join:** a new socket's connect (TCP, for TLS the handshake and its pin check) and
  `phx_join` until its reply;
- **fan-out:** in one room of `--members` members (vsn 1.0.0), one member broadcasts with
  `self: true`; the time from its send until the last member (itself included) read it.
  Every delivery is encrypted on its own over TLS, so this is where the cost grows with the
  room.
Figures are p50/p95/p99 in ms and the hubs' CPU per message; the plain hub is the baseline.
The last line is one JSON object.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import ssl
import statistics
import time
from typing import Any

import _bootstrap  # first: finds the venv and the project, and a private data folder
from harness import HUB_LIMITS, ChildProcess, summary

HOST = "127.0.0.1"  # the only address this benchmark ever targets
TOPIC = "realtime:room:bench-tls"


def serve(tls: bool) -> None:
    from hub import HubSettings, start_hub

    # The one sender sends back to back, past the hub's per-socket frame guard (100/s): lifted
    # here as the tenant limits are; everything else is as shipped.
    settings = HubSettings(
        port=0,
        tls=tls,
        client_burst_frames=1_000_000,
        client_frames_per_second=1_000_000.0,
        **HUB_LIMITS,
    )

    async def main() -> None:
        running = await start_hub(settings)
        print(f"PORT {running.port} {running.fingerprint or '-'}", flush=True)
        await asyncio.Event().wait()

    asyncio.run(main())


class Hub:
    def __init__(self, tls: bool) -> None:
        self.tls = tls
        self.process = ChildProcess(
            [__file__, "--serve", "tls" if tls else "plain"], cwd=_bootstrap.ROOT
        )
        _, port, fingerprint = self.process.expect("PORT ", "the hub").split()
        self.port = int(port)
        self.fingerprint = None if fingerprint == "-" else fingerprint
        self._context: ssl.SSLContext | None = None

    @property
    def url(self) -> str:
        scheme = "wss" if self.tls else "ws"
        return f"{scheme}://{HOST}:{self.port}/realtime/v1/websocket"

    def context(self) -> ssl.SSLContext | None:
        """The pinned context, made once as the app makes it (per server, not per socket)."""
        from room.tls import pinned_context

        if self.fingerprint and self._context is None:
            self._context = pinned_context(self.fingerprint)
        return self._context


async def join(session: Any, hub: Hub, ref: int) -> Any:
    ws = await session.ws_connect(
        hub.url, params={"apikey": "bench", "vsn": "1.0.0"}, ssl=hub.context() or False
    )
    config = {"broadcast": {"self": True}, "presence": {"key": f"m{ref}"}}
    await ws.send_str(
        json.dumps(
            {
                "topic": TOPIC,
                "event": "phx_join",
                "payload": {"config": config},
                "ref": str(ref),
                "join_ref": str(ref),
            }
        )
    )
    while True:
        frame = json.loads((await ws.receive()).data)
        if frame["event"] == "phx_reply" and frame["ref"] == str(ref):
            assert frame["payload"]["status"] == "ok", frame
            return ws


async def measure(hub: Hub, members: int, messages: int, joins: int) -> dict[str, Any]:
    import aiohttp

    async with aiohttp.ClientSession() as session:
        join_ms = []
        for ref in range(joins):
            started = time.perf_counter()
            ws = await join(session, hub, 10_000 + ref)
            join_ms.append((time.perf_counter() - started) * 1000)
            await ws.close()
        room = [await join(session, hub, ref) for ref in range(members)]
        sender = room[0]
        cpu_before = hub.process.cpu_s()
        fan_out_ms = []
        for n in range(messages):
            body = {"type": "broadcast", "event": "tick", "payload": {"n": n, "pad": "x" * 200}}
            frame = {"topic": TOPIC, "event": "broadcast", "payload": body, "ref": None}
            started = time.perf_counter()
            await sender.send_str(json.dumps(frame))
            await asyncio.gather(*(until_tick(ws, n) for ws in room))
            fan_out_ms.append((time.perf_counter() - started) * 1000)
        cpu_s = hub.process.cpu_s() - cpu_before
        for ws in room:
            await ws.close()
    return {
        "join": summary(join_ms),
        "fan_out": summary(fan_out_ms),
        "hub_cpu_us_per_delivery": round(cpu_s / (messages * members) * 1e6, 2),
    }


async def until_tick(ws: Any, n: int) -> None:
    import aiohttp

    while True:
        message = await ws.receive()
        if message.type is not aiohttp.WSMsgType.TEXT:
            raise RuntimeError(
                f"the hub closed a member's socket: {message.type.name} {message.extra}"
            )
        frame = json.loads(message.data)
        if frame["event"] == "broadcast" and frame["payload"]["payload"]["n"] == n:
            return


def ratio(tls: float | None, plain: float | None) -> float | None:
    return round(tls / plain, 2) if tls is not None and plain else None


async def run(args: argparse.Namespace) -> dict[str, Any]:
    results: dict[str, dict[str, Any]] = {}
    # Plain first and TLS second, then once more the other way round: the order's effect
    # (a warming machine) shows as the difference between the two rounds.
    for round_ in (1, 2):
        for tls in (False, True) if round_ == 1 else (True, False):
            hub = Hub(tls)
            try:
                result = await measure(hub, args.members, args.messages, args.joins)
            finally:
                hub.process.stop()
            name = "tls" if tls else "plain"
            results.setdefault(name, {"rounds": []})["rounds"].append(result)
            print(
                f"round {round_} {name:5}: join p50 {result['join']['p50_ms']} ms "
                f"p99 {result['join']['p99_ms']} ms; fan-out to {args.members} p50 "
                f"{result['fan_out']['p50_ms']} ms p95 {result['fan_out']['p95_ms']} ms "
                f"p99 {result['fan_out']['p99_ms']} ms; hub "
                f"{result['hub_cpu_us_per_delivery']} us CPU per delivery",
                flush=True,
            )
    report: dict[str, Any] = {"members": args.members, "messages": args.messages}
    for name, kept in results.items():
        rounds = kept["rounds"]
        for part in ("join", "fan_out"):
            for figure in ("p50_ms", "p95_ms", "p99_ms"):
                values = [r[part][figure] for r in rounds if r[part][figure] is not None]
                report[f"{name}_{part}_{figure}"] = (
                    round(statistics.median(values), 2) if values else None
                )
        report[f"{name}_hub_cpu_us_per_delivery"] = round(
            statistics.median(r["hub_cpu_us_per_delivery"] for r in rounds), 2
        )
    for part in ("join", "fan_out"):
        for figure in ("p50_ms", "p99_ms"):
            report[f"tls_vs_plain_{part}_{figure}"] = ratio(
                report[f"tls_{part}_{figure}"], report[f"plain_{part}_{figure}"]
            )
    report["tls_vs_plain_hub_cpu"] = ratio(
        report["tls_hub_cpu_us_per_delivery"], report["plain_hub_cpu_us_per_delivery"]
    )
    return report


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--members", type=int, default=50)
    parser.add_argument("--messages", type=int, default=1000)
    parser.add_argument("--joins", type=int, default=200)
    parser.add_argument("--quick", action="store_true", help="10 members, 100 messages, 30 joins")
    parser.add_argument("--serve", choices=["plain", "tls"], help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.serve:
        serve(args.serve == "tls")
        return
    if args.quick:
        args.members, args.messages, args.joins = 10, 100, 30
    report = asyncio.run(run(args))
    print(json.dumps(report))


if __name__ == "__main__":
    main()
