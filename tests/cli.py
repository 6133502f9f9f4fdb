"""The `saga` command line as a user runs it: the installed entry point, in a process of its own."""

import asyncio
import os
import sys
from dataclasses import dataclass
from pathlib import Path

# Installed with the package, beside the interpreter that runs the tests.
SAGA = Path(sys.executable).parent / "saga"


@dataclass(frozen=True)
class Ran:
    code: int
    out: str
    err: str


async def saga(url: str, key: str | None, *arguments: str) -> Ran:
    """Runs `saga ARGUMENTS` against the orchestrator at `url`, with `key` as SAGA_API_KEY."""
    env = {name: value for name, value in os.environ.items() if not name.startswith("SAGA_")}
    env["SAGA_URL"] = url
    if key is not None:
        env["SAGA_API_KEY"] = key
    process = await asyncio.create_subprocess_exec(
        SAGA, *arguments, env=env, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE
    )
    out, err = await asyncio.wait_for(process.communicate(), timeout=90)
    assert process.returncode is not None
    return Ran(process.returncode, out.decode(), err.decode())
