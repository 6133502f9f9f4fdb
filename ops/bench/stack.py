"""The system under test: five fresh processes in the bench's own databases and queues, or a running one."""

import asyncio
import socket
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager, closing, suppress
from dataclasses import dataclass, field
from urllib.parse import urlsplit

import aio_pika
import asyncpg
import psutil  # type: ignore[import-untyped]  # no stubs in the dev dependencies

from ops.bench.options import PRODUCT, SEED_STOCK, Options
from ops.system import ORCHESTRATOR, WORKERS, System, SystemConfig, package_of
from shared.database import database_name, with_database
from shared.topology import command_queue, dead_letter_queue, reply_queue

PACKAGES = tuple(package_of(service) for service in (*WORKERS, ORCHESTRATOR))
SERVICES = ("order", "payment", "inventory", "shipping")


@dataclass(frozen=True)
class Target:
    """Where the load goes, whose books the audit reads, and which processes the sampler watches."""

    urls: list[str]
    namespace: str
    postgres_url: str
    pids: dict[str, int] = field(default_factory=dict)  # service name -> PID

    def database_url(self, package: str) -> str:
        return with_database(self.postgres_url, f"{self.namespace}{package}")


def _free_port_pair() -> int:
    """A port that is free along with the next one, for a second replica."""
    for _ in range(100):
        with closing(socket.socket()) as sock:
            sock.bind(("127.0.0.1", 0))
            port: int = sock.getsockname()[1]
        with closing(socket.socket()) as sock:
            try:
                sock.bind(("127.0.0.1", port + 1))
            except OSError:
                continue
        return port
    raise RuntimeError("no two consecutive free ports")


async def _drop_databases(postgres_url: str, namespace: str) -> None:
    admin = await asyncpg.connect(postgres_url)
    try:
        for package in PACKAGES:
            # FORCE ends only the sessions on these databases: the bench's own, left by a crashed run.
            await admin.execute(f'DROP DATABASE IF EXISTS "{namespace}{package}" WITH (FORCE)')
    finally:
        await admin.close()


async def _delete_queues(amqp_url: str, namespace: str) -> None:
    prefix = f"{namespace}."
    names = [command_queue(s, prefix) for s in SERVICES] + [reply_queue(prefix), dead_letter_queue(prefix)]
    connection = await aio_pika.connect(amqp_url)
    async with connection:
        channel = await connection.channel()
        for name in names:
            await channel.queue_delete(name)


async def _consuming(amqp_url: str, queues: list[str], timeout: float) -> None:
    """Waits until each queue has a consumer: a worker is ready once it consumes, its setup done."""
    deadline = time.monotonic() + timeout
    connection = await aio_pika.connect(amqp_url)
    async with connection:
        channel = await connection.channel()
        for name in queues:
            while True:
                with suppress(aio_pika.exceptions.ChannelClosed):
                    queue = await channel.declare_queue(name, passive=True)
                    if (queue.declaration_result.consumer_count or 0) > 0:
                        break
                if channel.is_closed:  # a passive declare of a missing queue closes the channel
                    channel = await connection.channel()
                if time.monotonic() > deadline:
                    raise TimeoutError(f"nobody consumes {name} after {timeout}s")
                await asyncio.sleep(0.1)


async def _start(system: System, timeout: float = 60) -> None:
    """Starts every process; workers count as ready once they consume, orchestrators once /readyz says so.

    `System.start_all` waits for a worker's "ready:" log line, which LOG_LEVEL=WARNING silences.
    """
    config = system.config
    for service in config.services:
        system.start(service)
    prefix = f"{config.namespace}."
    await _consuming(config.amqp_url, [command_queue(s, prefix) for s in SERVICES], timeout)
    orchestrators = [s for s in config.services if s.startswith(ORCHESTRATOR)]
    await asyncio.to_thread(system.wait_ready, orchestrators, timeout)


async def _clean(options: Options) -> None:
    await _drop_databases(options.postgres_url, options.prefix)
    await _delete_queues(options.amqp_url, options.prefix)


@asynccontextmanager
async def fresh_system(options: Options, orchestrators: int) -> AsyncIterator[Target]:
    """Starts the five services on fresh databases and queues; removes them after a clean run."""
    await _clean(options)
    config = SystemConfig(
        postgres_url=options.postgres_url,
        amqp_url=options.amqp_url,
        namespace=options.prefix,
        orchestrators=orchestrators,
        http_port=_free_port_pair(),
        log_dir=options.log_dir / f"logs-{orchestrators}",
        env={"LOG_LEVEL": "WARNING", "INVENTORY_SEED": f"{PRODUCT}={SEED_STOCK}"},
    )
    for service in config.services:
        (config.log_dir / f"{service}.log").unlink(missing_ok=True)
    system = System(config)
    try:
        await _start(system)
        urls = [system.url(s) for s in config.services if s.startswith(ORCHESTRATOR)]
        pids = {service: process.pid for service, process in system.processes.items()}
        yield Target(urls, options.prefix, options.postgres_url, pids)
    finally:
        await asyncio.to_thread(system.stop_all)
    # Left behind only when the run raised, so a failed run's books can be read afterwards.
    await _clean(options)


def running_system(options: Options) -> Target:
    """A system someone else started: its processes are found by the databases they use."""
    return Target(list(options.urls), options.prefix, options.postgres_url, _discover(options.prefix))


def _discover(namespace: str) -> dict[str, int]:
    pids: dict[str, int] = {}
    for process in psutil.process_iter(["cmdline"]):
        cmdline: list[str] = process.info["cmdline"] or []
        if len(cmdline) < 3 or cmdline[1] != "-m" or cmdline[2] not in PACKAGES:
            continue
        try:
            url = process.environ().get("DATABASE_URL", "")
        except psutil.Error:
            continue
        if urlsplit(url).path and database_name(url) == f"{namespace}{cmdline[2]}":
            name = cmdline[2].replace("_", "-")
            pids[name if name not in pids else f"{name}-{len(pids)}"] = process.pid
    return pids
