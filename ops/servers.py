"""Restarting this machine's Postgres and RabbitMQ through their own tools, and leaving them running."""

import asyncio
import shutil
from pathlib import Path

POSTGRES_CONFIGS = Path("/etc/postgresql")


def restartable(postgres_url: str, amqp_url: str) -> bool:
    """Only servers on this machine, with their own tools at hand, can be restarted."""
    local = all(("@127.0.0.1:" in url or "@localhost:" in url) for url in (postgres_url, amqp_url))
    return local and bool(shutil.which("rabbitmqctl") and shutil.which("pg_ctlcluster"))


async def _run(*command: str) -> None:
    process = await asyncio.create_subprocess_exec(
        *command, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT
    )
    output, _ = await process.communicate()
    if process.returncode != 0:
        raise RuntimeError(f"{' '.join(command)} failed: {output.decode()}")


async def restart_rabbitmq() -> None:
    try:
        await _run("rabbitmqctl", "-q", "stop_app")
    finally:
        await _run("rabbitmqctl", "-q", "start_app")
        await _run("rabbitmqctl", "-q", "await_startup")


def _postgres_version() -> str:
    return sorted(path.name for path in POSTGRES_CONFIGS.iterdir())[-1]


async def restart_postgres() -> None:
    version = _postgres_version()
    await _run("pg_ctlcluster", "--skip-systemctl-redirect", version, "main", "restart")
