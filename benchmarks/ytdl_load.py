"""How long a queue item takes to open when it is a web page (mpv's ytdl hook running
yt-dlp, which finds the page's video) against the same video's direct URL, in the same run.

    python benchmarks/ytdl_load.py [--loads N]

Offline: a server on 127.0.0.1 serves a page with a ``<video src=...>`` and the file itself;
yt-dlp runs with only its generic extractor and no user config. Each sample is one real
headless libmpv's ``load(url)``, from the call to the first frame (what a member's readiness
waits for); direct and page loads alternate so both see the same machine. The last line is
one JSON object: ``page_load_p50_ms``, ``page_load_p95_ms``, ``direct_load_p50_ms``,
``direct_load_p95_ms`` (the baseline), and the other processes' share of a core.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import sys
import time
from pathlib import Path

import _bootstrap
from aiohttp import web
from harness import OtherLoad, summary

from player.mpv_player import MpvPlayer
from player.settings import PlayerSettings
from player.sources import render_demo_file
from player.ytdl import ytdl_missing

OFFLINE_YTDL = "force-generic-extractor=,ignore-config="


def log_line(text: str) -> None:
    print(text, file=sys.stderr, flush=True)


async def serve(media: Path) -> tuple[web.AppRunner, str]:
    async def page(request: web.Request) -> web.Response:
        body = f'<html><head><title>Episode</title></head><body><video src="/media/{media.name}">'
        return web.Response(text=body + "</video></body></html>", content_type="text/html")

    app = web.Application()
    app.router.add_get("/watch", page)
    app.router.add_static("/media", media.parent)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", 0).start()
    return runner, f"http://127.0.0.1:{runner.addresses[0][1]}"


async def timed_load(player: MpvPlayer, url: str) -> float:
    started = time.perf_counter()
    await player.load(url)
    return (time.perf_counter() - started) * 1000


async def run(loads: int) -> dict[str, object]:
    settings = PlayerSettings(vo="null", ao="null", ytdl_raw_options=OFFLINE_YTDL)
    if ytdl_missing(settings):
        raise SystemExit("yt-dlp is not installed: pip install 'watchparty-tui[ytdl]'")
    media = render_demo_file(
        Path(_bootstrap.FOLDER) / "media" / "page-video.mkv", duration_s=60.0, size="320x180"
    )
    runner, base = await serve(media)
    player = MpvPlayer(settings=settings)
    direct: list[float] = []
    page: list[float] = []
    load = OtherLoad(list)
    children_before = os.times()
    try:
        await timed_load(player, f"{base}/media/{media.name}")  # warm the caches once
        for index in range(loads):
            direct.append(await timed_load(player, f"{base}/media/{media.name}"))
            page.append(await timed_load(player, f"{base}/watch"))
            log_line(f"{index + 1}/{loads}: direct {direct[-1]:.0f} ms, page {page[-1]:.0f} ms")
        # yt-dlp runs as mpv's child, so its CPU is ours, not the machine's other load.
        children = os.times()
        elapsed = children.elapsed - children_before.elapsed
        ytdl_cpu = (children.children_user - children_before.children_user) + (
            children.children_system - children_before.children_system
        )
        other = max(0.0, load.pct_of_a_core() - round(100 * ytdl_cpu / max(elapsed, 1e-9), 1))
    finally:
        player.close()
        await runner.cleanup()
    page_summary, direct_summary = summary(page), summary(direct)
    return {
        "loads": loads,
        "page_load_p50_ms": page_summary["p50_ms"],
        "page_load_p95_ms": page_summary["p95_ms"],
        "page_load_max_ms": page_summary["max_ms"],
        "direct_load_p50_ms": direct_summary["p50_ms"],
        "direct_load_p95_ms": direct_summary["p95_ms"],
        "direct_load_max_ms": direct_summary["max_ms"],
        "ytdl_cpu_pct_of_a_core": round(100 * ytdl_cpu / max(elapsed, 1e-9), 1),
        "other_load_pct_of_a_core": round(other, 1),
        "loadavg_1m": round(os.getloadavg()[0], 2),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--loads", type=int, default=15)
    parser.add_argument("--quick", action="store_true", help="3 loads of each")
    args = parser.parse_args()
    result = asyncio.run(run(3 if args.quick else args.loads))
    log_line(
        f"page {result['page_load_p50_ms']} / {result['page_load_p95_ms']} ms (p50/p95), "
        f"direct {result['direct_load_p50_ms']} / {result['direct_load_p95_ms']} ms; "
        f"other load {result['other_load_pct_of_a_core']} % of a core"
    )
    print(json.dumps(result), flush=True)


if __name__ == "__main__":
    main()
