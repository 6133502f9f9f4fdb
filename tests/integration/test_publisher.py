"""The publisher: a confirmed message arrives whole and persistent; one no queue takes fails its publish."""

from collections.abc import AsyncIterator

import aio_pika
import pytest
from aio_pika.abc import AbstractChannel, AbstractQueue

from ops.broker_access import BrokerAccess
from shared import topology
from shared.access import ADMIN
from shared.broker import BROKER_UNAVAILABLE, Publisher, connect
from shared.settings import FaultSettings

pytestmark = pytest.mark.integration

NO_FAULTS = FaultSettings(duplicate_publishes=False, fail_commands="", drop_commands="")


async def _declared(channel: AbstractChannel, prefix: str, queues: list[str]) -> list[AbstractQueue]:
    """The exchanges, and exclusive queues bound to theirs: gone with the connection."""
    for name in topology.exchanges(prefix):
        await channel.declare_exchange(name, aio_pika.ExchangeType.DIRECT, durable=True)
    declared = [await channel.declare_queue(name, exclusive=True) for name in queues]
    for queue in declared:
        await queue.bind(topology.exchange_for(queue.name, prefix), routing_key=queue.name)
    return declared


@pytest.fixture
async def connection(broker: BrokerAccess) -> AsyncIterator[aio_pika.abc.AbstractRobustConnection]:
    opened = await connect(broker.admin_url)
    yield opened
    await opened.close()


async def test_a_published_message_arrives_persistent_with_its_id_and_headers(
    connection: aio_pika.abc.AbstractRobustConnection, broker: BrokerAccess, run_id: str
) -> None:
    prefix = f"{run_id}.publisher."
    channel = await connection.channel()
    (queue,) = await _declared(channel, prefix, [topology.command_queue("publisher", prefix)])
    publisher = await Publisher.open(connection, NO_FAULTS, prefix=prefix, user=broker.user(ADMIN))

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
    publisher = await Publisher.open(connection, NO_FAULTS, prefix=prefix, user=broker.user(ADMIN))

    with pytest.raises(BROKER_UNAVAILABLE):
        await publisher.publish(f"{run_id}.nobody-listens", b"{}", message_id="m-2")
