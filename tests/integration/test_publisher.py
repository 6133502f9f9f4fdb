"""The publisher: a confirmed message arrives whole and persistent; one no queue takes fails its publish."""

from collections.abc import AsyncIterator

import aio_pika
import pytest

from shared import broker
from shared.settings import FaultSettings
from tests.infrastructure import Infrastructure

pytestmark = pytest.mark.integration

NO_FAULTS = FaultSettings(duplicate_publishes=False, fail_commands="", drop_commands="")


@pytest.fixture
async def connection(infra: Infrastructure) -> AsyncIterator[aio_pika.abc.AbstractRobustConnection]:
    opened = await broker.connect(infra.amqp_url)
    yield opened
    await opened.close()


async def test_a_published_message_arrives_persistent_with_its_id_and_headers(
    connection: aio_pika.abc.AbstractRobustConnection, run_id: str
) -> None:
    channel = await connection.channel()
    queue = await channel.declare_queue(f"{run_id}.publisher", exclusive=True)
    publisher = await broker.Publisher.open(connection, NO_FAULTS)

    await publisher.publish(queue.name, b'{"n": 1}', message_id="m-1", headers={"x-reason": "why"})

    message = await queue.get(timeout=5)
    assert message.body == b'{"n": 1}'
    assert message.delivery_mode == aio_pika.DeliveryMode.PERSISTENT
    assert (message.message_id, message.content_type) == ("m-1", "application/json")
    assert message.headers == {"x-reason": "why"}
    await message.ack()


async def test_a_message_no_queue_takes_fails_its_publish(
    connection: aio_pika.abc.AbstractRobustConnection, run_id: str
) -> None:
    publisher = await broker.Publisher.open(connection, NO_FAULTS)

    with pytest.raises(broker.BROKER_UNAVAILABLE):
        await publisher.publish(f"{run_id}.nobody-listens", b"{}", message_id="m-2")
