"""Postgres plumbing: create a service's database, apply its SQL migrations, open a pool."""

import logging
from contextlib import suppress
from importlib.resources import files
from urllib.parse import urlsplit, urlunsplit

import asyncpg

from shared import json
from shared.retry import when_up

log = logging.getLogger(__name__)

# A connection to Postgres that breaks or cannot be made: worth retrying once it is back.
UNAVAILABLE: tuple[type[Exception], ...] = (
    OSError,
    asyncpg.PostgresConnectionError,
    asyncpg.InterfaceError,
    asyncpg.CannotConnectNowError,
    asyncpg.AdminShutdownError,
    asyncpg.CrashShutdownError,
)

# Worth retrying later: the database is gone, or it rolled back a deadlock or serialization loser.
RETRY_LATER: tuple[type[Exception], ...] = (*UNAVAILABLE, asyncpg.TransactionRollbackError)

MIGRATIONS_TABLE = """
CREATE TABLE IF NOT EXISTS schema_migrations (
    name text PRIMARY KEY,
    applied_at timestamptz NOT NULL DEFAULT now()
)
"""


def database_name(url: str) -> str:
    return urlsplit(url).path.lstrip("/")


def with_database(url: str, name: str) -> str:
    return urlunsplit(urlsplit(url)._replace(path=f"/{name}"))


async def connect_when_up(url: str) -> asyncpg.Connection:
    return await when_up(lambda: asyncpg.connect(url), UNAVAILABLE, "database")


async def ensure_database(url: str) -> None:
    """Creates the database named in the URL if the server does not have it yet."""
    name = database_name(url)
    admin = await connect_when_up(with_database(url, "postgres"))
    try:
        exists = await admin.fetchval("SELECT 1 FROM pg_database WHERE datname = $1", name)
        if not exists:
            # Another process was first; racing creators may see either error.
            with suppress(asyncpg.DuplicateDatabaseError, asyncpg.UniqueViolationError):
                await admin.execute(f'CREATE DATABASE "{name}"')
    finally:
        await admin.close()


async def migrate(url: str, packages: list[str]) -> None:
    """Applies each package's `migrations/NNN_*.sql` files once each, in package then name order."""
    scripts = [
        (f"{package}/{entry.name}", entry.read_text())
        for package in packages
        for entry in sorted(files(package).joinpath("migrations").iterdir(), key=lambda e: e.name)
        if entry.name.endswith(".sql")
    ]
    conn = await connect_when_up(url)
    try:
        async with conn.transaction():
            # Replicas starting together must not apply the same script twice.
            await conn.execute("SELECT pg_advisory_xact_lock(7261)")
            await conn.execute(MIGRATIONS_TABLE)
            done = {row["name"] for row in await conn.fetch("SELECT name FROM schema_migrations")}
            for name, sql in scripts:
                if name not in done:
                    log.info("applying migration %s", name)
                    await conn.execute(sql)
                    await conn.execute("INSERT INTO schema_migrations VALUES ($1)", name)
    finally:
        await conn.close()


async def _init_connection(conn: asyncpg.Connection) -> None:
    for jsontype in ("json", "jsonb"):
        await conn.set_type_codec(jsontype, encoder=json.dumps_str, decoder=json.loads, schema="pg_catalog")


async def _keep_session(conn: asyncpg.Connection) -> None:
    """Skips asyncpg's reset query on release, a round trip per use: pooled connections change no
    session state (no SET, LISTEN or session locks), and an open transaction is rolled back anyway."""


async def prepare(url: str, packages: list[str]) -> None:
    await ensure_database(url)
    await migrate(url, packages)


async def open_pool(url: str, size: int) -> asyncpg.Pool:
    await (await connect_when_up(url)).close()  # waits for a server that is still starting
    pool = await asyncpg.create_pool(
        url, min_size=1, max_size=size, init=_init_connection, reset=_keep_session
    )
    assert pool is not None
    return pool
