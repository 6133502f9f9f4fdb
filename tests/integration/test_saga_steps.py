"""The saga's step executions against real Postgres: written with the saga in one statement, only
when the saga's own row is, read back as the engine left them, and found by their deadlines."""

from collections.abc import AsyncIterator
from datetime import UTC, datetime
from uuid import UUID, uuid4

import asyncpg
import pytest

from saga_orchestrator.engine.definition import RetryPolicy
from saga_orchestrator.engine.machine import Engine, ReplyArrived
from saga_orchestrator.engine.state import Decision
from saga_orchestrator.persistence import sagas
from saga_orchestrator.persistence.sagas import Change, NewSaga, StoredSaga
from saga_orchestrator.workflows import WORKFLOWS
from tests.infrastructure import Infrastructure
from tests.integration.orchestrator_database import orchestrator_database

pytestmark = pytest.mark.integration

ENGINE = Engine(WORKFLOWS["order"], RetryPolicy())
INPUT = {"orderId": "o-1", "productId": "p-1", "quantity": 1, "amount": 10.0}
ROWS = "SELECT step, kind, attempt, status, deadline, result, error, finished_at IS NOT NULL AS finished"


@pytest.fixture
async def pool(infra: Infrastructure, run_id: str) -> AsyncIterator[asyncpg.Pool]:
    """The orchestrator's database, reached as its runtime role, as the orchestrator does."""
    async with orchestrator_database(infra.postgres_url, f"{run_id}_saga_steps", 2) as opened:
        yield opened


async def _started(pool: asyncpg.Pool, now: datetime) -> StoredSaga:
    started = ENGINE.start(uuid4(), INPUT, now)
    assert await sagas.insert(pool, [NewSaga(f"key-{uuid4()}", started, [], now)]) != [None]
    stored = (await sagas.load_many(pool, [started.saga.saga_id]))[0]
    assert stored is not None
    return stored


def _replied(stored: StoredSaga, now: datetime) -> Decision:
    reply = ReplyArrived("createOrder", success=True, result={"orderStatus": "CREATED"}, error=None)
    decision = ENGINE.on_reply(stored.saga, reply, now)
    assert decision is not None
    return decision


async def _rows(pool: asyncpg.Pool, saga_id: UUID) -> list[tuple[object, ...]]:
    rows = await pool.fetch(ROWS + " FROM saga_steps WHERE saga_id = $1 ORDER BY step, kind", saga_id)
    return [tuple(row) for row in rows]


async def test_a_decision_ends_one_step_and_starts_the_next_and_reads_back_as_decided(
    pool: asyncpg.Pool,
) -> None:
    now = datetime.now(UTC)
    stored = await _started(pool, now)
    decision = _replied(stored, now)

    assert await sagas.update(pool, [Change(stored, decision, [], now)]) == [[]]

    deadline = decision.dispatches[0].deadline
    assert await _rows(pool, stored.saga.saga_id) == [
        (0, "FORWARD", 1, "SUCCEEDED", None, {"orderStatus": "CREATED"}, None, True),
        (1, "FORWARD", 1, "RUNNING", deadline, None, None, False),
    ]
    reread = (await sagas.load_many(pool, [stored.saga.saga_id]))[0]
    assert reread is not None and reread.saga == decision.saga


async def test_a_write_refused_for_its_version_leaves_the_steps_as_they_were(pool: asyncpg.Pool) -> None:
    now = datetime.now(UTC)
    stored = await _started(pool, now)
    before = await _rows(pool, stored.saga.saga_id)
    decision = _replied(stored, now)
    stale = StoredSaga(stored.saga, stored.version - 1)

    assert await sagas.update(pool, [Change(stale, decision, [], now)]) == [None]

    assert await _rows(pool, stored.saga.saga_id) == before


async def test_the_deadline_scan_finds_the_due_step_through_its_index(pool: asyncpg.Pool) -> None:
    now = datetime.now(UTC)
    due, waiting = await _started(pool, now), await _started(pool, now)
    await pool.execute(
        "UPDATE saga_steps SET deadline = CASE WHEN saga_id = $1 THEN now() - interval '1 second'"
        " ELSE now() + interval '1 hour' END WHERE saga_id = ANY($2::uuid[])",
        due.saga.saga_id,
        [due.saga.saga_id, waiting.saga.saga_id],
    )
    # Many steps long finished, which hold no deadline: the index leaves them out.
    await pool.execute(
        "INSERT INTO sagas (saga_id, workflow, saga_key, input, status, phase, progress, version,"
        " created_at, updated_at) SELECT gen_random_uuid(), 'old', 'k-' || n, '{}', 'COMPLETED', 'DONE',"
        " 'SHIPPED', 1, now(), now() FROM generate_series(1, 20000) AS n"
    )
    await pool.execute(
        "INSERT INTO saga_steps (saga_id, step, kind, attempt, status, started_at, finished_at)"
        " SELECT saga_id, 0, 'FORWARD', 1, 'SUCCEEDED', now(), now() FROM sagas WHERE workflow = 'old'"
    )
    await pool.execute("ANALYZE saga_steps")

    found = await sagas.due(pool, 10)

    assert [s.saga.saga_id for s in found] == [due.saga.saga_id]
    plan = "\n".join(row[0] for row in await pool.fetch("EXPLAIN " + sagas.SELECT + sagas.DUE, 10))
    assert "saga_steps_deadline" in plan
