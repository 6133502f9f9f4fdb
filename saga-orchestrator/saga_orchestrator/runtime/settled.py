"""Waiting for a saga to settle (finish, or park for an operator), woken by any replica's commit.

The writer's statement sends a Postgres notification on commit; each replica listens on one
connection and wakes its local waiters, so a request waits on any replica, for any saga.
"""

import asyncio
from collections import defaultdict
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import asyncpg

from saga_orchestrator.persistence.sagas import SETTLED_CHANNEL


class SettledWaiters:
    def __init__(self, database_url: str) -> None:
        self._url = database_url
        self._listener: asyncpg.Connection | None = None
        self._waiters: defaultdict[str, set[asyncio.Event]] = defaultdict(set)  # by saga key

    async def keep_listening(self) -> None:
        """(Re)connects the listener; called periodically, so a database restart heals."""
        if self._listener is not None and not self._listener.is_closed():
            return
        self._listener = await asyncpg.connect(self._url)
        await self._listener.add_listener(SETTLED_CHANNEL, self._on_settled)
        # Sagas that settled while nobody listened would otherwise keep their waiters asleep.
        for events in self._waiters.values():
            for event in events:
                event.set()

    async def close(self) -> None:
        if self._listener is not None:
            await self._listener.close()

    @asynccontextmanager
    async def watching(self, key: str) -> AsyncIterator[asyncio.Event]:
        """An event set when the saga settles; register before reading, so no settle is missed."""
        event = asyncio.Event()
        self._waiters[key].add(event)
        try:
            yield event
        finally:
            self._waiters[key].discard(event)
            if not self._waiters[key]:
                del self._waiters[key]

    def _on_settled(self, conn: object, pid: int, channel: str, key: str) -> None:
        for event in self._waiters.get(key, ()):
            event.set()
