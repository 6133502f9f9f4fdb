"""Group commit: calls that arrive while one batch is being written are written together as the next.

A busy process then pays one round trip and one commit per batch rather than per call, and an
idle one pays nothing extra: a call arriving alone is written at once, as a batch of one.
"""

import asyncio
import contextvars
from collections import defaultdict
from collections.abc import Awaitable, Callable, Hashable, Sequence
from dataclasses import dataclass
from typing import Generic, TypeVar

from shared.database import UNAVAILABLE

Item = TypeVar("Item")
Result = TypeVar("Result")

MAX_BATCH = 128


@dataclass(frozen=True)
class _Call(Generic[Item, Result]):
    item: Item
    future: asyncio.Future[Result]


class Batcher(Generic[Item, Result]):
    """Feeds `submit`ted items to `write`, a list at a time, and hands each caller its own result.

    `write` returns one outcome per item, in order. If it raises for a batch of several, each item
    is written again alone, so that an item the write cannot take (text Postgres refuses, say)
    fails alone and the others go through; an item alone that raises gets the exception, and so
    does every item of a batch that met a database outage. Items with the same `key` never share
    a batch: the later one waits for the next.
    """

    def __init__(
        self,
        write: Callable[[list[Item]], Awaitable[Sequence[Result | Exception]]],
        key: Callable[[Item], Hashable] | None = None,
        max_batch: int = MAX_BATCH,
    ) -> None:
        self._write = write
        self._key = key
        self._max_batch = max_batch
        self._waiting: list[_Call[Item, Result]] = []
        self._writer: asyncio.Task[None] | None = None

    async def submit(self, item: Item) -> Result:
        future: asyncio.Future[Result] = asyncio.get_running_loop().create_future()
        self._waiting.append(_Call(item, future))
        if self._writer is None or self._writer.done():
            # In a context of its own, not that of the caller who happened to start it: the
            # batch is written for every caller alike (each item carries what it needs of its own).
            self._writer = asyncio.create_task(self._write_while_waiting(), context=contextvars.Context())
        return await future

    async def _write_while_waiting(self) -> None:
        while self._waiting:
            batch = self._next_batch()
            try:
                outcomes = await self._write_or_each_alone([call.item for call in batch])
            except BaseException:  # cancelled: nobody is left to write what waits
                for call in [*batch, *self._waiting]:
                    call.future.cancel()
                raise
            for call, outcome in zip(batch, outcomes, strict=True):
                _settle(call.future, outcome)

    async def _write_or_each_alone(self, items: list[Item]) -> Sequence[Result | Exception]:
        try:
            return await self._write(items)
        except UNAVAILABLE as exc:  # fails every item alike: trying each alone would only wait longer
            return [exc] * len(items)
        except Exception as exc:
            if len(items) == 1:
                return [exc]
        return [(await self._write_or_each_alone([item]))[0] for item in items]

    def _next_batch(self) -> list[_Call[Item, Result]]:
        batch: list[_Call[Item, Result]] = []
        later: list[_Call[Item, Result]] = []
        keys: set[Hashable] = set()
        for call in self._waiting:
            key = None if self._key is None else self._key(call.item)
            if len(batch) == self._max_batch or (key is not None and key in keys):
                later.append(call)
                continue
            keys.add(key)
            batch.append(call)
        self._waiting = later
        return batch


def _settle(future: asyncio.Future[Result], outcome: Result | BaseException) -> None:
    if future.done():  # its caller was cancelled
        return
    if isinstance(outcome, BaseException):
        future.set_exception(outcome)
    else:
        future.set_result(outcome)


async def send_grouped(
    items: Sequence[Item],
    group: Callable[[Item], str],
    send: Callable[[str, list[Item]], Awaitable[Exception | None]],
) -> list[Exception | None]:
    """Sends each group of items together, the groups at once; each item gets its group's outcome:
    the reason its send failed, or None."""
    groups: defaultdict[str, list[int]] = defaultdict(list)
    for index, item in enumerate(items):
        groups[group(item)].append(index)
    sent = await asyncio.gather(*(send(key, [items[i] for i in indexes]) for key, indexes in groups.items()))
    outcomes: list[Exception | None] = [None] * len(items)
    for indexes, outcome in zip(groups.values(), sent, strict=True):
        for index in indexes:
            outcomes[index] = outcome
    return outcomes
