"""Names and declarations of every queue: one command queue per service, the reply queue, the dead letters.

All queues are durable quorum queues, so a broker restart keeps every message.
"""

from aio_pika.abc import AbstractChannel, AbstractQueue
from aiormq.abc import FieldTable

QUORUM: FieldTable = {"x-queue-type": "quorum"}


def command_queue(service: str, prefix: str = "") -> str:
    return f"{prefix}{service}.commands"


def reply_queue(prefix: str = "") -> str:
    return f"{prefix}saga.replies"


def dead_letter_queue(prefix: str = "") -> str:
    return f"{prefix}saga.dead-letters"


def arguments(name: str, prefix: str = "") -> FieldTable:
    """Quorum; and for every queue but the dead letters' own, where a message goes that the broker
    gives up on (a quorum queue's delivery limit, on by default since RabbitMQ 4), so none vanishes."""
    dead_letters = dead_letter_queue(prefix)
    if name == dead_letters:
        return QUORUM
    return {**QUORUM, "x-dead-letter-exchange": "", "x-dead-letter-routing-key": dead_letters}


async def declare_queue(channel: AbstractChannel, name: str, prefix: str = "") -> AbstractQueue:
    return await channel.declare_queue(name, durable=True, arguments=arguments(name, prefix))


async def declare(channel: AbstractChannel, queues: list[str], prefix: str = "") -> None:
    """Declares the given queues plus the reply and dead-letter queues; safe to repeat."""
    for name in [*queues, reply_queue(prefix), dead_letter_queue(prefix)]:
        await declare_queue(channel, name, prefix)
