"""The benchmarks' stand-in player: one clock ticker however many files it opens (each load
used to start another, so a member of benchmarks/room_queue.py reported N times as often
after N item changes)."""

from __future__ import annotations

import asyncio
import importlib.util
import random
from pathlib import Path

import pytest

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


async def test_position_at_answers_for_instants_before_the_last_change(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """room_scale compares a member list, as of its last redraw up to a second ago, with
    where each player was then: a speed nudge or a pause since must not move the past."""
    clock = [100.0]
    monkeypatch.setattr(standin, "now", lambda: clock[0])
    player = standin.StandInPlayer(random.Random(1))
    try:
        await player.load("/srv/ep.mkv")
        player.play()  # at 0.0 from 100.0
        clock[0] = 101.0
        player.set_speed(0.5)  # at 1.0
        clock[0] = 102.0
        player.pause()  # at 1.5
        clock[0] = 103.0
        assert player.position_at(100.5) == pytest.approx(0.5)
        assert player.position_at(101.5) == pytest.approx(1.25)
        assert player.position_at(103.0) == pytest.approx(1.5)
    finally:
        player.close()
