"""The outbox after commit: rows are deleted once published, and rows left behind are relayed."""

import asyncpg


async def delete(db: asyncpg.Pool | asyncpg.Connection, ids: list[int]) -> None:
    await db.execute("DELETE FROM outbox WHERE id = ANY($1::bigint[])", ids)


async def claim_stale(
    conn: asyncpg.Connection, older_than_seconds: float, limit: int
) -> list[asyncpg.Record]:
    """Rows nobody published in time (a crash, a broker outage); locked for the caller's transaction."""
    rows: list[asyncpg.Record] = await conn.fetch(
        "SELECT id, queue, message_id, body FROM outbox"
        " WHERE created_at < now() - make_interval(secs => $1)"
        " ORDER BY id LIMIT $2 FOR UPDATE SKIP LOCKED",
        older_than_seconds,
        limit,
    )
    return rows
