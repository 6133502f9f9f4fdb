"""The running processes log in to Postgres each with its own role, in its own database."""

import asyncpg
import pytest

from ops import registry
from ops.system import System
from tests.infrastructure import Infrastructure

pytestmark = pytest.mark.e2e


async def test_each_process_logs_in_with_its_own_role_to_its_own_database(
    system: System, infra: Infrastructure
) -> None:
    admin = await asyncpg.connect(infra.postgres_url)
    try:
        sessions = await admin.fetch(
            "SELECT DISTINCT datname, usename FROM pg_stat_activity WHERE starts_with(datname, $1)",
            system.config.namespace,
        )
    finally:
        await admin.close()
    roles = {system.config.database_role(process) for process in registry.packages()}
    assert {(row["datname"], row["usename"]) for row in sessions} == {(role, role) for role in roles}
