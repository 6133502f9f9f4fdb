"""A fresh system per fault test, with short deadlines so that timeouts and retries show quickly."""

from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager
from pathlib import Path
from typing import Any

import pytest

from ops import traffic
from ops.broker_access import BrokerAccess
from ops.system import System
from tests.harness import SagaApi, running_system
from tests.infrastructure import Infrastructure
from tests.polling import random_ref

FAST = {
    "STEP_TIMEOUT_SECONDS": "1",
    "DB_POOL_SIZE": "4",  # several systems may share one Postgres during a test run
    "MAX_ATTEMPTS": "3",
    "COMPENSATION_MAX_ATTEMPTS": "3",
    "BACKOFF_BASE_SECONDS": "0.2",
    "WAKE_INTERVAL_SECONDS": "0.1",
    "RELAY_AFTER_SECONDS": "1",
    "INVENTORY_SEED": f"{traffic.SEED},item-001=100",
}

Launch = Callable[..., AbstractAsyncContextManager[System]]


@pytest.fixture
def launch(infra: Infrastructure, broker: BrokerAccess, run_id: str, tmp_path: Path) -> Launch:
    """Starts a system with the fast settings plus `env`; `service_env` sets a fault per service."""

    def start(env: dict[str, str] | None = None, **config: Any) -> AbstractAsyncContextManager[System]:
        namespace = f"{run_id}_{random_ref('f').replace('-', '')}_"
        logs = tmp_path / "logs"
        return running_system(infra, broker, namespace, logs, env={**FAST, **(env or {})}, **config)

    return start


@pytest.fixture
async def system(launch: Launch) -> AsyncIterator[System]:
    async with launch() as running:
        yield running


@pytest.fixture
async def api(system: System) -> AsyncIterator[SagaApi]:
    async with SagaApi(system.url()) as client:
        yield client
