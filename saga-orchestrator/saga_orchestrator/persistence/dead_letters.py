"""The dead letters in Postgres: stored once each, listed newest first, redriven or discarded once."""

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

import asyncpg


class State(StrEnum):
    OPEN = "OPEN"
    REDRIVEN = "REDRIVEN"
    DISCARDED = "DISCARDED"


@dataclass(frozen=True)
class Letter:
    """A dead-lettered message as it is stored; `key` is the same for each delivery of it."""

    key: str
    reason: str
    source_queue: str
    message_id: str | None
    headers: dict[str, Any]
    payload: bytes


# A redelivery changes nothing. The same message dead-lettered again once it was redriven (it is
# just as unusable) opens its letter again.
STORE = """
INSERT INTO dead_letters (letter_key, reason, source_queue, message_id, headers, payload)
VALUES ($1, $2, $3, $4, $5, $6)
ON CONFLICT (letter_key) DO UPDATE SET state = 'OPEN', dead_at = now()
WHERE dead_letters.state = 'REDRIVEN'
"""

COLUMNS = "id, reason, source_queue, message_id, headers, payload, state, dead_at"


async def store(pool: asyncpg.Pool, letter: Letter) -> None:
    await pool.execute(
        STORE,
        letter.key,
        letter.reason,
        letter.source_queue,
        letter.message_id,
        letter.headers,
        letter.payload,
    )


async def page(
    pool: asyncpg.Pool, before: int | None, limit: int, state: State | None
) -> list[asyncpg.Record]:
    """Up to `limit` letters older than `before` (keyset paging on the id), newest first."""
    rows: list[asyncpg.Record] = await pool.fetch(
        f"SELECT {COLUMNS} FROM dead_letters"
        " WHERE ($1::bigint IS NULL OR id < $1) AND ($3::text IS NULL OR state = $3)"
        " ORDER BY id DESC LIMIT $2",
        before,
        limit,
        state,
    )
    return rows


async def one(conn: asyncpg.Pool | asyncpg.Connection, letter_id: int) -> asyncpg.Record | None:
    row: asyncpg.Record | None = await conn.fetchrow(
        f"SELECT {COLUMNS} FROM dead_letters WHERE id = $1", letter_id
    )
    return row


async def actions(pool: asyncpg.Pool, letter_id: int) -> list[asyncpg.Record]:
    rows: list[asyncpg.Record] = await pool.fetch(
        "SELECT action, actor, at FROM dead_letter_actions WHERE dead_letter_id = $1 ORDER BY at",
        letter_id,
    )
    return rows


@asynccontextmanager
async def locked(pool: asyncpg.Pool, letter_id: int) -> AsyncIterator[tuple[asyncpg.Connection, Any]]:
    """The letter's row, locked until the block ends and its transaction commits: two operators
    acting on one letter at once act one after the other."""
    async with pool.acquire() as conn, conn.transaction():
        row = await conn.fetchrow(f"SELECT {COLUMNS} FROM dead_letters WHERE id = $1 FOR UPDATE", letter_id)
        yield conn, row


async def resolve(conn: asyncpg.Connection, letter_id: int, state: State, actor: str) -> asyncpg.Record:
    """Marks the letter redriven or discarded, and records by whom, in the caller's transaction;
    returns its row as the action left it."""
    row: asyncpg.Record = await conn.fetchrow(
        f"UPDATE dead_letters SET state = $2 WHERE id = $1 RETURNING {COLUMNS}", letter_id, state
    )
    await conn.execute(
        "INSERT INTO dead_letter_actions (dead_letter_id, action, actor) VALUES ($1, $2, $3)",
        letter_id,
        state,
        actor,
    )
    return row
