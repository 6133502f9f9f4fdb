"""Each process's Postgres role, as the setup step leaves it: it reaches its own database only, changes
rows there, and creates nothing; removing the system removes the roles with the databases."""

from collections.abc import AsyncIterator
from pathlib import Path

import asyncpg
import pytest

from ops import database_access, namespace, registry
from ops.migrations import VERSION_TABLE
from ops.system import ORCHESTRATOR, SystemConfig
from shared.database import with_database
from tests.infrastructure import Infrastructure
from tests.polling import random_ref

pytestmark = pytest.mark.integration

PROCESSES = [*registry.workers(), ORCHESTRATOR]


def _config(infra: Infrastructure, run_id: str, passwords: Path) -> SystemConfig:
    prefix = f"{run_id}_{random_ref('access').replace('-', '')}_"
    return SystemConfig(postgres_url=infra.postgres_url, namespace=prefix, database_passwords=passwords)


@pytest.fixture(scope="module")
async def config(
    infra: Infrastructure, run_id: str, tmp_path_factory: pytest.TempPathFactory
) -> AsyncIterator[SystemConfig]:
    set_up = _config(infra, run_id, tmp_path_factory.mktemp("access") / "passwords.env")
    try:
        await database_access.set_up(set_up.postgres_url, set_up.database_logins())
        yield set_up
    finally:
        await namespace.drop_databases(set_up)


async def _admin(infra: Infrastructure, sql: str, *args: object) -> list[asyncpg.Record]:
    conn = await asyncpg.connect(infra.postgres_url)
    try:
        rows: list[asyncpg.Record] = await conn.fetch(sql, *args)
        return rows
    finally:
        await conn.close()


async def test_the_payment_role_cannot_connect_to_the_order_database(config: SystemConfig) -> None:
    payment = config.database_url("payment-service")
    order_database = config.database_role("order-service")

    with pytest.raises(asyncpg.InsufficientPrivilegeError, match="permission denied for database"):
        await asyncpg.connect(with_database(payment, order_database))

    own = await asyncpg.connect(payment)  # its own it reaches
    await own.close()


@pytest.mark.parametrize("process", PROCESSES)
async def test_a_runtime_role_creates_nothing_and_is_no_superuser(config: SystemConfig, process: str) -> None:
    intruder = f"{config.namespace}intruder"
    conn = await asyncpg.connect(config.database_url(process))
    try:
        for sql in (
            f'CREATE TABLE "{intruder}" (id int)',
            f'CREATE TEMPORARY TABLE "{intruder}" (id int)',
            f'CREATE DATABASE "{intruder}"',
            f'CREATE ROLE "{intruder}"',
            f"DROP TABLE {VERSION_TABLE}",
            f"SELECT * FROM {VERSION_TABLE}",
        ):
            with pytest.raises(asyncpg.InsufficientPrivilegeError):
                await conn.execute(sql)
        attributes = await conn.fetchrow(
            "SELECT rolsuper, rolcreatedb, rolcreaterole FROM pg_roles WHERE rolname = current_user"
        )
        assert attributes is not None and not any(attributes.values())
    finally:
        await conn.close()


@pytest.mark.parametrize("process", PROCESSES)
async def test_a_runtime_role_may_change_the_rows_of_every_table_of_its_own(
    config: SystemConfig, process: str
) -> None:
    conn = await asyncpg.connect(config.database_url(process))
    try:
        missing = await conn.fetch(
            "SELECT tablename, privilege FROM pg_tables,"
            " unnest(ARRAY['SELECT', 'INSERT', 'UPDATE', 'DELETE']) AS privilege"
            f" WHERE schemaname = 'public' AND tablename <> '{VERSION_TABLE}'"
            " AND NOT has_table_privilege(quote_ident(tablename), privilege)"
        )
        tables = await conn.fetchval("SELECT count(*) FROM pg_tables WHERE schemaname = 'public'")
    finally:
        await conn.close()
    assert [dict(row) for row in missing] == []
    assert tables > 1


async def test_every_role_has_a_password(infra: Infrastructure, config: SystemConfig) -> None:
    roles = [config.database_role(process) for process in PROCESSES]
    rows = await _admin(infra, "SELECT rolname, rolpassword FROM pg_authid WHERE rolname = ANY($1)", roles)
    assert sorted(row["rolname"] for row in rows) == sorted(roles)
    assert all(row["rolpassword"] for row in rows)


async def test_setting_up_again_changes_nothing_and_removing_leaves_no_database_or_role(
    infra: Infrastructure, run_id: str, tmp_path: Path
) -> None:
    config = _config(infra, run_id, tmp_path / "passwords.env")
    named = (
        "SELECT name FROM (SELECT datname AS name FROM pg_database UNION ALL SELECT rolname FROM pg_roles)"
    )
    named += " AS names WHERE starts_with(name, $1)"
    try:
        for _ in range(2):
            await database_access.set_up(config.postgres_url, config.database_logins())
        assert len(await _admin(infra, named, config.namespace)) == 2 * len(PROCESSES)
    finally:
        await namespace.drop_databases(config)

    assert await _admin(infra, named, config.namespace) == []
