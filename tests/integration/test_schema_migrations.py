"""Each database's Alembic revisions against its declared tables: they build what the tables declare,
adopt a database the runner before Alembic built, refuse one it left part way, and run once when two
setups race; a drafted next revision builds what the tables add."""

import asyncio
import re
import shutil
from collections.abc import AsyncIterator
from importlib.resources import files
from pathlib import Path

import asyncpg
import pytest
from alembic import command
from alembic.config import Config
from sqlalchemy import CheckConstraint, Column, Connection, Index, MetaData, make_url
from sqlalchemy.dialects.postgresql import INTEGER, TEXT
from sqlalchemy.ext.asyncio import create_async_engine
from sqlalchemy.pool import NullPool

from ops import migrations, new_revision, registry
from ops.migrations import LEGACY_TABLE, VERSION_TABLE
from shared.database import with_database
from tests.infrastructure import Infrastructure
from tests.polling import random_ref
from tests.schemas import build_as_before, differences, metadata, scripts

pytestmark = [
    pytest.mark.integration,
    # SQLAlchemy's reflection of a NOT VALID check constraint warns about its own options.
    pytest.mark.filterwarnings("ignore:Can't validate argument 'dialect_options'"),
]


@pytest.fixture
async def database(infra: Infrastructure, run_id: str) -> AsyncIterator[str]:
    """An empty database of this run's, the owner's URL to it; dropped afterwards."""
    name = f"{run_id}_{random_ref('schema').replace('-', '')}"
    admin = await asyncpg.connect(infra.postgres_url)
    try:
        await admin.execute(f'CREATE DATABASE "{name}"')
        yield with_database(infra.postgres_url, name)
    finally:
        await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        await admin.close()


async def _fetch(url: str, sql: str) -> list[asyncpg.Record]:
    conn = await asyncpg.connect(url)
    try:
        rows: list[asyncpg.Record] = await conn.fetch(sql)
        return rows
    finally:
        await conn.close()


async def _bookkeeping(url: str) -> dict[str, bool]:
    tables = {row["tablename"] for row in await _fetch(url, "SELECT tablename FROM pg_tables")}
    return {table: table in tables for table in (LEGACY_TABLE, VERSION_TABLE)}


async def _version(url: str) -> list[str]:
    return [row["version_num"] for row in await _fetch(url, f"SELECT version_num FROM {VERSION_TABLE}")]


@pytest.mark.parametrize("package", registry.packages())
async def test_the_revisions_build_what_the_tables_declare(database: str, package: str) -> None:
    await migrations.migrate(database, package)

    assert await differences(database, metadata(package)) == []
    assert await _version(database) == [scripts(package).get_current_head()]


async def test_a_column_or_a_check_that_no_revision_adds_is_a_difference(database: str) -> None:
    await migrations.migrate(database, "order_service")
    declared = MetaData()
    for table in metadata("order_service").tables.values():
        table.to_metadata(declared)
    orders = declared.tables["orders"]
    orders.append_column(Column("note", TEXT))
    orders.append_constraint(CheckConstraint("quantity < 100", "orders_quantity_limit"))

    found = await differences(database, declared)

    assert [d[0] for d in found] == ["add_column", "check constraints"]
    assert found[1] == ("check constraints", "orders", ["orders_quantity_limit"])


@pytest.mark.parametrize("package", registry.packages())
async def test_a_database_the_old_scripts_built_is_stamped_at_the_baseline_and_upgraded(
    database: str, package: str
) -> None:
    await build_as_before(database, package)

    await migrations.migrate(database, package)

    assert await _bookkeeping(database) == {LEGACY_TABLE: False, VERSION_TABLE: True}
    assert await _version(database) == [scripts(package).get_current_head()]
    assert await differences(database, metadata(package)) == []


async def test_a_database_the_old_runner_left_part_way_is_refused_and_left_as_it_was(database: str) -> None:
    await build_as_before(database, "payment_service")
    conn = await asyncpg.connect(database)
    await conn.execute(f"DELETE FROM {LEGACY_TABLE} WHERE name = 'payment_service/002_amount_in_cents.sql'")
    await conn.close()

    with pytest.raises(
        RuntimeError, match=re.escape("'payment_service/002_amount_in_cents.sql'] were never applied")
    ):
        await migrations.migrate(database, "payment_service")

    assert await _bookkeeping(database) == {LEGACY_TABLE: True, VERSION_TABLE: False}


async def test_two_setups_at_once_migrate_once(database: str) -> None:
    await asyncio.gather(*(migrations.migrate(database, "saga_orchestrator") for _ in range(2)))

    assert await _version(database) == [scripts("saga_orchestrator").get_current_head()]
    assert await differences(database, metadata("saga_orchestrator")) == []


async def test_a_drafted_revision_builds_what_the_tables_add(
    infra: Infrastructure, run_id: str, database: str, tmp_path: Path
) -> None:
    declared = MetaData()
    for table in metadata("saga_orchestrator").tables.values():
        table.to_metadata(declared)
    sagas = declared.tables["sagas"]
    sagas.append_column(Column("priority", INTEGER))
    Index("sagas_workflow_priority", sagas.c.workflow, sagas.c.priority)
    head = scripts("saga_orchestrator").get_current_head()

    text = await new_revision.draft(
        infra.postgres_url, "saga_orchestrator", declared, "Sagas get a priority", prefix=f"{run_id}_"
    )

    assert text is not None and f'down_revision: str | None = "{head}"' in text
    # Applied after a copy of the package's revisions, it leaves nothing to add.
    location = tmp_path / "migrations"
    shutil.copytree(Path(str(files("saga_orchestrator").joinpath("migrations"))), location)
    (location / "versions" / "v9999_draft.py").write_text(text)
    await _upgrade(database, location)
    assert await differences(database, declared) == []


async def _upgrade(url: str, location: Path) -> None:
    engine = create_async_engine(make_url(url).set(drivername="postgresql+asyncpg"), poolclass=NullPool)
    try:
        async with engine.begin() as connection:
            await connection.run_sync(_upgrade_on, location)
    finally:
        await engine.dispose()


def _upgrade_on(connection: Connection, location: Path) -> None:
    alembic = Config()
    alembic.set_main_option("script_location", str(location))
    alembic.attributes["connection"] = connection
    command.upgrade(alembic, "head")


async def test_no_revision_is_drafted_where_the_revisions_build_what_the_tables_declare(
    infra: Infrastructure, run_id: str
) -> None:
    declared = metadata("inventory_service")
    drafted = await new_revision.draft(infra.postgres_url, "inventory_service", declared, "-", f"{run_id}_")
    assert drafted is None
