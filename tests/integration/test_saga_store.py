"""The orchestrator's saga store against real Postgres: writers racing on one saga, one wins."""

import asyncio
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from uuid import uuid4

import asyncpg
import pytest

from saga_orchestrator.engine.definition import RetryPolicy
from saga_orchestrator.engine.machine import Engine, ReplyArrived
from saga_orchestrator.engine.state import Decision
from saga_orchestrator.persistence import sagas
from saga_orchestrator.persistence.sagas import OutboxMessage
from saga_orchestrator.workflows.order import ORDER_WORKFLOW
from shared import database
from tests.infrastructure import Infrastructure

pytestmark = pytest.mark.integration

ENGINE = Engine(ORDER_WORKFLOW, RetryPolicy())
INPUT = {"orderId": "o-1", "productId": "p-1", "quantity": 1, "amount": 10.0}


@pytest.fixture
async def pool(infra: Infrastructure, run_id: str) -> AsyncIterator[asyncpg.Pool]:
    url = database.with_database(infra.postgres_url, f"{run_id}_saga_store")
    await database.prepare(url, ["saga_orchestrator"])
    opened = await database.open_pool(url, 12)
    yield opened
    await opened.close()
    admin = await asyncpg.connect(infra.postgres_url)
    await admin.execute(f'DROP DATABASE IF EXISTS "{run_id}_saga_store" WITH (FORCE)')
    await admin.close()


def _outbox(decision: Decision) -> list[OutboxMessage]:
    return [
        OutboxMessage(queue="q", message_id=uuid4(), body={"n": i}) for i in range(len(decision.dispatches))
    ]


async def test_writers_racing_on_one_version_let_exactly_one_through(pool: asyncpg.Pool) -> None:
    now = datetime.now(UTC)
    started = ENGINE.start(uuid4(), INPUT, now)
    assert await sagas.insert(pool, f"key-{uuid4()}", started, _outbox(started), now) is not None
    stored = await sagas.load(pool, started.saga.saga_id)
    assert stored is not None
    reply = ReplyArrived("createOrder", success=True, result={}, error=None)
    decision = ENGINE.on_reply(stored.saga, reply, now)
    assert decision is not None

    results = await asyncio.gather(
        *(sagas.update(pool, stored, decision, _outbox(decision), now) for _ in range(10))
    )

    assert sum(result is not None for result in results) == 1
    saga_id = started.saga.saga_id
    history = await pool.fetchval("SELECT count(*) FROM saga_events WHERE saga_id = $1", saga_id)
    assert history == len(started.records) + len(decision.records)
    outbox = await pool.fetchval("SELECT count(*) FROM outbox WHERE body ? 'n'")
    assert outbox == len(started.dispatches) + len(decision.dispatches)


async def test_a_second_saga_under_the_same_key_is_not_stored(pool: asyncpg.Pool) -> None:
    now, key = datetime.now(UTC), f"key-{uuid4()}"
    first, second = ENGINE.start(uuid4(), INPUT, now), ENGINE.start(uuid4(), INPUT, now)

    results = await asyncio.gather(
        sagas.insert(pool, key, first, _outbox(first), now),
        sagas.insert(pool, key, second, _outbox(second), now),
    )

    assert sorted(result is None for result in results) == [False, True]
    assert await pool.fetchval("SELECT count(*) FROM sagas WHERE saga_key = $1", key) == 1
