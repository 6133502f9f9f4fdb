"""Reading sagas for the HTTP API."""

from typing import Any
from uuid import UUID

import asyncpg

STATUS_COLUMNS = """
SELECT saga_id, saga_key, status, phase, input, attempt, last_error, failed_step,
       error, created_at, updated_at, finished_at, workflow, workflow_version, step, owner
FROM sagas
"""


async def by_key(pool: asyncpg.Pool, workflow: str, key: str) -> asyncpg.Record | None:
    row: asyncpg.Record | None = await pool.fetchrow(
        STATUS_COLUMNS + "WHERE workflow = $1 AND saga_key = $2", workflow, key
    )
    return row


async def history(pool: asyncpg.Pool, saga_id: UUID) -> list[asyncpg.Record]:
    rows: list[asyncpg.Record] = await pool.fetch(
        "SELECT seq, at, type, state, step, service, command, attempt, success, result, error, actor"
        " FROM saga_events WHERE saga_id = $1 ORDER BY seq",
        saga_id,
    )
    return rows


async def newest(pool: asyncpg.Pool, status: str | None, limit: int) -> list[asyncpg.Record]:
    args: list[Any] = [limit]
    where = ""
    if status is not None:
        where, args = "WHERE status = $2 ", [limit, status]
    rows: list[asyncpg.Record] = await pool.fetch(
        STATUS_COLUMNS + where + "ORDER BY created_at DESC LIMIT $1", *args
    )
    return rows
