"""One running system shared by the end-to-end tests, with short deadlines so timeouts show quickly."""

from collections.abc import AsyncIterator

import pytest

from ops.broker_access import BrokerAccess
from ops.system import System
from tests.harness import Books, SagaApi, running_system
from tests.infrastructure import Infrastructure

E2E_ENV = {"STEP_TIMEOUT_SECONDS": "3", "LOG_LEVEL": "INFO", "DB_POOL_SIZE": "4"}


@pytest.fixture(scope="session")
async def system(
    infra: Infrastructure, broker: BrokerAccess, run_id: str, tmp_path_factory: pytest.TempPathFactory
) -> AsyncIterator[System]:
    log_dir = tmp_path_factory.mktemp("e2e-logs")
    async with running_system(infra, broker, f"{run_id}_e2e_", log_dir, env=E2E_ENV) as running:
        yield running


@pytest.fixture(scope="session")
async def api(system: System) -> AsyncIterator[SagaApi]:
    async with SagaApi(system.url()) as client:
        yield client


@pytest.fixture(scope="session")
def books(system: System) -> Books:
    return Books(system)
