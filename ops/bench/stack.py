"""The system under test: fresh processes in the bench's own databases and queues, or a running one."""

import asyncio
import secrets
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field

import psutil

from ops import broker_access, database_access, namespace, registry
from ops.bench import workflow_files
from ops.bench.options import PRODUCT, SEED_STOCK, Options
from ops.system import ORCHESTRATOR, System, SystemConfig, free_ports, package_of, queue_prefix
from shared.database import database_name


@dataclass(frozen=True)
class Target:
    """Where the load goes, whose books the audit reads, and which processes the sampler watches."""

    config: SystemConfig
    urls: list[str]
    pids: dict[str, int] = field(default_factory=dict)  # service name -> PID
    api_key: str | None = None  # sent with every request, so that the secured path is measured


async def _config(options: Options, orchestrators: int, api_key: str) -> SystemConfig:
    # A vhost per namespace: benches of two namespaces at once keep to their own users and passwords.
    vhost = f"saga-{options.prefix.rstrip('_') or 'bench'}"
    broker = options.broker or await broker_access.set_up_local(
        registry.services(), vhost, queue_prefix(options.prefix), options.amqp_url, options.broker_node
    )
    return SystemConfig(
        postgres_url=options.postgres_url,
        broker=broker,
        namespace=options.prefix,
        orchestrators=orchestrators,
        http_port=free_ports(orchestrators),
        log_dir=options.log_dir / f"logs-{orchestrators}",
        env={
            "WORKFLOWS_DIR": str(workflow_files.gathered(options.log_dir / "workflows")),
            "LOG_LEVEL": "WARNING",
            "INVENTORY_SEED": f"{PRODUCT}={SEED_STOCK}",
            "API_KEYS": f"bench:client:{api_key}",
        },
    )


@asynccontextmanager
async def fresh_system(options: Options, orchestrators: int) -> AsyncIterator[Target]:
    """Starts the system's processes on fresh databases and queues; removes them after a clean run."""
    api_key = secrets.token_urlsafe(32)
    config = await _config(options, orchestrators, api_key)
    await namespace.remove(config)
    await namespace.create(config)
    system = System(config)
    for service in config.services:
        system.log_path(service).unlink(missing_ok=True)
    try:
        await database_access.set_up(config.postgres_url, config.database_logins())
        await asyncio.to_thread(system.start_all)
        urls = [system.url(s) for s in config.services if s.startswith(ORCHESTRATOR)]
        pids = {service: process.pid for service, process in system.processes.items()}
        yield Target(config, urls, pids, api_key)
    finally:
        await asyncio.to_thread(system.stop_all)
    # Left behind only when the run raised, so a failed run's books can be read afterwards.
    await namespace.remove(config)
    if options.broker is None and config.broker is not None:  # the vhost and users it made itself
        await broker_access.remove(config.broker)


def running_system(options: Options) -> Target:
    """A system someone else started: its processes are found by the databases they use."""
    config = SystemConfig(postgres_url=options.postgres_url, namespace=options.prefix)
    return Target(config, list(options.urls), _discover(config), options.api_key)


def _discover(config: SystemConfig) -> dict[str, int]:
    databases = {
        package_of(s): database_name(config.database_url(s)) for s in (*registry.workers(), ORCHESTRATOR)
    }
    pids: dict[str, int] = {}
    for process in psutil.process_iter(["cmdline"]):
        cmdline: list[str] = process.info["cmdline"] or []
        if len(cmdline) < 3 or cmdline[1] != "-m" or cmdline[2] not in databases:
            continue
        try:
            url = process.environ().get("DATABASE_URL", "")
        except psutil.Error:
            continue
        if database_name(url) == databases[cmdline[2]]:
            name = cmdline[2].replace("_", "-")
            replicas = sum(1 for known in pids if known.startswith(name))
            pids[f"{name}-{replicas + 1}" if replicas else name] = process.pid
    return pids
