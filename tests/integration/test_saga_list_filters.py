"""The saga list's filters read through their indexes, not the whole table: a workflow's sagas, and
the running sagas that are stuck, among many finished ones."""

from collections.abc import AsyncIterator

import asyncpg
import pytest

from saga_orchestrator.persistence import queries
from tests.infrastructure import Infrastructure
from tests.integration.orchestrator_database import orchestrator_database

pytestmark = pytest.mark.integration

FINISHED, RUNNING = 20_000, 20

# Many finished sagas of the order workflow, a few running ones of another, updated an hour ago.
FILL = """
INSERT INTO sagas (saga_id, workflow, saga_key, input, status, phase, progress, version, created_at,
                   updated_at)
SELECT gen_random_uuid(), CASE WHEN n <= $2 THEN 'other' ELSE 'order' END, 'key-' || n, '{}',
       'S', CASE WHEN n <= $2 THEN 'FORWARD' ELSE 'DONE' END, 'S', 1,
       now() - make_interval(secs => n), now() - interval '1 hour'
FROM generate_series(1, $1) AS n
"""


@pytest.fixture(scope="module")
async def filled(infra: Infrastructure, run_id: str) -> AsyncIterator[asyncpg.Pool]:
    async with orchestrator_database(infra.postgres_url, f"{run_id}_saga_list", 2) as pool:
        await pool.execute(FILL, FINISHED + RUNNING, RUNNING)
        await pool.execute("ANALYZE sagas")
        yield pool


async def _plan(pool: asyncpg.Pool, sql: str, args: list[object]) -> str:
    rows = await pool.fetch("EXPLAIN " + sql, *args)
    return "\n".join(row[0] for row in rows)


@pytest.mark.parametrize(
    ("filters", "index"),
    [
        ({"workflow": "other"}, "sagas_workflow_created_at"),
        ({"stuck_seconds": 60.0}, "sagas_running_updated_at"),
    ],
)
async def test_a_filter_reads_its_index(filled: asyncpg.Pool, filters: dict[str, object], index: str) -> None:
    sql, args = queries.newest_query(None, 50, **filters)  # type: ignore[arg-type]

    assert index in await _plan(filled, sql, args)
    assert len(await filled.fetch(sql, *args)) == RUNNING


async def test_a_saga_updated_since_is_not_stuck(filled: asyncpg.Pool) -> None:
    sql, args = queries.newest_query(None, 50, stuck_seconds=7200.0)
    assert await filled.fetch(sql, *args) == []
