"""Generated requests, valid and not, against the running orchestrator's own OpenAPI document.

Schemathesis runs every check it has: no server error, no status code the document does not
declare, every response as its schema says, invalid input refused and valid input taken, and a
request without its key refused. So the system runs as deployed, with keys, and schemathesis
sends an operator's.
"""

import asyncio
import secrets
import subprocess
import sys
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from ops.broker_access import BrokerAccess
from ops.system import System
from tests.harness import running_system
from tests.infrastructure import Infrastructure

pytestmark = pytest.mark.e2e

# Enough to find what the document and the code disagree on, in well under a minute.
MAX_EXAMPLES = 100
OPERATOR_KEY = secrets.token_urlsafe(24)


@pytest.fixture(scope="module")
async def secured(
    infra: Infrastructure, broker: BrokerAccess, run_id: str, tmp_path_factory: pytest.TempPathFactory
) -> AsyncIterator[System]:
    env = {"API_KEYS": f"ops:operator:{OPERATOR_KEY}", "DB_POOL_SIZE": "4"}
    log_dir = tmp_path_factory.mktemp("contract-logs")
    async with running_system(infra, broker, f"{run_id}_contract_", log_dir, env=env) as running:
        yield running


async def test_the_api_keeps_to_its_openapi_document(secured: System, tmp_path: Path) -> None:
    command = [
        sys.executable,
        "-m",
        "schemathesis.cli",
        "run",
        f"{secured.url()}/openapi.json",
        f"--header=Authorization: Bearer {OPERATOR_KEY}",
        "--checks=all",
        f"--max-examples={MAX_EXAMPLES}",
        "--request-timeout=30",  # a start or a status may wait for its saga, which settles in moments
    ]

    # In a directory of its own, where it keeps its examples database and cache.
    run = await asyncio.to_thread(
        subprocess.run, command, cwd=tmp_path, capture_output=True, text=True, timeout=100, check=False
    )

    assert run.returncode == 0, run.stdout[-8000:] + run.stderr[-2000:]
