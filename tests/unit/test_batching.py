"""Group commit: what arrives while a batch is written goes together next, and each caller gets its own."""

import asyncio
from collections.abc import Sequence

import pytest

from shared.batching import Batcher

pytestmark = pytest.mark.unit


class Recorder:
    """A write that records its batches and holds each one until the test releases it."""

    def __init__(self) -> None:
        self.batches: list[list[str]] = []
        self.release = asyncio.Event()
        self.started = asyncio.Event()

    async def write(self, items: list[str]) -> Sequence[str | Exception]:
        self.batches.append(items)
        self.started.set()
        await self.release.wait()
        return [ValueError(item) if item.startswith("bad") else item.upper() for item in items]


async def test_a_call_alone_is_written_at_once_as_a_batch_of_one() -> None:
    recorder = Recorder()
    recorder.release.set()
    batcher = Batcher(recorder.write)

    assert await batcher.submit("a") == "A"
    assert recorder.batches == [["a"]]


async def test_calls_arriving_during_a_write_share_the_next_batch() -> None:
    recorder = Recorder()
    batcher = Batcher(recorder.write)
    first = asyncio.create_task(batcher.submit("a"))
    await recorder.started.wait()
    waiting = [asyncio.create_task(batcher.submit(item)) for item in ("b", "c", "d")]
    await asyncio.sleep(0)  # let them queue behind the write in progress
    recorder.release.set()

    assert await asyncio.gather(first, *waiting) == ["A", "B", "C", "D"]
    assert recorder.batches == [["a"], ["b", "c", "d"]]


async def test_two_items_with_one_key_never_share_a_batch() -> None:
    recorder = Recorder()
    recorder.release.set()
    batcher = Batcher(recorder.write, key=lambda item: item[0])

    results = await asyncio.gather(*(batcher.submit(item) for item in ("x1", "y1", "x2", "y2", "z1")))

    assert results == ["X1", "Y1", "X2", "Y2", "Z1"]
    assert recorder.batches == [["x1", "y1", "z1"], ["x2", "y2"]]


async def test_a_batch_never_exceeds_its_limit() -> None:
    recorder = Recorder()
    recorder.release.set()
    batcher = Batcher(recorder.write, max_batch=2)

    await asyncio.gather(*(batcher.submit(str(n)) for n in range(5)))

    assert recorder.batches == [["0", "1"], ["2", "3"], ["4"]]


async def test_an_item_s_own_exception_reaches_only_its_caller() -> None:
    recorder = Recorder()
    recorder.release.set()
    batcher = Batcher(recorder.write)

    results = await asyncio.gather(*(batcher.submit(i) for i in ("a", "bad", "c")), return_exceptions=True)

    assert results[0] == "A" and results[2] == "C"
    assert isinstance(results[1], ValueError)


async def test_a_batch_that_fails_is_written_again_item_by_item_so_a_bad_item_fails_alone() -> None:
    calls: list[list[str]] = []

    async def write(items: list[str]) -> Sequence[str | Exception]:
        calls.append(items)
        if "poison" in items:
            raise ValueError("cannot store poison")
        return [item.upper() for item in items]

    batcher = Batcher(write)
    results = await asyncio.gather(*(batcher.submit(i) for i in ("a", "poison", "c")), return_exceptions=True)

    assert results[0] == "A" and results[2] == "C"
    assert isinstance(results[1], ValueError)
    assert calls == [["a", "poison", "c"], ["a"], ["poison"], ["c"]]


async def test_an_outage_fails_its_whole_batch_at_once_and_the_next_batch_still_runs() -> None:
    calls: list[list[str]] = []

    async def write(items: list[str]) -> Sequence[str | Exception]:
        calls.append(items)
        if len(calls) == 1:
            raise ConnectionError("database gone")
        return items

    batcher = Batcher(write)
    failed = await asyncio.gather(batcher.submit("a"), batcher.submit("b"), return_exceptions=True)

    assert all(isinstance(result, ConnectionError) for result in failed)
    assert calls == [["a", "b"]]  # not each alone: an outage says nothing about the items
    assert await batcher.submit("c") == "c"


async def test_a_cancelled_caller_leaves_the_others_their_results() -> None:
    recorder = Recorder()
    batcher = Batcher(recorder.write)
    gone = asyncio.create_task(batcher.submit("a"))
    stays = asyncio.create_task(batcher.submit("b"))
    await recorder.started.wait()
    gone.cancel()
    recorder.release.set()

    assert await stays == "B"
    assert gone.cancelled()
