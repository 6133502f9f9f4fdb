"""Migrating a database with its package's Alembic revisions, as its owner. A database the runner
before Alembic built (it has that runner's `schema_migrations`) is first stamped at the baseline,
which equals what those scripts made, so its rows are kept and only later revisions apply."""

import logging

import asyncpg
from alembic import command
from alembic.config import Config
from alembic.script import ScriptDirectory
from sqlalchemy import Connection, inspect, text
from sqlalchemy.ext.asyncio import create_async_engine
from sqlalchemy.pool import NullPool

from shared.migrations import config

log = logging.getLogger(__name__)

BASELINE = "0001"
LEGACY_TABLE = "schema_migrations"  # the runner before Alembic's bookkeeping
VERSION_TABLE = "alembic_version"  # Alembic's, one in each database


async def migrate(url: str, package: str) -> None:
    """Brings the database at `url` to the package's newest revision, in one transaction."""
    # asyncpg itself connects, so that a DSN listing several servers finds the one taking writes.
    engine = create_async_engine(
        "postgresql+asyncpg://", async_creator=lambda: asyncpg.connect(url), poolclass=NullPool
    )
    try:
        async with engine.begin() as connection:
            await connection.run_sync(_upgrade, package)
    finally:
        await engine.dispose()


def _upgrade(connection: Connection, package: str) -> None:
    # Two setups at once: the second waits, then finds nothing left to do.
    connection.execute(text("SELECT pg_advisory_xact_lock(7261)"))
    alembic = config(package, connection)
    if inspect(connection).has_table(LEGACY_TABLE):
        _adopt(connection, alembic, package)
    command.upgrade(alembic, "head")


def _adopt(connection: Connection, alembic: Config, package: str) -> None:
    """Stamps a database the old runner built at the baseline, if it ran every script the baseline
    stands for; a database it left part way is refused rather than guessed at."""
    baseline = ScriptDirectory.from_config(alembic).get_revision(BASELINE)
    assert baseline is not None
    applied = set(connection.scalars(text(f"SELECT name FROM {LEGACY_TABLE}")))
    missing = sorted(set(baseline.module.LEGACY_SCRIPTS) - applied)
    if missing:
        raise RuntimeError(f"{package}: the scripts {missing} were never applied; apply them first")
    log.info("%s: stamped at the baseline its scripts built", package)
    command.stamp(alembic, BASELINE)
    connection.execute(text(f"DROP TABLE {LEGACY_TABLE}"))
