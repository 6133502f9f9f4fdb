"""The publisher: a confirmed message arrives whole and persistent; one no queue takes fails its publish."""

import aio_pika
import pytest
from aio_pika.abc import AbstractChannel, AbstractQueue

from ops.broker_access import BrokerAccess
from shared import topology
from shared.access import ADMIN
from shared.broker import BROKER_UNAVAILABLE, Publisher
from tests import faulty
from tests.integration.bus import next_message

pytestmark = pytest.mark.integration


async def _declared(channel: AbstractChannel, prefix: str, queues: list[str]) -> list[AbstractQueue]:
    """The exchanges, and exclusive queues bound to theirs: gone with the connection."""
    for name in topology.exchanges(prefix):
        await channel.declare_exchange(name, aio_pika.ExchangeType.DIRECT, durable=True)
    declared = [await channel.declare_queue(name, exclusive=True) for name in queues]
    for queue in declared:
        await queue.bind(topology.exchange_for(queue.name, prefix), routing_key=queue.name)
    return declared


async def test_a_published_message_arrives_persistent_with_its_id_and_headers(
    connection: aio_pika.abc.AbstractRobustConnection, broker: BrokerAccess, run_id: str
) -> None:
    prefix = f"{run_id}.publisher."
    channel = await connection.channel()
    (queue,) = await _declared(channel, prefix, [topology.command_queue("publisher", prefix)])
    publisher = await Publisher.open(connection, prefix=prefix, user=broker.user(ADMIN))

    await publisher.publish(queue.name, b'{"n": 1}', message_id="m-1", headers={"x-reason": "why"})

    message = await queue.get(timeout=5)
    assert message.body == b'{"n": 1}'
    assert message.delivery_mode == aio_pika.DeliveryMode.PERSISTENT
    assert (message.message_id, message.content_type) == ("m-1", "application/json")
    assert message.headers == {"x-reason": "why"}
    assert message.user_id == broker.user(ADMIN), "the receiver knows who sent it"
    await message.ack()


async def test_a_message_no_queue_takes_fails_its_publish(
    connection: aio_pika.abc.AbstractRobustConnection, broker: BrokerAccess, run_id: str
) -> None:
    prefix = f"{run_id}.publisher."
    await _declared(await connection.channel(), prefix, [])
    publisher = await Publisher.open(connection, prefix=prefix, user=broker.user(ADMIN))

    with pytest.raises(BROKER_UNAVAILABLE):
        await publisher.publish(f"{run_id}.nobody-listens", b"{}", message_id="m-2")


async def test_the_tests_duplicate_fault_sends_every_publish_twice(
    connection: aio_pika.abc.AbstractRobustConnection, broker: BrokerAccess, run_id: str
) -> None:
    """The fault the duplicate tests rely on: without it they would prove nothing."""
    prefix = f"{run_id}.duplicated."
    (queue,) = await _declared(await connection.channel(), prefix, [topology.command_queue("dup", prefix)])
    with faulty.installed(faulty.Faults(duplicate_publishes=True), "order_service"):
        publisher = await Publisher.open(connection, prefix=prefix, user=broker.user(ADMIN))
        await publisher.publish(queue.name, b"{}", message_id="m-3")

    first, second = await next_message(queue), await next_message(queue)
    assert first.message_id == second.message_id == "m-3"
    assert (await queue.declare()).message_count == 0
