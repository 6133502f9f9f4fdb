"""Least privilege on the broker: a service's user reaches its own queue and the exchanges it answers
through, nothing else; guest has no access to the system's vhost."""

from collections.abc import AsyncIterator, Awaitable, Callable
from urllib.parse import urlsplit

import aio_pika
import aiormq
import pytest
from aio_pika.abc import AbstractChannel, AbstractRobustConnection

from ops.broker_access import BrokerAccess
from shared import topology
from shared.broker import connect
from tests.infrastructure import Infrastructure
from tests.integration.bus import Bus

pytestmark = pytest.mark.integration

REFUSED = (aiormq.exceptions.ChannelAccessRefused, aiormq.exceptions.ChannelPreconditionFailed)


@pytest.fixture
async def payment(broker: BrokerAccess, bus: Bus) -> AsyncIterator[AbstractRobustConnection]:
    """Logged in as the payment service; the bus has declared this run's queues."""
    connection = await connect(broker.url("payment"))
    yield connection
    await connection.close()


async def _refused(
    connection: AbstractRobustConnection, act: Callable[[AbstractChannel], Awaitable[object]]
) -> str:
    """What the broker said when it closed the channel on `act`."""
    channel = await connection.channel(publisher_confirms=True)
    with pytest.raises(REFUSED) as refused:
        await act(channel)
    return str(refused.value)


async def _ack(message: aio_pika.abc.AbstractIncomingMessage) -> None:
    await message.ack()


async def test_a_service_cannot_read_another_services_queue(
    payment: AbstractRobustConnection, bus: Bus
) -> None:
    order_queue = topology.command_queue("order", bus.prefix)

    async def consume(channel: AbstractChannel) -> object:
        queue = await channel.get_queue(order_queue, ensure=False)
        return await queue.consume(_ack)

    assert "ACCESS_REFUSED" in await _refused(payment, consume)


async def test_a_service_cannot_publish_to_the_default_exchange(
    payment: AbstractRobustConnection, bus: Bus
) -> None:
    async def publish(channel: AbstractChannel) -> object:
        message = aio_pika.Message(b"{}")
        return await channel.default_exchange.publish(
            message, routing_key=topology.command_queue("order", bus.prefix)
        )

    assert "ACCESS_REFUSED" in await _refused(payment, publish)


async def test_only_the_orchestrator_may_publish_commands(
    payment: AbstractRobustConnection, bus: Bus
) -> None:
    async def publish(channel: AbstractChannel) -> object:
        exchange = await channel.get_exchange(topology.command_exchange(bus.prefix), ensure=False)
        message = aio_pika.Message(b"{}")
        return await exchange.publish(message, routing_key=topology.command_queue("order", bus.prefix))

    assert "ACCESS_REFUSED" in await _refused(payment, publish)


async def test_a_service_cannot_sign_a_message_with_another_user(
    payment: AbstractRobustConnection, bus: Bus
) -> None:
    async def publish(channel: AbstractChannel) -> object:
        exchange = await channel.get_exchange(topology.reply_exchange(bus.prefix), ensure=False)
        message = aio_pika.Message(b"{}", user_id="someone-else")
        return await exchange.publish(message, routing_key=topology.reply_queue(bus.prefix))

    assert "user_id property set to 'someone-else'" in await _refused(payment, publish)


async def test_guest_has_no_access_to_the_systems_vhost(infra: Infrastructure, broker: BrokerAccess) -> None:
    """Guest logs in to the broker's default vhost (the tests' infrastructure), not to the system's."""
    default = urlsplit(infra.amqp_url)
    if default.username != "guest":
        pytest.skip("the broker under test has no guest")
    async with await aio_pika.connect(infra.amqp_url):
        pass
    with pytest.raises(aiormq.exceptions.AMQPError):
        await aio_pika.connect(default._replace(path=f"/{broker.vhost}").geturl())
