"""Upgrading databases the runner before Alembic built: sagas started on that schema, still waiting
for their first service when the system stops, finish once the setup step has migrated the databases
and the system is back."""

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from ops import database_access, namespace
from ops.broker_access import BrokerAccess
from ops.system import ORCHESTRATOR, System, SystemConfig, free_ports
from shared.database import with_database
from tests.harness import SagaApi, order
from tests.infrastructure import Infrastructure
from tests.polling import random_ref
from tests.schemas import OLD_BOOKKEEPING, build_as_before

pytestmark = pytest.mark.e2e


@pytest.fixture
async def old_system(
    infra: Infrastructure, broker: BrokerAccess, run_id: str, tmp_path: Path
) -> AsyncIterator[System]:
    """A system whose databases are as the old setup step left them, not yet started."""
    config = SystemConfig(
        postgres_url=infra.postgres_url,
        broker=broker,
        namespace=f"{run_id}_{random_ref('upgrade').replace('-', '')}_",
        http_port=free_ports(),
        log_dir=tmp_path / "logs",
        database_passwords=tmp_path / "database-passwords.env",
        env={"STEP_TIMEOUT_SECONDS": "60", "DB_POOL_SIZE": "4"},
    )
    system = System(config)
    try:
        logins = config.database_logins()
        await database_access.create_logins(config.postgres_url, logins)
        for login in logins:
            await build_as_before(with_database(config.postgres_url, login.role), login.package)
            await database_access.grant(
                config.postgres_url, login.role, (*database_access.GRANTS, OLD_BOOKKEEPING)
            )
        await namespace.create(config)
        yield system
    finally:
        system.stop_all()
        await namespace.remove(config)


async def test_sagas_started_on_the_old_schema_finish_after_the_upgrade(old_system: System) -> None:
    config = old_system.config
    order_ids = [random_ref("order") for _ in range(5)]
    old_system.start(ORCHESTRATOR)  # no service answers: every saga waits at its first step
    await asyncio.to_thread(old_system.wait_ready, [ORCHESTRATOR], 60)
    async with SagaApi(old_system.url()) as api:
        for order_id in order_ids:
            assert (await api.start(order(order_id))).status_code == 202
        assert {(await api.status(o))["status"] for o in order_ids} == {"STARTED"}
    old_system.stop_all()

    await database_access.set_up(config.postgres_url, config.database_logins())
    await asyncio.to_thread(old_system.start_all)

    async with SagaApi(old_system.url()) as api:
        for order_id in order_ids:
            assert (await api.finished(order_id))["status"] == "COMPLETED"
            assert (await api.commands(order_id))[0] == "createOrder"
