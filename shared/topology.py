"""Names and declarations of every queue and exchange: one command queue per service, the reply
queues, the dead letters, and the named exchange each kind of message is published to.

All queues are durable quorum queues, so a broker restart keeps every message. Nothing is published
to the default exchange: write permission on it reaches every queue and cannot be narrowed, whereas
a user's write permission on a named exchange says which kind of message it may send.
"""

from aio_pika import ExchangeType
from aio_pika.abc import AbstractChannel, AbstractQueue
from aiormq.abc import FieldTable

QUORUM: FieldTable = {"x-queue-type": "quorum"}

# A message handed back this many times goes to the dead letters, so one that keeps failing does not
# come back for ever. Explicit: before RabbitMQ 4 a quorum queue has no limit (from 4 the default is
# 20). Before 4.3 every return counts, a put-back through a database outage too (about one a second):
# such a message is dead-lettered after about this many seconds, and its step's deadline sends the
# command again.
DELIVERY_LIMIT = 20

# The dead letters' own queue has nowhere further to send a message, and there a return is someone
# reading it (the management UI's "get messages" puts it back), not a failure: explicit and high,
# since from RabbitMQ 4 the default of 20 would drop a message read that often.
DEAD_LETTERS_DELIVERY_LIMIT = 1_000_000

# A replica's own reply queue outlives the replica by this long, far past any handover time, so
# the replies left in it have moved on when it goes. One that arrives in its very last moment goes
# with it; its step's deadline then sends the command again, and the inbox answers once more.
QUEUE_EXPIRY_SECONDS = 300


def command_queue(service: str, prefix: str = "") -> str:
    return f"{prefix}{service}.commands"


def reply_queue(prefix: str = "") -> str:
    """The shared reply queue, which every orchestrator replica consumes."""
    return f"{prefix}saga.replies"


def replica_reply_queue(replica: str, prefix: str = "") -> str:
    """One replica's own reply queue, named in the `reply_to` of the commands it sends."""
    return f"{reply_queue(prefix)}.{replica}"


def is_reply_queue(name: str, prefix: str = "") -> bool:
    shared = reply_queue(prefix)
    return name == shared or name.startswith(f"{shared}.")


def dead_letter_queue(prefix: str = "") -> str:
    return f"{prefix}saga.dead-letters"


def command_exchange(prefix: str = "") -> str:
    return f"{prefix}exchange.commands"


def reply_exchange(prefix: str = "") -> str:
    return f"{prefix}exchange.replies"


def dead_letter_exchange(prefix: str = "") -> str:
    return f"{prefix}exchange.dead-letters"


def exchanges(prefix: str = "") -> list[str]:
    return [command_exchange(prefix), reply_exchange(prefix), dead_letter_exchange(prefix)]


def exchange_for(queue: str, prefix: str = "") -> str:
    """The exchange a message for `queue` is published to; every queue is bound to its exchange
    under its own name, so the routing key is the queue's name."""
    if is_reply_queue(queue, prefix):
        return reply_exchange(prefix)
    if queue == dead_letter_queue(prefix):
        return dead_letter_exchange(prefix)
    return command_exchange(prefix)


def arguments(name: str, prefix: str = "") -> FieldTable:
    """Quorum, with a delivery limit; and for every queue but the dead letters' own, where a message
    goes that the broker gives up on, so none vanishes."""
    dead_letters = dead_letter_queue(prefix)
    if name == dead_letters:
        return {**QUORUM, "x-delivery-limit": DEAD_LETTERS_DELIVERY_LIMIT}
    return {
        **QUORUM,
        "x-delivery-limit": DELIVERY_LIMIT,
        "x-dead-letter-exchange": dead_letter_exchange(prefix),
        "x-dead-letter-routing-key": dead_letters,
    }


async def declare_queue(channel: AbstractChannel, name: str, prefix: str = "") -> AbstractQueue:
    """Declares the queue and binds it to its exchange, which must exist (see `declare`)."""
    queue = await channel.declare_queue(name, durable=True, arguments=arguments(name, prefix))
    await queue.bind(exchange_for(name, prefix), routing_key=name)
    return queue


async def declare(channel: AbstractChannel, queues: list[str], prefix: str = "") -> list[AbstractQueue]:
    """Declares the exchanges, then the given queues plus the reply and dead-letter queues, each
    bound to its exchange, and returns the queues in that order; safe to repeat. This is setup work,
    for a user allowed to configure everything: the services only use what it made."""
    for name in exchanges(prefix):
        await channel.declare_exchange(name, ExchangeType.DIRECT, durable=True)
    return [
        await declare_queue(channel, name, prefix)
        for name in [*queues, reply_queue(prefix), dead_letter_queue(prefix)]
    ]


async def declare_replica_reply_queue(
    channel: AbstractChannel, replica: str, prefix: str, handover_seconds: float
) -> AbstractQueue:
    """A replica's own reply queue: the answers to its commands come back to the replica that
    still holds their sagas in memory, so a reply costs no read.

    A reply not taken within `handover_seconds` (the replica died, or lags) moves on to the
    shared reply queue, at least once, for any replica to take. The queue itself goes once no
    replica has consumed it for `QUEUE_EXPIRY_SECONDS`: a reply sent to it after that is
    unroutable, and its sender sends it to the shared queue instead. (Quorum queues cannot be
    deleted only if empty, so a replica that stops leaves its queue to expire.)
    """
    arguments: FieldTable = {
        **QUORUM,
        "x-delivery-limit": DELIVERY_LIMIT,
        "x-message-ttl": round(handover_seconds * 1000),
        "x-expires": QUEUE_EXPIRY_SECONDS * 1000,
        "x-dead-letter-exchange": reply_exchange(prefix),
        "x-dead-letter-routing-key": reply_queue(prefix),
        "x-dead-letter-strategy": "at-least-once",
        "x-overflow": "reject-publish",  # at-least-once dead-lettering requires it
    }
    name = replica_reply_queue(replica, prefix)
    queue = await channel.declare_queue(name, durable=True, arguments=arguments)
    await queue.bind(reply_exchange(prefix), routing_key=name)
    return queue
