"""Postgres plumbing: open a pool on a process's own database (the setup step, ops/database_access.py,
creates and migrates it beforehand)."""

from urllib.parse import urlsplit, urlunsplit

import asyncpg

from shared import json
from shared.retry import when_up

# A connection to Postgres that breaks or cannot be made: worth retrying once it is back.
UNAVAILABLE: tuple[type[Exception], ...] = (
    OSError,
    asyncpg.PostgresConnectionError,
    asyncpg.InterfaceError,
    asyncpg.CannotConnectNowError,
    asyncpg.AdminShutdownError,
    asyncpg.CrashShutdownError,
    # A connection whose server died mid-operation ("cannot switch to state ..."), and, of
    # several servers, none taking writes yet while the standby is promoted.
    asyncpg.InternalClientError,
)

# Worth retrying later: the database is gone, or it rolled back a deadlock or serialization loser.
RETRY_LATER: tuple[type[Exception], ...] = (*UNAVAILABLE, asyncpg.TransactionRollbackError)


def database_name(url: str) -> str:
    return urlsplit(url).path.lstrip("/")


def with_database(url: str, name: str) -> str:
    return urlunsplit(urlsplit(url)._replace(path=f"/{name}"))


async def connect_when_up(url: str) -> asyncpg.Connection:
    return await when_up(lambda: asyncpg.connect(url), UNAVAILABLE, "database")


async def _init_connection(conn: asyncpg.Connection) -> None:
    for jsontype in ("json", "jsonb"):
        await conn.set_type_codec(jsontype, encoder=json.dumps_str, decoder=json.loads, schema="pg_catalog")


async def _keep_session(conn: asyncpg.Connection) -> None:
    """Skips asyncpg's reset query on release, a round trip per use: pooled connections change no
    session state (no SET, LISTEN or session locks), and an open transaction is rolled back anyway."""


async def open_pool(url: str, size: int) -> asyncpg.Pool:
    await (await connect_when_up(url)).close()  # waits for a server that is still starting
    pool = await asyncpg.create_pool(
        url, min_size=1, max_size=size, init=_init_connection, reset=_keep_session
    )
    assert pool is not None
    return pool
