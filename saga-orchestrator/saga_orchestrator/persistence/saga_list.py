"""The dashboard's reads: a filtered saga list paged by keyset, counts per status, and the last
minutes' starts, outcomes and durations. Each filter is backed by an index (see the migrations)."""

from dataclasses import dataclass
from datetime import datetime
from uuid import UUID

import asyncpg

from saga_orchestrator.persistence.queries import RUNNING_PHASES, STATUS_COLUMNS


@dataclass(frozen=True)
class Cursor:
    """Where a page ends: the list is ordered by (created_at, saga_id), newest first."""

    created_at: datetime
    saga_id: UUID


@dataclass(frozen=True)
class Filters:
    status: str | None = None
    phase: str | None = None
    stuck_seconds: float | None = None
    since: datetime | None = None
    until: datetime | None = None
    workflow: str | None = None
    key: str | None = None  # a prefix of the saga's key


def page_query(filters: Filters, limit: int, after: Cursor | None = None) -> tuple[str, list[object]]:
    """The statement of one page and its arguments."""
    stuck = f"phase IN {RUNNING_PHASES} AND updated_at < now() - make_interval(secs => ${{}})"
    key = None if filters.key is None else _like_prefix(filters.key)
    conditions: list[str] = []
    args: list[object] = [limit]
    for condition, value in (
        ("status = ${}", filters.status),
        ("phase = ${}", filters.phase),
        (stuck, filters.stuck_seconds),
        ("created_at >= ${}", filters.since),
        ("created_at < ${}", filters.until),
        ("workflow = ${}", filters.workflow),
        ("saga_key LIKE ${}", key),
        ("(created_at, saga_id) < (${}, ${})", after),
    ):
        if isinstance(value, Cursor):
            args += [value.created_at, value.saga_id]
            conditions.append(condition.format(len(args) - 1, len(args)))
        elif value is not None:
            args.append(value)
            conditions.append(condition.format(len(args)))
    where = f"WHERE {' AND '.join(conditions)} " if conditions else ""
    return STATUS_COLUMNS + where + "ORDER BY created_at DESC, saga_id DESC LIMIT $1", args


def _like_prefix(text: str) -> str:
    escaped = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return escaped + "%"


async def page(
    pool: asyncpg.Pool, filters: Filters, limit: int, after: Cursor | None = None
) -> tuple[list[asyncpg.Record], Cursor | None]:
    """Up to `limit` sagas, and the cursor of the next page (None on the last)."""
    sql, args = page_query(filters, limit + 1, after)
    rows: list[asyncpg.Record] = await pool.fetch(sql, *args)
    if len(rows) <= limit:
        return rows, None
    last = rows[limit - 1]
    return rows[:limit], Cursor(last["created_at"], last["saga_id"])


async def counts(pool: asyncpg.Pool) -> dict[str, int]:
    """How many sagas are in each status."""
    rows = await pool.fetch("SELECT status, count(*) AS n FROM sagas GROUP BY status ORDER BY status")
    return {row["status"]: row["n"] for row in rows}


@dataclass(frozen=True)
class Recent:
    """The last minutes: starts per minute, outcomes per minute and status, and durations."""

    starts: dict[datetime, int]
    outcomes: dict[tuple[datetime, str], int]
    p50_seconds: float | None
    p99_seconds: float | None


async def recent(pool: asyncpg.Pool, minutes: int) -> Recent:
    window = f"now() - make_interval(mins => {int(minutes)})"
    starts = await pool.fetch(
        "SELECT date_trunc('minute', created_at) AS minute, count(*) AS n FROM sagas"
        f" WHERE created_at >= {window} GROUP BY 1"
    )
    # A parked saga has not finished: it counts in the minute it parked (its last change).
    outcomes = await pool.fetch(
        "SELECT date_trunc('minute', coalesce(finished_at, updated_at)) AS minute, status, count(*) AS n"
        f" FROM sagas WHERE finished_at >= {window} OR (phase = 'PARKED' AND updated_at >= {window})"
        " GROUP BY 1, 2"
    )
    durations = await pool.fetchrow(
        "SELECT percentile_cont(0.5) WITHIN GROUP (ORDER BY d) AS p50,"
        " percentile_cont(0.99) WITHIN GROUP (ORDER BY d) AS p99"
        " FROM (SELECT extract(epoch FROM finished_at - created_at)::float8 AS d FROM sagas"
        f" WHERE finished_at >= {window}) AS finished"
    )
    return Recent(
        starts={row["minute"]: row["n"] for row in starts},
        outcomes={(row["minute"], row["status"]): row["n"] for row in outcomes},
        p50_seconds=durations["p50"],
        p99_seconds=durations["p99"],
    )
