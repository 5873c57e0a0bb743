"""The driver on a fake clock: when it plays is a matter of the clock it is given, so these
tests hold however busy the machine is."""

from __future__ import annotations

import asyncio

from room.sync.driver import DecisionDriver
from room.sync.policy import Decision


class FakeClock:
    """Milliseconds that pass only when someone sleeps or a fake seek takes time."""

    def __init__(self, now_ms: float = 1_000_000.0) -> None:
        self.now_ms = now_ms
        self.sleeps: list[float] = []
        self.release = asyncio.Event()
        """Cleared: sleepers wait for the test to let them go (time stands still)."""
        self.release.set()
        self.sleeping = asyncio.Event()

    def __call__(self) -> float:
        return self.now_ms

    async def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.sleeping.set()
        await self.release.wait()
        self.now_ms += seconds * 1000


class FakeControls:
    def __init__(self, clock: FakeClock, seek_takes_ms: float = 20.0) -> None:
        self.clock = clock
        self.calls: list[tuple[str, float | None, float]] = []
        self.seek_takes_ms = seek_takes_ms

    def _log(self, name: str, value: float | None = None) -> None:
        self.calls.append((name, value, self.clock.now_ms))

    def play(self) -> None:
        self._log("play")

    def pause(self) -> None:
        self._log("pause")

    def set_speed(self, speed: float) -> None:
        self._log("speed", speed)

    async def seek_and_wait(self, position: float) -> object:
        self._log("seek", position)
        await asyncio.sleep(0)  # a real seek lands in a later turn of the loop
        self.clock.now_ms += self.seek_takes_ms
        self._log("landed", position)
        return None

    @property
    def names(self) -> list[str]:
        return [name for name, _, _ in self.calls]


async def settle(driver: DecisionDriver) -> None:
    async with asyncio.timeout(10):  # nothing here waits for real time: a hang is a bug
        await driver.settled()


async def test_resumes_at_the_scheduled_instant_after_the_seek_lands() -> None:
    clock = FakeClock()
    controls = FakeControls(clock)
    driver = DecisionDriver(controls, clock, sleep=clock.sleep)
    resume_at = clock() + 120
    driver.apply(Decision(pause=True, seek_to_s=12.5, resume_at_ms=resume_at))
    await settle(driver)
    assert controls.names == ["pause", "seek", "landed", "play"]
    played_at_ms = controls.calls[-1][2]
    assert played_at_ms == resume_at  # the seek took 20 ms; the rest was waited out
    assert clock.sleeps == [0.1]


async def test_a_slow_seek_delays_the_resume_until_it_lands() -> None:
    clock = FakeClock()
    controls = FakeControls(clock, seek_takes_ms=150)
    driver = DecisionDriver(controls, clock, sleep=clock.sleep)
    resume_at = clock() + 10
    driver.apply(Decision(seek_to_s=3.0, resume_at_ms=resume_at))
    await settle(driver)
    assert controls.names == ["seek", "landed", "play"]
    landed_at, played_at = controls.calls[1][2], controls.calls[2][2]
    assert played_at == landed_at > resume_at  # late, so at once: no wait on top
    assert clock.sleeps == []


async def test_a_pause_cancels_a_scheduled_resume() -> None:
    clock = FakeClock()
    clock.release.clear()  # the resume's wait never ends by itself
    controls = FakeControls(clock)
    driver = DecisionDriver(controls, clock, sleep=clock.sleep)
    driver.apply(Decision(resume_at_ms=clock() + 100))
    async with asyncio.timeout(10):
        await clock.sleeping.wait()  # the driver now waits for the resume's instant
    driver.apply(Decision(pause=True))
    clock.release.set()  # time moves on past the cancelled resume: nothing may happen
    for _ in range(5):
        await asyncio.sleep(0)
    assert controls.names == ["pause"]
    assert not driver.busy


async def test_real_time_is_the_default_clock() -> None:
    """The app's driver sleeps on the loop: a resume due now plays without waiting."""
    clock = FakeClock()
    controls = FakeControls(clock)
    driver = DecisionDriver(controls, clock)
    driver.apply(Decision(resume_at_ms=clock() - 1))
    await settle(driver)
    assert controls.names == ["play"]


async def test_a_scheduled_speed_is_set_at_its_instant() -> None:
    clock = FakeClock()
    controls = FakeControls(clock)
    driver = DecisionDriver(controls, clock, sleep=clock.sleep)
    at = clock() + 90
    driver.apply(Decision(speed=1.5, speed_at_ms=at))
    assert controls.calls == []  # not before the room's instant
    await settle(driver)
    assert controls.calls == [("speed", 1.5, at)]


async def test_a_scheduled_speed_outlives_a_seek() -> None:
    clock = FakeClock()
    controls = FakeControls(clock)
    driver = DecisionDriver(controls, clock, sleep=clock.sleep)
    driver.apply(Decision(speed=1.5, speed_at_ms=clock() + 90))
    driver.apply(Decision(pause=True, seek_to_s=4.0))  # e.g. the host's own seek meanwhile
    await settle(driver)
    assert [value for name, value, _ in controls.calls if name == "speed"] == [1.5]


async def test_a_newer_speed_replaces_a_scheduled_one() -> None:
    clock = FakeClock()
    clock.release.clear()
    controls = FakeControls(clock)
    driver = DecisionDriver(controls, clock, sleep=clock.sleep)
    driver.apply(Decision(speed=1.5, speed_at_ms=clock() + 90))
    async with asyncio.timeout(10):
        await clock.sleeping.wait()
    driver.apply(Decision(speed=0.75))  # at once, and the scheduled one is off
    clock.release.set()
    await settle(driver)
    assert [value for name, value, _ in controls.calls if name == "speed"] == [0.75]


async def test_a_scheduled_speed_already_due_is_set_at_once() -> None:
    clock = FakeClock()
    controls = FakeControls(clock)
    driver = DecisionDriver(controls, clock, sleep=clock.sleep)
    driver.apply(Decision(speed=2.0, speed_at_ms=clock() - 5))
    assert controls.calls == [("speed", 2.0, clock())]
