"""One running system shared by the end-to-end tests, with short deadlines so timeouts show quickly."""

import secrets
from collections.abc import AsyncIterator
from dataclasses import dataclass

import pytest
from playwright.async_api import Browser, async_playwright

from ops.broker_access import BrokerAccess
from ops.system import System
from tests.harness import Books, SagaApi, running_system
from tests.infrastructure import Infrastructure

E2E_ENV = {"STEP_TIMEOUT_SECONDS": "3", "LOG_LEVEL": "INFO", "DB_POOL_SIZE": "4"}
CHROMIUM = "/usr/bin/chromium"  # Debian's: Playwright's own download cannot be reached
WAIT_MS = 30_000  # for the dashboard to show a saga moved: commands, replies, retries and restarts


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


@dataclass(frozen=True)
class Operated:
    """A system run as deployed, with keys, where nothing moves by itself: a step waits a minute
    for its reply, and releaseStock always fails, so a saga that compensates parks."""

    system: System
    operator_key: str
    client_key: str


@pytest.fixture(scope="session")
async def operated(
    infra: Infrastructure, broker: BrokerAccess, run_id: str, tmp_path_factory: pytest.TempPathFactory
) -> AsyncIterator[Operated]:
    operator_key, client_key = secrets.token_urlsafe(24), secrets.token_urlsafe(24)
    env = {
        "API_KEYS": f"ops:operator:{operator_key},shop:client:{client_key}",
        "STEP_TIMEOUT_SECONDS": "60",
        "COMPENSATION_MAX_ATTEMPTS": "2",
        "BACKOFF_BASE_SECONDS": "0.05",
        "DB_POOL_SIZE": "4",
    }
    faults = {"inventory-service": {"FAULT_FAIL_COMMANDS": "releaseStock"}}
    log_dir = tmp_path_factory.mktemp("operated-logs")
    async with running_system(
        infra, broker, f"{run_id}_ops_", log_dir, env=env, service_env=faults
    ) as running:
        yield Operated(running, operator_key, client_key)


@pytest.fixture(scope="module")
async def browser() -> AsyncIterator[Browser]:
    """The dashboard tests' browser (see the `ui` marker)."""
    async with async_playwright() as playwright:
        launched = await playwright.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        yield launched
        await launched.close()
