"""The dashboard's saga list: each filter reads its index among many sagas, and keyset paging walks
the list without a gap or a repeat however many share a start time."""

from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta

import asyncpg
import pytest

from saga_orchestrator.persistence import saga_list
from saga_orchestrator.persistence.saga_list import Filters
from tests.infrastructure import Infrastructure
from tests.integration.orchestrator_database import orchestrator_database

pytestmark = pytest.mark.integration

SAGAS = 20_000
T0 = datetime(2026, 1, 1, tzinfo=UTC)

# Every tenth saga is running (FORWARD); every second pair shares its start time with the next.
FILL = """
INSERT INTO sagas (saga_id, workflow, saga_key, input, status, phase, progress, version, created_at,
                   updated_at, finished_at)
SELECT gen_random_uuid(), 'order', 'key-' || lpad(n::text, 6, '0'), '{}',
       CASE WHEN n % 10 = 0 THEN 'ORDER_CREATED' ELSE 'COMPLETED' END,
       CASE WHEN n % 10 = 0 THEN 'FORWARD' ELSE 'DONE' END, 'S', 1,
       $2::timestamptz + make_interval(secs => n / 2), $2::timestamptz + make_interval(secs => n / 2),
       CASE WHEN n % 10 = 0 THEN NULL ELSE $2::timestamptz + make_interval(secs => n / 2 + 1) END
FROM generate_series(1, $1) AS n
"""


@pytest.fixture(scope="module")
async def filled(infra: Infrastructure, run_id: str) -> AsyncIterator[asyncpg.Pool]:
    async with orchestrator_database(infra.postgres_url, f"{run_id}_dashboard_list", 2) as pool:
        await pool.execute(FILL, SAGAS, T0)
        await pool.execute("ANALYZE sagas")
        yield pool


async def _plan(pool: asyncpg.Pool, filters: Filters) -> str:
    sql, args = saga_list.page_query(filters, 51)
    rows = await pool.fetch("EXPLAIN " + sql, *args)
    return "\n".join(row[0] for row in rows)


@pytest.mark.parametrize(
    ("filters", "index"),
    [
        (Filters(), "sagas_created_at"),
        (Filters(status="ORDER_CREATED"), "sagas_status_created_at"),
        (Filters(phase="FORWARD"), "sagas_phase_created_at"),
        (Filters(key="key-0123"), "sagas_saga_key_prefix"),
        (Filters(since=T0 + timedelta(hours=2)), "sagas_created_at"),
    ],
)
async def test_a_filter_reads_its_index(filled: asyncpg.Pool, filters: Filters, index: str) -> None:
    assert index in await _plan(filled, filters)


async def test_filters_select_what_they_name(filled: asyncpg.Pool) -> None:
    running, _ = await saga_list.page(filled, Filters(phase="FORWARD"), 5000)
    assert len(running) == SAGAS // 10 and {row["phase"] for row in running} == {"FORWARD"}
    keyed, _ = await saga_list.page(filled, Filters(key="key-00012"), 1000)
    assert sorted(row["saga_key"] for row in keyed) == [f"key-00012{d}" for d in range(10)]
    assert (await saga_list.page(filled, Filters(key="key-0001_"), 10))[0] == [], "_ is no wildcard"
    window = Filters(since=T0 + timedelta(seconds=10), until=T0 + timedelta(seconds=20))
    assert len((await saga_list.page(filled, window, 1000))[0]) == 20
    stuck = Filters(stuck_seconds=60.0, workflow="order")
    assert len((await saga_list.page(filled, stuck, 5000))[0]) == SAGAS // 10


async def test_keyset_pages_walk_the_whole_list_once(filled: asyncpg.Pool) -> None:
    filters, seen, cursor = Filters(since=T0 + timedelta(hours=2)), [], None
    while True:
        rows, cursor = await saga_list.page(filled, filters, 333, cursor)
        seen += [row["saga_id"] for row in rows]
        if cursor is None:
            break
    expected = await filled.fetch(
        "SELECT saga_id FROM sagas WHERE created_at >= $1 ORDER BY created_at DESC, saga_id DESC",
        T0 + timedelta(hours=2),
    )
    assert seen == [row["saga_id"] for row in expected] and len(seen) > 333 * 3


async def test_counts_and_the_last_minutes(filled: asyncpg.Pool) -> None:
    assert await saga_list.counts(filled) == {"COMPLETED": SAGAS * 9 // 10, "ORDER_CREATED": SAGAS // 10}
    recent = await saga_list.recent(filled, 15)  # the sagas here all started in 2026's first hours
    assert (recent.starts, recent.outcomes, recent.p50_seconds) == ({}, {}, None)


async def test_the_last_minutes_count_a_parked_saga_in_the_minute_it_parked(filled: asyncpg.Pool) -> None:
    parked = await filled.fetch(
        "INSERT INTO sagas (saga_id, workflow, saga_key, input, status, phase, progress, version,"
        " created_at, updated_at)"
        " SELECT gen_random_uuid(), 'order', 'parked-' || s, '{}', s, 'PARKED', 'S', 1, now(), now()"
        " FROM unnest($1::text[]) AS s RETURNING saga_id, date_trunc('minute', updated_at) AS minute",
        ["COMPENSATION_FAILED", "COMPLETION_FAILED"],
    )
    try:
        recent = await saga_list.recent(filled, 15)
    finally:
        await filled.execute(
            "DELETE FROM sagas WHERE saga_id = ANY($1::uuid[])", [r["saga_id"] for r in parked]
        )

    minute = parked[0]["minute"]
    assert recent.outcomes == {(minute, "COMPENSATION_FAILED"): 1, (minute, "COMPLETION_FAILED"): 1}
