"""Publishing to a running system's queues as one of its broker users, the way its processes do."""

from uuid import UUID

import aio_pika

from ops.system import System
from saga_orchestrator.runtime.correlation import Correlation
from shared.topology import exchange_for


async def publish_as(system: System, role: str, queue: str, body: bytes) -> None:
    """Publishes `body` to `queue` through its exchange, logged in and signed as `role`'s user."""
    prefix = system.config.queue_prefix
    async with await aio_pika.connect(system.config.access.url(role)) as connection:
        channel = await connection.channel(publisher_confirms=True)
        exchange = await channel.get_exchange(exchange_for(queue, prefix), ensure=False)
        message = aio_pika.Message(body, user_id=system.config.access.user(role))
        await exchange.publish(message, routing_key=queue, mandatory=True)


def correlation_id(system: System, saga_id: str | UUID, step_id: str, attempt: int = 1) -> str:
    """The correlation id of the command the orchestrator sent for that attempt of (saga, step)."""
    return Correlation(system.config.access.correlation_secret).sign(UUID(str(saga_id)), step_id, attempt)
