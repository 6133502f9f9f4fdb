"""Databases' schemas for the tests of migrating them: what differs between a database and its
package's declared tables, and a database as the runner before Alembic left it (the baseline's
statements, which are the old scripts' text, applied and each script recorded in `schema_migrations`)."""

import importlib
from types import ModuleType
from typing import Any

import asyncpg
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import CheckConstraint, Connection, MetaData, inspect, make_url
from sqlalchemy.ext.asyncio import create_async_engine
from sqlalchemy.pool import NullPool

from ops.migrations import BASELINE, LEGACY_TABLE
from shared.migrations import config

# The old runner's bookkeeping, as it created it; the old setup step kept it from the runtime role.
OLD_RUNNER_TABLE = (
    f"CREATE TABLE {LEGACY_TABLE} (name text PRIMARY KEY, applied_at timestamptz NOT NULL DEFAULT now())"
)
OLD_BOOKKEEPING = f"REVOKE ALL ON {LEGACY_TABLE} FROM {{role}}"


def metadata(package: str) -> MetaData:
    declared: MetaData = importlib.import_module(f"{package}.schema").metadata
    return declared


def scripts(package: str) -> ScriptDirectory:
    return ScriptDirectory.from_config(config(package))


def baseline(package: str) -> ModuleType:
    revision = scripts(package).get_revision(BASELINE)
    assert revision is not None
    return revision.module


async def build_as_before(url: str, package: str) -> None:
    """The database as the runner before Alembic built it: every script applied and recorded."""
    conn = await asyncpg.connect(url)
    try:
        async with conn.transaction():
            await conn.execute(OLD_RUNNER_TABLE)
            for sql in baseline(package).SQL:
                await conn.execute(sql)
            await conn.executemany(
                f"INSERT INTO {LEGACY_TABLE} VALUES ($1)", [(n,) for n in baseline(package).LEGACY_SCRIPTS]
            )
    finally:
        await conn.close()


async def differences(url: str, declared: MetaData) -> list[Any]:
    """What Alembic's autogenerate finds between the database and the tables (columns, types,
    defaults, keys, indexes), and the check constraints, which it does not compare, by name."""
    engine = create_async_engine(make_url(url).set(drivername="postgresql+asyncpg"), poolclass=NullPool)
    try:
        async with engine.connect() as connection:
            found: list[Any] = await connection.run_sync(_differences, declared)
            return found
    finally:
        await engine.dispose()


def _differences(connection: Connection, declared: MetaData) -> list[Any]:
    options = {"compare_type": True, "compare_server_default": True}
    found: list[Any] = list(compare_metadata(MigrationContext.configure(connection, opts=options), declared))
    inspector = inspect(connection)
    for table in declared.tables.values():
        declared_anywhere = [*table.constraints, *(c for column in table.c for c in column.constraints)]
        checks = {c.name for c in declared_anywhere if isinstance(c, CheckConstraint)}
        built = {c["name"] for c in inspector.get_check_constraints(table.name)}
        if checks != built:
            found.append(("check constraints", table.name, sorted(map(str, checks ^ built))))
    return found
