"""What the machine itself adds to a measurement: processes' CPU and memory from /proc, the share
of the cores other processes took, and an event loop's own lag."""

from __future__ import annotations

import asyncio
import math
import os
import time
from collections.abc import Callable, Iterable
from pathlib import Path

TICKS_PER_S = os.sysconf("SC_CLK_TCK")


def process_cpu_s(pid: int) -> float:
    """User + system CPU seconds of a process, all its threads (0 once it is gone)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except FileNotFoundError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / TICKS_PER_S


def _status_mb(pid: int, key: str) -> float:
    for text in Path(f"/proc/{pid}/status").read_text().splitlines():
        if text.startswith(key):
            return int(text.split()[1]) / 1024
    return math.nan


def rss_mb(pid: int) -> float:
    return _status_mb(pid, "VmRSS:")


def peak_rss_mb(pid: int) -> float:
    return _status_mb(pid, "VmHWM:")


def _busy_s() -> float:
    """CPU seconds all cores spent busy since boot."""
    fields = Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]
    user, nice, system, _idle, _iowait, irq, softirq, steal = (int(v) for v in fields[:8])
    return (user + nice + system + irq + softirq + steal) / TICKS_PER_S


class OtherLoad:
    """The share of the machine that processes other than ours used while it runs: on two
    shared cores, whatever else runs lands on every figure, so each phase reports it."""

    def __init__(self, our_pids: Callable[[], Iterable[int]]) -> None:
        self.our_pids = our_pids
        self._busy, self._ours = self._snapshot()
        self._started_at = time.monotonic()

    def _snapshot(self) -> tuple[float, float]:
        ours = sum(process_cpu_s(pid) for pid in {os.getpid(), *self.our_pids()})
        return _busy_s(), ours

    def pct_of_a_core(self) -> float:
        """Percent of one core used by other processes since the start (call while ours live)."""
        busy, ours = self._snapshot()
        elapsed = max(1e-9, time.monotonic() - self._started_at)
        others = (busy - self._busy) - (ours - self._ours)
        return round(100 * max(0.0, others) / elapsed, 1)


class LoopLag:
    """How late this process's event loop wakes up: a 5 ms sleep's overshoot, in ms."""

    SLEEP_S = 0.005

    def __init__(self) -> None:
        self.samples: list[float] = []
        self._task = asyncio.get_running_loop().create_task(self._run())

    async def _run(self) -> None:
        while True:
            before = time.monotonic()
            await asyncio.sleep(self.SLEEP_S)
            self.samples.append((time.monotonic() - before - self.SLEEP_S) * 1000)

    def stop(self) -> list[float]:
        self._task.cancel()
        return self.samples
