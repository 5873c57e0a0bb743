from __future__ import annotations

import asyncio
import time

from room.sync.driver import DecisionDriver
from room.sync.policy import Decision


class FakeControls:
    def __init__(self, seek_takes_s: float = 0.02) -> None:
        self.calls: list[tuple[str, float | None, float]] = []
        self.seek_takes_s = seek_takes_s

    def _log(self, name: str, value: float | None = None) -> None:
        self.calls.append((name, value, time.monotonic()))

    def play(self) -> None:
        self._log("play")

    def pause(self) -> None:
        self._log("pause")

    def set_speed(self, speed: float) -> None:
        self._log("speed", speed)

    async def seek_and_wait(self, position: float) -> object:
        self._log("seek", position)
        await asyncio.sleep(self.seek_takes_s)
        self._log("landed", position)
        return None


def clock_ms() -> float:
    return time.monotonic() * 1000


async def test_resumes_at_the_scheduled_instant_after_the_seek_lands() -> None:
    controls = FakeControls()
    driver = DecisionDriver(controls, clock_ms)
    resume_at = clock_ms() + 120
    driver.apply(Decision(pause=True, seek_to_s=12.5, resume_at_ms=resume_at))
    async with asyncio.timeout(2):
        await driver.settled()
    names = [name for name, _, _ in controls.calls]
    assert names == ["pause", "seek", "landed", "play"]
    played_at_ms = controls.calls[-1][2] * 1000
    assert resume_at <= played_at_ms < resume_at + 30


async def test_a_slow_seek_delays_the_resume_until_it_lands() -> None:
    controls = FakeControls(seek_takes_s=0.15)
    driver = DecisionDriver(controls, clock_ms)
    driver.apply(Decision(seek_to_s=3.0, resume_at_ms=clock_ms() + 10))
    async with asyncio.timeout(2):
        await driver.settled()
    assert [name for name, _, _ in controls.calls] == ["seek", "landed", "play"]


async def test_a_pause_cancels_a_scheduled_resume() -> None:
    controls = FakeControls()
    driver = DecisionDriver(controls, clock_ms)
    driver.apply(Decision(resume_at_ms=clock_ms() + 100))
    driver.apply(Decision(pause=True))
    await asyncio.sleep(0.2)  # past the cancelled resume: nothing may happen
    assert [name for name, _, _ in controls.calls] == ["pause"]
    assert not driver.busy
