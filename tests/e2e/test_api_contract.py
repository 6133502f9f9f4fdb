"""Generated requests, valid and not, against the running orchestrator's own OpenAPI document.

Schemathesis runs every check it has: no server error, no status code the document does not
declare, every response as its schema says, invalid input refused and valid input taken.
"""

import asyncio
import subprocess
import sys
from pathlib import Path

import pytest

from ops.system import System

pytestmark = pytest.mark.e2e

# Enough to find what the document and the code disagree on, in well under a minute.
MAX_EXAMPLES = 100


async def test_the_api_keeps_to_its_openapi_document(system: System, tmp_path: Path) -> None:
    command = [
        sys.executable,
        "-m",
        "schemathesis.cli",
        "run",
        f"{system.url()}/openapi.json",
        "--checks=all",
        f"--max-examples={MAX_EXAMPLES}",
        "--request-timeout=30",  # a start or a status may wait for its saga, which settles in moments
    ]

    # In a directory of its own, where it keeps its examples database and cache.
    run = await asyncio.to_thread(
        subprocess.run, command, cwd=tmp_path, capture_output=True, text=True, timeout=100, check=False
    )

    assert run.returncode == 0, run.stdout[-8000:] + run.stderr[-2000:]
