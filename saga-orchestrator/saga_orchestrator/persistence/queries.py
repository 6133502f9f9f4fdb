"""Reading sagas for the HTTP API."""

from uuid import UUID

import asyncpg

# The step, attempt and error shown are those of the saga's newest step execution, its error only
# while that step is open (a finished saga from before the step rows has none: attempt 0).
STATUS_COLUMNS = """
SELECT saga_id, saga_key, status, phase, input, coalesce(run.attempt, 0) AS attempt, run.last_error,
       failed_step, error, created_at, updated_at, finished_at, workflow, workflow_version, run.step, owner
FROM sagas LEFT JOIN LATERAL (
    SELECT s.step, s.attempt, CASE WHEN s.finished_at IS NULL THEN s.error END AS last_error
    FROM saga_steps s WHERE s.saga_id = sagas.saga_id ORDER BY s.started_at DESC, s.step LIMIT 1
) AS run ON true
"""


async def by_key(pool: asyncpg.Pool, workflow: str, key: str) -> asyncpg.Record | None:
    row: asyncpg.Record | None = await pool.fetchrow(
        STATUS_COLUMNS + "WHERE workflow = $1 AND saga_key = $2", workflow, key
    )
    return row


async def history(pool: asyncpg.Pool, saga_id: UUID) -> list[asyncpg.Record]:
    rows: list[asyncpg.Record] = await pool.fetch(
        "SELECT seq, at, type, state, step, service, command, attempt, success, result, error, actor,"
        " replica FROM saga_events WHERE saga_id = $1 ORDER BY seq",
        saga_id,
    )
    return rows


# The phases in which a saga waits for a reply or a retry; one not updated for a while is stuck.
RUNNING_PHASES = ("FORWARD", "COMPENSATING")


async def newest(
    pool: asyncpg.Pool,
    status: str | None,
    limit: int,
    *,
    workflow: str | None = None,
    stuck_seconds: float | None = None,
) -> list[asyncpg.Record]:
    """The newest sagas, of one status, of one workflow, or running but not updated for
    `stuck_seconds`."""
    sql, args = newest_query(status, limit, workflow=workflow, stuck_seconds=stuck_seconds)
    rows: list[asyncpg.Record] = await pool.fetch(sql, *args)
    return rows


def newest_query(
    status: str | None, limit: int, *, workflow: str | None = None, stuck_seconds: float | None = None
) -> tuple[str, list[object]]:
    """The list's statement and its arguments; each filter is backed by an index (see the migrations)."""
    conditions: list[str] = []
    args: list[object] = [limit]
    for condition, value in (
        ("status = ${}", status),
        ("workflow = ${}", workflow),
        (f"phase IN {RUNNING_PHASES} AND updated_at < now() - make_interval(secs => ${{}})", stuck_seconds),
    ):
        if value is not None:
            args.append(value)
            conditions.append(condition.format(len(args)))
    where = f"WHERE {' AND '.join(conditions)} " if conditions else ""
    return STATUS_COLUMNS + where + "ORDER BY created_at DESC LIMIT $1", args
