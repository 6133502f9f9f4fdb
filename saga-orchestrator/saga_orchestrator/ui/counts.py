"""The counts per status atop the saga list, counted at most once in a while: counting every saga
reads the whole status index (about 0.3 s at a million sagas), too slow for every page view."""

import asyncio
import time
from dataclasses import dataclass
from datetime import UTC, datetime

import asyncpg

from saga_orchestrator.persistence import saga_list

FRESH_SECONDS = 10.0


@dataclass(frozen=True)
class Counted:
    by_status: dict[str, int]
    at: datetime


class StatusCounts:
    """This replica's latest counts; requests that find them stale wait for one count together."""

    def __init__(self, fresh_seconds: float = FRESH_SECONDS) -> None:
        self._fresh_seconds = fresh_seconds
        self._lock = asyncio.Lock()
        self._counted: Counted | None = None
        self._expires = 0.0

    async def get(self, pool: asyncpg.Pool) -> Counted:
        async with self._lock:
            if self._counted is None or time.monotonic() >= self._expires:
                self._counted = Counted(await saga_list.counts(pool), datetime.now(UTC))
                self._expires = time.monotonic() + self._fresh_seconds
            return self._counted
