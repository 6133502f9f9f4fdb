"""Upgrading databases the runner before Alembic built: sagas started on that schema, still waiting
for their first service when the system stopped, finish once the setup step has migrated the
databases and the system is back.

The sagas are the rows the orchestrator of that schema wrote for a saga whose first command is out
and whose deadline has passed: today's orchestrator needs the newer schema to run at all."""

import asyncio
import json
from collections.abc import AsyncIterator
from pathlib import Path
from uuid import uuid4

import asyncpg
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


# A saga as the old orchestrator left it: started, its first command sent and overdue.
OLD_SAGA = """
INSERT INTO sagas (saga_id, workflow, saga_key, input, status, phase, progress, step, attempt,
                   awaiting, wake_at, version, created_at, updated_at, owner)
VALUES ($1, 'order', $2, $3::jsonb, 'STARTED', 'FORWARD', 'STARTED', 0, 1, 'REPLY',
        now() - interval '1 second', 2, now(), now(), 'anonymous')
"""
OLD_HISTORY = """
INSERT INTO saga_events (saga_id, seq, at, type, state, step, service, command, attempt)
VALUES ($1, 1, now(), 'STATE', 'STARTED', NULL, NULL, NULL, NULL),
       ($1, 2, now(), 'COMMAND', NULL, 'createOrder', 'order', 'createOrder', 1)
"""


async def _start_as_before(url: str, order_id: str) -> None:
    conn = await asyncpg.connect(url)
    try:
        async with conn.transaction():
            saga_id = uuid4()
            body = {**order(order_id), "amount": "100.00"}
            await conn.execute(OLD_SAGA, saga_id, order_id, json.dumps(body))
            await conn.execute(OLD_HISTORY, saga_id)
    finally:
        await conn.close()


async def test_sagas_started_on_the_old_schema_finish_after_the_upgrade(old_system: System) -> None:
    config = old_system.config
    order_ids = [random_ref("order") for _ in range(5)]
    for order_id in order_ids:
        await _start_as_before(config.database_url(ORCHESTRATOR), order_id)

    await database_access.set_up(config.postgres_url, config.database_logins())
    await asyncio.to_thread(old_system.start_all)

    async with SagaApi(old_system.url()) as api:
        for order_id in order_ids:
            assert (await api.finished(order_id))["status"] == "COMPLETED"
            assert (await api.commands(order_id))[0] == "createOrder"
