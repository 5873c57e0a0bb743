"""TCP proxies on 127.0.0.1 that add one-way latency, in order per direction, as a network does.

Each member gets its own proxy in front of the hub, and a message from one member to another
crosses two of them (the sender's way up, the receiver's way down). For a member-to-member
latency of `lo`-`hi` ms, each crossing adds half of that: every chunk read is delivered a
random `lo/2`-`hi/2` ms after it arrived, but never before the chunk ahead of it (a TCP
stream keeps its order, so a late chunk holds back those behind it). The delays actually
applied are kept, and the member-to-member one-way latency is reported as the sum of an
up and a down crossing drawn from them.

With `until_s`, the delays stop that long after the proxies started (chunks still keep their
order): a network that is slow only while a room gathers (`clock_warmup.py`).

Run as a helper process (`ProxyProcess`), so the proxies' work is not on the members' loop.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import math
import random
import signal
import sys

import _bootstrap  # noqa: F401  (first: finds the venv and the project)
from harness import ChildProcess, summary

READ_BYTES = 65536
PAIRS = 20_000
"""Up and down crossings drawn to estimate the member-to-member latency's percentiles."""


class DelayedPipe:
    """One direction of one connection."""

    def __init__(
        self,
        rng: random.Random,
        lo_ms: float,
        hi_ms: float,
        delays: list[float],
        until: float = math.inf,
    ):
        self.rng, self.lo_ms, self.hi_ms, self.delays = rng, lo_ms, hi_ms, delays
        self.until = until
        """The loop's time from which chunks are no longer delayed."""

    async def run(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        loop = asyncio.get_running_loop()
        queue: asyncio.Queue[tuple[float, bytes] | None] = asyncio.Queue()
        deliver = asyncio.create_task(self._deliver(queue, writer))
        last_due = 0.0
        try:
            while data := await reader.read(READ_BYTES):
                arrived = loop.time()
                delay_ms = self.rng.uniform(self.lo_ms, self.hi_ms) if arrived < self.until else 0
                due = max(last_due, arrived + delay_ms / 1000)
                last_due = due
                self.delays.append((due - arrived) * 1000)
                queue.put_nowait((due, data))
        except (ConnectionError, OSError):
            pass
        finally:
            queue.put_nowait(None)
            with contextlib.suppress(Exception):
                await deliver

    @staticmethod
    async def _deliver(
        queue: asyncio.Queue[tuple[float, bytes] | None], writer: asyncio.StreamWriter
    ) -> None:
        loop = asyncio.get_running_loop()
        try:
            while (item := await queue.get()) is not None:
                due, data = item
                if (wait_s := due - loop.time()) > 0:
                    await asyncio.sleep(wait_s)
                writer.write(data)
                await writer.drain()
        except (ConnectionError, OSError):
            pass
        finally:
            writer.close()


async def serve(
    hub_port: int, count: int, lo_ms: float, hi_ms: float, seed: int, until_s: float = math.inf
) -> None:
    rng = random.Random(seed)
    until = asyncio.get_running_loop().time() + until_s
    ups: list[float] = []
    downs: list[float] = []

    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            hub_reader, hub_writer = await asyncio.open_connection("127.0.0.1", hub_port)
        except OSError:
            writer.close()
            return
        up = DelayedPipe(rng, lo_ms / 2, hi_ms / 2, ups, until)
        down = DelayedPipe(rng, lo_ms / 2, hi_ms / 2, downs, until)
        await asyncio.gather(up.run(reader, hub_writer), down.run(hub_reader, writer))

    servers = [await asyncio.start_server(handle, "127.0.0.1", 0) for _ in range(count)]
    ports = [server.sockets[0].getsockname()[1] for server in servers]
    print("PORTS " + " ".join(map(str, ports)), flush=True)
    stop = asyncio.Event()
    asyncio.get_running_loop().add_signal_handler(signal.SIGTERM, stop.set)
    await stop.wait()
    pairs = [rng.choice(ups) + rng.choice(downs) for _ in range(PAIRS)] if ups and downs else []
    print("DELAYS " + json.dumps(summary(pairs, digits=1)), flush=True)


class ProxyProcess(ChildProcess):
    """`count` proxies in front of the hub on `hub_port`; `urls` in the order made."""

    def __init__(
        self,
        hub_port: int,
        count: int,
        lo_ms: float,
        hi_ms: float,
        seed: int,
        until_s: float = math.inf,
    ):
        arguments = [str(hub_port), str(count), str(lo_ms), str(hi_ms), str(seed), str(until_s)]
        super().__init__([__file__, *arguments])
        line = self.expect("PORTS ", "the latency proxies")
        self.urls = [f"http://127.0.0.1:{int(port)}" for port in line.split()[1:]]

    def finish(self) -> dict[str, float | None]:
        """Stop them; the member-to-member one-way latency they made (ms)."""
        out, _ = self.stop()
        for text in out.splitlines():
            if text.startswith("DELAYS "):
                figures: dict[str, float | None] = json.loads(text.removeprefix("DELAYS "))
                return figures
        return {}


if __name__ == "__main__":
    port, count, lo, hi, seed, until = sys.argv[1:7]
    asyncio.run(serve(int(port), int(count), float(lo), float(hi), int(seed), float(until)))
