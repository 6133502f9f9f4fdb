"""Starts a worker: open its pool, connect to its queue, consume until told to stop."""

import asyncio
import signal
from collections.abc import Awaitable, Callable, Mapping
from contextlib import AsyncExitStack
from typing import Any

import asyncpg
import uvloop
from aio_pika.abc import AbstractRobustConnection

from shared import access, broker, database, gc_tuning, logs, metrics, topology, tracing
from shared.settings import ProcessSettings
from shared.worker.consumer import CommandConsumer
from shared.worker.handlers import Handler

Setup = Callable[[asyncpg.Pool], Awaitable[None]]


def run_worker(
    service: str,
    package: str,
    handlers: Mapping[str, Handler[Any]],
    settings: ProcessSettings,
    setup: Setup | None = None,
) -> None:
    """Runs the worker as a process until SIGTERM or SIGINT; `setup` runs once the pool is open."""
    # Logging is process-wide, so only the process entry configures it, not `serve`.
    logs.configure(package, settings.log_level, settings.log_format)
    tracing.configure(package)
    try:
        uvloop.run(_serve_until_signalled(service, package, handlers, settings, setup))
    finally:
        tracing.shutdown()


async def _serve_until_signalled(
    service: str,
    package: str,
    handlers: Mapping[str, Handler[Any]],
    settings: ProcessSettings,
    setup: Setup | None,
) -> None:
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    await serve(service, package, handlers, settings, stop=stop, setup=setup)


async def serve(
    service: str,
    package: str,
    handlers: Mapping[str, Handler[Any]],
    settings: ProcessSettings,
    *,
    stop: asyncio.Event,
    setup: Setup | None = None,
) -> None:
    """Consumes the service's command queue until `stop` is set, then releases broker and pool."""
    log = logs.lifecycle(package)
    async with AsyncExitStack() as resources:
        pool = await database.open_pool(settings.database_url, settings.db_pool_size)
        resources.push_async_callback(pool.close)
        if setup is not None:
            await setup(pool)
        connection = await broker.connect(settings.amqp_url)
        resources.push_async_callback(connection.close)
        publisher = await broker.Publisher.open(
            connection, prefix=settings.queue_prefix, user=access.user_of(settings.amqp_url)
        )
        if settings.metrics_port is not None:
            listener = metrics.Listener(settings.metrics_host, settings.metrics_port)
            resources.callback(listener.close)
        consumer = CommandConsumer(pool, publisher, handlers, settings, service)
        queue_name = await _consume(service, connection, consumer, settings)
        gc_tuning.tune_for_service()
        log.info("ready: consuming %s (%s)", queue_name, ", ".join(sorted(handlers)))
        await stop.wait()
        log.info("stopping")


async def _consume(
    service: str,
    connection: AbstractRobustConnection,
    consumer: CommandConsumer,
    settings: ProcessSettings,
) -> str:
    channel = await connection.channel()
    await channel.set_qos(prefetch_count=settings.prefetch)
    queue_name = topology.command_queue(service, settings.queue_prefix)
    # Declared by the setup: a service may only read its queue, not configure it.
    queue = await channel.get_queue(queue_name, ensure=True)
    await queue.consume(consumer.on_message)
    return queue_name
