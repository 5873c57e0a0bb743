"""The benchmarks' stand-in player: one clock ticker however many files it opens (each load
used to start another, so a member of benchmarks/room_queue.py reported N times as often
after N item changes)."""

from __future__ import annotations

import asyncio
import importlib.util
import random
from pathlib import Path

_STANDIN = Path(__file__).resolve().parents[1] / "benchmarks" / "standin.py"
_spec = importlib.util.spec_from_file_location("benchmarks_standin_ticker", _STANDIN)
assert _spec is not None and _spec.loader is not None
standin = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(standin)


def tickers() -> int:
    return sum(
        1
        for task in asyncio.all_tasks()
        if getattr(task.get_coro(), "__qualname__", "") == "StandInPlayer._tick"
    )


async def test_loading_again_keeps_one_ticker() -> None:
    player = standin.StandInPlayer(random.Random(1))
    try:
        for episode in range(5):
            await player.load(f"/srv/ep{episode}.mkv")
        assert tickers() == 1
        ticker = player._ticker
    finally:
        player.close()
    await asyncio.gather(ticker, return_exceptions=True)
    assert ticker.cancelled()
