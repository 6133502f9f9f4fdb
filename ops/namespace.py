"""Creating and removing a system's queues, and removing its databases and roles, so a test or a
benchmark starts from nothing."""

import aio_pika

from ops import database_access, registry
from ops.system import ORCHESTRATOR, SystemConfig
from shared import topology
from shared.broker import node_urls
from shared.topology import command_queue, dead_letter_queue, replica_reply_queue, reply_queue


async def create(config: SystemConfig) -> None:
    """Declares the system's exchanges and queues, as the administrator: its processes may not."""
    prefix = config.queue_prefix
    connection = await aio_pika.connect(node_urls(config.amqp_url)[0])
    async with connection:
        await topology.declare(
            await connection.channel(), [command_queue(s, prefix) for s in registry.services()], prefix
        )


async def remove(config: SystemConfig) -> None:
    await drop_databases(config)
    await delete_queues(config)


async def drop_databases(config: SystemConfig) -> None:
    """Drops every process's database, and its login role with it."""
    roles = [config.database_role(package) for package in registry.packages()]
    await database_access.tear_down(config.postgres_url, roles)


def queues(config: SystemConfig) -> list[str]:
    """Every queue of the system: each service's commands, the replies, the dead letters, and
    each orchestrator replica's own replies."""
    prefix = config.queue_prefix
    names = [command_queue(s, prefix) for s in registry.services()]
    names += [reply_queue(prefix), dead_letter_queue(prefix)]
    return names + [replica_reply_queue(s, prefix) for s in config.services if s.startswith(ORCHESTRATOR)]


async def delete_queues(config: SystemConfig) -> None:
    connection = await aio_pika.connect(node_urls(config.amqp_url)[0])
    async with connection:
        channel = await connection.channel()
        for name in queues(config):
            await channel.queue_delete(name)
