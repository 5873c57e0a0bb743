"""What every benchmark shares: one percentile convention and its summary figures, CPU and
memory readings, the share of the machine other processes took, an event-loop lag sampler,
the helper processes, and the hub limits the benchmarks raise.

Percentiles interpolate linearly between the two nearest ranks: numpy's default
(`numpy.percentile(..., method="linear")`), `statistics.quantiles(..., method="inclusive")`,
R's type 7. So p50 is `statistics.median`, p0 the minimum and p100 the maximum.
"""

from __future__ import annotations

import asyncio
import math
import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path
from typing import Any, TypedDict

TICKS_PER_S = os.sysconf("SC_CLK_TCK")


# --------------------------------------------------------------------------------------------
# Percentiles and summary figures
# --------------------------------------------------------------------------------------------
def percentile(values: Iterable[float], q: float) -> float | None:
    """The `q`th percentile (0-100) of `values`, linear between the nearest ranks; None when
    there are none. An infinite value (an event that never happened) sorts last, and a
    percentile that reaches into it is infinite too."""
    ordered = sorted(values)
    if not ordered:
        return None
    position = (len(ordered) - 1) * min(100.0, max(0.0, q)) / 100
    below = math.floor(position)
    lower, upper = ordered[below], ordered[min(below + 1, len(ordered) - 1)]
    fraction = position - below
    if fraction == 0:
        return lower
    if lower == upper or math.isinf(upper):
        return upper
    return lower + (upper - lower) * fraction


class Summary(TypedDict):
    n: int
    p50_ms: float | None
    p95_ms: float | None
    p99_ms: float | None
    max_ms: float | None


def summary(values: Sequence[float], digits: int = 2) -> Summary:
    """n, p50, p95, p99 and max of millisecond samples, rounded to `digits`; None for no
    samples and for infinite figures (JSON carries neither)."""

    def rounded(value: float | None) -> float | None:
        return None if value is None or math.isinf(value) else round(value, digits)

    return {
        "n": len(values),
        "p50_ms": rounded(percentile(values, 50)),
        "p95_ms": rounded(percentile(values, 95)),
        "p99_ms": rounded(percentile(values, 99)),
        "max_ms": rounded(max(values)) if values else None,
    }


def fmt(value: float | None, digits: int = 1) -> str:
    return "never" if value is None else f"{value:.{digits}f}"


# --------------------------------------------------------------------------------------------
# The machine: CPU, memory, other processes' load, event-loop lag
# --------------------------------------------------------------------------------------------
def process_cpu_s(pid: int | None = None) -> float:
    """User + system CPU seconds of a process, all its threads (0 once it is gone). Our own
    process (no pid) from the kernel's nanosecond clock; others from /proc in clock ticks."""
    if pid is None:
        return time.process_time()
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except FileNotFoundError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / TICKS_PER_S


class CpuMeter:
    """A process's CPU use from now on, in percent of one core (100 = one core all the time,
    200 = both cores of this machine)."""

    def __init__(self, pid: int | None = None) -> None:
        self.pid = pid
        self._cpu_s = process_cpu_s(pid)
        self._started_at = time.monotonic()

    def cpu_s(self) -> float:
        return process_cpu_s(self.pid) - self._cpu_s

    def pct_of_a_core(self) -> float:
        elapsed = max(1e-9, time.monotonic() - self._started_at)
        return 100 * self.cpu_s() / elapsed


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
        # Our own process through /proc too, in the same clock ticks as the machine's total.
        ours = sum(process_cpu_s(pid) for pid in {os.getpid(), *self.our_pids()})
        return _busy_s(), ours

    def pct_of_a_core(self) -> float:
        """Percent of one core used by other processes since the start (call while ours live)."""
        busy, ours = self._snapshot()
        elapsed = max(1e-9, time.monotonic() - self._started_at)
        others = (busy - self._busy) - (ours - self._ours)
        return round(100 * max(0.0, others) / elapsed, 1)


LOOP_LAG_INTERVAL_S = 0.010
"""How often `LoopLag` wakes up. The share of samples a stall hits grows with the interval, so
a p99 of lag is only comparable between runs sampled alike; 10 ms costs the measured loop
100 wake-ups a second."""


class LoopLag:
    """How late this process's event loop wakes up: each `LOOP_LAG_INTERVAL_S` sleep's
    overshoot, in ms. Start it on the running loop; `stop()` returns the samples."""

    def __init__(self) -> None:
        self.samples: list[float] = []
        self._task = asyncio.get_running_loop().create_task(self._run())

    async def _run(self) -> None:
        while True:
            before = time.monotonic()
            await asyncio.sleep(LOOP_LAG_INTERVAL_S)
            self.samples.append((time.monotonic() - before - LOOP_LAG_INTERVAL_S) * 1000)

    def stop(self) -> list[float]:
        self._task.cancel()
        return self.samples


# --------------------------------------------------------------------------------------------
# Helper processes
# --------------------------------------------------------------------------------------------
class ChildProcess:
    """A benchmark's helper process: this interpreter running `argv` (usually the script
    itself with a role), with our environment (so the private data folder `_bootstrap` set up
    too) plus `env`. Its stdout is a pipe to read; its stderr goes to a temporary file, so
    warnings are kept for the report rather than lost or mixed into it."""

    def __init__(
        self,
        argv: Sequence[str],
        *,
        stdin: bool = False,
        env: dict[str, str] | None = None,
        cwd: Path | None = None,
    ) -> None:
        self.log = tempfile.TemporaryFile(mode="w+")  # noqa: SIM115  (closed in `stop`)
        self.process = subprocess.Popen(
            [sys.executable, *argv],
            stdin=subprocess.PIPE if stdin else None,
            stdout=subprocess.PIPE,
            stderr=self.log,
            text=True,
            env={**os.environ, **(env or {})},
            cwd=cwd,
        )

    @property
    def pid(self) -> int:
        return self.process.pid

    def readline(self) -> str:
        stdout = self.process.stdout
        assert stdout is not None
        return stdout.readline()

    def expect(self, marker: str, what: str) -> str:
        """The first line it prints, which must contain `marker` (else it is stopped)."""
        first = self.readline()
        if marker not in first:
            tail = self.stop()[1][-8:]
            raise RuntimeError(f"{what} did not start: {first!r}; stderr: {tail}")
        return first

    def cpu_s(self) -> float:
        return process_cpu_s(self.pid)

    def peak_rss_mb(self) -> float:
        return peak_rss_mb(self.pid)

    def stderr(self) -> list[str]:
        self.log.flush()
        self.log.seek(0)
        return [text.rstrip() for text in self.log if text.strip()]

    def stop(self, timeout: float = 15.0) -> tuple[str, list[str]]:
        """End it (SIGTERM, then SIGKILL if it must); returns the rest of its stdout and all
        it wrote to stderr."""
        if self.process.poll() is None:
            self.process.terminate()
        try:
            out, _ = self.process.communicate(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.process.kill()
            out, _ = self.process.communicate()
        lines = self.stderr() if not self.log.closed else []
        self.log.close()
        return out or "", lines


class CpuHog:
    """Another process spinning on core 0 for a run (`--cpu-hog`): a busy machine."""

    def __init__(self) -> None:
        self.process = subprocess.Popen([sys.executable, "-c", "while True: pass"])
        os.sched_setaffinity(self.process.pid, {0})

    def stop(self) -> None:
        self.process.terminate()
        self.process.wait(timeout=10)


def film_media(duration_s: float) -> Path:
    """Film-like media for `--media film`: 1280x720 H.264 at 25 fps with a keyframe every
    10 s, as films are encoded, and audio; rendered once with libmpv's encoder and cached."""
    from player.sources import render_demo_file

    folder = Path(tempfile.gettempdir()) / "watchparty-bench"
    return render_demo_file(
        folder / f"film-1280x720-25fps-{duration_s:g}s-k10.mkv",
        duration_s=duration_s,
        fps=25,
        size="1280x720",
        keyframe_every_s=10.0,
        video_codec="libx264",
    )


# --------------------------------------------------------------------------------------------
# The hub's limits
# --------------------------------------------------------------------------------------------
BENCH_JWT_SECRET = "the-benchmarks-hub-secret-not-for-real-use"
"""The token-signing secret of every benchmark's hub, so the load generators can sign each
member in as the user it plays (the hub refuses payloads that speak for someone else)."""


def bench_token(user_id: str) -> str:
    """An access token for ``user_id`` that the benchmarks' hubs accept."""
    from hub.tokens import Tokens

    return Tokens(BENCH_JWT_SECRET.encode()).issue(user_id).access_token


def bench_service_token() -> str:
    """A service-role token: for the scripts that write rows for many users (the room's rules
    do not apply to it, as to a project's service key)."""
    from hub.tokens import Tokens

    return Tokens(BENCH_JWT_SECRET.encode()).service_token()


HUB_LIMITS: dict[str, Any] = {
    "max_concurrent_users": 100_000,
    "max_events_per_second": 1_000_000_000,
    "max_joins_per_second": 1_000_000_000,
    "max_presence_events_per_second": 1_000_000_000,
    "max_sockets": 100_000,
    # A load generator is one client (one address) making thousands of requests a second.
    "rest_requests_per_s": 1_000_000_000.0,
    "rest_burst": 1_000_000_000,
}
"""The hub settings every benchmark's hub runs with: the tenant-wide limits lifted. The hub
defaults to Supabase's Free plan (200 connected users, 100 messages a second with every
delivery counted, 100 joins and 20 presence messages a second, 10 000 sockets), which by
design closes channels long before the loads measured here: the first broadcast to 50
subscribers, 22 members heartbeating while 400 actions fan out, a room of 800. The benchmarks
measure how fast the hub and the app are, not where the limiter cuts in, and a limit's check
costs the same whatever its value. Everything per client stays as shipped: 5 presence calls
per 30 s, 100 channels, the frame and payload sizes, the frame guard (500 frames, 100 a
second); only each socket's share of the message budget grows with `max_events_per_second`
(at Free's 100 it refuses a socket's broadcast to 50 subscribers), and the per-client REST
rate is lifted for the same reason. Their tokens are signed with `BENCH_JWT_SECRET` (given
separately, so that it is not printed with the limits)."""


def unverified_hub() -> None:
    """Make this process's hub skip every identity check: each join and each REST request
    runs as the service role (no token verified or watched for expiry, no rule applied, no
    payload checked, every change delivered). Only for measuring what verification costs
    (`--unverified`); the product has no such switch."""
    import hub.join
    import hub.rest.caller
    import hub.rest.handlers
    from hub.channels import ChannelJoin
    from hub.data.rules import SERVICE
    from hub.tokens import Claims

    service = Claims("service_role", None, None, 2**31 - 1, 0, False, {})
    hub.join.identity = lambda peer, state, payload: service  # type: ignore[assignment]
    hub.join.watch_token = lambda peer, state, channel, exp: None  # type: ignore[assignment]
    hub.rest.caller.caller_of = lambda request, tokens, key: SERVICE  # type: ignore[assignment]
    hub.rest.handlers.caller_of = hub.rest.caller.caller_of
    ChannelJoin.speaks_for = lambda self, payload, event=None: True  # type: ignore[method-assign]
