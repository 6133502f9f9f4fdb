"""Writing sagas: a decision is stored by one statement that changes the saga and its steps' runs,
appends its history and queues its commands in the outbox, so a crash keeps all or none. One
statement stores a whole batch of decisions, each for its own saga, and each kept or refused on its
own.

Concurrent writers (replicas, a reply racing a deadline) are kept apart by an optimistic version
check: the write names the version it read, and only one writer of a version succeeds.
"""

from dataclasses import dataclass
from datetime import datetime
from typing import Any
from uuid import UUID

import asyncpg

from saga_orchestrator.engine.state import Decision, Phase, Saga
from saga_orchestrator.persistence import steps
from saga_orchestrator.schema import outbox, saga_events, sagas
from shared.schema import names, typed

# The history records and outbox rows of a saga go in only if its own row was written. A history
# record has every column of saga_events, and the recordsets take the tables' own column types.
_EVENTS = names(saga_events)
_SENT = f"{typed(sagas, 'saga_id')}, {typed(outbox, 'queue', 'message_id', 'body')}"
RECORDS_AND_OUTBOX = (
    f"""
history AS (
    INSERT INTO saga_events ({", ".join(_EVENTS)})
    SELECT {", ".join(f"r.{name}" for name in _EVENTS)}
    FROM jsonb_to_recordset($2::jsonb) AS r({typed(saga_events)})
    WHERE r.saga_id IN (SELECT saga_id FROM saga)
),
sent AS (
    INSERT INTO outbox (queue, message_id, body)
    SELECT o.queue, o.message_id, o.body
    FROM jsonb_to_recordset($3::jsonb) AS o({_SENT})
    WHERE o.saga_id IN (SELECT saga_id FROM saga)
    RETURNING id, message_id
),"""
    + steps.WRITE
)

RESULT = """
SELECT ARRAY(SELECT saga_id FROM saga) AS written,
       ARRAY(SELECT id FROM sent ORDER BY id) AS outbox_ids,
       ARRAY(SELECT message_id FROM sent ORDER BY id) AS message_ids
"""

# Tells every replica's listeners that a saga finished or parked, by workflow and key and with the
# status it settled in; delivered on commit.
SETTLED_CHANNEL = "saga_settled"

# What a new saga's row and a decision's change bring, typed as the table's columns.
_STATE = ("saga_id", "status", "phase", "progress")
_NEW = typed(
    sagas, *_STATE, "saga_key", "workflow", "workflow_version", "input", "version", "owner", "traceparent"
)
_CHANGED = typed(sagas, *_STATE, "outcome", "failed_step", "error", "version")

INSERT = (
    f"""
WITH saga AS (
    INSERT INTO sagas (saga_id, saga_key, workflow, workflow_version, input, status, phase, progress,
                       version, created_at, updated_at, owner, traceparent)
    SELECT n.saga_id, n.saga_key, n.workflow, n.workflow_version, n.input, n.status, n.phase,
           n.progress, n.version, n.at, n.at, n.owner, n.traceparent
    FROM jsonb_to_recordset($1::jsonb) AS n({_NEW}, at timestamptz)
    ON CONFLICT (workflow, saga_key) DO NOTHING
    RETURNING saga_id
),"""
    + RECORDS_AND_OUTBOX
    + RESULT
)

UPDATE = (
    f"""
WITH saga AS (
    UPDATE sagas SET status = c.status, phase = c.phase, progress = c.progress, outcome = c.outcome,
        failed_step = c.failed_step, error = c.error, version = c.version, updated_at = c.at,
        finished_at = CASE WHEN c.phase = 'DONE' THEN c.at END
    FROM jsonb_to_recordset($1::jsonb) AS c({_CHANGED}, expected int, at timestamptz)
    WHERE sagas.saga_id = ANY($5::uuid[]) AND sagas.saga_id = c.saga_id AND sagas.version = c.expected
    RETURNING sagas.saga_id, sagas.workflow, sagas.saga_key, sagas.phase, sagas.status
),"""
    + RECORDS_AND_OUTBOX
    + f""",
settled AS (
    SELECT pg_notify(
        '{SETTLED_CHANNEL}',
        json_build_object('workflow', workflow, 'key', saga_key, 'status', status)::text
    )
    FROM saga WHERE phase IN ('DONE', 'PARKED')
)"""
    + RESULT.replace("AS message_ids", "AS message_ids, (SELECT count(*) FROM settled) AS settled")
)

SELECT = f"""
SELECT saga_id, workflow, workflow_version, input, phase, progress, outcome, failed_step, error,
       version, created_at, traceparent,{steps.READ}
FROM sagas
"""

# Through the index on the steps' deadlines: the sagas with a step whose deadline or retry time came.
DUE = """WHERE saga_id IN (
    SELECT saga_id FROM saga_steps WHERE deadline <= now() ORDER BY deadline LIMIT $1
)
"""


@dataclass(frozen=True)
class StoredSaga:
    saga: Saga
    version: int  # the number of history records, which every decision adds to
    started_at: datetime | None = None  # when the saga was created, for its duration
    trace: str | None = None  # the traceparent it was started in, as read from the database


@dataclass(frozen=True)
class OutboxMessage:
    queue: str
    message_id: UUID
    body: dict[str, Any]


@dataclass(frozen=True)
class NewSaga:
    key: str  # unique within the workflow: a second saga under a taken key is not written
    decision: Decision
    outbox: list[OutboxMessage]
    at: datetime
    owner: str | None = None  # the caller who started it: of the clients, only it may see the saga
    trace: str | None = None  # the traceparent of the request that started it, when tracing is on


@dataclass(frozen=True)
class Change:
    stored: StoredSaga  # what the decision was taken on: written only if still current
    decision: Decision
    outbox: list[OutboxMessage]
    at: datetime


# The outbox ids of each written saga's commands, or None where the saga was not written.
Written = list[list[int] | None]


async def insert(pool: asyncpg.Pool, new: list[NewSaga], replica: str | None = None) -> Written:
    """Stores new sagas, their history written by `replica`; None for each whose key is taken."""
    sagas = [
        {
            **_state(n.decision.saga),
            "saga_key": n.key,
            "workflow": n.decision.saga.workflow,
            "workflow_version": n.decision.saga.workflow_version,
            "input": n.decision.saga.input,
            "version": len(n.decision.records),
            "at": n.at,
            "owner": n.owner,
            "traceparent": n.trace,
        }
        for n in new
    ]
    return _written(await pool.fetchrow(INSERT, sagas, *_records_and_outbox(new, replica)), new)


async def update(pool: asyncpg.Pool, changes: list[Change], replica: str | None = None) -> Written:
    """Stores decisions, their history written by `replica`; None for each whose saga another writer
    changed meanwhile."""
    sagas = [
        {
            **_state(c.decision.saga),
            "expected": c.stored.version,
            "version": c.stored.version + len(c.decision.records),
            "at": c.at,
        }
        for c in changes
    ]
    # The ids again, as an array: joined to the recordset alone, the generic plan scans the table.
    ids = [c.decision.saga.saga_id for c in changes]
    return _written(await pool.fetchrow(UPDATE, sagas, *_records_and_outbox(changes, replica), ids), changes)


def _state(saga: Saga) -> dict[str, Any]:
    return {
        "saga_id": saga.saga_id,
        "status": saga.status,
        "phase": saga.phase,
        "progress": saga.progress,
        "outcome": saga.outcome,
        "failed_step": saga.failed_step,
        "error": saga.error,
    }


def _records_and_outbox(
    writes: list[NewSaga] | list[Change], replica: str | None
) -> tuple[list[dict[str, Any]], list[dict[str, Any]], list[dict[str, Any]]]:
    # vars(), not dataclasses.asdict(): no deep copy on the hot path; orjson encodes what is inside.
    records: list[dict[str, Any]] = []
    outbox: list[dict[str, Any]] = []
    runs: list[dict[str, Any]] = []
    for write in writes:
        saga_id = write.decision.saga.saga_id
        version = write.stored.version if isinstance(write, Change) else 0
        records += (
            {**vars(record), "saga_id": saga_id, "seq": version + i + 1, "at": write.at, "replica": replica}
            for i, record in enumerate(write.decision.records)
        )
        outbox += ({**vars(message), "saga_id": saga_id} for message in write.outbox)
        runs += steps.rows(saga_id, write.decision.steps)
    return records, outbox, runs


def _written(row: asyncpg.Record, writes: list[NewSaga] | list[Change]) -> Written:
    written = set(row["written"])
    outbox_ids = dict(zip(row["message_ids"], row["outbox_ids"], strict=True))
    return [
        [outbox_ids[m.message_id] for m in write.outbox] if write.decision.saga.saga_id in written else None
        for write in writes
    ]


async def load_many(pool: asyncpg.Pool, saga_ids: list[UUID]) -> list[StoredSaga | None]:
    """The sagas with these ids, in that order; None for an unknown id."""
    rows = await pool.fetch(SELECT + "WHERE saga_id = ANY($1::uuid[])", saga_ids)
    found = {row["saga_id"]: _stored(row) for row in rows}
    return [found.get(saga_id) for saga_id in saga_ids]


async def due(pool: asyncpg.Pool, limit: int) -> list[StoredSaga]:
    """Sagas whose deadline or retry time has come."""
    rows = await pool.fetch(SELECT + DUE, limit)
    return [_stored(row) for row in rows]


def _stored(row: asyncpg.Record) -> StoredSaga:
    saga = Saga(
        saga_id=row["saga_id"],
        workflow=row["workflow"],
        workflow_version=row["workflow_version"],
        input=row["input"],
        phase=Phase(row["phase"]),
        progress=row["progress"],
        runs=steps.runs(row["runs"]),
        outcome=row["outcome"],
        failed_step=row["failed_step"],
        error=row["error"],
    )
    return StoredSaga(saga, row["version"], row["created_at"], row["traceparent"])
