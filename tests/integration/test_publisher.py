"""The publisher: a confirmed message arrives whole and persistent; one no queue takes fails its publish."""

import aio_pika
import pytest

from shared import broker
from tests import faulty
from tests.integration.bus import next_message

pytestmark = pytest.mark.integration


async def test_a_published_message_arrives_persistent_with_its_id_and_headers(
    connection: aio_pika.abc.AbstractRobustConnection, run_id: str
) -> None:
    channel = await connection.channel()
    queue = await channel.declare_queue(f"{run_id}.publisher", exclusive=True)
    publisher = await broker.Publisher.open(connection)

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
    publisher = await broker.Publisher.open(connection)

    with pytest.raises(broker.BROKER_UNAVAILABLE):
        await publisher.publish(f"{run_id}.nobody-listens", b"{}", message_id="m-2")


async def test_the_tests_duplicate_fault_sends_every_publish_twice(
    connection: aio_pika.abc.AbstractRobustConnection, run_id: str
) -> None:
    """The fault the duplicate tests rely on: without it they would prove nothing."""
    channel = await connection.channel()
    queue = await channel.declare_queue(f"{run_id}.duplicated", exclusive=True)
    with faulty.installed(faulty.Faults(duplicate_publishes=True), "order_service"):
        publisher = await broker.Publisher.open(connection)
        await publisher.publish(queue.name, b"{}", message_id="m-3")

    first, second = await next_message(queue), await next_message(queue)
    assert first.message_id == second.message_id == "m-3"
    assert (await queue.declare()).message_count == 0
