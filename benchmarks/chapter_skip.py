"""Issue 16, chapters: from the host's PgUp to every follower on the host's frame at the next
chapter, against a plain seek to the same place in the same run.

A host and two followers (the second keeps +1.5 s, another release) on the embedded hub, all
the app's own `tui.live.LiveRoom` with real headless libmpv, playing a 120 s render with a
chapter every 10 s. Rounds alternate between the host's chapter key (`SkipChapter(1)`, what
PgUp submits) and the baseline, `SeekTo` the start of that same chapter (what `g` submits).
A round is aligned when every follower is within a frame (40 ms) of the host (+ its offset)
in five consecutive looks (every 5 ms); measured from just before the host's submit.
Also the host's own landing: its first position after the seek against the chapter's start.

    python benchmarks/chapter_skip.py [--rounds N]

The last line is one JSON object.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import _bootstrap
from harness import BENCH_JWT_SECRET, OtherLoad, bench_token, summary

from player.mpv_player import MpvPlayer
from player.sources import render_demo_file
from room.chapters import Chapter, chapter_choice
from room.intents import ClaimHost, Intent, SeekTo, SetOffset, SkipChapter, TogglePlay
from room.state import Member, RoomState
from tui.config import load_settings
from tui.live import LiveRoom

FRAME_S = 0.040
MEDIA_S = 120.0
CHAPTERS = tuple((float(start), f"Chapter {start // 10 + 1}") for start in range(0, 120, 10))
OFFSET_S = 1.5
LOOK_S = 0.005
STEADY_LOOKS = 5
ROUND_TIMEOUT_S = 10.0
DWELL_S = 1.0
"""The room plays on this long after it lined up, before the next round."""


def log_line(text: str) -> None:
    print(text, file=sys.stderr, flush=True)


async def member(hub_url: str, media: Path, user_id: str) -> LiveRoom:
    cli = {
        "server": {"url": hub_url, "user_token": bench_token(user_id)},
        "player": {"vo": "null", "ao": "null", "media": str(media)},
    }
    initial = RoomState("chapters", user_id, user_id, members=(Member(user_id, user_id),))
    room = LiveRoom(load_settings(cli)[0], initial)
    await room.start(lambda state: None, lambda text: None)
    return room


def player(room: LiveRoom) -> MpvPlayer:
    assert room.player is not None
    return room.player


async def until(condition: Callable[[], bool], timeout_s: float) -> float | None:
    """The first instant of ``STEADY_LOOKS`` consecutive looks at which ``condition`` held."""
    deadline = time.monotonic() + timeout_s
    steady_since: float | None = None
    looks = 0
    while time.monotonic() < deadline:
        if condition():
            looks += 1
            steady_since = steady_since or time.monotonic()
            if looks >= STEADY_LOOKS:
                return steady_since
        else:
            looks, steady_since = 0, None
        await asyncio.sleep(LOOK_S)
    return None


def aligned(host: LiveRoom, followers: list[tuple[LiveRoom, float]]) -> bool:
    now = time.monotonic()
    host_at = player(host).state.position_now(now)
    if host_at is None or player(host).state.seeking:
        return False
    for room, offset_s in followers:
        state = player(room).state
        at = state.position_now(now)
        if at is None or state.seeking or state.paused or abs(at - host_at - offset_s) > FRAME_S:
            return False
    return True


async def run(args: argparse.Namespace) -> dict[str, Any]:
    from hub import HubSettings, start_hub

    folder = Path(_bootstrap.FOLDER)
    plain = render_demo_file(folder / "chapters-160x90-120s.mkv", duration_s=MEDIA_S, size="160x90")
    media = render_demo_file(plain, duration_s=MEDIA_S, size="160x90", chapters=CHAPTERS)
    hub = await start_hub(
        HubSettings(port=0, jwt_secret=BENCH_JWT_SECRET, db_path=folder / "hub.sqlite3")
    )
    host = await member(hub.url, media, "host")
    fans = [await member(hub.url, media, name) for name in ("f0", "f1")]
    followers = [(fans[0], 0.0), (fans[1], OFFSET_S)]
    chapters = [Chapter(start, title) for start, title in CHAPTERS]
    aligned_ms: dict[str, list[float]] = {"chapter": [], "seek": []}
    landing_ms: dict[str, list[float]] = {"chapter": [], "seek": []}
    timeouts = {"chapter": 0, "seek": 0}
    try:
        await host.submit(ClaimHost())
        await fans[1].submit(SetOffset(OFFSET_S))
        await until(lambda: all(_hosted(f) for f in fans), 30)
        await asyncio.sleep(3.0)  # the followers' clock warm-up: three pings a second apart
        await host.submit(TogglePlay())
        await until(lambda: aligned(host, followers), 30)
        for index in range(args.rounds):
            kind = "chapter" if index % 2 == 0 else "seek"
            position = player(host).state.position_now(time.monotonic()) or 0.0
            choice = chapter_choice(position, chapters, 1)
            if choice is None:  # past the last chapter: back to the start (not measured)
                await host.submit(SeekTo(0.0))
                await until(lambda: aligned(host, followers), ROUND_TIMEOUT_S)
                choice = chapter_choice(0.0, chapters, 1)
                assert choice is not None
            intent: Intent = SkipChapter(1) if kind == "chapter" else SeekTo(choice.start_s)
            restarts = player(host).state.restarts
            landing = asyncio.ensure_future(
                player(host).wait_for(lambda s, r=restarts: s.restarts > r)
            )
            pressed = time.monotonic()
            await host.submit(intent)
            at = await until(lambda: aligned(host, followers), ROUND_TIMEOUT_S)
            landed = await asyncio.wait_for(landing, ROUND_TIMEOUT_S)
            landing_ms[kind].append(abs((landed.position or 0.0) - choice.start_s) * 1000)
            if at is None:
                timeouts[kind] += 1
                log_line(f"round {index + 1} {kind}: not aligned in {ROUND_TIMEOUT_S:g} s")
            else:
                aligned_ms[kind].append((at - pressed) * 1000)
                shown = f"{aligned_ms[kind][-1]:.0f} ms"
                log_line(f"round {index + 1} {kind} to {choice.start_s:g} s: {shown}")
            await asyncio.sleep(DWELL_S)
    finally:
        for room in (*fans, host):
            await room.stop()
        await hub.close()
    return {
        kind: {
            "aligned": summary(aligned_ms[kind]),
            "landing": summary(landing_ms[kind]),
            "timeouts": timeouts[kind],
        }
        for kind in ("chapter", "seek")
    }


def _hosted(room: LiveRoom) -> bool:
    session = room.session
    return session is not None and session.host_user_id == "host" and session.clock.ready


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n")[0])
    parser.add_argument("--rounds", type=int, default=40, help="half chapter keys, half seeks")
    args = parser.parse_args()
    load = OtherLoad(list)
    started = time.monotonic()
    result = asyncio.run(run(args))
    other_load = load.pct_of_a_core()
    for kind, label in (("chapter", "chapter key (PgUp)"), ("seek", "seek to the chapter (g)")):
        figures = result[kind]["aligned"]
        log_line(
            f"{label}: everyone within a frame p50 {figures['p50_ms']} / p95 {figures['p95_ms']}"
            f" / p99 {figures['p99_ms']} ms over {figures['n']}; host landing off its target"
            f" p95 {result[kind]['landing']['p95_ms']} ms; {result[kind]['timeouts']} timeouts"
        )
    print(
        json.dumps(
            {
                "chapter_aligned_p50_ms": result["chapter"]["aligned"]["p50_ms"],
                "chapter_aligned_p95_ms": result["chapter"]["aligned"]["p95_ms"],
                "chapter_aligned_p99_ms": result["chapter"]["aligned"]["p99_ms"],
                "chapter_timeouts": result["chapter"]["timeouts"],
                "chapter_host_landing_p95_ms": result["chapter"]["landing"]["p95_ms"],
                "seek_aligned_p50_ms": result["seek"]["aligned"]["p50_ms"],
                "seek_aligned_p95_ms": result["seek"]["aligned"]["p95_ms"],
                "seek_aligned_p99_ms": result["seek"]["aligned"]["p99_ms"],
                "seek_timeouts": result["seek"]["timeouts"],
                "seek_host_landing_p95_ms": result["seek"]["landing"]["p95_ms"],
                "rounds": args.rounds,
                "other_load_pct_of_a_core": other_load,
                "load_average_1m": round(os.getloadavg()[0], 2),
                "run_s": round(time.monotonic() - started, 1),
            }
        ),
        flush=True,
    )


if __name__ == "__main__":
    main()
