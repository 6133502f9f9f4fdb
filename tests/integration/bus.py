"""This test run's side of RabbitMQ: publishes commands, collects replies and dead letters by message id."""

from collections import defaultdict
from typing import Any
from uuid import UUID

import aio_pika
from aio_pika.abc import (
    AbstractChannel,
    AbstractConnection,
    AbstractExchange,
    AbstractIncomingMessage,
    AbstractQueue,
)

from ops.broker_access import BrokerAccess
from shared import access, json, topology
from shared.access import ORCHESTRATOR
from shared.contracts import CommandMessage, command_message_id
from tests.polling import eventually


class Bus:
    """Publishes to the run's command queues and listens on its reply and dead-letter queues.

    Every queue name carries the run's prefix, so a system running on the same broker
    never sees these messages, nor these tests its messages.
    """

    def __init__(
        self, url: str, connection: AbstractConnection, channel: AbstractChannel, prefix: str
    ) -> None:
        self._url = url
        self._connection = connection
        self._channel = channel
        self.prefix = prefix
        self._replies: defaultdict[str, list[dict[str, Any]]] = defaultdict(list)
        self._dead_letters: defaultdict[str, list[AbstractIncomingMessage]] = defaultdict(list)
        self._queues: list[str] = []
        self._senders: dict[str, tuple[AbstractConnection, AbstractExchange]] = {}
        self.orchestrator_url = ""

    @classmethod
    async def open(cls, broker: BrokerAccess, prefix: str, services: list[str]) -> "Bus":
        """Declares and listens as the administrator; sends commands as the orchestrator."""
        connection = await aio_pika.connect(broker.admin_url)
        try:
            channel = await connection.channel(publisher_confirms=True)
            bus = cls(broker.admin_url, connection, channel, prefix)
            bus.orchestrator_url = broker.url(ORCHESTRATOR)
            # Declared before any worker starts, so a command published early is kept, not lost.
            bus._queues = [topology.command_queue(service, prefix) for service in services]
            await topology.declare(channel, bus._queues, prefix)
            bus._queues += [topology.reply_queue(prefix), topology.dead_letter_queue(prefix)]
            await bus._listen(topology.reply_queue(prefix), bus._on_reply)
            await bus._listen(topology.dead_letter_queue(prefix), bus._on_dead_letter)
        except BaseException:
            await connection.close()
            raise
        return bus

    async def close(self) -> None:
        """Disconnects, then deletes this run's queues over a fresh connection, which works even
        when the bus's own was lost to a broker restart during the run."""
        for sender, _ in self._senders.values():
            await sender.close()
        await self._connection.close()
        async with await aio_pika.connect(self._url) as connection:
            channel = await connection.channel()
            for name in self._queues:
                await channel.queue_delete(name)

    async def send(self, service: str, command: CommandMessage, *, reply_to: str | None = None) -> None:
        body = command.model_dump_json(by_alias=True).encode()
        await self.send_raw(service, body, str(command.message_id), reply_to=reply_to)

    async def send_raw(
        self,
        service: str,
        body: bytes,
        message_id: str,
        *,
        reply_to: str | None = None,
        sender_url: str | None = None,
    ) -> None:
        """Publishes to the service's command queue as the orchestrator, or as the user of `sender_url`."""
        url = sender_url or self.orchestrator_url
        exchange = await self._sender(url)
        message = aio_pika.Message(
            body,
            message_id=message_id,
            content_type="application/json",
            reply_to=reply_to,
            user_id=access.user_of(url),
        )
        await exchange.publish(
            message, routing_key=topology.command_queue(service, self.prefix), mandatory=True
        )

    async def _sender(self, url: str) -> AbstractExchange:
        """One connection per sender, opened on first use and kept until the bus closes."""
        if url not in self._senders:
            connection = await aio_pika.connect(url)
            channel = await connection.channel(publisher_confirms=True)
            exchange = await channel.get_exchange(topology.command_exchange(self.prefix), ensure=False)
            self._senders[url] = (connection, exchange)
        return self._senders[url][1]

    async def replies_to(self, message_id: str, count: int = 1) -> list[dict[str, Any]]:
        """Waits for `count` replies to the message, and returns every reply it got so far."""
        return await eventually(lambda: self._collected(self._replies, message_id), lambda r: len(r) >= count)

    def replies_so_far(self, message_id: str) -> list[dict[str, Any]]:
        return list(self._replies.get(message_id, []))

    async def dead_letter(self, message_id: str) -> AbstractIncomingMessage:
        found: list[AbstractIncomingMessage] = await eventually(
            lambda: self._collected(self._dead_letters, message_id), bool
        )
        return found[0]

    async def replica_queue(self, replica: str, handover_seconds: float) -> AbstractQueue:
        """A replica's own reply queue, as an orchestrator declares it; deleted when the bus closes."""
        queue = await topology.declare_replica_reply_queue(
            self._channel, replica, self.prefix, handover_seconds
        )
        self._queues.append(queue.name)
        return queue

    async def consumers(self, queue: str) -> int:
        declared = await self._channel.declare_queue(queue, passive=True)
        assert declared.declaration_result.consumer_count is not None
        return declared.declaration_result.consumer_count

    async def _listen(self, queue: str, callback: Any) -> None:
        declared = await topology.declare_queue(self._channel, queue, self.prefix)
        await declared.consume(callback)

    async def _on_reply(self, message: AbstractIncomingMessage) -> None:
        """Files each reply under the id of the command it answers: a message that carries one
        reply has that id; one that carries several does not, and each is filed by its saga and step."""
        async with message.process():
            body = json.loads(message.body)
            if isinstance(body, dict):
                self._replies[message.message_id or ""].append(body)
                return
            for reply in body:
                message_id = str(command_message_id(UUID(reply["sagaId"]), reply["stepId"]))
                self._replies[message_id].append(reply)

    async def _on_dead_letter(self, message: AbstractIncomingMessage) -> None:
        async with message.process():
            self._dead_letters[message.message_id or ""].append(message)

    @staticmethod
    async def _collected(store: defaultdict[str, list[Any]], message_id: str) -> list[Any]:
        return list(store.get(message_id, []))


async def next_message(queue: AbstractQueue) -> AbstractIncomingMessage:
    """Waits for the next message in `queue`, and acks it."""
    message = await eventually(lambda: queue.get(fail=False), lambda m: m is not None)
    assert message is not None
    await message.ack()
    return message
