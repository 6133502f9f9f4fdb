"""The upgrade to step rows carries each open saga's cursor into the row of the step it was at, so
that it goes on where it was; the downgrade folds the rows back into the cursor."""

from collections.abc import AsyncIterator

import asyncpg
import pytest
from alembic import command
from sqlalchemy import Connection, make_url
from sqlalchemy.ext.asyncio import create_async_engine
from sqlalchemy.pool import NullPool

from shared.database import with_database
from shared.migrations import config
from tests.infrastructure import Infrastructure
from tests.polling import random_ref

pytestmark = pytest.mark.integration

BEFORE = "0006"  # the last revision with the cursor on the saga's row

# Sagas as the cursor left them: waiting for a reply, for a retry, parked, and finished.
CURSORS = """
INSERT INTO sagas (saga_id, workflow, saga_key, input, status, phase, progress, step, attempt,
                   awaiting, wake_at, last_error, version, created_at, updated_at)
VALUES ('00000000-0000-0000-0000-000000000001', 'order', 'reply', '{}', 'ORDER_CREATED', 'FORWARD',
        'ORDER_CREATED', 1, 1, 'REPLY', '2030-01-01 00:00:05+00', NULL, 4, now(), now()),
       ('00000000-0000-0000-0000-000000000002', 'order', 'retry', '{}', 'STARTED', 'COMPENSATING',
        'STARTED', 0, 2, 'RETRY', '2030-01-01 00:00:06+00', 'store down', 5, now(), now()),
       ('00000000-0000-0000-0000-000000000003', 'order', 'parked', '{}', 'COMPENSATION_FAILED', 'PARKED',
        'STARTED', 2, 3, 'NOTHING', NULL, 'store down', 9, now(), now()),
       ('00000000-0000-0000-0000-000000000004', 'order', 'done', '{}', 'COMPLETED', 'DONE',
        'SHIPPED', 3, 1, 'NOTHING', NULL, NULL, 12, now(), now())
"""
STEPS = (
    "SELECT saga_key, s.step, s.kind, s.attempt, s.status, s.deadline::text, s.error"
    " FROM saga_steps s JOIN sagas USING (saga_id)"
)
CURSOR = "SELECT saga_key, step, attempt, awaiting, wake_at::text, last_error FROM sagas"


@pytest.fixture
async def database(infra: Infrastructure, run_id: str) -> AsyncIterator[str]:
    name = f"{run_id}_{random_ref('steps').replace('-', '')}"
    admin = await asyncpg.connect(infra.postgres_url)
    try:
        await admin.execute(f'CREATE DATABASE "{name}"')
        yield with_database(infra.postgres_url, name)
    finally:
        await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        await admin.close()


async def _migrate(url: str, revision: str, *, down: bool = False) -> None:
    engine = create_async_engine(make_url(url).set(drivername="postgresql+asyncpg"), poolclass=NullPool)
    try:
        async with engine.begin() as connection:
            await connection.run_sync(_run, revision, down)
    finally:
        await engine.dispose()


def _run(connection: Connection, revision: str, down: bool) -> None:
    alembic = config("saga_orchestrator", connection)
    (command.downgrade if down else command.upgrade)(alembic, revision)


async def _fetch(url: str, sql: str) -> list[tuple[object, ...]]:
    conn = await asyncpg.connect(url)
    try:
        await conn.execute("SET TIME ZONE 'UTC'")
        return [tuple(row) for row in await conn.fetch(sql + " ORDER BY saga_key")]
    finally:
        await conn.close()


async def test_the_open_sagas_cursors_become_their_steps_rows_and_back(database: str) -> None:
    await _migrate(database, BEFORE)
    conn = await asyncpg.connect(database)
    await conn.execute(CURSORS)
    await conn.close()
    cursors = await _fetch(database, CURSOR)

    await _migrate(database, "head")

    assert await _fetch(database, STEPS) == [
        ("parked", 2, "COMPENSATION", 3, "PARKED", None, "store down"),
        ("reply", 1, "FORWARD", 1, "RUNNING", "2030-01-01 00:00:05+00", None),
        ("retry", 0, "COMPENSATION", 2, "RETRYING", "2030-01-01 00:00:06+00", "store down"),
    ]

    await _migrate(database, BEFORE, down=True)

    # A finished saga's cursor is not kept: only where it waits matters.
    done = ("done", 0, 0, "NOTHING", None, None)
    assert await _fetch(database, CURSOR) == [done if row[0] == "done" else row for row in cursors]
