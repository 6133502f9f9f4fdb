"""A message whose handling raises anything unforeseen is put back, never left unacked, and once it
has failed as often as the queue's delivery limit allows, the broker dead-letters it."""

from collections.abc import AsyncIterator
from typing import Any, cast
from uuid import uuid4

import aio_pika
import pytest
from aio_pika.abc import AbstractChannel, AbstractIncomingMessage

from ops.broker_access import BrokerAccess
from saga_orchestrator.runtime.correlation import Correlation
from saga_orchestrator.runtime.replies import ReplyConsumer
from saga_orchestrator.runtime.runner import SagaRunner
from shared import topology
from shared.access import ADMIN
from shared.broker import Publisher, connect
from shared.contracts import Reply
from shared.worker.inbox import Inbox
from tests.integration.bus import next_message
from tests.integration.harness import Participant, command
from tests.integration.services import SERVICES, ServiceSpec
from tests.polling import random_ref

pytestmark = pytest.mark.integration


@pytest.fixture
def spec() -> ServiceSpec:
    return SERVICES[0]  # the consumer's path is the same for every service


@pytest.fixture
async def channel(broker: BrokerAccess) -> AsyncIterator[AbstractChannel]:
    """The administrator's, on this run's vhost."""
    async with await aio_pika.connect(broker.admin_url) as connection:
        yield await connection.channel()


class _Failing:
    """Stands in for a step of the handling that raises what nobody foresaw, and counts its calls."""

    def __init__(self) -> None:
        self.calls = 0

    async def __call__(self, *args: Any, **kwargs: Any) -> Any:
        self.calls += 1
        raise RuntimeError("a bug nobody foresaw")


def _died_of_the_delivery_limit(message: AbstractIncomingMessage) -> bool:
    deaths = cast(list[dict[str, Any]], message.headers["x-death"])
    return [death["reason"] for death in deaths] == ["delivery_limit"]


async def test_a_command_whose_handling_raises_is_dead_lettered_at_the_delivery_limit(
    participant: Participant, channel: AbstractChannel, monkeypatch: pytest.MonkeyPatch
) -> None:
    failing = _Failing()
    monkeypatch.setattr(Inbox, "execute", failing)
    message = command(participant.spec.forward, await participant.arrange(random_ref("o")))

    await participant.bus.send(participant.spec.service, message)

    dead = await participant.bus.dead_letter(str(message.message_id))
    assert _died_of_the_delivery_limit(dead)
    assert failing.calls == topology.DELIVERY_LIMIT + 1
    assert participant.bus.replies_so_far(str(message.message_id)) == []
    await participant.worker.stop()  # a message it still held would go back to the queue now
    queue = topology.command_queue(participant.spec.service, participant.bus.prefix)
    assert (await channel.declare_queue(queue, passive=True)).declaration_result.message_count == 0


async def test_a_reply_whose_handling_raises_is_dead_lettered_at_the_delivery_limit(
    broker: BrokerAccess, run_id: str, channel: AbstractChannel
) -> None:
    prefix = f"{run_id}.{random_ref('limits')}."
    replies, dead_letters = await topology.declare(channel, [], prefix)
    failing = _Failing()
    runner = cast(SagaRunner, type("Runner", (), {"apply": failing})())
    connection = await connect(broker.admin_url)
    try:
        # Sent by whom the consumer expects, correctly signed: only the handling fails.
        sender = broker.user(ADMIN)
        publisher = await Publisher.open(connection, prefix=prefix, user=sender)
        correlation = Correlation("a-secret-of-sixteen-or-more")
        consumer = ReplyConsumer(runner, publisher, prefix, correlation, {"createOrder": sender})
        consuming = await connection.channel()
        await consuming.set_qos(prefetch_count=1)
        queue = await topology.declare_queue(consuming, replies.name, prefix)
        await queue.consume(consumer.on_message)
        saga_id = uuid4()
        reply = Reply(
            success=True,
            saga_id=saga_id,
            step_id="createOrder",
            result={},
            error=None,
            correlation_id=correlation.sign(saga_id, "createOrder", 1),
        )
        message_id = str(uuid4())

        await publisher.publish(
            replies.name, reply.model_dump_json(by_alias=True).encode(), message_id=message_id
        )

        dead = await next_message(dead_letters)
        assert dead.message_id == message_id
        assert _died_of_the_delivery_limit(dead)
        assert failing.calls == topology.DELIVERY_LIMIT + 1
        await consuming.close()  # a message it still held would go back to the queue now
        assert (await replies.declare()).message_count == 0
    finally:
        await connection.close()
        for name in (replies.name, dead_letters.name):
            await channel.queue_delete(name)
