"""RabbitMQ plumbing: a connection that heals itself, confirmed persistent publishes, dead-lettering."""

import asyncio
import itertools
import logging
from collections.abc import Mapping
from contextlib import suppress
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import aio_pika
import aiormq
from aio_pika.abc import AbstractIncomingMessage, AbstractRobustChannel, AbstractRobustConnection
from pamqp.commands import Basic
from yarl import URL

from shared.metrics import count_dead_letter
from shared.retry import when_up
from shared.topology import dead_letter_queue, exchange_for

log = logging.getLogger(__name__)

# A publish waits this long for its confirm; past it, the broker counts as unavailable.
PUBLISH_TIMEOUT_SECONDS = 5.0

# A broker that went away or refused a publish: the work is redone once it is back.
BROKER_UNAVAILABLE: tuple[type[Exception], ...] = (
    aio_pika.exceptions.AMQPError,
    aio_pika.exceptions.ChannelInvalidStateError,
    ConnectionError,
    asyncio.TimeoutError,
)

# A message no queue took: the broker returned it (it is published `mandatory`) rather than confirm it.
UNROUTABLE = aiormq.exceptions.PublishError


def node_urls(url: str) -> list[str]:
    """One URL per node of a cluster, from `amqp://user:password@host1:port1,host2:port2/vhost`."""
    parts = urlsplit(url)
    login, at, servers = parts.netloc.rpartition("@")
    return [urlunsplit(parts._replace(netloc=f"{login}{at}{server}")) for server in servers.split(",")]


class ClusterConnection(aio_pika.RobustConnection):
    """A robust connection to one node of several: whenever a connection is lost, or cannot be made,
    the next attempt goes to the next node, so the client ends up on one that survives."""

    def __init__(self, nodes: list[str], first: int, **kwargs: Any) -> None:
        self._nodes = [URL(node) for node in nodes]
        self._node = first % len(nodes)
        super().__init__(self._nodes[self._node], **kwargs)

    async def _on_connection_close(self, closing: asyncio.Future[Any]) -> None:
        # aio-pika calls this for a lost connection and for a failed attempt alike, and reads
        # `url` afresh for each attempt.
        self._node = (self._node + 1) % len(self._nodes)
        self.url = self._nodes[self._node]
        await super()._on_connection_close(closing)


async def connect(url: str) -> AbstractRobustConnection:
    """Connects to one of the nodes `url` lists, waiting for a broker that is still starting; later
    losses are healed by aio-pika, on another node if that one is gone."""
    nodes = node_urls(url)
    attempts = itertools.count()

    async def attempt() -> AbstractRobustConnection:
        connection = ClusterConnection(nodes, next(attempts), reconnect_interval=0.5)
        await connection.connect()
        return connection

    return await when_up(attempt, (OSError, aio_pika.exceptions.AMQPConnectionError), "broker")


async def requeue(message: AbstractIncomingMessage) -> None:
    """Puts a message back for later; if the channel is gone, the broker requeues it anyway."""
    with suppress(*BROKER_UNAVAILABLE):
        await message.nack(requeue=True)


class Publisher:
    """Publishes persistent messages through the named exchange of their queue, signed with the
    connection's user, and returns only once the broker has confirmed them."""

    def __init__(
        self,
        channel: AbstractRobustChannel,
        *,
        prefix: str = "",
        user: str | None = None,
    ) -> None:
        self._channel = channel
        self._prefix = prefix
        self._user = user

    @property
    def prefix(self) -> str:
        return self._prefix

    @classmethod
    async def open(cls, connection: AbstractRobustConnection, *, prefix: str = "", user: str) -> "Publisher":
        """`user` is the connection's: the broker refuses a message whose `user_id` is another's,
        so a receiver can trust it."""
        # A message no queue takes comes back and fails its publish, rather than passing as sent.
        channel = await connection.channel(publisher_confirms=True, on_return_raises=True)
        return cls(channel, prefix=prefix, user=user)

    async def publish(
        self,
        queue: str,
        body: bytes,
        *,
        message_id: str | None = None,
        headers: Mapping[str, Any] | None = None,
        reply_to: str | None = None,
    ) -> None:
        # Straight to the underlying channel: aio_pika.Message costs more than the publish itself.
        properties = Basic.Properties(
            content_type="application/json",
            delivery_mode=aio_pika.DeliveryMode.PERSISTENT.value,
            message_id=message_id,
            headers=dict(headers) if headers else None,
            reply_to=reply_to,
            user_id=self._user,
        )
        exchange = exchange_for(queue, self._prefix)
        if self._channel.is_closed:
            # Fail now rather than wait for the reconnect: the caller has somewhere to leave
            # the message (the outbox, a requeue) and other work to get on with.
            raise aio_pika.exceptions.ChannelInvalidStateError(f"no channel to publish to {queue}")
        channel = await self._channel.get_underlay_channel()
        await channel.basic_publish(
            body,
            exchange=exchange,
            routing_key=queue,
            properties=properties,
            mandatory=True,
            timeout=PUBLISH_TIMEOUT_SECONDS,
        )

    async def dead_letter(self, message: AbstractIncomingMessage, reason: str, prefix: str = "") -> None:
        """Moves a message the consumer cannot use to the dead-letter queue, with the reason, then acks."""
        await self.dead_letter_part(message, message.body, reason, prefix)
        await message.ack()

    async def dead_letter_part(
        self, message: AbstractIncomingMessage, body: bytes, reason: str, prefix: str = ""
    ) -> None:
        """Sends `body`, the part of `message` the consumer cannot use, to the dead-letter queue with
        the reason; the caller acks the message once it has dealt with the rest."""
        log.error("dead-lettered message from %s: %s", message.routing_key, reason)
        headers = {"x-reason": reason[:1000], "x-original-queue": message.routing_key or ""}
        await self.publish(dead_letter_queue(prefix), body, message_id=message.message_id, headers=headers)
        count_dead_letter((message.routing_key or "").removeprefix(prefix), reason)
