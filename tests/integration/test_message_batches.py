"""Commands and replies that are ready together travel together: one message per queue, carrying
a list, each item still in its own shape and handled on its own."""

from collections.abc import AsyncIterator
from typing import Any
from uuid import uuid4

import aio_pika
import asyncpg
import pytest
from aio_pika.abc import AbstractQueue, AbstractRobustConnection

from ops.broker_access import BrokerAccess
from saga_orchestrator.persistence.sagas import OutboxMessage
from saga_orchestrator.runtime.outbox import OutboxPublisher
from shared import database, json, topology
from shared.access import ADMIN
from shared.broker import Publisher
from shared.messages import message_body
from tests.infrastructure import Infrastructure
from tests.integration.bus import next_message
from tests.integration.harness import Participant, command
from tests.integration.services import SERVICES, ServiceSpec
from tests.polling import random_ref

pytestmark = pytest.mark.integration


@pytest.fixture
def spec() -> ServiceSpec:
    return SERVICES[0]  # the batching is the same for every service


async def _replies(queue: AbstractQueue, count: int) -> list[list[dict[str, Any]]]:
    """The bodies of the messages that bring `count` replies, each as a list of its replies."""
    bodies: list[list[dict[str, Any]]] = []
    while sum(len(body) for body in bodies) < count:
        received = json.loads((await next_message(queue)).body)
        bodies.append(received if isinstance(received, list) else [received])
    return bodies


async def test_a_message_carrying_several_commands_gets_each_answered_once(participant: Participant) -> None:
    own = await participant.bus.replica_queue(random_ref("replica"), handover_seconds=60)
    messages = [
        command(participant.spec.forward, await participant.arrange(random_ref("o"))) for _ in range(3)
    ]
    body = message_body([m.model_dump(mode="json", by_alias=True) for m in messages])

    await participant.bus.send_raw(participant.spec.service, body, str(uuid4()), reply_to=own.name)

    replies = [reply for body in await _replies(own, len(messages)) for reply in body]
    assert sorted(reply["sagaId"] for reply in replies) == sorted(str(m.saga_id) for m in messages)
    assert all(reply["success"] for reply in replies)
    for message in messages:
        assert await participant.inbox_has(message)


async def test_of_the_commands_one_message_carries_only_those_of_no_use_are_dead_lettered(
    participant: Participant,
) -> None:
    own = await participant.bus.replica_queue(random_ref("replica"), handover_seconds=60)
    good = command(participant.spec.forward, await participant.arrange(random_ref("o")))
    poison = {**good.model_dump(mode="json", by_alias=True), "command": "explode", "stepId": "explode"}
    message_id = str(uuid4())
    body = message_body([good.model_dump(mode="json", by_alias=True), poison])

    await participant.bus.send_raw(participant.spec.service, body, message_id, reply_to=own.name)

    [[reply]] = await _replies(own, 1)
    assert reply["sagaId"] == str(good.saga_id)
    assert reply["success"] is True
    dead = await participant.bus.dead_letter(message_id)
    assert json.loads(dead.body) == poison
    assert "unknown command" in str(dead.headers["x-reason"])


async def test_replies_ready_together_leave_together_one_message_per_reply_queue(
    participant: Participant,
) -> None:
    """Commands waiting in the queue reach the worker at once, run in one transaction, and their
    replies share a message, each still in the seed's shape, every command answered once."""
    own = await participant.bus.replica_queue(random_ref("replica"), handover_seconds=60)
    messages = [
        command(participant.spec.forward, await participant.arrange(random_ref("o"))) for _ in range(10)
    ]
    await participant.worker.stop()
    for message in messages:
        await participant.bus.send(participant.spec.service, message, reply_to=own.name)

    await participant.worker.restart(prefetch=len(messages))

    bodies: list[list[dict[str, Any]]] = []
    while sum(len(body) for body in bodies) < len(messages):
        received = json.loads((await next_message(own)).body)
        bodies.append(received if isinstance(received, list) else [received])
    replies = [reply for body in bodies for reply in body]
    assert sorted(reply["sagaId"] for reply in replies) == sorted(str(m.saga_id) for m in messages)
    assert all(reply["success"] for reply in replies)
    assert len(bodies) < len(messages)


@pytest.fixture
async def pool(infra: Infrastructure) -> AsyncIterator[asyncpg.Pool]:
    opened = await database.open_pool(infra.postgres_url, 1)  # publishing needs no table
    yield opened
    await opened.close()


async def test_commands_ready_together_leave_in_one_message_per_command_queue(
    broker: BrokerAccess, connection: AbstractRobustConnection, run_id: str, pool: asyncpg.Pool
) -> None:
    channel = await connection.channel()
    prefix = f"{run_id}.batches."
    await channel.declare_exchange(
        topology.command_exchange(prefix), aio_pika.ExchangeType.DIRECT, durable=True
    )
    a, b = [await channel.declare_queue(f"{prefix}{random_ref('commands')}", exclusive=True) for _ in "ab"]
    for queue in (a, b):
        await queue.bind(topology.command_exchange(prefix), routing_key=queue.name)
    publisher = await Publisher.open(connection, prefix=prefix, user=broker.user(ADMIN))
    outbox = OutboxPublisher(pool, publisher, reply_to="replies-here")
    first, second, third = (OutboxMessage(q.name, uuid4(), {"n": n}) for n, q in enumerate([a, b, a]))

    await outbox.publish([first, second, third], [1, 2, 3])

    together, alone = await next_message(a), await next_message(b)
    assert json.loads(together.body) == [{"n": 0}, {"n": 2}]
    assert json.loads(alone.body) == {"n": 1}
    assert alone.message_id == str(second.message_id)
    assert together.reply_to == alone.reply_to == "replies-here"
    assert (await a.declare()).message_count == 0
