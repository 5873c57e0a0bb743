"""The room's writes go one at a time, in the order made, and after a join's member row.

Each write here is a coroutine the test lets finish, so the order the server would see is
the order of ``began``."""

from __future__ import annotations

import asyncio

import pytest

from room.write_order import WriteOrder


class Writes:
    """Writes that record when they begin and finish only when the test lets them."""

    def __init__(self) -> None:
        self.began: list[str] = []
        self._may_finish: dict[str, asyncio.Event] = {}

    def write(self, name: str, *, fails: bool = False):  # type: ignore[no-untyped-def]
        self._may_finish[name] = asyncio.Event()

        async def run() -> str:
            self.began.append(name)
            await self._may_finish[name].wait()
            if fails:
                raise RuntimeError(f"{name} refused")
            return name

        return run

    def finish(self, name: str) -> None:
        self._may_finish[name].set()


async def settle() -> None:
    for _ in range(5):
        await asyncio.sleep(0)


async def test_writes_go_one_at_a_time_in_the_order_made() -> None:
    order, writes = WriteOrder(), Writes()
    tasks = [asyncio.create_task(order.as_member(writes.write(n))) for n in ("a", "b", "c")]
    await settle()
    assert writes.began == ["a"], "the next waits until the one before has its answer"
    writes.finish("a")
    await settle()
    assert writes.began == ["a", "b"]
    writes.finish("b")
    writes.finish("c")
    assert await asyncio.gather(*tasks) == ["a", "b", "c"]


async def test_nothing_goes_before_the_joins_member_row() -> None:
    order, writes = WriteOrder(), Writes()
    order.hold()  # joined: the member row is on its way
    claim = asyncio.create_task(order.as_member(writes.write("claim the rooms row")))
    queue = asyncio.create_task(order.as_member(writes.write("add to the queue")))
    await settle()
    assert writes.began == []
    order.release()
    await settle()
    assert writes.began == ["claim the rooms row"]
    writes.finish("claim the rooms row")
    writes.finish("add to the queue")
    await asyncio.gather(claim, queue)
    assert writes.began == ["claim the rooms row", "add to the queue"]


async def test_a_refused_write_is_told_and_the_next_still_goes() -> None:
    order, writes = WriteOrder(), Writes()
    first = asyncio.create_task(order.as_member(writes.write("a", fails=True)))
    second = asyncio.create_task(order.as_member(writes.write("b")))
    writes.finish("a")
    with pytest.raises(RuntimeError, match="a refused"):
        await first
    writes.finish("b")
    assert await second == "b"


async def test_a_write_cancelled_while_waiting_does_not_let_the_next_overtake() -> None:
    order, writes = WriteOrder(), Writes()
    first = asyncio.create_task(order.as_member(writes.write("a")))
    waiting = asyncio.create_task(order.as_member(writes.write("cancelled")))
    third = asyncio.create_task(order.as_member(writes.write("c")))
    await settle()
    waiting.cancel()
    await settle()
    assert writes.began == ["a"], "c waits for a, which is still on its way"
    writes.finish("a")
    writes.finish("c")
    await asyncio.gather(first, third)
    assert writes.began == ["a", "c"]


async def test_a_member_row_that_never_comes_holds_the_writes_only_for_the_wait(
    caplog: pytest.LogCaptureFixture,
) -> None:
    order, writes = WriteOrder(member_wait_s=0.05), Writes()
    order.hold()
    first = asyncio.create_task(order.as_member(writes.write("a")))
    second = asyncio.create_task(order.as_member(writes.write("b")))
    writes.finish("a")
    writes.finish("b")
    assert await asyncio.wait_for(asyncio.gather(first, second), timeout=5) == ["a", "b"]
    # One wait for all, not one each (the join failed; the writes' refusals are told).
    waits = [r for r in caplog.records if "member row is not written" in r.getMessage()]
    assert len(waits) == 1
