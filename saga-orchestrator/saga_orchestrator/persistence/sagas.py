"""Writing sagas: every decision is one statement that changes the saga, appends its history and
queues its commands in the outbox, so a crash keeps all three or none.

Concurrent writers (replicas, a reply racing a deadline) are kept apart by an optimistic version
check: the write names the version it read, and only one writer of a version succeeds.
"""

from dataclasses import dataclass
from datetime import datetime
from typing import Any
from uuid import UUID

import asyncpg

from saga_orchestrator.engine.state import Awaiting, Decision, Phase, Saga

RECORDS_AND_OUTBOX = """
history AS (
    INSERT INTO saga_events
        (saga_id, seq, at, type, state, step, service, command, attempt, success, result, error)
    SELECT saga.saga_id, r.seq, $3::timestamptz, r.type, r.state, r.step, r.service, r.command,
           r.attempt, r.success, r.result, r.error
    FROM saga, jsonb_to_recordset($1::jsonb) AS r(
        seq int, type text, state text, step text, service text, command text,
        attempt int, success boolean, result jsonb, error text)
),
sent AS (
    INSERT INTO outbox (queue, message_id, body)
    SELECT o.queue, o.message_id, o.body
    FROM saga, jsonb_to_recordset($2::jsonb) AS o(queue text, message_id uuid, body jsonb)
    RETURNING id
)"""

RESULT = """
SELECT (SELECT count(*) FROM saga) AS written, ARRAY(SELECT id FROM sent ORDER BY id) AS outbox_ids
"""

# Tells every replica's listeners, by key, that a saga finished or parked; delivered on commit.
SETTLED_CHANNEL = "saga_settled"

INSERT = (
    """
WITH saga AS (
    INSERT INTO sagas (saga_id, saga_key, workflow, input, status, phase, progress, step, attempt,
                       awaiting, wake_at, version, created_at, updated_at)
    VALUES ($4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $3, $3)
    ON CONFLICT (saga_key) DO NOTHING
    RETURNING saga_id
),"""
    + RECORDS_AND_OUTBOX
    + RESULT
)

UPDATE = (
    """
WITH saga AS (
    UPDATE sagas SET status = $6, phase = $7, progress = $8, step = $9, attempt = $10,
        awaiting = $11, wake_at = $12, outcome = $13, failed_step = $14, error = $15,
        last_error = $16, version = $5, updated_at = $3,
        finished_at = CASE WHEN $7 = 'DONE' THEN $3::timestamptz END
    WHERE saga_id = $4 AND version = $17
    RETURNING saga_id, saga_key
),"""
    + RECORDS_AND_OUTBOX
    + f""",
settled AS (
    SELECT pg_notify('{SETTLED_CHANNEL}', saga.saga_key) FROM saga WHERE $7 IN ('DONE', 'PARKED')
)"""
    + RESULT.replace("AS outbox_ids", "AS outbox_ids, (SELECT count(*) FROM settled) AS settled")
)

SELECT = """
SELECT saga_id, workflow, input, phase, progress, step, attempt, awaiting, wake_at, outcome,
       failed_step, error, last_error, version
FROM sagas
"""


@dataclass(frozen=True)
class StoredSaga:
    saga: Saga
    version: int  # the number of history records, which every decision adds to


@dataclass(frozen=True)
class OutboxMessage:
    queue: str
    message_id: UUID
    body: dict[str, Any]


# vars(), not dataclasses.asdict(): no deep copy on the hot path; orjson encodes what is inside.
def _records(decision: Decision, version: int) -> list[dict[str, Any]]:
    return [{**vars(record), "seq": version + i + 1} for i, record in enumerate(decision.records)]


def _outbox(messages: list[OutboxMessage]) -> list[dict[str, Any]]:
    return [vars(message) for message in messages]


async def insert(
    pool: asyncpg.Pool, key: str, decision: Decision, outbox: list[OutboxMessage], now: datetime
) -> list[int] | None:
    """Stores a new saga; None if its key is taken."""
    saga = decision.saga
    row = await pool.fetchrow(
        INSERT,
        _records(decision, 0),
        _outbox(outbox),
        now,
        saga.saga_id,
        key,
        saga.workflow,
        saga.input,
        saga.status,
        saga.phase.value,
        saga.progress,
        saga.step,
        saga.attempt,
        saga.awaiting.value,
        saga.wake_at,
        len(decision.records),
    )
    return list(row["outbox_ids"]) if row["written"] else None


async def update(
    pool: asyncpg.Pool,
    stored: StoredSaga,
    decision: Decision,
    outbox: list[OutboxMessage],
    now: datetime,
) -> list[int] | None:
    """Stores a decision taken on `stored`; None if another writer changed the saga meanwhile."""
    saga = decision.saga
    row = await pool.fetchrow(
        UPDATE,
        _records(decision, stored.version),
        _outbox(outbox),
        now,
        saga.saga_id,
        stored.version + len(decision.records),
        saga.status,
        saga.phase.value,
        saga.progress,
        saga.step,
        saga.attempt,
        saga.awaiting.value,
        saga.wake_at,
        saga.outcome,
        saga.failed_step,
        saga.error,
        saga.last_error,
        stored.version,
    )
    return list(row["outbox_ids"]) if row["written"] else None


async def load(pool: asyncpg.Pool, saga_id: UUID) -> StoredSaga | None:
    row = await pool.fetchrow(SELECT + "WHERE saga_id = $1", saga_id)
    return None if row is None else _stored(row)


async def due(pool: asyncpg.Pool, limit: int) -> list[StoredSaga]:
    """Sagas whose deadline or retry time has come."""
    rows = await pool.fetch(SELECT + "WHERE wake_at <= now() ORDER BY wake_at LIMIT $1", limit)
    return [_stored(row) for row in rows]


def _stored(row: asyncpg.Record) -> StoredSaga:
    saga = Saga(
        saga_id=row["saga_id"],
        workflow=row["workflow"],
        input=row["input"],
        phase=Phase(row["phase"]),
        progress=row["progress"],
        step=row["step"],
        attempt=row["attempt"],
        awaiting=Awaiting(row["awaiting"]),
        wake_at=row["wake_at"],
        outcome=row["outcome"],
        failed_step=row["failed_step"],
        error=row["error"],
        last_error=row["last_error"],
    )
    return StoredSaga(saga, row["version"])
