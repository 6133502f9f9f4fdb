"""Waiting for a saga to settle (finish, or park for an operator), woken by any replica's commit.

The writer's statement sends a Postgres notification on commit, naming the saga's workflow and key and the
status it settled in; each replica listens on one connection and wakes its local waiters, so a
request waits on any replica, for any saga.
"""

import asyncio
from collections import defaultdict
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager, suppress
from dataclasses import dataclass, field

import asyncpg

from saga_orchestrator.persistence.sagas import SETTLED_CHANNEL
from shared import json


@dataclass(eq=False)  # each waiter its own, kept in a set
class Settlement:
    """Set once the saga settles, with the status it settled in when the notification told it."""

    event: asyncio.Event = field(default_factory=asyncio.Event)
    status: str | None = None

    async def wait(self, seconds: float) -> None:
        """Until the saga settles, or `seconds` pass."""
        with suppress(TimeoutError):
            await asyncio.wait_for(self.event.wait(), seconds)


class TooManyWaiters(Exception):
    """As many requests wait as the replica allows; one more would tie up a connection for long."""


class SettledWaiters:
    def __init__(self, database_url: str, max_waiters: int) -> None:
        self._url = database_url
        self._max_waiters = max_waiters
        self._count = 0
        self._listener: asyncpg.Connection | None = None
        self._waiters: defaultdict[tuple[str, str], set[Settlement]] = defaultdict(set)  # by (workflow, key)

    async def keep_listening(self) -> None:
        """(Re)connects the listener; called periodically, so a database restart heals."""
        if self._listener is not None and not self._listener.is_closed():
            return
        self._listener = await asyncpg.connect(self._url)
        await self._listener.add_listener(SETTLED_CHANNEL, self._on_settled)
        # Sagas that settled while nobody listened would otherwise keep their waiters asleep;
        # woken without a status, they read the saga to find out.
        for settlements in self._waiters.values():
            for settlement in settlements:
                settlement.event.set()

    async def close(self) -> None:
        if self._listener is not None:
            await self._listener.close()

    @asynccontextmanager
    async def watching(self, workflow: str, key: str) -> AsyncIterator[Settlement]:
        """Set when the saga settles; register before reading, so no settle is missed.

        TooManyWaiters if `max_waiters` wait already.
        """
        if self._count >= self._max_waiters:
            raise TooManyWaiters
        settlement = Settlement()
        saga = (workflow, key)
        self._waiters[saga].add(settlement)
        self._count += 1
        try:
            yield settlement
        finally:
            self._count -= 1
            self._waiters[saga].discard(settlement)
            if not self._waiters[saga]:
                del self._waiters[saga]

    def _on_settled(self, conn: object, pid: int, channel: str, payload: str) -> None:
        notice = json.loads(payload)
        for settlement in self._waiters.get((notice["workflow"], notice["key"]), ()):
            settlement.status = notice["status"]
            settlement.event.set()
