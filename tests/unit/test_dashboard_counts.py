"""The list's counts per status are counted once while fresh, however many pages ask at once."""

import asyncio
from typing import Any

import pytest

from saga_orchestrator.ui.counts import StatusCounts

pytestmark = pytest.mark.unit


class CountingPool:
    def __init__(self) -> None:
        self.queries = 0

    async def fetch(self, sql: str, *args: Any) -> list[dict[str, Any]]:
        self.queries += 1
        await asyncio.sleep(0)  # lets the other requests arrive while this one counts
        return [{"status": "COMPLETED", "n": self.queries}]


async def test_pages_asking_together_share_one_count_while_it_is_fresh() -> None:
    pool, counts = CountingPool(), StatusCounts(fresh_seconds=3600)
    answers = await asyncio.gather(*(counts.get(pool) for _ in range(5)))
    assert pool.queries == 1 and {a.by_status["COMPLETED"] for a in answers} == {1}


async def test_a_stale_count_is_counted_again() -> None:
    pool, counts = CountingPool(), StatusCounts(fresh_seconds=0)
    await counts.get(pool)
    assert (await counts.get(pool)).by_status == {"COMPLETED": 2}
